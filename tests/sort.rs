//! SORT and SORT_RO, differentially against redis-server 7.0: every option
//! on lists, sets (both encodings) and sorted sets (both encodings), BY
//! and GET through strings and hash fields with missing keys, fields and
//! types, patterns Redis reads as C strings, numeric weights as `strtod`
//! reads them and the error for those it refuses, ALPHA collation, LIMIT
//! at and past its edges, the partial sort a BY with LIMIT runs (where
//! ties land), STORE on new and existing keys (the stored list's
//! encoding, an emptied destination), RESP3 nulls, WRONGTYPE, syntax
//! errors, COMMAND INFO/GETKEYS, keyspace events, key hits and misses,
//! WATCH, and the AOF a SORT ... STORE writes.
//!
//! A hashtable set's own order is random per process in Redis too, so a
//! set sorted with BY nosort is compared as a multiset.

use std::fs;

use crate::util::keyspace::info_field;
use crate::util::*;

/// Replies to HELLO differ only in the connection id.
const HELLO: Mask = Mask::Pairs(&["id"]);

/// A list `l` of numbers in no order, and weights for some of them.
const NUMBERS: &[&[&str]] = &[
    &[
        "RPUSH", "l", "3", "1", "2", "10", "-1.5", "0x10", "7", "1e1",
    ],
    &["SET", "w_3", "30"],
    &["SET", "w_1", "5"],
    &["SET", "w_10", "-2"],
    &["SET", "w_7", "5"],
    &["HSET", "h_2", "f", "100", "name", "two"],
    &["HSET", "h_3", "f", "-100", "name", "three"],
    &["HSET", "h_7", "name", "seven"],
];

fn with_numbers(name: &str, cmds: &[&[&str]]) -> Case {
    let mut c = Case::new(name);
    for cmd in NUMBERS.iter().chain(cmds) {
        c = c.cmd(cmd);
    }
    c
}

#[test]
fn lists_by_every_option() {
    diff(&[
        with_numbers(
            "plain orders",
            &[
                &["SORT", "l"],
                &["SORT", "l", "DESC"],
                &["SORT", "l", "ASC"],
                &["SORT", "l", "ALPHA"],
                &["SORT", "l", "ALPHA", "DESC"],
                &["SORT", "l", "desc", "asc"],
                &["SORT_RO", "l", "ALPHA"],
                &["SORT", "missing"],
                &["SORT", "missing", "ALPHA", "DESC", "LIMIT", "0", "3"],
            ],
        ),
        with_numbers(
            "BY strings and hash fields",
            &[
                &["SORT", "l", "BY", "w_*"],
                &["SORT", "l", "BY", "w_*", "DESC"],
                &["SORT", "l", "BY", "h_*->f"],
                &["SORT", "l", "BY", "h_*->f", "DESC"],
                &["SORT", "l", "BY", "h_*->name", "ALPHA"],
                &["SORT", "l", "BY", "h_*->name", "ALPHA", "DESC"],
                &["SORT", "l", "BY", "w_*", "ALPHA"],
                &["SORT", "l", "BY", "w_*", "ALPHA", "DESC"],
                // A string key read as a hash, and a hash as a string.
                &["SORT", "l", "BY", "h_*"],
                &["SORT", "l", "BY", "w_*->f"],
                // Only the first `*` is replaced; text after it stays.
                &["SET", "p3q*", "1"],
                &["SORT", "l", "BY", "p*q*", "DESC"],
                // A `->` with nothing after it is part of the key name.
                &["SET", "w_1->", "9"],
                &["SORT", "l", "BY", "w_*->"],
                // `->` before the `*` is not a field.
                &["SORT", "l", "BY", "a->*"],
                &["SORT", "l", "BY", "h_*->f->g"],
            ],
        ),
        Case::new("patterns are C strings up to a NUL, keys and fields are not")
            .cmd(&["RPUSH", "l", "1", "2", "3"])
            .cmd_bytes(&[&b"SET"[..], b"w_1\0x", b"3"])
            .cmd_bytes(&[&b"SET"[..], b"w_2\0x", b"1"])
            .cmd_bytes(&[&b"HSET"[..], b"h_3", b"f\0g", b"7"])
            .cmd_bytes(&[&b"HSET"[..], b"h_1", b"f", b"9"])
            .cmd_bytes(&[&b"SORT"[..], b"l", b"BY", b"w_*\0x"])
            .cmd_bytes(&[&b"SORT"[..], b"l", b"BY", b"w_*\0x", b"GET", b"h_*->f\0g"])
            .cmd_bytes(&[&b"SORT"[..], b"l", b"BY", b"w_\0*", b"GET", b"#\0x"])
            .cmd_bytes(&[&b"SORT"[..], b"l", b"GET", b"h_*\0->f", b"GET", b"h_*->\0f"])
            .cmd_bytes(&[
                &b"SORT"[..],
                b"l",
                b"BY",
                b"h_*->f\0g",
                b"DESC",
                b"GET",
                b"h_*->f",
            ]),
        with_numbers(
            "nosort keeps the list's order",
            &[
                &["SORT", "l", "BY", "nosort"],
                &["SORT", "l", "BY", "nosort", "DESC"],
                &["SORT", "l", "BY", "nosort", "LIMIT", "2", "3"],
                &["SORT", "l", "BY", "nosort", "DESC", "LIMIT", "2", "3"],
                &["SORT", "l", "BY", "nosort", "DESC", "LIMIT", "0", "1"],
                &["SORT", "l", "BY", "nosort", "LIMIT", "7", "5"],
                &["SORT", "l", "BY", "nosort", "DESC", "LIMIT", "7", "5"],
                &["SORT", "l", "BY", "nosort", "LIMIT", "8", "5"],
                &["SORT", "l", "BY", "nosort", "LIMIT", "0", "0"],
                &["SORT", "l", "BY", "w_", "ALPHA"],
                &["SORT", "l", "BY", "nosort", "GET", "#", "GET", "w_*"],
            ],
        ),
        with_numbers(
            "GET patterns",
            &[
                &["SORT", "l", "GET", "#"],
                &["SORT", "l", "GET", "w_*"],
                &[
                    "SORT",
                    "l",
                    "GET",
                    "#",
                    "GET",
                    "w_*",
                    "GET",
                    "h_*->name",
                    "GET",
                    "h_*->f",
                ],
                &[
                    "SORT",
                    "l",
                    "BY",
                    "w_*",
                    "GET",
                    "h_*->name",
                    "LIMIT",
                    "1",
                    "4",
                ],
                &["SORT", "l", "GET", "fixed"],
                &["SORT", "l", "GET", "h_*"],
                &["SORT", "l", "GET", "w_*->x"],
                &["SORT", "l", "GET", "##"],
                &[
                    "SORT_RO", "l", "GET", "#", "GET", "w_*", "DESC", "LIMIT", "0", "2",
                ],
            ],
        ),
    ]);
}

