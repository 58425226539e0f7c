//! The hash type, differentially against redis-server 7.0: every command,
//! option and error in Redis's check order, both encodings and the
//! conversions between them (OBJECT ENCODING and DUMP bytes before and
//! after), counters at their limits, RESP2 and RESP3 shapes, WRONGTYPE in
//! both directions, what generic key commands do with hashes, DEBUG
//! DIGEST, and persistence: DUMP/RESTORE and RDB files in both
//! directions, AOF rewrite and HINCRBYFLOAT's propagation.
//!
//! A table-encoded hash iterates in its hash table's order, which is
//! random per process in Redis too, so its whole-hash replies are compared
//! as multisets of pairs; random replies (HRANDFIELD) through masks that
//! check sizes, distinctness and that every pair is one the hash holds.

use std::fs;

use crate::util::keyspace::DEBUG_OBJECT;
use crate::util::server::temp_dir;
use crate::util::*;

/// DEBUG (DIGEST, OBJECT, LISTPACK) is used throughout.
const DEBUG_ON: &[&str] = &["--enable-debug-command", "yes"];

/// Runs `cases` on a fresh pair with DEBUG enabled.
fn hdiff(cases: &[Case]) {
    diff_with(DEBUG_ON, cases);
}

/// Replies to HELLO differ only in the connection id.
const HELLO: Mask = Mask::Pairs(&["id"]);
/// Whole-hash replies of a table, in any order.
const PAIRS: Mask = Mask::Pairs(&[]);

/// The fields of test hashes are `f<n>` and their values `v<n>`: every
/// element of a random reply names its pair.
fn field_value(n: usize) -> [String; 2] {
    [format!("f{n}"), format!("v{n}")]
}

/// `HSET key f0 v0 ... f<n-1> v<n-1>`.
fn hset_n(key: &str, n: usize) -> Vec<String> {
    let mut cmd = vec!["HSET".to_string(), key.to_string()];
    cmd.extend((0..n).flat_map(field_value));
    cmd
}

/// A random reply's checkable facts: its length, whether pairs are nested
/// (RESP3 WITHVALUES), how many fields and values, how many distinct
/// fields when `distinct`, and whether every value follows its field.
fn random_summary(r: &Reply, distinct: bool) -> String {
    let Reply::Array(items) = r else {
        return canon(r);
    };
    let nested = items.iter().any(|i| matches!(i, Reply::Array(_)));
    let flat: Vec<String> = items
        .iter()
        .flat_map(|i| match i {
            Reply::Array(pair) => pair.iter().map(Reply::text).collect::<Vec<_>>(),
            other => vec![other.text()],
        })
        .collect();
    let fields: Vec<&String> = flat.iter().filter(|s| s.starts_with('f')).collect();
    let values = flat.iter().filter(|s| s.starts_with('v')).count();
    let paired = flat.chunks(2).all(|p| match p {
        [f, v] if values > 0 => f.strip_prefix('f') == v.strip_prefix('v'),
        _ => true,
    });
    let mut unique = fields.clone();
    unique.sort();
    unique.dedup();
    let distinct = if distinct {
        unique.len().to_string()
    } else {
        "-".into()
    };
    format!(
        "len={} nested={nested} fields={} values={values} distinct={distinct} paired={paired}",
        items.len(),
        fields.len()
    )
}

/// HRANDFIELD with a positive count: no repeats.
const RANDOM_UNIQUE: Mask = Mask::Custom(|r| random_summary(r, true));
/// HRANDFIELD with a negative count: repeats allowed.
const RANDOM_ANY: Mask = Mask::Custom(|r| random_summary(r, false));
/// HRANDFIELD without a count: one field of the hash.
const RANDOM_ONE: Mask = Mask::Custom(|r| match r {
    Reply::Bulk(b) if b.starts_with(b"f") => "a field".into(),
    other => canon(other),
});

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn set_get_and_friends() {
    hdiff(&[
        case(
            "hset hget hmget hlen hexists hstrlen",
            &[
                &["HSET", "h1:a", "f1", "v1"],
                &["HSET", "h1:a", "f1", "v2", "f2", "v2"],
                &["HGET", "h1:a", "f1"],
                &["HGET", "h1:a", "nope"],
                &["HGET", "h1:missing", "f1"],
                &["HMGET", "h1:a", "f1", "nope", "f2", "f1"],
                &["HMGET", "h1:missing", "f1", "f2"],
                &["HLEN", "h1:a"],
                &["HLEN", "h1:missing"],
                &["HEXISTS", "h1:a", "f2"],
                &["HEXISTS", "h1:a", "f3"],
                &["HEXISTS", "h1:missing", "f3"],
                &["HSTRLEN", "h1:a", "f1"],
                &["HSTRLEN", "h1:a", "nope"],
                &["HSTRLEN", "h1:missing", "f1"],
                &["HSET", "h1:a", "i", "-12345", "big", "9223372036854775807"],
                &["HSTRLEN", "h1:a", "i"],
                &["HSTRLEN", "h1:a", "big"],
                &["HSET", "h1:a", "", ""],
                &["HGET", "h1:a", ""],
                &["HSTRLEN", "h1:a", ""],
                &["HGETALL", "h1:a"],
                &["OBJECT", "ENCODING", "h1:a"],
                &["TYPE", "h1:a"],
            ],
        ),
        case(
            "hmset and hsetnx",
            &[
                &["HMSET", "h1:b", "a", "1", "b", "2"],
                &["HMSET", "h1:b", "a", "3"],
                &["HGETALL", "h1:b"],
                &["HSETNX", "h1:b", "a", "9"],
                &["HSETNX", "h1:b", "c", "9"],
                &["HSETNX", "h1:new", "c", "9"],
                &["HGETALL", "h1:b"],
                &["HGETALL", "h1:new"],
            ],
        ),
        case(
            "arity and pairing errors",
            &[
                &["HSET", "h1:c"],
                &["HSET", "h1:c", "f"],
                &["HSET", "h1:c", "f", "v", "g"],
                &["HMSET", "h1:c", "f", "v", "g"],
                &["hset", "h1:c", "f", "v", "g"],
                &["HmSeT", "h1:c", "f", "v", "g"],
                &["EXISTS", "h1:c"],
                &["HSETNX", "h1:c", "f"],
                &["HGET", "h1:c"],
                &["HMGET", "h1:c"],
                &["HDEL", "h1:c"],
                &["HLEN"],
                &["HSTRLEN", "h1:c"],
                &["HEXISTS", "h1:c"],
                &["HKEYS"],
                &["HVALS", "a", "b"],
                &["HGETALL"],
                &["HINCRBY", "h1:c", "f"],
                &["HINCRBYFLOAT", "h1:c", "f"],
                &["HRANDFIELD"],
                &["HSCAN", "h1:c"],
            ],
        ),
    ]);
}

