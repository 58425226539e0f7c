//! The string commands, differentially against redis-server 7.0: every
//! option of GET/SET/GETEX and friends, every option conflict with the exact
//! error Redis gives (Redis checks options left to right, so the order of the
//! cases below matters), integer and float parsing at the boundaries, range
//! arithmetic of GETRANGE/SETRANGE, the proto-max-bulk-len limit, LCS, and
//! the object encodings each kind of write leaves behind.
//!
//! WRONGTYPE from every string command against another type is covered in
//! `hash.rs` (against a hash) and `list.rs` (against a list, with MGET's nil
//! and SETNX/MSETNX's plain existence check).

use crate::util::keyspace::timed_case;
use crate::util::*;

/// Replies to HELLO differ only in the connection id.
const HELLO: Mask = Mask::Pairs(&["id"]);

#[test]
fn set_options_and_conflicts() {
    diff(&[
        case(
            "plain set/get",
            &[
                &["GET", "s:k"],
                &["SET", "s:k", "v"],
                &["GET", "s:k"],
                &["SET", "s:k", ""],
                &["GET", "s:k"],
                &["STRLEN", "s:k"],
                &["EXISTS", "s:k"],
            ],
        ),
        case(
            "NX XX GET",
            &[
                &["SET", "s:n", "1", "NX"],
                &["SET", "s:n", "2", "NX"],
                &["GET", "s:n"],
                &["SET", "s:n", "3", "XX"],
                &["SET", "s:missing", "3", "XX"],
                &["EXISTS", "s:missing"],
                &["SET", "s:n", "4", "GET"],
                &["SET", "s:n", "5", "NX", "GET"],
                &["GET", "s:n"],
                &["SET", "s:n", "6", "XX", "GET"],
                &["SET", "s:nx2", "6", "NX", "GET"],
                &["SET", "s:xx2", "6", "XX", "GET"],
                &["EXISTS", "s:xx2"],
                &["SET", "s:n", "7", "get", "nx"],
                &["set", "s:n", "8", "xx", "GeT"],
                &["SET", "s:n", "9", "GET", "GET"],
                &["SET", "s:n", "10", "NX", "NX"],
                &["GET", "s:n"],
            ],
        ),
        case(
            "option conflicts in check order",
            &[
                &["SET", "s:c", "v", "NX", "XX"],
                &["SET", "s:c", "v", "XX", "NX"],
                &["SET", "s:c", "v", "EX", "10", "PX", "5"],
                &["SET", "s:c", "v", "PX", "10", "EX", "5"],
                &["SET", "s:c", "v", "EX", "10", "EXAT", "5"],
                &["SET", "s:c", "v", "PXAT", "10", "EXAT", "5"],
                &["SET", "s:c", "v", "EX", "10", "EX", "5"],
                &["SET", "s:c", "v", "KEEPTTL", "EX", "1"],
                &["SET", "s:c", "v", "EX", "1", "KEEPTTL"],
                &["SET", "s:c", "v", "KEEPTTL", "PXAT", "1"],
                &["SET", "s:c", "v", "KEEPTTL", "KEEPTTL"],
                &["SET", "s:c", "v", "NX", "XX", "EX", "abc"],
                &["SET", "s:c", "v", "EX", "abc", "NX", "XX"],
                &["SET", "s:c", "v", "EX", "abc", "PX", "1"],
                &["SET", "s:c", "v", "EX", "0", "BOGUS"],
                &["SET", "s:c", "v", "BOGUS", "EX", "0"],
                &["SET", "s:c", "v", "EX"],
                &["SET", "s:c", "v", "PX"],
                &["SET", "s:c", "v", "EXAT"],
                &["SET", "s:c", "v", "PXAT"],
                &["SET", "s:c", "v", "NX", "EX"],
                &["SET", "s:c", "v", "PERSIST"],
                &["SET", "s:c", "v", "EX", "1", "2"],
                &["EXISTS", "s:c"],
            ],
        ),
        timed_case(
            "expire values",
            &[
                &["SET", "s:e", "v", "EX", "0"],
                &["SET", "s:e", "v", "EX", "-1"],
                &["SET", "s:e", "v", "PX", "0"],
                &["SET", "s:e", "v", "PX", "-1"],
                &["SET", "s:e", "v", "EXAT", "0"],
                &["SET", "s:e", "v", "PXAT", "0"],
                &["SET", "s:e", "v", "EXAT", "-5"],
                &["SET", "s:e", "v", "EX", "abc"],
                &["SET", "s:e", "v", "EX", "1.5"],
                &["SET", "s:e", "v", "EX", ""],
                &["SET", "s:e", "v", "EX", " 1"],
                &["SET", "s:e", "v", "EX", "+1"],
                &["SET", "s:e", "v", "EX", "9223372036854776"],
                &["SET", "s:e", "v", "EX", "9223372036854775"],
                &["SET", "s:e", "v", "EX", "9223372036854775807"],
                &["SET", "s:e", "v", "EX", "9223372036854775808"],
                &["SET", "s:e", "v", "PX", "9223372036854775807"],
                &["SET", "s:e", "v", "PX", "9223372036854775806"],
                &["SET", "s:e", "v", "EXAT", "9223372036854775807"],
                &["SET", "s:e", "v", "EXAT", "9223372036854775"],
                &["SET", "s:e", "v", "PXAT", "9223372036854775807"],
                &["EXISTS", "s:e"],
                // Times in the past are valid and delete (or never create)
                // the key.
                &["SET", "s:e", "v", "EXAT", "1"],
                &["EXISTS", "s:e"],
                &["SET", "s:e", "v"],
                &["SET", "s:e", "w", "PXAT", "1", "GET"],
                &["EXISTS", "s:e"],
                &["SET", "s:e", "v", "PX", "100000000"],
                &["TTL", "s:e"],
                &["SET", "s:e", "v2", "KEEPTTL"],
                &["TTL", "s:e"],
                &["SET", "s:e", "v3"],
                &["TTL", "s:e"],
                &["SET", "s:e", "v", "EXAT", "4102444800"],
                &["EXPIRETIME", "s:e"],
                &["SET", "s:e", "v", "PXAT", "4102444800123"],
                &["PEXPIRETIME", "s:e"],
                &["SET", "s:e", "v", "EX", "1000", "XX", "GET"],
                &["TTL", "s:e"],
            ],
        ),
        case(
            "arity",
            &[
                &["SET"],
                &["SET", "k"],
                &["GET"],
                &["GET", "a", "b"],
                &["SETNX", "k"],
                &["SETEX", "k", "1"],
                &["PSETEX", "k", "1"],
                &["GETSET", "k"],
                &["GETDEL"],
                &["GETEX"],
                &["MGET"],
                &["MSET"],
                &["MSETNX"],
                &["APPEND", "k"],
                &["STRLEN"],
                &["GETRANGE", "k", "0"],
                &["SUBSTR", "k", "0"],
                &["SETRANGE", "k", "0"],
                &["INCR"],
                &["DECR", "a", "b"],
                &["INCRBY", "k"],
                &["DECRBY", "k"],
                &["INCRBYFLOAT", "k"],
                &["LCS", "a"],
            ],
        ),
    ]);
}

