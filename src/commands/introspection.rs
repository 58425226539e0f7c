//! `COMMAND` and its subcommands, generated from the command table.
//!
//! Clients use these to learn arities, flags and key positions (cluster
//! clients route by them; redis-cli shows hints from them), so the shapes
//! are Redis 7.0's exactly: ten-element info arrays, key specs as maps, and
//! flag and category names as status replies.

use super::{
    acl, docs, flags, parse_int, reply_help, Args, BeginSearch, CmdError, CmdResult, CommandSpec,
    FindKeys,
};
use crate::server::client::Client;
use crate::server::Server;
use crate::storage::glob::glob_match;

const HELP: &[&str] = &[
    "(no subcommand)",
    "    Return details about all Redis commands.",
    "COUNT",
    "    Return the total number of commands in this Redis server.",
    "LIST",
    "    Return a list of all commands in this Redis server.",
    "INFO [<command-name> ...]",
    "    Return details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "DOCS [<command-name> ...]",
    "    Return documentation details about multiple Redis commands.",
    "    If no command names are given, documentation details for all",
    "    commands are returned.",
    "GETKEYS <full-command>",
    "    Return the keys from a full Redis command.",
    "GETKEYSANDFLAGS <full-command>",
    "    Return the keys and the access flags from a full Redis command.",
];

/// `COMMAND HELP`
pub fn help(_srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    reply_help(c, args, HELP);
    Ok(())
}

/// `COMMAND`: information on every command.
pub fn command(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    let top: Vec<&CommandSpec> = srv.commands.reachable().collect();
    c.reply.array_len(top.len());
    for spec in top {
        reply_info(c, spec);
    }
    Ok(())
}

/// `COMMAND COUNT`
pub fn count(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    c.reply.int(srv.commands.reachable().count() as i64);
    Ok(())
}

/// `COMMAND INFO [command-name ...]`
pub fn info(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if args.len() == 2 {
        return command(srv, c, args);
    }
    c.reply.array_len(args.len() - 2);
    for name in args.iter().skip(2) {
        match srv.commands.find_full(name) {
            Some(id) => {
                let spec = srv.commands.all[id];
                reply_info(c, spec);
            }
            // Redis answers an unknown name with a null bulk, not a null array.
            None => c.reply.null(),
        }
    }
    Ok(())
}

/// Writes a command's ten-element `COMMAND INFO` entry.
fn reply_info(c: &mut Client, spec: &CommandSpec) {
    c.reply.array_len(10);
    c.reply.bulk(spec.name.as_bytes());
    c.reply.int(i64::from(spec.arity));
    let names: Vec<&str> = flags::NAMES
        .iter()
        .filter(|(bit, _)| spec.has(*bit))
        .map(|(_, n)| *n)
        .collect();
    status_set(c, &names);
    c.reply.int(i64::from(spec.keys.0));
    c.reply.int(i64::from(spec.keys.1));
    c.reply.int(i64::from(spec.keys.2));
    let cats = spec.acl_categories();
    let names: Vec<String> = acl::NAMES
        .iter()
        .enumerate()
        .filter(|(i, _)| cats & (1 << i) != 0)
        .map(|(_, n)| format!("@{n}"))
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    status_set(c, &names);
    c.reply.set_len(spec.tips.len());
    for tip in spec.tips {
        c.reply.bulk(tip.as_bytes());
    }
    // RESP3 sees the key specs as a set, and no subcommands as an empty
    // set but some as an array, as Redis 7.0 writes them.
    c.reply.set_len(spec.key_specs.len());
    for ks in spec.key_specs {
        c.reply.map_len(3 + usize::from(ks.notes.is_some()));
        if let Some(notes) = ks.notes {
            c.reply.bulk(b"notes");
            c.reply.bulk(notes.as_bytes());
        }
        c.reply.bulk(b"flags");
        status_set(c, ks.flags);
        c.reply.bulk(b"begin_search");
        c.reply.map_len(2);
        c.reply.bulk(b"type");
        match ks.begin {
            BeginSearch::Index(pos) => {
                c.reply.bulk(b"index");
                c.reply.bulk(b"spec");
                c.reply.map_len(1);
                c.reply.bulk(b"index");
                c.reply.int(i64::from(pos));
            }
            BeginSearch::Keyword { keyword, startfrom } => {
                c.reply.bulk(b"keyword");
                c.reply.bulk(b"spec");
                c.reply.map_len(2);
                c.reply.bulk(b"keyword");
                c.reply.bulk(keyword.as_bytes());
                c.reply.bulk(b"startfrom");
                c.reply.int(i64::from(startfrom));
            }
            BeginSearch::Unknown => {
                c.reply.bulk(b"unknown");
                c.reply.bulk(b"spec");
                c.reply.map_len(0);
            }
        }
        c.reply.bulk(b"find_keys");
        c.reply.map_len(2);
        c.reply.bulk(b"type");
        match ks.find {
            FindKeys::Range {
                lastkey,
                keystep,
                limit,
            } => {
                c.reply.bulk(b"range");
                c.reply.bulk(b"spec");
                c.reply.map_len(3);
                for (k, v) in [("lastkey", lastkey), ("keystep", keystep), ("limit", limit)] {
                    c.reply.bulk(k.as_bytes());
                    c.reply.int(i64::from(v));
                }
            }
            FindKeys::Keynum {
                keynumidx,
                firstkey,
                keystep,
            } => {
                c.reply.bulk(b"keynum");
                c.reply.bulk(b"spec");
                c.reply.map_len(3);
                for (k, v) in [
                    ("keynumidx", keynumidx),
                    ("firstkey", firstkey),
                    ("keystep", keystep),
                ] {
                    c.reply.bulk(k.as_bytes());
                    c.reply.int(i64::from(v));
                }
            }
            FindKeys::Unknown => {
                c.reply.bulk(b"unknown");
                c.reply.bulk(b"spec");
                c.reply.map_len(0);
            }
        }
    }
    if spec.subcommands.is_empty() {
        c.reply.set_len(0);
    } else {
        c.reply.array_len(spec.subcommands.len());
    }
    for sub in spec.subcommands {
        reply_info(c, sub);
    }
}

