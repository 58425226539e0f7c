//! Generic key commands, differentially against redis-server 7.0: deletion
//! and existence, KEYS glob rules, full SCAN iterations (compared as sets:
//! cursors and order are hash-table details), RANDOMKEY, RENAME/COPY/MOVE
//! across databases, the EXPIRE family with its NX/XX/GT/LT flags and
//! errors, TTL readouts (through a tolerant mask, the clock runs), OBJECT,
//! WAIT, DEBUG, and SWAPDB with data.
//!
//! Servers run with `--enable-debug-command yes` where DEBUG is used: Redis
//! refuses DEBUG otherwise.

use crate::util::keyspace::{scan_all, timed_case, DEBUG_OBJECT};
use crate::util::*;

const DEBUG_ON: &[&str] = &["--enable-debug-command", "yes"];

/// OBJECT IDLETIME counts seconds since the last access; a slow step may
/// see 1 or 2.
const IDLE: Mask = Mask::Custom(|r| match r {
    Reply::Int(i) if (0..=2).contains(i) => ":small".into(),
    other => canon(other),
});

/// OBJECT FREQ: the LFU counter of a fresh key is 5 and the first access
/// bumps it for sure, but it decays by one when the minute clock ticks
/// between write and read, so allow one below.
const FREQ: Mask = Mask::Custom(|r| match r {
    Reply::Int(i) if (4..=5).contains(i) => ":4..5".into(),
    Reply::Int(i) if *i == 6 => ":6 (or 5 after a minute tick)".into(),
    other => canon(other),
});

#[test]
fn del_exists_touch_type() {
    diff(&[
        case(
            "del unlink",
            &[
                &["MSET", "k1:a", "1", "k1:b", "2", "k1:c", "3"],
                &["DEL", "k1:a"],
                &["DEL", "k1:a"],
                &["DEL", "k1:b", "k1:b", "k1:none"],
                &["UNLINK", "k1:c", "k1:c"],
                &["UNLINK", "k1:none"],
                &["EXISTS", "k1:a", "k1:b", "k1:c"],
                &["DEL"],
                &["UNLINK"],
            ],
        ),
        case(
            "exists counts repeats",
            &[
                &["SET", "k1:x", "1"],
                &["EXISTS", "k1:x"],
                &["EXISTS", "k1:x", "k1:x", "k1:x"],
                &["EXISTS", "k1:x", "k1:none", "k1:x"],
                &["EXISTS", "k1:none"],
                &["EXISTS"],
            ],
        ),
        case(
            "touch",
            &[
                &["TOUCH", "k1:x"],
                &["TOUCH", "k1:x", "k1:x", "k1:none"],
                &["TOUCH", "k1:none"],
                &["TOUCH"],
            ],
        ),
        case(
            "type",
            &[
                &["TYPE", "k1:x"],
                &["TYPE", "k1:none"],
                &["SET", "k1:n", "12"],
                &["TYPE", "k1:n"],
                &["TYPE"],
                &["TYPE", "a", "b"],
            ],
        ),
    ]);
}

#[test]
fn keys_glob_rules() {
    let keys: &[&[u8]] = &[
        b"hello",
        b"hallo",
        b"hxllo",
        b"hllo",
        b"heeeello",
        b"h[a]llo",
        b"h*llo",
        b"h?llo",
        b"a\\b",
        b"\x00bin\xff",
        b"-",
        b"^a",
        b"]",
        b"[",
        b"abc",
        b"ABC",
        b"a-c",
        b"",
        b"a b",
    ];
    let mut setup = Case::new("setup").cmd(&["FLUSHALL"]);
    for k in keys {
        setup = setup.cmd_bytes(&[b"SET" as &[u8], k, b"v"]);
    }
    let patterns: &[&[u8]] = &[
        b"*",
        b"h?llo",
        b"h*llo",
        b"h*",
        b"*llo",
        b"h[ae]llo",
        b"h[^e]llo",
        b"h[!e]llo",
        b"h[a-b]llo",
        b"h[b-a]llo",
        b"h[a-]llo",
        b"h\\[a\\]llo",
        b"h\\*llo",
        b"h\\?llo",
        b"\\h*",
        b"a\\\\b",
        b"a\\b",
        b"[",
        b"\\[",
        b"[[]",
        b"]",
        b"[]]",
        b"[\\]]",
        b"h[",
        b"h[a",
        b"h[^",
        b"[a-",
        b"[^a]*",
        b"[A-Z]*",
        b"[a-z]??",
        b"*b*",
        b"?",
        b"??",
        b"\x00*",
        b"*\xff",
        b"",
        b"a b",
        b"a*c",
        b"a?c",
        b"**",
        b"***llo",
        b"h**o",
        b"nomatch",
        b"[\\^]a",
        b"\\",
        b"abc\\",
    ];
    let mut globs = Case::new("globs");
    for p in patterns {
        let cmd = crate::util::resp::encode_cmd(&[b"KEYS" as &[u8], p]);
        globs = globs.send(cmd, usize::MAX, 1, Mask::Unordered);
    }
    diff(&[
        setup,
        globs,
        case("arity", &[&["KEYS"], &["KEYS", "a", "b"]]),
    ]);
}

