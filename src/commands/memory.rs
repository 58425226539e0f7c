//! `MEMORY`: what a key costs (`USAGE`), returning freed memory to the
//! system (`PURGE`) and the allocator's own report (`MALLOC-STATS`).
//!
//! `USAGE` measures ferrodis's own structures exactly (table entry, key,
//! value with every element), so `SAMPLES` only needs validating: an exact
//! figure is what Redis's sampling estimates.

use super::{parse_int, reply_help, Args, CmdError, CmdResult};
use crate::server::client::Client;
use crate::server::Server;

const HELP: &[&str] = &[
    "MALLOC-STATS",
    "    Return internal statistics report from the memory allocator.",
    "PURGE",
    "    Attempt to purge dirty pages for reclamation by the allocator.",
    "USAGE <key> [SAMPLES <count>]",
    "    Return memory in bytes used by <key> and its value. Nested values are",
    "    sampled up to <count> times (default: 5, 0 means sample all).",
];

/// `MEMORY HELP`
pub fn help(_srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    reply_help(c, args, HELP);
    Ok(())
}

/// `MEMORY USAGE key [SAMPLES count]`
pub fn usage(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let mut j = 3;
    while j < args.len() {
        if args.is(j, "samples") && j + 1 < args.len() {
            if parse_int(args.get(j + 1))? < 0 {
                return Err(CmdError::Syntax);
            }
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    match srv.db(c.db).usage(args.get(2)) {
        Some(bytes) => c.reply.int(bytes as i64),
        None => c.reply.null(),
    }
    Ok(())
}

/// `MEMORY PURGE`: hands free pages of the allocator back to the system.
pub fn purge(_srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    // SAFETY: malloc_trim only walks the allocator's own free lists.
    unsafe {
        libc::malloc_trim(0);
    }
    c.reply.ok();
    Ok(())
}

/// `MEMORY MALLOC-STATS`: Redis's answer when its allocator (here the C
/// library's) keeps no statistics it can print.
pub fn malloc_stats(_srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    c.reply
        .bulk(b"Stats not supported for the current allocator");
    Ok(())
}
