//! Stream consumer groups: XGROUP, XREADGROUP, XACK, XPENDING, XCLAIM,
//! XAUTOCLAIM and XINFO, differentially against real Redis, in RESP2 and
//! RESP3; consumers blocked on `>` over several connections; what the
//! commands propagate to the append-only file and what its rewrite writes;
//! groups through DUMP/RESTORE and RDB files both ways.
//!
//! Idle times, delivery times and seen-times read the wall clock at the
//! moment each server ran the command, so they are the only values masked
//! (by [`WALL_CLOCK`]); every other byte is compared.

use std::time::Duration;

use crate::util::keyspace::{info_field, wait_until};
use crate::util::*;

/// Milliseconds since the epoch from here on are wall-clock readings.
const EPOCH_MS_FLOOR: i64 = 1_000_000_000_000;

/// Rewrites `r` with its wall-clock values replaced: every integer that is
/// a millisecond timestamp (delivery times, seen-times), every value after
/// an `idle` field, and the idle time (third element) of each XPENDING
/// extended entry `[id, consumer, idle, count]`.
fn unclock(r: &Reply) -> Reply {
    let masked = || Reply::Simple("<wall clock>".into());
    match r {
        Reply::Int(i) if *i >= EPOCH_MS_FLOOR => masked(),
        Reply::Array(items) => {
            let pending_entry = items.len() == 4
                && matches!(items[0], Reply::Bulk(_))
                && matches!(items[1], Reply::Bulk(_))
                && matches!(items[2], Reply::Int(_))
                && matches!(items[3], Reply::Int(_));
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let after_idle = i % 2 == 1 && items[i - 1].bytes() == Some(b"idle".as_slice());
                if (pending_entry && i == 2) || after_idle {
                    out.push(masked());
                } else {
                    out.push(unclock(item));
                }
            }
            Reply::Array(out)
        }
        Reply::Map(pairs) => Reply::Map(
            pairs
                .iter()
                .map(|(k, v)| {
                    let v = if k.bytes() == Some(b"idle".as_slice()) {
                        masked()
                    } else {
                        unclock(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

fn wall_clock(r: &Reply) -> String {
    canon(&unclock(r))
}

/// Idle, delivery and seen times depend on when each server ran the command.
const WALL_CLOCK: Mask = Mask::Custom(wall_clock);

/// A stream `key` with entries 1-1, 2-1 and 3-1 and a group `g` at 0.
fn stream_with_group(key: &str) -> Case {
    Case::new(&format!("setup {key}"))
        .cmd(&["DEL", key])
        .cmd(&["XADD", key, "1-1", "a", "1"])
        .cmd(&["XADD", key, "2-1", "b", "2"])
        .cmd(&["XADD", key, "3-1", "c", "3"])
        .cmd(&["XGROUP", "CREATE", key, "g", "0"])
}

/// What clients learn about the commands from COMMAND.
#[test]
fn command_info_and_docs() {
    let names = [
        "xack",
        "xautoclaim",
        "xclaim",
        "xgroup",
        "xinfo",
        "xpending",
        "xreadgroup",
    ];
    use crate::server_cmds::{COMMAND_DOCS, COMMAND_INFO};
    let mut c = Case::new("COMMAND");
    for name in names {
        // Containers list their subcommands in Redis's hash-table order.
        c = c
            .masked(COMMAND_INFO, &["COMMAND", "INFO", name])
            .masked(COMMAND_DOCS, &["COMMAND", "DOCS", name]);
    }
    for sub in ["xgroup|create", "xinfo|stream", "xgroup|help"] {
        c = c.cmd(&["COMMAND", "INFO", sub]);
    }
    diff(&[c
        .cmd(&[
            "COMMAND",
            "GETKEYS",
            "XREADGROUP",
            "GROUP",
            "g",
            "c",
            "STREAMS",
            "a",
            "b",
            ">",
            ">",
        ])
        .cmd(&["COMMAND", "GETKEYS", "XGROUP", "CREATE", "k", "g", "$"])
        .cmd(&["COMMAND", "GETKEYS", "XINFO", "STREAM", "k"])]);
}

#[test]
fn xgroup_subcommands_and_errors() {
    diff(&[
        stream_with_group("xg:s"),
        case(
            "create",
            &[
                &["XGROUP", "CREATE", "xg:s", "g", "0"],
                &["XGROUP", "CREATE", "xg:s", "last", "$"],
                &["XGROUP", "CREATE", "xg:s", "one", "1-1"],
                &["XGROUP", "CREATE", "xg:s", "one-ms", "1"],
                &["XGROUP", "CREATE", "xg:s", "future", "9-9"],
                &["XGROUP", "CREATE", "xg:s", "er-1", "0", "ENTRIESREAD", "-1"],
                &["XGROUP", "CREATE", "xg:s", "er5", "0", "ENTRIESREAD", "5"],
                &["XGROUP", "CREATE", "xg:s", "er1", "$", "entriesread", "1"],
                &["XGROUP", "CREATE", "xg:s", "x", "0", "ENTRIESREAD", "-2"],
                &["XGROUP", "CREATE", "xg:s", "x", "0", "ENTRIESREAD", "abc"],
                &["XGROUP", "CREATE", "xg:s", "x", "0", "ENTRIESREAD"],
                &[
                    "XGROUP",
                    "CREATE",
                    "xg:s",
                    "mk",
                    "0",
                    "MKSTREAM",
                    "ENTRIESREAD",
                    "2",
                ],
                &["XGROUP", "CREATE", "xg:s", "x", "0", "FOO"],
                &["XGROUP", "CREATE", "xg:s", "x", "0-x"],
                &["XGROUP", "CREATE", "xg:s", "x", "*"],
                &["XGROUP", "CREATE", "xg:s", "x", "-"],
                &["XGROUP", "CREATE", "xg:s", "x", "+"],
                &[
                    "XGROUP",
                    "CREATE",
                    "xg:s",
                    "x",
                    "18446744073709551615-18446744073709551615",
                ],
                &["XGROUP", "CREATE", "xg:none", "g", "0"],
                &["XGROUP", "CREATE", "xg:none", "g", "$", "MKSTREAM"],
                &["TYPE", "xg:none"],
                &["XLEN", "xg:none"],
                &["XGROUP", "CREATE", "xg:s"],
                &["XGROUP", "CREATE", "xg:s", "g"],
                &["XINFO", "GROUPS", "xg:s"],
                &["XINFO", "GROUPS", "xg:none"],
            ],
        ),
        case(
            "setid",
            &[
                &["XGROUP", "SETID", "xg:s", "g", "2-1"],
                &["XGROUP", "SETID", "xg:s", "g", "$"],
                &["XGROUP", "SETID", "xg:s", "one", "0", "ENTRIESREAD", "0"],
                &["XGROUP", "SETID", "xg:s", "one", "3-1", "ENTRIESREAD", "7"],
                &["XGROUP", "SETID", "xg:s", "one", "3-1", "ENTRIESREAD", "-2"],
                &["XGROUP", "SETID", "xg:s", "one", "3-1", "ENTRIESREAD"],
                &["XGROUP", "SETID", "xg:s", "one", "3-1", "FOO", "1"],
                &["XGROUP", "SETID", "xg:s", "one", "3-1", "MKSTREAM"],
                &["XGROUP", "SETID", "xg:s", "nogroup", "0"],
                &["XGROUP", "SETID", "xg:missing", "g", "0"],
                &["XGROUP", "SETID", "xg:s", "g", "bad"],
                &["XINFO", "GROUPS", "xg:s"],
            ],
        ),
        case(
            "consumers and destroy",
            &[
                &["XGROUP", "CREATECONSUMER", "xg:s", "g", "alice"],
                &["XGROUP", "CREATECONSUMER", "xg:s", "g", "alice"],
                &["XGROUP", "CREATECONSUMER", "xg:s", "g", "bob"],
                &["XGROUP", "CREATECONSUMER", "xg:s", "nogroup", "c"],
                &["XGROUP", "CREATECONSUMER", "xg:missing", "g", "c"],
                &["XGROUP", "CREATECONSUMER", "xg:s", "g"],
                &["XGROUP", "DELCONSUMER", "xg:s", "g", "nobody"],
                &["XGROUP", "DELCONSUMER", "xg:s", "g", "bob"],
                &["XGROUP", "DELCONSUMER", "xg:s", "nogroup", "bob"],
                &["XGROUP", "DELCONSUMER", "xg:missing", "g", "bob"],
                &["XGROUP", "DESTROY", "xg:s", "nogroup"],
                &["XGROUP", "DESTROY", "xg:s", "er5"],
                &["XGROUP", "DESTROY", "xg:s", "er5"],
                &["XGROUP", "DESTROY", "xg:missing", "g"],
                &["XGROUP", "DESTROY", "xg:s"],
                &["XGROUP", "DESTROY", "xg:s", "g", "extra"],
                &["XINFO", "GROUPS", "xg:s"],
            ],
        ),
        case(
            "help, unknown subcommands, arity, wrong type",
            &[
                &["XGROUP", "HELP"],
                &["XGROUP", "help"],
                &["XGROUP", "HELP", "extra"],
                &["XGROUP", "FOO"],
                &["XGROUP"],
                &["SET", "xg:str", "x"],
                &["XGROUP", "CREATE", "xg:str", "g", "0"],
                &["XGROUP", "CREATE", "xg:str", "g", "0", "MKSTREAM"],
                &["XGROUP", "SETID", "xg:str", "g", "0"],
                &["XGROUP", "DESTROY", "xg:str", "g"],
                &["XGROUP", "CREATECONSUMER", "xg:str", "g", "c"],
                &["XGROUP", "DELCONSUMER", "xg:str", "g", "c"],
            ],
        ),
    ]);
}

#[test]
fn xreadgroup_reads_new_and_history() {
    diff(&[
        stream_with_group("rg:s"),
        case(
            "new entries, history, NOACK, COUNT",
            &[
                &[
                    "XREADGROUP",
                    "GROUP",
                    "g",
                    "c1",
                    "COUNT",
                    "2",
                    "STREAMS",
                    "rg:s",
                    ">",
                ],
                &["XREADGROUP", "GROUP", "g", "c2", "STREAMS", "rg:s", ">"],
                &["XREADGROUP", "GROUP", "g", "c2", "STREAMS", "rg:s", ">"],
                &["XREADGROUP", "GROUP", "g", "c1", "STREAMS", "rg:s", "0"],
                &[
                    "XREADGROUP",
                    "GROUP",
                    "g",
                    "c1",
                    "COUNT",
                    "1",
                    "STREAMS",
                    "rg:s",
                    "1-1",
                ],
                &["XREADGROUP", "GROUP", "g", "c1", "STREAMS", "rg:s", "2"],
                &["XREADGROUP", "GROUP", "g", "c3", "STREAMS", "rg:s", "0"],
                &[
                    "XREADGROUP",
                    "GROUP",
                    "g",
                    "c1",
                    "COUNT",
                    "0",
                    "STREAMS",
                    "rg:s",
                    "0",
                ],
                &[
                    "XREADGROUP",
                    "GROUP",
                    "g",
                    "c1",
                    "COUNT",
                    "-1",
                    "STREAMS",
                    "rg:s",
                    "0",
                ],
                &["XADD", "rg:s", "4-1", "d", "4"],
                &[
                    "XREADGROUP",
                    "GROUP",
                    "g",
                    "c3",
                    "NOACK",
                    "STREAMS",
                    "rg:s",
                    ">",
                ],
                &["XPENDING", "rg:s", "g"],
                &["XDEL", "rg:s", "2-1"],
                &["XREADGROUP", "GROUP", "g", "c1", "STREAMS", "rg:s", "0"],
                &["XREADGROUP", "GROUP", "g", "c1", "STREAMS", "rg:s", "0-0"],
                &["XINFO", "GROUPS", "rg:s"],
                &["XADD", "rg:t", "5-5", "t", "1"],
                &["XGROUP", "CREATE", "rg:t", "g", "0"],
                &["XADD", "rg:s", "6-1", "e", "6"],
                &[
                    "XREADGROUP",
                    "GROUP",
                    "g",
                    "c4",
                    "STREAMS",
                    "rg:s",
                    "rg:t",
                    ">",
                    ">",
                ],
                &[
                    "XREADGROUP",
                    "GROUP",
                    "g",
                    "c4",
                    "STREAMS",
                    "rg:s",
                    "rg:t",
                    "0",
                    ">",
                ],
                &[
                    "XREADGROUP",
                    "GROUP",
                    "g",
                    "c4",
                    "BLOCK",
                    "10",
                    "STREAMS",
                    "rg:s",
                    "rg:t",
                    ">",
                    ">",
                ],
                &["XINFO", "GROUPS", "rg:t"],
            ],
        ),
        case(
            "errors",
            &[
                &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "rg:s"],
                &["XREADGROUP", "STREAMS", "rg:s", ">"],
                &[
                    "XREADGROUP",
                    "GROUP",
                    "g",
                    "c",
                    "STREAMS",
                    "rg:s",
                    "rg:s",
                    ">",
                ],
                &[
                    "XREADGROUP",
                    "GROUP",
                    "g",
                    "c",
                    "STREAMS",
                    "rg:s",
                    "rg:none",
                    ">",
                    ">",
                ],
                &["XREADGROUP", "GROUP", "nog", "c", "STREAMS", "rg:s", ">"],
                &[
                    "XREADGROUP",
                    "GROUP",
                    "g",
                    "c",
                    "BLOCK",
                    "-1",
                    "STREAMS",
                    "rg:s",
                    ">",
                ],
                &[
                    "XREADGROUP",
                    "GROUP",
                    "g",
                    "c",
                    "BLOCK",
                    "abc",
                    "STREAMS",
                    "rg:s",
                    ">",
                ],
                &[
                    "XREADGROUP",
                    "GROUP",
                    "g",
                    "c",
                    "COUNT",
                    "abc",
                    "STREAMS",
                    "rg:s",
                    ">",
                ],
                &[
                    "XREADGROUP",
                    "GROUP",
                    "g",
                    "c",
                    "FOO",
                    "STREAMS",
                    "rg:s",
                    ">",
                ],
                &["XREADGROUP", "GROUP", "g", "STREAMS", "rg:s", ">"],
                &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "rg:s", "$"],
                &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "rg:s", "+"],
                &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "rg:s", "x-1"],
                &["XREADGROUP", "COUNT", "1", "STREAMS", "rg:s", ">"],
                &["XREAD", "GROUP", "g", "c", "STREAMS", "rg:s", ">"],
                &["SET", "rg:str", "x"],
                &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "rg:str", ">"],
                &["XINFO", "GROUPS", "rg:s"],
            ],
        ),
    ]);
}

#[test]
fn xack_and_xpending() {
    diff(&[
        stream_with_group("pe:s"),
        Case::new("pending")
            .cmd(&["XPENDING", "pe:s", "g"])
            .cmd(&["XPENDING", "pe:s", "g", "-", "+", "10"])
            .cmd(&[
                "XREADGROUP",
                "GROUP",
                "g",
                "alice",
                "COUNT",
                "2",
                "STREAMS",
                "pe:s",
                ">",
            ])
            .cmd(&["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "pe:s", ">"])
            .cmd(&["XPENDING", "pe:s", "g"])
            .masked(WALL_CLOCK, &["XPENDING", "pe:s", "g", "-", "+", "10"])
            .masked(
                WALL_CLOCK,
                &["XPENDING", "pe:s", "g", "-", "+", "10", "alice"],
            )
            .masked(
                WALL_CLOCK,
                &["XPENDING", "pe:s", "g", "-", "+", "10", "nobody"],
            )
            .masked(WALL_CLOCK, &["XPENDING", "pe:s", "g", "-", "+", "1"])
            .masked(WALL_CLOCK, &["XPENDING", "pe:s", "g", "(1-1", "(3-1", "10"])
            .masked(WALL_CLOCK, &["XPENDING", "pe:s", "g", "2", "+", "10"])
            .masked(
                WALL_CLOCK,
                &["XPENDING", "pe:s", "g", "IDLE", "0", "-", "+", "10"],
            )
            .cmd(&["XPENDING", "pe:s", "g", "IDLE", "100000", "-", "+", "10"])
            .cmd(&["XPENDING", "pe:s", "g", "-", "+", "0"])
            .cmd(&["XPENDING", "pe:s", "g", "-", "+", "-1"])
            .masked(
                WALL_CLOCK,
                &["XPENDING", "pe:s", "g", "-", "+", "10", "alice", "extra"],
            )
            .cmd(&["XPENDING", "pe:s", "g", "+", "-", "10"]),
        case(
            "pending errors",
            &[
                &["XPENDING", "pe:s", "g", "-", "+"],
                &["XPENDING", "pe:s", "g", "-"],
                &["XPENDING", "pe:s", "g", "-", "+", "x"],
                &["XPENDING", "pe:s", "g", "x", "+", "10"],
                &["XPENDING", "pe:s", "g", "-", "(x", "10"],
                &["XPENDING", "pe:s", "g", "(-", "+", "10"],
                &["XPENDING", "pe:s", "g", "-", "(+", "10"],
                &["XPENDING", "pe:s", "g", "IDLE", "x", "-", "+", "1"],
                &["XPENDING", "pe:s", "g", "IDLE", "-1", "-", "+", "0"],
                &["XPENDING", "pe:s", "g", "IDLE", "10"],
                &["XPENDING", "pe:s", "nog"],
                &["XPENDING", "pe:none", "g"],
                &["XPENDING", "pe:none", "g", "-", "+", "10"],
                &["XPENDING", "pe:s"],
                &["SET", "pe:str", "x"],
                &["XPENDING", "pe:str", "g"],
            ],
        ),
        case(
            "ack",
            &[
                &["XACK", "pe:s", "g", "1-1", "1-1", "9-9"],
                &["XACK", "pe:s", "g", "1-1"],
                &["XACK", "pe:s", "nog", "2-1"],
                &["XACK", "pe:none", "g", "2-1"],
                &["XACK", "pe:s", "g", "2-1", "x"],
                &["XACK", "pe:s", "g"],
                &["XACK", "pe:str", "g", "1-1"],
                &["XPENDING", "pe:s", "g"],
                &["XINFO", "CONSUMERS", "pe:s", "nog"],
                &["XGROUP", "DELCONSUMER", "pe:s", "g", "bob"],
                &["XPENDING", "pe:s", "g"],
                &["XACK", "pe:s", "g", "2"],
                &["XPENDING", "pe:s", "g"],
            ],
        ),
    ]);
}

#[test]
fn xclaim_and_xautoclaim() {
    diff(&[
        stream_with_group("cl:s"),
        Case::new("claim")
            .cmd(&["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "cl:s", ">"])
            .cmd(&["XCLAIM", "cl:s", "g", "bob", "0", "1-1"])
            .cmd(&["XCLAIM", "cl:s", "g", "bob", "3600000", "2-1"])
            .cmd(&["XCLAIM", "cl:s", "g", "bob", "0", "2-1", "JUSTID"])
            .cmd(&[
                "XCLAIM",
                "cl:s",
                "g",
                "bob",
                "0",
                "2-1",
                "3-1",
                "9-9",
                "TIME",
                "1000",
                "RETRYCOUNT",
                "7",
            ])
            .masked(WALL_CLOCK, &["XPENDING", "cl:s", "g", "-", "+", "10"])
            .cmd(&[
                "XCLAIM", "cl:s", "g", "carol", "0", "2-1", "IDLE", "5000", "JUSTID",
            ])
            .cmd(&["XCLAIM", "cl:s", "g", "carol", "0", "9-9", "FORCE"])
            .cmd(&["XADD", "cl:s", "4-1", "d", "4"])
            .cmd(&["XCLAIM", "cl:s", "g", "carol", "0", "4-1"])
            .cmd(&["XCLAIM", "cl:s", "g", "carol", "0", "4-1", "FORCE"])
            .cmd(&[
                "XCLAIM", "cl:s", "g", "carol", "0", "4-1", "FORCE", "JUSTID", "LASTID", "8-8",
            ])
            .cmd(&["XINFO", "GROUPS", "cl:s"])
            .cmd(&["XCLAIM", "cl:s", "g", "carol", "0", "1-1", "LASTID", "2-2"])
            .cmd(&["XINFO", "GROUPS", "cl:s"])
            .cmd(&["XDEL", "cl:s", "3-1"])
            .cmd(&["XCLAIM", "cl:s", "g", "dave", "0", "3-1"])
            .cmd(&["XPENDING", "cl:s", "g"])
            .masked(WALL_CLOCK, &["XINFO", "CONSUMERS", "cl:s", "g"]),
        case(
            "claim errors",
            &[
                &["XCLAIM", "cl:s", "g", "bob", "0"],
                &["XCLAIM", "cl:s", "g", "bob", "x", "1-1"],
                &["XCLAIM", "cl:s", "g", "bob", "-1", "1-1"],
                &["XCLAIM", "cl:s", "g", "bob", "0", "x"],
                &["XCLAIM", "cl:s", "g", "bob", "0", "1-1", "IDLE"],
                &["XCLAIM", "cl:s", "g", "bob", "0", "1-1", "IDLE", "x"],
                &["XCLAIM", "cl:s", "g", "bob", "0", "1-1", "TIME", "x"],
                &["XCLAIM", "cl:s", "g", "bob", "0", "1-1", "RETRYCOUNT", "x"],
                &[
                    "XCLAIM",
                    "cl:s",
                    "g",
                    "bob",
                    "0",
                    "1-1",
                    "RETRYCOUNT",
                    "-1",
                    "JUSTID",
                ],
                &["XCLAIM", "cl:s", "g", "bob", "0", "1-1", "LASTID", "x"],
                &["XCLAIM", "cl:s", "g", "bob", "0", "1-1", "FOO"],
                &["XCLAIM", "cl:s", "nog", "bob", "0", "1-1"],
                &["XCLAIM", "cl:none", "g", "bob", "0", "1-1"],
                &["SET", "cl:str", "x"],
                &["XCLAIM", "cl:str", "g", "bob", "0", "1-1"],
            ],
        ),
        Case::new("a negative RETRYCOUNT counts deliveries as without one")
            .cmd(&["XCLAIM", "cl:s", "g", "bob", "0", "1-1", "RETRYCOUNT", "-5"])
            .masked(WALL_CLOCK, &["XPENDING", "cl:s", "g", "-", "+", "10"]),
        stream_with_group("ac:s"),
        Case::new("autoclaim")
            .cmd(&["XADD", "ac:s", "4-1", "d", "4"])
            .cmd(&["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "ac:s", ">"])
            .cmd(&["XAUTOCLAIM", "ac:s", "g", "bob", "3600000", "0"])
            .cmd(&["XAUTOCLAIM", "ac:s", "g", "bob", "0", "0", "COUNT", "1"])
            .cmd(&[
                "XAUTOCLAIM",
                "ac:s",
                "g",
                "bob",
                "0",
                "(1-1",
                "COUNT",
                "2",
                "JUSTID",
            ])
            .cmd(&["XDEL", "ac:s", "2-1", "4-1"])
            .cmd(&["XAUTOCLAIM", "ac:s", "g", "carol", "0", "-"])
            .cmd(&["XAUTOCLAIM", "ac:s", "g", "carol", "0", "0", "JUSTID"])
            .cmd(&["XPENDING", "ac:s", "g"])
            .masked(WALL_CLOCK, &["XPENDING", "ac:s", "g", "-", "+", "10"])
            .cmd(&["XAUTOCLAIM", "ac:s", "g", "carol", "0", "9-9"]),
        case(
            "autoclaim errors",
            &[
                &["XAUTOCLAIM", "ac:s", "g", "bob", "0"],
                &["XAUTOCLAIM", "ac:s", "g", "bob", "x", "0"],
                &["XAUTOCLAIM", "ac:s", "g", "bob", "-1", "0"],
                &["XAUTOCLAIM", "ac:s", "g", "bob", "0", "x"],
                &["XAUTOCLAIM", "ac:s", "g", "bob", "0", "(x"],
                &["XAUTOCLAIM", "ac:s", "g", "bob", "0", "0", "COUNT", "0"],
                &["XAUTOCLAIM", "ac:s", "g", "bob", "0", "0", "COUNT", "-1"],
                &["XAUTOCLAIM", "ac:s", "g", "bob", "0", "0", "COUNT", "x"],
                &[
                    "XAUTOCLAIM",
                    "ac:s",
                    "g",
                    "bob",
                    "0",
                    "0",
                    "COUNT",
                    "1000000000",
                ],
                &["XAUTOCLAIM", "ac:s", "g", "bob", "0", "0", "COUNT"],
                &["XAUTOCLAIM", "ac:s", "g", "bob", "0", "0", "FOO"],
                &["XAUTOCLAIM", "ac:s", "nog", "bob", "0", "0"],
                &["XAUTOCLAIM", "ac:none", "g", "bob", "0", "0"],
                &["SET", "ac:str", "x"],
                &["XAUTOCLAIM", "ac:str", "g", "bob", "0", "0"],
            ],
        ),
    ]);
}

/// The XINFO commands over one stream with groups, consumers and pending
/// entries, in `proto` (2 or 3).
fn xinfo_cases(proto: &str) -> Vec<Case> {
    let hello = ["HELLO", proto];
    let k = format!("xi{proto}:s");
    let k = k.as_str();
    vec![
        stream_with_group(k),
        Case::new(&format!("xinfo RESP{proto}"))
            .masked(Mask::Shape, &hello)
            .cmd(&["XGROUP", "CREATE", k, "late", "$"])
            .cmd(&["XGROUP", "CREATE", k, "future", "7-7"])
            .cmd(&[
                "XREADGROUP",
                "GROUP",
                "g",
                "alice",
                "COUNT",
                "2",
                "STREAMS",
                k,
                ">",
            ])
            .cmd(&["XREADGROUP", "GROUP", "g", "bob", "STREAMS", k, ">"])
            .cmd(&["XGROUP", "CREATECONSUMER", k, "g", "idle-one"])
            .cmd(&["XDEL", k, "2-1"])
            .cmd(&["XINFO", "GROUPS", k])
            .cmd(&["XREADGROUP", "GROUP", "g", "alice", "STREAMS", k, "0"])
            .cmd(&["XPENDING", k, "late"])
            .cmd(&["XPENDING", k, "g"])
            .masked(WALL_CLOCK, &["XPENDING", k, "g", "-", "+", "10"])
            .cmd(&[
                "XREADGROUP",
                "GROUP",
                "late",
                "x",
                "BLOCK",
                "10",
                "STREAMS",
                k,
                ">",
            ])
            .masked(WALL_CLOCK, &["XINFO", "CONSUMERS", k, "g"])
            .cmd(&["XINFO", "CONSUMERS", k, "late"])
            .cmd(&["XINFO", "STREAM", k])
            .masked(WALL_CLOCK, &["XINFO", "STREAM", k, "FULL"])
            .masked(WALL_CLOCK, &["XINFO", "STREAM", k, "FULL", "COUNT", "1"])
            .masked(WALL_CLOCK, &["XINFO", "STREAM", k, "FULL", "COUNT", "0"])
            .masked(WALL_CLOCK, &["XINFO", "STREAM", k, "FULL", "COUNT", "-1"])
            .cmd(&["XINFO", "STREAM", k, "FULL", "COUNT", "x"])
            .cmd(&["XINFO", "STREAM", k, "FULL", "COUNT"])
            .cmd(&["XINFO", "STREAM", k, "FULL", "FOO", "1"])
            .cmd(&["XINFO", "STREAM", k, "PARTIAL"])
            .cmd(&["XINFO", "STREAM", "xi:none"])
            .cmd(&["XINFO", "GROUPS", "xi:none"])
            .cmd(&["XINFO", "CONSUMERS", "xi:none", "g"])
            .cmd(&["XINFO", "CONSUMERS", k, "nog"])
            .cmd(&["XINFO", "CONSUMERS", k])
            .cmd(&["XINFO", "STREAM"])
            .cmd(&["XINFO", "HELP"])
            .cmd(&["XINFO", "FOO"])
            .cmd(&["XINFO"])
            .cmd(&["SET", "xi:str", "x"])
            .cmd(&["XINFO", "STREAM", "xi:str"])
            .cmd(&["XINFO", "GROUPS", "xi:str"])
            .cmd(&["XINFO", "CONSUMERS", "xi:str", "g"])
            .cmd(&["XCLAIM", k, "g", "carol", "0", "1-1", "2-1", "3-1"])
            .cmd(&["XAUTOCLAIM", k, "g", "dave", "0", "0"])
            .cmd(&["XAUTOCLAIM", k, "g", "dave", "0", "0", "JUSTID"])
            .masked(WALL_CLOCK, &["XINFO", "STREAM", k, "FULL"]),
    ]
}

#[test]
fn xinfo_resp2_and_resp3() {
    let mut cases = xinfo_cases("2");
    cases.extend(xinfo_cases("3"));
    diff(&cases);
}

/// `entries-read` and `lag` through reads, deletions, trims and SETID,
/// including the states in which Redis reports them as nil.
#[test]
fn entries_read_and_lag() {
    diff(&[case(
        "lag",
        &[
            &["XGROUP", "CREATE", "lag:s", "g", "$", "MKSTREAM"],
            &["XINFO", "GROUPS", "lag:s"],
            &["XADD", "lag:s", "1-0", "f", "v"],
            &["XADD", "lag:s", "2-0", "f", "v"],
            &["XADD", "lag:s", "3-0", "f", "v"],
            &["XADD", "lag:s", "4-0", "f", "v"],
            &["XADD", "lag:s", "5-0", "f", "v"],
            &["XGROUP", "CREATE", "lag:s", "h", "0"],
            &["XGROUP", "CREATE", "lag:s", "i", "3-0"],
            &["XINFO", "GROUPS", "lag:s"],
            &[
                "XREADGROUP",
                "GROUP",
                "g",
                "c",
                "COUNT",
                "1",
                "STREAMS",
                "lag:s",
                ">",
            ],
            &[
                "XREADGROUP",
                "GROUP",
                "h",
                "c",
                "COUNT",
                "2",
                "STREAMS",
                "lag:s",
                ">",
            ],
            &["XINFO", "GROUPS", "lag:s"],
            &["XDEL", "lag:s", "3-0"],
            &["XINFO", "GROUPS", "lag:s"],
            &[
                "XREADGROUP",
                "GROUP",
                "h",
                "c",
                "COUNT",
                "1",
                "STREAMS",
                "lag:s",
                ">",
            ],
            &["XINFO", "GROUPS", "lag:s"],
            &["XDEL", "lag:s", "1-0"],
            &["XINFO", "GROUPS", "lag:s"],
            &["XREADGROUP", "GROUP", "i", "c", "STREAMS", "lag:s", ">"],
            &["XGROUP", "SETID", "lag:s", "g", "0"],
            &["XINFO", "GROUPS", "lag:s"],
            &["XGROUP", "SETID", "lag:s", "g", "$"],
            &["XINFO", "GROUPS", "lag:s"],
            &["XGROUP", "SETID", "lag:s", "g", "5-0", "ENTRIESREAD", "2"],
            &["XINFO", "GROUPS", "lag:s"],
            &["XTRIM", "lag:s", "MAXLEN", "0"],
            &["XINFO", "GROUPS", "lag:s"],
            &["XADD", "lag:s", "6-0", "f", "v"],
            &["XINFO", "GROUPS", "lag:s"],
            &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "lag:s", ">"],
            &["XINFO", "GROUPS", "lag:s"],
        ],
    )]);
}

/// Keyspace events of the group commands, as a subscriber receives them.
#[test]
fn group_keyspace_events() {
    let mut pair = Pair::start_with(&["--notify-keyspace-events", "KEA"]);
    pair.scenario("events", |srv, t| {
        let mut sub = srv.conn();
        sub.call(&["PSUBSCRIBE", "__key*__:*"]);
        let mut c = srv.conn();
        for cmd in [
            &["XGROUP", "CREATE", "ev:s", "g", "$", "MKSTREAM"][..],
            &["XADD", "ev:s", "1-1", "f", "v"],
            &["XGROUP", "CREATECONSUMER", "ev:s", "g", "alice"],
            &["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "ev:s", ">"],
            &["XCLAIM", "ev:s", "g", "carol", "0", "1-1"],
            &["XAUTOCLAIM", "ev:s", "g", "dave", "0", "0"],
            &["XACK", "ev:s", "g", "1-1"],
            &["XGROUP", "SETID", "ev:s", "g", "0"],
            &["XGROUP", "DELCONSUMER", "ev:s", "g", "alice"],
            &["XGROUP", "DESTROY", "ev:s", "g"],
            &["PING"],
        ] {
            t.call(&mut c, cmd);
        }
        // Every event up to PING's absence: read until the DESTROY pair.
        loop {
            let raw = sub.read_reply();
            t.reply("event", Mask::Exact, &raw);
            if escape(&raw).contains("xgroup-destroy") && escape(&raw).contains("__keyevent") {
                break;
            }
        }
    });
}

/// Waits until the server counts `n` blocked clients.
fn until_blocked(admin: &mut Conn, n: usize) {
    let want = n.to_string();
    assert!(
        wait_until(Duration::from_secs(5), || {
            info_field(admin, "clients", "blocked_clients").as_deref() == Some(want.as_str())
        }),
        "{n} clients never blocked"
    );
}

#[test]
fn blocked_consumers_served_by_xadd() {
    Pair::start().scenario("served by XADD", |srv, t| {
        let (mut a, mut b, mut admin) = (srv.conn(), srv.conn(), srv.conn());
        t.call(
            &mut admin,
            &["XGROUP", "CREATE", "bl:s", "g", "$", "MKSTREAM"],
        );
        a.cmd(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "alice",
            "BLOCK",
            "0",
            "STREAMS",
            "bl:s",
            ">",
        ]);
        until_blocked(&mut admin, 1);
        b.cmd(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "bob",
            "BLOCK",
            "0",
            "STREAMS",
            "bl:s",
            ">",
        ]);
        until_blocked(&mut admin, 2);
        t.call(&mut admin, &["XADD", "bl:s", "1-1", "f", "v"]);
        t.reply("alice served", Mask::Exact, &a.read_reply());
        t.call(&mut admin, &["XADD", "bl:s", "2-1", "f", "v"]);
        t.reply("bob served", Mask::Exact, &b.read_reply());
        t.call(&mut admin, &["XPENDING", "bl:s", "g"]);
        // Two entries in one MULTI serve the waiting consumer both at once.
        a.cmd(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "alice",
            "BLOCK",
            "0",
            "STREAMS",
            "bl:s",
            ">",
        ]);
        until_blocked(&mut admin, 1);
        t.call(&mut admin, &["MULTI"]);
        t.call(&mut admin, &["XADD", "bl:s", "3-1", "f", "v"]);
        t.call(&mut admin, &["XADD", "bl:s", "4-1", "f", "v"]);
        t.call(&mut admin, &["EXEC"]);
        t.reply("alice served twice", Mask::Exact, &a.read_reply());
        // A history read never blocks.
        t.call(
            &mut a,
            &[
                "XREADGROUP",
                "GROUP",
                "g",
                "alice",
                "BLOCK",
                "0",
                "STREAMS",
                "bl:s",
                "0",
            ],
        );
        // A NOACK reader served by XADD leaves nothing pending.
        a.cmd(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "carol",
            "NOACK",
            "BLOCK",
            "0",
            "STREAMS",
            "bl:s",
            ">",
        ]);
        until_blocked(&mut admin, 1);
        t.call(&mut admin, &["XADD", "bl:s", "5-1", "f", "v"]);
        t.reply("carol served", Mask::Exact, &a.read_reply());
        t.call(&mut admin, &["XPENDING", "bl:s", "g"]);
        t.call(&mut admin, &["XINFO", "GROUPS", "bl:s"]);
        // Two consumers of one group and one of another wait on the key:
        // one entry serves the first of the group and the other group's.
        t.call(&mut admin, &["XGROUP", "CREATE", "bl:s", "h", "$"]);
        let mut c3 = srv.conn();
        for (n, (conn, group, consumer)) in [
            (&mut a, "g", "alice"),
            (&mut b, "g", "bob"),
            (&mut c3, "h", "hank"),
        ]
        .into_iter()
        .enumerate()
        {
            conn.cmd(&[
                "XREADGROUP",
                "GROUP",
                group,
                consumer,
                "BLOCK",
                "0",
                "STREAMS",
                "bl:s",
                ">",
            ]);
            until_blocked(&mut admin, n + 1);
        }
        t.call(&mut admin, &["XADD", "bl:s", "6-1", "f", "v"]);
        t.reply("alice served", Mask::Exact, &a.read_reply());
        t.reply("hank served", Mask::Exact, &c3.read_reply());
        until_blocked(&mut admin, 1);
        t.call(&mut admin, &["XADD", "bl:s", "7-1", "f", "v"]);
        t.reply("bob served", Mask::Exact, &b.read_reply());
    });
}

#[test]
fn blocked_consumer_timeouts() {
    Pair::start().scenario("timeouts in RESP2 and RESP3", |srv, t| {
        let mut a = srv.conn();
        t.call(&mut a, &["XGROUP", "CREATE", "bt:s", "g", "$", "MKSTREAM"]);
        t.call(
            &mut a,
            &[
                "XREADGROUP",
                "GROUP",
                "g",
                "c",
                "BLOCK",
                "50",
                "STREAMS",
                "bt:s",
                ">",
            ],
        );
        t.call_masked(&mut a, Mask::Shape, &["HELLO", "3"]);
        t.call(
            &mut a,
            &[
                "XREADGROUP",
                "GROUP",
                "g",
                "c",
                "BLOCK",
                "50",
                "STREAMS",
                "bt:s",
                ">",
            ],
        );
        t.call(&mut a, &["XINFO", "CONSUMERS", "bt:s", "g"]);
        // Inside MULTI a blocking read answers at once.
        t.call(&mut a, &["MULTI"]);
        t.call(
            &mut a,
            &[
                "XREADGROUP",
                "GROUP",
                "g",
                "c",
                "BLOCK",
                "0",
                "STREAMS",
                "bt:s",
                ">",
            ],
        );
        t.call(&mut a, &["EXEC"]);
        // CLIENT UNBLOCK ends the wait as a timeout, or with an error.
        let mut admin = srv.conn();
        for how in ["TIMEOUT", "ERROR"] {
            let mut b = srv.conn();
            let b_id = b.call_parsed(&["CLIENT", "ID"]).int().unwrap_or(0);
            b.cmd(&[
                "XREADGROUP",
                "GROUP",
                "g",
                "c",
                "BLOCK",
                "0",
                "STREAMS",
                "bt:s",
                ">",
            ]);
            until_blocked(&mut admin, 1);
            admin.call(&["CLIENT", "UNBLOCK", &b_id.to_string(), how]);
            t.reply(how, Mask::Exact, &b.read_reply());
        }
    });
}

/// A reader blocked on a stream or group that goes away is woken with an error.
#[test]
fn blocked_consumer_woken_by_deletion() {
    Pair::start().scenario("stream deleted, group destroyed", |srv, t| {
        let (mut a, mut admin) = (srv.conn(), srv.conn());
        t.call(
            &mut admin,
            &["XGROUP", "CREATE", "bd:s", "g", "$", "MKSTREAM"],
        );
        a.cmd(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "c",
            "BLOCK",
            "0",
            "STREAMS",
            "bd:s",
            ">",
        ]);
        until_blocked(&mut admin, 1);
        t.call(&mut admin, &["DEL", "bd:s"]);
        t.reply("stream deleted", Mask::Exact, &a.read_reply());
        t.call(
            &mut admin,
            &["XGROUP", "CREATE", "bd:s", "g", "$", "MKSTREAM"],
        );
        a.cmd(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "c",
            "BLOCK",
            "0",
            "STREAMS",
            "bd:s",
            ">",
        ]);
        until_blocked(&mut admin, 1);
        t.call(&mut admin, &["XGROUP", "DESTROY", "bd:s", "g"]);
        t.reply("group destroyed", Mask::Exact, &a.read_reply());
        t.call(&mut admin, &["XGROUP", "CREATE", "bd:s", "g", "$"]);
        a.cmd(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "c",
            "BLOCK",
            "0",
            "STREAMS",
            "bd:s",
            ">",
        ]);
        until_blocked(&mut admin, 1);
        t.call(&mut admin, &["FLUSHALL"]);
        t.reply("flushed", Mask::Exact, &a.read_reply());
        t.call(&mut a, &["PING"]);
        // Expiry deletes the stream under the reader (active expiry, no
        // command touches it).
        t.call(
            &mut admin,
            &["XGROUP", "CREATE", "bd:s", "g", "$", "MKSTREAM"],
        );
        t.call(&mut admin, &["PEXPIRE", "bd:s", "100"]);
        a.cmd(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "c",
            "BLOCK",
            "0",
            "STREAMS",
            "bd:s",
            ">",
        ]);
        t.reply("expired", Mask::Exact, &a.read_reply());
        // A replaced stream.
        t.call(
            &mut admin,
            &["XGROUP", "CREATE", "bd:s", "g", "$", "MKSTREAM"],
        );
        a.cmd(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "c",
            "BLOCK",
            "0",
            "STREAMS",
            "bd:s",
            ">",
        ]);
        until_blocked(&mut admin, 1);
        t.call(&mut admin, &["SET", "bd:s", "x"]);
        t.reply("replaced", Mask::Exact, &a.read_reply());
        // Swapped away.
        t.call(&mut admin, &["DEL", "bd:s"]);
        t.call(
            &mut admin,
            &["XGROUP", "CREATE", "bd:s", "g", "$", "MKSTREAM"],
        );
        a.cmd(&[
            "XREADGROUP",
            "GROUP",
            "g",
            "c",
            "BLOCK",
            "0",
            "STREAMS",
            "bd:s",
            ">",
        ]);
        until_blocked(&mut admin, 1);
        t.call(&mut admin, &["SWAPDB", "0", "1"]);
        t.reply("swapped", Mask::Exact, &a.read_reply());
    });
}