#[test]
fn scan() {
    let mut pair = Pair::start();
    pair.scenario("scan sets", |srv, t| {
        let mut c = srv.conn();
        t.call(&mut c, &["FLUSHALL"]);
        t.call(&mut c, &["SCAN", "0"]);
        for i in 0..300 {
            let k = format!("sc:{i}");
            c.call(&["SET", &k, &i.to_string()]);
        }
        c.call(&[b"SET" as &[u8], b"sc:\x00bin", b"v"]);
        let cases: &[&[&str]] = &[
            &[],
            &["COUNT", "1"],
            &["COUNT", "7"],
            &["COUNT", "1000"],
            &["MATCH", "sc:1*"],
            &["MATCH", "sc:1?", "COUNT", "3"],
            &["MATCH", "sc:[2-3]?"],
            &["MATCH", "nomatch*"],
            &["TYPE", "string"],
            &["TYPE", "STRING"],
            &["TYPE", "list"],
            &["TYPE", "bogus"],
            &["MATCH", "sc:2*", "TYPE", "string", "COUNT", "50"],
            &["MATCH", "a", "MATCH", "sc:5*"],
            &["COUNT", "5", "COUNT", "100"],
        ];
        for extra in cases {
            let keys: Vec<String> = scan_all(&mut c, extra).iter().map(|k| escape(k)).collect();
            t.note(&format!("full SCAN {extra:?}"), keys);
        }
    });
    diff(&[case(
        "scan errors",
        &[
            &["SCAN"],
            &["SCAN", "abc"],
            &["SCAN", "-1"],
            &["SCAN", "1.5"],
            &["SCAN", " 0"],
            &["SCAN", ""],
            &["SCAN", "18446744073709551615"],
            &["SCAN", "18446744073709551616"],
            &["SCAN", "0", "COUNT", "0"],
            &["SCAN", "0", "COUNT", "-1"],
            &["SCAN", "0", "COUNT", "x"],
            &["SCAN", "0", "COUNT"],
            &["SCAN", "0", "MATCH"],
            &["SCAN", "0", "TYPE"],
            &["SCAN", "0", "BOGUS", "1"],
            &["SCAN", "0", "BOGUS"],
            &["SCAN", "abc", "COUNT", "0"],
            &["SCAN", "0", "COUNT", "0", "BOGUS", "x"],
            &["SCAN", "0", "TYPE", "bogus"],
            &["SCAN", "0", "count", "10", "match", "*", "type", "string"],
        ],
    )]);
}

#[test]
fn randomkey() {
    diff(&[case(
        "randomkey",
        &[
            &["FLUSHALL"],
            &["RANDOMKEY"],
            &["SET", "only", "1"],
            &["RANDOMKEY"],
            &["RANDOMKEY"],
            &["SELECT", "3"],
            &["RANDOMKEY"],
            &["RANDOMKEY", "x"],
        ],
    )]);
}