#[test]
fn limit_edges() {
    let limits: &[(&str, &str)] = &[
        ("0", "3"),
        ("1", "2"),
        ("-5", "2"),
        ("2", "-1"),
        ("2", "-100"),
        ("7", "1"),
        ("8", "1"),
        ("100", "2"),
        ("0", "0"),
        ("1", "9223372036854775807"),
        ("2", "9223372036854775807"),
        ("9223372036854775807", "9223372036854775807"),
        ("-9223372036854775808", "-9223372036854775808"),
        ("-9223372036854775808", "3"),
    ];
    let mut cases = Vec::new();
    for extra in [
        &[][..],
        &["DESC"],
        &["BY", "w_*"],
        &["BY", "nosort"],
        &["BY", "nosort", "DESC"],
    ] {
        let mut c = with_numbers(&format!("LIMIT with {extra:?}"), &[]);
        for (off, count) in limits {
            let mut cmd = vec!["SORT", "l", "LIMIT", off, count];
            cmd.extend_from_slice(extra);
            c = c.cmd(&cmd);
            cmd.extend_from_slice(&["STORE", "dst"]);
            c = c.cmd(&cmd).cmd(&["LRANGE", "dst", "0", "-1"]);
        }
        cases.push(c);
    }
    cases.push(case(
        "LIMIT's errors",
        &[
            &["RPUSH", "l", "1"],
            &["SORT", "l", "LIMIT", "x", "1"],
            &["SORT", "l", "LIMIT", "1", "x"],
            &["SORT", "l", "LIMIT", "1.5", "1"],
            &["SORT", "l", "LIMIT", "9223372036854775808", "1"],
            &["SORT", "l", "LIMIT", "1"],
            &["SORT", "l", "LIMIT"],
            &["SORT", "missing", "LIMIT", "x", "1"],
        ],
    ));
    diff(&cases);
}

