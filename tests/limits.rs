//! Memory bounds under hostile or careless clients: a declared but never
//! sent big bulk, a query buffer past `client-query-buffer-limit`, and
//! replies that a client does not read past `client-output-buffer-limit`
//! (hard and soft). Each runs on real Redis first, then on ferrodis: the
//! server's RSS (from `/proc`) stays bounded, the offending client is
//! dropped where Redis drops it, and everyone else's PING still answers.

use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;

use crate::util::keyspace::wait_until;
use crate::util::*;

/// Headroom a flood may add to the server's RSS: far below what the
/// floods below would cost if their sizes were honoured (hundreds of MB).
const RSS_BOUND_KB: u64 = 48 * 1024;

/// Resident memory of a process, in KB.
fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

/// A socket with a small receive buffer, so replies pile up in the server.
fn unread_socket(port: u16) -> TcpStream {
    let sock =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
    sock.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    sock.connect(&addr.into()).expect("connect");
    sock.into()
}

fn assert_serving(server: &Server) {
    let mut c = server.conn();
    assert_eq!(
        c.call(&["PING"]),
        b"+PONG\r\n",
        "other clients are still served"
    );
}

/// Number of clients `CLIENT LIST` shows.
fn client_count(conn: &mut Conn) -> usize {
    conn.call_parsed(&["CLIENT", "LIST"]).text().lines().count()
}

#[test]
fn declared_big_bulks_reserve_nothing() {
    on_both(&[], |server| {
        let before = rss_kb(server.pid());
        // Each connection announces a 512 MB value, then sends two bytes of
        // it: the read after the announcement is where room would be made.
        let mut floods: Vec<Conn> = (0..8)
            .map(|_| {
                let mut c = server.conn();
                c.send_raw(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$536870912\r\n");
                c
            })
            .collect();
        assert_serving(server);
        for c in &mut floods {
            c.send_raw(b"ab");
        }
        // Watched for a while: filling a reservation takes time.
        let mut grown = 0;
        for _ in 0..15 {
            std::thread::sleep(Duration::from_millis(100));
            assert_serving(server);
            grown = grown.max(rss_kb(server.pid()).saturating_sub(before));
            assert!(grown < RSS_BOUND_KB, "RSS grew by {grown} KB");
        }
        eprintln!(
            "{}: RSS +{grown} KB for 8 declared 512 MB bulks",
            server.flavor.name()
        );
        drop(floods);
    });
}

#[test]
fn query_buffer_limit_closes_the_client() {
    on_both(&["--client-query-buffer-limit", "1mb"], |server| {
        let before = rss_kb(server.pid());
        let mut c = server.conn();
        c.send_raw(b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$4194304\r\n");
        let chunk = vec![b'v'; 64 * 1024];
        // The server may hang up part way: later writes then fail, as intended.
        for _ in 0..32 {
            if c.try_send_raw(&chunk).is_err() {
                break;
            }
        }
        c.assert_closed();
        assert_serving(server);
        let grown = rss_kb(server.pid()).saturating_sub(before);
        eprintln!(
            "{}: RSS +{grown} KB past the 1 MB query limit",
            server.flavor.name()
        );
        assert!(grown < RSS_BOUND_KB, "RSS grew by {grown} KB");
        assert!(server
            .log()
            .contains("Closing client that reached max query buffer length"));
    });
}

#[test]
fn output_hard_limit_drops_a_client_that_does_not_read() {
    on_both(
        &["--client-output-buffer-limit", "normal 1mb 1mb 0"],
        |server| {
            let mut admin = server.conn();
            let value = vec![b'x'; 1 << 20];
            admin.cmd(&[&b"SET"[..], b"big", &value]);
            assert_eq!(admin.read_reply(), b"+OK\r\n");
            let before = rss_kb(server.pid());
            let mut reader = unread_socket(server.port);
            reader
                .write_all(&b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n".repeat(300))
                .expect("send");
            let mut reader = Conn::from_tcp(reader);
            assert_eq!(
                reader.closed(),
                CloseState::Closed,
                "dropped before any reply"
            );
            assert_serving(server);
            let grown = rss_kb(server.pid()).saturating_sub(before);
            eprintln!(
                "{}: RSS +{grown} KB for 300 unread 1 MB replies",
                server.flavor.name()
            );
            assert!(grown < RSS_BOUND_KB, "RSS grew by {grown} KB");
            assert_eq!(client_count(&mut admin), 1);
            let log = server.log();
            let line = log
                .lines()
                .find(|l| l.contains("for overcoming of output buffer limits"))
                .expect("the limit is logged");
            assert!(line.contains(" # Client id="), "{line}");
            assert!(line.contains(" cmd=get "), "{line}");
            assert!(line
                .ends_with("scheduled to be closed ASAP for overcoming of output buffer limits."));
        },
    );
}

#[test]
fn output_soft_limit_waits_for_its_seconds() {
    on_both(
        &["--client-output-buffer-limit", "normal 0 256kb 2"],
        |server| {
            let mut admin = server.conn();
            let value = vec![b'x'; 512 << 10];
            admin.cmd(&[&b"SET"[..], b"big", &value]);
            assert_eq!(admin.read_reply(), b"+OK\r\n");
            let mut reader = unread_socket(server.port);
            reader
                .write_all(&b"*2\r\n$3\r\nGET\r\n$3\r\nbig\r\n".repeat(8))
                .expect("send");
            // Over the soft limit, but not yet for more than its seconds
            // (two, so this holds on a loaded machine too).
            assert!(wait_until(Duration::from_secs(2), || {
                admin
                    .call_parsed(&["CLIENT", "LIST"])
                    .text()
                    .contains("cmd=get")
            }));
            assert_eq!(client_count(&mut admin), 2, "not closed at once");
            // No further reply is added: the timed sweep closes it.
            assert!(
                wait_until(Duration::from_secs(6), || client_count(&mut admin) == 1),
                "closed once over the soft limit for more than its seconds"
            );
            drop(reader);
        },
    );
}
