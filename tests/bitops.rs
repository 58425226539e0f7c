//! The bit commands against real Redis: SETBIT, GETBIT, BITCOUNT, BITPOS,
//! BITOP, BITFIELD and BITFIELD_RO, with their errors, missing keys, binary
//! and integer-encoded values, negative and huge indexes, offsets at the
//! `proto-max-bulk-len` limit, what they count as changes
//! (`rdb_changes_since_last_save`) and as keyspace hits, and a seeded random
//! run that compares thousands of range and field operations.

use crate::util::*;

/// One INFO field's value, so a reply is compared on it alone.
fn info_field(reply: &Reply, name: &str) -> String {
    let text = reply.text();
    let value = text
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .unwrap_or("<missing>");
    format!("{name}:{value}")
}

/// How many changes the server has counted: what each command adds to it
/// is part of its behaviour (persistence and replication rely on it).
const DIRTY: Mask = Mask::Custom(|r| info_field(r, "rdb_changes_since_last_save"));
const HITS: Mask = Mask::Custom(|r| {
    format!(
        "{} {}",
        info_field(r, "keyspace_hits"),
        info_field(r, "keyspace_misses")
    )
});

/// Adds `cmds` to `case`, each followed by a look at the change counter.
fn with_dirty(case: Case, cmds: &[&[&str]]) -> Case {
    cmds.iter().fold(case, |c, args| {
        c.cmd(args).masked(DIRTY, &["INFO", "persistence"])
    })
}

#[test]
fn setbit_and_getbit() {
    diff(&[
        case(
            "set and read bits",
            &[
                &["SETBIT", "sb:k", "7", "1"],
                &["GET", "sb:k"],
                &["SETBIT", "sb:k", "7", "0"],
                &["SETBIT", "sb:k", "8", "1"],
                &["SETBIT", "sb:k", "15", "1"],
                &["SETBIT", "sb:k", "16", "0"],
                &["GET", "sb:k"],
                &["GETBIT", "sb:k", "8"],
                &["GETBIT", "sb:k", "9"],
                &["GETBIT", "sb:k", "15"],
                &["GETBIT", "sb:k", "16"],
                &["GETBIT", "sb:k", "4294967295"],
                &["GETBIT", "sb:missing", "0"],
                &["GETBIT", "sb:missing", "4294967295"],
                &["GET", "sb:missing"],
            ],
        ),
        case(
            "other encodings become raw bits",
            &[
                &["SET", "sb:int", "12345"],
                &["GETBIT", "sb:int", "2"],
                &["SETBIT", "sb:int", "0", "1"],
                &["GET", "sb:int"],
                &["SET", "sb:empty", ""],
                &["GETBIT", "sb:empty", "0"],
                &["SETBIT", "sb:empty", "0", "0"],
                &["GET", "sb:empty"],
                &["SETBIT", "sb:zero", "0", "0"],
                &["GET", "sb:zero"],
            ],
        ),
        case(
            "errors",
            &[
                &["SETBIT", "sb:e", "1", "2"],
                &["SETBIT", "sb:e", "1", "-1"],
                &["SETBIT", "sb:e", "1", "01"],
                &["SETBIT", "sb:e", "1", "x"],
                &["SETBIT", "sb:e", "-1", "1"],
                &["SETBIT", "sb:e", "abc", "1"],
                &["SETBIT", "sb:e", "4294967296", "1"],
                &["SETBIT", "sb:e", "4294967296", "x"],
                &["SETBIT", "sb:e", "#1", "1"],
                &["SETBIT", "sb:e", "1.5", "1"],
                &["SETBIT", "sb:e", "99999999999999999999", "1"],
                &["GET", "sb:e"],
                &["GETBIT", "sb:e", "-1"],
                &["GETBIT", "sb:e", "abc"],
                &["GETBIT", "sb:e", "4294967296"],
                &["GETBIT", "sb:e", ""],
                &["SETBIT", "sb:e", "1"],
                &["SETBIT", "sb:e", "1", "1", "1"],
                &["GETBIT", "sb:e"],
                &["GETBIT", "sb:e", "1", "2"],
            ],
        ),
        Case::new("binary keys and values")
            .cmd_bytes(&[&b"SET"[..], b"sb:\x00bin", b"\x00\xff\r\n"])
            .cmd_bytes(&[&b"SETBIT"[..], b"sb:\x00bin", b"1", b"1"])
            .cmd_bytes(&[&b"GETBIT"[..], b"sb:\x00bin", b"9"])
            .cmd_bytes(&[&b"GET"[..], b"sb:\x00bin"]),
    ]);
}

