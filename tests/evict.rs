//! maxmemory and eviction: the OOM refusal byte for byte against real
//! Redis (noeviction, MULTI/EXEC, volatile policies with nothing to evict),
//! and per policy property checks run on both servers, so each check is
//! shown to hold on Redis first: memory stays near the limit, evicted_keys
//! grows, volatile policies spare persistent keys, volatile-ttl takes the
//! nearest deadlines, LRU and LFU keep the keys being read, the `evicted`
//! event, and the DEL (or UNLINK) in the AOF. Limits are set relative to
//! each server's own used_memory, since the servers' figures differ.

use std::collections::HashSet;
use std::time::Duration;

use crate::util::keyspace::{info_field, wait_until};
use crate::util::*;

const OOM: &[u8] = b"-OOM command not allowed when used memory > 'maxmemory'.\r\n";
/// 1 KB values, as the limits below are counted in them.
const VALUE_LEN: usize = 1024;

fn info_u64(conn: &mut Conn, section: &str, field: &str) -> u64 {
    info_field(conn, section, field)
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("INFO {section} has no numeric {field}"))
}

/// Sets `maxmemory` to the server's used memory now plus `extra` bytes.
fn limit_above_used(conn: &mut Conn, extra: u64, policy: &str) -> u64 {
    let used = info_u64(conn, "memory", "used_memory");
    let limit = used + extra;
    let reply = conn.call(&["CONFIG", "SET", "maxmemory-policy", policy]);
    assert_eq!(reply, b"+OK\r\n");
    let reply = conn.call(&["CONFIG", "SET", "maxmemory", &limit.to_string()]);
    assert_eq!(reply, b"+OK\r\n");
    limit
}

/// SETs `<prefix><i>` to 1 KB for each `i` (with `EX ttl_base + i` when
/// given), pipelined in batches; returns the indexes whose SET succeeded.
fn fill(
    conn: &mut Conn,
    prefix: &str,
    range: std::ops::Range<usize>,
    ttl_base: Option<u64>,
) -> Vec<usize> {
    let value = "v".repeat(VALUE_LEN);
    let mut ok = Vec::new();
    let idx: Vec<usize> = range.collect();
    for batch in idx.chunks(100) {
        for &i in batch {
            let key = format!("{prefix}{i}");
            match ttl_base {
                Some(base) => {
                    conn.cmd(&["SET", &key, &value, "EX", &(base + i as u64).to_string()])
                }
                None => conn.cmd(&["SET", &key, &value]),
            }
        }
        for &i in batch {
            let reply = conn.read_reply();
            if reply == b"+OK\r\n" {
                ok.push(i);
            } else {
                assert_eq!(reply, OOM, "SET {prefix}{i}");
            }
        }
    }
    ok
}

/// Which of `<prefix><i>` exist.
fn existing(conn: &mut Conn, prefix: &str, idx: &[usize]) -> HashSet<usize> {
    for &i in idx {
        conn.cmd(&["EXISTS", &format!("{prefix}{i}")]);
    }
    idx.iter()
        .copied()
        .filter(|_| {
            let reply = conn.read_reply();
            reply == b":1\r\n"
        })
        .collect()
}

/// Memory after eviction is within a few percent of the limit, and keys
/// were evicted.
fn assert_near_limit(conn: &mut Conn, limit: u64) {
    let used = info_u64(conn, "memory", "used_memory");
    assert!(used <= limit + limit / 25, "used {used} over limit {limit}");
    assert!(
        used >= limit - limit / 5,
        "used {used} far below limit {limit}"
    );
    assert!(info_u64(conn, "stats", "evicted_keys") > 0);
}

