//! FUNCTION (LOAD, DELETE, FLUSH, LIST, STATS, KILL, DUMP, RESTORE, HELP)
//! and FCALL/FCALL_RO, as Redis 7.0's `functions.c` has them: argument
//! checks and replies here, the libraries in `scripting::functions`, the
//! payload bytes in `persistence::rdb::function`.

use super::{parse_int, reply_help, subcommand_syntax, Args, CmdError, CmdResult, OwnedArgs};
use crate::persistence::rdb::function::{self as rdb_function, RestoreError};
use crate::scripting::functions::{flags, script_flags, RestorePolicy, ENGINE_NAME};
use crate::scripting::run::{self, Inputs, RunRequest};
use crate::server::client::Client;
use crate::server::Server;
use crate::storage::glob::glob_match;

fn err(text: impl Into<String>) -> CmdError {
    CmdError::Message(format!("ERR {}", text.into()).into())
}

const HELP: &[&str] = &[
    "LOAD [REPLACE] <FUNCTION CODE>",
    "    Create a new library with the given library name and code.",
    "DELETE <LIBRARY NAME>",
    "    Delete the given library.",
    "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
    "    Return general information on all the libraries:",
    "    * Library name",
    "    * The engine used to run the Library",
    "    * Library description",
    "    * Functions list",
    "    * Library code (if WITHCODE is given)",
    "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
    "STATS",
    "    Return information about the current function running:",
    "    * Function name",
    "    * Command used to run the function",
    "    * Duration in MS that the function is running",
    "    If no function is running, return nil",
    "    In addition, returns a list of available engines.",
    "KILL",
    "    Kill the current running function.",
    "FLUSH [ASYNC|SYNC]",
    "    Delete all the libraries.",
    "    When called without the optional mode argument, the behavior is determined by the",
    "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
    "    * ASYNC: Asynchronously flush the libraries.",
    "    * SYNC: Synchronously flush the libraries.",
    "DUMP",
    "    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
    "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
    "    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
    "    control how to handle existing libraries (default APPEND):",
    "    * FLUSH: delete all existing libraries.",
    "    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
    "    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
    "      libraries with the new libraries (notice that even on this option there is a chance of failure",
    "      in case of functions name collision with another library).",
];

/// `FUNCTION HELP`
pub fn help(_srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    reply_help(c, args, HELP);
    Ok(())
}

/// `FUNCTION LOAD [REPLACE] function-code`
pub fn load(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let mut replace = false;
    let mut i = 2;
    while i < args.len() - 1 {
        if !args.is(i, "replace") {
            return Err(err(format!(
                "Unknown option given: {}",
                String::from_utf8_lossy(args.get(i))
            )));
        }
        replace = true;
        i += 1;
    }
    let name = srv.functions.load(args.get(i), replace).map_err(err)?;
    srv.dirty += 1;
    c.reply.bulk(name.as_bytes());
    Ok(())
}

/// `FUNCTION DELETE library-name`
pub fn delete(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if !srv.functions.delete(args.get(2)) {
        return Err(err("Library not found"));
    }
    srv.dirty += 1;
    c.reply.ok();
    Ok(())
}

/// `FUNCTION FLUSH [ASYNC|SYNC]`: both free at once, as FLUSHALL does here.
pub fn flush(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if args.len() > 3 {
        return Err(subcommand_syntax(args));
    }
    if args.len() == 3 && !args.is(2, "sync") && !args.is(2, "async") {
        return Err(err("FUNCTION FLUSH only supports SYNC|ASYNC option"));
    }
    srv.functions.flush();
    srv.dirty += 1;
    c.reply.ok();
    Ok(())
}

/// `FUNCTION LIST [LIBRARYNAME library-name-pattern] [WITHCODE]`
pub fn list(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let (mut with_code, mut pattern) = (false, None);
    let mut i = 2;
    while i < args.len() {
        if !with_code && args.is(i, "withcode") {
            with_code = true;
        } else if pattern.is_none() && args.is(i, "libraryname") {
            if i + 1 >= args.len() {
                return Err(err("library name argument was not given"));
            }
            i += 1;
            pattern = Some(args.get(i));
        } else {
            return Err(err(format!(
                "Unknown argument {}",
                String::from_utf8_lossy(args.get(i))
            )));
        }
        i += 1;
    }
    let libs: Vec<_> = srv
        .functions
        .libraries()
        .iter()
        .filter(|lib| pattern.is_none_or(|p| glob_match(p, lib.name.as_bytes(), true)))
        .collect();
    let r = &mut c.reply;
    r.array_len(libs.len());
    for lib in libs {
        r.map_len(if with_code { 4 } else { 3 });
        r.bulk(b"library_name");
        r.bulk(lib.name.as_bytes());
        r.bulk(b"engine");
        r.bulk(ENGINE_NAME.as_bytes());
        r.bulk(b"functions");
        r.array_len(lib.functions.len());
        for f in lib.functions.values() {
            r.map_len(3);
            r.bulk(b"name");
            r.bulk(f.name.as_bytes());
            r.bulk(b"description");
            match &f.description {
                Some(d) => r.bulk(d),
                None => r.null(),
            }
            r.bulk(b"flags");
            let names = flags::NAMES.iter().filter(|(bit, _)| f.flags & bit != 0);
            r.set_len(names.clone().count());
            for (_, name) in names {
                r.simple(name.as_bytes());
            }
        }
        if with_code {
            r.bulk(b"library_code");
            r.bulk(&lib.code);
        }
    }
    Ok(())
}

