//! `MEMORY`: what a key costs (`USAGE`), where the heap goes (`STATS`),
//! returning freed memory to the system (`PURGE`) and the allocator's own
//! report (`MALLOC-STATS`); `DOCTOR` is in `memory_doctor.rs`.
//!
//! `USAGE` measures ferrodis's own structures exactly (table entry, key,
//! value with every element), so `SAMPLES` only needs validating: an exact
//! figure is what Redis's sampling estimates.

use super::{parse_int, reply_help, Args, CmdError, CmdResult};
use crate::server::client::Client;
use crate::server::{memory, Server};

const HELP: &[&str] = &[
    "DOCTOR",
    "    Return memory problems reports.",
    "MALLOC-STATS",
    "    Return internal statistics report from the memory allocator.",
    "PURGE",
    "    Attempt to purge dirty pages for reclamation by the allocator.",
    "STATS",
    "    Return information about the memory usage of the server.",
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
    crate::server::memory::purge();
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

/// `MEMORY STATS`: Redis's fields in Redis's order, with this server's
/// figures (the C allocator keeps no active/resident split, so those are
/// the counted heap and the RSS, as `INFO memory` reports them).
pub fn stats(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    let o = srv.memory_overhead(c);
    let used = memory::used() as u64;
    let peak = (memory::peak() as u64).max(used);
    let rss = memory::rss() as u64;
    let keys: u64 = (0..srv.db_count()).map(|i| srv.db(i).len() as u64).sum();
    let net = if used > o.startup {
        used - o.startup
    } else {
        1
    };
    let dataset = used - o.total.min(used);
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    c.reply.map_len(27 + o.dbs.len());
    for (name, v) in [
        ("peak.allocated", peak),
        ("total.allocated", used),
        ("startup.allocated", o.startup),
        ("replication.backlog", 0),
        ("clients.slaves", 0),
        ("clients.normal", o.clients_normal),
        ("cluster.links", 0),
        ("aof.buffer", o.aof_buffer),
        ("lua.caches", 0),
        ("functions.caches", o.functions_caches),
    ] {
        c.reply.bulk(name.as_bytes());
        c.reply.int(v as i64);
    }
    for (db, main, expires) in &o.dbs {
        c.reply.bulk(format!("db.{db}").as_bytes());
        c.reply.map_len(3);
        for (name, v) in [
            ("overhead.hashtable.main", *main),
            ("overhead.hashtable.expires", *expires),
            ("overhead.hashtable.slot-to-keys", 0),
        ] {
            c.reply.bulk(name.as_bytes());
            c.reply.int(v as i64);
        }
    }
    for (name, v) in [
        ("overhead.total", o.total),
        ("keys.count", keys),
        ("keys.bytes-per-key", net.checked_div(keys).unwrap_or(0)),
        ("dataset.bytes", dataset),
    ] {
        c.reply.bulk(name.as_bytes());
        c.reply.int(v as i64);
    }
    c.reply.bulk(b"dataset.percentage");
    c.reply.double(dataset as f64 * 100.0 / net as f64);
    c.reply.bulk(b"peak.percentage");
    c.reply.double(ratio(used, peak) * 100.0);
    for (name, v) in [
        ("allocator.allocated", used),
        ("allocator.active", used),
        ("allocator.resident", rss),
    ] {
        c.reply.bulk(name.as_bytes());
        c.reply.int(v as i64);
    }
    let rows: [(&str, f64, i64); 4] = [
        ("allocator-fragmentation", 1.0, 0),
        ("allocator-rss", ratio(rss, used), rss as i64 - used as i64),
        ("rss-overhead", 1.0, 0),
        ("fragmentation", ratio(rss, used), rss as i64 - used as i64),
    ];
    for (name, r, bytes) in rows {
        // `fragmentation` has no `.ratio` suffix in Redis's reply.
        let ratio_name = if name == "fragmentation" {
            name.to_string()
        } else {
            format!("{name}.ratio")
        };
        c.reply.bulk(ratio_name.as_bytes());
        c.reply.double(r);
        c.reply.bulk(format!("{name}.bytes").as_bytes());
        c.reply.int(bytes);
    }
    Ok(())
}