#[test]
fn oom_refusals_match_redis() {
    diff(&[
        case(
            "noeviction refuses denyoom commands only",
            &[
                &["SET", "a", "1"],
                &["RPUSH", "l", "x"],
                &["CONFIG", "SET", "maxmemory", "1"],
                &["SET", "b", "1"],
                &["INCR", "a"],
                &["LPUSH", "l", "y"],
                &["GET", "a"],
                &["LPOP", "l"],
                &["DEL", "a"],
                &["EXPIRE", "l", "100"],
                &["PING"],
                &["DBSIZE"],
                &["CONFIG", "GET", "maxmemory"],
                &["CONFIG", "SET", "maxmemory", "0"],
                &["SET", "b", "2"],
            ],
        ),
        case(
            "inside MULTI every command is refused but EXEC and DISCARD",
            &[
                &["SET", "a", "1"],
                &["CONFIG", "SET", "maxmemory", "1"],
                &["MULTI"],
                &["GET", "a"],
                &["SET", "a", "2"],
                &["WATCH", "a"],
                &["MULTI"],
                &["EXEC"],
                &["MULTI"],
                &["PING"],
                &["DISCARD"],
                &["GET", "a"],
                &["CONFIG", "SET", "maxmemory", "0"],
            ],
        ),
        case(
            "volatile policies with only persistent keys refuse",
            &[
                &["SET", "a", "1"],
                &["CONFIG", "SET", "maxmemory-policy", "volatile-lru"],
                &["CONFIG", "SET", "maxmemory", "1"],
                &["SET", "b", "1"],
                &["CONFIG", "SET", "maxmemory-policy", "volatile-ttl"],
                &["SET", "b", "1"],
                &["CONFIG", "SET", "maxmemory-policy", "volatile-random"],
                &["SET", "b", "1"],
                &["CONFIG", "SET", "maxmemory-policy", "volatile-lfu"],
                &["SET", "b", "1"],
                &["EXISTS", "a"],
                &["CONFIG", "SET", "maxmemory", "0"],
            ],
        ),
        case(
            "the OOM check comes before the subscribed context's",
            &[
                &["CONFIG", "SET", "maxmemory", "1"],
                &["SUBSCRIBE", "ch"],
                &["SET", "b", "1"],
                &["GET", "b"],
                &["UNSUBSCRIBE"],
                &["CONFIG", "SET", "maxmemory", "0"],
            ],
        ),
        Case::new("resp3")
            .masked(Mask::Pairs(&["id"]), &["HELLO", "3"])
            .cmd(&["CONFIG", "SET", "maxmemory", "1"])
            .cmd(&["SET", "b", "1"])
            .cmd(&["CONFIG", "SET", "maxmemory", "0"]),
    ]);
}

/// A transaction queued under the limit is refused at EXEC when memory went
/// over it meanwhile, but only if it holds a denyoom command.
#[test]
fn exec_checks_its_queued_commands() {
    let mut pair = Pair::start();
    pair.scenario("exec after the limit dropped", |srv, t| {
        let mut a = srv.conn();
        let mut admin = srv.conn();
        t.call(&mut a, &["SET", "k", "1"]);
        t.call(&mut a, &["MULTI"]);
        t.call(&mut a, &["SET", "k", "2"]);
        t.call(&mut admin, &["CONFIG", "SET", "maxmemory", "1"]);
        t.call(&mut a, &["EXEC"]);
        t.call(&mut a, &["GET", "k"]);
        t.call(&mut admin, &["CONFIG", "SET", "maxmemory", "0"]);
        t.call(&mut a, &["MULTI"]);
        t.call(&mut a, &["GET", "k"]);
        t.call(&mut admin, &["CONFIG", "SET", "maxmemory", "1"]);
        t.call(&mut a, &["EXEC"]);
        t.call(&mut admin, &["CONFIG", "SET", "maxmemory", "0"]);
    });
}

#[test]
fn info_shows_the_settings() {
    on_both(&[], |srv| {
        let mut c = srv.conn();
        assert_eq!(
            info_field(&mut c, "memory", "maxmemory").as_deref(),
            Some("0")
        );
        assert_eq!(
            info_field(&mut c, "memory", "maxmemory_policy").as_deref(),
            Some("noeviction")
        );
        c.call(&["CONFIG", "SET", "maxmemory", "3gb"]);
        c.call(&["CONFIG", "SET", "maxmemory-policy", "volatile-ttl"]);
        assert_eq!(
            info_field(&mut c, "memory", "maxmemory").as_deref(),
            Some("3221225472")
        );
        assert_eq!(
            info_field(&mut c, "memory", "maxmemory_human").as_deref(),
            Some("3.00G")
        );
        assert_eq!(
            info_field(&mut c, "memory", "maxmemory_policy").as_deref(),
            Some("volatile-ttl")
        );
        for field in ["evicted_keys", "total_eviction_exceeded_time"] {
            assert_eq!(info_field(&mut c, "stats", field).as_deref(), Some("0"));
        }
        assert_eq!(
            info_field(&mut c, "memory", "mem_not_counted_for_evict").as_deref(),
            Some("0")
        );
    });
}