#[test]
fn setnx_setex_getset_getdel() {
    diff(&[
        case(
            "setnx",
            &[
                &["SETNX", "s2:a", "1"],
                &["SETNX", "s2:a", "2"],
                &["GET", "s2:a"],
                &["SETNX", "s2:a", "3", "4"],
            ],
        ),
        timed_case(
            "setex psetex",
            &[
                &["SETEX", "s2:x", "100", "v"],
                &["TTL", "s2:x"],
                &["GET", "s2:x"],
                &["SETEX", "s2:x", "0", "v"],
                &["SETEX", "s2:x", "-1", "v"],
                &["SETEX", "s2:x", "abc", "v"],
                &["SETEX", "s2:x", "1.5", "v"],
                &["SETEX", "s2:x", "9223372036854775807", "v"],
                &["SETEX", "s2:x", "9223372036854776", "v"],
                &["SETEX", "s2:x", "9223372036854775", "v"],
                &["PSETEX", "s2:y", "100000", "v"],
                &["TTL", "s2:y"],
                &["PSETEX", "s2:y", "0", "v"],
                &["PSETEX", "s2:y", "-100", "v"],
                &["PSETEX", "s2:y", "x", "v"],
                &["PSETEX", "s2:y", "9223372036854775807", "v"],
                &["PSETEX", "s2:y", "9223372036854775806", "v"],
                &["GET", "s2:y"],
                &["SETEX", "s2:x", "100", "v", "extra"],
            ],
        ),
        timed_case(
            "getset getdel",
            &[
                &["GETSET", "s2:g", "a"],
                &["GETSET", "s2:g", "b"],
                &["GET", "s2:g"],
                &["SETEX", "s2:g", "100", "c"],
                &["GETSET", "s2:g", "d"],
                &["TTL", "s2:g"],
                &["GETDEL", "s2:g"],
                &["GETDEL", "s2:g"],
                &["EXISTS", "s2:g"],
                &["GETDEL", "s2:g", "x"],
            ],
        ),
    ]);
}

