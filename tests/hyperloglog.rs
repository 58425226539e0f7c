//! HyperLogLog, differentially against redis-server 7.0: PFADD, PFCOUNT,
//! PFMERGE, PFDEBUG and PFSELFTEST, with the sketch's bytes (GET) compared
//! while sparse, across the promotion to dense and once dense, for several
//! `hll-sparse-max-bytes`; the unions PFCOUNT and PFMERGE build; errors
//! (WRONGTYPE for other types and for strings that are not HLLs,
//! INVALIDOBJ for damaged sparse bodies, fuzzed from valid ones); RESP3;
//! sketches moved between the servers with DUMP/RESTORE; and what reaches
//! the AOF (PFCOUNT refreshing its cache is propagated, as in Redis).

use std::fs;

use crate::util::rng::Rng;
use crate::util::*;

/// Elements `prefix0 .. prefix<n-1>` from `from` on.
fn elements(prefix: &str, from: usize, n: usize) -> Vec<String> {
    (from..from + n).map(|i| format!("{prefix}{i}")).collect()
}

/// `PFADD key elements...`
fn pfadd(key: &str, elements: &[String]) -> Vec<String> {
    let mut cmd = vec!["PFADD".to_string(), key.to_string()];
    cmd.extend_from_slice(elements);
    cmd
}

/// Sends a command with binary arguments and records its reply under `label`.
fn record<A: AsRef<[u8]>>(t: &mut Transcript, conn: &mut Conn, label: &str, args: &[A]) -> Vec<u8> {
    let raw = conn.call(args);
    t.reply(label, Mask::Exact, &raw);
    raw
}

/// The bulk payload of a reply.
fn bulk(raw: &[u8]) -> Vec<u8> {
    parse(raw)
        .ok()
        .and_then(|r| r.bytes().map(<[u8]>::to_vec))
        .unwrap_or_default()
}

/// COMMAND DOCS without the argument lists, which the table does not carry.
const DOCS: Mask = Mask::Custom(|r| {
    let Some(pairs) = r.pairs() else {
        return canon(r);
    };
    pairs
        .iter()
        .map(|(name, doc)| {
            let fields: Vec<String> = doc
                .pairs()
                .unwrap_or_default()
                .iter()
                .filter(|(k, _)| k.text() != "arguments")
                .map(|(k, v)| format!("{}: {}", canon(k), canon(v)))
                .collect();
            format!("{} => {}", canon(name), fields.join(", "))
        })
        .collect::<Vec<_>>()
        .join("\n")
});

#[test]
fn command_table_entries() {
    let mut info = Case::new("COMMAND INFO");
    for name in ["pfadd", "pfcount", "pfmerge", "pfdebug", "pfselftest"] {
        info = info
            .cmd(&["COMMAND", "INFO", name])
            .masked(DOCS, &["COMMAND", "DOCS", name])
            .cmd(&["COMMAND", "GETKEYS", name, "k1", "k2", "k3"]);
    }
    diff(&[info
        .cmd(&["COMMAND", "GETKEYS", "pfdebug", "getreg", "k"])
        .cmd(&["COMMAND", "GETKEYS", "pfselftest"])]);
}

/// 100000 elements added in batches of growing size: every PFADD reply,
/// the count after each batch (a refresh, then the cached value), and the
/// bytes after each batch while sparse and every tenth batch once dense.
#[test]
fn counting_in_batches() {
    let mut pair = Pair::start();
    pair.scenario("1..100000 in batches", |srv, t| {
        let mut c = srv.conn();
        let (mut added, mut batch) = (0, 0);
        let mut dense_since = None;
        while added < 100_000 {
            let n = match batch {
                0..=199 => 1 + batch % 7,
                200..=299 => 10 + batch % 30,
                _ => 997,
            };
            let cmd = pfadd("h", &elements("e", added, n));
            record(t, &mut c, &format!("pfadd {n} from {added}"), &cmd);
            // Elements already present change nothing.
            let again = pfadd("h", &elements("e", added, n.min(3)));
            record(t, &mut c, "pfadd again", &again);
            t.call(&mut c, &["PFCOUNT", "h"]);
            let encoding = t.call(&mut c, &["PFDEBUG", "ENCODING", "h"]);
            if encoding.text() == "dense" && dense_since.is_none() {
                dense_since = Some(batch);
            }
            let since = dense_since.map_or(0, |b| batch - b);
            if since % 10 == 0 {
                t.call(&mut c, &["GET", "h"]);
                t.call(&mut c, &["PFCOUNT", "h"]);
                t.call(&mut c, &["GET", "h"]);
            }
            added += n;
            batch += 1;
        }
        t.call(&mut c, &["STRLEN", "h"]);
        t.call(&mut c, &["PFCOUNT", "h"]);
        t.call(&mut c, &["OBJECT", "ENCODING", "h"]);
        assert!(dense_since.is_some(), "the sketch never became dense");
    });
}

