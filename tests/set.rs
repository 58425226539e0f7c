//! The set type, differentially against redis-server 7.0: every command,
//! option and error in Redis's check order, both encodings and the
//! conversion between them (OBJECT ENCODING and DUMP bytes, intset width
//! upgrades included), RESP2 and RESP3 shapes, WRONGTYPE in both
//! directions, generic key commands on sets, DEBUG DIGEST, and
//! persistence: DUMP/RESTORE and RDB files in both directions, AOF
//! rewrite and SPOP's propagation.
//!
//! An intset iterates in ascending order in both servers, so its replies
//! must match exactly; a hash table iterates in an order random per
//! process, so its replies are compared as multisets. Random replies
//! (SRANDMEMBER, SPOP) are compared by size, type and distinctness, and by
//! what the set holds afterwards.

use std::fs;

use crate::hash::crc64;
use crate::util::keyspace::DEBUG_OBJECT;
use crate::util::server::temp_dir;
use crate::util::*;

/// DEBUG (DIGEST, DIGEST-VALUE) is used throughout.
const DEBUG_ON: &[&str] = &["--enable-debug-command", "yes"];

fn sdiff_cases(cases: &[Case]) {
    diff_with(DEBUG_ON, cases);
}

/// Replies to HELLO differ only in the connection id.
const HELLO: Mask = Mask::Pairs(&["id"]);
/// Members of a hash table, in any order.
const ANY_ORDER: Mask = Mask::Unordered;

/// A random reply's checkable facts: its type, length, how many distinct
/// members, and whether every member looks like one of the test members
/// (`m<n>` strings or integers).
fn random_summary(r: &Reply, distinct: bool) -> String {
    let items = match r {
        Reply::Array(items) | Reply::Set(items) => items,
        other => return canon(other),
    };
    let texts: Vec<String> = items.iter().map(Reply::text).collect();
    let mut unique = texts.clone();
    unique.sort();
    unique.dedup();
    let members = texts.iter().all(|t| {
        t.strip_prefix('m')
            .unwrap_or(t)
            .trim_start_matches('-')
            .bytes()
            .all(|b| b.is_ascii_digit())
    });
    let distinct = if distinct {
        unique.len().to_string()
    } else {
        "-".into()
    };
    format!(
        "{} len={} distinct={distinct} members={members}",
        r.type_byte() as char,
        items.len(),
    )
}

/// SRANDMEMBER and SPOP with a positive count: no repeats.
const RANDOM: Mask = Mask::Custom(|r| random_summary(r, true));
/// SRANDMEMBER with a negative count: repeats allowed.
const RANDOM_ANY: Mask = Mask::Custom(|r| random_summary(r, false));
/// SRANDMEMBER and SPOP without a count: one member, or nil.
const RANDOM_ONE: Mask = Mask::Custom(|r| match r {
    Reply::Bulk(_) => "a member".into(),
    other => canon(other),
});

/// A SCAN reply that ends the scan: the cursor, and the keys in any order.
const SCAN_ALL: Mask = Mask::Custom(|r| match r.items() {
    [cursor, keys] => {
        let mut keys: Vec<String> = keys.items().iter().map(Reply::text).collect();
        keys.sort();
        format!("cursor={} keys={keys:?}", cursor.text())
    }
    _ => canon(r),
});

/// `SADD key <members>` as owned strings.
fn sadd<I: IntoIterator<Item = String>>(key: &str, members: I) -> Vec<String> {
    let mut cmd = vec!["SADD".to_string(), key.to_string()];
    cmd.extend(members);
    cmd
}

/// `m0 .. m<n-1>`.
fn strings(n: usize) -> impl Iterator<Item = String> {
    (0..n).map(|i| format!("m{i}"))
}