/// `FUNCTION STATS`: refused while an EVAL script runs, as in Redis.
pub fn stats(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    let running = srv.scripting.running.as_ref();
    if running.is_some_and(|r| r.is_eval) {
        return Err(CmdError::Message(srv.scripting.busy_error().into()));
    }
    let r = &mut c.reply;
    r.map_len(2);
    r.bulk(b"running_script");
    match (running, &srv.functions.running_command) {
        (Some(run), Some(argv)) => {
            let argv = argv.args();
            r.map_len(3);
            r.bulk(b"name");
            r.bulk(run.name.as_bytes());
            r.bulk(b"command");
            r.array_len(argv.len());
            for arg in argv.iter() {
                r.bulk(arg);
            }
            r.bulk(b"duration_ms");
            r.int(run.started.elapsed().as_millis() as i64);
        }
        _ => r.null(),
    }
    let libs = srv.functions.libraries();
    r.bulk(b"engines");
    r.map_len(1);
    r.bulk(ENGINE_NAME.as_bytes());
    r.map_len(2);
    r.bulk(b"libraries_count");
    r.int(libs.len() as i64);
    r.bulk(b"functions_count");
    r.int(libs.function_count() as i64);
    Ok(())
}

/// `FUNCTION KILL`: stops the running function unless it wrote.
pub fn kill(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    srv.scripting.kill(false)?;
    c.reply.ok();
    Ok(())
}

/// FCALL's flags for dispatch's checks, as Redis's `fcallGetCommandFlags`
/// derives them from the function's: a function that writes is a
/// `write` command (`denyoom` too unless `allow-oom`), one declared
/// `no-writes` is neither, and `may-replicate` no longer applies since
/// the flags say whether it writes. An unknown function keeps `flags`.
pub fn command_flags(srv: &Server, args: &Args, flags: u32) -> u32 {
    use super::flags as cmd;
    let Some(f) = srv.functions.libraries().function(args.get(1)) else {
        return flags;
    };
    let mut out = flags & !(cmd::STALE | cmd::DENYOOM | cmd::WRITE | cmd::MAY_REPLICATE);
    if f.flags & (flags::ALLOW_OOM | flags::NO_WRITES) == 0 {
        out |= cmd::DENYOOM;
    }
    if f.flags & flags::NO_WRITES == 0 {
        out |= cmd::WRITE;
    }
    if f.flags & flags::ALLOW_STALE != 0 {
        out |= cmd::STALE;
    }
    out
}

/// `FCALL function numkeys [key ...] [arg ...]`
pub fn fcall(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    fcall_generic(srv, c, args, false)
}

/// `FCALL_RO function numkeys [key ...] [arg ...]`
pub fn fcall_ro(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    fcall_generic(srv, c, args, true)
}

/// Runs a function with its keys and arguments as two tables, as Redis's
/// Lua engine calls it; checks in Redis's order: the function, then the
/// number of keys. Its writes propagate as the commands it ran, and
/// MONITOR shows the call before them.
fn fcall_generic(srv: &mut Server, c: &mut Client, args: &Args, read_only: bool) -> CmdResult {
    // Monitors see the call before the commands it runs.
    if !srv.monitors.is_empty() {
        if let super::Lookup::Found(id) = srv.commands.lookup(args) {
            srv.feed_monitors_unfiltered(c, srv.commands.all[id], args);
        }
    }
    let f = srv
        .functions
        .libraries()
        .function(args.get(1))
        .ok_or_else(|| err("Function not found"))?;
    let (callback, flags, name) = (f.callback.clone(), f.flags, f.name.clone());
    let nkeys = parse_int(args.get(2)).map_err(|_| err("Bad number of keys provided"))?;
    if nkeys > args.len() as i64 - 3 {
        return Err(err("Number of keys can't be greater than number of args"));
    }
    let nkeys = usize::try_from(nkeys).map_err(|_| err("Number of keys can't be negative"))?;
    let lua = srv.functions.lua().clone();
    let inputs = Inputs {
        args,
        keys: 3..3 + nkeys,
        argv: 3 + nkeys..args.len(),
        as_globals: false,
    };
    let req = RunRequest {
        name: &name,
        flags: script_flags(flags),
        read_only,
        is_eval: false,
    };
    srv.functions.running_command = Some(OwnedArgs::new(args));
    let result = run::run(srv, c, &lua, &callback, &inputs, &req);
    srv.functions.running_command = None;
    srv.propagator.replaced_by_nested();
    result
}

/// `FUNCTION DUMP`
pub fn dump(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    let codes = srv.functions.libraries().iter().map(|lib| &lib.code[..]);
    let payload = rdb_function::dump(codes, srv.config.rdbcompression);
    c.reply.bulk(&payload);
    Ok(())
}

/// `FUNCTION RESTORE serialized-value [FLUSH|APPEND|REPLACE]`
pub fn restore(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if args.len() > 4 {
        return Err(subcommand_syntax(args));
    }
    let policy = match args.len() {
        4 if args.is(3, "flush") => RestorePolicy::Flush,
        4 if args.is(3, "replace") => RestorePolicy::Replace,
        4 if !args.is(3, "append") => {
            return Err(err(
                "Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
            ))
        }
        _ => RestorePolicy::Append,
    };
    let codes = rdb_function::restore(args.get(2)).map_err(|e| match e {
        RestoreError::VersionOrChecksum => CmdError::DumpPayload,
        RestoreError::Entry(text) => err(text),
    })?;
    srv.functions.restore(&codes, policy).map_err(err)?;
    srv.dirty += 1;
    c.reply.ok();
    Ok(())
}