/// The promotion point follows `hll-sparse-max-bytes`, read at each
/// write: 0 promotes at the first split, small limits after a few runs,
/// large ones keep long sparse bodies. Binary elements of every length
/// exercise the hash's tail.
#[test]
fn sparse_limits() {
    let mut pair = Pair::start();
    pair.scenario("hll-sparse-max-bytes", |srv, t| {
        let mut c = srv.conn();
        let mut rng = Rng::new(11);
        for (i, limit) in ["0", "1", "18", "40", "300", "3000", "20000"]
            .iter()
            .enumerate()
        {
            t.call(&mut c, &["CONFIG", "SET", "hll-sparse-max-bytes", limit]);
            let key = format!("k{i}");
            t.call(&mut c, &["PFADD", &key]);
            for step in 0..120 {
                let mut cmd: Vec<Vec<u8>> = vec![b"PFADD".to_vec(), key.as_bytes().to_vec()];
                for _ in 0..rng.between(1, 40) {
                    let len = rng.below(25);
                    cmd.push(rng.bytes(len, &[]));
                }
                record(t, &mut c, &format!("{key} pfadd {step}"), &cmd);
                record(t, &mut c, &format!("{key} get {step}"), &["GET", &key]);
            }
            t.call(&mut c, &["PFCOUNT", &key]);
            t.call(&mut c, &["PFDEBUG", "ENCODING", &key]);
        }
        // The limit applies when a sketch grows, not to sketches already
        // past it.
        t.call(&mut c, &["CONFIG", "SET", "hll-sparse-max-bytes", "10"]);
        record(
            t,
            &mut c,
            "k6 grows past the new limit",
            &pfadd("k6", &elements("x", 0, 5)),
        );
        t.call(&mut c, &["PFDEBUG", "ENCODING", "k6"]);
        t.call(&mut c, &["GET", "k6"]);
    });
}

/// A dense sketch with one register at `value`: HYLL, dense, a stale
/// cache, and register 5 set.
fn dense_with_register(value: u8) -> Vec<u8> {
    let mut s = b"HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80".to_vec();
    s.resize(16 + 12288, 0);
    // Register 5 starts at bit 30: byte 3, shift 6.
    let bits = u16::from(value) << 6;
    s[16 + 3] |= bits as u8;
    s[16 + 4] |= (bits >> 8) as u8;
    s
}

/// PFMERGE and the union PFCOUNT computes: sparse with sparse stays
/// sparse, any dense source makes the target dense, the target is one of
/// the sources, missing keys are empty, and a union count writes nothing.
#[test]
fn merge_and_union() {
    let mut pair = Pair::start();
    pair.scenario("merge", |srv, t| {
        let mut c = srv.conn();
        c.call(&pfadd("s1", &elements("a", 0, 40)));
        c.call(&pfadd("s2", &elements("a", 20, 40)));
        c.call(&pfadd("d1", &elements("b", 0, 5000)));
        c.call(&pfadd("d2", &elements("a", 0, 3000)));
        for cmd in [
            &["PFCOUNT", "s1", "s2"][..],
            &["GET", "s1"],
            &["PFCOUNT", "s1", "nosuch", "s2", "s1"],
            &["PFCOUNT", "nosuch", "nosuch2"],
            &["PFCOUNT", "s1", "d1", "d2"],
            &["EXISTS", "nosuch"],
            &["PFMERGE", "m1", "s1", "s2"],
            &["GET", "m1"],
            &["PFDEBUG", "ENCODING", "m1"],
            &["PFCOUNT", "m1"],
            &["PFMERGE", "m1", "s1"],
            &["GET", "m1"],
            &["PFMERGE", "m2", "s1", "d1"],
            &["PFDEBUG", "ENCODING", "m2"],
            &["GET", "m2"],
            &["PFCOUNT", "m2"],
            &["PFMERGE", "s2", "d2"],
            &["PFDEBUG", "ENCODING", "s2"],
            &["GET", "s2"],
            &["PFMERGE", "alone"],
            &["GET", "alone"],
            &["PFMERGE", "alone2", "nosuch"],
            &["GET", "alone2"],
            &["PFMERGE", "d1", "d2", "s1"],
            &["GET", "d1"],
            &["PFCOUNT", "d1"],
            &["PFCOUNT", "d1", "d1"],
        ] {
            t.call(&mut c, cmd);
        }
        // A sparse target turns dense part-way once the merged runs
        // outgrow the limit, in register order.
        t.call(&mut c, &["CONFIG", "SET", "hll-sparse-max-bytes", "200"]);
        t.call(&mut c, &["PFMERGE", "m3", "s1", "s2"]);
        t.call(&mut c, &["GET", "m3"]);
        t.call(&mut c, &["CONFIG", "SET", "hll-sparse-max-bytes", "3000"]);
        // A register over 32 does not fit a sparse run: the target
        // becomes dense even with only sparse... and dense sources.
        record(
            t,
            &mut c,
            "set big",
            &[&b"SET"[..], b"big", &dense_with_register(40)],
        );
        c.call(&pfadd("sp", &elements("c", 0, 10)));
        t.call(&mut c, &["PFCOUNT", "sp", "big"]);
        t.call(&mut c, &["PFMERGE", "sp", "big"]);
        t.call(&mut c, &["PFDEBUG", "ENCODING", "sp"]);
        t.call(&mut c, &["GET", "sp"]);
        t.call(&mut c, &["PFCOUNT", "sp"]);
        t.call(&mut c, &["PFDEBUG", "GETREG", "sp"]);
    });
}