#[test]
fn bitcount() {
    diff(&[
        case(
            "ranges",
            &[
                &["SET", "bc:s", "foobar"],
                &["BITCOUNT", "bc:s"],
                &["BITCOUNT", "bc:s", "0", "0"],
                &["BITCOUNT", "bc:s", "1", "1"],
                &["BITCOUNT", "bc:s", "0", "-1"],
                &["BITCOUNT", "bc:s", "-2", "-1"],
                &["BITCOUNT", "bc:s", "-1", "-5"],
                &["BITCOUNT", "bc:s", "-100", "-200"],
                &["BITCOUNT", "bc:s", "-200", "-100"],
                &["BITCOUNT", "bc:s", "-1", "-1000", "WORD"],
                &["BITCOUNT", "bc:s", "-1", "-1000", "BIT"],
                &["BITCOUNT", "bc:s", "0", "1", "WORD"],
                &["BITCOUNT", "bc:s", "-1000", "-1", "WORD"],
                &["BITCOUNT", "bc:none", "-1", "-1000", "WORD"],
                &["BITCOUNT", "bc:s", "5", "1"],
                &["BITCOUNT", "bc:s", "0", "-100"],
                &["BITCOUNT", "bc:s", "6", "100"],
                &["BITCOUNT", "bc:s", "0", "1000"],
                &[
                    "BITCOUNT",
                    "bc:s",
                    "-9223372036854775808",
                    "9223372036854775807",
                ],
                &[
                    "BITCOUNT",
                    "bc:s",
                    "-9223372036854775807",
                    "-9223372036854775808",
                ],
            ],
        ),
        case(
            "byte and bit units",
            &[
                &["SET", "bc:u", "foobar"],
                &["BITCOUNT", "bc:u", "1", "1", "BYTE"],
                &["BITCOUNT", "bc:u", "1", "1", "byte"],
                &["BITCOUNT", "bc:u", "5", "30", "BIT"],
                &["BITCOUNT", "bc:u", "5", "30", "bit"],
                &["BITCOUNT", "bc:u", "7", "7", "BIT"],
                &["BITCOUNT", "bc:u", "7", "8", "BIT"],
                &["BITCOUNT", "bc:u", "8", "15", "BIT"],
                &["BITCOUNT", "bc:u", "0", "-1", "BIT"],
                &["BITCOUNT", "bc:u", "-5", "-1", "BIT"],
                &["BITCOUNT", "bc:u", "-1", "-5", "BIT"],
                &["BITCOUNT", "bc:u", "9", "1", "BIT"],
                &["BITCOUNT", "bc:u", "0", "1000", "BIT"],
                &["BITCOUNT", "bc:u", "47", "47", "BIT"],
                &["BITCOUNT", "bc:u", "48", "100", "BIT"],
            ],
        ),
        case(
            "encodings and edges",
            &[
                &["SET", "bc:int", "-1234567890"],
                &["BITCOUNT", "bc:int"],
                &["BITCOUNT", "bc:int", "1", "3", "BIT"],
                &["SET", "bc:empty", ""],
                &["BITCOUNT", "bc:empty"],
                &["BITCOUNT", "bc:empty", "0", "-1"],
                &["BITCOUNT", "bc:empty", "0", "0", "BIT"],
                &["SETBIT", "bc:long", "1000", "1"],
                &["SETBIT", "bc:long", "0", "1"],
                &["SETBIT", "bc:long", "555", "1"],
                &["BITCOUNT", "bc:long"],
                &["BITCOUNT", "bc:long", "1", "-1"],
                &["BITCOUNT", "bc:long", "1", "999", "BIT"],
            ],
        ),
        case(
            "errors and missing keys",
            &[
                &["SET", "bc:e", "abc"],
                &["BITCOUNT", "bc:e", "0"],
                &["BITCOUNT", "bc:e", "0", "1", "2"],
                &["BITCOUNT", "bc:e", "0", "1", "foo"],
                &["BITCOUNT", "bc:e", "0", "1", "BIT", "x"],
                &["BITCOUNT", "bc:e", "a", "1"],
                &["BITCOUNT", "bc:e", "0", "a"],
                &["BITCOUNT", "bc:e", "0", "abc", "foo"],
                &["BITCOUNT", "bc:e", "abc", "1", "foo", "x"],
                &["BITCOUNT", "bc:e", "1.0", "2"],
                &["BITCOUNT", "bc:e", "0", "9223372036854775808"],
                // Redis 7.0 answers 0 for a missing key before parsing the range.
                &["BITCOUNT", "bc:missing"],
                &["BITCOUNT", "bc:missing", "0"],
                &["BITCOUNT", "bc:missing", "a", "b"],
                &["BITCOUNT", "bc:missing", "0", "1", "foo"],
                &["BITCOUNT"],
            ],
        ),
    ]);
}