/// Two consumers share one group: each entry goes to one of them; the
/// entries of one that stopped are taken over by XAUTOCLAIM once idle.
#[test]
fn two_consumers_and_autoclaim_after_idle() {
    Pair::start().scenario("work sharing", |srv, t| {
        let (mut a, mut b) = (srv.conn(), srv.conn());
        t.call(&mut a, &["XGROUP", "CREATE", "ws:s", "g", "$", "MKSTREAM"]);
        for i in 1..=6 {
            t.call(
                &mut a,
                &["XADD", "ws:s", &format!("{i}-0"), "job", &i.to_string()],
            );
        }
        t.call(
            &mut a,
            &[
                "XREADGROUP",
                "GROUP",
                "g",
                "a",
                "COUNT",
                "2",
                "STREAMS",
                "ws:s",
                ">",
            ],
        );
        t.call(
            &mut b,
            &[
                "XREADGROUP",
                "GROUP",
                "g",
                "b",
                "COUNT",
                "2",
                "STREAMS",
                "ws:s",
                ">",
            ],
        );
        t.call(&mut a, &["XACK", "ws:s", "g", "1-0", "2-0"]);
        t.call(
            &mut a,
            &[
                "XREADGROUP",
                "GROUP",
                "g",
                "a",
                "COUNT",
                "2",
                "STREAMS",
                "ws:s",
                ">",
            ],
        );
        std::thread::sleep(Duration::from_millis(30));
        t.call(
            &mut a,
            &["XAUTOCLAIM", "ws:s", "g", "a", "20", "0", "COUNT", "1"],
        );
        t.call(&mut a, &["XAUTOCLAIM", "ws:s", "g", "a", "20", "0"]);
        t.call(&mut a, &["XAUTOCLAIM", "ws:s", "g", "a", "60000", "0"]);
        t.call(&mut a, &["XPENDING", "ws:s", "g"]);
        t.call_masked(
            &mut a,
            WALL_CLOCK,
            &["XPENDING", "ws:s", "g", "IDLE", "20", "-", "+", "10"],
        );
        t.call_masked(&mut a, WALL_CLOCK, &["XINFO", "CONSUMERS", "ws:s", "g"]);
    });
}

