//! Growing the keyspace to 10 million keys, timing every insert: the slowest
//! single insert shows whether any resize stalls the server. The same run
//! on `std::collections::HashMap`, which rehashes everything at once when it
//! grows, shows what a stall looks like.
//!
//! Run with `cargo bench --bench growth` (KEYS=n to change the count).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use ferrodis::storage::db::Db;
use ferrodis::storage::value::{Str, Value};

/// Times `insert(i)` for every i, returning (total, slowest, 99.99th percentile).
fn time_inserts(n: usize, mut insert: impl FnMut(usize)) -> (Duration, Duration, Duration) {
    let mut samples = Vec::with_capacity(n);
    let start = Instant::now();
    for i in 0..n {
        let t = Instant::now();
        insert(i);
        samples.push(t.elapsed());
    }
    let total = start.elapsed();
    samples.sort_unstable();
    let worst = samples.last().copied().unwrap_or_default();
    let p9999 = samples[(n * 9999 / 10000).min(n.saturating_sub(1))];
    (total, worst, p9999)
}

fn main() {
    let n: usize = std::env::var("KEYS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000_000);
    let key = |i: usize| format!("key:{i:010}");
    let value = || Value::Str(Str::from_bytes(b"0123456789abcdef"));

    let mut db = Db::new();
    let (total, worst, p9999) = time_inserts(n, |i| {
        db.upsert(key(i).as_bytes(), value(), false, 0, 0);
    });
    println!("ferrodis Db:    {n} inserts in {total:?}, slowest {worst:?}, p99.99 {p9999:?}");
    drop(db);

    let mut map: HashMap<Vec<u8>, Value> = HashMap::new();
    let (total, worst, p9999) = time_inserts(n, |i| {
        map.insert(key(i).into_bytes(), value());
    });
    println!("std HashMap:    {n} inserts in {total:?}, slowest {worst:?}, p99.99 {p9999:?}");
}