#[test]
fn numeric_weights_and_their_errors() {
    let mut c = Case::new("weights as strtod reads them");
    for (i, w) in [
        "1", " 2", "0x1p3", "inf", "-inf", "1e308", "", "-0", "0", "1.5e-300", "+4", "\t7",
    ]
    .iter()
    .enumerate()
    {
        c = c
            .cmd(&["RPUSH", "l", &format!("e{i}")])
            .cmd(&["SET", &format!("w_e{i}"), w]);
    }
    c = c
        .cmd(&["SORT", "l", "BY", "w_*"])
        .cmd(&["SORT", "l", "BY", "w_*", "DESC"])
        .cmd(&["SORT", "l", "BY", "w_*", "LIMIT", "2", "3"]);
    let mut bad = Vec::new();
    for w in [
        "abc", "nan", "1e400", "-1e400", "1e-400", "1 ", "1x", "0x", "--1",
    ] {
        bad.push(
            Case::new(&format!("weight {w:?}"))
                .cmd(&["RPUSH", "l", "a", "b"])
                .cmd(&["SET", "w_a", "1"])
                .cmd(&["SET", "w_b", w])
                .cmd(&["SORT", "l", "BY", "w_*"])
                .cmd(&["SORT", "l", "BY", "w_*", "STORE", "d"])
                .cmd(&["EXISTS", "d"])
                .cmd(&["SORT", "l", "BY", "w_*", "ALPHA"])
                .cmd(&["SORT", "l", "BY", "nosort"]),
        );
    }
    bad.push(
        Case::new("a NUL ends the number")
            .cmd_bytes(&[&b"RPUSH"[..], b"l", b"a", b"b", b"c"])
            .cmd_bytes(&[&b"SET"[..], b"w_a", b"5\0junk"])
            .cmd_bytes(&[&b"SET"[..], b"w_b", b"\0"])
            .cmd_bytes(&[&b"SET"[..], b"w_c", b"3"])
            .cmd(&["SORT", "l", "BY", "w_*"])
            .cmd_bytes(&[&b"RPUSH"[..], b"m", b"2\x001", b"1"])
            .cmd(&["SORT", "m"]),
    );
    bad.push(case(
        "elements as weights",
        &[
            &["RPUSH", "x", "1", "a", "2"],
            &["SORT", "x"],
            &["SORT", "x", "ALPHA"],
            &["RPUSH", "y", "3", "3.0", "03", "0x3", "-0", "0", "+0"],
            &["SORT", "y"],
            &["SORT", "y", "DESC"],
        ],
    ));
    bad.push(c);
    diff(&bad);
}

#[test]
fn alpha_collation_and_ties() {
    let words = [
        "b", "B", "a", "A", "ab", "Ab", "aB", "é", "e", "z", "Z", "_", "1", "10", "2", "ä", "日本",
        "",
    ];
    let mut c = Case::new("mixed case and non-ASCII");
    for w in words {
        c = c
            .cmd(&["RPUSH", "l", w])
            .cmd(&["SADD", "s", w])
            .cmd(&["ZADD", "z", "1", w]);
    }
    c = c
        .cmd(&["SORT", "l", "ALPHA"])
        .cmd(&["SORT", "l", "ALPHA", "DESC"])
        .cmd(&["SORT", "l", "ALPHA", "STORE", "d"])
        .cmd(&["LRANGE", "d", "0", "-1"])
        .cmd(&["SORT", "s", "ALPHA"])
        .cmd(&["SORT", "s", "ALPHA", "DESC", "LIMIT", "3", "5"])
        .cmd(&["SORT", "z", "ALPHA"])
        .cmd(&["SORT", "z", "BY", "nosort"]);
    for (i, w) in words.iter().enumerate() {
        c = c
            .cmd(&["SET", &format!("k_{i}"), w])
            .cmd(&["RPUSH", "idx", &i.to_string()]);
    }
    c = c
        .cmd(&["SORT", "idx", "BY", "k_*", "ALPHA"])
        .cmd(&["SORT", "idx", "BY", "k_*", "ALPHA", "STORE", "d"])
        .cmd(&["LRANGE", "d", "0", "-1"]);
    // Invalid UTF-8 and NUL bytes: strcoll reads up to the first NUL.
    let nul = Case::new("NUL bytes and invalid UTF-8")
        .cmd_bytes(&[
            &b"RPUSH"[..],
            b"n",
            b"a\0z",
            b"a",
            b"a\0b",
            b"\xff",
            b"\xc3",
            b"b",
        ])
        .cmd(&["SORT", "n", "ALPHA"])
        .cmd(&["SORT", "n", "ALPHA", "DESC"])
        .cmd(&["SORT", "n", "ALPHA", "STORE", "d"])
        .cmd(&["LRANGE", "d", "0", "-1"]);
    // Missing BY values tie; a whole sort keeps the list's order for
    // them, a BY with LIMIT places them as Redis's partial sort does.
    let mut ties = Case::new("ties under BY ... ALPHA");
    for i in 0..90 {
        ties = ties.cmd(&["RPUSH", "t", &format!("e{i}")]);
        if i % 3 == 0 {
            ties = ties.cmd(&["SET", &format!("w_e{i}"), &format!("{}", i % 4)]);
        }
    }
    for extra in [
        &[][..],
        &["DESC"],
        &["LIMIT", "0", "10"],
        &["LIMIT", "5", "10"],
        &["LIMIT", "30", "20"],
        &["LIMIT", "80", "20"],
        &["LIMIT", "1", "1", "DESC"],
        &["LIMIT", "44", "3", "DESC"],
        &["LIMIT", "0", "0"],
        &["LIMIT", "0", "89"],
        &["LIMIT", "1", "89"],
    ] {
        let mut cmd = vec!["SORT", "t", "BY", "w_*", "ALPHA"];
        cmd.extend_from_slice(extra);
        ties = ties.cmd(&cmd);
        let mut numeric = vec!["SORT", "t", "BY", "w_*"];
        numeric.extend_from_slice(extra);
        ties = ties.cmd(&numeric);
        cmd.extend_from_slice(&["STORE", "d"]);
        ties = ties.cmd(&cmd).cmd(&["LRANGE", "d", "0", "-1"]);
    }
    for n in [3, 6, 7, 8, 40, 41, 42] {
        ties = ties
            .cmd(&["DEL", "u"])
            .cmd(&["SORT", "t", "LIMIT", "0", &n.to_string(), "STORE", "u"])
            .cmd(&["SORT", "u", "BY", "w_*", "ALPHA", "LIMIT", "1", "2"])
            .cmd(&["SORT", "u", "BY", "w_*", "ALPHA", "DESC", "LIMIT", "2", "3"]);
    }
    diff(&[c, nul, ties]);
}