/// PFDEBUG's subcommands: GETREG converts a sparse sketch, DECODE lists
/// sparse runs only, TODENSE converts once; errors in Redis's order.
#[test]
fn pfdebug_subcommands() {
    let mut pair = Pair::start();
    pair.scenario("pfdebug", |srv, t| {
        let mut c = srv.conn();
        c.call(&pfadd("h", &elements("a", 0, 30)));
        c.call(&["PFADD", "empty"]);
        for cmd in [
            &["PFDEBUG", "DECODE", "h"][..],
            &["PFDEBUG", "decode", "empty"],
            &["PFDEBUG", "ENCODING", "h"],
            &["PFDEBUG", "GETREG", "empty"],
            &["PFDEBUG", "ENCODING", "empty"],
            &["GET", "empty"],
            &["PFDEBUG", "DECODE", "empty"],
            &["PFDEBUG", "TODENSE", "h"],
            &["PFDEBUG", "TODENSE", "h"],
            &["PFDEBUG", "ENCODING", "h"],
            &["GET", "h"],
            &["PFCOUNT", "h"],
            &["PFDEBUG", "GETREG", "h"],
            &["PFDEBUG", "NOSUCH", "h"],
            &["PFDEBUG", "NOSUCH", "missing"],
            &["PFDEBUG", "GETREG", "missing"],
            &["PFDEBUG", "GETREG"],
            &["PFDEBUG", "GETREG", "h", "extra"],
            &["PFDEBUG"],
            &["PFSELFTEST"],
            &["PFSELFTEST", "extra"],
        ] {
            t.call(&mut c, cmd);
        }
        record(
            t,
            &mut c,
            "unknown subcommand with a NUL",
            &[&b"PFDEBUG"[..], b"ab\0cd", b"h"],
        );
        c.call(&["RPUSH", "list", "x"]);
        t.call(&mut c, &["PFDEBUG", "GETREG", "list"]);
        c.call(&["SET", "str", "not an hll"]);
        t.call(&mut c, &["PFDEBUG", "NOSUCH", "str"]);
    });
}