#[test]
fn bitpos() {
    diff(&[
        case(
            "whole strings",
            &[
                &["SET", "bp:ones", "\u{7f}\u{7f}"],
                &["SETBIT", "bp:ff", "23", "1"],
                &["BITFIELD", "bp:ff", "SET", "u24", "0", "16777215"],
                &["BITPOS", "bp:ff", "0"],
                &["BITPOS", "bp:ff", "1"],
                &["BITPOS", "bp:ff", "0", "1"],
                &["BITPOS", "bp:ff", "0", "1", "2"],
                &["BITPOS", "bp:ff", "0", "1", "-1"],
                &["BITPOS", "bp:ff", "0", "5"],
                &["BITPOS", "bp:ff", "0", "0", "100", "BIT"],
                &["BITPOS", "bp:ff", "0", "-3", "-1", "BIT"],
                &["BITPOS", "bp:ff", "1", "3", "10", "BIT"],
                &["BITPOS", "bp:ff", "1", "30", "10", "BIT"],
                &["SETBIT", "bp:zero", "15", "0"],
                &["BITPOS", "bp:zero", "1"],
                &["BITPOS", "bp:zero", "0"],
                &["BITPOS", "bp:zero", "1", "1"],
                &["BITPOS", "bp:zero", "0", "1"],
                &["BITPOS", "bp:zero", "0", "5", "7", "BIT"],
                &["BITPOS", "bp:ones", "0"],
                &["BITPOS", "bp:ones", "1", "1"],
            ],
        ),
        case(
            "ranges",
            &[
                &["SET", "bp:s", "\u{0}\u{1}\u{0}\u{10}abc"],
                &["BITPOS", "bp:s", "1"],
                &["BITPOS", "bp:s", "1", "2"],
                &["BITPOS", "bp:s", "1", "2", "2"],
                &["BITPOS", "bp:s", "1", "-1"],
                &["BITPOS", "bp:s", "1", "-100", "-200"],
                &["BITPOS", "bp:s", "1", "-200", "-100"],
                &["BITPOS", "bp:s", "0", "-200", "-100"],
                &["BITPOS", "bp:s", "1", "16", "27", "BIT"],
                &["BITPOS", "bp:s", "1", "16", "26", "BIT"],
                &["BITPOS", "bp:s", "1", "16", "26", "bit"],
                &["BITPOS", "bp:s", "1", "2", "3", "byte"],
                &["BITPOS", "bp:s", "0", "15", "15", "BIT"],
                &["BITPOS", "bp:s", "0", "7", "7", "BIT"],
                &["BITPOS", "bp:s", "1", "9223372036854775807"],
                &["BITPOS", "bp:s", "1", "0", "9223372036854775807", "BIT"],
                &["BITPOS", "bp:s", "1", "-9223372036854775808", "-1", "BIT"],
            ],
        ),
        case(
            "encodings, empty and missing keys",
            &[
                &["SET", "bp:int", "12345"],
                &["BITPOS", "bp:int", "1"],
                &["BITPOS", "bp:int", "0", "2"],
                &["SET", "bp:empty", ""],
                &["BITPOS", "bp:empty", "0"],
                &["BITPOS", "bp:empty", "1"],
                &["BITPOS", "bp:empty", "0", "0"],
                &["BITPOS", "bp:missing", "0"],
                &["BITPOS", "bp:missing", "1"],
                &["BITPOS", "bp:missing", "1", "a"],
                &["BITPOS", "bp:missing", "0", "0", "1", "foo"],
            ],
        ),
        case(
            "errors",
            &[
                &["SET", "bp:e", "abc"],
                &["BITPOS", "bp:e", "2"],
                &["BITPOS", "bp:missing", "2"],
                &["BITPOS", "bp:e", "-1"],
                &["BITPOS", "bp:e", "a"],
                &["BITPOS", "bp:e", "01"],
                &["BITPOS", "bp:e", "1.0"],
                &["BITPOS", "bp:e", "1", "a"],
                &["BITPOS", "bp:e", "1", "0", "a"],
                &["BITPOS", "bp:e", "1", "0", "1", "foo"],
                // The unit is checked before `end` is parsed (BITCOUNT does the opposite).
                &["BITPOS", "bp:e", "1", "0", "abc", "foo"],
                &["BITPOS", "bp:e", "1", "abc", "0", "foo"],
                &["BITPOS", "bp:e", "1", "0", "1", "BIT", "x"],
                &["BITPOS", "bp:e", "x", "abc", "1", "foo", "x"],
                &["BITPOS", "bp:e", "0", "5", "BIT"],
                &["BITPOS", "bp:e"],
            ],
        ),
    ]);
}

#[test]
fn bitop() {
    diff(&[
        case(
            "operations and lengths",
            &[
                &["SET", "bo:a", "foobar"],
                &["SET", "bo:b", "abc"],
                &["SET", "bo:n", "12345"],
                &["BITOP", "AND", "bo:d", "bo:a", "bo:b"],
                &["GET", "bo:d"],
                &["BITOP", "and", "bo:d", "bo:b", "bo:a"],
                &["GET", "bo:d"],
                &["BITOP", "OR", "bo:d", "bo:a", "bo:b", "bo:n"],
                &["GET", "bo:d"],
                &["BITOP", "XOR", "bo:d", "bo:a", "bo:b", "bo:a"],
                &["GET", "bo:d"],
                &["BITOP", "NOT", "bo:d", "bo:a"],
                &["GET", "bo:d"],
                &["BITOP", "nOt", "bo:d", "bo:n"],
                &["GET", "bo:d"],
                &["BITOP", "AND", "bo:d", "bo:a", "bo:missing"],
                &["GET", "bo:d"],
                &["BITOP", "OR", "bo:d", "bo:missing", "bo:b"],
                &["GET", "bo:d"],
                &["BITOP", "XOR", "bo:a", "bo:a", "bo:b"],
                &["GET", "bo:a"],
                &["BITOP", "AND", "bo:single", "bo:b"],
                &["GET", "bo:single"],
            ],
        ),
        case(
            "empty results delete the destination",
            &[
                &["SET", "bo:dest", "x"],
                &["BITOP", "AND", "bo:dest", "bo:missing"],
                &["GET", "bo:dest"],
                &["BITOP", "NOT", "bo:dest", "bo:missing"],
                &["GET", "bo:dest"],
                &["SET", "bo:empty", ""],
                &["SET", "bo:dest", "x"],
                &["BITOP", "OR", "bo:dest", "bo:empty", "bo:missing"],
                &["GET", "bo:dest"],
            ],
        ),
        case(
            "errors",
            &[
                &["BITOP", "FOO", "bo:d", "bo:a"],
                &["BITOP", "NOT", "bo:d", "bo:a", "bo:b"],
                &["BITOP", "NOT", "bo:d", "bo:missing", "bo:missing"],
                &["BITOP", "ANDX", "bo:d", "bo:a"],
                &["BITOP", "AND", "bo:d"],
                &["BITOP", "AND"],
            ],
        ),
        Case::new("binary data")
            .cmd_bytes(&[&b"SET"[..], b"bo:x", b"\x00\xff\x0f\xf0\r\n\x80"])
            .cmd_bytes(&[&b"SET"[..], b"bo:y", b"\xff\xff"])
            .cmd(&["BITOP", "XOR", "bo:z", "bo:x", "bo:y"])
            .cmd(&["GET", "bo:z"])
            .cmd(&["BITOP", "NOT", "bo:z", "bo:x"])
            .cmd(&["GET", "bo:z"])
            .cmd(&["BITCOUNT", "bo:z"]),
    ]);
}