/// The server's AOF directory files with `suffix`, oldest first, as one text.
fn aof_text(srv: &Server, suffix: &str) -> String {
    let dir = srv.dir().join("appendonlydir");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("aof dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned())
        .collect()
}

/// AOF text with each `TIME <ms>` argument's value masked: the delivery
/// times written are the wall clock of each server.
fn mask_times(aof: &str) -> String {
    let mut out = Vec::new();
    let mut after_time = false;
    for line in aof.split("\r\n") {
        if after_time && !line.starts_with('$') {
            out.push("<ms>");
            after_time = false;
            continue;
        }
        if line == "TIME" {
            after_time = true;
        }
        out.push(line);
    }
    // The bulk header of the masked value carries its length: drop headers.
    out.into_iter()
        .filter(|l| !l.starts_with('$'))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A rewritten AOF (as [`mask_times`] shows it) with each key's run of
/// commands in key order: a rewrite walks the keyspace in hash-table order,
/// which differs between the servers; each key's own commands keep theirs.
fn by_key(aof: &str) -> String {
    let mut blocks: Vec<(String, String)> = Vec::new();
    for cmd in aof.split('*').filter(|c| !c.trim().is_empty()) {
        let words: Vec<&str> = cmd.split_whitespace().collect();
        let key = match words.get(1).copied() {
            Some("XGROUP") => words.get(3),
            _ => words.get(2),
        };
        let key = key.copied().unwrap_or_default().to_string();
        match blocks.last_mut() {
            Some((k, text)) if *k == key => text.push_str(&format!("*{cmd}")),
            _ => blocks.push((key, format!("*{cmd}"))),
        }
    }
    let head = blocks
        .iter()
        .position(|(k, _)| k != "0")
        .unwrap_or(blocks.len());
    blocks[head..].sort_by(|a, b| a.0.cmp(&b.0));
    blocks.into_iter().map(|(_, text)| text).collect()
}

/// What the group commands write to the AOF, and what a rewrite writes for
/// groups, consumers and pending entries (`aof-use-rdb-preamble no`).
#[test]
fn propagation_and_rewrite() {
    let mut pair = Pair::start_with(&[
        "--appendonly",
        "yes",
        "--aof-use-rdb-preamble",
        "no",
        "--enable-debug-command",
        "yes",
    ]);
    pair.scenario("aof", |srv, t| {
        let mut c = srv.conn();
        for cmd in [
            &["XADD", "ao:s", "1-1", "a", "1"][..],
            &["XADD", "ao:s", "2-1", "b", "2"],
            &["XGROUP", "CREATE", "ao:s", "g", "0"],
            &[
                "XREADGROUP",
                "GROUP",
                "g",
                "c",
                "NOACK",
                "STREAMS",
                "ao:s",
                ">",
            ],
            &["XADD", "ao:s", "3-1", "c", "3"],
            &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "ao:s", ">"],
            &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "ao:s", ">"],
            &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "ao:s", "0"],
            &["XCLAIM", "ao:s", "g", "d", "0", "3-1"],
            &["XCLAIM", "ao:s", "g", "d", "0", "3-1", "JUSTID"],
            &[
                "XCLAIM",
                "ao:s",
                "g",
                "e",
                "0",
                "3-1",
                "TIME",
                "1000",
                "RETRYCOUNT",
                "7",
            ],
            &["XCLAIM", "ao:s", "g", "e", "0", "2-1", "FORCE"],
            &["XCLAIM", "ao:s", "g", "e", "0", "9-1", "FORCE"],
            &["XCLAIM", "ao:s", "g", "e", "0", "3-1", "LASTID", "5-5"],
            &["XDEL", "ao:s", "2-1"],
            &["XAUTOCLAIM", "ao:s", "g", "f", "0", "0", "JUSTID"],
            &["XAUTOCLAIM", "ao:s", "g", "f", "0", "0"],
            &["XGROUP", "CREATECONSUMER", "ao:s", "g", "lonely"],
            &["XGROUP", "CREATE", "ao:s", "g2", "0"],
            &["XGROUP", "CREATE", "ao:s", "g3", "$", "ENTRIESREAD", "1"],
            &["XGROUP", "CREATE", "ao:e", "ge", "0", "MKSTREAM"],
            &["XACK", "ao:s", "g", "9-9"],
            &["XGROUP", "SETID", "ao:s", "g2", "$", "ENTRIESREAD", "3"],
            &["XGROUP", "DELCONSUMER", "ao:s", "g", "c"],
            &["XGROUP", "DESTROY", "ao:s", "g3"],
            &["XCLAIM", "ao:s", "g", "x", "0", "1-1", "LASTID", "9-9"],
            &["XCLAIM", "ao:s", "g", "x", "0", "7-7", "LASTID", "10-10"],
            &["XREADGROUP", "GROUP", "g", "newbie", "STREAMS", "ao:s", "0"],
            &["XGROUP", "CREATE", "ao:b", "g", "$", "MKSTREAM"],
        ] {
            t.call(&mut c, cmd);
        }
        // A blocked consumer served by an XADD: its delivery is propagated
        // after the XADD, as XCLAIMs, and a NOACK one as SETID.
        let mut waiter = srv.conn();
        for (consumer, noack) in [("w1", false), ("w2", true)] {
            let mut read = vec!["XREADGROUP", "GROUP", "g", consumer];
            if noack {
                read.push("NOACK");
            }
            read.extend(["BLOCK", "0", "STREAMS", "ao:b", ">"]);
            waiter.cmd(&read);
            until_blocked(&mut c, 1);
            let id = if noack { "2-2" } else { "1-1" };
            t.call(&mut c, &["XADD", "ao:b", id, "f", "v"]);
            t.reply("served", Mask::Exact, &waiter.read_reply());
        }
        t.note("incremental AOF", mask_times(&aof_text(srv, ".incr.aof")));
        t.call(&mut c, &["BGREWRITEAOF"]);
        assert!(
            wait_until(Duration::from_secs(10), || {
                info_field(&mut c, "persistence", "aof_rewrite_in_progress").as_deref() == Some("0")
                    && info_field(&mut c, "persistence", "aof_rewrite_scheduled").as_deref()
                        == Some("0")
                    && aof_text(srv, ".base.aof").contains("XGROUP")
            }),
            "rewrite never finished"
        );
        t.note(
            "rewritten base",
            by_key(&mask_times(&aof_text(srv, ".base.aof"))),
        );
        t.call(&mut c, &["DEBUG", "LOADAOF"]);
        t.call_masked(&mut c, WALL_CLOCK, &["XINFO", "STREAM", "ao:s", "FULL"]);
    });
}