#[test]
fn command_table_entries() {
    let mut info = Case::new("COMMAND INFO");
    for name in [
        "hdel",
        "hexists",
        "hget",
        "hgetall",
        "hincrby",
        "hincrbyfloat",
        "hkeys",
        "hlen",
        "hmget",
        "hmset",
        "hrandfield",
        "hscan",
        "hset",
        "hsetnx",
        "hstrlen",
        "hvals",
    ] {
        info = info
            .cmd(&["COMMAND", "INFO", name])
            .cmd(&["COMMAND", "GETKEYS", name, "k", "f", "v"]);
    }
    hdiff(&[info]);
}

#[test]
fn binary_fields_and_values() {
    let bin: Vec<u8> = (0..=255u8).collect();
    hdiff(&[Case::new("binary")
        .cmd_bytes(&[&b"HSET"[..], b"h2:bin", b"\x00\r\n", &bin, b"k\xff", b""])
        .cmd_bytes(&[&b"HGET"[..], b"h2:bin", b"\x00\r\n"])
        .cmd_bytes(&[&b"HSTRLEN"[..], b"h2:bin", b"\x00\r\n"])
        .send(
            crate::util::resp::encode_cmd(&[&b"HGETALL"[..], b"h2:bin"]),
            usize::MAX,
            1,
            PAIRS,
        )
        .cmd_bytes(&[&b"OBJECT"[..], b"ENCODING", b"h2:bin"])
        .cmd_bytes(&[&b"HDEL"[..], b"h2:bin", b"k\xff"])
        .cmd_bytes(&[&b"HKEYS"[..], b"h2:bin"])
        .cmd_bytes(&[&b"HSET"[..], b"h2:small", b"\x00", b"\xff"])
        .cmd(&["DUMP", "h2:small"])
        .cmd(&["OBJECT", "ENCODING", "h2:small"])]);
}

#[test]
fn hdel_removes_emptied_keys() {
    hdiff(&[case(
        "hdel",
        &[
            &["HSET", "h3:a", "a", "1", "b", "2", "c", "3"],
            &["HDEL", "h3:a", "a", "a", "nope"],
            &["HDEL", "h3:missing", "a"],
            &["HGETALL", "h3:a"],
            &["HDEL", "h3:a", "b", "c", "d"],
            &["EXISTS", "h3:a"],
            &["TYPE", "h3:a"],
            &["HLEN", "h3:a"],
            &["HSET", "h3:b", "x", "1"],
            &["HDEL", "h3:b", "x"],
            &["EXISTS", "h3:b"],
            &["HSET", "h3:b", "x", "1"],
            &["OBJECT", "ENCODING", "h3:b"],
        ],
    )]);
}

#[test]
fn encodings_cross_thresholds() {
    let v64 = "x".repeat(64);
    let v65 = "x".repeat(65);
    let big = hset_n("h4:big", 513);
    let edge = hset_n("h4:edge", 512);
    hdiff(&[
        case(
            "value length threshold",
            &[
                &["HSET", "h4:a", "f", &v64],
                &["OBJECT", "ENCODING", "h4:a"],
                &["DUMP", "h4:a"],
                &["HSET", "h4:a", "g", &v65],
                &["OBJECT", "ENCODING", "h4:a"],
                &["HDEL", "h4:a", "g"],
                &["OBJECT", "ENCODING", "h4:a"],
                &["HSET", "h4:b", &v65, "1"],
                &["OBJECT", "ENCODING", "h4:b"],
                &["HSETNX", "h4:c", &v65, "1"],
                &["OBJECT", "ENCODING", "h4:c"],
                &["HSETNX", "h4:d", "f", &v65],
                &["OBJECT", "ENCODING", "h4:d"],
                &["HINCRBY", "h4:e", &v65, "1"],
                &["OBJECT", "ENCODING", "h4:e"],
                &["HINCRBYFLOAT", "h4:f", &v65, "1"],
                &["OBJECT", "ENCODING", "h4:f"],
                &["HMSET", "h4:g", "a", "b", "c", &v65],
                &["OBJECT", "ENCODING", "h4:g"],
            ],
        ),
        Case::new("entry count threshold")
            .cmd(&strs(&edge))
            .cmd(&["OBJECT", "ENCODING", "h4:edge"])
            .cmd(&["HSET", "h4:edge", "f0", "again"])
            .cmd(&["OBJECT", "ENCODING", "h4:edge"])
            .cmd(&["HSET", "h4:edge", "one", "more"])
            .cmd(&["OBJECT", "ENCODING", "h4:edge"])
            .cmd(&["HLEN", "h4:edge"])
            .cmd(&strs(&big))
            .cmd(&["OBJECT", "ENCODING", "h4:big"])
            .masked(DEBUG_OBJECT, &["DEBUG", "OBJECT", "h4:big"])
            .masked(PAIRS, &["HGETALL", "h4:big"])
            .masked(Mask::Unordered, &["HKEYS", "h4:big"])
            .masked(Mask::Unordered, &["HVALS", "h4:big"])
            .cmd(&["HDEL", "h4:big", "f1", "f2", "f3"])
            .cmd(&["HLEN", "h4:big"])
            .cmd(&["OBJECT", "ENCODING", "h4:big"])
            .cmd(&["DEBUG", "DIGEST-VALUE", "h4:big", "h4:edge"]),
        case(
            "configured thresholds",
            &[
                &["CONFIG", "SET", "hash-max-listpack-entries", "2"],
                &["HSET", "h4:h", "a", "1", "b", "2"],
                &["OBJECT", "ENCODING", "h4:h"],
                &["HSET", "h4:h", "c", "3"],
                &["OBJECT", "ENCODING", "h4:h"],
                &["CONFIG", "SET", "hash-max-ziplist-entries", "0"],
                &["HSET", "h4:i", "a", "1"],
                &["OBJECT", "ENCODING", "h4:i"],
                &["CONFIG", "SET", "hash-max-listpack-entries", "512"],
                &["CONFIG", "SET", "hash-max-ziplist-value", "0"],
                &["HSET", "h4:j", "", ""],
                &["OBJECT", "ENCODING", "h4:j"],
                &["HSET", "h4:j", "a", ""],
                &["OBJECT", "ENCODING", "h4:j"],
                &["CONFIG", "SET", "hash-max-listpack-value", "3"],
                &["HINCRBY", "h4:k", "f", "1234"],
                &["OBJECT", "ENCODING", "h4:k"],
                &["HINCRBYFLOAT", "h4:l", "f", "1.5555"],
                &["OBJECT", "ENCODING", "h4:l"],
                &["HINCRBYFLOAT", "h4:m", "f", "1.5"],
                &["OBJECT", "ENCODING", "h4:m"],
                &["CONFIG", "SET", "hash-max-listpack-value", "64"],
            ],
        ),
    ]);
}