#[test]
fn bitfield() {
    diff(&[
        case(
            "get, set and incrby",
            &[
                &["BITFIELD", "bf:k"],
                &["BITFIELD", "bf:k", "OVERFLOW", "WRAP"],
                &["BITFIELD", "bf:k", "GET", "u8", "0"],
                &["GET", "bf:k"],
                &[
                    "BITFIELD", "bf:k", "SET", "i5", "3", "-1", "GET", "i5", "3", "GET", "u5", "3",
                ],
                &[
                    "BITFIELD", "bf:k", "get", "i13", "1", "set", "i13", "1", "-4000", "get",
                    "i13", "1", "get", "u32", "1",
                ],
                &["GET", "bf:k"],
                &[
                    "BITFIELD", "bf:k", "SET", "i64", "60", "-2", "GET", "i64", "60", "GET", "u63",
                    "61",
                ],
                &["GET", "bf:k"],
                &[
                    "BITFIELD", "bf:k", "INCRBY", "u8", "#3", "200", "GET", "u8", "24", "INCRBY",
                    "i16", "#1", "-7",
                ],
                &[
                    "BITFIELD", "bf:k", "GET", "u8", "#2", "SET", "u8", "#3", "200", "GET", "u8",
                    "24",
                ],
                &["SET", "bf:int", "12345"],
                &[
                    "BITFIELD", "bf:int", "GET", "u16", "0", "INCRBY", "u8", "0", "1",
                ],
                &["GET", "bf:int"],
                &[
                    "BITFIELD_RO",
                    "bf:k",
                    "GET",
                    "u8",
                    "0",
                    "GET",
                    "i64",
                    "1",
                    "GET",
                    "u8",
                    "1000",
                ],
                &["BITFIELD_RO", "bf:k"],
                &["BITFIELD_RO", "bf:k", "OVERFLOW", "FAIL", "GET", "u8", "0"],
                &["BITFIELD_RO", "bf:missing", "GET", "u8", "0"],
            ],
        ),
        case(
            "overflow modes",
            &[
                &[
                    "BITFIELD", "bf:o", "SET", "u8", "0", "255", "GET", "u8", "0", "INCRBY", "u8",
                    "0", "1", "OVERFLOW", "SAT", "INCRBY", "u8", "0", "1000", "INCRBY", "u8", "0",
                    "-1000", "OVERFLOW", "FAIL", "INCRBY", "u8", "0", "-1", "INCRBY", "u8", "0",
                    "1", "GET", "u8", "0",
                ],
                &["BITFIELD", "bf:o", "SET", "u8", "0", "-1"],
                &[
                    "BITFIELD", "bf:o", "OVERFLOW", "SAT", "SET", "u8", "0", "-1",
                ],
                &[
                    "BITFIELD", "bf:o", "OVERFLOW", "FAIL", "SET", "u8", "0", "-1",
                ],
                &[
                    "BITFIELD", "bf:o", "OVERFLOW", "WRAP", "SET", "u8", "0", "-2", "GET", "u8",
                    "0",
                ],
                &[
                    "BITFIELD", "bf:o", "SET", "i8", "0", "128", "GET", "i8", "0",
                ],
                &[
                    "BITFIELD", "bf:o", "overflow", "sat", "SET", "i8", "0", "128", "GET", "i8",
                    "0", "SET", "i8", "0", "-129", "GET", "i8", "0",
                ],
                // Redis's overflow test wraps for values this far below the field: SAT picks the maximum.
                &[
                    "BITFIELD",
                    "bf:o",
                    "OVERFLOW",
                    "SAT",
                    "SET",
                    "i36",
                    "0",
                    "-9223372036854775808",
                    "GET",
                    "i36",
                    "0",
                ],
                &[
                    "BITFIELD",
                    "bf:o",
                    "SET",
                    "i64",
                    "0",
                    "9223372036854775807",
                    "INCRBY",
                    "i64",
                    "0",
                    "1",
                    "OVERFLOW",
                    "SAT",
                    "INCRBY",
                    "i64",
                    "0",
                    "-1",
                    "INCRBY",
                    "i64",
                    "0",
                    "-9223372036854775808",
                    "INCRBY",
                    "i64",
                    "0",
                    "-9223372036854775808",
                ],
                &[
                    "BITFIELD",
                    "bf:o",
                    "OVERFLOW",
                    "FAIL",
                    "SET",
                    "i64",
                    "0",
                    "-9223372036854775808",
                    "INCRBY",
                    "i64",
                    "0",
                    "-1",
                    "INCRBY",
                    "i64",
                    "0",
                    "9223372036854775807",
                    "INCRBY",
                    "i64",
                    "0",
                    "1",
                ],
                &[
                    "BITFIELD",
                    "bf:o",
                    "SET",
                    "u63",
                    "0",
                    "9223372036854775807",
                    "GET",
                    "u63",
                    "0",
                    "INCRBY",
                    "u63",
                    "0",
                    "1",
                    "OVERFLOW",
                    "SAT",
                    "INCRBY",
                    "u63",
                    "0",
                    "-1",
                    "SET",
                    "u63",
                    "0",
                    "-1",
                    "GET",
                    "u63",
                    "0",
                    "OVERFLOW",
                    "FAIL",
                    "SET",
                    "u63",
                    "0",
                    "-1",
                ],
                &[
                    "BITFIELD", "bf:o", "SET", "i63", "0", "-1", "GET", "i63", "0", "GET", "u63",
                    "0", "GET", "i64", "0", "GET", "u1", "0", "GET", "i1", "0",
                ],
                &[
                    "BITFIELD", "bf:o", "SET", "i1", "0", "1", "GET", "i1", "0", "OVERFLOW", "SAT",
                    "SET", "i1", "0", "1", "GET", "i1", "0", "INCRBY", "i1", "0", "-5", "GET",
                    "i1", "0",
                ],
                &[
                    "BITFIELD",
                    "bf:o",
                    "SET",
                    "u1",
                    "1",
                    "1",
                    "INCRBY",
                    "u1",
                    "1",
                    "1",
                    "OVERFLOW",
                    "SAT",
                    "INCRBY",
                    "u1",
                    "1",
                    "1",
                    "INCRBY",
                    "u1",
                    "1",
                    "-9223372036854775808",
                ],
                &["GET", "bf:o"],
            ],
        ),
        case(
            "offsets",
            &[
                &["BITFIELD", "bf:off", "GET", "u8", "4294967295"],
                &["BITFIELD", "bf:off", "GET", "u8", "4294967296"],
                &["BITFIELD", "bf:off", "GET", "u8", "#536870911"],
                &["BITFIELD", "bf:off", "GET", "u8", "#536870912"],
                &["BITFIELD", "bf:off", "GET", "i64", "#67108863"],
                &["BITFIELD", "bf:off", "GET", "i64", "#67108864"],
                // `#N` times the width wraps in Redis: 2^61 * 8 is offset 0.
                &["BITFIELD", "bf:off", "GET", "u8", "#1152921504606846976"],
                &["BITFIELD", "bf:off", "GET", "u8", "#2305843009213693952"],
                &["BITFIELD", "bf:off", "GET", "u8", "-1"],
                &["BITFIELD", "bf:off", "GET", "u8", "#-1"],
                &["BITFIELD", "bf:off", "GET", "u8", "##1"],
                &["BITFIELD", "bf:off", "GET", "u8", "#"],
                &["BITFIELD", "bf:off", "GET", "u8", ""],
                &["BITFIELD", "bf:off", "GET", "u8", "1.5"],
                &["GET", "bf:off"],
            ],
        ),
        case(
            "parse errors come before any write",
            &[
                &["BITFIELD", "bf:e", "GET"],
                &["BITFIELD", "bf:e", "GET", "u8"],
                &["BITFIELD", "bf:e", "SET", "u8", "0"],
                &["BITFIELD", "bf:e", "INCRBY", "u8", "0"],
                &["BITFIELD", "bf:e", "FOO"],
                &["BITFIELD", "bf:e", "OVERFLOW"],
                &["BITFIELD", "bf:e", "OVERFLOW", "FOO", "GET", "u8", "0"],
                &["BITFIELD", "bf:e", "GET", "u8", "0", "OVERFLOW"],
                &[
                    "BITFIELD", "bf:e", "SET", "u8", "0", "1", "GET", "u8", "0", "FOO",
                ],
                &["BITFIELD", "bf:e", "SET", "u8", "0", "1", "GET", "x8", "0"],
                &["BITFIELD", "bf:e", "SET", "u8", "0", "abc"],
                &["BITFIELD", "bf:e", "INCRBY", "u8", "0", "1.5"],
                &["BITFIELD", "bf:e", "SET", "u8", "0", "9223372036854775808"],
                &["GET", "bf:e"],
                &["BITFIELD", "bf:e", "GET", "x8", "0"],
                &["BITFIELD", "bf:e", "GET", "U8", "0"],
                &["BITFIELD", "bf:e", "GET", "u64", "0"],
                &["BITFIELD", "bf:e", "GET", "i65", "0"],
                &["BITFIELD", "bf:e", "GET", "i0", "0"],
                &["BITFIELD", "bf:e", "GET", "u0", "0"],
                &["BITFIELD", "bf:e", "GET", "i-1", "0"],
                &["BITFIELD", "bf:e", "GET", "u+8", "0"],
                &["BITFIELD", "bf:e", "GET", "u08", "0"],
                &["BITFIELD", "bf:e", "GET", "u", "0"],
                &["BITFIELD", "bf:e", "GET", "", "0"],
                &["BITFIELD"],
            ],
        ),
        case(
            "BITFIELD_RO",
            &[
                &["BITFIELD_RO", "bf:ro", "SET", "u8", "0", "1"],
                &["BITFIELD_RO", "bf:ro", "INCRBY", "u8", "0", "1"],
                &[
                    "BITFIELD_RO",
                    "bf:ro",
                    "GET",
                    "u8",
                    "0",
                    "SET",
                    "u8",
                    "0",
                    "1",
                ],
                &["BITFIELD_RO", "bf:ro", "SET", "u8", "0", "x"],
                &["BITFIELD_RO", "bf:ro", "SET", "u8", "0"],
                &[
                    "BITFIELD_RO",
                    "bf:ro",
                    "GET",
                    "u8",
                    "0",
                    "SET",
                    "x8",
                    "0",
                    "1",
                ],
                &["BITFIELD_RO", "bf:ro", "OVERFLOW", "BAD", "GET", "u8", "0"],
                &["BITFIELD_RO", "bf:ro", "GET", "u8"],
                &["GET", "bf:ro"],
                &["BITFIELD_RO"],
            ],
        ),
        Case::new("binary arguments")
            // Redis reads the type's width up to a NUL byte.
            .cmd_bytes(&[
                &b"BITFIELD"[..],
                b"bf:bin",
                b"SET",
                b"u8\x00junk",
                b"0",
                b"65",
            ])
            .cmd_bytes(&[&b"BITFIELD"[..], b"bf:bin", b"GET", b"u\x008", b"0"])
            .cmd_bytes(&[&b"BITFIELD"[..], b"bf:bin", b"GET", b"u8", b"0\x00"])
            .cmd(&["GET", "bf:bin"]),
    ]);
}

