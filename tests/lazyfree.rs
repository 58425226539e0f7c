//! Lazy freeing, on both servers: which deletions hand a value to the
//! freeing thread (UNLINK, FLUSH* ASYNC, and DEL, expiry, overwrites and
//! eviction under their `lazyfree-lazy-*` settings), Redis's size rule for
//! it, and the `lazyfree_pending_objects` / `lazyfreed_objects` counters.

use std::time::Duration;

use crate::util::keyspace::{info_field, wait_until};
use crate::util::*;

/// A hash kept as a table with `n` fields: freeing it costs `n` frees.
fn big_hash(c: &mut Conn, key: &str, n: usize) {
    let mut args = vec!["HSET".to_string(), key.to_string()];
    for i in 0..n {
        args.push(format!("f{i}"));
        args.push("v".to_string());
    }
    let reply = c.call_parsed(&args);
    assert!(reply.int().is_some(), "{reply:?}");
}

/// `lazyfreed_objects` once nothing is pending any more.
fn freed(c: &mut Conn) -> u64 {
    assert!(
        wait_until(Duration::from_secs(5), || {
            info_field(c, "memory", "lazyfree_pending_objects").as_deref() == Some("0")
        }),
        "objects still pending"
    );
    info_field(c, "memory", "lazyfreed_objects")
        .and_then(|v| v.parse().ok())
        .expect("lazyfreed_objects")
}

#[test]
fn what_goes_to_the_thread_matches_redis() {
    let counts = std::cell::RefCell::new(Vec::new());
    on_both(&["--enable-debug-command", "yes"], |srv| {
        let mut c = srv.conn();
        // Tables from the first field, so the sizes around the rule's
        // threshold are tables too.
        c.call(&["CONFIG", "SET", "hash-max-listpack-entries", "0"]);
        let mut seen = Vec::new();
        let mut step = |c: &mut Conn, label: &str| seen.push(format!("{label}: {}", freed(c)));
        step(&mut c, "start");
        c.call(&["SET", "small", "v"]);
        c.call(&["UNLINK", "small"]);
        step(&mut c, "small unlinked in place");
        big_hash(&mut c, "h", 64);
        c.call(&["UNLINK", "h"]);
        step(&mut c, "64 fields: in place");
        big_hash(&mut c, "h", 65);
        c.call(&["UNLINK", "h"]);
        step(&mut c, "65 fields unlinked");
        big_hash(&mut c, "h", 200);
        c.call(&["UNLINK", "h"]);
        step(&mut c, "200 fields unlinked");
        big_hash(&mut c, "h", 200);
        c.call(&["DEL", "h"]);
        step(&mut c, "DEL in place");
        c.call(&["CONFIG", "SET", "lazyfree-lazy-user-del", "yes"]);
        big_hash(&mut c, "h", 200);
        c.call(&["DEL", "h"]);
        step(&mut c, "DEL with lazy-user-del");
        c.call(&["CONFIG", "SET", "lazyfree-lazy-server-del", "yes"]);
        big_hash(&mut c, "h", 200);
        c.call(&["SET", "h", "overwritten"]);
        step(&mut c, "overwritten with lazy-server-del");
        c.call(&["CONFIG", "SET", "lazyfree-lazy-expire", "yes"]);
        c.call(&["DEL", "h"]);
        big_hash(&mut c, "h", 200);
        c.call(&["PEXPIRE", "h", "1"]);
        std::thread::sleep(Duration::from_millis(20));
        c.call(&["EXISTS", "h"]);
        step(&mut c, "expired with lazy-expire");
        c.call(&["DEBUG", "POPULATE", "100"]);
        c.call(&["FLUSHALL", "ASYNC"]);
        step(&mut c, "FLUSHALL ASYNC of 100 keys");
        c.call(&["DEBUG", "POPULATE", "10"]);
        c.call(&["FLUSHDB"]);
        step(&mut c, "FLUSHDB in place");
        c.call(&["CONFIG", "SET", "lazyfree-lazy-user-flush", "yes"]);
        c.call(&["DEBUG", "POPULATE", "10"]);
        c.call(&["FLUSHDB"]);
        step(&mut c, "FLUSHDB with lazy-user-flush");
        c.call(&["DEBUG", "POPULATE", "10"]);
        c.call(&["FLUSHDB", "SYNC"]);
        step(&mut c, "FLUSHDB SYNC");
        c.call(&["CONFIG", "RESETSTAT"]);
        step(&mut c, "after RESETSTAT");
        counts.borrow_mut().push(seen);
    });
    let counts = counts.into_inner();
    assert_eq!(counts[0], counts[1], "redis, then ferrodis");
}