#[test]
fn rename_renamenx() {
    diff(&[
        timed_case(
            "rename",
            &[
                &["RENAME", "k2:none", "k2:b"],
                &["RENAMENX", "k2:none", "k2:b"],
                &["SET", "k2:a", "1"],
                &["RENAME", "k2:a", "k2:a"],
                &["RENAMENX", "k2:a", "k2:a"],
                &["RENAME", "k2:a", "k2:b"],
                &["GET", "k2:a"],
                &["GET", "k2:b"],
                &["SET", "k2:c", "3", "EX", "100"],
                &["RENAME", "k2:c", "k2:b"],
                &["TTL", "k2:b"],
                &["GET", "k2:b"],
                &["SET", "k2:d", "4"],
                &["RENAME", "k2:d", "k2:b"],
                &["TTL", "k2:b"],
                &["SET", "k2:e", "5", "EX", "100"],
                &["RENAME", "k2:e", "k2:e"],
                &["TTL", "k2:e"],
                &["RENAME", "k2:a"],
                &["RENAME", "a", "b", "c"],
            ],
        ),
        timed_case(
            "renamenx",
            &[
                &["SET", "k2:x", "1", "PX", "100000"],
                &["RENAMENX", "k2:x", "k2:b"],
                &["RENAMENX", "k2:x", "k2:y"],
                &["PTTL", "k2:y"],
                &["EXISTS", "k2:x"],
                &["RENAMENX", "k2:y"],
            ],
        ),
    ]);
}

#[test]
fn copy_and_move() {
    diff(&[
        timed_case(
            "copy",
            &[
                &["COPY", "k3:none", "k3:b"],
                &["SET", "k3:a", "1", "EX", "100"],
                &["COPY", "k3:a", "k3:a"],
                &["COPY", "k3:a", "k3:b"],
                &["TTL", "k3:b"],
                &["GET", "k3:b"],
                &["SET", "k3:a", "2"],
                &["COPY", "k3:a", "k3:b"],
                &["COPY", "k3:a", "k3:b", "REPLACE"],
                &["GET", "k3:b"],
                &["TTL", "k3:b"],
                &["COPY", "k3:a", "k3:b", "DB", "1"],
                &["COPY", "k3:a", "k3:b", "DB", "1"],
                &["COPY", "k3:a", "k3:a", "DB", "1"],
                &["COPY", "k3:a", "k3:a", "DB", "0"],
                &["COPY", "k3:a", "k3:a", "DB", "1", "REPLACE"],
                &["COPY", "k3:a", "k3:b", "DB", "16"],
                &["COPY", "k3:a", "k3:b", "DB", "-1"],
                &["COPY", "k3:a", "k3:b", "DB", "x"],
                &["COPY", "k3:a", "k3:b", "DB"],
                &["COPY", "k3:a", "k3:b", "BOGUS"],
                &["COPY", "k3:a", "k3:b", "REPLACE", "REPLACE"],
                &["COPY", "k3:none", "k3:b", "DB", "99"],
                &["COPY", "k3:none", "k3:b", "BOGUS"],
                &["COPY", "k3:a"],
                &["SELECT", "1"],
                &["GET", "k3:b"],
                &["GET", "k3:a"],
                &["COPY", "k3:a", "k3:c", "DB", "0"],
                &["SELECT", "0"],
                &["GET", "k3:c"],
            ],
        ),
        timed_case(
            "move",
            &[
                &["MOVE", "k3:none", "1"],
                &["SET", "k3:m", "1", "EX", "100"],
                &["MOVE", "k3:m", "0"],
                &["MOVE", "k3:m", "16"],
                &["MOVE", "k3:m", "-1"],
                &["MOVE", "k3:m", "x"],
                &["MOVE", "k3:none", "x"],
                &["MOVE", "k3:none", "16"],
                &["MOVE", "k3:m", "2"],
                &["EXISTS", "k3:m"],
                &["SELECT", "2"],
                &["GET", "k3:m"],
                &["TTL", "k3:m"],
                &["SET", "k3:n", "in2"],
                &["SELECT", "0"],
                &["SET", "k3:n", "in0"],
                &["MOVE", "k3:n", "2"],
                &["GET", "k3:n"],
                &["MOVE", "k3:n"],
                &["MOVE", "k3:n", "1", "2"],
            ],
        ),
    ]);
}