#[test]
fn getex() {
    diff(&[
        timed_case(
            "getex options",
            &[
                &["GETEX", "s3:k"],
                &["SET", "s3:k", "v"],
                &["GETEX", "s3:k"],
                &["TTL", "s3:k"],
                &["GETEX", "s3:k", "EX", "100"],
                &["TTL", "s3:k"],
                &["GETEX", "s3:k", "PERSIST"],
                &["TTL", "s3:k"],
                &["GETEX", "s3:k", "PX", "100000"],
                &["TTL", "s3:k"],
                &["GETEX", "s3:k", "EXAT", "4102444800"],
                &["EXPIRETIME", "s3:k"],
                &["GETEX", "s3:k", "PXAT", "4102444800555"],
                &["PEXPIRETIME", "s3:k"],
                &["GETEX", "s3:k", "persist"],
                &["PEXPIRETIME", "s3:k"],
                &["GETEX", "s3:k", "EXAT", "1"],
                &["EXISTS", "s3:k"],
            ],
        ),
        timed_case(
            "getex errors on an existing key",
            &[
                &["SET", "s3:e", "v"],
                &["GETEX", "s3:e", "PERSIST", "EX", "10"],
                &["GETEX", "s3:e", "EX", "10", "PERSIST"],
                &["GETEX", "s3:e", "EX", "10", "PX", "10"],
                &["GETEX", "s3:e", "EX", "0"],
                &["GETEX", "s3:e", "EX", "-1"],
                &["GETEX", "s3:e", "PX", "0"],
                &["GETEX", "s3:e", "EX", "abc"],
                &["GETEX", "s3:e", "EX"],
                &["GETEX", "s3:e", "KEEPTTL"],
                &["GETEX", "s3:e", "NX"],
                &["GETEX", "s3:e", "XX"],
                &["GETEX", "s3:e", "GET"],
                &["GETEX", "s3:e", "BOGUS"],
                &["GETEX", "s3:e", "EX", "9223372036854775807"],
                &["GETEX", "s3:e", "PX", "9223372036854775807"],
                &["GETEX", "s3:e", "PERSIST", "PERSIST"],
                &["TTL", "s3:e"],
            ],
        ),
        case(
            // Redis parses the options before looking the key up, except
            // that the expire value itself is only validated for a key that
            // exists, so a bad time on a missing key replies nil.
            "getex errors on a missing key",
            &[
                &["GETEX", "s3:none", "EX", "0"],
                &["GETEX", "s3:none", "EX", "-1"],
                &["GETEX", "s3:none", "EX", "abc"],
                &["GETEX", "s3:none", "PX", "9223372036854775807"],
                &["GETEX", "s3:none", "PERSIST", "EX", "10"],
                &["GETEX", "s3:none", "EX", "10", "PX", "10"],
                &["GETEX", "s3:none", "EX"],
                &["GETEX", "s3:none", "BOGUS"],
                &["GETEX", "s3:none", "KEEPTTL"],
                &["EXISTS", "s3:none"],
            ],
        ),
    ]);
}

#[test]
fn mget_mset_msetnx() {
    diff(&[
        case(
            "mget",
            &[
                &["MSET", "s4:a", "1", "s4:b", "2"],
                &["MGET", "s4:a", "s4:b", "s4:c", "s4:a"],
                &["MGET", "s4:none"],
            ],
        ),
        timed_case(
            "mset",
            &[
                &["MSET", "s4:a"],
                &["MSET", "s4:a", "1", "s4:b"],
                &["MSET", "s4:a", "x", "s4:a", "y"],
                &["GET", "s4:a"],
                &["SETEX", "s4:t", "100", "v"],
                &["MSET", "s4:t", "w"],
                &["TTL", "s4:t"],
            ],
        ),
        case(
            "msetnx all or nothing",
            &[
                &["MSETNX", "s4:a"],
                &["MSETNX", "s4:a", "1", "s4:b"],
                &["MSETNX", "s4:n1", "1", "s4:n2", "2"],
                &["MGET", "s4:n1", "s4:n2"],
                &["MSETNX", "s4:n3", "3", "s4:n1", "x"],
                &["MGET", "s4:n1", "s4:n3"],
                &["EXISTS", "s4:n3"],
                &["MSETNX", "s4:n4", "a", "s4:n4", "b"],
                &["GET", "s4:n4"],
            ],
        ),
    ]);
}