/// A set of status replies, as Redis lists flags and categories.
fn status_set(c: &mut Client, names: &[&str]) {
    c.reply.set_len(names.len());
    for n in names {
        c.reply.simple(n.as_bytes());
    }
}

/// `COMMAND DOCS [command-name ...]`
pub fn docs(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let specs: Vec<&'static CommandSpec> = if args.len() == 2 {
        srv.commands.reachable().collect()
    } else {
        args.iter()
            .skip(2)
            .filter_map(|n| srv.commands.find_full(n))
            .map(|id| srv.commands.all[id])
            .collect()
    };
    c.reply.map_len(specs.len());
    for spec in specs {
        c.reply.bulk(spec.name.as_bytes());
        reply_doc(c, spec);
    }
    Ok(())
}

fn reply_doc(c: &mut Client, spec: &CommandSpec) {
    let (history, arguments) =
        docs::lookup(spec.name).map_or((&[][..], &[][..]), |d| (d.history, d.args));
    let has_subs = !spec.subcommands.is_empty();
    let has_flags = !spec.doc_flags.is_empty();
    // Redis leaves out a complexity its docs do not give (MONITOR).
    let has_complexity = !spec.complexity.is_empty();
    let replaced = spec.replaced_by.map_or(0, |_| 2);
    c.reply.map_len(
        3 + usize::from(has_complexity)
            + usize::from(has_flags)
            + replaced
            + usize::from(!history.is_empty())
            + usize::from(!arguments.is_empty())
            + usize::from(has_subs),
    );
    for (k, v) in [
        ("summary", spec.summary),
        ("since", spec.since),
        ("group", spec.group.name()),
        ("complexity", spec.complexity),
    ] {
        if v.is_empty() && k == "complexity" {
            continue;
        }
        c.reply.bulk(k.as_bytes());
        c.reply.bulk(v.as_bytes());
    }
    if has_flags {
        c.reply.bulk(b"doc_flags");
        status_set(c, spec.doc_flags);
    }
    if let Some((since, by)) = spec.replaced_by {
        c.reply.bulk(b"deprecated_since");
        c.reply.bulk(since.as_bytes());
        c.reply.bulk(b"replaced_by");
        c.reply.bulk(by.as_bytes());
    }
    if !history.is_empty() {
        c.reply.bulk(b"history");
        docs::reply_history(&mut c.reply, history);
    }
    if !arguments.is_empty() {
        c.reply.bulk(b"arguments");
        docs::reply_args(&mut c.reply, arguments);
    }
    if has_subs {
        c.reply.bulk(b"subcommands");
        c.reply.map_len(spec.subcommands.len());
        for sub in spec.subcommands {
            c.reply.bulk(sub.name.as_bytes());
            reply_doc(c, sub);
        }
    }
}

/// `COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]`
pub fn list(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    enum Filter<'a> {
        All,
        Module,
        AclCat(Option<u32>),
        Pattern(&'a [u8]),
    }
    let filter = match args.len() {
        2 => Filter::All,
        5 if args.is(2, "filterby") => {
            let value = args.get(4);
            if args.is(3, "module") {
                Filter::Module
            } else if args.is(3, "aclcat") {
                let bit = acl::NAMES
                    .iter()
                    .position(|n| n.as_bytes().eq_ignore_ascii_case(value))
                    .map(|i| 1u32 << i);
                Filter::AclCat(bit)
            } else if args.is(3, "pattern") {
                Filter::Pattern(value)
            } else {
                return Err(CmdError::Syntax);
            }
        }
        _ => return Err(CmdError::Syntax),
    };
    let names: Vec<&str> = srv
        .commands
        .reachable_all()
        .filter(|spec| match &filter {
            Filter::All => true,
            // No modules can be loaded, so no command belongs to one.
            Filter::Module => false,
            Filter::AclCat(bit) => bit.is_some_and(|b| spec.acl_categories() & b != 0),
            Filter::Pattern(p) => glob_match(p, spec.name.as_bytes(), true),
        })
        .map(|spec| spec.name)
        .collect();
    c.reply.array_len(names.len());
    for n in names {
        c.reply.bulk(n.as_bytes());
    }
    Ok(())
}