/// The strings Redis refuses as HLLs, the other types, and arity.
#[test]
fn errors_and_wrongtype() {
    let sparse_header = b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00".to_vec();
    let mut bad_encoding = sparse_header.clone();
    bad_encoding[4] = 2;
    bad_encoding.extend_from_slice(b"\x7f\xff");
    let mut short_dense = dense_with_register(3);
    short_dense.pop();
    let mut long_dense = dense_with_register(3);
    long_dense.push(0);
    let mut bad_magic = b"HYLl".to_vec();
    bad_magic.extend_from_slice(&sparse_header[4..]);
    bad_magic.extend_from_slice(b"\x7f\xff");
    let mut case = Case::new("not hlls")
        .cmd(&["RPUSH", "list", "a"])
        .cmd(&["HSET", "hash", "f", "v"])
        .cmd(&["SET", "int", "12345"])
        .cmd(&["SET", "text", "hello world, not an hll"])
        .cmd(&["SET", "empty", ""])
        .cmd_bytes(&[&b"SET"[..], b"header-only", &sparse_header])
        .cmd_bytes(&[&b"SET"[..], b"short", &sparse_header[..15]])
        .cmd_bytes(&[&b"SET"[..], b"bad-encoding", &bad_encoding])
        .cmd_bytes(&[&b"SET"[..], b"bad-magic", &bad_magic])
        .cmd_bytes(&[&b"SET"[..], b"short-dense", &short_dense])
        .cmd_bytes(&[&b"SET"[..], b"long-dense", &long_dense])
        .cmd(&["PFADD", "good", "x"]);
    for key in [
        "list",
        "hash",
        "int",
        "text",
        "empty",
        "header-only",
        "short",
        "bad-encoding",
        "bad-magic",
        "short-dense",
        "long-dense",
    ] {
        case = case
            .cmd(&["PFADD", key, "x"])
            .cmd(&["PFADD", key])
            .cmd(&["PFCOUNT", key])
            .cmd(&["PFCOUNT", "good", key])
            .cmd(&["PFCOUNT", key, "good"])
            .cmd(&["PFMERGE", key, "good"])
            .cmd(&["PFMERGE", "dest", "good", key])
            .cmd(&["EXISTS", "dest"])
            .cmd(&["PFDEBUG", "ENCODING", key])
            .cmd(&["GET", key]);
    }
    let arity = Case::new("arity")
        .cmd(&["PFADD"])
        .cmd(&["PFCOUNT"])
        .cmd(&["PFMERGE"])
        .cmd(&["PFDEBUG", "GETREG"]);
    // Call and failure counts, without the timings, in any order.
    let counts = Mask::Custom(|r| {
        let mut lines: Vec<String> = r
            .text()
            .lines()
            .map(|l| {
                l.split(',')
                    .filter(|f| !f.contains("usec"))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect();
        lines.sort();
        lines.join("\n")
    });
    let stats = Case::new("errorstats")
        .cmd(&["INFO", "errorstats"])
        .masked(counts, &["INFO", "commandstats"]);
    diff(&[case, arity, stats]);
}

/// A sparse body whose runs cover more or fewer than the 16384 registers.
#[test]
fn damaged_sparse_bodies() {
    let header = b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80";
    let body = |runs: &[u8]| {
        let mut s = header.to_vec();
        s.extend_from_slice(runs);
        s
    };
    let samples: Vec<(&str, Vec<u8>)> = vec![
        ("no runs", body(&[])),
        ("short", body(&[0x7f, 0xfe])),
        ("long", body(&[0x7f, 0xff, 0x00])),
        ("val past the end", body(&[0x7f, 0xff, 0x80])),
        ("val across the end", body(&[0x7f, 0xfe, 0x81])),
        ("xzero cut short", body(&[0x7f, 0xff, 0x7f])),
        ("only vals", body(&[0x83; 8])),
        ("cached count", {
            let mut s = body(&[0x7f, 0xfe]);
            s[15] = 0;
            s[8] = 42;
            s
        }),
    ];
    let mut cases = Vec::new();
    for (name, value) in samples {
        cases.push(
            Case::new(name)
                .cmd(&["DEL", "k", "dest"])
                .cmd_bytes(&[&b"SET"[..], b"k", &value])
                .cmd(&["PFCOUNT", "k"])
                .cmd(&["PFCOUNT", "k", "nosuch"])
                .cmd(&["PFMERGE", "dest", "k"])
                .cmd(&["EXISTS", "dest"])
                .cmd(&["PFDEBUG", "DECODE", "k"])
                .cmd(&["PFADD", "k", "a", "b", "c"])
                .cmd(&["GET", "k"])
                .cmd(&["PFDEBUG", "TODENSE", "k"])
                .cmd(&["PFDEBUG", "GETREG", "k"])
                .cmd(&["PFDEBUG", "ENCODING", "k"])
                .cmd(&["PFCOUNT", "k"]),
        );
    }
    // Dense registers past the estimator's range (all 63): the estimate
    // overflows as it does in Redis.
    let mut maxed = b"HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80".to_vec();
    maxed.resize(16 + 12288, 0xff);
    cases.push(
        Case::new("registers at 63")
            .cmd_bytes(&[&b"SET"[..], b"maxed", &maxed])
            .cmd(&["PFCOUNT", "maxed"])
            .cmd(&["PFCOUNT", "maxed"])
            .cmd(&["GETRANGE", "maxed", "0", "15"])
            .cmd(&["PFCOUNT", "maxed", "nosuch"]),
    );
    diff(&cases);
}

/// Valid sketches built by Redis, damaged at random (bytes changed,
/// dropped, inserted, the body cut), stored with SET on both servers and
/// used every way: the same replies and bytes, and ferrodis never dies.
#[test]
fn fuzzed_sketches() {
    let mut pair = Pair::start();
    let seeds: Vec<Vec<u8>> = {
        let [redis, _] = pair.servers();
        let mut r = redis.conn();
        let mut out = Vec::new();
        for n in [1, 3, 30, 300, 1000, 5000] {
            r.call(&pfadd("seed", &elements("s", n, n)));
            out.push(bulk(&r.call(&["GET", "seed"])));
        }
        r.call(&["DEL", "seed"]);
        out
    };
    pair.scenario("fuzz", |srv, t| {
        let mut c = srv.conn();
        let mut rng = Rng::new(2024);
        for round in 0..1200 {
            let mut s = seeds[round % seeds.len()].clone();
            let dense = s[4] == 0;
            for _ in 0..rng.between(1, 4) {
                let body = s.len() - 16;
                // A dense sketch stays one only if its length does.
                match if dense { 0 } else { rng.below(4) } {
                    0 if body > 0 => {
                        let at = 16 + rng.below(body);
                        s[at] = rng.next() as u8;
                    }
                    1 if body > 0 => {
                        s.remove(16 + rng.below(body));
                    }
                    2 => {
                        let at = 16 + rng.below(body + 1);
                        s.insert(at, rng.next() as u8);
                    }
                    _ => s.truncate(16 + rng.below(body + 1)),
                }
            }
            let label = format!("round {round}");
            record(t, &mut c, &label, &[&b"SET"[..], b"f", &s]);
            for cmd in [
                &["PFCOUNT", "f"][..],
                &["PFCOUNT", "f", "nosuch"],
                &["PFDEBUG", "DECODE", "f"],
                &["PFMERGE", "acc", "f"],
                &["PFADD", "f", "x", "y", "z", "1", "2", "3", "4", "5"],
                &["GET", "f"],
                &["PFCOUNT", "f"],
                &["PFDEBUG", "TODENSE", "f"],
                &["PFCOUNT", "f"],
            ] {
                t.call(&mut c, cmd);
            }
        }
        t.call(&mut c, &["GET", "acc"]);
        t.call(&mut c, &["PING"]);
    });
}

/// RESP3 shapes: integers, the register array, status and bulk replies.
#[test]
fn resp3_replies() {
    let hello: Mask = Mask::Pairs(&["id"]);
    diff(&[Case::new("resp3")
        .masked(hello, &["HELLO", "3"])
        .cmd(&["PFADD", "h", "a", "b"])
        .cmd(&["PFCOUNT", "h"])
        .cmd(&["PFCOUNT", "h", "nosuch"])
        .cmd(&["PFDEBUG", "ENCODING", "h"])
        .cmd(&["PFDEBUG", "DECODE", "h"])
        .cmd(&["PFMERGE", "m", "h"])
        .cmd(&["PFDEBUG", "GETREG", "m"])
        .cmd(&["PFDEBUG", "TODENSE", "m"])
        .cmd(&["RPUSH", "l", "x"])
        .cmd(&["PFADD", "l", "x"])
        .cmd(&["PFDEBUG", "GETREG", "nosuch"])])
}

/// Sketches built by Redis, moved with DUMP/RESTORE, count the same and
/// keep growing into the same bytes; and back from ferrodis to Redis.
#[test]
fn dump_restore_both_ways() {
    let mut pair = Pair::start();
    let [redis, ferrodis] = pair.servers();
    let (mut r, mut f) = (redis.conn(), ferrodis.conn());
    for (key, n) in [("tiny", 2), ("sparse", 200), ("dense", 20_000)] {
        for redis_first in [true, false] {
            let (from, to) = if redis_first {
                (&mut r, &mut f)
            } else {
                (&mut f, &mut r)
            };
            from.call(&["DEL", key]);
            to.call(&["DEL", key]);
            from.call(&pfadd(key, &elements(key, 0, n)));
            let payload = bulk(&from.call(&["DUMP", key]));
            assert_eq!(
                to.call(&[b"RESTORE".as_slice(), key.as_bytes(), b"0", &payload]),
                b"+OK\r\n",
                "{key}"
            );
            let label = format!(
                "{key}, from {}",
                if redis_first { "redis" } else { "ferrodis" }
            );
            for cmd in [
                &["PFCOUNT", key][..],
                &["GET", key],
                &["OBJECT", "ENCODING", key],
                &["DUMP", key],
            ] {
                assert_eq!(from.call(cmd), to.call(cmd), "{label}: {cmd:?}");
            }
            let more = pfadd(key, &elements("more", 0, n / 2 + 1));
            assert_eq!(from.call(&more), to.call(&more), "{label}");
            for cmd in [
                &["GET", key][..],
                &["PFCOUNT", key, "nosuch"],
                &["PFCOUNT", key],
            ] {
                assert_eq!(from.call(cmd), to.call(cmd), "{label}: {cmd:?}");
            }
        }
    }
}

/// A small sketch written with SET is an `embstr`; Redis makes it `raw` as
/// soon as an HLL command touches it, even a count served from the cache.
/// Lookups count keyspace hits and misses as Redis's do.
#[test]
fn encodings_and_keyspace_stats() {
    let mut pair = Pair::start();
    let sketch = {
        let [redis, _] = pair.servers();
        let mut r = redis.conn();
        r.call(&["PFADD", "src", "a"]);
        r.call(&["PFCOUNT", "src"]);
        let s = bulk(&r.call(&["GET", "src"]));
        r.call(&["DEL", "src"]);
        s
    };
    let mut case = Case::new("embstr");
    for cmd in ["PFCOUNT", "PFADD", "PFDEBUG"] {
        case = case
            .cmd_bytes(&[&b"SET"[..], b"e", &sketch])
            .cmd(&["OBJECT", "ENCODING", "e"]);
        case = match cmd {
            "PFCOUNT" => case.cmd(&["PFCOUNT", "e"]),
            "PFADD" => case.cmd(&["PFADD", "e", "a"]),
            _ => case.cmd(&["PFDEBUG", "ENCODING", "e"]),
        };
        case = case.cmd(&["OBJECT", "ENCODING", "e"]).cmd(&["GET", "e"]);
    }
    let stats = Case::new("stats")
        .cmd(&["CONFIG", "RESETSTAT"])
        .cmd(&["PFADD", "a", "1"])
        .cmd(&["PFCOUNT", "a"])
        .cmd(&["PFCOUNT", "nosuch"])
        .cmd(&["PFCOUNT", "a", "nosuch", "e"])
        .cmd(&["PFMERGE", "m", "a", "nosuch"])
        .cmd(&["PFDEBUG", "ENCODING", "m"])
        .masked(
            Mask::Custom(|r| {
                r.text()
                    .lines()
                    .filter(|l| l.starts_with("keyspace_"))
                    .collect::<Vec<_>>()
                    .join(",")
            }),
            &["INFO", "stats"],
        );
    pair.run(&[case, stats]);
}

/// What each command writes to the AOF is what Redis writes: PFADD when a
/// register changed, PFCOUNT when it refreshed the cache, PFMERGE always,
/// PFDEBUG when it converted.
#[test]
fn propagation_matches_redis_aof() {
    let mut pair = Pair::start_with(&["--appendonly", "yes", "--appendfsync", "always"]);
    pair.scenario("aof", |srv, t| {
        let mut c = srv.conn();
        for cmd in [
            &["PFADD", "h", "a", "b", "c"][..],
            &["PFADD", "h", "a"],
            &["PFADD", "h"],
            &["PFCOUNT", "h"],
            &["PFCOUNT", "h"],
            &["PFCOUNT", "h", "nosuch"],
            &["PFADD", "new"],
            &["PFMERGE", "m", "h", "new"],
            &["PFMERGE", "m"],
            &["PFDEBUG", "ENCODING", "m"],
            &["PFDEBUG", "DECODE", "m"],
            &["PFDEBUG", "TODENSE", "m"],
            &["PFDEBUG", "TODENSE", "m"],
            &["PFDEBUG", "GETREG", "h"],
            &["PFCOUNT", "m"],
            &["PFCOUNT", "nosuch"],
            &["SET", "s", "x"],
            &["PFADD", "s", "x"],
        ] {
            t.call_masked(&mut c, Mask::Type, cmd);
        }
        let aof =
            fs::read(srv.dir().join("appendonlydir/appendonly.aof.1.incr.aof")).unwrap_or_default();
        t.reply("the incr AOF", Mask::Exact, &aof);
    });
}