#[test]
fn allkeys_policies_stay_near_the_limit() {
    for policy in ["allkeys-lru", "allkeys-lfu", "allkeys-random"] {
        on_both(&[], |srv| {
            let mut c = srv.conn();
            let limit = limit_above_used(&mut c, 2 << 20, policy);
            let ok = fill(&mut c, "k:", 0..4000, None);
            assert_eq!(ok.len(), 4000, "{policy}: every SET succeeds");
            assert_near_limit(&mut c, limit);
            let left = existing(&mut c, "k:", &ok).len();
            assert!(left > 500 && left < 3000, "{policy}: {left} keys left");
            // Replies to the checks take memory too, so more may go meanwhile.
            let evicted = info_u64(&mut c, "stats", "evicted_keys");
            assert!(evicted >= 4000 - left as u64, "{policy}: {evicted}");
            assert!(evicted < 4000 - left as u64 + 20, "{policy}: {evicted}");
        });
    }
}

#[test]
fn volatile_policies_spare_persistent_keys() {
    for policy in [
        "volatile-lru",
        "volatile-lfu",
        "volatile-random",
        "volatile-ttl",
    ] {
        on_both(&[], |srv| {
            let mut c = srv.conn();
            let limit = limit_above_used(&mut c, 2 << 20, policy);
            let persistent = fill(&mut c, "p:", 0..300, None);
            assert_eq!(persistent.len(), 300);
            let volatile = fill(&mut c, "v:", 0..3000, Some(10_000));
            assert_eq!(volatile.len(), 3000, "{policy}: every SET succeeds");
            assert_near_limit(&mut c, limit);
            assert_eq!(existing(&mut c, "p:", &persistent).len(), 300, "{policy}");
            // Persistent keys written now push the volatile ones out, then
            // find nothing left to evict.
            let more = fill(&mut c, "q:", 0..3000, None);
            assert!(
                more.len() < 3000,
                "{policy}: OOM once only persistent keys remain"
            );
            assert!(existing(&mut c, "v:", &volatile).is_empty(), "{policy}");
            assert_eq!(existing(&mut c, "p:", &persistent).len(), 300, "{policy}");
            assert_eq!(existing(&mut c, "q:", &more).len(), more.len(), "{policy}");
        });
    }
}

#[test]
fn volatile_ttl_evicts_the_nearest_deadlines() {
    on_both(&[], |srv| {
        let mut c = srv.conn();
        limit_above_used(&mut c, 2 << 20, "volatile-ttl");
        let ok = fill(&mut c, "v:", 0..3000, Some(10_000));
        assert_eq!(ok.len(), 3000);
        let near: Vec<usize> = (0..500).collect();
        let far: Vec<usize> = (2500..3000).collect();
        let near_left = existing(&mut c, "v:", &near).len();
        let far_left = existing(&mut c, "v:", &far).len();
        assert!(near_left < 100, "{near_left} of the nearest deadlines left");
        assert!(far_left > 475, "{far_left} of the farthest deadlines left");
    });
}