/// A key found in a command's arguments: its position and access flags.
pub type KeyRef = (usize, &'static [&'static str]);

/// Finds the keys of a full command line from the command's key specs,
/// the way Redis's `getKeysUsingKeySpecs` walks them.
pub fn keys_from_specs(spec: &CommandSpec, args: &Args) -> Result<Vec<KeyRef>, CmdError> {
    if let Some(custom) = spec.getkeys {
        return Ok(custom(args));
    }
    let argc = args.len() as i64;
    let mut keys = Vec::new();
    for ks in spec.key_specs.iter().filter(|ks| !is_not_key(ks)) {
        let first = match ks.begin {
            // Redis's walk skips what positions cannot tell.
            BeginSearch::Unknown => continue,
            BeginSearch::Index(pos) => i64::from(pos),
            BeginSearch::Keyword { keyword, startfrom } => {
                let startfrom = i64::from(startfrom);
                let (start, end) = if startfrom > 0 {
                    (startfrom, argc - 1)
                } else {
                    (argc + startfrom, 1)
                };
                let mut i = start;
                let mut found = 0;
                loop {
                    if i >= argc || i < 1 {
                        break;
                    }
                    if args
                        .get(i as usize)
                        .eq_ignore_ascii_case(keyword.as_bytes())
                    {
                        found = i + 1;
                        break;
                    }
                    if i == end {
                        break;
                    }
                    i += if start <= end { 1 } else { -1 };
                }
                if found == 0 {
                    continue;
                }
                found
            }
        };
        let (first, last, step) = match ks.find {
            FindKeys::Range {
                lastkey,
                keystep,
                limit,
            } => {
                let (lastkey, limit) = (i64::from(lastkey), i64::from(limit));
                let last = if lastkey >= 0 {
                    first + lastkey
                } else if limit == 0 {
                    argc + lastkey
                } else {
                    first + ((argc - first) / limit + lastkey)
                };
                (first, last, i64::from(keystep))
            }
            FindKeys::Keynum {
                keynumidx,
                firstkey,
                keystep,
            } => {
                let idx = first + i64::from(keynumidx);
                if idx >= argc {
                    return Err(CmdError::UnknownKeysOfCommand);
                }
                let n = parse_int(args.get(idx as usize))
                    .map_err(|_| CmdError::UnknownKeysOfCommand)?;
                if n < 0 {
                    return Err(CmdError::UnknownKeysOfCommand);
                }
                let first = first + i64::from(firstkey);
                (
                    first,
                    first + n * i64::from(keystep) - 1,
                    i64::from(keystep),
                )
            }
            FindKeys::Unknown => continue,
        };
        let mut i = first;
        while i <= last && step > 0 {
            if i < argc && i >= first {
                keys.push((i as usize, ks.flags));
            }
            i += step;
        }
    }
    Ok(keys)
}

fn is_not_key(ks: &super::KeySpec) -> bool {
    ks.flags.contains(&"not_key")
}

/// Shared body of GETKEYS and GETKEYSANDFLAGS.
fn getkeys_impl(srv: &mut Server, c: &mut Client, args: &Args, with_flags: bool) -> CmdResult {
    let ranges_start = 2;
    let sub = args.slice_from(ranges_start);
    let id = match srv.commands.lookup(&sub) {
        super::Lookup::Found(id) => id,
        _ => return Err(CmdError::InvalidCommandSpecified),
    };
    let spec = srv.commands.all[id];
    // Shard channels are declared as key specs marked `not_key`: they
    // route in a cluster but are not keys.
    if spec.key_specs.iter().all(is_not_key) && spec.getkeys.is_none() {
        return Err(CmdError::CommandHasNoKeys);
    }
    if !spec.arity_ok(sub.len()) {
        return Err(CmdError::InvalidArgumentsForCommand);
    }
    let keys = keys_from_specs(spec, &sub)?;
    if keys.is_empty() && !spec.has(flags::NO_MANDATORY_KEYS) {
        return Err(CmdError::UnknownKeysOfCommand);
    }
    c.reply.array_len(keys.len());
    for (pos, key_flags) in keys {
        if with_flags {
            c.reply.array_len(2);
            c.reply.bulk(sub.get(pos));
            status_set(c, key_flags);
        } else {
            c.reply.bulk(sub.get(pos));
        }
    }
    Ok(())
}

/// `COMMAND GETKEYS command [arg ...]`
pub fn getkeys(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    getkeys_impl(srv, c, args, false)
}

/// `COMMAND GETKEYSANDFLAGS command [arg ...]`
pub fn getkeysandflags(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    getkeys_impl(srv, c, args, true)
}