#[test]
fn binary_and_empty_values() {
    let bin: &[u8] = b"a\x00b\r\nc\xff\x00";
    let key: &[u8] = b"s5:\x00\r\n\xfe";
    diff(&[Case::new("binary")
        .cmd_bytes(&[b"SET" as &[u8], key, bin])
        .cmd_bytes(&[b"GET" as &[u8], key])
        .cmd_bytes(&[b"STRLEN" as &[u8], key])
        .cmd_bytes(&[b"APPEND" as &[u8], key, b"\r\n\x00"])
        .cmd_bytes(&[b"GETRANGE" as &[u8], key, b"1", b"4"])
        .cmd_bytes(&[b"SETRANGE" as &[u8], key, b"2", b"\x00\x00"])
        .cmd_bytes(&[b"GET" as &[u8], key])
        .cmd_bytes(&[b"MGET" as &[u8], key, b"s5:other"])
        .cmd_bytes(&[b"GETDEL" as &[u8], key])
        .cmd(&["SET", "s5:empty", ""])
        .cmd(&["GET", "s5:empty"])
        .cmd(&["STRLEN", "s5:empty"])
        .cmd(&["EXISTS", "s5:empty"])
        .cmd(&["APPEND", "s5:empty", ""])
        .cmd(&["GETRANGE", "s5:empty", "0", "-1"])
        .cmd(&["SETRANGE", "s5:empty", "0", ""])
        .cmd(&["SETRANGE", "s5:absent", "5", ""])
        .cmd(&["EXISTS", "s5:absent"])
        .cmd(&["APPEND", "s5:absent2", ""])
        .cmd(&["EXISTS", "s5:absent2"])
        .cmd(&["INCR", "s5:empty"])
        .cmd(&["INCRBYFLOAT", "s5:empty", "1"])
        .cmd(&["SET", "", "emptykey"])
        .cmd(&["GET", ""])
        .cmd(&["STRLEN", "s5:missing"])
        .cmd(&["OBJECT", "ENCODING", "s5:empty"])]);
}

#[test]
fn incr_decr_integers() {
    diff(&[
        timed_case(
            "basic",
            &[
                &["INCR", "s6:n"],
                &["INCR", "s6:n"],
                &["DECR", "s6:n"],
                &["DECR", "s6:m"],
                &["INCRBY", "s6:n", "100"],
                &["INCRBY", "s6:n", "-1000"],
                &["DECRBY", "s6:n", "-5"],
                &["DECRBY", "s6:n", "5"],
                &["GET", "s6:n"],
                &["INCRBY", "s6:n", "0"],
                &["SETEX", "s6:t", "100", "5"],
                &["INCR", "s6:t"],
                &["TTL", "s6:t"],
            ],
        ),
        case(
            "parsing of stored values",
            &[
                &["SET", "s6:v", "-0"],
                &["INCR", "s6:v"],
                &["SET", "s6:v", "01"],
                &["INCR", "s6:v"],
                &["SET", "s6:v", " 1"],
                &["INCR", "s6:v"],
                &["SET", "s6:v", "1 "],
                &["INCR", "s6:v"],
                &["SET", "s6:v", "+1"],
                &["INCR", "s6:v"],
                &["SET", "s6:v", "1.0"],
                &["INCR", "s6:v"],
                &["SET", "s6:v", "abc"],
                &["INCR", "s6:v"],
                &["DECRBY", "s6:v", "1"],
                &["SET", "s6:v", "0x10"],
                &["INCR", "s6:v"],
                &["SET", "s6:v", "-"],
                &["INCR", "s6:v"],
                &["SET", "s6:v", "9223372036854775808"],
                &["INCR", "s6:v"],
                &["SET", "s6:v", "-9223372036854775809"],
                &["INCR", "s6:v"],
                &["SET", "s6:v", "00"],
                &["INCR", "s6:v"],
                &["SET", "s6:v", "0"],
                &["INCR", "s6:v"],
                &["SET", "s6:v", "1e3"],
                &["INCR", "s6:v"],
            ],
        ),
        case(
            "parsing of increments",
            &[
                &["SET", "s6:w", "10"],
                &["INCRBY", "s6:w", "-0"],
                &["INCRBY", "s6:w", "01"],
                &["INCRBY", "s6:w", " 1"],
                &["INCRBY", "s6:w", "1 "],
                &["INCRBY", "s6:w", "+1"],
                &["INCRBY", "s6:w", "1.5"],
                &["INCRBY", "s6:w", ""],
                &["INCRBY", "s6:w", "9223372036854775808"],
                &["DECRBY", "s6:w", "x"],
                &["DECRBY", "s6:w", "9223372036854775808"],
                &["GET", "s6:w"],
            ],
        ),
        case(
            "overflow",
            &[
                &["SET", "s6:max", "9223372036854775807"],
                &["INCR", "s6:max"],
                &["INCRBY", "s6:max", "1"],
                &["INCRBY", "s6:max", "0"],
                &["DECR", "s6:max"],
                &["INCR", "s6:max"],
                &["SET", "s6:min", "-9223372036854775808"],
                &["DECR", "s6:min"],
                &["DECRBY", "s6:min", "1"],
                &["INCRBY", "s6:min", "-1"],
                &["INCR", "s6:min"],
                &["DECRBY", "s6:min", "-9223372036854775807"],
                &["SET", "s6:z", "0"],
                &["DECRBY", "s6:z", "-9223372036854775808"],
                &["DECRBY", "s6:z", "9223372036854775807"],
                &["DECRBY", "s6:z", "2"],
                &["INCRBY", "s6:z", "-9223372036854775808"],
                &["GET", "s6:z"],
                &["SET", "s6:one", "1"],
                &["DECRBY", "s6:one", "-9223372036854775808"],
                &["INCRBY", "s6:one", "9223372036854775807"],
                &["GET", "s6:one"],
            ],
        ),
    ]);
}