#[test]
fn expire_family() {
    diff(&[
        timed_case(
            "basic",
            &[
                &["EXPIRE", "k4:none", "100"],
                &["SET", "k4:a", "1"],
                &["TTL", "k4:a"],
                &["PTTL", "k4:a"],
                &["EXPIRETIME", "k4:a"],
                &["PEXPIRETIME", "k4:a"],
                &["TTL", "k4:none"],
                &["PTTL", "k4:none"],
                &["EXPIRETIME", "k4:none"],
                &["PEXPIRETIME", "k4:none"],
                &["EXPIRE", "k4:a", "100"],
                &["TTL", "k4:a"],
                &["PTTL", "k4:a"],
                &["PEXPIRE", "k4:a", "100000"],
                &["TTL", "k4:a"],
                &["EXPIREAT", "k4:a", "4102444800"],
                &["EXPIRETIME", "k4:a"],
                &["PEXPIRETIME", "k4:a"],
                &["SET", "k4:max", "1"],
                &["PEXPIREAT", "k4:max", "9223372036854775807"],
                &["EXPIRETIME", "k4:max"],
                &["PEXPIRETIME", "k4:max"],
                &["PEXPIREAT", "k4:a", "4102444800123"],
                &["EXPIRETIME", "k4:a"],
                &["PEXPIRETIME", "k4:a"],
                &["PERSIST", "k4:a"],
                &["PERSIST", "k4:a"],
                &["PERSIST", "k4:none"],
                &["TTL", "k4:a"],
                &["PERSIST"],
                &["TTL"],
                &["EXPIRE", "k4:a"],
                &["EXPIRETIME", "a", "b"],
            ],
        ),
        case(
            "past and negative times delete",
            &[
                &[
                    "MSET", "k4:p1", "1", "k4:p2", "2", "k4:p3", "3", "k4:p4", "4",
                ],
                &["EXPIRE", "k4:p1", "-1"],
                &["EXISTS", "k4:p1"],
                &["PEXPIRE", "k4:p2", "0"],
                &["EXISTS", "k4:p2"],
                &["EXPIREAT", "k4:p3", "1"],
                &["EXISTS", "k4:p3"],
                &["PEXPIREAT", "k4:p4", "-9223372036854775808"],
                &["EXISTS", "k4:p4"],
                &["EXPIRE", "k4:p1", "-1"],
                &["SET", "k4:p5", "5"],
                &["EXPIRE", "k4:p5", "0", "NX"],
                &["EXISTS", "k4:p5"],
                &["SET", "k4:p6", "6"],
                &["EXPIRE", "k4:p6", "-5", "GT"],
                &["EXISTS", "k4:p6"],
                &["EXPIRE", "k4:p6", "-5", "LT"],
                &["EXISTS", "k4:p6"],
            ],
        ),
        case(
            "overflow and parse errors",
            &[
                &["SET", "k4:o", "1"],
                &["EXPIRE", "k4:o", "9223372036854775807"],
                &["EXPIRE", "k4:o", "9223372036854775"],
                &["EXPIRE", "k4:o", "9223372036854776"],
                &["EXPIRE", "k4:o", "-9223372036854775808"],
                &["EXPIRE", "k4:o", "-9223372036854775"],
                &["EXPIRE", "k4:o", "-9223372036854776"],
                &["PEXPIRE", "k4:o", "9223372036854775807"],
                &["PEXPIRE", "k4:o", "-9223372036854775808"],
                &["EXPIREAT", "k4:o", "9223372036854775807"],
                &["EXPIREAT", "k4:o", "-9223372036854775808"],
                &["PEXPIREAT", "k4:o", "9223372036854775807"],
                &["EXISTS", "k4:o"],
                &["EXPIRE", "k4:o", "abc"],
                &["EXPIRE", "k4:o", "1.5"],
                &["EXPIRE", "k4:o", ""],
                &["EXPIRE", "k4:o", "9223372036854775808"],
                &["EXPIRE", "k4:none", "abc"],
                &["EXPIRE", "k4:none", "9223372036854775807"],
                &["EXPIRE", "k4:none", "-1"],
                &["PEXPIREAT", "k4:o", "4102444800000"],
                &["PEXPIRETIME", "k4:o"],
            ],
        ),
        timed_case(
            "flags",
            &[
                &["SET", "k4:f", "1"],
                &["EXPIRE", "k4:f", "100", "XX"],
                &["EXPIRE", "k4:f", "100", "GT"],
                &["EXPIRE", "k4:f", "1000", "LT"],
                &["TTL", "k4:f"],
                &["EXPIRE", "k4:f", "100", "NX"],
                &["EXPIRE", "k4:f", "10000", "XX"],
                &["TTL", "k4:f"],
                &["EXPIRE", "k4:f", "100000", "GT"],
                &["TTL", "k4:f"],
                &["EXPIRE", "k4:f", "1000", "GT"],
                &["EXPIRE", "k4:f", "1000000", "LT"],
                &["EXPIRE", "k4:f", "1000", "LT"],
                &["TTL", "k4:f"],
                // 999 s, not 1000: an equal TTL would compare by whether a
                // millisecond passed since the previous command.
                &["EXPIRE", "k4:f", "999", "XX", "GT"],
                &["EXPIRE", "k4:f", "10000", "XX", "GT"],
                &["EXPIRE", "k4:f", "100", "LT", "XX"],
                &["TTL", "k4:f"],
                &["EXPIRE", "k4:f", "100", "nx"],
                &["PERSIST", "k4:f"],
                &["EXPIRE", "k4:f", "100", "GT"],
                &["PEXPIRE", "k4:f", "100000", "LT"],
                &["PTTL", "k4:f"],
                &["EXPIREAT", "k4:f", "4102444800", "GT"],
                &["PEXPIREAT", "k4:f", "4102444800000", "NX"],
                &["PEXPIREAT", "k4:f", "4102444800001", "GT"],
                &["PEXPIRETIME", "k4:f"],
                &["EXPIRE", "k4:none", "100", "NX"],
                &["EXPIRE", "k4:none", "100", "XX"],
            ],
        ),
        case(
            "flag conflicts",
            &[
                &["SET", "k4:g", "1"],
                &["EXPIRE", "k4:g", "100", "NX", "XX"],
                &["EXPIRE", "k4:g", "100", "NX", "GT"],
                &["EXPIRE", "k4:g", "100", "NX", "LT"],
                &["EXPIRE", "k4:g", "100", "GT", "LT"],
                &["EXPIRE", "k4:g", "100", "LT", "GT"],
                &["EXPIRE", "k4:g", "100", "XX", "NX"],
                &["EXPIRE", "k4:g", "100", "GT", "NX"],
                &["EXPIRE", "k4:g", "100", "NX", "NX"],
                &["EXPIRE", "k4:g", "100", "BOGUS"],
                &["EXPIRE", "k4:g", "100", "NX", "BOGUS"],
                &["EXPIRE", "k4:g", "100", "BOGUS", "NX", "XX"],
                &["EXPIRE", "k4:g", "abc", "NX", "XX"],
                &["EXPIRE", "k4:g", "abc", "BOGUS"],
                &["PEXPIRE", "k4:g", "100", "GT", "LT"],
                &["EXPIREAT", "k4:g", "100", "NX", "XX"],
                &["PEXPIREAT", "k4:g", "100", "FOO"],
                &["EXPIRE", "k4:none", "100", "GT", "LT"],
                &["EXPIRE", "k4:none", "100", "NX", "XX", "GT"],
                &["TTL", "k4:g"],
            ],
        ),
    ]);
}