#[test]
fn encodings_lengths_and_ttls() {
    diff(&[case(
        "in-place writes keep the TTL and make the value raw; BITOP replaces it",
        &[
            &["SET", "et:k", "12", "EX", "1000"],
            &["OBJECT", "ENCODING", "et:k"],
            &["GETBIT", "et:k", "0"],
            &["OBJECT", "ENCODING", "et:k"],
            &["SETBIT", "et:k", "0", "0"],
            &["OBJECT", "ENCODING", "et:k"],
            &["TTL", "et:k"],
            &["SETBIT", "et:k", "100", "1"],
            &["STRLEN", "et:k"],
            &["TTL", "et:k"],
            &["SET", "et:b", "abc", "EX", "1000"],
            &["BITFIELD", "et:b", "SET", "u8", "40", "1"],
            &["OBJECT", "ENCODING", "et:b"],
            &["STRLEN", "et:b"],
            &["TTL", "et:b"],
            &["SET", "et:d", "x", "EX", "1000"],
            &["BITOP", "OR", "et:d", "et:b"],
            &["OBJECT", "ENCODING", "et:d"],
            &["TTL", "et:d"],
            &[
                "BITFIELD", "et:new", "OVERFLOW", "FAIL", "INCRBY", "u2", "100", "5",
            ],
            &["EXISTS", "et:new"],
            &["STRLEN", "et:new"],
            &["SET", "et:empty", ""],
            &["SETBIT", "et:empty", "0", "0"],
            &["STRLEN", "et:empty"],
            &["BITOP", "AND", "et:gone", "et:missing"],
            &["EXISTS", "et:gone"],
        ],
    )]);
}

