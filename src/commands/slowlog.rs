//! `SLOWLOG GET|LEN|RESET|HELP`: reading and clearing the slow log the
//! server keeps (`server/slowlog.rs`).

use super::{parse_int, reply_help, Args, CmdError, CmdResult};
use crate::server::client::Client;
use crate::server::Server;

const HELP: &[&str] = &[
    "GET [<count>]",
    "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
    "    Entries are made of:",
    "    id, timestamp, time in microseconds, arguments array, client IP and port,",
    "    client name",
    "LEN",
    "    Return the length of the slowlog.",
    "RESET",
    "    Reset the slowlog.",
];

/// Entries `SLOWLOG GET` returns without a count.
const DEFAULT_COUNT: usize = 10;

/// `SLOWLOG HELP`
pub fn help(_srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    reply_help(c, args, HELP);
    Ok(())
}

/// `SLOWLOG GET [count]`: newest first.
pub fn get(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if args.len() > 3 {
        return Err(super::subcommand_syntax(args));
    }
    let count = if args.len() == 3 {
        let out_of_range =
            || CmdError::Message("ERR count should be greater than or equal to -1".into());
        match parse_int(args.get(2)).map_err(|_| out_of_range())? {
            -1 => usize::MAX,
            n if n < -1 => return Err(out_of_range()),
            n => usize::try_from(n).unwrap_or(usize::MAX),
        }
    } else {
        DEFAULT_COUNT
    };
    let entries = &srv.slowlog.entries;
    let n = count.min(entries.len());
    c.reply.array_len(n);
    for e in entries.iter().take(n) {
        c.reply.array_len(6);
        c.reply.int(e.id as i64);
        c.reply.int(e.time as i64);
        c.reply.int(e.duration_us as i64);
        c.reply.array_len(e.argv.len());
        for a in &e.argv {
            c.reply.bulk(a);
        }
        c.reply.bulk(e.peer.as_bytes());
        c.reply.bulk(&e.name);
    }
    Ok(())
}

/// `SLOWLOG LEN`
pub fn len(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    c.reply.int(srv.slowlog.entries.len() as i64);
    Ok(())
}

/// `SLOWLOG RESET`
pub fn reset(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    srv.slowlog.reset();
    c.reply.ok();
    Ok(())
}
