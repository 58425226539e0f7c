//! ACL: the categories commands belong to, and the ACL command (SETUSER,
//! GETUSER, DELUSER, LIST, USERS, WHOAMI, CAT, GENPASS, LOG, DRYRUN, SAVE,
//! LOAD, HELP) over the users of [`crate::server::acl`].

use std::io::Read;

use super::{reply_help, subcommand_syntax, Args, CmdError, CmdResult, Lookup};
use crate::server::acl::selector::{self, Refusal};
use crate::server::acl::user::{merge_selector_args, User};
use crate::server::acl::{file, Acl, DEFAULT_USER};
use crate::server::client::Client;
use crate::server::Server;

// ACL categories, in the order Redis lists them.
pub const KEYSPACE: u32 = 1 << 0;
pub const READ: u32 = 1 << 1;
pub const WRITE: u32 = 1 << 2;
pub const SET: u32 = 1 << 3;
pub const SORTEDSET: u32 = 1 << 4;
pub const LIST: u32 = 1 << 5;
pub const HASH: u32 = 1 << 6;
pub const STRING: u32 = 1 << 7;
pub const BITMAP: u32 = 1 << 8;
pub const HYPERLOGLOG: u32 = 1 << 9;
pub const GEO: u32 = 1 << 10;
pub const STREAM: u32 = 1 << 11;
pub const PUBSUB: u32 = 1 << 12;
pub const ADMIN: u32 = 1 << 13;
pub const FAST: u32 = 1 << 14;
pub const SLOW: u32 = 1 << 15;
pub const BLOCKING: u32 = 1 << 16;
pub const DANGEROUS: u32 = 1 << 17;
pub const CONNECTION: u32 = 1 << 18;
pub const TRANSACTION: u32 = 1 << 19;
pub const SCRIPTING: u32 = 1 << 20;

pub const NAMES: &[&str] = &[
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
];

const HELP: &[&str] = &[
    "CAT [<category>]",
    "    List all commands that belong to <category>, or all command categories",
    "    when no category is specified.",
    "DELUSER <username> [<username> ...]",
    "    Delete a list of users.",
    "DRYRUN <username> <command> [<arg> ...]",
    "    Returns whether the user can execute the given command without executing the command.",
    "GETUSER <username>",
    "    Get the user's details.",
    "GENPASS [<bits>]",
    "    Generate a secure 256-bit user password. The optional `bits` argument can",
    "    be used to specify a different size.",
    "LIST",
    "    Show users details in config file format.",
    "LOAD",
    "    Reload users from the ACL file.",
    "LOG [<count> | RESET]",
    "    Show the ACL log entries.",
    "SAVE",
    "    Save the current config to the ACL file.",
    "SETUSER <username> <attribute> [<attribute> ...]",
    "    Create or modify a user with the specified attributes.",
    "USERS",
    "    List all the registered usernames.",
    "WHOAMI",
    "    Return the current connection username.",
];

/// Entries ACL LOG shows without a count.
const LOG_DEFAULT_COUNT: usize = 10;

const NO_ACL_FILE: &str = "ERR This Redis instance is not configured to use an ACL file. You may \
     want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming \
     you have a Redis configuration file set) in order to store users in the Redis configuration.";

fn err(text: String) -> CmdError {
    CmdError::Message(text.into())
}

/// An argument quoted in an error, up to a NUL as Redis's `%s` stops.
fn lossy(b: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(b.split(|&c| c == 0).next().unwrap_or_default())
}

/// `ACL HELP`
pub fn help(_srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    reply_help(c, args, HELP);
    Ok(())
}

/// `ACL SETUSER username [rule ...]`: the rules apply to a copy, which
/// replaces the user only when every rule was accepted.
pub fn setuser(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let name = args.get(2);
    if selector::has_space(name) {
        return Err(err(
            "ERR Usernames can't contain spaces or null characters".into()
        ));
    }
    let words: Vec<Vec<u8>> = args.iter().skip(3).map(<[u8]>::to_vec).collect();
    let rules = merge_selector_args(&words).map_err(|i| {
        err(format!(
            "ERR Unmatched parenthesis in acl selector starting at '{}'.",
            lossy(&words[i])
        ))
    })?;
    let all_channels = srv.config.acl_pubsub_default_allchannels;
    let old = srv.acl.users.get(name).cloned();
    let mut u = old
        .clone()
        .unwrap_or_else(|| User::new(&srv.commands, name, all_channels));
    if let Err((i, e)) = u.apply_all(&srv.commands, &rules, all_channels) {
        return Err(err(format!(
            "ERR Error in ACL SETUSER modifier '{}': {}",
            lossy(&rules[i]),
            e.text()
        )));
    }
    srv.acl.users.insert(name.to_vec(), u);
    if let Some(old) = old {
        srv.acl_kill_pubsub_clients(name, &old, c);
    }
    c.reply.ok();
    Ok(())
}