/// Loading fits hashes to the thresholds in force, as Redis does: a
/// listpack over the entry count becomes a table (its value lengths are not
/// looked at), a small table saved field by field comes back a listpack.
#[test]
fn reload_fits_encodings_to_thresholds() {
    let long = "q".repeat(100);
    hdiff(&[case(
        "debug reload",
        &[
            &["HSET", "h12:lp", "a", "1", "b", "2", "c", "3"],
            &["HSET", "h12:long", "a", &long],
            &["HSET", "h12:lp2", "a", "hello"],
            &["OBJECT", "ENCODING", "h12:long"],
            &["CONFIG", "SET", "hash-max-listpack-entries", "2"],
            &["CONFIG", "SET", "hash-max-listpack-value", "200"],
            &["DEBUG", "RELOAD"],
            &["OBJECT", "ENCODING", "h12:lp"],
            &["OBJECT", "ENCODING", "h12:long"],
            &["CONFIG", "SET", "hash-max-listpack-value", "2"],
            &["DEBUG", "RELOAD"],
            &["OBJECT", "ENCODING", "h12:lp2"],
            &["OBJECT", "ENCODING", "h12:long"],
            &["HGETALL", "h12:long"],
            &["DEBUG", "DIGEST"],
        ],
    )
    .masked(PAIRS, &["HGETALL", "h12:lp"])]);
}

#[test]
fn listpack_bytes_match_redis() {
    hdiff(&[case(
        "dump after each kind of write",
        &[
            &["HSET", "h5:a", "f1", "v1", "n", "12345", "neg", "-5"],
            &["DUMP", "h5:a"],
            &["HSET", "h5:a", "f1", "a much longer value than before"],
            &["DUMP", "h5:a"],
            &["HSET", "h5:a", "n", "x"],
            &["DUMP", "h5:a"],
            &["HDEL", "h5:a", "f1"],
            &["DUMP", "h5:a"],
            &["HINCRBY", "h5:a", "neg", "-1000000"],
            &["HINCRBYFLOAT", "h5:a", "fl", "2.5"],
            &["HINCRBYFLOAT", "h5:a", "fl", "0.5"],
            &["DUMP", "h5:a"],
            &[
                "HSET",
                "h5:a",
                "i64",
                "-9000000000000000000",
                "i24",
                "1000000",
            ],
            &["DUMP", "h5:a"],
            &["DEBUG", "DIGEST-VALUE", "h5:a"],
            &[
                "HSET",
                "h5:z",
                "f1",
                &"a".repeat(60),
                "f2",
                &"a".repeat(60),
                "f3",
                "a",
            ],
            &["DUMP", "h5:z"],
            &["CONFIG", "SET", "rdbcompression", "no"],
            &["DUMP", "h5:z"],
            &["CONFIG", "SET", "rdbcompression", "yes"],
        ],
    )
    .masked(DEBUG_OBJECT, &["DEBUG", "OBJECT", "h5:z"])
    .masked(DEBUG_OBJECT, &["DEBUG", "OBJECT", "h5:a"])]);
}