#[test]
fn object_subcommands() {
    diff(&[Case::new("object")
        .cmd(&["SET", "k5:a", "hello"])
        .cmd(&["SET", "k5:i", "42"])
        .cmd(&["OBJECT", "ENCODING", "k5:a"])
        .cmd(&["OBJECT", "ENCODING", "k5:i"])
        .cmd(&["OBJECT", "ENCODING", "k5:none"])
        .cmd(&["OBJECT", "REFCOUNT", "k5:a"])
        .cmd(&["OBJECT", "REFCOUNT", "k5:i"])
        .cmd(&["OBJECT", "REFCOUNT", "k5:none"])
        .masked(IDLE, &["OBJECT", "IDLETIME", "k5:a"])
        .cmd(&["OBJECT", "IDLETIME", "k5:none"])
        .cmd(&["OBJECT", "FREQ", "k5:a"])
        .cmd(&["OBJECT", "FREQ", "k5:none"])
        .cmd(&["OBJECT", "HELP"])
        .cmd(&["OBJECT", "help"])
        .cmd(&["OBJECT", "HELP", "x"])
        .cmd(&["OBJECT"])
        .cmd(&["OBJECT", "BOGUS"])
        .cmd(&["OBJECT", "BOGUS", "k5:a"])
        .cmd(&["OBJECT", "ENCODING"])
        .cmd(&["OBJECT", "ENCODING", "k5:a", "x"])
        .cmd(&["OBJECT", "REFCOUNT"])
        .cmd(&["OBJECT", "IDLETIME"])
        .cmd(&["OBJECT", "FREQ"])
        .cmd(&["object", "encoding", "k5:a"])]);
}