/// Commands that build streams with groups, consumers and pending entries.
fn group_fill(c: &mut Conn) {
    for cmd in [
        &["XADD", "rd:s", "1-1", "a", "1"][..],
        &["XADD", "rd:s", "2-1", "b", "2"],
        &["XADD", "rd:s", "3-1", "c", "3"],
        &["XGROUP", "CREATE", "rd:s", "g", "0"],
        &["XGROUP", "CREATE", "rd:s", "late", "$", "ENTRIESREAD", "2"],
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "alice",
            "COUNT",
            "2",
            "STREAMS",
            "rd:s",
            ">",
        ],
        &[
            "XCLAIM",
            "rd:s",
            "g",
            "bob",
            "0",
            "2-1",
            "TIME",
            "1234567890123",
            "RETRYCOUNT",
            "4",
        ],
        &["XGROUP", "CREATECONSUMER", "rd:s", "g", "idle"],
        &["XDEL", "rd:s", "3-1"],
        &["XGROUP", "CREATE", "rd:e", "g", "$", "MKSTREAM"],
    ] {
        let reply = c.call(cmd);
        assert!(!reply.starts_with(b"-"), "{cmd:?}: {}", escape(&reply));
    }
}

/// XINFO STREAM FULL (wall-clock fields masked) and DEBUG DIGEST-VALUE.
fn group_observe(c: &mut Conn) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for key in ["rd:s", "rd:e"] {
        out.push(wall_clock(&c.call_parsed(&["XINFO", "STREAM", key, "FULL"])).into_bytes());
        out.push(c.call(&["DEBUG", "DIGEST-VALUE", key]));
        out.push(c.call(&["XPENDING", key, "g"]));
    }
    out.push(c.call(&["DEBUG", "DIGEST"]));
    out
}