#[test]
fn counters() {
    hdiff(&[
        case(
            "hincrby",
            &[
                &["HINCRBY", "h6:a", "n", "5"],
                &["HINCRBY", "h6:a", "n", "-7"],
                &["HGET", "h6:a", "n"],
                &["HINCRBY", "h6:a", "n", "abc"],
                &["HINCRBY", "h6:a", "n", "1.5"],
                &["HINCRBY", "h6:a", "n", " 1"],
                &["HINCRBY", "h6:a", "n", "9223372036854775808"],
                &["HINCRBY", "h6:a", "m", "9223372036854775807"],
                &["HINCRBY", "h6:a", "m", "1"],
                &["HINCRBY", "h6:a", "m", "-1"],
                &["HSET", "h6:a", "low", "-9223372036854775808"],
                &["HINCRBY", "h6:a", "low", "-1"],
                &["HINCRBY", "h6:a", "low", "1"],
                &[
                    "HSET", "h6:a", "s", "abc", "sp", " 1", "plus", "+1", "z", "007",
                ],
                &["HINCRBY", "h6:a", "s", "1"],
                &["HINCRBY", "h6:a", "sp", "1"],
                &["HINCRBY", "h6:a", "plus", "1"],
                &["HINCRBY", "h6:a", "z", "1"],
                &["HSET", "h6:a", "neg0", "-0"],
                &["HINCRBY", "h6:a", "neg0", "1"],
                &["HINCRBY", "h6:missing", "n", "x"],
                &["EXISTS", "h6:missing"],
                &["HGETALL", "h6:a"],
            ],
        ),
        case(
            "hincrbyfloat",
            &[
                &["HINCRBYFLOAT", "h6:f", "x", "10.5"],
                &["HINCRBYFLOAT", "h6:f", "x", "0.1"],
                &["HINCRBYFLOAT", "h6:f", "x", "-10.6"],
                &["HINCRBYFLOAT", "h6:f", "y", "5.0e3"],
                &["HINCRBYFLOAT", "h6:f", "y", "2.0e2"],
                &["HINCRBYFLOAT", "h6:f", "y", "0x10"],
                &["HINCRBYFLOAT", "h6:f", "z", "1e308"],
                &["HINCRBYFLOAT", "h6:f", "z", "1e308"],
                &["HINCRBYFLOAT", "h6:f", "big", "1e4931"],
                &["HINCRBYFLOAT", "h6:f", "big", "1e4932"],
                &["HINCRBYFLOAT", "h6:f", "x", "abc"],
                &["HINCRBYFLOAT", "h6:f", "x", ""],
                &["HINCRBYFLOAT", "h6:f", "x", "inf"],
                &["HINCRBYFLOAT", "h6:f", "x", "-inf"],
                &["HINCRBYFLOAT", "h6:f", "x", "nan"],
                &["HINCRBYFLOAT", "h6:f", "x", " 1"],
                &["HINCRBYFLOAT", "h6:f", "x", "1e99999"],
                &["HSET", "h6:f", "s", "abc", "i", "12", "sp", "1 "],
                &["HINCRBYFLOAT", "h6:f", "s", "1"],
                &["HINCRBYFLOAT", "h6:f", "sp", "1"],
                &["HINCRBYFLOAT", "h6:f", "i", "0.5"],
                &["HINCRBYFLOAT", "h6:f", "i", "-0.5"],
                &["HINCRBY", "h6:f", "i", "1"],
                &["HINCRBY", "h6:f", "x", "1"],
                &["HINCRBYFLOAT", "h6:missing", "x", "inf"],
                &["EXISTS", "h6:missing"],
                &["OBJECT", "ENCODING", "h6:f"],
                &["DEBUG", "DIGEST-VALUE", "h6:f"],
            ],
        )
        .masked(PAIRS, &["HGETALL", "h6:f"]),
    ]);
}

#[test]
fn whole_hash_replies_in_both_protocols() {
    let big = hset_n("h7:big", 600);
    hdiff(&[
        case(
            "resp2",
            &[
                &["HSET", "h7:a", "z", "1", "a", "2", "m", "3"],
                &["HKEYS", "h7:a"],
                &["HVALS", "h7:a"],
                &["HGETALL", "h7:a"],
                &["HKEYS", "h7:missing"],
                &["HVALS", "h7:missing"],
                &["HGETALL", "h7:missing"],
            ],
        ),
        Case::new("resp3")
            .masked(HELLO, &["HELLO", "3"])
            .cmd(&["HKEYS", "h7:a"])
            .cmd(&["HVALS", "h7:a"])
            .cmd(&["HGETALL", "h7:a"])
            .cmd(&["HKEYS", "h7:missing"])
            .cmd(&["HGETALL", "h7:missing"])
            .cmd(&["HGET", "h7:missing", "f"])
            .cmd(&["HMGET", "h7:a", "z", "nope"])
            .cmd(&["HRANDFIELD", "h7:missing"])
            .cmd(&["HRANDFIELD", "h7:missing", "3"])
            .cmd(&strs(&big))
            .masked(PAIRS, &["HGETALL", "h7:big"])
            .masked(Mask::Unordered, &["HKEYS", "h7:big"]),
    ]);
}