#[test]
fn incrbyfloat() {
    diff(&[
        case(
            "formatting",
            &[
                &["SET", "s7:f", "10.5"],
                &["INCRBYFLOAT", "s7:f", "0.1"],
                &["INCRBYFLOAT", "s7:f", "-5.6"],
                &["INCRBYFLOAT", "s7:f", "5"],
                &["GET", "s7:f"],
                &["OBJECT", "ENCODING", "s7:f"],
                &["INCRBYFLOAT", "s7:g", "3.0e3"],
                &["INCRBYFLOAT", "s7:g", "1.5e-3"],
                &["INCRBYFLOAT", "s7:g", "-3000.0015"],
                &["INCRBYFLOAT", "s7:h", "1e308"],
                &["INCRBYFLOAT", "s7:h", "1e308"],
                &["GET", "s7:h"],
                &["INCRBYFLOAT", "s7:i", "5e-400"],
                &["INCRBYFLOAT", "s7:i", "1e-20"],
                &["INCRBYFLOAT", "s7:i", "0.1"],
                &["INCRBYFLOAT", "s7:j", "1.23456789012345678901234567890"],
                &["INCRBYFLOAT", "s7:k", "-0"],
                &["INCRBYFLOAT", "s7:k", "-0.0"],
                &["INCRBYFLOAT", "s7:l", "1e17"],
                &["INCRBYFLOAT", "s7:l", "1"],
                &["INCRBYFLOAT", "s7:m", "123456789012345678901234567890"],
                &["INCRBYFLOAT", "s7:n", "0.1"],
                &["INCRBYFLOAT", "s7:n", "0.2"],
                &["INCRBYFLOAT", "s7:o", "1e4000"],
                &["INCRBYFLOAT", "s7:p", "1e-4000"],
                &["INCRBYFLOAT", "s7:q", "7"],
                &["OBJECT", "ENCODING", "s7:q"],
                &["INCR", "s7:q"],
                &["SET", "s7:r", "5.0"],
                &["INCR", "s7:r"],
                &["INCRBYFLOAT", "s7:r", "0"],
                &["INCR", "s7:r"],
            ],
        ),
        case(
            "invalid values",
            &[
                &["SET", "s7:v", "1"],
                &["INCRBYFLOAT", "s7:v", "inf"],
                &["INCRBYFLOAT", "s7:v", "-inf"],
                &["INCRBYFLOAT", "s7:v", "nan"],
                &["INCRBYFLOAT", "s7:v", "infinity"],
                &["INCRBYFLOAT", "s7:v", " 1"],
                &["INCRBYFLOAT", "s7:v", "1 "],
                &["INCRBYFLOAT", "s7:v", ""],
                &["INCRBYFLOAT", "s7:v", "abc"],
                &["INCRBYFLOAT", "s7:v", "0x10"],
                &["INCRBYFLOAT", "s7:v", "1e"],
                &["INCRBYFLOAT", "s7:v", "+1.5"],
                &["INCRBYFLOAT", "s7:v", ".5"],
                &["INCRBYFLOAT", "s7:v", "5."],
                &["INCRBYFLOAT", "s7:v", "1e10000"],
                &["INCRBYFLOAT", "s7:v", "1.7976931348623157e308"],
                &["INCRBYFLOAT", "s7:v", "1.7976931348623157e308"],
                &["GET", "s7:v"],
                &["SET", "s7:w", "abc"],
                &["INCRBYFLOAT", "s7:w", "1"],
                &["SET", "s7:w", "1.5 "],
                &["INCRBYFLOAT", "s7:w", "1"],
                &["SET", "s7:w", "inf"],
                &["INCRBYFLOAT", "s7:w", "1"],
                &["SET", "s7:w", "nan"],
                &["INCRBYFLOAT", "s7:w", "1"],
                &["SET", "s7:w", "1e400"],
                &["INCRBYFLOAT", "s7:w", "1"],
                &["SET", "s7:w", "0x1p3"],
                &["INCRBYFLOAT", "s7:w", "1"],
                &["SET", "s7:w", "  2"],
                &["INCRBYFLOAT", "s7:w", "1"],
                &["INCRBYFLOAT", "s7:w", "1", "2"],
            ],
        ),
    ]);
}