#[test]
fn rdb_files_with_groups_both_ways() {
    let seen = server::rdb_files_both_ways("xgroups", group_fill, group_observe);
    assert!(String::from_utf8_lossy(&seen[0]).contains("alice"));
}

#[test]
fn dump_restore_with_groups_both_ways() {
    let pair = Pair::start_with(&["--enable-debug-command", "yes"]);
    let (mut r, mut f) = (pair.redis.conn(), pair.ferrodis.conn());
    for redis_first in [true, false] {
        let (from, to) = if redis_first {
            (&mut r, &mut f)
        } else {
            (&mut f, &mut r)
        };
        from.call(&["FLUSHALL"]);
        to.call(&["FLUSHALL"]);
        group_fill(from);
        for key in ["rd:s", "rd:e"] {
            let payload = from.call_parsed(&["DUMP", key]);
            let payload = payload.bytes().expect("a payload").to_vec();
            assert_eq!(
                to.call(&[b"RESTORE".as_slice(), key.as_bytes(), b"0", &payload]),
                b"+OK\r\n",
                "{key}"
            );
            // Both servers write the same bytes for the same stream.
            assert_eq!(from.call(&["DUMP", key]), to.call(&["DUMP", key]), "{key}");
        }
        assert_eq!(group_observe(from), group_observe(to));
    }
}