#[test]
fn object_under_lfu() {
    diff_with(
        &["--maxmemory-policy", "allkeys-lfu"],
        &[Case::new("lfu")
            .cmd(&["SET", "k6:a", "hello"])
            .masked(FREQ, &["OBJECT", "FREQ", "k6:a"])
            .cmd(&["GET", "k6:a"])
            .masked(FREQ, &["OBJECT", "FREQ", "k6:a"])
            .cmd(&["OBJECT", "FREQ", "k6:none"])
            .cmd(&["OBJECT", "IDLETIME", "k6:a"])
            .cmd(&["OBJECT", "IDLETIME", "k6:none"])
            .cmd(&["OBJECT", "REFCOUNT", "k6:a"])
            .cmd(&["CONFIG", "SET", "maxmemory-policy", "allkeys-lru"])
            // The LFU bits are now read as an LRU clock: a large number of
            // seconds that depends on the clock, so only its type is checked.
            .masked(Mask::Type, &["OBJECT", "IDLETIME", "k6:a"])
            .cmd(&["OBJECT", "FREQ", "k6:a"])
            .cmd(&["CONFIG", "SET", "maxmemory-policy", "noeviction"])
            .masked(Mask::Type, &["OBJECT", "IDLETIME", "k6:a"])
            .cmd(&["OBJECT", "FREQ", "k6:a"])],
    );
}

#[test]
fn wait() {
    diff(&[case(
        "wait",
        &[
            &["WAIT", "0", "0"],
            &["WAIT", "1", "1"],
            &["WAIT", "0", "-1"],
            &["WAIT", "x", "0"],
            &["WAIT", "0", "x"],
            &["WAIT", "-1", "0"],
            &["WAIT", "0", "1.5"],
            &["WAIT", "0"],
            &["WAIT", "0", "0", "0"],
        ],
    )]);
}

#[test]
fn debug_command() {
    let big = "z".repeat(100);
    diff_with(
        DEBUG_ON,
        &[
            Case::new("debug object")
                .cmd(&["SET", "k7:s", "hello"])
                .cmd(&["SET", "k7:i", "1234"])
                .cmd(&["SET", "k7:big", &big])
                .cmd(&["SET", "k7:neg", "-70000"])
                .cmd(&["SET", "k7:e", ""])
                .masked(DEBUG_OBJECT, &["DEBUG", "OBJECT", "k7:s"])
                .masked(DEBUG_OBJECT, &["DEBUG", "OBJECT", "k7:i"])
                .masked(DEBUG_OBJECT, &["DEBUG", "OBJECT", "k7:big"])
                .masked(DEBUG_OBJECT, &["DEBUG", "OBJECT", "k7:neg"])
                .masked(DEBUG_OBJECT, &["DEBUG", "OBJECT", "k7:e"])
                .cmd(&["APPEND", "k7:s", "!"])
                .masked(DEBUG_OBJECT, &["DEBUG", "OBJECT", "k7:s"])
                .cmd(&["DEBUG", "OBJECT", "k7:none"])
                .cmd(&["DEBUG", "OBJECT"])
                .cmd(&["DEBUG", "OBJECT", "k7:s", "x"]),
            case(
                "debug populate",
                &[
                    &["FLUSHALL"],
                    &["DEBUG", "POPULATE", "100"],
                    &["DBSIZE"],
                    &["GET", "key:0"],
                    &["GET", "key:99"],
                    &["GET", "key:100"],
                    &["STRLEN", "key:42"],
                    &["OBJECT", "ENCODING", "key:42"],
                    &["DEBUG", "POPULATE", "10", "pfx"],
                    &["GET", "pfx:3"],
                    &["DBSIZE"],
                    &["DEBUG", "POPULATE", "10", "sz", "50"],
                    &["GET", "sz:1"],
                    &["STRLEN", "sz:1"],
                    &["OBJECT", "ENCODING", "sz:1"],
                    &["DEBUG", "POPULATE", "5", "sz", "2"],
                    &["GET", "sz:1"],
                    &["DEBUG", "POPULATE", "3", "tiny", "1"],
                    &["GET", "tiny:2"],
                    &["DEBUG", "POPULATE", "2", "zero", "0"],
                    &["GET", "zero:1"],
                    &["DBSIZE"],
                    &["DEBUG", "POPULATE", "0"],
                    &["DEBUG", "POPULATE", "-1"],
                    &["DEBUG", "POPULATE", "x"],
                    &["DEBUG", "POPULATE", "10", "pfx", "-1"],
                    &["DEBUG", "POPULATE", "10", "pfx", "x"],
                    &["DEBUG", "POPULATE"],
                    &["DBSIZE"],
                ],
            ),
            case(
                "debug misc and errors",
                &[
                    &["DEBUG", "SLEEP", "0"],
                    &["DEBUG", "SLEEP", "0.01"],
                    &["DEBUG", "SLEEP", "x"],
                    &["DEBUG", "SET-ACTIVE-EXPIRE", "0"],
                    &["DEBUG", "SET-ACTIVE-EXPIRE", "1"],
                    &["DEBUG", "SET-ACTIVE-EXPIRE", "x"],
                    &["DEBUG", "SET-ACTIVE-EXPIRE"],
                    &["DEBUG", "LOG", "hello from the test"],
                    &["DEBUG", "LOG"],
                    &["DEBUG", "BOGUS"],
                    &["DEBUG"],
                ],
            ),
        ],
    );
    debug_help_is_a_subset_of_redis();
    // Without --enable-debug-command Redis refuses DEBUG outright.
    diff(&[case(
        "debug disabled",
        &[
            &["DEBUG", "OBJECT", "x"],
            &["DEBUG", "HELP"],
            &["DEBUG", "BOGUS"],
        ],
    )]);
}