#[test]
fn append_strlen_getrange_setrange() {
    diff(&[
        timed_case(
            "append",
            &[
                &["APPEND", "s8:a", "hello"],
                &["APPEND", "s8:a", " world"],
                &["GET", "s8:a"],
                &["STRLEN", "s8:a"],
                &["SET", "s8:n", "12"],
                &["APPEND", "s8:n", "34"],
                &["INCR", "s8:n"],
                &["SETEX", "s8:t", "100", "x"],
                &["APPEND", "s8:t", "y"],
                &["TTL", "s8:t"],
            ],
        ),
        case(
            "getrange every sign combination",
            &[
                &["SET", "s8:r", "Hello, World"],
                &["GETRANGE", "s8:r", "0", "4"],
                &["GETRANGE", "s8:r", "0", "-1"],
                &["GETRANGE", "s8:r", "-5", "-1"],
                &["GETRANGE", "s8:r", "-1", "-5"],
                &["GETRANGE", "s8:r", "5", "3"],
                &["GETRANGE", "s8:r", "-100", "100"],
                &["GETRANGE", "s8:r", "-100", "-50"],
                &["GETRANGE", "s8:r", "100", "200"],
                &["GETRANGE", "s8:r", "3", "-3"],
                &["GETRANGE", "s8:r", "-3", "3"],
                &["GETRANGE", "s8:r", "-3", "11"],
                &["GETRANGE", "s8:r", "0", "0"],
                &["GETRANGE", "s8:r", "11", "11"],
                &["GETRANGE", "s8:r", "12", "12"],
                &["GETRANGE", "s8:r", "-1", "-1"],
                &["GETRANGE", "s8:r", "-12", "-12"],
                &["GETRANGE", "s8:r", "-13", "-13"],
                &["GETRANGE", "s8:r", "0", "-13"],
                &["GETRANGE", "s8:r", "0", "-12"],
                &[
                    "GETRANGE",
                    "s8:r",
                    "-9223372036854775808",
                    "9223372036854775807",
                ],
                &[
                    "GETRANGE",
                    "s8:r",
                    "9223372036854775807",
                    "-9223372036854775808",
                ],
                &["GETRANGE", "s8:r", "0", "9223372036854775808"],
                &["GETRANGE", "s8:r", "a", "1"],
                &["GETRANGE", "s8:r", "1", "b"],
                &["GETRANGE", "s8:r", "1.0", "2"],
                &["GETRANGE", "s8:missing", "0", "-1"],
                &["GETRANGE", "s8:missing", "a", "b"],
                &["SUBSTR", "s8:r", "0", "4"],
                &["SUBSTR", "s8:r", "-3", "-1"],
                &["SUBSTR", "s8:r", "x", "1"],
                &["GETRANGE", "s8:r", "0", "1", "2"],
                &["SET", "s8:int", "12345"],
                &["GETRANGE", "s8:int", "1", "-2"],
                &["GETRANGE", "s8:int", "-2", "100"],
            ],
        ),
        timed_case(
            "setrange",
            &[
                &["SETRANGE", "s8:s", "0", "abc"],
                &["SETRANGE", "s8:s", "5", "xy"],
                &["GET", "s8:s"],
                &["SETRANGE", "s8:s", "1", "B"],
                &["GET", "s8:s"],
                &["SETRANGE", "s8:s", "-1", "x"],
                &["SETRANGE", "s8:s", "abc", "x"],
                &["SETRANGE", "s8:s", "0", ""],
                &["SETRANGE", "s8:s", "100", ""],
                &["STRLEN", "s8:s"],
                &["SETRANGE", "s8:new", "-1", ""],
                &["SETRANGE", "s8:new", "0", ""],
                &["EXISTS", "s8:new"],
                &["SET", "s8:i", "1234"],
                &["SETRANGE", "s8:i", "1", "9"],
                &["GET", "s8:i"],
                &["INCR", "s8:i"],
                &["SETEX", "s8:t", "100", "abc"],
                &["SETRANGE", "s8:t", "1", "Z"],
                &["TTL", "s8:t"],
                &["SETRANGE", "s8:s", "1", "x", "y"],
            ],
        ),
    ]);
}

#[test]
fn proto_max_bulk_len_limits_growth() {
    let half = "x".repeat(600_000);
    let just = "y".repeat(1024 * 1024 - 10);
    diff_with(
        &["--proto-max-bulk-len", "1mb"],
        &[
            case(
                "setrange near the limit",
                &[
                    &["CONFIG", "GET", "proto-max-bulk-len"],
                    &["SETRANGE", "s9:a", "1048576", "x"],
                    &["SETRANGE", "s9:a", "1048575", "xy"],
                    &["SETRANGE", "s9:a", "1048575", "x"],
                    &["STRLEN", "s9:a"],
                    &["SETRANGE", "s9:a", "9223372036854775807", "x"],
                    &["SETRANGE", "s9:a", "2000000", ""],
                    &["SETRANGE", "s9:b", "2000000", ""],
                    &["EXISTS", "s9:b"],
                    &["SETRANGE", "s9:a", "-1", "x"],
                ],
            ),
            case(
                "append past the limit",
                &[
                    &["SET", "s9:c", &half],
                    &["APPEND", "s9:c", &half],
                    &["STRLEN", "s9:c"],
                    &["SET", "s9:d", &just],
                    &["APPEND", "s9:d", "0123456789"],
                    &["APPEND", "s9:d", "z"],
                    &["STRLEN", "s9:d"],
                    &["APPEND", "s9:d", ""],
                ],
            ),
        ],
    );
}