#[test]
fn bitfield_fail_is_null_in_resp3() {
    diff(&[Case::new("RESP3")
        .masked(Mask::Pairs(&["id"]), &["HELLO", "3"])
        .cmd(&[
            "BITFIELD", "r3:k", "OVERFLOW", "FAIL", "INCRBY", "u2", "0", "5", "GET", "u2", "0",
        ])
        .cmd(&["BITFIELD_RO", "r3:k", "GET", "i2", "0"])]);
}

#[test]
fn many_bitfield_operations() {
    let mut args: Vec<String> = vec!["BITFIELD".into(), "many:k".into()];
    for i in 0..300u32 {
        let ty = format!("{}{}", if i % 3 == 0 { "i" } else { "u" }, 1 + i % 63);
        let overflow = ["WRAP", "SAT", "FAIL"][(i % 7 % 3) as usize];
        args.extend(["OVERFLOW".into(), overflow.into()]);
        args.extend([
            "INCRBY".into(),
            ty.clone(),
            format!("#{}", i % 17),
            format!("{}", i64::from(i) * 7919 - 1000),
        ]);
        args.extend(["GET".into(), ty, format!("{}", i * 13 % 500)]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    diff(&[Case::new("300 increments and gets in one call")
        .cmd(&args)
        .cmd(&args)
        .cmd(&["GET", "many:k"])]);
}

#[test]
fn changes_counted() {
    // A fresh pair, so both change counters start from zero.
    diff(&[
        with_dirty(
            Case::new("SETBIT counts a change only when a bit flips or the string grows"),
            &[
                &["SETBIT", "d:s", "7", "1"],
                &["SETBIT", "d:s", "7", "1"],
                &["SETBIT", "d:s", "7", "0"],
                &["SETBIT", "d:s", "0", "0"],
                &["SETBIT", "d:s", "20", "0"],
                &["SETBIT", "d:new", "0", "0"],
                &["SETBIT", "d:s", "-1", "0"],
            ],
        ),
        with_dirty(
            Case::new("BITFIELD counts writes that change a value or grow the string"),
            &[
                &[
                    "BITFIELD", "d:f", "OVERFLOW", "FAIL", "INCRBY", "u2", "100", "5",
                ],
                &["GET", "d:f"],
                &["BITFIELD", "d:f", "SET", "u8", "0", "0"],
                &[
                    "BITFIELD", "d:f", "SET", "u8", "0", "0", "SET", "u8", "0", "1", "SET", "u8",
                    "0", "1",
                ],
                &[
                    "BITFIELD", "d:f", "OVERFLOW", "SAT", "INCRBY", "u8", "8", "1000", "INCRBY",
                    "u8", "8", "1000",
                ],
                &[
                    "BITFIELD", "d:g", "SET", "u8", "0", "0", "SET", "u8", "0", "0",
                ],
                &[
                    "BITFIELD", "d:g", "GET", "u8", "0", "SET", "u8", "100", "0", "SET", "u8", "0",
                    "0",
                ],
                &[
                    "BITFIELD", "d:g", "SET", "u8", "200", "1", "SET", "u8", "0", "0",
                ],
                &[
                    "BITFIELD", "d:g", "SET", "u8", "200", "1", "SET", "u8", "0", "0",
                ],
                &["BITFIELD", "d:g", "GET", "u8", "0"],
                &["BITFIELD_RO", "d:g", "GET", "u8", "0"],
            ],
        ),
        with_dirty(
            Case::new("BITOP counts a store, or a delete that removed something"),
            &[
                &["BITOP", "AND", "d:o", "d:missing"],
                &["SET", "d:o", "x"],
                &["BITOP", "AND", "d:o", "d:missing"],
                &["BITOP", "OR", "d:o", "d:s"],
                &["BITOP", "OR", "d:o", "d:s"],
                &["BITOP", "NOT", "d:o", "d:s", "d:s"],
            ],
        ),
    ]);
}

#[test]
fn keyspace_hits_and_misses() {
    diff(&[Case::new("reads count hits and misses, writes do not")
        .cmd(&["SET", "h:a", "x"])
        .cmd(&["CONFIG", "RESETSTAT"])
        .cmd(&["BITOP", "AND", "h:d", "h:a", "h:missing"])
        .cmd(&["BITFIELD", "h:a", "GET", "u8", "0"])
        .cmd(&["BITFIELD", "h:a", "SET", "u8", "0", "1"])
        .cmd(&["BITFIELD_RO", "h:a", "GET", "u8", "0"])
        .cmd(&["BITFIELD", "h:missing", "GET", "u8", "0"])
        .cmd(&["GETBIT", "h:a", "0"])
        .cmd(&["SETBIT", "h:a", "0", "1"])
        .cmd(&["BITCOUNT", "h:missing"])
        .cmd(&["BITPOS", "h:a", "1"])
        .masked(HITS, &["INFO", "stats"])]);
}

#[test]
fn offsets_at_the_proto_max_bulk_len_limit() {
    // 1 MB strings: the largest offset is 8 * 2^20 - 1.
    diff_with(
        &["--proto-max-bulk-len", "1mb"],
        &[case(
            "limit",
            &[
                &["SETBIT", "lim:k", "8388608", "1"],
                &["GETBIT", "lim:k", "8388608"],
                &["SETBIT", "lim:k", "8388607", "1"],
                &["GETBIT", "lim:k", "8388607"],
                &["BITCOUNT", "lim:k"],
                &["BITCOUNT", "lim:k", "-1", "-1"],
                &["BITPOS", "lim:k", "1"],
                &["BITPOS", "lim:k", "0", "-1"],
                &["BITPOS", "lim:k", "1", "-8", "-1", "BIT"],
                &[
                    "BITFIELD", "lim:k", "GET", "u8", "#1048575", "GET", "u8", "#1048576",
                ],
                // A field may start at the last allowed bit and run past it.
                &["BITFIELD", "lim:f", "SET", "i64", "8388607", "-1"],
                &[
                    "BITFIELD", "lim:f", "GET", "i64", "8388607", "GET", "u8", "8388608",
                ],
                &["BITFIELD", "lim:f", "GET", "i64", "#131071"],
                &["BITFIELD", "lim:f", "GET", "i64", "#131072"],
                &["BITCOUNT", "lim:f"],
                &["BITOP", "OR", "lim:d", "lim:k", "lim:f"],
                &["BITCOUNT", "lim:d"],
                &["CONFIG", "SET", "proto-max-bulk-len", "2mb"],
                &["SETBIT", "lim:k", "8388608", "1"],
                &["BITCOUNT", "lim:k", "1048576", "1048576"],
            ],
        )],
    );
}

#[test]
fn command_metadata() {
    const NAMES: &[&str] = &[
        "setbit",
        "getbit",
        "bitcount",
        "bitpos",
        "bitop",
        "bitfield",
        "bitfield_ro",
    ];
    let mut info = Case::new("COMMAND INFO");
    for name in NAMES {
        info = info.cmd(&["COMMAND", "INFO", name]);
    }
    diff(&[
        info,
        case(
            "key flags",
            &[
                &[
                    "COMMAND",
                    "GETKEYSANDFLAGS",
                    "bitfield",
                    "k",
                    "get",
                    "u8",
                    "0",
                ],
                &[
                    "COMMAND",
                    "GETKEYSANDFLAGS",
                    "bitfield",
                    "k",
                    "set",
                    "u8",
                    "0",
                    "1",
                ],
                &[
                    "COMMAND",
                    "GETKEYSANDFLAGS",
                    "bitfield",
                    "k",
                    "incrby",
                    "u8",
                    "0",
                    "1",
                ],
                &[
                    "COMMAND",
                    "GETKEYSANDFLAGS",
                    "bitfield",
                    "k",
                    "overflow",
                    "wrap",
                ],
                &[
                    "COMMAND",
                    "GETKEYSANDFLAGS",
                    "bitfield",
                    "k",
                    "overflow",
                    "wrap",
                    "get",
                    "i5",
                    "3",
                ],
                &[
                    "COMMAND",
                    "GETKEYSANDFLAGS",
                    "bitfield",
                    "k",
                    "get",
                    "u8",
                    "0",
                    "overflow",
                ],
                &["COMMAND", "GETKEYSANDFLAGS", "bitfield", "k", "get", "u8"],
                &["COMMAND", "GETKEYSANDFLAGS", "bitfield", "k", "foo"],
                &["COMMAND", "GETKEYSANDFLAGS", "bitfield", "k"],
                &[
                    "COMMAND",
                    "GETKEYSANDFLAGS",
                    "bitfield_ro",
                    "k",
                    "get",
                    "u8",
                    "0",
                ],
                &["COMMAND", "GETKEYSANDFLAGS", "bitop", "and", "d", "a", "b"],
                &["COMMAND", "GETKEYS", "bitop", "not", "d", "a"],
                &["COMMAND", "GETKEYS", "setbit", "k", "1", "1"],
                &["COMMAND", "GETKEYS", "bitpos", "k", "1"],
            ],
        ),
    ]);
}

/// A small deterministic generator (xorshift64*), so a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as u64) as i64
    }
}