#[test]
fn sets_and_sorted_sets() {
    diff(&[
        case(
            "intset",
            &[
                &["SADD", "s", "5", "-3", "9", "1", "100"],
                &["SORT", "s"],
                &["SORT", "s", "DESC", "LIMIT", "1", "2"],
                &["SORT", "s", "ALPHA"],
                &["SORT", "s", "BY", "nosort"],
                &["SORT", "s", "BY", "nosort", "DESC", "LIMIT", "1", "2"],
                &["SET", "w_9", "-1"],
                &["SORT", "s", "BY", "w_*"],
                &["SORT", "s", "BY", "w_*", "GET", "#", "GET", "w_*"],
                &["SORT", "s", "BY", "nosort", "STORE", "d"],
                &["LRANGE", "d", "0", "-1"],
                &["OBJECT", "ENCODING", "s"],
            ],
        ),
        Case::new("hashtable set")
            .cmd(&["SADD", "s", "b", "c", "a", "10", "9", "B"])
            .cmd(&["SORT", "s", "ALPHA"])
            .cmd(&["SORT", "s", "ALPHA", "DESC", "LIMIT", "1", "3"])
            .cmd(&["SORT", "s"])
            .masked(Mask::Unordered, &["SORT", "s", "BY", "nosort"])
            .masked(
                Mask::Unordered,
                &["SORT_RO", "s", "BY", "nosort", "GET", "#"],
            )
            // Stored from a set, nosort sorts by the bytes.
            .cmd(&["SORT", "s", "BY", "nosort", "STORE", "d"])
            .cmd(&["LRANGE", "d", "0", "-1"])
            .cmd(&[
                "SORT", "s", "BY", "nosort", "DESC", "LIMIT", "1", "2", "STORE", "d",
            ])
            .cmd(&["LRANGE", "d", "0", "-1"])
            .cmd(&["SORT", "s", "BY", "nosort", "GET", "w_*", "STORE", "d"])
            .cmd(&["LRANGE", "d", "0", "-1"]),
        case(
            "sorted sets",
            &[
                &[
                    "ZADD", "z", "5", "e", "4", "d", "3", "c", "2", "b", "1", "a", "1", "x",
                ],
                &["OBJECT", "ENCODING", "z"],
                &["SORT", "z", "ALPHA"],
                &["OBJECT", "ENCODING", "z"],
                &["SORT", "z", "ALPHA", "DESC", "LIMIT", "2", "2"],
                &["SORT", "z", "BY", "nosort"],
                &["SORT", "z", "BY", "nosort", "DESC"],
                &["SORT", "z", "BY", "nosort", "LIMIT", "1", "2"],
                &["SORT", "z", "BY", "nosort", "DESC", "LIMIT", "1", "2"],
                &["SORT", "z", "BY", "nosort", "DESC", "LIMIT", "5", "10"],
                &["SORT", "z", "BY", "nosort", "LIMIT", "6", "1"],
                &["SORT", "z", "BY", "nosort", "LIMIT", "-1", "-1"],
                &["SORT", "z", "BY", "nosort", "STORE", "d"],
                &["LRANGE", "d", "0", "-1"],
                &["SORT", "z"],
                &["SET", "w_a", "9"],
                &["SET", "w_b", "0"],
                &["SORT", "z", "BY", "w_*", "GET", "#", "GET", "w_*"],
                &["ZADD", "y", "1", "10", "2", "9"],
                &["SORT_RO", "y"],
                &["OBJECT", "ENCODING", "y"],
                &[
                    "ZADD",
                    "big",
                    "2",
                    "bb",
                    "1",
                    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                ],
                &["OBJECT", "ENCODING", "big"],
                &["SORT", "big", "BY", "nosort", "DESC"],
                &["SORT", "big", "ALPHA"],
            ],
        ),
        case(
            "a SORT on a sorted set breaks no WATCH",
            &[
                &["ZADD", "z", "1", "a"],
                &["WATCH", "z"],
                &["SORT", "z", "ALPHA"],
                &["MULTI"],
                &["OBJECT", "ENCODING", "z"],
                &["EXEC"],
            ],
        ),
    ]);
}