#[test]
fn hrandfield() {
    let small = hset_n("h8:s", 10);
    let big = hset_n("h8:b", 1000);
    let mut resp2 = Case::new("resp2")
        .cmd(&strs(&small))
        .cmd(&strs(&big))
        .cmd(&["HRANDFIELD", "h8:missing"])
        .cmd(&["HRANDFIELD", "h8:missing", "5"])
        .cmd(&["HRANDFIELD", "h8:missing", "-5", "WITHVALUES"])
        .cmd(&["HRANDFIELD", "h8:missing", "abc"])
        .cmd(&["HRANDFIELD", "h8:missing", "1", "WITHVALUE"])
        .cmd(&["HRANDFIELD", "h8:missing", "1", "WITHVALUES", "x"])
        .cmd(&["HRANDFIELD", "h8:missing", "-9223372036854775808"])
        .cmd(&[
            "HRANDFIELD",
            "h8:missing",
            "9223372036854775807",
            "WITHVALUES",
        ])
        .cmd(&[
            "HRANDFIELD",
            "h8:missing",
            "-4611686018427387904",
            "WITHVALUES",
        ])
        .cmd(&[
            "HRANDFIELD",
            "h8:missing",
            "-4611686018427387903",
            "WITHVALUES",
        ])
        .cmd(&["HRANDFIELD", "h8:s", "0"])
        .cmd(&["HRANDFIELD", "h8:s", "0", "WITHVALUES"])
        .cmd(&["HRANDFIELD", "h8:s", "10"])
        .cmd(&["HRANDFIELD", "h8:s", "100", "withvalues"])
        .masked(PAIRS, &["HRANDFIELD", "h8:b", "1000", "WITHVALUES"])
        .masked(Mask::Unordered, &["HRANDFIELD", "h8:b", "5000"]);
    for key in ["h8:s", "h8:b"] {
        resp2 = resp2
            .masked(RANDOM_ONE, &["HRANDFIELD", key])
            .masked(RANDOM_UNIQUE, &["HRANDFIELD", key, "1"])
            .masked(RANDOM_UNIQUE, &["HRANDFIELD", key, "1", "WITHVALUES"])
            .masked(RANDOM_UNIQUE, &["HRANDFIELD", key, "3"])
            .masked(RANDOM_UNIQUE, &["HRANDFIELD", key, "9", "WITHVALUES"])
            .masked(RANDOM_UNIQUE, &["HRANDFIELD", key, "200", "WITHVALUES"])
            .masked(RANDOM_UNIQUE, &["HRANDFIELD", key, "400"])
            .masked(RANDOM_UNIQUE, &["HRANDFIELD", key, "999"])
            .masked(RANDOM_ANY, &["HRANDFIELD", key, "-1"])
            .masked(RANDOM_ANY, &["HRANDFIELD", key, "-30"])
            .masked(RANDOM_ANY, &["HRANDFIELD", key, "-5000", "WITHVALUES"]);
    }
    let resp3 = Case::new("resp3")
        .masked(HELLO, &["HELLO", "3"])
        .cmd(&["HRANDFIELD", "h8:s", "10", "WITHVALUES"])
        .cmd(&["HRANDFIELD", "h8:missing"])
        .masked(RANDOM_UNIQUE, &["HRANDFIELD", "h8:s", "3", "WITHVALUES"])
        .masked(RANDOM_UNIQUE, &["HRANDFIELD", "h8:b", "3", "WITHVALUES"])
        .masked(RANDOM_UNIQUE, &["HRANDFIELD", "h8:b", "900", "WITHVALUES"])
        .masked(RANDOM_ANY, &["HRANDFIELD", "h8:s", "-20", "WITHVALUES"])
        .masked(RANDOM_ANY, &["HRANDFIELD", "h8:b", "-20", "WITHVALUES"])
        .masked(RANDOM_ANY, &["HRANDFIELD", "h8:b", "-20"]);
    hdiff(&[resp2, resp3]);
}

#[test]
fn hscan() {
    let big = hset_n("h9:big", 700);
    hdiff(&[case(
        "listpack and errors",
        &[
            &["HSET", "h9:a", "f1", "v1", "f2", "v2", "g1", "w1", "7", "8"],
            &["HSCAN", "h9:a", "0"],
            &["HSCAN", "h9:a", "12345"],
            &["HSCAN", "h9:a", "0", "MATCH", "f*"],
            &["HSCAN", "h9:a", "0", "MATCH", "*"],
            &["HSCAN", "h9:a", "0", "MATCH", "7"],
            &["HSCAN", "h9:a", "0", "COUNT", "1"],
            &["HSCAN", "h9:a", "0", "COUNT", "0"],
            &["HSCAN", "h9:a", "0", "COUNT", "-1"],
            &["HSCAN", "h9:a", "0", "COUNT", "x"],
            &["HSCAN", "h9:a", "0", "TYPE", "hash"],
            &["HSCAN", "h9:a", "0", "MATCH"],
            &["HSCAN", "h9:a", "0", "NOVALUES"],
            &["HSCAN", "h9:a", "x"],
            &["HSCAN", "h9:a", "-1"],
            &["HSCAN", "h9:a", ""],
            &["HSCAN", "h9:missing", "0"],
            &["HSCAN", "h9:missing", "0", "BOGUS"],
            &["HSCAN", "h9:missing", "x"],
            &["SET", "h9:s", "v"],
            &["HSCAN", "h9:s", "0"],
            &["HSCAN", "h9:s", "x"],
            &["HSCAN", "h9:s", "0", "BOGUS"],
        ],
    )]);
    let mut pair = Pair::start_with(DEBUG_ON);
    pair.scenario("full iteration of a table", |server, t| {
        let mut conn = server.conn();
        conn.call(&big);
        for (opts, name) in [
            (&[][..], "all"),
            (&["MATCH", "f1*", "COUNT", "7"][..], "f1*"),
        ] {
            let mut seen = Vec::new();
            let mut cursor = "0".to_string();
            for _ in 0..10_000 {
                let mut args = vec!["HSCAN", "h9:big", cursor.as_str()];
                args.extend_from_slice(opts);
                let reply = conn.call_parsed(&args);
                let [next, batch] = reply.items() else {
                    panic!("HSCAN replied {reply:?}");
                };
                for pair in batch.items().chunks(2) {
                    seen.push((pair[0].text(), pair[1].text()));
                }
                cursor = next.text();
                if cursor == "0" {
                    break;
                }
            }
            seen.sort();
            seen.dedup();
            t.note(&format!("{name}: count"), seen.len());
            t.note(&format!("{name}: pairs"), &seen);
        }
    });
}