/// `ACL GETUSER username`
pub fn getuser(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let Some(u) = srv.acl.users.get(args.get(2)) else {
        c.reply.null();
        return Ok(());
    };
    c.reply.map_len(6);
    c.reply.bulk(b"flags");
    let flags = u.flag_names();
    c.reply.set_len(flags.len());
    for f in flags {
        c.reply.bulk(f.as_bytes());
    }
    c.reply.bulk(b"passwords");
    c.reply.array_len(u.passwords.len());
    for p in &u.passwords {
        c.reply.bulk(p.as_bytes());
    }
    describe_selector(srv, c, u.root());
    c.reply.bulk(b"selectors");
    c.reply.array_len(u.selectors.len() - 1);
    for s in &u.selectors[1..] {
        c.reply.map_len(3);
        describe_selector(srv, c, s);
    }
    Ok(())
}

fn describe_selector(srv: &Server, c: &mut Client, s: &selector::Selector) {
    c.reply.bulk(b"commands");
    c.reply.bulk(&s.describe_commands(&srv.commands));
    c.reply.bulk(b"keys");
    c.reply.bulk(&s.key_rules().join(&b' '));
    c.reply.bulk(b"channels");
    c.reply.bulk(&s.channel_rules().join(&b' '));
}

/// `ACL DELUSER username [username ...]`: the users' connections close.
pub fn deluser(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if args.iter().skip(2).any(|n| n == DEFAULT_USER) {
        return Err(err("ERR The 'default' user cannot be removed".into()));
    }
    let mut deleted = 0;
    for name in args.iter().skip(2) {
        if srv.acl.users.remove(name).is_some() {
            deleted += 1;
            srv.acl_kill_user_clients(name, c);
        }
    }
    c.reply.int(deleted);
    Ok(())
}

/// `ACL LIST`
pub fn list(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    c.reply.array_len(srv.acl.users.len());
    for u in srv.acl.users.values() {
        let mut line = b"user ".to_vec();
        line.extend_from_slice(&u.name);
        line.push(b' ');
        line.extend_from_slice(&u.describe(&srv.commands));
        c.reply.bulk(&line);
    }
    Ok(())
}

/// `ACL USERS`
pub fn users(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    c.reply.array_len(srv.acl.users.len());
    for name in srv.acl.users.keys() {
        c.reply.bulk(name);
    }
    Ok(())
}

/// `ACL WHOAMI`
pub fn whoami(_srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    let name = c.user.clone();
    c.reply.bulk(name.as_deref().unwrap_or(DEFAULT_USER));
    Ok(())
}

/// `ACL CAT [category]`
pub fn cat(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if args.len() > 3 {
        return Err(subcommand_syntax(args));
    }
    if args.len() == 2 {
        c.reply.array_len(NAMES.len());
        for n in NAMES {
            c.reply.bulk(n.as_bytes());
        }
        return Ok(());
    }
    let wanted = args.get(2);
    let Some(i) = NAMES
        .iter()
        .position(|n| n.as_bytes().eq_ignore_ascii_case(wanted))
    else {
        return Err(err(format!("ERR Unknown category '{}'", lossy(wanted))));
    };
    let names: Vec<&str> = srv
        .commands
        .all
        .iter()
        .filter(|s| s.acl_categories() & (1 << i) != 0)
        .map(|s| s.name)
        .collect();
    c.reply.array_len(names.len());
    for n in names {
        c.reply.bulk(n.as_bytes());
    }
    Ok(())
}