#[test]
fn store_and_types() {
    diff(&[
        case(
            "STORE destinations",
            &[
                &["RPUSH", "l", "3", "1", "2"],
                &["SORT", "l", "STORE", "new"],
                &["TYPE", "new"],
                &["OBJECT", "ENCODING", "new"],
                &["LRANGE", "new", "0", "-1"],
                &["SET", "str", "x", "EX", "100"],
                &["SORT", "l", "DESC", "STORE", "str"],
                &["TYPE", "str"],
                &["TTL", "str"],
                &["LRANGE", "str", "0", "-1"],
                &["HSET", "h", "f", "v"],
                &["SORT", "l", "GET", "nothing_*", "GET", "#", "STORE", "h"],
                &["LRANGE", "h", "0", "-1"],
                &["SORT", "l", "STORE", "l"],
                &["LRANGE", "l", "0", "-1"],
                &["SORT", "l", "LIMIT", "0", "0", "STORE", "h"],
                &["EXISTS", "h"],
                &["SORT", "missing", "STORE", "new"],
                &["EXISTS", "new"],
                &["SORT", "missing", "STORE", "new"],
                &["SORT", "l", "STORE", "a", "STORE", "b"],
                &["EXISTS", "a", "b"],
                &["SORT", "l", "store"],
                &["SORT_RO", "l", "STORE", "x"],
                &["SORT_RO", "l", "store"],
            ],
        ),
        Case::new("stored lists take the list settings")
            .cmd(&["CONFIG", "SET", "list-max-listpack-size", "2"])
            .cmd(&["RPUSH", "l", "5", "4", "3", "2", "1"])
            .cmd(&["SORT", "l", "STORE", "d"])
            .cmd(&["DUMP", "d"])
            .cmd(&["RPUSH", "d", "6", "7", "8"])
            .cmd(&["DUMP", "d"])
            .cmd(&["CONFIG", "SET", "list-compress-depth", "1"])
            .cmd(&["SORT", "l", "STORE", "d"])
            .cmd(&["DUMP", "d"])
            .cmd(&["CONFIG", "SET", "list-max-listpack-size", "-2"])
            .cmd(&["SORT", "l", "STORE", "d"])
            .cmd(&["DUMP", "d"]),
        case(
            "WRONGTYPE and syntax",
            &[
                &["SET", "str", "x"],
                &["HSET", "h", "f", "v"],
                &["SORT", "str"],
                &["SORT", "h"],
                &["SORT_RO", "str", "ALPHA"],
                &["SORT", "str", "STORE", "d"],
                &["SORT", "str", "BAD"],
                &["SORT", "missing", "BAD"],
                &["SORT", "missing", "BY"],
                &["SORT", "missing", "GET"],
                &["SORT", "missing", "LIMIT", "1"],
                &["SORT", "missing", "ALPHA", "STORE"],
                &["SORT"],
                &["SORT_RO"],
                &["RPUSH", "l", "a"],
                &["SORT", "l", "BY", "w_*", "BAD"],
                &["SORT", "l"],
            ],
        ),
        Case::new("RESP3")
            .masked(HELLO, &["HELLO", "3"])
            .cmd(&["RPUSH", "l", "2", "1"])
            .cmd(&["SET", "w_1", "x"])
            .cmd(&["SORT", "l", "GET", "#", "GET", "w_*"])
            .cmd(&["SORT", "l", "BY", "nosort", "GET", "w_*", "STORE", "d"])
            .cmd(&["LRANGE", "d", "0", "-1"])
            .cmd(&["SORT", "missing"])
            .cmd(&["SORT", "l", "BY", "w_*"]),
        case(
            "COMMAND",
            &[
                &["COMMAND", "INFO", "sort", "sort_ro"],
                &["COMMAND", "GETKEYS", "SORT", "l"],
                &["COMMAND", "GETKEYS", "SORT", "l", "STORE", "d"],
                &[
                    "COMMAND", "GETKEYS", "SORT", "l", "BY", "w_*", "GET", "#", "STORE", "d",
                ],
                &[
                    "COMMAND", "GETKEYS", "SORT", "l", "STORE", "a", "STORE", "b",
                ],
                &["COMMAND", "GETKEYS", "SORT", "l", "GET", "store", "x"],
                &[
                    "COMMAND", "GETKEYS", "SORT", "l", "STORE", "limit", "1", "2",
                ],
                &["COMMAND", "GETKEYS", "SORT", "l", "STORE"],
                &[
                    "COMMAND", "GETKEYS", "SORT", "l", "LIMIT", "STORE", "x", "STORE", "y",
                ],
                &["COMMAND", "GETKEYSANDFLAGS", "SORT", "l", "STORE", "d"],
                &["COMMAND", "GETKEYSANDFLAGS", "SORT_RO", "l", "STORE", "d"],
                &["COMMAND", "GETKEYS", "SORT_RO", "l", "BY", "x"],
                &["COMMAND", "GETKEYS", "SORT"],
            ],
        ),
    ]);
}

