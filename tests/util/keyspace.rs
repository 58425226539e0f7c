//! Helpers for tests of the keyspace: masks for replies that depend on the
//! clock (TTLs, DEBUG OBJECT), a full SCAN, INFO fields, and bounded polling.

use super::conn::Conn;
use super::diff::{canon, Mask};
use super::resp::Reply;
use std::time::{Duration, Instant};

/// TTL/PTTL/EXPIRETIME replies: negative values (-1 no expiry, -2 no key)
/// and errors exactly; a positive value only by order of magnitude, because
/// it counts down between the two servers. The 5% slack means a TTL set to a
/// power of ten (100 s, 100000 ms) keeps its bucket while it counts down, so
/// tests should use such values.
pub const TTL: Mask = Mask::Custom(ttl_bucket);

fn ttl_bucket(r: &Reply) -> String {
    match r {
        Reply::Int(i) if *i > 0 => format!(":~1e{}", (*i as f64 * 1.05).log10().floor()),
        other => canon(other),
    }
}

/// DEBUG OBJECT: the address and the LRU clock fields vary; everything else
/// (refcount, encoding, serializedlength, ...) must match.
pub const DEBUG_OBJECT: Mask = Mask::Custom(debug_object);

fn debug_object(r: &Reply) -> String {
    match r {
        Reply::Simple(s) => s
            .split(' ')
            .map(|tok| match tok.split_once(':') {
                Some((k @ ("at" | "lru" | "lru_seconds_idle"), _)) => format!("{k}:*"),
                _ => tok.to_string(),
            })
            .collect::<Vec<_>>()
            .join(" "),
        other => canon(other),
    }
}

/// Every key a full SCAN iteration returns (with `extra` options such as
/// MATCH or TYPE), sorted and deduplicated: cursors and order are the
/// server's business, the set is not.
pub fn scan_all(conn: &mut Conn, extra: &[&str]) -> Vec<Vec<u8>> {
    let mut keys = Vec::new();
    let mut cursor = "0".to_string();
    for _ in 0..100_000 {
        let mut args = vec!["SCAN", cursor.as_str()];
        args.extend_from_slice(extra);
        let reply = conn.call_parsed(&args);
        let [next, batch] = reply.items() else {
            panic!("SCAN replied {reply:?}");
        };
        keys.extend(batch.items().iter().map(|k| k.bytes().unwrap().to_vec()));
        cursor = next.text();
        if cursor == "0" {
            keys.sort();
            keys.dedup();
            return keys;
        }
    }
    panic!("SCAN did not finish in 100000 calls");
}

/// The value of `field` in `INFO section`, if present.
pub fn info_field(conn: &mut Conn, section: &str, field: &str) -> Option<String> {
    let text = conn.call_parsed(&["INFO", section]).text();
    text.lines().find_map(|line| {
        line.strip_prefix(field)
            .and_then(|rest| rest.strip_prefix(':'))
            .map(|v| v.trim().to_string())
    })
}

/// Polls `check` every few ms until it returns true or `limit` passes;
/// returns whether it succeeded. For waiting on expiry without long sleeps.
pub fn wait_until(limit: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if check() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Like [`case`](super::diff::case), but TTL and PTTL replies go through the
/// [`TTL`] mask: they count down while the two servers run the case.
pub fn timed_case(name: &str, cmds: &[&[&str]]) -> super::diff::Case {
    cmds.iter().fold(super::diff::Case::new(name), |c, args| {
        let timed = args
            .first()
            .is_some_and(|c| c.eq_ignore_ascii_case("TTL") || c.eq_ignore_ascii_case("PTTL"));
        c.masked(if timed { TTL } else { Mask::Exact }, args)
    })
}