/// `0 .. n-1`.
fn ints(n: usize) -> impl Iterator<Item = String> {
    (0..n).map(|i| i.to_string())
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn add_remove_and_membership() {
    sdiff_cases(&[
        case(
            "intset",
            &[
                &["SADD", "s1:a", "3", "1", "2", "1"],
                &["SADD", "s1:a", "2", "3"],
                &["SADD", "s1:a", "-7", "100000", "5000000000"],
                &["SMEMBERS", "s1:a"],
                &["SCARD", "s1:a"],
                &["SCARD", "s1:missing"],
                &["SISMEMBER", "s1:a", "2"],
                &["SISMEMBER", "s1:a", "02"],
                &["SISMEMBER", "s1:a", "x"],
                &["SISMEMBER", "s1:missing", "2"],
                &["SMISMEMBER", "s1:a", "1", "9", "-7", "x"],
                &["SMISMEMBER", "s1:missing", "1", "2"],
                &["SREM", "s1:a", "9", "x"],
                &["SREM", "s1:a", "1", "1", "5000000000"],
                &["SMEMBERS", "s1:a"],
                &["OBJECT", "ENCODING", "s1:a"],
                &["TYPE", "s1:a"],
                &["SREM", "s1:a", "2", "3", "-7", "100000", "4"],
                &["EXISTS", "s1:a"],
                &["SREM", "s1:missing", "1"],
                &["SMEMBERS", "s1:missing"],
            ],
        ),
        case(
            "strings",
            &[
                &["SADD", "s1:b", "x", "y", "1"],
                &["OBJECT", "ENCODING", "s1:b"],
                &["SCARD", "s1:b"],
                &["SISMEMBER", "s1:b", "1"],
                &["SISMEMBER", "s1:b", "x"],
                &["SMISMEMBER", "s1:b", "x", "z", "1"],
                &["SADD", "s1:b", ""],
                &["SISMEMBER", "s1:b", ""],
                &["SREM", "s1:b", "x", "y", "1", ""],
                &["EXISTS", "s1:b"],
            ],
        )
        .masked(ANY_ORDER, &["SADD", "s1:c", "b", "a", "c"])
        .masked(ANY_ORDER, &["SMEMBERS", "s1:c"]),
        case(
            "arity",
            &[
                &["SADD", "s1:e"],
                &["SREM", "s1:e"],
                &["SCARD"],
                &["SCARD", "a", "b"],
                &["SISMEMBER", "s1:e"],
                &["SMISMEMBER", "s1:e"],
                &["SMEMBERS"],
                &["SRANDMEMBER"],
                &["SPOP"],
                &["SMOVE", "a", "b"],
                &["SINTER"],
                &["SINTERSTORE", "d"],
                &["SINTERCARD", "1"],
                &["SUNION"],
                &["SUNIONSTORE", "d"],
                &["SDIFF"],
                &["SDIFFSTORE", "d"],
                &["SSCAN", "s1:e"],
                &["EXISTS", "s1:e", "d"],
            ],
        ),
    ]);
}

#[test]
fn command_table_entries() {
    let mut info = Case::new("COMMAND INFO and DOCS");
    for name in [
        "sadd",
        "scard",
        "sdiff",
        "sdiffstore",
        "sinter",
        "sintercard",
        "sinterstore",
        "sismember",
        "smembers",
        "smismember",
        "smove",
        "spop",
        "srandmember",
        "srem",
        "sscan",
        "sunion",
        "sunionstore",
    ] {
        info = info
            .cmd(&["COMMAND", "INFO", name])
            .cmd(&["COMMAND", "GETKEYS", name, "k", "m", "n"]);
    }
    sdiff_cases(&[info.cmd(&[
        "COMMAND",
        "GETKEYS",
        "SINTERCARD",
        "2",
        "a",
        "b",
        "LIMIT",
        "1",
    ])]);
}

/// Members that are integers only in Redis's strict sense keep the intset;
/// anything else (leading zeros, signs, spaces, out of range) makes a
/// table. Too many members make one too, and it never converts back.
#[test]
fn encodings_cross_the_threshold() {
    let mut strict = Case::new("what counts as an integer");
    for (i, m) in [
        "0",
        "-1",
        "9223372036854775807",
        "-9223372036854775808",
        "01",
        "-0",
        "+1",
        " 1",
        "1 ",
        "9223372036854775808",
        "1.0",
        "",
    ]
    .into_iter()
    .enumerate()
    {
        let key = format!("s2:{i}");
        strict = strict
            .cmd(&["SADD", &key, "5", m])
            .cmd(&["OBJECT", "ENCODING", &key])
            .masked(ANY_ORDER, &["SMEMBERS", &key])
            .cmd(&["SISMEMBER", &key, m]);
    }
    let limit = Case::new("set-max-intset-entries")
        .cmd(&["CONFIG", "SET", "set-max-intset-entries", "4"])
        .cmd(&["SADD", "s2:a", "1", "2", "3", "4"])
        .cmd(&["OBJECT", "ENCODING", "s2:a"])
        .cmd(&["DUMP", "s2:a"])
        .cmd(&["SADD", "s2:a", "5"])
        .cmd(&["OBJECT", "ENCODING", "s2:a"])
        .cmd(&["SREM", "s2:a", "5", "4", "3"])
        .cmd(&["OBJECT", "ENCODING", "s2:a"])
        .cmd(&["SADD", "s2:b", "1", "2", "3", "4", "5", "6"])
        .cmd(&["OBJECT", "ENCODING", "s2:b"])
        .cmd(&["SADD", "s2:c", "1"])
        .cmd(&["SADD", "s2:c", "x"])
        .cmd(&["OBJECT", "ENCODING", "s2:c"])
        .cmd(&["SREM", "s2:c", "x"])
        .cmd(&["OBJECT", "ENCODING", "s2:c"])
        .cmd(&["SMEMBERS", "s2:c"])
        .cmd(&["CONFIG", "SET", "set-max-intset-entries", "0"])
        .cmd(&["SADD", "s2:d", "7"])
        .cmd(&["OBJECT", "ENCODING", "s2:d"])
        .cmd(&["CONFIG", "SET", "set-max-intset-entries", "512"]);
    // Widths 2, 4 and 8, upgraded in both directions; DUMP shows the bytes.
    let mut widths = Case::new("intset width upgrades");
    for (key, steps) in [
        (
            "s2:w1",
            &["1", "70000", "-5000000000", "32767", "-32768"][..],
        ),
        ("s2:w2", &["-1", "-2147483649", "2"]),
        ("s2:w3", &["300", "-70000"]),
    ] {
        for m in steps {
            widths = widths
                .cmd(&["SADD", key, m])
                .cmd(&["DUMP", key])
                .cmd(&["SMEMBERS", key]);
        }
        widths = widths
            .cmd(&["SREM", key, steps[1]])
            .cmd(&["DUMP", key])
            .cmd(&["DEBUG", "DIGEST-VALUE", key]);
    }
    sdiff_cases(&[strict, limit, widths]);
}

#[test]
fn algebra_on_intsets_is_ordered() {
    sdiff_cases(&[
        case(
            "inter union diff",
            &[
                &["SADD", "s3:a", "5", "1", "3", "7", "9"],
                &["SADD", "s3:b", "3", "4", "5", "6", "7"],
                &["SADD", "s3:c", "7", "3", "100"],
                &["SINTER", "s3:a", "s3:b"],
                &["SINTER", "s3:a", "s3:b", "s3:c"],
                &["SINTER", "s3:a"],
                &["SINTER", "s3:a", "s3:a"],
                &["SINTER", "s3:a", "s3:missing"],
                &["SUNION", "s3:a", "s3:b", "s3:c"],
                &["SUNION", "s3:a", "s3:missing"],
                &["SUNION", "s3:missing"],
                &["SDIFF", "s3:a", "s3:b"],
                &["SDIFF", "s3:a", "s3:b", "s3:c"],
                &["SDIFF", "s3:a", "s3:missing"],
                &["SDIFF", "s3:missing", "s3:a"],
                &["SDIFF", "s3:a", "s3:a"],
                &["SDIFF", "s3:a", "s3:b", "s3:a"],
                &["SINTERCARD", "2", "s3:a", "s3:b"],
                &["SINTERCARD", "2", "s3:a", "s3:b", "LIMIT", "1"],
                &["SINTERCARD", "2", "s3:a", "s3:b", "LIMIT", "0"],
                &[
                    "SINTERCARD",
                    "2",
                    "s3:a",
                    "s3:b",
                    "limit",
                    "2",
                    "LIMIT",
                    "100",
                ],
                &["SINTERCARD", "1", "s3:missing"],
                &["SINTERCARD", "2", "s3:a", "s3:missing"],
            ],
        ),
        case(
            "store forms",
            &[
                &["SADD", "s3:x", "1", "2", "3"],
                &["SADD", "s3:y", "2", "3", "4"],
                &["SINTERSTORE", "s3:d", "s3:x", "s3:y"],
                &["SMEMBERS", "s3:d"],
                &["OBJECT", "ENCODING", "s3:d"],
                &["SUNIONSTORE", "s3:d", "s3:x", "s3:y"],
                &["SMEMBERS", "s3:d"],
                &["SDIFFSTORE", "s3:d", "s3:x", "s3:y"],
                &["SMEMBERS", "s3:d"],
                &["SDIFFSTORE", "s3:x", "s3:x", "s3:y"],
                &["SMEMBERS", "s3:x"],
                &["SET", "s3:str", "v"],
                &["EXPIRE", "s3:str", "100"],
                &["SUNIONSTORE", "s3:str", "s3:y"],
                &["TYPE", "s3:str"],
                &["TTL", "s3:str"],
                &["SINTERSTORE", "s3:d", "s3:x", "s3:missing"],
                &["EXISTS", "s3:d"],
                &["SADD", "s3:d", "1"],
                &["SINTERSTORE", "s3:d", "s3:x", "s3:y"],
                &["EXISTS", "s3:d"],
                &["SADD", "s3:d", "1"],
                &["SDIFFSTORE", "s3:d", "s3:y", "s3:y"],
                &["EXISTS", "s3:d"],
                &["SUNIONSTORE", "s3:d", "s3:missing"],
                &["EXISTS", "s3:d"],
                &["SINTERSTORE", "s3:d", "s3:missing"],
                &["CONFIG", "SET", "set-max-intset-entries", "3"],
                &["SUNIONSTORE", "s3:big", "s3:x", "s3:y"],
                &["OBJECT", "ENCODING", "s3:big"],
                &["SUNIONSTORE", "s3:small", "s3:y"],
                &["OBJECT", "ENCODING", "s3:small"],
            ],
        ),
        case(
            "sintercard errors",
            &[
                &["SINTERCARD", "0", "a"],
                &["SINTERCARD", "-1", "a"],
                &["SINTERCARD", "x", "a"],
                &["SINTERCARD", "2", "a"],
                &["SINTERCARD", "1", "a", "LIMIT"],
                &["SINTERCARD", "1", "a", "LIMIT", "-1"],
                &["SINTERCARD", "1", "a", "LIMIT", "x"],
                &["SINTERCARD", "1", "a", "FOO", "1"],
                &["SINTERCARD", "1", "a", "b"],
            ],
        ),
    ]);
}

#[test]
fn algebra_on_tables() {
    sdiff_cases(&[Case::new("mixed encodings")
        .cmd(&["SADD", "s4:i", "1", "2", "3", "4"])
        .cmd(&["SADD", "s4:t", "a", "b", "3", "4"])
        .cmd(&["SADD", "s4:u", "b", "4", "z"])
        .cmd(&["SINTER", "s4:i", "s4:t"])
        .masked(ANY_ORDER, &["SINTER", "s4:t", "s4:i"])
        .masked(ANY_ORDER, &["SINTER", "s4:t", "s4:u"])
        .cmd(&["SINTER", "s4:i", "s4:t", "s4:u"])
        .masked(ANY_ORDER, &["SUNION", "s4:i", "s4:t", "s4:u"])
        .masked(ANY_ORDER, &["SDIFF", "s4:t", "s4:i"])
        .cmd(&["SDIFF", "s4:i", "s4:t"])
        .masked(ANY_ORDER, &["SDIFF", "s4:u", "s4:missing", "s4:i"])
        .cmd(&["SINTERCARD", "3", "s4:i", "s4:t", "s4:u"])
        .cmd(&["SINTERSTORE", "s4:d", "s4:t", "s4:i"])
        .cmd(&["OBJECT", "ENCODING", "s4:d"])
        .cmd(&["SMEMBERS", "s4:d"])
        .cmd(&["SDIFFSTORE", "s4:d", "s4:t", "s4:u"])
        .cmd(&["OBJECT", "ENCODING", "s4:d"])
        .masked(ANY_ORDER, &["SMEMBERS", "s4:d"])
        .cmd(&["SUNIONSTORE", "s4:d", "s4:i", "s4:t"])
        .cmd(&["SCARD", "s4:d"])
        .cmd(&["DEBUG", "DIGEST-VALUE", "s4:d"])
        .cmd(&["SDIFFSTORE", "s4:d", "s4:t", "s4:t", "s4:i"])
        .cmd(&["EXISTS", "s4:d"])
        .cmd(&strs(&sadd("s4:big", strings(300))))
        .cmd(&strs(&sadd("s4:big2", strings(200))))
        .cmd(&["SDIFFSTORE", "s4:d", "s4:big", "s4:big2", "s4:t"])
        .cmd(&["SINTERCARD", "2", "s4:big", "s4:big2"])
        .cmd(&["SINTERCARD", "2", "s4:big", "s4:big2", "LIMIT", "50"])
        .cmd(&["SDIFFSTORE", "s4:d", "s4:big2", "s4:big"])
        .cmd(&["SDIFFSTORE", "s4:d", "s4:i", "s4:big"])
        .cmd(&["SMEMBERS", "s4:d"])])
}

#[test]
fn smove() {
    sdiff_cases(&[
        case(
            "moves",
            &[
                &["SADD", "s5:a", "1", "2", "3"],
                &["SADD", "s5:b", "x"],
                &["SMOVE", "s5:a", "s5:b", "1"],
                &["SMOVE", "s5:a", "s5:b", "9"],
                &["SMOVE", "s5:a", "s5:a", "2"],
                &["SMOVE", "s5:a", "s5:a", "9"],
                &["SMOVE", "s5:a", "s5:new", "2"],
                &["OBJECT", "ENCODING", "s5:new"],
                &["SMOVE", "s5:a", "s5:new2", "3"],
                &["EXISTS", "s5:a"],
                &["SMEMBERS", "s5:new2"],
                &["SADD", "s5:c", "1", "x"],
                &["SMOVE", "s5:c", "s5:new3", "x"],
                &["OBJECT", "ENCODING", "s5:new3"],
                &["SMOVE", "s5:c", "s5:new", "1"],
                &["SMEMBERS", "s5:new"],
                &["EXISTS", "s5:c"],
                &["SADD", "s5:d", "7"],
                &["SADD", "s5:e", "7"],
                &["SMOVE", "s5:d", "s5:e", "7"],
                &["EXISTS", "s5:d"],
                &["SMEMBERS", "s5:e"],
                &["SMOVE", "s5:missing", "s5:e", "7"],
            ],
        )
        .masked(ANY_ORDER, &["SMEMBERS", "s5:b"]),
        case(
            "wrong types",
            &[
                &["SET", "s5:str", "v"],
                &["SADD", "s5:s", "1"],
                &["SMOVE", "s5:missing", "s5:str", "1"],
                &["SMOVE", "s5:str", "s5:s", "1"],
                &["SMOVE", "s5:s", "s5:str", "1"],
                &["SMOVE", "s5:s", "s5:str", "9"],
                &["SMEMBERS", "s5:s"],
            ],
        ),
    ]);
}

#[test]
fn srandmember_and_spop() {
    let mut resp2 = Case::new("resp2")
        .cmd(&[
            "SADD", "s6:i", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10",
        ])
        .cmd(&strs(&sadd("s6:t", strings(1000))))
        .cmd(&strs(&sadd("s6:bi", ints(400))))
        .cmd(&["SRANDMEMBER", "s6:missing"])
        .cmd(&["SRANDMEMBER", "s6:missing", "5"])
        .cmd(&["SRANDMEMBER", "s6:missing", "-5"])
        .cmd(&["SRANDMEMBER", "s6:missing", "x"])
        .cmd(&["SRANDMEMBER", "s6:i", "x"])
        .cmd(&["SRANDMEMBER", "s6:i", "1", "2"])
        .cmd(&["SRANDMEMBER", "s6:i", "-9223372036854775808"])
        .cmd(&["SRANDMEMBER", "s6:i", "0"])
        .cmd(&["SRANDMEMBER", "s6:i", "10"])
        .cmd(&["SRANDMEMBER", "s6:i", "100"])
        .masked(ANY_ORDER, &["SRANDMEMBER", "s6:t", "5000"])
        .cmd(&["SPOP", "s6:missing"])
        .cmd(&["SPOP", "s6:missing", "3"])
        .cmd(&["SPOP", "s6:missing", "x"])
        .cmd(&["SPOP", "s6:i", "-1"])
        .cmd(&["SPOP", "s6:i", "x"])
        .cmd(&["SPOP", "s6:i", "01"])
        .cmd(&["SPOP", "s6:i", "1", "2"])
        .cmd(&["SPOP", "s6:i", "0"]);
    for key in ["s6:i", "s6:t", "s6:bi"] {
        resp2 = resp2
            .masked(RANDOM_ONE, &["SRANDMEMBER", key])
            .masked(RANDOM, &["SRANDMEMBER", key, "1"])
            .masked(RANDOM, &["SRANDMEMBER", key, "3"])
            .masked(RANDOM, &["SRANDMEMBER", key, "9"])
            .masked(RANDOM, &["SRANDMEMBER", key, "200"])
            .masked(RANDOM, &["SRANDMEMBER", key, "399"])
            .masked(RANDOM_ANY, &["SRANDMEMBER", key, "-1"])
            .masked(RANDOM_ANY, &["SRANDMEMBER", key, "-30"])
            .masked(RANDOM_ANY, &["SRANDMEMBER", key, "-5000"]);
    }
    // Pops of each strategy: one by one, and keeping what stays.
    for key in ["s6:t", "s6:bi"] {
        resp2 = resp2
            .masked(RANDOM_ONE, &["SPOP", key])
            .cmd(&["SCARD", key])
            .masked(RANDOM, &["SPOP", key, "1"])
            .masked(RANDOM, &["SPOP", key, "10"])
            .cmd(&["SCARD", key])
            .masked(RANDOM, &["SPOP", key, "300"])
            .cmd(&["SCARD", key])
            .cmd(&["OBJECT", "ENCODING", key])
            .masked(RANDOM, &["SPOP", key, "80"])
            .cmd(&["SCARD", key]);
    }
    resp2 = resp2
        .masked(RANDOM, &["SPOP", "s6:i", "9"])
        .masked(RANDOM_ONE, &["SPOP", "s6:i"])
        .cmd(&["EXISTS", "s6:i"])
        .cmd(&["SPOP", "s6:i"])
        .cmd(&["SADD", "s6:one", "5"])
        .cmd(&["SPOP", "s6:one", "1"])
        .cmd(&["EXISTS", "s6:one"])
        .cmd(&["SADD", "s6:two", "a", "b"])
        .masked(ANY_ORDER, &["SPOP", "s6:two", "100"])
        .cmd(&["EXISTS", "s6:two"]);
    let resp3 = Case::new("resp3")
        .masked(HELLO, &["HELLO", "3"])
        .cmd(&["SADD", "s6:r", "1", "2", "3"])
        .cmd(&strs(&sadd("s6:rt", strings(50))))
        .cmd(&["SMEMBERS", "s6:r"])
        .cmd(&["SMEMBERS", "s6:missing"])
        .cmd(&["SSCAN", "s6:r", "0"])
        .cmd(&["SMISMEMBER", "s6:r", "1", "x"])
        .cmd(&["SINTERCARD", "1", "s6:r"])
        .cmd(&["SRANDMEMBER", "s6:r", "5"])
        .cmd(&["SRANDMEMBER", "s6:missing", "5"])
        .cmd(&["SRANDMEMBER", "s6:missing"])
        .masked(RANDOM, &["SRANDMEMBER", "s6:r", "2"])
        .masked(RANDOM_ANY, &["SRANDMEMBER", "s6:rt", "-20"])
        .masked(RANDOM, &["SRANDMEMBER", "s6:rt", "45"])
        .cmd(&["SPOP", "s6:missing", "2"])
        .cmd(&["SPOP", "s6:missing"])
        .cmd(&["SPOP", "s6:r", "0"])
        .masked(RANDOM, &["SPOP", "s6:r", "2"])
        .masked(RANDOM, &["SPOP", "s6:rt", "3"])
        .masked(RANDOM, &["SPOP", "s6:rt", "40"])
        .masked(RANDOM, &["SPOP", "s6:rt", "40"])
        .cmd(&["SINTER", "s6:r", "s6:missing"])
        .cmd(&["SUNION", "s6:missing"])
        .cmd(&["SDIFF", "s6:missing"])
        .cmd(&["SCARD", "s6:r"]);
    sdiff_cases(&[resp2, resp3]);
}

#[test]
fn sscan() {
    sdiff_cases(&[case(
        "intset and errors",
        &[
            &["SADD", "s7:a", "1", "10", "11", "2", "-3"],
            &["SSCAN", "s7:a", "0"],
            &["SSCAN", "s7:a", "12345"],
            &["SSCAN", "s7:a", "0", "MATCH", "1*"],
            &["SSCAN", "s7:a", "0", "MATCH", "-*"],
            &["SSCAN", "s7:a", "0", "COUNT", "1"],
            &["SSCAN", "s7:a", "0", "COUNT", "0"],
            &["SSCAN", "s7:a", "0", "COUNT", "x"],
            &["SSCAN", "s7:a", "0", "TYPE", "set"],
            &["SSCAN", "s7:a", "0", "MATCH"],
            &["SSCAN", "s7:a", "x"],
            &["SSCAN", "s7:a", "-1"],
            &["SSCAN", "s7:missing", "0"],
            &["SSCAN", "s7:missing", "0", "BOGUS"],
            &["SSCAN", "s7:missing", "x"],
            &["SET", "s7:s", "v"],
            &["SSCAN", "s7:s", "0"],
            &["SSCAN", "s7:s", "x"],
        ],
    )]);
    let big = sadd("s7:big", strings(700));
    let mut pair = Pair::start_with(DEBUG_ON);
    pair.scenario("full iteration of a table", |server, t| {
        let mut conn = server.conn();
        conn.call(&big);
        for (opts, name) in [
            (&[][..], "all"),
            (&["MATCH", "m1*", "COUNT", "7"][..], "m1*"),
            (&["COUNT", "1000"][..], "one call"),
        ] {
            let mut seen = Vec::new();
            let mut cursor = "0".to_string();
            let mut calls = 0;
            for _ in 0..10_000 {
                let mut args = vec!["SSCAN", "s7:big", cursor.as_str()];
                args.extend_from_slice(opts);
                let reply = conn.call_parsed(&args);
                let [next, batch] = reply.items() else {
                    panic!("SSCAN replied {reply:?}");
                };
                seen.extend(batch.items().iter().map(Reply::text));
                cursor = next.text();
                calls += 1;
                if cursor == "0" {
                    break;
                }
            }
            seen.sort();
            seen.dedup();
            t.note(&format!("{name}: count"), seen.len());
            t.note(&format!("{name}: members"), &seen);
            if name == "one call" {
                t.note("one call: calls", calls);
            }
        }
    });
}

#[test]
fn wrongtype_both_ways() {
    let mut on_string = Case::new("set commands on a string")
        .cmd(&["SET", "s8:s", "1"])
        .cmd(&["SADD", "s8:set", "1"]);
    for cmd in [
        &["SADD", "s8:s", "1"][..],
        &["SREM", "s8:s", "1"],
        &["SCARD", "s8:s"],
        &["SISMEMBER", "s8:s", "1"],
        &["SMISMEMBER", "s8:s", "1"],
        &["SMEMBERS", "s8:s"],
        &["SRANDMEMBER", "s8:s"],
        &["SRANDMEMBER", "s8:s", "2"],
        &["SRANDMEMBER", "s8:s", "x"],
        &["SPOP", "s8:s"],
        &["SPOP", "s8:s", "2"],
        &["SPOP", "s8:s", "x"],
        &["SINTER", "s8:set", "s8:s"],
        &["SINTER", "s8:missing", "s8:s"],
        &["SINTERCARD", "2", "s8:missing", "s8:s"],
        &["SINTERSTORE", "s8:d", "s8:missing", "s8:s"],
        &["SUNION", "s8:set", "s8:s"],
        &["SUNIONSTORE", "s8:d", "s8:missing", "s8:s"],
        &["SDIFF", "s8:missing", "s8:s"],
        &["SDIFF", "s8:set", "s8:s"],
        &["SDIFFSTORE", "s8:d", "s8:set", "s8:s"],
        &["SSCAN", "s8:s", "0"],
        &["SSCAN", "s8:s", "x"],
        &["EXISTS", "s8:d"],
    ] {
        on_string = on_string.cmd(cmd);
    }
    let mut on_set = Case::new("other commands on a set").cmd(&["SADD", "s8:t", "1", "a"]);
    for cmd in [
        &["GET", "s8:t"][..],
        &["APPEND", "s8:t", "x"],
        &["INCR", "s8:t"],
        &["LPUSH", "s8:t", "x"],
        &["LRANGE", "s8:t", "0", "-1"],
        &["HSET", "s8:t", "f", "v"],
        &["HGETALL", "s8:t"],
        &["SETBIT", "s8:t", "1", "1"],
        &["SCARD", "s8:t"],
        &["SET", "s8:t", "now a string"],
        &["GET", "s8:t"],
    ] {
        on_set = on_set.cmd(cmd);
    }
    sdiff_cases(&[on_string, on_set]);
}

#[test]
fn generic_key_commands_on_sets() {
    sdiff_cases(&[Case::new("generic")
        .cmd(&["SADD", "s9:i", "1", "2", "3"])
        .cmd(&["SADD", "s9:t", "x", "y"])
        .cmd(&["TYPE", "s9:i"])
        .cmd(&["TYPE", "s9:t"])
        .cmd(&["OBJECT", "ENCODING", "s9:i"])
        .cmd(&["OBJECT", "ENCODING", "s9:t"])
        .masked(DEBUG_OBJECT, &["DEBUG", "OBJECT", "s9:i"])
        .masked(DEBUG_OBJECT, &["DEBUG", "OBJECT", "s9:t"])
        .cmd(&["COPY", "s9:i", "s9:i2"])
        .cmd(&["COPY", "s9:t", "s9:t2"])
        .cmd(&["OBJECT", "ENCODING", "s9:t2"])
        .cmd(&["SADD", "s9:i2", "4"])
        .cmd(&["SMEMBERS", "s9:i"])
        .cmd(&["SMEMBERS", "s9:i2"])
        .cmd(&["DEBUG", "DIGEST-VALUE", "s9:t", "s9:t2", "s9:i", "s9:i2"])
        .cmd(&["RENAME", "s9:i2", "s9:r"])
        .cmd(&["SMEMBERS", "s9:r"])
        .cmd(&["MOVE", "s9:r", "1"])
        .cmd(&["SELECT", "1"])
        .cmd(&["SMEMBERS", "s9:r"])
        .cmd(&["SELECT", "0"])
        .masked(SCAN_ALL, &["SCAN", "0", "TYPE", "set", "COUNT", "100"])
        .masked(SCAN_ALL, &["SCAN", "0", "TYPE", "SET", "COUNT", "100"])
        .cmd(&["SET", "s9:str", "v"])
        .masked(SCAN_ALL, &["SCAN", "0", "TYPE", "string", "COUNT", "100"])
        .cmd(&["DEBUG", "DIGEST"])
        .cmd(&["DEL", "s9:t"])
        .cmd(&["EXPIRE", "s9:i", "1000"])
        .cmd(&["DEBUG", "DIGEST-VALUE", "s9:i"])
        .cmd(&["DEBUG", "DIGEST"])
        .cmd(&["SUNIONSTORE", "s9:i", "s9:t2"])
        .cmd(&["TTL", "s9:i"])])
}

#[test]
fn dump_restore_cross_servers() {
    let pair = Pair::start_with(DEBUG_ON);
    let setups: Vec<Vec<String>> = vec![
        sadd("small", ints(5)),
        sadd("wide", ["1", "-70000", "5000000000"].map(String::from)),
        sadd("bigints", ints(600)),
        sadd("strs", strings(300)),
        sadd(
            "mixed",
            ["1", "x", "12345678901234567890123"].map(String::from),
        ),
    ];
    pair.dump_restore_both_ways(
        &setups,
        |key| vec!["SCARD".into(), key.into()],
        |key| key == "small" || key == "wide",
    );
}

/// RESTORE refuses what Redis refuses with deep sanitization: intsets out
/// of order or with duplicates, bad widths and lengths, empty ones, and
/// type-2 sets with a duplicate member.
#[test]
fn restore_validates_payloads() {
    let mut pair = Pair::start_with(&[
        "--sanitize-dump-payload",
        "yes",
        "--enable-debug-command",
        "yes",
    ]);
    // Payloads built by Redis, to damage: an intset and a type-2 set.
    let (intset, table) = {
        let [redis, _] = pair.servers();
        let mut r = redis.conn();
        r.call(&["SADD", "src", "1", "2", "3"]);
        r.call(&["SADD", "src2", "a", "b"]);
        let a = r.call_parsed(&["DUMP", "src"]).bytes().unwrap().to_vec();
        let b = r.call_parsed(&["DUMP", "src2"]).bytes().unwrap().to_vec();
        r.call(&["DEL", "src", "src2"]);
        (a, b)
    };
    let mut damaged: Vec<(&str, Vec<u8>)> = Vec::new();
    // Body of the intset payload: type 11, length 14, then the intset.
    let mut unsorted = intset[..intset.len() - 10].to_vec();
    unsorted[10] = 9;
    damaged.push(("unsorted", unsorted));
    let mut dup = intset[..intset.len() - 10].to_vec();
    dup[12] = 1;
    damaged.push(("dup", dup));
    let mut width = intset[..intset.len() - 10].to_vec();
    width[2] = 3;
    damaged.push(("width", width));
    let mut count = intset[..intset.len() - 10].to_vec();
    count[6] = 2;
    damaged.push(("count", count));
    damaged.push(("empty", vec![11, 8, 2, 0, 0, 0, 0, 0, 0, 0]));
    damaged.push(("empty2", vec![2, 0]));
    damaged.push(("dup2", vec![2, 2, 1, b'a', 1, b'a']));
    damaged.push(("short", vec![2, 3, 1, b'a', 1, b'b']));
    let mut cases = Case::new("restore")
        .cmd_bytes(&[&b"RESTORE"[..], b"r1", b"0", &intset])
        .cmd_bytes(&[&b"RESTORE"[..], b"r2", b"0", &table]);
    for (label, mut body) in damaged {
        // A payload's trailer: RDB version 10, then the CRC64 of the rest.
        body.extend_from_slice(&[10, 0]);
        let crc = crc64(&body);
        body.extend_from_slice(&crc.to_le_bytes());
        cases = cases
            .cmd_bytes(&[&b"RESTORE"[..], label.as_bytes(), b"0", &body])
            .cmd_bytes(&[&b"EXISTS"[..], label.as_bytes()]);
    }
    pair.run(&[cases
        .cmd(&["SMEMBERS", "r1"])
        .masked(ANY_ORDER, &["SMEMBERS", "r2"])
        .cmd(&["DUMP", "r1"])]);
}

fn fill_sets(conn: &mut Conn) {
    for db in [0, 3] {
        conn.call(&["SELECT", &db.to_string()]);
        conn.call(&sadd("i:small", ints(5)));
        conn.call(&sadd(
            "i:wide",
            ["-5000000000", "3", "70000"].map(String::from),
        ));
        conn.call(&sadd("i:big", ints(513)));
        conn.call(&sadd("t:small", strings(3)));
        conn.call(&sadd("t:big", strings(2000)));
        conn.call(&sadd("t:ints", ["1", "2", "x"].map(String::from)));
        let long = "z".repeat(200);
        conn.call(&["SADD", "t:long", &long, "12345678901234"]);
        conn.call(&["PEXPIREAT", "i:small", "99999999999999"]);
    }
    conn.call(&["SELECT", "0"]);
}

/// What must survive a file: the dataset digest and every set's encoding.
fn observe(conn: &mut Conn) -> Vec<Vec<u8>> {
    let mut out = vec![conn.call(&["DEBUG", "DIGEST"]), conn.call(&["DBSIZE"])];
    for db in [0, 3] {
        conn.call(&["SELECT", &db.to_string()]);
        for key in [
            "i:small", "i:wide", "i:big", "t:small", "t:big", "t:ints", "t:long",
        ] {
            out.push(conn.call(&["OBJECT", "ENCODING", key]));
        }
        out.push(conn.call(&["SMEMBERS", "i:wide"]));
    }
    conn.call(&["SELECT", "0"]);
    out
}

/// Snapshot files written by Redis load into ferrodis, and ferrodis's load
/// into Redis and pass `redis-check-rdb`, with the same digest both ways.
#[test]
fn rdb_files_both_ways() {
    crate::util::server::rdb_files_both_ways("set", fill_sets, observe);
}

/// A file saved with a higher `set-max-intset-entries` loads with the
/// loading server's: big intsets become tables, in both servers alike.
#[test]
fn reload_fits_encodings_to_the_threshold() {
    let pair = Pair::start_with(DEBUG_ON);
    pair.run(&[Case::new("debug reload")
        .cmd(&strs(&sadd("s10:a", ints(100))))
        .cmd(&strs(&sadd("s10:b", ints(10))))
        .cmd(&["CONFIG", "SET", "set-max-intset-entries", "50"])
        .cmd(&["DEBUG", "RELOAD"])
        .cmd(&["OBJECT", "ENCODING", "s10:a"])
        .cmd(&["OBJECT", "ENCODING", "s10:b"])
        .cmd(&["SCARD", "s10:a"])
        .cmd(&["DEBUG", "DIGEST"])]);
}

/// The incremental file holds SPOP as Redis 7.0 propagates it (SREM per
/// popped member, in MULTI/EXEC when more than one; DEL when the whole
/// set goes) and a rewrite rebuilds sets with SADD batches of 64.
#[test]
fn aof_rewrite_and_propagation() {
    let dir = temp_dir("set-aof");
    let dir_arg = dir.to_string_lossy().to_string();
    let server = TestServer::start_with(&[
        "--dir",
        &dir_arg,
        "--appendonly",
        "yes",
        "--aof-use-rdb-preamble",
        "no",
        "--enable-debug-command",
        "yes",
    ]);
    let mut c = server.conn();
    c.call(&sadd("s", ints(130)));
    c.call(&["SADD", "one", "x"]);
    c.call(&["SADD", "whole", "1", "2"]);
    c.call(&["SADD", "two", "1", "2", "3"]);
    let popped = c.call_parsed(&["SPOP", "one"]);
    assert_eq!(popped.text(), "x");
    assert_eq!(c.call_parsed(&["SPOP", "whole", "5"]).items().len(), 2);
    assert_eq!(c.call_parsed(&["SPOP", "two", "2"]).items().len(), 2);
    assert_eq!(c.call_parsed(&["SPOP", "s", "1"]).items().len(), 1);
    assert_eq!(c.call(&["SPOP", "s", "0"]), b"*0\r\n");
    let incr: String = fs::read_dir(dir.join("appendonlydir"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".incr.aof"))
        .map(|p| fs::read_to_string(p).unwrap())
        .collect();
    let after = |marker: &str| incr.split_once(marker).map(|(_, rest)| rest.to_string());
    let rest = after("*3\r\n$4\r\nSREM\r\n$3\r\none\r\n$1\r\nx\r\n").expect(&incr);
    assert!(
        rest.starts_with("*2\r\n$3\r\nDEL\r\n$5\r\nwhole\r\n*1\r\n$5\r\nMULTI\r\n"),
        "{incr}"
    );
    assert_eq!(rest.matches("$4\r\nSREM\r\n$3\r\ntwo\r\n").count(), 2);
    assert!(rest.contains("*1\r\n$4\r\nEXEC\r\n*3\r\n$4\r\nSREM\r\n$1\r\ns\r\n"));
    assert_eq!(incr.matches("MULTI").count(), 1, "{incr}");
    let digest = c.call(&["DEBUG", "DIGEST"]);
    assert_eq!(c.call(&["BGREWRITEAOF"]).first(), Some(&b'+'));
    let base = (0..200)
        .find_map(|_| {
            std::thread::sleep(std::time::Duration::from_millis(50));
            fs::read_dir(dir.join("appendonlydir"))
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| p.to_string_lossy().ends_with(".base.aof"))
                .map(|p| fs::read_to_string(p).unwrap())
                .filter(|text| text.contains("SADD"))
        })
        .expect("a rewritten base");
    assert_eq!(
        base.matches("$4\r\nSADD\r\n$1\r\ns\r\n").count(),
        3,
        "{base}"
    );
    assert_eq!(base.matches("*66\r\n$4\r\nSADD\r\n").count(), 2);
    assert!(base.contains("*3\r\n$4\r\nSADD\r\n$3\r\ntwo\r\n"));
    assert_eq!(c.call(&["DEBUG", "LOADAOF"]), b"+OK\r\n");
    assert_eq!(c.call(&["DEBUG", "DIGEST"]), digest);
    assert_eq!(c.call(&["OBJECT", "ENCODING", "s"]), b"$6\r\nintset\r\n");
    drop(c);
    drop(server);
    let _ = fs::remove_dir_all(&dir);
}