#[test]
fn command_info_and_docs() {
    diff(&[
        Case::new("RESP3 COMMAND INFO")
            .masked(HELLO, &["HELLO", "3"])
            .cmd(&["COMMAND", "INFO", "sort", "sort_ro", "get"]),
        Case::new("COMMAND DOCS").masked(
            crate::server_cmds::COMMAND_DOCS,
            &["COMMAND", "DOCS", "sort", "sort_ro"],
        ),
    ]);
}

/// Runs `cmds` with a subscriber to every keyspace event and records,
/// after each command, its reply and the frames the subscriber got.
fn events(srv: &mut Server, t: &mut Transcript, classes: &str, cmds: &[&[&str]]) {
    const MARKER: &str = "sort:marker";
    let mut w = srv.conn();
    w.call(&["CONFIG", "SET", "notify-keyspace-events", classes]);
    let mut sub = srv.conn();
    sub.call(&["PSUBSCRIBE", "__key*__:*"]);
    sub.call(&["SUBSCRIBE", MARKER]);
    for cmd in cmds {
        t.call(&mut w, cmd);
        w.call(&["PUBLISH", MARKER, "-"]);
        let mut frames = Vec::new();
        loop {
            let raw = sub.read_reply();
            if raw.windows(MARKER.len()).any(|x| x == MARKER.as_bytes()) {
                break;
            }
            frames.extend_from_slice(&raw);
        }
        t.reply(&format!("{}: events", cmd.join(" ")), Mask::Exact, &frames);
    }
}