/// ferrodis implements only some DEBUG subcommands (docs/compatibility.md),
/// so its HELP is shorter; every line it prints must be Redis's own, in
/// Redis's order.
fn debug_help_is_a_subset_of_redis() {
    let mut pair = Pair::start_with(DEBUG_ON);
    let [redis, ferrodis] = pair.servers();
    let lines = |srv: &mut Server| -> Vec<String> {
        srv.conn()
            .call_parsed(&["DEBUG", "HELP"])
            .items()
            .iter()
            .map(Reply::text)
            .collect()
    };
    let theirs = lines(redis);
    let ours = lines(ferrodis);
    assert!(ours.len() > 3, "DEBUG HELP too short: {ours:?}");
    let mut rest = theirs.iter();
    for line in &ours {
        assert!(
            rest.any(|l| l == line),
            "DEBUG HELP line Redis does not print, or not there: {line:?}"
        );
    }
}

#[test]
fn databases_and_swapdb() {
    diff(&[
        case(
            "cross-db",
            &[
                &["FLUSHALL"],
                &["SET", "k8:a", "db0"],
                &["SELECT", "1"],
                &["GET", "k8:a"],
                &["SET", "k8:a", "db1"],
                &["SET", "k8:b", "only1"],
                &["DBSIZE"],
                &["MGET", "k8:a", "k8:b"],
                &["RENAME", "k8:b", "k8:c"],
                &["SELECT", "0"],
                &["GET", "k8:a"],
                &["EXISTS", "k8:b", "k8:c"],
                &["DBSIZE"],
                &["SELECT", "16"],
                &["SELECT", "-1"],
                &["SELECT", "x"],
            ],
        ),
        timed_case(
            "swapdb",
            &[
                &["SET", "k8:t", "ttl", "EX", "100"],
                &["SWAPDB", "0", "1"],
                &["GET", "k8:a"],
                &["GET", "k8:c"],
                &["TTL", "k8:t"],
                &["DBSIZE"],
                &["SELECT", "1"],
                &["GET", "k8:a"],
                &["TTL", "k8:t"],
                &["SWAPDB", "1", "0"],
                &["GET", "k8:a"],
                &["DBSIZE"],
                &["SWAPDB", "0", "16"],
                &["SWAPDB", "x", "1"],
                &["SWAPDB", "1", "x"],
                &["SWAPDB", "1", "1"],
                &["SWAPDB", "0", "5"],
                &["SELECT", "5"],
                &["GET", "k8:a"],
                &["SWAPDB", "0"],
            ],
        ),
    ]);
}
