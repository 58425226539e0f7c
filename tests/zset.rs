//! Sorted sets, differentially against redis-server 7.0: every command and
//! option with its errors in Redis's check order, scores at their edges
//! (±inf, -0, 1e308, hex, precision), lex ranges, WITHSCORES in RESP2 and
//! RESP3, both encodings and the thresholds between them (OBJECT ENCODING,
//! DUMP bytes, DEBUG DIGEST), WRONGTYPE both ways, the set operations, the
//! blocking pops over several connections, and persistence: DUMP/RESTORE
//! and RDB files in both directions, the older payload types, AOF rewrite.
//!
//! Random replies (ZRANDMEMBER) go through masks that check sizes and
//! distinctness; a skiplist's ZSCAN is compared as the pairs a full
//! iteration collects.

use std::fs;
use std::time::Duration;

use crate::dump::sealed;
use crate::util::keyspace::{info_field, wait_until, DEBUG_OBJECT};
use crate::util::server::temp_dir;
use crate::util::*;

/// DEBUG (DIGEST, RELOAD, OBJECT) is used throughout.
const DEBUG_ON: &[&str] = &["--enable-debug-command", "yes"];

/// Replies to HELLO differ only in the connection id.
const HELLO: Mask = Mask::Pairs(&["id"]);

/// A case of one command per line, arguments split on spaces.
fn script(name: &str, text: &str) -> Case {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .fold(Case::new(name), |case, line| {
            let args: Vec<&str> = line.split(' ').collect();
            if args[0].eq_ignore_ascii_case("hello") {
                case.masked(HELLO, &args)
            } else {
                case.cmd(&args)
            }
        })
}

fn zdiff(cases: &[Case]) {
    diff_with(DEBUG_ON, cases);
}