#[test]
fn events_stats_and_aof() {
    let mut pair = Pair::start_with(&[
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--enable-debug-command",
        "yes",
    ]);
    pair.scenario("keyspace events", |srv, t| {
        events(
            srv,
            t,
            "KEA",
            &[
                &["RPUSH", "l", "2", "1"],
                &["SORT", "l", "STORE", "d"],
                &["SORT", "l", "STORE", "d"],
                &["SORT", "l", "BY", "w_*", "GET", "w_*"],
                &["SORT", "l", "LIMIT", "0", "0", "STORE", "d"],
                &["SORT", "l", "LIMIT", "0", "0", "STORE", "d"],
                &["ZADD", "z", "1", "a"],
                &["SORT", "z", "ALPHA", "STORE", "z"],
            ],
        );
    });
    pair.scenario("key misses", |srv, t| {
        srv.conn().call(&["FLUSHALL"]);
        events(
            srv,
            t,
            "KEm",
            &[
                &["SORT", "missing"],
                &["RPUSH", "l", "2", "1"],
                &["SET", "w_1", "1"],
                &[
                    "SORT", "l", "BY", "w_*", "GET", "h_*->f", "GET", "#", "GET", "w_*",
                ],
                &["SORT", "l", "BY", "nosort", "GET", "k_*", "STORE", "d"],
            ],
        );
    });
    pair.scenario("hits, misses and the AOF", |srv, t| {
        let mut c = srv.conn();
        c.call(&["FLUSHALL"]);
        c.call(&["CONFIG", "RESETSTAT"]);
        for cmd in [
            &["RPUSH", "l", "3", "1", "2"][..],
            &["SET", "w_1", "1"],
            &["HSET", "h_2", "f", "1"],
            &["SORT", "l", "BY", "w_*", "GET", "h_*->f", "GET", "#"],
            &["SORT", "missing"],
            &["SORT", "l", "BY", "w_*", "STORE", "dst"],
            &["SORT", "l", "LIMIT", "0", "0", "STORE", "nothing"],
            &["SORT", "l", "LIMIT", "0", "0", "STORE", "dst"],
            &["SORT", "l", "STORE", "dst"],
            &["SORT_RO", "l"],
            &["SADD", "s", "b", "a", "c"],
            &["SORT", "s", "BY", "nosort", "STORE", "fromset"],
            &["SORT", "l", "BY", "w_*", "ALPHA", "STORE", "dst"],
        ] {
            t.call(&mut c, cmd);
        }
        // A weight key found expired is deleted, and its DEL goes to the
        // AOF with the SORT, inside MULTI/EXEC.
        t.call(&mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
        t.call(&mut c, &["SET", "w_3", "9", "PX", "1"]);
        std::thread::sleep(std::time::Duration::from_millis(20));
        t.call(&mut c, &["SORT", "l", "BY", "w_*", "STORE", "dst3"]);
        t.call(&mut c, &["SET", "w_2", "9", "PX", "1"]);
        std::thread::sleep(std::time::Duration::from_millis(20));
        t.call(&mut c, &["SORT", "l", "BY", "w_*", "GET", "#"]);
        for field in ["keyspace_hits", "keyspace_misses"] {
            t.note(field, info_field(&mut c, "stats", field));
        }
        // A stored list serves a client blocked on its name; the served
        // pop is propagated after the SORT, as an LPOP.
        let mut blocked = srv.conn();
        blocked.cmd(&["BLPOP", "waited", "0"]);
        let ready = crate::util::keyspace::wait_until(std::time::Duration::from_secs(5), || {
            info_field(&mut c, "clients", "blocked_clients").as_deref() == Some("1")
        });
        t.note("blocked", ready);
        t.call(&mut c, &["SORT", "l", "DESC", "STORE", "waited"]);
        t.reply("served", Mask::Exact, &blocked.read_reply());
        t.call(&mut c, &["LRANGE", "waited", "0", "-1"]);
        let dir = srv.dir().join("appendonlydir");
        let mut files: Vec<_> = fs::read_dir(&dir)
            .expect("aof dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.to_string_lossy().ends_with(".incr.aof"))
            .collect();
        files.sort();
        let text: String = files
            .iter()
            .map(|p| fs::read_to_string(p).unwrap_or_default())
            .collect();
        t.note("incremental files", mask_deadlines(&text));
        t.call(&mut c, &["DEBUG", "LOADAOF"]);
        t.call(&mut c, &["LRANGE", "fromset", "0", "-1"]);
        t.call(&mut c, &["LRANGE", "dst", "0", "-1"]);
    });
}

/// `text` with the absolute deadlines `SET ... PX` propagates as (`PXAT
/// <unix ms>`) replaced, since each server has its own clock.
fn mask_deadlines(text: &str) -> String {
    const PXAT: &str = "PXAT\r\n$13\r\n";
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(PXAT) {
        out.push_str(&rest[..i + PXAT.len()]);
        out.push_str("<deadline>");
        rest = rest.get(i + PXAT.len() + 13..).unwrap_or_default();
    }
    out.push_str(rest);
    out
}

/// Elements and weights the random requests draw from: numbers in several
/// spellings, words that tie under collation only at a NUL, and repeats.
const TEXTS: &[&str] = &[
    "1",
    "2",
    "10",
    "-3",
    "2.5",
    "0x10",
    "1e2",
    "-0",
    "0",
    " 4",
    "a",
    "B",
    "b",
    "ab",
    "é",
    "",
    "9223372036854775807",
    "x\0y",
    "x",
];

/// Seeded random SORT requests on lists (whose order is the same on both
/// servers), with weights and hash fields that are often missing or tied.
#[test]
fn random_requests() {
    let mut cases = Vec::new();
    for seed in 1..=4u64 {
        let mut rng = crate::util::rng::Rng::new(seed);
        let mut c = Case::new(&format!("seed {seed}"));
        for _ in 0..25 {
            c = c.cmd(&["FLUSHALL"]);
            let n = rng.between(0, 60);
            let numeric = rng.chance(50);
            for i in 0..n {
                let elem = if numeric {
                    rng.between(0, 30).to_string()
                } else {
                    format!("{}{}", rng.pick(TEXTS), i % 7)
                };
                c = c.cmd_bytes(&[b"RPUSH".to_vec(), b"l".to_vec(), elem.clone().into_bytes()]);
                if rng.chance(60) {
                    let w = if rng.chance(80) {
                        rng.between(0, 5).to_string()
                    } else {
                        rng.pick(TEXTS).to_string()
                    };
                    c = c.cmd_bytes(&[
                        b"SET".to_vec(),
                        format!("w_{elem}").into_bytes(),
                        w.into_bytes(),
                    ]);
                }
                if rng.chance(40) {
                    let f = rng.pick(TEXTS).to_string();
                    c = c.cmd_bytes(&[
                        b"HSET".to_vec(),
                        format!("h_{elem}").into_bytes(),
                        b"f".to_vec(),
                        f.into_bytes(),
                    ]);
                }
            }
            for _ in 0..8 {
                let mut cmd: Vec<String> = vec![rng.pick(&["SORT", "SORT_RO"]).into(), "l".into()];
                let mut opts: Vec<Vec<String>> = Vec::new();
                if rng.chance(60) {
                    let by = rng.pick(&["w_*", "h_*->f", "nosort", "h_*->g", "w_*->f"]);
                    opts.push(vec!["BY".into(), by.into()]);
                }
                if rng.chance(60) {
                    let off = rng.between(0, n + 3) as i64 - 2;
                    let count = rng.between(0, n + 3) as i64 - 1;
                    opts.push(vec!["LIMIT".into(), off.to_string(), count.to_string()]);
                }
                for _ in 0..rng.below(3) {
                    let get = rng.pick(&["#", "w_*", "h_*->f", "nothing_*"]);
                    opts.push(vec!["GET".into(), get.into()]);
                }
                if rng.chance(50) {
                    opts.push(vec!["ALPHA".into()]);
                }
                if rng.chance(40) {
                    opts.push(vec![rng.pick(&["ASC", "DESC"]).into()]);
                }
                let store = cmd[0] == "SORT" && rng.chance(30);
                if store {
                    opts.push(vec!["STORE".into(), "dst".into()]);
                }
                while !opts.is_empty() {
                    let o = opts.remove(rng.below(opts.len()));
                    cmd.extend(o);
                }
                let args: Vec<&str> = cmd.iter().map(String::as_str).collect();
                c = c.cmd(&args);
                if store {
                    c = c.cmd(&["LRANGE", "dst", "0", "-1"]);
                }
            }
        }
        cases.push(c);
    }
    diff(&cases);
}

/// Seeded random SORT requests on sorted sets of both encodings. Redis
/// loads a sorted set to sort in its dictionary's random order, so only
/// requests whose ties are broken by the elements are drawn: numeric
/// weights, or ALPHA on the members themselves (none equal up to a NUL).
#[test]
fn random_sorted_set_requests() {
    let mut cases = Vec::new();
    for seed in 1..=3u64 {
        let mut rng = crate::util::rng::Rng::new(seed);
        let mut c = Case::new(&format!("seed {seed}"));
        for _ in 0..20 {
            c = c.cmd(&["FLUSHALL"]);
            let n = rng.between(1, 200);
            for i in 0..n {
                let m = format!("{}{i}", rng.pick(&["m", "M", "é", "1", "-"]));
                let score = rng.between(0, 9).to_string();
                c = c.cmd(&["ZADD", "z", &score, &m]);
                if rng.chance(50) {
                    c = c.cmd(&["SET", &format!("w_{m}"), &rng.between(0, 4).to_string()]);
                }
            }
            for _ in 0..8 {
                let mut cmd: Vec<String> = vec!["SORT".into(), "z".into()];
                match rng.below(3) {
                    0 => cmd.extend(["BY".into(), "nosort".into()]),
                    1 => cmd.extend(["BY".into(), "w_*".into()]),
                    _ => cmd.push("ALPHA".into()),
                }
                if rng.chance(60) {
                    let off = rng.between(0, n + 3) as i64 - 2;
                    let count = rng.between(0, n + 3) as i64 - 1;
                    cmd.extend(["LIMIT".into(), off.to_string(), count.to_string()]);
                }
                if rng.chance(50) {
                    cmd.push("DESC".into());
                }
                if rng.chance(30) {
                    cmd.extend(["GET".into(), "w_*".into(), "GET".into(), "#".into()]);
                }
                let args: Vec<&str> = cmd.iter().map(String::as_str).collect();
                c = c.cmd(&args).cmd(&["OBJECT", "ENCODING", "z"]);
            }
        }
        cases.push(c);
    }
    diff(&cases);
}