#[test]
fn wrongtype_both_ways() {
    let mut on_string = Case::new("hash commands on a string").cmd(&["SET", "h10:s", "1"]);
    for cmd in [
        &["HSET", "h10:s", "f", "v"][..],
        &["HMSET", "h10:s", "f", "v"],
        &["HSETNX", "h10:s", "f", "v"],
        &["HGET", "h10:s", "f"],
        &["HMGET", "h10:s", "f"],
        &["HDEL", "h10:s", "f"],
        &["HLEN", "h10:s"],
        &["HSTRLEN", "h10:s", "f"],
        &["HEXISTS", "h10:s", "f"],
        &["HKEYS", "h10:s"],
        &["HVALS", "h10:s"],
        &["HGETALL", "h10:s"],
        &["HINCRBY", "h10:s", "f", "1"],
        &["HINCRBY", "h10:s", "f", "x"],
        &["HINCRBYFLOAT", "h10:s", "f", "1"],
        &["HINCRBYFLOAT", "h10:s", "f", "x"],
        &["HRANDFIELD", "h10:s"],
        &["HRANDFIELD", "h10:s", "2"],
        &["HRANDFIELD", "h10:s", "x"],
        &["HSCAN", "h10:s", "0"],
    ] {
        on_string = on_string.cmd(cmd);
    }
    let mut on_hash = Case::new("string commands on a hash").cmd(&["HSET", "h10:h", "f", "1"]);
    for cmd in [
        &["GET", "h10:h"][..],
        &["GETSET", "h10:h", "v"],
        &["GETDEL", "h10:h"],
        &["GETEX", "h10:h", "PERSIST"],
        &["SET", "h10:h", "v", "GET"],
        &["APPEND", "h10:h", "x"],
        &["STRLEN", "h10:h"],
        &["GETRANGE", "h10:h", "0", "1"],
        &["SUBSTR", "h10:h", "0", "1"],
        &["SETRANGE", "h10:h", "0", "x"],
        &["INCR", "h10:h"],
        &["DECR", "h10:h"],
        &["INCRBY", "h10:h", "2"],
        &["DECRBY", "h10:h", "2"],
        &["INCRBYFLOAT", "h10:h", "2"],
        &["LCS", "h10:h", "h10:s"],
        &["LCS", "h10:s", "h10:h"],
        &["MGET", "h10:h", "h10:s"],
        &["SETBIT", "h10:h", "1", "1"],
        &["GETBIT", "h10:h", "1"],
        &["BITCOUNT", "h10:h"],
        &["BITPOS", "h10:h", "1"],
        &["BITFIELD", "h10:h", "GET", "u8", "0"],
        &["BITFIELD_RO", "h10:h", "GET", "u8", "0"],
        &["BITOP", "AND", "h10:dest", "h10:h"],
        &["BITOP", "AND", "h10:dest", "h10:s", "h10:h"],
        &["SETNX", "h10:h", "v"],
        &["MSETNX", "h10:h", "v", "h10:other", "v"],
        &["HGETALL", "h10:h"],
        &["SET", "h10:h", "now a string"],
        &["GET", "h10:h"],
    ] {
        on_hash = on_hash.cmd(cmd);
    }
    hdiff(&[on_string, on_hash]);
}

#[test]
fn generic_key_commands_on_hashes() {
    let big = hset_n("h11:big", 600);
    hdiff(&[
        case(
            "type copy move rename del",
            &[
                &["HSET", "h11:a", "f", "1", "g", "2"],
                &["TYPE", "h11:a"],
                &["EXISTS", "h11:a", "h11:a"],
                &["COPY", "h11:a", "h11:b"],
                &["HSET", "h11:b", "f", "changed"],
                &["HGETALL", "h11:a"],
                &["HGETALL", "h11:b"],
                &["OBJECT", "ENCODING", "h11:b"],
                &["RENAME", "h11:b", "h11:c"],
                &["HGETALL", "h11:c"],
                &["EXPIRE", "h11:c", "1000"],
                &["COPY", "h11:c", "h11:d", "DB", "3"],
                &["MOVE", "h11:c", "2"],
                &["SELECT", "2"],
                &["HGETALL", "h11:c"],
                &["TTL", "h11:c"],
                &["SELECT", "3"],
                &["HGETALL", "h11:d"],
                &["DEBUG", "DIGEST-VALUE", "h11:d", "h11:nope"],
                &["SELECT", "0"],
                &[
                    "SCAN", "0", "TYPE", "hash", "MATCH", "h11:*", "COUNT", "1000",
                ],
                &[
                    "SCAN", "0", "TYPE", "string", "MATCH", "h11:*", "COUNT", "1000",
                ],
                &["DEBUG", "OBJECT", "h11:nope"],
                &["DEBUG", "LISTPACK", "h11:nope"],
                &["DEBUG", "LISTPACK", "h11:a"],
                &["UNLINK", "h11:a"],
                &["EXISTS", "h11:a"],
            ],
        ),
        Case::new("tables")
            .cmd(&strs(&big))
            .cmd(&["COPY", "h11:big", "h11:big2"])
            .cmd(&["OBJECT", "ENCODING", "h11:big2"])
            .masked(DEBUG_OBJECT, &["DEBUG", "OBJECT", "h11:big2"])
            .cmd(&["DEBUG", "DIGEST-VALUE", "h11:big", "h11:big2"])
            .cmd(&["DEBUG", "LISTPACK", "h11:big"])
            .cmd(&["SET", "h11:str", "v"])
            .cmd(&["DEBUG", "LISTPACK", "h11:str"])
            .cmd(&["DEL", "h11:big", "h11:big2", "h11:str"])
            .cmd(&["EXISTS", "h11:big"]),
        case(
            "dataset digest",
            &[
                &["FLUSHALL"],
                &["DEBUG", "DIGEST"],
                &["HSET", "h11:x", "a", "1", "b", "two"],
                &["SET", "h11:y", "12"],
                &["DEBUG", "DIGEST"],
                &["PEXPIREAT", "h11:x", "99999999999999"],
                &["DEBUG", "DIGEST"],
                &["SELECT", "5"],
                &["HSET", "h11:x", "a", "1"],
                &["DEBUG", "DIGEST"],
                &["SELECT", "0"],
            ],
        ),
    ]);
}

