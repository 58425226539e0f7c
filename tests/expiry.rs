//! Key expiry, on both servers: keys past their deadline are invisible to
//! every read (lazy expiry) and treated as missing by every write, active
//! expiry reclaims keys nobody touches, `DEBUG SET-ACTIVE-EXPIRE 0` leaves
//! them counted in INFO keyspace until touched, the INFO keyspace line has
//! Redis's shape, and SCAN keeps its guarantee while keys come and go.
//!
//! Waits are short and bounded: keys get TTLs of a few ms and the tests poll
//! (see [`wait_until`]) instead of sleeping for a fixed long time.

use crate::util::keyspace::{info_field, scan_all, wait_until};
use crate::util::*;
use std::time::{Duration, Instant};

const DEBUG_ON: &[&str] = &["--enable-debug-command", "yes"];

/// INFO keyspace with `avg_ttl` masked: Redis only estimates it from the
/// samples of the active expire cycle, so its value depends on timing.
const KEYSPACE: Mask = Mask::Custom(|r| {
    r.text()
        .lines()
        .map(|line| match line.split_once(",avg_ttl=") {
            Some((head, _)) => format!("{head},avg_ttl=*"),
            None => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
});

/// Gives `keys` a 1 ms TTL and waits until they are past it. Active expiry
/// must be off (or the keys already gone) for the caller to observe the
/// "present but expired" state.
fn expire_soon(c: &mut Conn, keys: &[&str]) {
    for k in keys {
        c.call(&["PEXPIRE", k, "1"]);
    }
    // The server's clock is this machine's clock: once 5 ms have passed
    // here, every deadline above has passed there.
    std::thread::sleep(Duration::from_millis(5));
}

#[test]
fn expired_keys_are_invisible_to_reads() {
    let mut pair = Pair::start_with(DEBUG_ON);
    pair.scenario("lazy expiry on reads", |srv, t| {
        let mut c = srv.conn();
        t.call(&mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
        t.call(&mut c, &["SET", "live", "1"]);
        let doomed = [
            "e:get", "e:exists", "e:type", "e:scan", "e:strlen", "e:mget",
        ];
        for k in doomed {
            t.call(&mut c, &["SET", k, "v"]);
        }
        t.call(&mut c, &["DBSIZE"]);
        expire_soon(&mut c, &doomed);
        // Nothing touched them yet: still stored and counted.
        t.call(&mut c, &["DBSIZE"]);
        t.call_masked(&mut c, KEYSPACE, &["INFO", "keyspace"]);
        t.call(&mut c, &["GET", "e:get"]);
        t.call(&mut c, &["EXISTS", "e:exists"]);
        t.call(&mut c, &["TYPE", "e:type"]);
        t.call(&mut c, &["STRLEN", "e:strlen"]);
        t.call(&mut c, &["MGET", "e:mget", "live"]);
        t.call(&mut c, &["TTL", "e:get"]);
        t.call_masked(&mut c, Mask::Unordered, &["KEYS", "*"]);
        let scanned: Vec<String> = scan_all(&mut c, &[]).iter().map(|k| escape(k)).collect();
        t.note("full SCAN", scanned);
        t.call(&mut c, &["RANDOMKEY"]);
        // Every doomed key has now been looked up once, so lazily deleted.
        t.call(&mut c, &["DBSIZE"]);
        t.call_masked(&mut c, KEYSPACE, &["INFO", "keyspace"]);
        t.note("expired_keys", info_field(&mut c, "stats", "expired_keys"));
    });
    pair.scenario("randomkey when every key expired", |srv, t| {
        let mut c = srv.conn();
        t.call(&mut c, &["SELECT", "4"]);
        t.call(&mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
        t.call(&mut c, &["MSET", "r:a", "1", "r:b", "2", "r:c", "3"]);
        expire_soon(&mut c, &["r:a", "r:b", "r:c"]);
        t.call(&mut c, &["DBSIZE"]);
        t.call(&mut c, &["RANDOMKEY"]);
        t.call(&mut c, &["DBSIZE"]);
    });
}

#[test]
fn expired_keys_are_missing_for_writes() {
    let mut pair = Pair::start_with(DEBUG_ON);
    pair.scenario("lazy expiry on writes", |srv, t| {
        let mut c = srv.conn();
        t.call(&mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
        let keys = [
            "w:append",
            "w:incr",
            "w:setnx",
            "w:msetnx",
            "w:rename",
            "w:renamenx",
            "w:copy",
            "w:move",
            "w:expire",
            "w:persist",
            "w:getset",
            "w:getdel",
            "w:getex",
            "w:setrange",
            "w:setget",
            "w:xx",
            "w:lcs",
            "w:incrbyfloat",
            "w:del",
            "w:touch",
            "w:dst",
        ];
        for k in keys {
            t.call(&mut c, &["SET", k, "5"]);
        }
        t.call(&mut c, &["SET", "w:target", "t"]);
        expire_soon(&mut c, &keys);
        let steps: &[&[&str]] = &[
            &["APPEND", "w:append", "x"],
            &["INCR", "w:incr"],
            &["INCRBYFLOAT", "w:incrbyfloat", "1.5"],
            &["SETNX", "w:setnx", "new"],
            &["MSETNX", "w:msetnx", "new", "w:fresh", "f"],
            &["RENAME", "w:rename", "w:r2"],
            &["RENAMENX", "w:target", "w:renamenx"],
            &["COPY", "w:copy", "w:c2"],
            &["COPY", "w:target", "w:dst"],
            &["MOVE", "w:move", "1"],
            &["EXPIRE", "w:expire", "100"],
            &["PERSIST", "w:persist"],
            &["GETSET", "w:getset", "n"],
            &["GETDEL", "w:getdel"],
            &["GETEX", "w:getex", "PERSIST"],
            &["SETRANGE", "w:setrange", "2", "ab"],
            &["SET", "w:setget", "n", "GET"],
            &["SET", "w:xx", "n", "XX"],
            &["LCS", "w:lcs", "w:target"],
            &["DEL", "w:del"],
            &["TOUCH", "w:touch"],
            &[
                "MGET",
                "w:append",
                "w:incr",
                "w:setnx",
                "w:renamenx",
                "w:dst",
                "w:getset",
            ],
            &["EXISTS", "w:fresh", "w:xx", "w:setrange"],
            &["DBSIZE"],
        ];
        for step in steps {
            t.call(&mut c, step);
        }
        t.call_masked(&mut c, Mask::Unordered, &["KEYS", "*"]);
    });
}

#[test]
fn active_expiry_off_keeps_keys_counted() {
    let mut pair = Pair::start_with(DEBUG_ON);
    pair.scenario("set-active-expire 0", |srv, t| {
        let mut c = srv.conn();
        t.call(&mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
        for i in 0..50 {
            c.call(&["SET", &format!("ae:{i}"), "v", "PX", "10"]);
        }
        // Several active-expire cycles' worth of time (hz 10 = every 100 ms);
        // with the cycle off nothing may go.
        std::thread::sleep(Duration::from_millis(250));
        t.call(&mut c, &["DBSIZE"]);
        t.call_masked(&mut c, KEYSPACE, &["INFO", "keyspace"]);
        t.note("expired_keys", info_field(&mut c, "stats", "expired_keys"));
        t.call(&mut c, &["GET", "ae:7"]);
        t.call(&mut c, &["DBSIZE"]);
        t.note("expired_keys", info_field(&mut c, "stats", "expired_keys"));
        // Back on: the cycle reclaims the rest.
        t.call(&mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "1"]);
        let gone = wait_until(Duration::from_secs(3), || {
            c.call_parsed(&["DBSIZE"]).int() == Some(0)
        });
        t.note("all reclaimed once active expiry is back on", gone);
        t.note("expired_keys", info_field(&mut c, "stats", "expired_keys"));
        t.call(&mut c, &["INFO", "keyspace"]);
    });
}

#[test]
fn active_expiry_reclaims_untouched_keys() {
    on_both(&[], |srv| {
        let mut c = srv.conn();
        let mut pipeline = Vec::new();
        for i in 0..1000 {
            let k = format!("ax:{i}");
            pipeline.extend(crate::util::resp::encode_cmd(&["SET", &k, "v", "PX", "10"]));
        }
        c.send_raw(&pipeline);
        for _ in 0..1000 {
            assert_eq!(c.read_reply(), b"+OK\r\n");
        }
        let start = Instant::now();
        let gone = wait_until(Duration::from_secs(3), || {
            c.call_parsed(&["DBSIZE"]).int() == Some(0)
        });
        let took = start.elapsed();
        assert!(gone, "1000 keys with a 10 ms TTL still there after 3 s");
        assert!(
            took < Duration::from_millis(2500),
            "active expiry took {took:?} for 1000 keys"
        );
        assert_eq!(
            info_field(&mut c, "stats", "expired_keys").as_deref(),
            Some("1000")
        );
        assert_eq!(
            c.call_parsed(&["INFO", "keyspace"]).text(),
            "# Keyspace\r\n"
        );
    });
}

#[test]
fn info_keyspace_shape() {
    let mut pair = Pair::start();
    pair.scenario("keyspace lines", |srv, t| {
        let mut c = srv.conn();
        t.call(&mut c, &["INFO", "keyspace"]);
        t.call(&mut c, &["SET", "a", "1"]);
        t.call(&mut c, &["SET", "b", "2", "EX", "1000"]);
        t.call(&mut c, &["SELECT", "2"]);
        t.call(&mut c, &["SET", "c", "3", "PX", "100000"]);
        t.call(&mut c, &["SELECT", "15"]);
        t.call(&mut c, &["SET", "d", "4"]);
        t.call_masked(&mut c, KEYSPACE, &["INFO", "keyspace"]);
        t.call_masked(&mut c, KEYSPACE, &["INFO", "KEYSPACE"]);
        t.call(&mut c, &["FLUSHDB"]);
        t.call_masked(&mut c, KEYSPACE, &["INFO", "keyspace"]);
    });
    // avg_ttl is an estimate, but a real one: once the expire cycle has
    // sampled db0 it lies between 0 and the 1000 s TTL of its only volatile
    // key, and db15 (no volatile keys) stays at 0.
    on_both(&[], |srv| {
        let mut c = srv.conn();
        c.call(&["SET", "v", "1", "EX", "1000"]);
        c.call(&["SET", "p", "1"]);
        let avg = |c: &mut Conn| -> i64 {
            let line = info_field(c, "keyspace", "db0").expect("db0 line");
            let (_, avg) = line.split_once("avg_ttl=").expect("avg_ttl field");
            avg.parse()
                .unwrap_or_else(|_| panic!("avg_ttl in {line:?}"))
        };
        let sampled = wait_until(Duration::from_secs(3), || avg(&mut c) > 0);
        assert!(sampled, "avg_ttl still 0 after 3 s: {}", avg(&mut c));
        let v = avg(&mut c);
        assert!(
            v > 900_000 && v <= 1_000_000,
            "avg_ttl {v} for one key with 1000 s left"
        );
    });
}

#[test]
fn scan_under_churn() {
    on_both(&[], |srv| {
        let mut c = srv.conn();
        let stable: Vec<String> = (0..400).map(|i| format!("stable:{i}")).collect();
        for k in &stable {
            c.call(&["SET", k, "v"]);
        }
        for i in 0..200 {
            c.call(&["SET", &format!("churn:{i}"), "v"]);
        }
        let mut seen = std::collections::HashSet::new();
        let mut cursor = "0".to_string();
        let mut round = 0;
        loop {
            let reply = c.call_parsed(&["SCAN", &cursor, "COUNT", "10"]);
            let [next, batch] = reply.items() else {
                panic!("SCAN replied {reply:?}");
            };
            seen.extend(batch.items().iter().map(|k| k.text()));
            cursor = next.text();
            if cursor == "0" {
                break;
            }
            // Between calls: grow the table (forcing rehashes) and delete.
            for j in 0..20 {
                c.call(&["SET", &format!("new:{round}:{j}"), "v"]);
            }
            for j in 0..5 {
                c.call(&["DEL", &format!("churn:{}", (round * 5 + j) % 200)]);
            }
            round += 1;
            assert!(round < 100_000, "SCAN never finished");
        }
        let missing: Vec<&String> = stable.iter().filter(|k| !seen.contains(*k)).collect();
        assert!(
            missing.is_empty(),
            "{} keys present throughout were never returned, e.g. {:?}",
            missing.len(),
            &missing[..missing.len().min(5)]
        );
    });
}