/// Keys read after the others were written, once the access clock moved
/// on, survive the evictions that follow.
#[test]
fn lru_and_lfu_keep_the_keys_being_read() {
    for policy in ["allkeys-lru", "allkeys-lfu", "volatile-lru", "volatile-lfu"] {
        on_both(&[], |srv| {
            let mut c = srv.conn();
            limit_above_used(&mut c, 2 << 20, policy);
            let ttl = policy.starts_with("volatile").then_some(10_000);
            let ok = fill(&mut c, "k:", 0..1200, ttl);
            assert_eq!(ok.len(), 1200);
            assert_eq!(info_u64(&mut c, "stats", "evicted_keys"), 0);
            // The LRU clock ticks in seconds.
            std::thread::sleep(Duration::from_millis(2100));
            let hot: Vec<usize> = (0..100).collect();
            for _ in 0..20 {
                for &i in &hot {
                    c.cmd(&["GET", &format!("k:{i}")]);
                }
                for _ in &hot {
                    c.read_reply();
                }
            }
            let more = fill(&mut c, "n:", 0..1200, ttl);
            assert_eq!(more.len(), 1200);
            assert!(info_u64(&mut c, "stats", "evicted_keys") > 300, "{policy}");
            // Approximate LRU/LFU (5 samples, a clock in seconds) may take
            // a few read keys once the unread ones run low, on Redis too:
            // what must hold is that reads protect keys, by a wide margin.
            let hot_left = existing(&mut c, "k:", &hot).len();
            let cold: Vec<usize> = (100..1200).collect();
            let cold_left = existing(&mut c, "k:", &cold).len();
            assert!(
                hot_left >= 80 && hot_left * cold.len() >= (cold_left + cold.len() / 5) * 100,
                "{policy}: {hot_left} of 100 read keys left, {cold_left} of {} unread",
                cold.len()
            );
        });
    }
}