/// `ACL GENPASS [bits]`: random hex digits, four bits each.
pub fn genpass(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if args.len() > 3 {
        return Err(subcommand_syntax(args));
    }
    let bits = match args.len() {
        3 => super::parse_int(args.get(2))?,
        _ => 256,
    };
    if !(1..=4096).contains(&bits) {
        return Err(err(
            "ERR ACL GENPASS argument must be the number of bits for the output password, a \
             positive number up to 4096"
                .into(),
        ));
    }
    let chars = (bits as usize).div_ceil(4);
    let mut bytes = vec![0u8; chars.div_ceil(2)];
    let filled = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    if filled.is_err() {
        for b in bytes.iter_mut() {
            *b = crate::server::next_random(&mut srv.random_state) as u8;
        }
    }
    let mut hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    hex.truncate(chars);
    c.reply.bulk(hex.as_bytes());
    Ok(())
}

/// `ACL LOG [count | RESET]`
pub fn log(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if args.len() > 3 {
        return Err(subcommand_syntax(args));
    }
    let mut count = LOG_DEFAULT_COUNT;
    if args.len() == 3 {
        if args.is(2, "reset") {
            srv.acl.log.entries.clear();
            c.reply.ok();
            return Ok(());
        }
        count = super::parse_int(args.get(2))?.max(0) as usize;
    }
    let now = srv.clock.now_ms;
    let shown = count.min(srv.acl.log.entries.len());
    c.reply.array_len(shown);
    for e in srv.acl.log.entries.iter().take(shown) {
        c.reply.map_len(7);
        c.reply.bulk(b"count");
        c.reply.int(e.count as i64);
        c.reply.bulk(b"reason");
        c.reply.bulk(e.reason.as_bytes());
        c.reply.bulk(b"context");
        c.reply.bulk(e.context.name().as_bytes());
        c.reply.bulk(b"object");
        c.reply.bulk(&e.object);
        c.reply.bulk(b"username");
        c.reply.bulk(&e.username);
        c.reply.bulk(b"age-seconds");
        c.reply
            .double(now.saturating_sub(e.ctime_ms) as f64 / 1000.0);
        c.reply.bulk(b"client-info");
        c.reply.bulk(e.client_info.as_bytes());
    }
    Ok(())
}

/// `ACL DRYRUN username command [arg ...]`: what the user would be told.
pub fn dryrun(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let Some(u) = srv.acl.users.get(args.get(2)) else {
        return Err(err(format!("ERR User '{}' not found", lossy(args.get(2)))));
    };
    let line = args.slice_from(3);
    let Lookup::Found(id) = srv.commands.lookup(&line) else {
        return Err(err(format!(
            "ERR Command '{}' not found",
            lossy(line.get(0))
        )));
    };
    let spec = srv.commands.all[id];
    if !spec.arity_ok(line.len()) {
        return Err(CmdError::WrongArity(spec.name));
    }
    match Acl::check_user(u, id, spec, &line) {
        Ok(()) => c.reply.ok(),
        Err(r) => {
            let text = match r {
                Refusal::Command => format!(
                    "This user has no permissions to run the '{}' command",
                    spec.name
                ),
                Refusal::Key(p) => format!(
                    "This user has no permissions to access the '{}' key",
                    lossy(line.get(p))
                ),
                Refusal::Channel(p) => format!(
                    "This user has no permissions to access the '{}' channel",
                    lossy(line.get(p))
                ),
            };
            c.reply.bulk(text.as_bytes());
        }
    }
    Ok(())
}

/// `ACL SAVE`
pub fn save(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    let path = srv.config.aclfile.clone();
    if path.is_empty() {
        return Err(err(NO_ACL_FILE.into()));
    }
    if let Err(e) = file::save(&srv.acl, &srv.commands, &path) {
        log::warn!("Opening temp ACL file for ACL SAVE: {e}");
        return Err(err(
            "ERR There was an error trying to save the ACLs. Please check the server logs for \
             more information"
                .into(),
        ));
    }
    c.reply.ok();
    Ok(())
}

/// `ACL LOAD`: all or nothing; connections of the users replaced close.
pub fn load(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    let path = srv.config.aclfile.clone();
    if path.is_empty() {
        return Err(err(NO_ACL_FILE.into()));
    }
    let all_channels = srv.config.acl_pubsub_default_allchannels;
    let users =
        file::load(&srv.commands, &path, all_channels).map_err(|e| err(format!("ERR {e}")))?;
    srv.acl_replace_users(users, c);
    c.reply.ok();
    Ok(())
}
