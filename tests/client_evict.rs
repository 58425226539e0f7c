//! `maxmemory-clients` against redis-server 7.0: a connection whose
//! buffers push all connections over the limit is closed unless it is
//! `CLIENT NO-EVICT on`, by bytes and by a percentage of maxmemory, with
//! `evicted_clients` counting and flag `e` shown.

use std::time::Duration;

use crate::util::keyspace::{info_field, wait_until};
use crate::util::*;

/// A SET whose 3 MB value is announced and 1.5 MB of it sent: the query
/// buffer holds it while the rest is awaited.
fn half_a_big_set(c: &mut Conn) {
    let mut bytes = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3000000\r\n".to_vec();
    bytes.extend(std::iter::repeat_n(b'x', 1_500_000));
    // A client the server evicts while the bytes are still arriving sees
    // its write reset; whether it was evicted is checked afterwards.
    let _ = c.try_send_raw(&bytes);
}

fn evicted(admin: &mut Conn, want: &str) -> String {
    // Eviction runs as the server notices the buffer: poll briefly.
    wait_until(Duration::from_secs(3), || {
        info_field(admin, "stats", "evicted_clients").as_deref() == Some(want)
    });
    info_field(admin, "stats", "evicted_clients").unwrap_or_default()
}

#[test]
fn clients_over_the_limit_are_evicted() {
    let mut pair = Pair::start();
    pair.scenario("maxmemory-clients", |srv, t| {
        let mut admin = srv.conn();
        t.call(&mut admin, &["CLIENT", "NO-EVICT", "on"]);
        t.call(&mut admin, &["CONFIG", "SET", "maxmemory-clients", "1mb"]);
        t.call(&mut admin, &["CONFIG", "GET", "maxmemory-clients"]);

        let mut a = srv.conn();
        half_a_big_set(&mut a);
        t.note("evicted_clients", evicted(&mut admin, "1"));
        t.note("a closed", a.close_state(Duration::from_secs(2)));

        let mut b = srv.conn();
        t.call(&mut b, &["CLIENT", "NO-EVICT", "on"]);
        t.call_masked(&mut b, Mask::Fields(CLIENT_VOLATILE), &["CLIENT", "INFO"]);
        half_a_big_set(&mut b);
        t.call(&mut admin, &["PING"]);
        t.note("b open", b.close_state(Duration::from_millis(300)));
        t.note("evicted_clients", evicted(&mut admin, "1"));
        drop(b);

        // A percentage of maxmemory; off while maxmemory is 0.
        t.call(&mut admin, &["CONFIG", "SET", "maxmemory-clients", "10%"]);
        let mut c = srv.conn();
        half_a_big_set(&mut c);
        t.call(&mut admin, &["PING"]);
        t.note("c open", c.close_state(Duration::from_millis(300)));
        t.call(&mut admin, &["CONFIG", "SET", "maxmemory", "10mb"]);
        t.note("evicted_clients", evicted(&mut admin, "2"));
        t.note("c closed", c.close_state(Duration::from_secs(2)));

        t.call(&mut admin, &["CONFIG", "SET", "maxmemory-clients", "0"]);
        let mut d = srv.conn();
        half_a_big_set(&mut d);
        t.call(&mut admin, &["PING"]);
        t.note("d open", d.close_state(Duration::from_millis(300)));
        t.call(&mut admin, &["CONFIG", "RESETSTAT"]);
        t.note("after resetstat", evicted(&mut admin, "0"));
    });
}