#[test]
fn evictions_raise_the_evicted_event() {
    on_both(&[], |srv| {
        let mut c = srv.conn();
        c.call(&["CONFIG", "SET", "notify-keyspace-events", "Ee"]);
        let mut sub = srv.conn();
        sub.call(&["SUBSCRIBE", "__keyevent@0__:evicted"]);
        limit_above_used(&mut c, 1 << 20, "allkeys-random");
        fill(&mut c, "k:", 0..2000, None);
        let evicted = info_u64(&mut c, "stats", "evicted_keys");
        assert!(evicted > 0);
        for _ in 0..evicted {
            match sub.read_parsed() {
                Reply::Array(items) => {
                    assert_eq!(items.len(), 3);
                    assert_eq!(items[1], Reply::Bulk(b"__keyevent@0__:evicted".to_vec()));
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    });
}

/// The keys evicted reach the AOF as `DEL`, or `UNLINK` under
/// `lazyfree-lazy-eviction`, and a limit lowered by CONFIG SET evicts at once.
#[test]
fn evictions_are_propagated() {
    for (lazy, verb) in [("no", "DEL"), ("yes", "UNLINK")] {
        let args = ["--appendonly", "yes", "--lazyfree-lazy-eviction", lazy];
        on_both(&args, |srv| {
            let mut c = srv.conn();
            let ok = fill(&mut c, "k:", 0..2000, None);
            assert_eq!(ok.len(), 2000);
            let used = info_u64(&mut c, "memory", "used_memory");
            c.call(&["CONFIG", "SET", "maxmemory-policy", "allkeys-random"]);
            let limit = (used - (1 << 20)).to_string();
            assert_eq!(c.call(&["CONFIG", "SET", "maxmemory", &limit]), b"+OK\r\n");
            // Redis bounds the eviction a CONFIG SET does by time and goes
            // on from a timer, so on a busy machine it may have done little.
            let evicted = info_u64(&mut c, "stats", "evicted_keys");
            assert!(evicted > 0, "nothing evicted by CONFIG SET");
            let path = srv.dir().join("appendonlydir/appendonly.aof.1.incr.aof");
            // Eviction may go on over the next turns of the loop (tenacity).
            let (mut deletions, mut evicted) = (0, 0);
            let found = wait_until(Duration::from_secs(5), || {
                evicted = info_u64(&mut c, "stats", "evicted_keys");
                let text = std::fs::read(&path).unwrap_or_default();
                let text = String::from_utf8_lossy(&text);
                deletions = text.matches(&format!("\r\n{verb}\r\n$")).count() as u64;
                deletions == evicted
            });
            assert!(
                found,
                "{deletions} {verb} in the AOF for {evicted} evictions"
            );
            // Each deletion stands alone, not in a MULTI with CONFIG SET's call.
            let text = std::fs::read(&path).unwrap_or_default();
            assert!(!String::from_utf8_lossy(&text).contains("\r\nMULTI\r\n"));
            assert!(info_u64(&mut c, "memory", "used_memory") <= used - (1 << 20) + 40_000);
        });
    }
}

/// A client tracking keys hears of their eviction.
#[test]
fn evictions_invalidate_tracked_keys() {
    on_both(&[], |srv| {
        let mut reader = srv.conn();
        reader.call(&["HELLO", "3"]);
        assert_eq!(reader.call(&["CLIENT", "TRACKING", "ON"]), b"+OK\r\n");
        let mut c = srv.conn();
        let ok = fill(&mut c, "k:", 0..500, None);
        for &i in &ok {
            reader.call(&["GET", &format!("k:{i}")]);
        }
        limit_above_used(&mut c, 1 << 20, "allkeys-random");
        fill(&mut c, "n:", 0..2000, None);
        // Redis may go on evicting from a timer after the last write; the
        // count is taken once it has settled.
        let mut gone = 500 - existing(&mut c, "k:", &ok).len();
        loop {
            std::thread::sleep(std::time::Duration::from_millis(50));
            let now = 500 - existing(&mut c, "k:", &ok).len();
            if now == gone {
                break;
            }
            gone = now;
        }
        assert!(gone > 0);
        reader.cmd(&["PING"]);
        let mut invalidated = 0;
        loop {
            match reader.read_parsed() {
                Reply::Push(items) => {
                    assert_eq!(items[0], Reply::Bulk(b"invalidate".to_vec()));
                    if let Some(Reply::Array(keys)) = items.get(1) {
                        invalidated += keys.len();
                    }
                }
                Reply::Simple(s) if s == "PONG" => break,
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(invalidated, gone);
    });
}

/// Time over the limit is counted while it lasts and summed once memory is
/// back under it, which only an eviction check notices (a limit of 0 stops
/// checking, so the spell goes on, as in Redis).
#[test]
fn time_over_the_limit_is_counted() {
    on_both(&[], |srv| {
        let mut c = srv.conn();
        c.call(&["CONFIG", "SET", "maxmemory", "1"]);
        std::thread::sleep(Duration::from_millis(300));
        assert!(info_u64(&mut c, "stats", "current_eviction_exceeded_time") >= 250);
        c.call(&["CONFIG", "SET", "maxmemory", "0"]);
        std::thread::sleep(Duration::from_millis(100));
        assert!(info_u64(&mut c, "stats", "current_eviction_exceeded_time") >= 350);
        c.call(&["CONFIG", "SET", "maxmemory", "1gb"]);
        assert_eq!(
            info_u64(&mut c, "stats", "current_eviction_exceeded_time"),
            0
        );
        let total = info_u64(&mut c, "stats", "total_eviction_exceeded_time");
        assert!((350..2000).contains(&total), "{total}");
        c.call(&["CONFIG", "RESETSTAT"]);
        assert_eq!(info_u64(&mut c, "stats", "total_eviction_exceeded_time"), 0);
        c.call(&["CONFIG", "SET", "maxmemory", "1"]);
        std::thread::sleep(Duration::from_millis(100));
        c.call(&["CONFIG", "RESETSTAT"]);
        assert_eq!(
            info_u64(&mut c, "stats", "current_eviction_exceeded_time"),
            0
        );
        c.call(&["CONFIG", "SET", "maxmemory", "0"]);
    });
}

/// A limit under 1 MB at start-up is warned about, as Redis does.
#[test]
fn tiny_limit_is_warned_about() {
    on_both(&["--maxmemory", "1000"], |srv| {
        srv.conn().call(&["PING"]);
        assert!(srv.log().contains(
            "WARNING: You specified a maxmemory value that is less than 1MB (current value is 1000 bytes). Are you sure this is what you really want?"
        ));
    });
}

/// With no time to spare (tenacity 0: 16 keys per call) eviction goes on
/// over the loop's next turns without any command asking.
#[test]
fn eviction_goes_on_between_commands() {
    on_both(&["--maxmemory-eviction-tenacity", "0"], |srv| {
        let mut c = srv.conn();
        fill(&mut c, "k:", 0..3000, None);
        let used = info_u64(&mut c, "memory", "used_memory");
        c.call(&["CONFIG", "SET", "maxmemory-policy", "allkeys-random"]);
        let limit = used - (2 << 20);
        c.call(&["CONFIG", "SET", "maxmemory", &limit.to_string()]);
        std::thread::sleep(Duration::from_millis(500));
        assert!(info_u64(&mut c, "stats", "evicted_keys") > 1000);
        assert!(info_u64(&mut c, "memory", "used_memory") <= limit + 40_000);
    });
}