/// `ZADD key 1 m1 2 m2 ... n mn`.
fn zadd_n(key: &str, n: usize) -> Vec<String> {
    let mut cmd = vec!["ZADD".to_string(), key.to_string()];
    for i in 1..=n {
        cmd.push(i.to_string());
        cmd.push(format!("m{i}"));
    }
    cmd
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

#[test]
fn zadd_options_and_single_member_reads() {
    zdiff(&[script(
        "zadd zincrby zscore zmscore zrank zcard",
        "
        ZADD z 1 a 2 b 3 c
        ZADD z 1.5 d -inf e +inf f 0.1 g -0 h
        ZRANGE z 0 -1 WITHSCORES
        ZADD z
        ZADD z 1
        ZADD z 1 a 2
        ZADD z nx xx 1 a
        ZADD z gt lt 1 a
        ZADD z nx gt 1 a
        ZADD z incr 1 a 2 b
        ZADD z x a
        ZADD z nan a
        ZADD z incr 5 a
        ZADD z incr nx 5 a
        ZADD z incr xx 5 zz
        ZADD z incr gt 0 a
        ZADD z incr lt -1 a
        ZADD z incr 0 a
        ZADD z ch 10 a 20 b 30 new
        ZADD z gt ch 5 a 50 b
        ZADD z lt ch 5 a 50 b
        ZADD z xx ch 1 a 2 nothere
        ZADD z nx 100 a 100 fresh
        ZADD z CH NX XX 1 a
        ZADD nokey xx 1 a
        EXISTS nokey
        ZADD nokey xx incr 1 a
        ZADD z 1 dup 2 dup 3 dup
        ZSCORE z dup
        ZINCRBY z 1 a
        ZINCRBY z abc a
        ZINCRBY z inf e
        ZINCRBY z -inf f
        ZINCRBY z inf f
        ZSCORE z f
        ZINCRBY z 1 brandnew
        ZINCRBY nokey2 2.5 m
        ZCARD z
        ZCARD nokey
        ZSCORE z a
        ZSCORE z nope
        ZSCORE nokey a
        ZMSCORE z a nope b
        ZMSCORE nokey a b
        ZRANK z a
        ZREVRANK z a
        ZRANK z nope
        ZREVRANK nokey a
        ZADD z
        ZSCORE z
        ZMSCORE z
        ZRANK z
        ZINCRBY z 1
        ZCARD
        TYPE z
        OBJECT ENCODING z
        ",
    )]);
}

#[test]
fn scores_at_their_edges() {
    zdiff(&[script(
        "score texts",
        "
        ZADD s 0.1 a 1e308 b 3.0 c -0 d inf e -inf f 123456789012345678 g 0x10 h
        ZADD s 1e-300 i 4503599627370496 j 4503599627370497 k 1e20 l 2.5e-5 m
        ZADD s .5 n 5. o +1 p -1.0e+2 q Infinity r -INF t 0.30000000000000004 u
        ZRANGE s 0 -1 WITHSCORES
        ZSCORE s a
        ZSCORE s d
        ZADD s 1e309 x
        ZADD s 1e-400 x
        ZADD s 1_0 x
        ZADD s inff x
        ZADD s nan x
        ZADD s -nan x
        ZINCRBY s 0.2 a
        ZINCRBY s 1e308 b
        ZINCRBY s 1e308 b
        ZINCRBY s -inf e
        ZSCORE s e
        ZINCRBY s 1 d
        ZINCRBY s -1 d
        ZSCORE s d
        DUMP s
        DEBUG DIGEST-VALUE s
        ",
    )]);
}

#[test]
fn score_and_rank_ranges() {
    zdiff(&[script(
        "zrange family",
        "
        ZADD z 1 a 2 b 3 c 1.5 d -inf e +inf f 0.1 g -0 h
        ZCOUNT z -inf +inf
        ZCOUNT z (1 3
        ZCOUNT z 1 (3
        ZCOUNT z x 3
        ZCOUNT z 3 1
        ZCOUNT z (1 (1
        ZCOUNT nokey 1 2
        ZRANGE z 0 -1
        ZRANGE z 2 1
        ZRANGE z -100 100 WITHSCORES
        ZRANGE z -3 -2 WITHSCORES
        ZRANGE z 0 -1 REV WITHSCORES
        ZRANGE z 0 -1 REV REV
        ZRANGE z (1 +inf BYSCORE
        ZRANGE z (1 +inf BYSCORE LIMIT 1 2
        ZRANGE z +inf (1 BYSCORE REV LIMIT 1 2 WITHSCORES
        ZRANGE z 0 -1 LIMIT 0 1
        ZRANGE z 0 -1 LIMIT 5 -1
        ZRANGE z - + BYLEX WITHSCORES
        ZRANGE z 0 -1 BYLEX
        ZRANGE z a b BYSCORE
        ZRANGE z 0 -1 BYSCORE BYLEX
        ZRANGE z 0 -1 foo
        ZRANGE z 0 -1 LIMIT 1
        ZRANGE z 0 1 BYSCORE LIMIT x 1
        ZRANGE z 0 10 BYSCORE LIMIT -1 5
        ZRANGE z 0 10 BYSCORE LIMIT 0 -5
        ZRANGE z 0 10 BYSCORE LIMIT 100 5
        ZRANGE z 0 10 BYSCORE LIMIT 0 0
        ZRANGE z x 1
        ZRANGE nokey 0 -1
        ZRANGE nokey x 1
        ZRANGEBYSCORE z -inf +inf WITHSCORES
        ZRANGEBYSCORE z -inf +inf REV
        ZRANGEBYSCORE z -inf +inf BYSCORE
        ZRANGEBYSCORE z (1 (3 WITHSCORES LIMIT 0 1
        ZRANGEBYSCORE z (-inf (+inf
        ZRANGEBYSCORE z ( 1
        ZREVRANGEBYSCORE z +inf -inf WITHSCORES
        ZREVRANGEBYSCORE z 3 1 LIMIT 1 1
        ZREVRANGEBYSCORE z 1 3
        ZREVRANGE z 0 2 WITHSCORES
        ZREVRANGE z 0 2 LIMIT 0 1
        ZREVRANGE z 0 2 BYSCORE
        ZRANGE z 0
        ZRANGEBYSCORE z 0
        ",
    )]);
}

/// Range bounds are read with plain `strtod` (leading space, empty text,
/// overflow), scores strictly; weights of 0 and inf meet in NaN, which
/// becomes 0 or is skipped by MIN/MAX.
#[test]
fn bound_and_weight_quirks() {
    zdiff(&[Case::new("quirks")
        .cmd(&["ZADD", "e", "5", "x", "7", "y"])
        .cmd(&["ZRANGEBYSCORE", "e", " 5", "+inf"])
        .cmd(&["ZRANGEBYSCORE", "e", "", "+inf"])
        .cmd(&["ZRANGEBYSCORE", "e", "( 5", "1e400"])
        .cmd(&["ZRANGEBYSCORE", "e", "5abc", "+inf"])
        .cmd(&["ZRANGEBYSCORE", "e", "(nan", "+inf"])
        .cmd(&["ZCOUNT", "e", "-1e400", "(7"])
        .cmd(&["ZADD", "e", " 5", "x"])
        .cmd(&["ZADD", "e", "", "x"])
        .cmd(&["ZADD", "e", "0x1p3", "hex"])
        .cmd(&["ZSCORE", "e", "hex"])
        .cmd(&["ZADD", "d", "1", "x"])
        .cmd(&["ZADD", "d", "INCR", "-inf", "x"])
        .cmd(&["ZADD", "d", "INCR", "inf", "x"])
        .cmd(&["ZSCORE", "d", "x"])
        .cmd(&[
            "ZINTERSTORE",
            "out",
            "2",
            "e",
            "e",
            "AGGREGATE",
            "MIN",
            "WEIGHTS",
            "0",
            "inf",
        ])
        .cmd(&["ZRANGE", "out", "0", "-1", "WITHSCORES"])
        .cmd(&["ZUNION", "2", "e", "e", "WEIGHTS", "0", "inf", "WITHSCORES"])
        .cmd(&["ZINTER", "2", "e", "e", "WEIGHTS", "0", "inf", "WITHSCORES"])
        .cmd(&[
            "ZINTER",
            "2",
            "e",
            "e",
            "WEIGHTS",
            "0",
            "inf",
            "AGGREGATE",
            "MAX",
            "WITHSCORES",
        ])
        .cmd(&["ZADD", "a", "1", &"a".repeat(41), "2", "b"])
        .cmd(&["CONFIG", "SET", "zset-max-listpack-value", "5"])
        .cmd(&["DEBUG", "RELOAD"])
        .cmd(&["OBJECT", "ENCODING", "a"])
        .cmd(&["ZUNIONSTORE", "c", "1", "a"])
        .cmd(&["OBJECT", "ENCODING", "c"])
        .cmd(&["CONFIG", "SET", "zset-max-listpack-value", "64"])
        .cmd(&["CONFIG", "SET", "zset-max-listpack-entries", "1"])
        .cmd(&["DEBUG", "RELOAD"])
        .cmd(&["OBJECT", "ENCODING", "e"])])
}

#[test]
fn lex_ranges() {
    zdiff(&[script(
        "bylex",
        "
        ZADD l 0 a 0 b 0 c 0 d 0 e 0 f 0 g 0 bb 0 \u{ff}
        ZRANGEBYLEX l - +
        ZRANGEBYLEX l [b (e
        ZRANGEBYLEX l (b [e LIMIT 1 2
        ZRANGEBYLEX l [c [c
        ZRANGEBYLEX l (c [c
        ZRANGEBYLEX l [ (
        ZRANGEBYLEX l - (
        ZRANGEBYLEX l + -
        ZREVRANGEBYLEX l + -
        ZREVRANGEBYLEX l [e (b
        ZREVRANGEBYLEX l (e [b LIMIT 0 2
        ZRANGEBYLEX l b e
        ZRANGEBYLEX l [b e
        ZRANGEBYLEX l [b +inf
        ZRANGEBYLEX l - + WITHSCORES
        ZLEXCOUNT l - +
        ZLEXCOUNT l [b [d
        ZLEXCOUNT l (b (b
        ZLEXCOUNT l + -
        ZLEXCOUNT l x y
        ZLEXCOUNT nokey - +
        ZREMRANGEBYLEX l [a [b
        ZREMRANGEBYLEX l a b
        ZREMRANGEBYLEX l (z +
        ZRANGE l 0 -1
        ZREMRANGEBYLEX l - +
        EXISTS l
        ",
    )]);
}

#[test]
fn store_remove_and_pop() {
    zdiff(&[script(
        "zrangestore zremrange* zpop* zmpop",
        "
        ZADD z 1 a 2 b 3 c 1.5 d -inf e +inf f
        ZADD l 0 a 0 b 0 c 0 d
        ZRANGESTORE dst z 0 -1
        ZRANGE dst 0 -1 WITHSCORES
        OBJECT ENCODING dst
        ZRANGESTORE dst z 0 2 REV
        ZRANGE dst 0 -1 WITHSCORES
        ZRANGESTORE dst z 5 10 REV
        ZRANGESTORE dst z 0 -1 WITHSCORES
        ZRANGESTORE dst z (1 3 BYSCORE LIMIT 0 2
        ZRANGE dst 0 -1 WITHSCORES
        ZRANGESTORE dst nokey 0 -1
        EXISTS dst
        ZRANGESTORE dst l [a [c BYLEX
        ZRANGE dst 0 -1 WITHSCORES
        ZRANGESTORE dst z 10 20 BYSCORE
        EXISTS dst
        ZREM z a nope
        ZREM z nope
        ZREM nokey a
        ZREMRANGEBYRANK z 0 0
        ZREMRANGEBYRANK z 100 200
        ZREMRANGEBYRANK z x 1
        ZREMRANGEBYRANK nokey 0 -1
        ZREMRANGEBYSCORE z -inf (0
        ZREMRANGEBYSCORE z a b
        ZRANGE z 0 -1 WITHSCORES
        ZPOPMIN z
        ZPOPMAX z
        ZPOPMIN z 2
        ZPOPMAX z 0
        ZPOPMIN z -1
        ZPOPMIN z x
        ZPOPMIN z 1 2
        ZPOPMIN nokey
        ZPOPMIN nokey 3
        EXISTS z
        ZADD m 1 a 2 b 3 c
        ZMPOP 1 m MIN
        ZMPOP 2 nokey m MAX COUNT 10
        EXISTS m
        ZMPOP 1 m MIN
        ZMPOP 0 m MIN
        ZMPOP -1 m MIN
        ZMPOP x m MIN
        ZMPOP 1 m foo
        ZMPOP 1 m MIN COUNT 0
        ZMPOP 1 m MIN COUNT x
        ZMPOP 1 m MIN COUNT 1 COUNT 2
        ZMPOP 1 m MIN COUNT
        ZMPOP 5 m MIN
        ",
    )]);
}

#[test]
fn resp3_shapes() {
    zdiff(&[script(
        "resp3",
        "
        HELLO 3
        ZADD r 1 a 2.5 b inf c -0 d
        ZRANGE r 0 -1 WITHSCORES
        ZRANGE r 0 -1
        ZRANGEBYSCORE r -inf +inf WITHSCORES LIMIT 1 2
        ZREVRANGE r 0 -1 WITHSCORES
        ZSCORE r b
        ZSCORE r nope
        ZMSCORE r a zz c
        ZINCRBY r 1 a
        ZADD r INCR 1 a
        ZADD r INCR NX 1 a
        ZRANK r nope
        ZPOPMIN r
        ZPOPMAX r 2
        ZPOPMIN nokey
        ZADD r 1 x 2 y 3 z
        ZMPOP 1 r MIN COUNT 5
        ZMPOP 1 r MIN
        ZADD a 1 x 2 y
        ZADD b 3 y
        ZUNION 2 a b WITHSCORES
        ZINTER 2 a b WITHSCORES
        ZDIFF 2 a b WITHSCORES
        ZSCAN a 0
        ZRANDMEMBER a 5 WITHSCORES
        ZRANDMEMBER nokey
        BZPOPMIN a 0
        BZMPOP 0 1 a MAX COUNT 3
        BZPOPMIN nokey 0.01
        BZMPOP 0.01 1 nokey MIN
        HELLO 2
        ",
    )]);
}

#[test]
fn set_operations() {
    zdiff(&[
        script(
            "zunion zinter zdiff and their stores",
            "
        ZADD a 1 x 2 y 3 z
        ZADD b 10 y 20 z 30 w
        ZADD c 100 z
        ZUNION 2 a b
        ZUNION 2 a b WITHSCORES
        ZUNION 2 a b WEIGHTS 2 3 WITHSCORES
        ZUNION 2 a b WEIGHTS 2 WITHSCORES
        ZUNION 2 a b WEIGHTS 2 x
        ZUNION 2 a b AGGREGATE MIN WITHSCORES
        ZUNION 2 a b AGGREGATE max WITHSCORES
        ZUNION 2 a b AGGREGATE foo
        ZUNION 2 a b AGGREGATE
        ZUNION 3 a b nokey WITHSCORES
        ZUNION 0 a
        ZUNION -1 a
        ZUNION 5 a b
        ZUNION x a
        ZUNION 2 a b WITHSCORES WITHSCORES
        ZINTER 2 a b WITHSCORES
        ZINTER 3 a b c WITHSCORES
        ZINTER 3 a b c WEIGHTS 1 1 -1 AGGREGATE MAX WITHSCORES
        ZINTER 2 a nokey WITHSCORES
        ZINTER 2 a a WEIGHTS -inf inf WITHSCORES
        ZDIFF 2 a b WITHSCORES
        ZDIFF 1 a WITHSCORES
        ZDIFF 2 a b WEIGHTS 1 1
        ZDIFF 2 a b AGGREGATE SUM
        ZDIFF 2 nokey a
        ZUNIONSTORE d 2 a b
        ZRANGE d 0 -1 WITHSCORES
        OBJECT ENCODING d
        ZUNIONSTORE d 2 a b WITHSCORES
        ZUNIONSTORE d 0 a
        ZINTERSTORE d 2 a b WEIGHTS 0.5 inf
        ZRANGE d 0 -1 WITHSCORES
        ZADD inf1 inf m
        ZADD inf2 -inf m
        ZUNION 2 inf1 inf2 WITHSCORES
        ZINTER 2 inf1 inf2 WITHSCORES
        ZUNION 2 inf1 inf2 WEIGHTS 0 1 WITHSCORES
        ZINTERSTORE d 2 a nokey
        EXISTS d
        ZINTERSTORE d 2 a nokey
        ZDIFFSTORE d 2 a b
        ZRANGE d 0 -1 WITHSCORES
        ZDIFFSTORE d 1 nokey
        EXISTS d
        ZINTERCARD 2 a b
        ZINTERCARD 2 a b LIMIT 1
        ZINTERCARD 2 a b LIMIT 0
        ZINTERCARD 2 a b LIMIT -1
        ZINTERCARD 2 a b LIMIT x
        ZINTERCARD 0 a
        ZINTERCARD 3 a b
        ZINTERCARD 2 a b WITHSCORES
        ZINTERCARD 1 a LIMIT
        ZINTERCARD 2 a nokey
        ZADD fl 0.1 a 0.2 b
        ZUNION 2 fl fl WITHSCORES
        ZINTER 3 fl fl fl WITHSCORES
        ZUNIONSTORE fl 2 fl fl
        ZRANGE fl 0 -1 WITHSCORES
        ",
        ),
        script(
            "plain sets count as members of score 1",
            "
        ZADD a 1 x 2 y 3 z
        SADD s y z q
        SADD ints 1 2 3
        ZADD nums 5 1 6 4
        ZUNION 2 a s WITHSCORES
        ZUNION 2 s s WEIGHTS 2 3 WITHSCORES
        ZINTER 2 a s WITHSCORES
        ZINTER 2 s a AGGREGATE MAX WITHSCORES
        ZDIFF 2 a s WITHSCORES
        ZDIFF 2 s a WITHSCORES
        ZINTERCARD 2 a s
        ZINTER 2 ints nums WITHSCORES
        ZUNION 2 ints nums WITHSCORES
        ZUNIONSTORE d 2 s ints
        ZRANGE d 0 -1 WITHSCORES
        OBJECT ENCODING d
        ZINTERSTORE d 1 s
        ZRANGE d 0 -1 WITHSCORES
        LPUSH l x
        ZUNION 2 a l
        ZINTERCARD 2 s l
        ",
        ),
    ]);
}

#[test]
fn stores_pick_the_encoding_of_what_they_built() {
    let big = zadd_n("big", 200);
    let long = "l".repeat(70);
    zdiff(&[Case::new("encodings of stored results")
        .cmd(&strs(&big))
        .cmd(&["ZADD", "small", "1", "a", "2", "b"])
        .cmd(&["ZADD", "withlong", "1", &long])
        .cmd(&["ZRANGESTORE", "dst", "big", "0", "2"])
        .cmd(&["OBJECT", "ENCODING", "dst"])
        .cmd(&["ZRANGESTORE", "dst", "big", "0", "127"])
        .cmd(&["OBJECT", "ENCODING", "dst"])
        .cmd(&["ZRANGESTORE", "dst", "big", "0", "128"])
        .cmd(&["OBJECT", "ENCODING", "dst"])
        .cmd(&["ZRANGESTORE", "dst", "big", "0", "2", "BYSCORE"])
        .cmd(&["OBJECT", "ENCODING", "dst"])
        .cmd(&["ZUNIONSTORE", "dst", "1", "big"])
        .cmd(&["OBJECT", "ENCODING", "dst"])
        .cmd(&["ZINTERSTORE", "dst", "2", "big", "small"])
        .cmd(&["OBJECT", "ENCODING", "dst"])
        .cmd(&["ZUNIONSTORE", "dst", "2", "small", "withlong"])
        .cmd(&["OBJECT", "ENCODING", "dst"])
        .cmd(&["ZDIFFSTORE", "dst", "2", "big", "small"])
        .cmd(&["OBJECT", "ENCODING", "dst"])
        .cmd(&["ZRANGE", "dst", "0", "3", "WITHSCORES"])
        .cmd(&["DEBUG", "DIGEST"])]);
}

#[test]
fn encodings_cross_thresholds() {
    let n128 = zadd_n("e", 128);
    let long64 = "v".repeat(64);
    let long65 = "v".repeat(65);
    zdiff(&[Case::new("listpack to skiplist")
        .cmd(&["CONFIG", "SET", "rdbcompression", "no"])
        .cmd(&strs(&n128))
        .cmd(&["OBJECT", "ENCODING", "e"])
        .cmd(&["DUMP", "e"])
        .cmd(&["DEBUG", "DIGEST-VALUE", "e"])
        .cmd(&["ZADD", "e", "0.5", "m0"])
        .cmd(&["OBJECT", "ENCODING", "e"])
        .cmd(&["DEBUG", "DIGEST-VALUE", "e"])
        .cmd(&["ZRANK", "e", "m64"])
        .cmd(&["ZREVRANK", "e", "m64"])
        .cmd(&["ZRANGE", "e", "60", "65", "WITHSCORES"])
        .cmd(&["ZRANGE", "e", "60", "65", "REV", "WITHSCORES"])
        .cmd(&["ZCOUNT", "e", "10", "(50"])
        .cmd(&["ZRANGEBYSCORE", "e", "(10", "20", "LIMIT", "2", "3"])
        .cmd(&[
            "ZREVRANGEBYSCORE",
            "e",
            "20",
            "(10",
            "LIMIT",
            "2",
            "3",
            "WITHSCORES",
        ])
        .cmd(&["ZREMRANGEBYSCORE", "e", "100", "+inf"])
        .cmd(&["ZREMRANGEBYRANK", "e", "0", "9"])
        .cmd(&["ZCARD", "e"])
        .cmd(&["OBJECT", "ENCODING", "e"])
        .cmd(&["ZPOPMIN", "e", "3"])
        .cmd(&["ZPOPMAX", "e"])
        .cmd(&["ZMPOP", "1", "e", "MAX", "COUNT", "2"])
        .cmd(&["ZADD", "e", "0.1", "x", "-0", "nz"])
        .cmd(&["ZSCORE", "e", "x"])
        .cmd(&["ZSCORE", "e", "nz"])
        .cmd(&["ZRANGE", "e", "0", "2", "WITHSCORES"])
        .cmd(&["DEBUG", "DIGEST-VALUE", "e"])
        .cmd(&["ZADD", "v", "1", &long64])
        .cmd(&["OBJECT", "ENCODING", "v"])
        .cmd(&["DUMP", "v"])
        .cmd(&["ZADD", "v", "2", &long65])
        .cmd(&["OBJECT", "ENCODING", "v"])
        .cmd(&["ZREM", "v", &long65])
        .cmd(&["OBJECT", "ENCODING", "v"])
        .cmd(&["ZADD", "w", "1", &long65])
        .cmd(&["OBJECT", "ENCODING", "w"])
        .cmd(&["CONFIG", "SET", "zset-max-listpack-entries", "2"])
        .cmd(&["ZADD", "t", "1", "a", "2", "b"])
        .cmd(&["OBJECT", "ENCODING", "t"])
        .cmd(&["ZADD", "t", "3", "c"])
        .cmd(&["OBJECT", "ENCODING", "t"])
        .cmd(&["ZADD", "u", "1", "a", "2", "b", "3", "c"])
        .cmd(&["OBJECT", "ENCODING", "u"])
        .cmd(&["ZADD", "u2", "1", "a", "2", "a", "3", "a"])
        .cmd(&["OBJECT", "ENCODING", "u2"])
        .cmd(&["CONFIG", "SET", "zset-max-listpack-entries", "0"])
        .cmd(&["ZADD", "zero", "1", "a"])
        .cmd(&["OBJECT", "ENCODING", "zero"])
        .cmd(&["CONFIG", "SET", "zset-max-listpack-entries", "128"])
        .cmd(&["DEBUG", "RELOAD"])
        .cmd(&["OBJECT", "ENCODING", "t"])
        .cmd(&["OBJECT", "ENCODING", "e"])
        .cmd(&["OBJECT", "ENCODING", "w"])
        .cmd(&["DEBUG", "DIGEST"])
        .masked(DEBUG_OBJECT, &["DEBUG", "OBJECT", "e"])
        .masked(DEBUG_OBJECT, &["DEBUG", "OBJECT", "v"])]);
}

#[test]
fn listpack_bytes_match_redis() {
    zdiff(&[script(
        "dump after each kind of write",
        "
        ZADD p 1 a 2 b 3 c
        DUMP p
        ZADD p 0.5 c
        DUMP p
        ZINCRBY p 1e20 a
        DUMP p
        ZREM p b
        DUMP p
        ZADD p -9000000000000000000 big 1000000 mid -0 z 12 13
        DUMP p
        ZPOPMAX p
        DUMP p
        ZREMRANGEBYRANK p 0 0
        DUMP p
        CONFIG SET rdbcompression no
        ZADD q 1 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa 2 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab
        DUMP q
        CONFIG SET rdbcompression yes
        DUMP q
        DEBUG DIGEST-VALUE p
        DEBUG DIGEST-VALUE q
        ",
    )]);
}

#[test]
fn wrongtype_both_ways() {
    zdiff(&[script(
        "wrongtype",
        "
        SET s v
        HSET h f v
        RPUSH l x
        ZADD s 1 a
        ZINCRBY s 1 a
        ZREM s a
        ZCARD s
        ZSCORE s a
        ZMSCORE s a
        ZRANK h a
        ZREVRANK l a
        ZCOUNT s 0 1
        ZCOUNT s x 1
        ZLEXCOUNT s - +
        ZRANGE s 0 -1
        ZRANGE s 0 -1 foo
        ZRANGESTORE d s 0 -1
        ZRANGESTORE s l 0 -1
        ZRANGEBYSCORE s 0 1
        ZREVRANGEBYLEX s + -
        ZREMRANGEBYRANK s 0 1
        ZREMRANGEBYSCORE s 0 1
        ZREMRANGEBYLEX s - +
        ZPOPMIN s
        ZPOPMIN s 0
        ZPOPMAX h 2
        ZMPOP 2 nokey s MIN
        ZUNION 2 nokey s
        ZINTER 2 s nokey
        ZDIFF 1 h
        ZUNIONSTORE d 1 l
        ZINTERCARD 1 s
        ZRANDMEMBER s
        ZSCAN s 0
        BZPOPMIN s 0
        BZMPOP 0 1 h MIN
        ZADD z 1 a
        GET z
        LPUSH z x
        HSET z f v
        APPEND z x
        LRANGE z 0 -1
        TYPE z
        EXISTS d
        ",
    )]);
}

/// A SCAN reply's cursor and its keys in sorted order.
const SCANNED: Mask = Mask::Custom(|r| match r {
    Reply::Array(parts) if parts.len() == 2 => {
        let mut keys: Vec<String> = match &parts[1] {
            Reply::Array(items) => items.iter().map(Reply::text).collect(),
            other => vec![canon(other)],
        };
        keys.sort();
        format!("{} {keys:?}", parts[0].text())
    }
    other => canon(other),
});

#[test]
fn generic_key_commands_on_sorted_sets() {
    let big = zadd_n("big", 150);
    zdiff(&[Case::new("copy move rename scan type")
        .cmd(&["ZADD", "z", "1", "a", "2.5", "b", "0.1", "c"])
        .cmd(&strs(&big))
        .cmd(&["COPY", "z", "z2"])
        .cmd(&["COPY", "big", "big2"])
        .cmd(&["OBJECT", "ENCODING", "big2"])
        .cmd(&["ZRANGE", "big2", "0", "3", "WITHSCORES"])
        .cmd(&["ZADD", "z2", "9", "new"])
        .cmd(&["ZCARD", "z"])
        .cmd(&["RENAME", "z2", "z3"])
        .cmd(&["MOVE", "z3", "1"])
        .cmd(&["SELECT", "1"])
        .cmd(&["ZRANGE", "z3", "0", "-1", "WITHSCORES"])
        .cmd(&["SELECT", "0"])
        .masked(SCANNED, &["SCAN", "0", "TYPE", "zset", "COUNT", "100"])
        .masked(Mask::Unordered, &["KEYS", "*"])
        .cmd(&["TYPE", "big"])
        .cmd(&["OBJECT", "ENCODING", "z"])
        .cmd(&["EXPIRE", "z", "100"])
        .cmd(&["DEBUG", "DIGEST"])
        .cmd(&["DEL", "z", "big"])
        .cmd(&["EXISTS", "z", "big"])]);
}

#[test]
fn command_table_entries() {
    let names = [
        "bzmpop",
        "bzpopmax",
        "bzpopmin",
        "zadd",
        "zcard",
        "zcount",
        "zdiff",
        "zdiffstore",
        "zincrby",
        "zinter",
        "zintercard",
        "zinterstore",
        "zlexcount",
        "zmpop",
        "zmscore",
        "zpopmax",
        "zpopmin",
        "zrandmember",
        "zrange",
        "zrangebylex",
        "zrangebyscore",
        "zrangestore",
        "zrank",
        "zrem",
        "zremrangebylex",
        "zremrangebyrank",
        "zremrangebyscore",
        "zrevrange",
        "zrevrangebylex",
        "zrevrangebyscore",
        "zrevrank",
        "zscan",
        "zscore",
        "zunion",
        "zunionstore",
    ];
    let mut info = Case::new("COMMAND INFO and DOCS");
    for name in names {
        info = info
            .cmd(&["COMMAND", "INFO", name])
            .cmd(&["COMMAND", "GETKEYS", name, "k", "1", "v"]);
    }
    info = info
        .cmd(&["COMMAND", "GETKEYS", "zunionstore", "d", "2", "a", "b"])
        .cmd(&["COMMAND", "GETKEYS", "zmpop", "2", "a", "b", "MIN"])
        .cmd(&["COMMAND", "GETKEYS", "bzmpop", "0", "2", "a", "b", "MIN"])
        .cmd(&["COMMAND", "GETKEYS", "zintercard", "2", "a", "b"])
        .cmd(&["COMMAND", "GETKEYS", "bzpopmin", "a", "b", "0"]);
    zdiff(&[info]);
}

/// A random reply's checkable facts: length, nesting, how many members
/// (`m<n>`) and whether they are distinct, and whether each score is the
/// member's (members are `m<score>`).
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
    let members: Vec<&String> = flat.iter().filter(|s| s.starts_with('m')).collect();
    let paired = flat.chunks(2).all(|p| match p {
        [m, s] if !s.starts_with('m') => m.strip_prefix('m') == Some(s.as_str()),
        _ => true,
    });
    let mut unique = members.clone();
    unique.sort();
    unique.dedup();
    let distinct = if distinct {
        unique.len().to_string()
    } else {
        "-".into()
    };
    format!(
        "len={} nested={nested} members={} distinct={distinct} paired={paired}",
        items.len(),
        members.len()
    )
}

const RANDOM_UNIQUE: Mask = Mask::Custom(|r| random_summary(r, true));
const RANDOM_ANY: Mask = Mask::Custom(|r| random_summary(r, false));
const RANDOM_ONE: Mask = Mask::Custom(|r| match r {
    Reply::Bulk(b) if b.starts_with(b"m") => "a member".into(),
    other => canon(other),
});

#[test]
fn zrandmember() {
    let small = zadd_n("rs", 10);
    let big = zadd_n("rb", 500);
    let mut case = Case::new("random members")
        .cmd(&strs(&small))
        .cmd(&strs(&big))
        .cmd(&["ZRANDMEMBER", "nokey"])
        .cmd(&["ZRANDMEMBER", "nokey", "5"])
        .cmd(&["ZRANDMEMBER", "nokey", "-5", "WITHSCORES"])
        .cmd(&["ZRANDMEMBER", "rs", "abc"])
        .cmd(&["ZRANDMEMBER", "rs", "1", "WITHSCORE"])
        .cmd(&["ZRANDMEMBER", "rs", "1", "WITHSCORES", "x"])
        .cmd(&["ZRANDMEMBER", "rs", "-9223372036854775808"])
        .cmd(&["ZRANDMEMBER", "rs", "9223372036854775807", "WITHSCORES"])
        .cmd(&["ZRANDMEMBER", "rs", "0"])
        .cmd(&["ZRANDMEMBER", "rs", "10", "WITHSCORES"])
        .cmd(&["ZRANDMEMBER", "rs", "100"]);
    for key in ["rs", "rb"] {
        case = case
            .masked(RANDOM_ONE, &["ZRANDMEMBER", key])
            .masked(RANDOM_UNIQUE, &["ZRANDMEMBER", key, "1"])
            .masked(RANDOM_UNIQUE, &["ZRANDMEMBER", key, "3"])
            .masked(RANDOM_UNIQUE, &["ZRANDMEMBER", key, "8", "WITHSCORES"])
            .masked(RANDOM_UNIQUE, &["ZRANDMEMBER", key, "400", "WITHSCORES"])
            .masked(RANDOM_ANY, &["ZRANDMEMBER", key, "-30"])
            .masked(RANDOM_ANY, &["ZRANDMEMBER", key, "-30", "WITHSCORES"]);
    }
    case = case
        .masked(HELLO, &["HELLO", "3"])
        .masked(RANDOM_UNIQUE, &["ZRANDMEMBER", "rb", "8", "WITHSCORES"])
        .masked(RANDOM_ANY, &["ZRANDMEMBER", "rs", "-3", "WITHSCORES"]);
    zdiff(&[case]);
}

/// Every pair a full ZSCAN returns, sorted.
fn scan_pairs(conn: &mut Conn, key: &str, extra: &[&str]) -> Vec<String> {
    let mut cursor = "0".to_string();
    let mut pairs = Vec::new();
    loop {
        let mut cmd = vec!["ZSCAN", key, &cursor];
        cmd.extend_from_slice(extra);
        let Reply::Array(parts) = conn.call_parsed(&cmd) else {
            panic!("ZSCAN reply");
        };
        cursor = parts[0].text();
        let Reply::Array(items) = &parts[1] else {
            panic!("ZSCAN items");
        };
        for p in items.chunks(2) {
            pairs.push(format!("{}={}", p[0].text(), p[1].text()));
        }
        if cursor == "0" {
            break;
        }
    }
    pairs.sort();
    pairs.dedup();
    pairs
}

#[test]
fn zscan() {
    zdiff(&[script(
        "listpack and errors",
        "
        ZADD sc 1 a 0.1 b -0 c inf d 2 ab
        ZSCAN sc 0
        ZSCAN sc 0 MATCH a*
        ZSCAN sc 0 COUNT 0
        ZSCAN sc 0 COUNT 1
        ZSCAN sc 0 MATCH
        ZSCAN sc 0 NOVALUES
        ZSCAN nokey 0
        ZSCAN sc x
        ZSCAN sc -1
        ",
    )]);
    let mut pair = Pair::start_with(DEBUG_ON);
    pair.scenario("full iteration of a skiplist", |server, t| {
        let mut c = server.conn();
        c.call(&zadd_n("big", 300));
        c.call(&[
            "ZADD", "big", "0.1", "x1", "-0", "x2", "1e20", "x3", "-inf", "x4",
        ]);
        t.note("all", scan_pairs(&mut c, "big", &["COUNT", "7"]));
        t.note("matched", scan_pairs(&mut c, "big", &["MATCH", "x*"]));
    });
}

#[test]
fn dump_restore_cross_servers() {
    let pair = Pair::start_with(DEBUG_ON);
    let setups: Vec<Vec<String>> = vec![
        zadd_n("small", 5),
        zadd_n("big", 300),
        vec![
            "ZADD".into(),
            "mixed".into(),
            "0.1".into(),
            "a".into(),
            "-inf".into(),
            "12".into(),
            "1e300".into(),
            "y".repeat(100),
        ],
    ];
    // A skiplist is saved in its (deterministic) order, so even its bytes
    // match.
    pair.dump_restore_both_ways(
        &setups,
        |key| {
            ["ZRANGE", key, "0", "-1", "WITHSCORES"]
                .map(String::from)
                .to_vec()
        },
        |_| true,
    );
}

/// Payload types Redis 7.0 no longer writes but loads: text scores (3)
/// and the ziplist (12); and damaged payloads of the types it writes.
#[test]
fn older_and_damaged_payloads() {
    // Type 3: two members, `a` 1.5 and `b` -inf.
    let text = sealed(&[3, 2, 1, b'a', 3, b'1', b'.', b'5', 1, b'b', 255], 10);
    // Type 12: a ziplist of `a 1 b 2.5` (prevlen, encoding, data).
    let ziplist: Vec<u8> = {
        let entries: Vec<u8> = vec![
            0, 0x01, b'a', // "a"
            3, 0xF2, // int 1 in 4 bits: 0xF0 | (1 + 1)
            2, 0x01, b'b', // "b"
            3, 0x03, b'2', b'.', b'5', // "2.5"
        ];
        let total = 10 + entries.len() + 1;
        let mut zl = Vec::new();
        zl.extend_from_slice(&(total as u32).to_le_bytes());
        zl.extend_from_slice(&((total - 1 - 5) as u32).to_le_bytes());
        zl.extend_from_slice(&4u16.to_le_bytes());
        zl.extend_from_slice(&entries);
        zl.push(0xFF);
        zl
    };
    let mut body = vec![12, ziplist.len() as u8];
    body.extend_from_slice(&ziplist);
    let zl = sealed(&body, 10);
    let mut nan = vec![5, 1, 1, b'a'];
    nan.extend_from_slice(&f64::NAN.to_le_bytes());
    let mut dup = vec![5, 2, 1, b'a'];
    dup.extend_from_slice(&1f64.to_le_bytes());
    dup.extend_from_slice(&[1, b'a']);
    dup.extend_from_slice(&2f64.to_le_bytes());
    zdiff(&[Case::new("restore")
        .cmd_bytes(&[&b"RESTORE"[..], b"t", b"0", &text])
        .cmd(&["ZRANGE", "t", "0", "-1", "WITHSCORES"])
        .cmd(&["OBJECT", "ENCODING", "t"])
        .cmd_bytes(&[&b"RESTORE"[..], b"zl", b"0", &zl])
        .cmd(&["ZRANGE", "zl", "0", "-1", "WITHSCORES"])
        .cmd(&["OBJECT", "ENCODING", "zl"])
        .cmd(&["DUMP", "zl"])
        .cmd_bytes(&[&b"RESTORE"[..], b"nan", b"0", &sealed(&nan, 10)])
        .cmd_bytes(&[&b"RESTORE"[..], b"dup", b"0", &sealed(&dup, 10)])
        .cmd_bytes(&[&b"RESTORE"[..], b"empty", b"0", &sealed(&[5, 0], 10)])
        .cmd_bytes(&[
            &b"RESTORE"[..],
            b"cut",
            b"0",
            &sealed(&[5, 2, 1, b'a', 0], 10),
        ])
        .cmd(&["EXISTS", "nan", "dup", "empty", "cut"])]);
}

fn fill_sets(conn: &mut Conn) {
    for db in [0, 3] {
        conn.call(&["SELECT", &db.to_string()]);
        for (i, n) in [1, 5, 128, 129, 1000].into_iter().enumerate() {
            conn.call(&zadd_n(&format!("z:{i}"), n));
        }
        let long = "z".repeat(200);
        conn.call(&["ZADD", "long", "1", &long, "2", "short"]);
        conn.call(&[
            "ZADD", "edge", "-0", "a", "0.1", "b", "inf", "c", "-inf", "d", "1e300", "e",
        ]);
        conn.call(&["PEXPIREAT", "z:1", "99999999999999"]);
    }
    conn.call(&["SELECT", "0"]);
}

fn observe(conn: &mut Conn) -> Vec<Vec<u8>> {
    let mut out = vec![conn.call(&["DEBUG", "DIGEST"]), conn.call(&["DBSIZE"])];
    for db in [0, 3] {
        conn.call(&["SELECT", &db.to_string()]);
        for key in ["z:0", "z:1", "z:2", "z:3", "z:4", "long", "edge"] {
            out.push(conn.call(&["OBJECT", "ENCODING", key]));
        }
        out.push(conn.call(&["ZRANGE", "edge", "0", "-1", "WITHSCORES"]));
    }
    conn.call(&["SELECT", "0"]);
    out
}

/// Snapshot files written by Redis load into ferrodis, and ferrodis's load
/// into Redis and pass `redis-check-rdb`, with the same digest both ways.
#[test]
fn rdb_files_both_ways() {
    crate::util::server::rdb_files_both_ways("zset", fill_sets, observe);
}

#[test]
fn aof_rewrite_and_reload() {
    let dir = temp_dir("zset-aof");
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
    c.call(&zadd_n("z", 130));
    c.call(&["ZADD", "z", "0.1", "x", "-inf", "y"]);
    c.call(&["ZADD", "small", "1.5", "a"]);
    let digest = c.call(&["DEBUG", "DIGEST"]);
    assert_eq!(c.call(&["BGREWRITEAOF"]).first(), Some(&b'+'));
    let base = (0..200)
        .find_map(|_| {
            std::thread::sleep(Duration::from_millis(50));
            fs::read_dir(dir.join("appendonlydir"))
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| p.to_string_lossy().ends_with(".base.aof"))
                .map(|p| fs::read_to_string(p).unwrap())
                .filter(|text| text.contains("ZADD"))
        })
        .expect("a rewritten base");
    assert_eq!(base.matches("$4\r\nZADD\r\n").count(), 4, "{base}");
    assert_eq!(base.matches("*130\r\n$4\r\nZADD\r\n").count(), 2);
    assert!(base.contains("$4\r\n-inf\r\n$1\r\ny\r\n"), "{base}");
    assert!(
        base.contains("$19\r\n0.10000000000000001\r\n$1\r\nx\r\n"),
        "{base}"
    );
    assert_eq!(c.call(&["DEBUG", "LOADAOF"]), b"+OK\r\n");
    assert_eq!(c.call(&["DEBUG", "DIGEST"]), digest);
    assert_eq!(c.call(&["OBJECT", "ENCODING", "z"]), b"$8\r\nskiplist\r\n");
    drop(c);
    drop(server);
    let _ = fs::remove_dir_all(&dir);
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
fn blocking_pops_answer_at_once_when_there_is_data() {
    zdiff(&[script(
        "data already there, errors",
        "
        ZADD r1 1 a
        BZPOPMIN r1 0
        EXISTS r1
        BZPOPMIN r1 0.01
        BZPOPMAX nokey 0.01
        BZMPOP 0.01 1 nokey MIN
        BZMPOP 0.01 1 nokey MIN COUNT 0
        BZMPOP 0.01 0 nokey MIN
        BZMPOP x 1 nokey MIN
        BZPOPMIN r1 -1
        BZPOPMIN r1 x
        ZADD r1 1 a 2 b 3 c
        BZMPOP 0 2 nokey r1 MAX COUNT 2
        BZPOPMAX r1 nokey 0
        ZADD r1 5 x 6 y
        BZPOPMIN nokey r1 0
        BZMPOP 0 1 r1 MIN COUNT 10
        EXISTS r1
        ",
    )]);
}

#[test]
fn blocked_clients_are_served_in_order() {
    let mut pair = Pair::start();
    pair.scenario("three clients on one key, then a ZADD of two", |srv, t| {
        let mut admin = srv.conn();
        let mut first = srv.conn();
        let mut second = srv.conn();
        let mut third = srv.conn();
        first.cmd(&["BZPOPMIN", "q", "0"]);
        until_blocked(&mut admin, 1);
        second.cmd(&["BZPOPMAX", "other", "q", "0"]);
        until_blocked(&mut admin, 2);
        third.cmd(&["BZMPOP", "0", "2", "q", "other", "MIN", "COUNT", "5"]);
        until_blocked(&mut admin, 3);
        t.call(&mut admin, &["ZADD", "q", "1", "a", "2", "b"]);
        t.reply("first", Mask::Exact, &first.read_reply());
        t.reply("second", Mask::Exact, &second.read_reply());
        t.call(&mut admin, &["ZADD", "other", "3", "c", "4", "d"]);
        t.reply("third", Mask::Exact, &third.read_reply());
        t.call(&mut admin, &["ZRANGE", "other", "0", "-1"]);
        t.call(&mut admin, &["EXISTS", "q"]);
    });
    pair.scenario("several keys, the first ready key serves", |srv, t| {
        let mut admin = srv.conn();
        let mut c = srv.conn();
        c.cmd(&["BZMPOP", "0", "3", "k1", "k2", "k3", "MAX", "COUNT", "2"]);
        until_blocked(&mut admin, 1);
        t.call(&mut admin, &["SET", "k1", "string"]);
        t.call(&mut admin, &["ZADD", "k3", "1", "a", "2", "b", "3", "c"]);
        t.reply("served", Mask::Exact, &c.read_reply());
        t.call(&mut admin, &["ZRANGE", "k3", "0", "-1", "WITHSCORES"]);
    });
    pair.scenario(
        "keys made by stores, renames and ZINCRBY serve",
        |srv, t| {
            let mut admin = srv.conn();
            let mut c = srv.conn();
            t.call(&mut admin, &["ZADD", "src", "1", "a", "2", "b"]);
            for (key, cmd) in [
                ("s1", &["ZUNIONSTORE", "s1", "1", "src"][..]),
                ("s2", &["ZRANGESTORE", "s2", "src", "0", "0"]),
                ("s3", &["ZINCRBY", "s3", "1.5", "m"]),
                ("s4", &["COPY", "src", "s4"]),
                ("s5", &["RENAME", "s4", "s5"]),
            ] {
                c.cmd(&["BZPOPMAX", key, "0"]);
                until_blocked(&mut admin, 1);
                t.call(&mut admin, cmd);
                t.reply(key, Mask::Exact, &c.read_reply());
            }
        },
    );
    pair.scenario("CLIENT UNBLOCK, with and without ERROR", |srv, t| {
        let mut admin = srv.conn();
        let mut c = srv.conn();
        let id = c.call_parsed(&["CLIENT", "ID"]).int().unwrap_or_default();
        let id = id.to_string();
        for how in [&[][..], &["ERROR"]] {
            c.cmd(&["BZMPOP", "0", "1", "never", "MIN"]);
            until_blocked(&mut admin, 1);
            let mut cmd = vec!["CLIENT", "UNBLOCK", id.as_str()];
            cmd.extend_from_slice(how);
            t.call(&mut admin, &cmd);
            t.reply("unblocked", Mask::Exact, &c.read_reply());
        }
    });
    pair.scenario("timeouts in RESP2 and RESP3", |srv, t| {
        let mut c = srv.conn();
        t.call(&mut c, &["BZPOPMIN", "none", "0.05"]);
        t.call(&mut c, &["BZMPOP", "0.05", "1", "none", "MIN"]);
        t.call_masked(&mut c, HELLO, &["HELLO", "3"]);
        t.call(&mut c, &["BZPOPMAX", "none", "0.05"]);
        t.call(
            &mut c,
            &["BZMPOP", "0.05", "1", "none", "MAX", "COUNT", "2"],
        );
    });
    pair.scenario(
        "a key created with another type keeps the client waiting",
        |srv, t| {
            let mut admin = srv.conn();
            let mut c = srv.conn();
            c.cmd(&["BZPOPMIN", "w", "0"]);
            until_blocked(&mut admin, 1);
            t.call(&mut admin, &["RPUSH", "w", "x"]);
            t.call(&mut admin, &["DEL", "w"]);
            t.note(
                "still blocked",
                info_field(&mut admin, "clients", "blocked_clients"),
            );
            t.call(&mut admin, &["ZADD", "w", "7", "m"]);
            t.reply("served", Mask::Exact, &c.read_reply());
        },
    );
}

#[test]
fn pops_reach_the_aof_as_redis_propagates_them() {
    let mut pair = Pair::start_with(&["--appendonly", "yes", "--appendfsync", "always"]);
    pair.scenario("served and immediate pops", |srv, t| {
        let mut admin = srv.conn();
        let mut c = srv.conn();
        c.cmd(&["BZPOPMIN", "pa", "0"]);
        until_blocked(&mut admin, 1);
        admin.call(&["ZADD", "pa", "1", "a", "2", "b"]);
        c.read_reply();
        c.cmd(&["BZMPOP", "0", "1", "pb", "MAX", "COUNT", "5"]);
        until_blocked(&mut admin, 1);
        admin.call(&["ZADD", "pb", "1", "a", "2", "b"]);
        c.read_reply();
        c.call(&["BZPOPMAX", "pa", "0"]);
        c.call(&["ZADD", "pc", "1", "a", "2", "b", "3", "c"]);
        c.call(&["BZMPOP", "0", "1", "pc", "MIN"]);
        c.call(&["ZMPOP", "1", "pc", "MAX", "COUNT", "9"]);
        c.call(&["ZMPOP", "1", "pc", "MAX"]);
        c.call(&["ZADD", "pd", "1", "a"]);
        c.call(&["ZPOPMIN", "pd", "3"]);
        c.call(&["ZPOPMIN", "pd"]);
        c.call(&["ZADD", "pe", "NX", "1", "a"]);
        c.call(&["ZADD", "pe", "NX", "1", "a"]);
        c.call(&["ZINCRBY", "pe", "0.5", "a"]);
        c.call(&["ZREM", "pe", "nope"]);
        c.call(&["ZUNIONSTORE", "pf", "1", "pe"]);
        c.call(&["ZRANGESTORE", "pg", "pe", "0", "-1"]);
        c.call(&["BZPOPMIN", "nothing", "0.01"]);
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
        t.note("incremental files", text);
    });
}