/// Strings of runs of zeros, ones and noise, where the edge cases are.
fn random_string(rng: &mut Rng) -> Vec<u8> {
    let len = *rng.pick(&[0usize, 1, 2, 3, 7, 8, 9, 15, 16, 17, 24, 33, 70]);
    (0..len)
        .map(|_| match rng.below(6) {
            0 => 0x00,
            1 => 0xff,
            2 => 0x80,
            3 => 0x01,
            _ => rng.below(256) as u8,
        })
        .collect()
}

fn random_index(rng: &mut Rng) -> String {
    match rng.below(8) {
        0 => i64::MIN.to_string(),
        1 => i64::MAX.to_string(),
        2 => rng.range(-700, 700).to_string(),
        _ => rng.range(-40, 40).to_string(),
    }
}

fn random_field_op(rng: &mut Rng) -> Vec<String> {
    let signed = rng.below(2) == 0;
    let bits = rng.range(1, if signed { 64 } else { 63 });
    let ty = format!("{}{bits}", if signed { 'i' } else { 'u' });
    let offset = match rng.below(3) {
        0 => format!("#{}", rng.below(12)),
        _ => rng.below(200).to_string(),
    };
    let value = match rng.below(4) {
        0 => rng.next() as i64,
        1 => *rng.pick(&[i64::MIN, i64::MAX, -1, 0]),
        _ => rng.range(-300, 300),
    };
    let words: Vec<String> = match rng.below(4) {
        0 => vec!["GET".into(), ty, offset],
        1 => vec!["SET".into(), ty, offset, value.to_string()],
        2 => vec!["INCRBY".into(), ty, offset, value.to_string()],
        _ => vec![
            "OVERFLOW".into(),
            rng.pick(&["WRAP", "SAT", "FAIL"]).to_string(),
        ],
    };
    words
}