/// A DUMP payload taken from one server restores on the other to the same
/// contents and encoding, and (for a listpack) dumps to the same bytes.
#[test]
fn dump_restore_cross_servers() {
    let pair = Pair::start_with(DEBUG_ON);
    let big = hset_n("big", 700);
    let long = "y".repeat(100);
    let setups: Vec<Vec<String>> = vec![
        hset_n("small", 5),
        big,
        vec![
            "HSET".into(),
            "mixed".into(),
            "n".into(),
            "-7".into(),
            "long".into(),
            long,
        ],
    ];
    pair.dump_restore_both_ways(
        &setups,
        |_| Vec::new(),
        |key| key != "big" && key != "mixed",
    );
}

/// RESTORE refuses what Redis refuses: corrupt listpacks, duplicate fields
/// (deep sanitization), odd element counts.
#[test]
fn restore_validates_payloads() {
    let mut pair = Pair::start_with(&[
        "--sanitize-dump-payload",
        "yes",
        "--enable-debug-command",
        "yes",
    ]);
    // A payload built by Redis, then damaged.
    let good = {
        let [redis, _] = pair.servers();
        let mut r = redis.conn();
        r.call(&["HSET", "src", "a", "1", "b", "2"]);
        let good = r.call_parsed(&["DUMP", "src"]).bytes().unwrap().to_vec();
        r.call(&["DEL", "src"]);
        good
    };
    let mut cases = Case::new("restore").cmd_bytes(&[&b"RESTORE"[..], b"r1", b"0", &good]);
    for (label, payload) in damaged(&good) {
        cases = cases
            .cmd_bytes(&[&b"RESTORE"[..], label.as_bytes(), b"0", &payload])
            .cmd_bytes(&[&b"EXISTS"[..], label.as_bytes()]);
    }
    pair.run(&[
        cases.cmd(&["HGETALL", "r1"]),
        Case::new("dump").cmd(&["DUMP", "r1"]),
    ]);
}

/// Variants of a valid hash DUMP payload (type 16, a listpack of `a 1 b 2`)
/// with a correct checksum and a damaged body.
fn damaged(good: &[u8]) -> Vec<(String, Vec<u8>)> {
    // The body: type byte, length byte, the listpack; then version and CRC.
    let body = &good[..good.len() - 10];
    let lp = &body[2..];
    let reseal = |lp: &[u8], t: u8| {
        let mut b = vec![t, lp.len() as u8];
        b.extend_from_slice(lp);
        seal(&b)
    };
    let mut out = Vec::new();
    // The same field twice: `a 1 a 2`.
    let mut dup = lp.to_vec();
    let b_pos = dup.iter().position(|&c| c == b'b').unwrap();
    dup[b_pos] = b'a';
    out.push(("dup".to_string(), reseal(&dup, 16)));
    // A header claiming more bytes than there are.
    let mut total = lp.to_vec();
    total[0] = total[0].wrapping_add(1);
    out.push(("total".to_string(), reseal(&total, 16)));
    // A header claiming 3 elements.
    let mut count = lp.to_vec();
    count[4] = 3;
    out.push(("count".to_string(), reseal(&count, 16)));
    // Three elements, consistent: an odd count.
    let odd = [0x0c, 0, 0, 0, 3, 0, 0x81, b'a', 2, 0x01, 1, 0x02, 1, 0xff];
    let mut odd = odd.to_vec();
    odd[0] = odd.len() as u8;
    out.push(("odd".to_string(), reseal(&odd, 16)));
    // An empty listpack.
    out.push(("empty".to_string(), reseal(&[7, 0, 0, 0, 0, 0, 0xff], 16)));
    // Garbage in an entry's encoding.
    let mut enc = lp.to_vec();
    enc[6] = 0xf5;
    out.push(("enc".to_string(), reseal(&enc, 16)));
    // A table-form hash with the same field twice.
    out.push((
        "dup4".to_string(),
        seal(&[4, 2, 1, b'a', 1, b'1', 1, b'a', 1, b'2']),
    ));
    // A table-form hash that ends early.
    out.push(("short4".to_string(), seal(&[4, 2, 1, b'a', 1, b'1'])));
    out
}

/// A DUMP payload: body, RDB version 10, CRC64 of both.
fn seal(body: &[u8]) -> Vec<u8> {
    let mut p = body.to_vec();
    p.extend_from_slice(&10u16.to_le_bytes());
    let crc = crc64(&p);
    p.extend_from_slice(&crc.to_le_bytes());
    p
}

/// Redis's CRC64 (Jones polynomial, reflected), bit by bit.
pub(crate) fn crc64(data: &[u8]) -> u64 {
    const POLY: u64 = 0x95ac_9329_ac4b_c9b5;
    let mut crc = 0u64;
    for &b in data {
        crc ^= u64::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ POLY
            } else {
                crc >> 1
            };
        }
    }
    crc
}

/// Fills a server with small and big hashes (and strings, and deadlines)
/// in several databases.
fn fill_hashes(conn: &mut Conn) {
    for db in [0, 3] {
        conn.call(&["SELECT", &db.to_string()]);
        for (i, n) in [1, 5, 64, 512, 513, 2000].into_iter().enumerate() {
            conn.call(&hset_n(&format!("h:{i}"), n));
        }
        let long = "z".repeat(200);
        conn.call(&["HSET", "long", "f", &long, "n", "12345678901234"]);
        conn.call(&[
            "HSET",
            "ints",
            "1",
            "-1",
            "-100000",
            "300",
            "x",
            "9223372036854775807",
        ]);
        conn.call(&["PEXPIREAT", "h:1", "99999999999999"]);
        conn.call(&["SET", "s", "plain"]);
    }
    conn.call(&["SELECT", "0"]);
}