#[test]
fn lcs() {
    diff(&[
        case(
            "redis docs example",
            &[
                &["MSET", "s10:key1", "ohmytext", "s10:key2", "mynewtext"],
                &["LCS", "s10:key1", "s10:key2"],
                &["LCS", "s10:key1", "s10:key2", "LEN"],
                &["LCS", "s10:key1", "s10:key2", "IDX"],
                &["LCS", "s10:key1", "s10:key2", "IDX", "MINMATCHLEN", "4"],
                &[
                    "LCS",
                    "s10:key1",
                    "s10:key2",
                    "IDX",
                    "MINMATCHLEN",
                    "4",
                    "WITHMATCHLEN",
                ],
                &["LCS", "s10:key1", "s10:key2", "IDX", "WITHMATCHLEN"],
                &["LCS", "s10:key1", "s10:key2", "WITHMATCHLEN", "IDX"],
                &["LCS", "s10:key1", "s10:key2", "MINMATCHLEN", "2", "IDX"],
                &["LCS", "s10:key1", "s10:key2", "MINMATCHLEN", "0", "IDX"],
                &["LCS", "s10:key1", "s10:key2", "MINMATCHLEN", "-5", "IDX"],
                &["LCS", "s10:key1", "s10:key2", "MINMATCHLEN", "100", "IDX"],
                &["LCS", "s10:key1", "s10:key2", "MINMATCHLEN", "2"],
                &["LCS", "s10:key1", "s10:key2", "WITHMATCHLEN"],
                &["LCS", "s10:key1", "s10:key2", "MINMATCHLEN", "2", "LEN"],
                &["LCS", "s10:key2", "s10:key1", "IDX", "WITHMATCHLEN"],
                &["LCS", "s10:key1", "s10:key1", "IDX", "WITHMATCHLEN"],
            ],
        ),
        case(
            "errors",
            &[
                &["LCS", "s10:key1", "s10:key2", "LEN", "IDX"],
                &["LCS", "s10:key1", "s10:key2", "IDX", "LEN"],
                &["LCS", "s10:key1", "s10:key2", "MINMATCHLEN"],
                &["LCS", "s10:key1", "s10:key2", "MINMATCHLEN", "x"],
                &[
                    "LCS",
                    "s10:key1",
                    "s10:key2",
                    "MINMATCHLEN",
                    "x",
                    "LEN",
                    "IDX",
                ],
                &["LCS", "s10:key1", "s10:key2", "BOGUS"],
                &["LCS", "s10:key1", "s10:key2", "LEN", "BOGUS"],
                &["LCS", "s10:key1", "s10:key2", "len", "len"],
                &["LCS", "s10:key1", "s10:key2", "idx", "idx"],
            ],
        ),
        case(
            "other pairs and missing keys",
            &[
                &["MSET", "s10:a", "ABCBDAB", "s10:b", "BDCABA"],
                &["LCS", "s10:a", "s10:b"],
                &["LCS", "s10:a", "s10:b", "IDX", "WITHMATCHLEN"],
                &["LCS", "s10:b", "s10:a", "IDX", "WITHMATCHLEN"],
                &["LCS", "s10:a", "s10:none"],
                &["LCS", "s10:a", "s10:none", "LEN"],
                &["LCS", "s10:a", "s10:none", "IDX"],
                &["LCS", "s10:none", "s10:none2", "IDX", "WITHMATCHLEN"],
                &["MSET", "s10:c", "aaaa", "s10:d", "aa"],
                &["LCS", "s10:c", "s10:d", "IDX", "WITHMATCHLEN"],
                &["MSET", "s10:e", "abcdefghij", "s10:f", "xxabcyydefzzghij"],
                &["LCS", "s10:e", "s10:f"],
                &["LCS", "s10:e", "s10:f", "IDX", "WITHMATCHLEN"],
                &["LCS", "s10:e", "s10:f", "IDX", "MINMATCHLEN", "4"],
                &["MSET", "s10:g", "12345", "s10:h", "x1y2z3"],
                &["LCS", "s10:g", "s10:h", "IDX", "WITHMATCHLEN"],
                &["MSET", "s10:i", "", "s10:j", "abc"],
                &["LCS", "s10:i", "s10:j", "IDX"],
            ],
        ),
        Case::new("resp3 idx is a map")
            .masked(HELLO, &["HELLO", "3"])
            .cmd(&["LCS", "s10:key1", "s10:key2", "IDX", "WITHMATCHLEN"])
            .cmd(&["LCS", "s10:key1", "s10:key2", "LEN"]),
    ]);
}