#[test]
fn memory_usage_and_digest_count_groups() {
    let pair = Pair::start_with(&["--enable-debug-command", "yes"]);
    let (mut r, mut f) = (pair.redis.conn(), pair.ferrodis.conn());
    for c in [&mut r, &mut f] {
        group_fill(c);
    }
    for cmd in [
        &["DEBUG", "DIGEST-VALUE", "rd:s", "rd:e"][..],
        &["DEBUG", "DIGEST"],
    ] {
        assert_eq!(r.call(cmd), f.call(cmd), "{cmd:?}");
    }
    // What groups add to MEMORY USAGE is Redis's figure exactly (the
    // stream's own part is the stream type's to match).
    let steps: &[&[&str]] = &[
        &["XGROUP", "CREATE", "rd:e", "another", "0"],
        &["XGROUP", "CREATECONSUMER", "rd:e", "another", "someone"],
        &["XADD", "rd:m", "1-1", "f", "v"],
        &["XGROUP", "CREATE", "rd:m", "g", "0"],
        &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "rd:m", ">"],
    ];
    let mut growth = Vec::new();
    for c in [&mut r, &mut f] {
        let mut seen = Vec::new();
        for step in steps {
            let key = if step[0] == "XADD" { "rd:m" } else { step[2] };
            let usage = |c: &mut Conn| c.call_parsed(&["MEMORY", "USAGE", key]).int().unwrap_or(0);
            let before = usage(c);
            c.call(step);
            seen.push(usage(c) - before);
        }
        // 200 entries pending with two consumers of a second group.
        for i in 2..=200 {
            c.call(&["XADD", "rd:m", &format!("{i}-1"), "f", "v"]);
        }
        let before = c
            .call_parsed(&["MEMORY", "USAGE", "rd:m"])
            .int()
            .unwrap_or(0);
        c.call(&["XGROUP", "CREATE", "rd:m", "h", "0"]);
        c.call(&[
            "XREADGROUP",
            "GROUP",
            "h",
            "a",
            "COUNT",
            "77",
            "STREAMS",
            "rd:m",
            ">",
        ]);
        c.call(&["XREADGROUP", "GROUP", "h", "b", "STREAMS", "rd:m", ">"]);
        seen.push(
            c.call_parsed(&["MEMORY", "USAGE", "rd:m"])
                .int()
                .unwrap_or(0)
                - before,
        );
        growth.push(seen);
    }
    // The XADD step is the stream's own growth, not compared.
    for g in &mut growth {
        g.remove(2);
    }
    assert_eq!(
        growth[0], growth[1],
        "MEMORY USAGE growth, redis then ferrodis"
    );
}

