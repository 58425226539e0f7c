//! EVAL, EVALSHA, EVAL_RO, EVALSHA_RO and SCRIPT (Redis's `eval.c`).
//!
//! EVAL caches every script it runs under its SHA1, so EVALSHA finds it
//! later; the engine itself is `crate::scripting`. A script is not
//! propagated as itself: the commands it ran propagate, wrapped in
//! MULTI/EXEC when more than one, so replaying them gives the same data
//! whatever the script computed.

use super::{parse_int, reply_help, Args, CmdError, CmdResult};
use crate::scripting::api::{sha1_hex, sha1_hex_in};
use crate::scripting::run;
use crate::server::client::Client;
use crate::server::Server;

fn message(text: &'static str) -> CmdError {
    CmdError::Message(text.into())
}

const NOSCRIPT: &str = "NOSCRIPT No matching script. Please use EVAL.";

/// `EVAL script numkeys [key ...] [arg ...]`
pub fn eval(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    eval_generic(srv, c, args, "eval", false, false)
}

/// `EVAL_RO script numkeys [key ...] [arg ...]`
pub fn eval_ro(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    eval_generic(srv, c, args, "eval_ro", false, true)
}

/// `EVALSHA sha1 numkeys [key ...] [arg ...]`
pub fn evalsha(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    eval_generic(srv, c, args, "evalsha", true, false)
}

/// `EVALSHA_RO sha1 numkeys [key ...] [arg ...]`
pub fn evalsha_ro(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    eval_generic(srv, c, args, "evalsha_ro", true, true)
}

/// The number of keys, checked as Redis checks it.
fn numkeys(args: &Args) -> Result<usize, CmdError> {
    let n = parse_int(args.get(2))?;
    if n > args.len() as i64 - 3 {
        return Err(message(
            "ERR Number of keys can't be greater than number of args",
        ));
    }
    usize::try_from(n).map_err(|_| message("ERR Number of keys can't be negative"))
}

/// Runs the script for the command `name` of the table.
fn eval_generic(
    srv: &mut Server,
    c: &mut Client,
    args: &Args,
    name: &str,
    by_sha: bool,
    read_only: bool,
) -> CmdResult {
    // Dispatch named this command the client's last; inside a
    // transaction that is EXEC, and the command is looked up.
    let id = match c.last_cmd {
        Some(id) if srv.commands.all[id].name == name => Some(id),
        _ => match srv.commands.lookup(args) {
            super::Lookup::Found(id) => Some(id),
            _ => None,
        },
    };
    if let Some(id) = id.filter(|_| !srv.monitors.is_empty()) {
        srv.feed_monitors_unfiltered(c, srv.commands.all[id], args);
    }
    let nkeys = numkeys(args)?;
    let mut hex = [0; 40];
    let sha: std::borrow::Cow<str> = if by_sha {
        let sha = args.get(1);
        if sha.len() != 40 {
            return Err(message(NOSCRIPT));
        }
        crate::scripting::sha_key(sha)
    } else {
        sha1_hex_in(args.get(1), &mut hex).into()
    };
    let (func, flags) = match srv.scripting.cached(&sha) {
        Some(s) => (s.func.clone(), s.flags),
        None if by_sha => return Err(message(NOSCRIPT)),
        None => {
            let s = srv
                .scripting
                .compile_and_cache(sha.to_string(), args.get(1))?;
            (s.func.clone(), s.flags)
        }
    };
    let lua = srv.scripting.lua.clone();
    let first_arg = (3 + nkeys).min(args.len());
    let inputs = run::Inputs {
        args,
        keys: 3..first_arg,
        argv: first_arg..args.len(),
        as_globals: true,
    };
    let req = run::RunRequest {
        name: &sha,
        flags,
        read_only,
        is_eval: true,
    };
    // The run counts errors against the caller's command, which inside
    // a transaction is EXEC: name this one for the time.
    let last_cmd = c.last_cmd;
    c.last_cmd = id.or(last_cmd);
    let result = run::run(srv, c, &lua, &func, &inputs, &req);
    c.last_cmd = last_cmd;
    srv.propagator.replaced_by_nested();
    result
}

const HELP: &[&str] = &[
    "DEBUG (YES|SYNC|NO)",
    "    Set the debug mode for subsequent scripts executed.",
    "EXISTS <sha1> [<sha1> ...]",
    "    Return information about the existence of the scripts in the script cache.",
    "FLUSH [ASYNC|SYNC]",
    "    Flush the Lua scripts cache. Very dangerous on replicas.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the scripts cache.",
    "    * SYNC: Synchronously flush the scripts cache.",
    "KILL",
    "    Kill the currently executing Lua script.",
    "LOAD <script>",
    "    Load a script into the scripts cache without executing it.",
];

/// `SCRIPT HELP`
pub fn script_help(_srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    reply_help(c, args, HELP);
    Ok(())
}

/// `SCRIPT LOAD script`: compiles and caches it; replies its SHA1.
pub fn script_load(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let sha = sha1_hex(args.get(2));
    srv.scripting.compile_and_cache(sha.clone(), args.get(2))?;
    c.reply.bulk(sha.as_bytes());
    Ok(())
}

/// `SCRIPT EXISTS sha1 [sha1 ...]`
pub fn script_exists(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    c.reply.array_len(args.len() - 2);
    for sha in args.iter().skip(2) {
        let sha = String::from_utf8_lossy(sha).to_ascii_lowercase();
        c.reply.int(i64::from(srv.scripting.cached(&sha).is_some()));
    }
    Ok(())
}

/// `SCRIPT FLUSH [ASYNC|SYNC]`: the cache is emptied at once either way.
pub fn script_flush(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if args.len() > 3 || (args.len() == 3 && !args.is(2, "sync") && !args.is(2, "async")) {
        return Err(message("ERR SCRIPT FLUSH only support SYNC|ASYNC option"));
    }
    srv.scripting.flush();
    c.reply.ok();
    Ok(())
}

/// `SCRIPT KILL`: stops the running EVAL script unless it wrote.
pub fn script_kill(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    srv.scripting.kill(true)?;
    c.reply.ok();
    Ok(())
}

/// `SCRIPT DEBUG YES|SYNC|NO`: there is no debugger; NO is accepted.
pub fn script_debug(_srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if args.is(2, "no") {
        c.reply.ok();
        return Ok(());
    }
    if args.is(2, "yes") || args.is(2, "sync") {
        return Err(message("ERR The Lua debugger is not supported."));
    }
    Err(message("ERR Use SCRIPT DEBUG YES/SYNC/NO"))
}