#[test]
fn object_encoding_and_refcount() {
    let s44 = "e".repeat(44);
    let s45 = "e".repeat(45);
    diff(&[
        case(
            "encodings after each kind of write",
            &[
                &["SET", "s11:int", "12345"],
                &["OBJECT", "ENCODING", "s11:int"],
                &["SET", "s11:neg", "-9223372036854775808"],
                &["OBJECT", "ENCODING", "s11:neg"],
                &["SET", "s11:big", "9223372036854775808"],
                &["OBJECT", "ENCODING", "s11:big"],
                &["SET", "s11:lead0", "012"],
                &["OBJECT", "ENCODING", "s11:lead0"],
                &["SET", "s11:str", "hello"],
                &["OBJECT", "ENCODING", "s11:str"],
                &["SET", "s11:44", &s44],
                &["OBJECT", "ENCODING", "s11:44"],
                &["SET", "s11:45", &s45],
                &["OBJECT", "ENCODING", "s11:45"],
                &["APPEND", "s11:str", "x"],
                &["OBJECT", "ENCODING", "s11:str"],
                &["APPEND", "s11:app", "x"],
                &["OBJECT", "ENCODING", "s11:app"],
                &["APPEND", "s11:int", "6"],
                &["OBJECT", "ENCODING", "s11:int"],
                &["SET", "s11:sr", "abc"],
                &["SETRANGE", "s11:sr", "0", "x"],
                &["OBJECT", "ENCODING", "s11:sr"],
                &["SETRANGE", "s11:sr2", "2", "x"],
                &["OBJECT", "ENCODING", "s11:sr2"],
                &["SET", "s11:e", "10"],
                &["APPEND", "s11:e", "0"],
                &["OBJECT", "ENCODING", "s11:e"],
                &["INCR", "s11:e"],
                &["OBJECT", "ENCODING", "s11:e"],
                &["SET", "s11:emb", "abc"],
                &["SET", "s11:emb", "15"],
                &["INCR", "s11:emb"],
                &["OBJECT", "ENCODING", "s11:emb"],
                &["INCRBYFLOAT", "s11:f", "1.5"],
                &["OBJECT", "ENCODING", "s11:f"],
                &["INCRBYFLOAT", "s11:f", "1.5"],
                &["OBJECT", "ENCODING", "s11:f"],
                &["INCRBYFLOAT", "s11:f2", "1e30"],
                &["OBJECT", "ENCODING", "s11:f2"],
                &["SETEX", "s11:ex", "100", "77"],
                &["OBJECT", "ENCODING", "s11:ex"],
                &["GETSET", "s11:gs", "88"],
                &["OBJECT", "ENCODING", "s11:gs"],
                &["MSET", "s11:m1", "1", "s11:m2", "x"],
                &["OBJECT", "ENCODING", "s11:m1"],
                &["OBJECT", "ENCODING", "s11:m2"],
                &["SET", "s11:ws", " 1"],
                &["OBJECT", "ENCODING", "s11:ws"],
                &["SET", "s11:", ""],
                &["OBJECT", "ENCODING", "s11:"],
                &["COPY", "s11:45", "s11:45c"],
                &["OBJECT", "ENCODING", "s11:45c"],
                &["OBJECT", "ENCODING", "s11:missing"],
            ],
        ),
        case(
            "refcount",
            &[
                &["SET", "s11:r0", "0"],
                &["OBJECT", "REFCOUNT", "s11:r0"],
                &["SET", "s11:r1", "9999"],
                &["OBJECT", "REFCOUNT", "s11:r1"],
                &["SET", "s11:r2", "10000"],
                &["OBJECT", "REFCOUNT", "s11:r2"],
                &["SET", "s11:r3", "-1"],
                &["OBJECT", "REFCOUNT", "s11:r3"],
                &["SET", "s11:r4", "abc"],
                &["OBJECT", "REFCOUNT", "s11:r4"],
                &["INCR", "s11:r5"],
                &["OBJECT", "REFCOUNT", "s11:r5"],
                &["INCRBY", "s11:r5", "20000"],
                &["OBJECT", "REFCOUNT", "s11:r5"],
                &["SETRANGE", "s11:r6", "0", "5"],
                &["OBJECT", "REFCOUNT", "s11:r6"],
                &["OBJECT", "REFCOUNT", "s11:missing"],
            ],
        ),
    ]);
}

/// With an LRU/LFU maxmemory policy Redis stops sharing integers (each key
/// needs its own access clock), which shows in OBJECT REFCOUNT.
#[test]
fn no_shared_integers_under_lfu() {
    diff_with(
        &["--maxmemory-policy", "allkeys-lfu"],
        &[case(
            "refcount",
            &[
                &["SET", "s12:a", "5"],
                &["OBJECT", "REFCOUNT", "s12:a"],
                &["OBJECT", "ENCODING", "s12:a"],
                &["INCR", "s12:b"],
                &["OBJECT", "REFCOUNT", "s12:b"],
            ],
        )],
    );
}