/// A DUMP payload of an entry-less stream (last ID 2-1, two entries ever
/// added) whose groups part is `groups`.
fn stream_payload(groups: &[u8]) -> Vec<u8> {
    let mut p = vec![19, 0, 0, 2, 1, 0, 0, 0, 0, 2];
    p.extend_from_slice(groups);
    p.extend_from_slice(&10u16.to_le_bytes());
    let crc = crate::hash::crc64(&p);
    p.extend_from_slice(&crc.to_le_bytes());
    p
}

/// The groups part of a payload: one group `g` at 2-1, read counter 2,
/// with the PEL entries `pel` (raw ID, delivery time, count) and the
/// consumers `consumers` (name, seen-time, the raw IDs they hold).
fn groups_part(pel: &[u64], consumers: &[(&str, &[u64])]) -> Vec<u8> {
    let raw = |ms: u64| {
        let mut b = ms.to_be_bytes().to_vec();
        b.extend_from_slice(&1u64.to_be_bytes());
        b
    };
    let mut b = vec![1, 1, b'g', 2, 1, 2, pel.len() as u8];
    for &ms in pel {
        b.extend(raw(ms));
        b.extend_from_slice(&1_234_567_890_123i64.to_le_bytes());
        b.push(3);
    }
    b.push(consumers.len() as u8);
    for (name, ids) in consumers {
        b.push(name.len() as u8);
        b.extend_from_slice(name.as_bytes());
        b.extend_from_slice(&1_234_567_890_000i64.to_le_bytes());
        b.push(ids.len() as u8);
        for &ms in ids.iter() {
            b.extend(raw(ms));
        }
    }
    b
}

/// RESTORE of crafted group payloads: consistent ones load with the same
/// XINFO STREAM FULL on both servers; inconsistent ones are refused by
/// both. A pending entry no consumer holds is only caught by Redis's deep
/// sanitization, hence `sanitize-dump-payload yes` (ferrodis always checks).
#[test]
fn restore_checks_group_payloads() {
    let good = stream_payload(&groups_part(&[1, 2], &[("alice", &[1]), ("bob", &[2])]));
    let bad = [
        (
            "duplicate PEL entry",
            groups_part(&[1, 1], &[("alice", &[1])]),
        ),
        (
            "entry missing from the group PEL",
            groups_part(&[1], &[("alice", &[1, 2])]),
        ),
        (
            "duplicate consumer",
            groups_part(&[1], &[("alice", &[1]), ("alice", &[])]),
        ),
        (
            "entry held twice by one consumer",
            groups_part(&[1], &[("alice", &[1, 1])]),
        ),
        (
            "entry without a consumer",
            groups_part(&[1, 2], &[("alice", &[1])]),
        ),
        (
            "truncated",
            groups_part(&[1], &[("alice", &[1])])[..20].to_vec(),
        ),
    ];
    let pair = Pair::start_with(&["--sanitize-dump-payload", "yes"]);
    for srv in [&pair.redis, &pair.ferrodis] {
        let mut c = srv.conn();
        let restore = |c: &mut Conn, key: &str, p: &[u8]| {
            c.call(&[b"RESTORE".as_slice(), key.as_bytes(), b"0", p])
        };
        assert_eq!(restore(&mut c, "rs:good", &good), b"+OK\r\n");
        for (what, groups) in &bad {
            let reply = restore(&mut c, "rs:bad", &stream_payload(groups));
            assert!(
                reply.starts_with(b"-ERR Bad data format"),
                "{what} on {}: {}",
                srv.flavor.name(),
                escape(&reply)
            );
        }
    }
    let (mut r, mut f) = (pair.redis.conn(), pair.ferrodis.conn());
    for cmd in [
        &["XINFO", "STREAM", "rs:good", "FULL"][..],
        &["XPENDING", "rs:good", "g", "-", "+", "10"],
        &["EXISTS", "rs:bad"],
    ] {
        assert_eq!(
            wall_clock(&r.call_parsed(cmd)),
            wall_clock(&f.call_parsed(cmd)),
            "{cmd:?}"
        );
    }
    assert_eq!(r.call(&["DUMP", "rs:good"]), f.call(&["DUMP", "rs:good"]));
}