#[test]
fn random_ranges_and_fields() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut cases = Vec::new();
    for round in 0..150 {
        let mut c = Case::new(&format!("random round {round}")).cmd_bytes(&[
            &b"SET"[..],
            b"rnd:s",
            &random_string(&mut rng),
        ]);
        for _ in 0..6 {
            let (start, end) = (random_index(&mut rng), random_index(&mut rng));
            let bit = rng.pick(&["0", "1"]).to_string();
            let unit = rng.pick(&["BYTE", "BIT"]).to_string();
            c = c
                .cmd(&["BITCOUNT", "rnd:s", &start, &end])
                .cmd(&["BITCOUNT", "rnd:s", &start, &end, &unit])
                .cmd(&["BITPOS", "rnd:s", &bit])
                .cmd(&["BITPOS", "rnd:s", &bit, &start])
                .cmd(&["BITPOS", "rnd:s", &bit, &start, &end])
                .cmd(&["BITPOS", "rnd:s", &bit, &start, &end, &unit]);
        }
        let mut args: Vec<String> = vec!["BITFIELD".into(), "rnd:s".into()];
        for _ in 0..rng.range(1, 8) {
            args.extend(random_field_op(&mut rng));
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let op = rng.pick(&["AND", "OR", "XOR"]).to_string();
        c = c
            .cmd(&args)
            .cmd(&["GET", "rnd:s"])
            .cmd(&["BITOP", &op, "rnd:d", "rnd:s", "rnd:t"])
            .cmd(&["GET", "rnd:d"])
            .cmd(&["BITOP", "NOT", "rnd:t", "rnd:d"]);
        cases.push(c);
    }
    diff(&cases);
}