/// What must survive a file: the dataset digest and every hash's encoding.
fn observe(conn: &mut Conn) -> Vec<Vec<u8>> {
    let mut out = vec![conn.call(&["DEBUG", "DIGEST"]), conn.call(&["DBSIZE"])];
    for db in [0, 3] {
        conn.call(&["SELECT", &db.to_string()]);
        for key in ["h:0", "h:1", "h:2", "h:3", "h:4", "h:5", "long", "ints"] {
            out.push(conn.call(&["OBJECT", "ENCODING", key]));
        }
    }
    conn.call(&["SELECT", "0"]);
    out
}

/// Snapshot files written by Redis load into ferrodis, and ferrodis's load
/// into Redis and pass `redis-check-rdb`, with the same digest both ways.
#[test]
fn rdb_files_both_ways() {
    let seen = crate::util::server::rdb_files_both_ways("hash", fill_hashes, observe);
    // DEBUG DIGEST of a dataset that is not empty.
    let empty = format!("+{}\r\n", "0".repeat(40));
    assert!(
        seen[0].starts_with(b"+") && seen[0] != empty.as_bytes(),
        "{:?}",
        String::from_utf8_lossy(&seen[0])
    );
}

/// Files with the older hash encodings Redis still loads: ziplist (13) and
/// zipmap (9) hashes, and a listpack hash over the thresholds, which
/// becomes a table on load.
#[test]
fn old_encodings_load() {
    // A ziplist of `a 1 bb 2222` (entries: prevlen, encoding, data).
    let ziplist: Vec<u8> = {
        let mut entries = Vec::new();
        let mut prev = 0u8;
        for e in [
            &[0x01, b'a'][..],
            &[0xf2],
            &[0x02, b'b', b'b'],
            &[0xc0, 0xae, 0x08],
        ] {
            let start = entries.len();
            entries.push(prev);
            entries.extend_from_slice(e);
            prev = (entries.len() - start) as u8;
        }
        let total = 10 + entries.len() + 1;
        let mut z = (total as u32).to_le_bytes().to_vec();
        z.extend_from_slice(&((10 + entries.len() - prev as usize) as u32).to_le_bytes());
        z.extend_from_slice(&4u16.to_le_bytes());
        z.extend_from_slice(&entries);
        z.push(0xff);
        z
    };
    // A zipmap of `a -> 1, bb -> 22` (zmlen, then len key len free value, 0xff).
    let zipmap = vec![
        2, 1, b'a', 1, 0, b'1', 2, b'b', b'b', 2, 0, b'2', b'2', 0xff,
    ];
    let mut rdb = b"REDIS0009".to_vec();
    rdb.extend_from_slice(&[0xfe, 0]);
    for (t, key, body) in [(13u8, &b"zl"[..], &ziplist), (9, b"zm", &zipmap)] {
        rdb.push(t);
        rdb.push(key.len() as u8);
        rdb.extend_from_slice(key);
        rdb.push(body.len() as u8);
        rdb.extend_from_slice(body);
    }
    rdb.push(0xff);
    let crc = crc64(&rdb);
    rdb.extend_from_slice(&crc.to_le_bytes());
    for limit in ["512", "1"] {
        let mut seen = Vec::new();
        for flavor in [Flavor::Redis, Flavor::Ferrodis] {
            let dir = temp_dir("hash-old");
            fs::write(dir.join("dump.rdb"), &rdb).unwrap();
            let dir_arg = dir.to_string_lossy().to_string();
            let server = Builder::new(flavor)
                .args(&[
                    "--dir",
                    &dir_arg,
                    "--hash-max-listpack-entries",
                    limit,
                    "--enable-debug-command",
                    "yes",
                ])
                .start();
            let mut c = server.conn();
            let mut got = Vec::new();
            for cmd in [
                &["DEBUG", "DIGEST"][..],
                &["OBJECT", "ENCODING", "zl"],
                &["OBJECT", "ENCODING", "zm"],
                &["HGET", "zl", "bb"],
                &["HGET", "zm", "bb"],
                &["HLEN", "zm"],
            ] {
                got.push(escape(&c.call(cmd)));
            }
            seen.push(got);
            drop(c);
            drop(server);
            let _ = fs::remove_dir_all(&dir);
        }
        assert_eq!(seen[0], seen[1], "hash-max-listpack-entries {limit}");
        assert!(seen[0][3].contains("2222"), "{:?}", seen[0]);
    }
}

/// The AOF rewrite rebuilds hashes with HMSET, 64 fields per command, and
/// HINCRBYFLOAT is logged as the HSET of its result.
#[test]
fn aof_rewrite_and_propagation() {
    let dir = temp_dir("hash-aof");
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
    c.call(&hset_n("h", 130));
    assert_eq!(
        c.call(&["HINCRBYFLOAT", "h", "fl", "10.5"]),
        b"$4\r\n10.5\r\n"
    );
    let incr: String = fs::read_dir(dir.join("appendonlydir"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".incr.aof"))
        .map(|p| fs::read_to_string(p).unwrap())
        .collect();
    assert!(
        incr.contains("*4\r\n$4\r\nHSET\r\n$1\r\nh\r\n$2\r\nfl\r\n$4\r\n10.5\r\n"),
        "{incr}"
    );
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
                .filter(|text| text.contains("HMSET"))
        })
        .expect("a rewritten base");
    assert_eq!(base.matches("$5\r\nHMSET\r\n").count(), 3, "{base}");
    assert_eq!(base.matches("*130\r\n$5\r\nHMSET\r\n").count(), 2);
    assert!(base.contains("*8\r\n$5\r\nHMSET\r\n"));
    assert_eq!(c.call(&["DEBUG", "LOADAOF"]), b"+OK\r\n");
    assert_eq!(c.call(&["DEBUG", "DIGEST"]), digest);
    assert_eq!(c.call(&["OBJECT", "ENCODING", "h"]), b"$8\r\nlistpack\r\n");
    drop(c);
    drop(server);
    let _ = fs::remove_dir_all(&dir);
}