/// XINFO STREAM's radix-tree figures over streams of many nodes, after
/// deletions and trims.
#[test]
fn xinfo_stream_radix_tree_figures() {
    let mut c = Case::new("nodes");
    for (key, n, step) in [("rx:a", 1000, 1), ("rx:b", 300, 977), ("rx:c", 40, 1 << 20)] {
        for i in 1..=n {
            let id = format!("{}-{}", i * step, i % 7);
            c = c.cmd(&["XADD", key, &id, "f", "v"]);
        }
        c = c.cmd(&["XINFO", "STREAM", key]);
    }
    let mut c = c
        .cmd(&["XTRIM", "rx:a", "MAXLEN", "550"])
        .cmd(&["XINFO", "STREAM", "rx:a"])
        .cmd(&["XTRIM", "rx:b", "MINID", "150000"])
        .cmd(&["XINFO", "STREAM", "rx:b"]);
    for i in 1..=100 {
        c = c.cmd(&["XDEL", "rx:a", &format!("{}-{}", 450 + i, (450 + i) % 7)]);
    }
    diff(&[c.cmd(&["XINFO", "STREAM", "rx:a"])]);
}

/// Group commands never count the key as modified: a transaction that
/// watches the stream still runs, as on Redis.
#[test]
fn group_commands_leave_watches_alone() {
    Pair::start().scenario("watch", |srv, t| {
        let (mut a, mut b) = (srv.conn(), srv.conn());
        t.call(&mut a, &["XADD", "wa:s", "1-1", "f", "v"]);
        t.call(&mut a, &["XGROUP", "CREATE", "wa:s", "g", "0"]);
        for cmd in [
            &["XREADGROUP", "GROUP", "g", "c", "STREAMS", "wa:s", ">"][..],
            &["XCLAIM", "wa:s", "g", "d", "0", "1-1"],
            &["XAUTOCLAIM", "wa:s", "g", "e", "0", "0"],
            &["XACK", "wa:s", "g", "1-1"],
            &["XGROUP", "CREATECONSUMER", "wa:s", "g", "f"],
            &["XGROUP", "DELCONSUMER", "wa:s", "g", "f"],
            &["XGROUP", "SETID", "wa:s", "g", "0"],
            &["XGROUP", "DESTROY", "wa:s", "g"],
            &["XGROUP", "CREATE", "wa:s", "g", "0"],
            &["XGROUP", "CREATE", "wa:new", "g", "0", "MKSTREAM"],
        ] {
            t.call(&mut a, &["WATCH", "wa:s", "wa:new"]);
            t.call(&mut a, &["MULTI"]);
            t.call(&mut a, &["PING"]);
            t.call(&mut b, cmd);
            t.call(&mut a, &["EXEC"]);
        }
    });
}

/// A Redis 5/6 payload (`RDB_TYPE_STREAM_LISTPACKS`, 15) with groups,
/// which carry no `entries-read`: both servers estimate it from the stream
/// alike (unknown, exact at the last ID, 0 before the first) and DUMP the
/// 7.0 form with the same bytes.
#[test]
fn redis_6_payload_with_groups() {
    // One node: XADD 1-1 a 1 b 2, XADD 1-2 a 3 b 4, XADD 2-0 c 5.
    let node: &[u8] = b"\x3d\x00\x00\x00\x19\x00\x03\x01\x00\x01\x02\x01\x81a\x02\x81b\x02\x00\x01\x02\x01\x00\x01\x00\x01\x01\x01\x02\x01\x05\x01\x02\x01\x00\x01\x01\x01\x03\x01\x04\x01\x05\x01\x00\x01\x01\x01\xdf\xff\x02\x01\x01\x81c\x02\x05\x01\x06\x01\xff";
    let mut body =
        b"\x0f\x01\x10\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01".to_vec();
    body.push(node.len() as u8);
    body.extend_from_slice(node);
    // Length 3, last ID 2-0, then three groups: "a0" at 0-0, "g" at 1-2
    // with 1-1 pending for alice, "z" at 2-0.
    body.extend_from_slice(b"\x03\x02\x00\x03");
    body.extend_from_slice(b"\x02a0\x00\x00\x00\x00");
    let raw = b"\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01";
    body.extend_from_slice(b"\x01g\x01\x02\x01");
    body.extend_from_slice(raw);
    body.extend_from_slice(&1_234_567_890_123i64.to_le_bytes());
    // Delivered as often as a count can say: the next delivery wraps it.
    body.extend_from_slice(&[0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    body.extend_from_slice(b"\x01\x05alice");
    body.extend_from_slice(&1_234_567_890_456i64.to_le_bytes());
    body.push(1);
    body.extend_from_slice(raw);
    body.extend_from_slice(b"\x01z\x02\x00\x00\x00");
    let payload = crate::dump::sealed(&body, 9);
    diff(&[Case::new("redis 6 groups")
        .cmd_bytes(&[&b"RESTORE"[..], b"old", b"0", &payload])
        .cmd(&["XINFO", "GROUPS", "old"])
        .cmd(&["XINFO", "STREAM", "old", "FULL"])
        .cmd(&["DUMP", "old"])
        .cmd(&["XREADGROUP", "GROUP", "g", "bob", "STREAMS", "old", ">"])
        .cmd(&["XINFO", "GROUPS", "old"])
        .cmd(&["XREADGROUP", "GROUP", "g", "alice", "STREAMS", "old", "0"])
        .masked(WALL_CLOCK, &["XPENDING", "old", "g", "-", "+", "10"])
        .cmd(&[
            "XCLAIM",
            "old",
            "g",
            "bob",
            "0",
            "1-1",
            "RETRYCOUNT",
            "9223372036854775807",
        ])
        .cmd(&["XCLAIM", "old", "g", "bob", "0", "1-1", "JUSTID"])
        .cmd(&["XAUTOCLAIM", "old", "g", "carol", "0", "0", "JUSTID"])
        .cmd(&["XAUTOCLAIM", "old", "g", "carol", "0", "0"])
        .masked(WALL_CLOCK, &["XPENDING", "old", "g", "-", "+", "10"])]);
}

/// `rdb_changes_since_last_save` after each group command: what counts as
/// a change (a delivery, a claim, a new consumer...) is Redis's.
#[test]
fn group_commands_count_changes_as_redis() {
    fn changes(r: &Reply) -> String {
        r.text()
            .lines()
            .find_map(|l| l.strip_prefix("rdb_changes_since_last_save:"))
            .unwrap_or("?")
            .to_string()
    }
    const CHANGES: Mask = Mask::Custom(changes);
    let mut c = Case::new("dirty");
    for cmd in [
        &["XADD", "dc:s", "1-1", "f", "v"][..],
        &["XADD", "dc:s", "2-1", "f", "v"],
        &["XGROUP", "CREATE", "dc:s", "g", "0"],
        &["XGROUP", "CREATE", "dc:s", "g", "0"],
        &["XGROUP", "CREATE", "dc:new", "g", "0", "MKSTREAM"],
        &["XGROUP", "CREATECONSUMER", "dc:s", "g", "a"],
        &["XGROUP", "CREATECONSUMER", "dc:s", "g", "a"],
        &["XREADGROUP", "GROUP", "g", "a", "STREAMS", "dc:s", ">"],
        &["XREADGROUP", "GROUP", "g", "a", "STREAMS", "dc:s", ">"],
        &["XREADGROUP", "GROUP", "g", "b", "STREAMS", "dc:s", "0"],
        &["XREADGROUP", "GROUP", "g", "a", "STREAMS", "dc:s", "0"],
        &[
            "XREADGROUP",
            "GROUP",
            "g",
            "a",
            "NOACK",
            "STREAMS",
            "dc:s",
            ">",
        ],
        &["XCLAIM", "dc:s", "g", "c", "0", "1-1", "2-1"],
        &["XCLAIM", "dc:s", "g", "c", "0", "9-9", "LASTID", "9-9"],
        &["XAUTOCLAIM", "dc:s", "g", "d", "0", "0"],
        &["XACK", "dc:s", "g", "1-1", "5-5"],
        &["XPENDING", "dc:s", "g"],
        &["XGROUP", "SETID", "dc:s", "g", "0"],
        &["XGROUP", "DELCONSUMER", "dc:s", "g", "d"],
        &["XGROUP", "DELCONSUMER", "dc:s", "g", "zz"],
        &["XGROUP", "DESTROY", "dc:s", "g"],
        &["XGROUP", "DESTROY", "dc:s", "g"],
    ] {
        c = c.cmd(cmd).masked(CHANGES, &["INFO", "persistence"]);
    }
    diff(&[c]);
}
