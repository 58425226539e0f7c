//! Pub/sub over several connections, each scenario run on real Redis and
//! on ferrodis with every frame each connection receives compared: the
//! subscribe and unsubscribe confirmations and their counts, delivery
//! order across channels, patterns and shard channels, the RESP2
//! subscribed context and RESP3 pushes (a client receiving what it
//! published itself), PUBSUB introspection, INFO and CLIENT LIST counts,
//! cleanup on disconnect, a subscriber that stops reading under a publish
//! flood, and the `redis` crate's PubSub end to end.

use std::io::Write;
use std::time::Duration;

use crate::util::conn::ReadError;
use crate::util::keyspace::{info_field, wait_until};
use crate::util::*;

/// Sends a command and records the `n` frames it is answered with.
pub(crate) fn call_n(t: &mut Transcript, c: &mut Conn, args: &[&str], n: usize) {
    c.cmd(args);
    read_n(t, c, &args.join(" "), n);
}

/// Records the next `n` frames a connection receives.
pub(crate) fn read_n(t: &mut Transcript, c: &mut Conn, label: &str, n: usize) {
    for i in 0..n {
        match c.try_read_reply() {
            Ok(raw) => t.reply(&format!("{label} [{i}]"), Mask::Exact, &raw),
            Err(e) => {
                t.note(label, e.to_string());
                return;
            }
        }
    }
}

/// Records whether anything more arrived on a connection.
pub(crate) fn nothing_more(t: &mut Transcript, c: &mut Conn, label: &str) {
    c.set_timeout(Duration::from_millis(150));
    let seen = match c.try_read_reply() {
        Err(ReadError::Timeout(partial)) if partial.is_empty() => "nothing".to_string(),
        Ok(raw) => escape(&raw),
        Err(e) => e.to_string(),
    };
    c.set_timeout(Duration::from_secs(10));
    t.note(&format!("{label}: nothing more"), seen);
}

#[test]
fn confirmations_and_the_resp2_subscribed_context() {
    let mut pair = Pair::start();
    pair.scenario("subscribe forms", |srv, t| {
        let mut s = srv.conn();
        call_n(t, &mut s, &["SUBSCRIBE", "a", "b"], 2);
        call_n(t, &mut s, &["SUBSCRIBE", "a"], 1);
        call_n(t, &mut s, &["PSUBSCRIBE", "p*"], 1);
        call_n(t, &mut s, &["PSUBSCRIBE", "p*", "q?"], 2);
        call_n(t, &mut s, &["SSUBSCRIBE", "s1", "s1"], 2);
        for cmd in [
            &["GET", "x"][..],
            &["CLIENT", "ID"],
            &["PUBLISH", "a", "x"],
            &["PUBSUB", "NUMPAT"],
            &["HELLO", "3"],
            &["CONFIG", "GET", "maxmemory"],
            &["SUBSCRIBE"],
            &["NOSUCHCOMMAND"],
        ] {
            t.call(&mut s, cmd);
        }
        t.call(&mut s, &["PING"]);
        t.call(&mut s, &["PING", "hi"]);
        t.call(&mut s, &["PING", "a", "b"]);
        call_n(t, &mut s, &["UNSUBSCRIBE", "x", "a"], 2);
        call_n(t, &mut s, &["UNSUBSCRIBE"], 1);
        call_n(t, &mut s, &["PUNSUBSCRIBE", "p*"], 1);
        call_n(t, &mut s, &["PUNSUBSCRIBE"], 1);
        // Only a shard channel is left: still in the subscribed context.
        t.call(&mut s, &["PING"]);
        t.call(&mut s, &["GET", "x"]);
        call_n(t, &mut s, &["SUNSUBSCRIBE"], 1);
        t.call(&mut s, &["PING"]);
        call_n(t, &mut s, &["UNSUBSCRIBE"], 1);
        call_n(t, &mut s, &["PUNSUBSCRIBE"], 1);
        call_n(t, &mut s, &["SUNSUBSCRIBE"], 1);
        call_n(t, &mut s, &["SUNSUBSCRIBE", "zz", "yy"], 2);
        call_n(t, &mut s, &["PUNSUBSCRIBE", "zz"], 1);
        t.call(&mut s, &["GET", "x"]);
        t.call(&mut s, &["PSUBSCRIBE"]);
        t.call(&mut s, &["SSUBSCRIBE"]);
        call_n(t, &mut s, &["SUBSCRIBE", "c"], 1);
        t.call(&mut s, &["QUIT"]);
        t.note("closed after QUIT", s.closed());
    });
}

#[test]
fn confirmations_and_messages_are_pushes_client_reply_does_not_silence() {
    let mut pair = Pair::start();
    pair.scenario("CLIENT REPLY OFF and SKIP", |srv, t| {
        let mut s = srv.conn();
        let mut p = srv.conn();
        s.cmd(&["CLIENT", "REPLY", "OFF"]);
        call_n(t, &mut s, &["SUBSCRIBE", "x"], 1);
        t.call(&mut p, &["PUBLISH", "x", "m"]);
        read_n(t, &mut s, "message", 1);
        s.cmd(&["PING"]);
        call_n(t, &mut s, &["UNSUBSCRIBE", "x"], 1);
        call_n(t, &mut s, &["UNSUBSCRIBE"], 1);
        s.cmd(&["CLIENT", "REPLY", "ON"]);
        t.call(&mut s, &["PING"]);
        s.cmd(&["CLIENT", "REPLY", "SKIP"]);
        call_n(t, &mut s, &["PSUBSCRIBE", "y*"], 1);
        s.cmd(&["PING"]);
        s.cmd(&["CLIENT", "REPLY", "ON"]);
        nothing_more(t, &mut s, "replies stay off in the subscribed context");
    });
}

#[test]
fn delivery_order_and_receiver_counts() {
    let mut pair = Pair::start();
    pair.scenario("channels, patterns, shard channels", |srv, t| {
        let mut p = srv.conn();
        let mut one = srv.conn();
        let mut both = srv.conn();
        let mut pat = srv.conn();
        let mut shard = srv.conn();
        call_n(t, &mut one, &["SUBSCRIBE", "news", "sport"], 2);
        call_n(t, &mut both, &["SUBSCRIBE", "news"], 1);
        call_n(t, &mut both, &["PSUBSCRIBE", "n*"], 1);
        call_n(t, &mut pat, &["PSUBSCRIBE", "n*"], 1);
        call_n(t, &mut pat, &["PSUBSCRIBE", "s[a-p]ort"], 1);
        call_n(t, &mut shard, &["SSUBSCRIBE", "news"], 1);
        t.call(&mut p, &["PUBLISH", "news", "hello"]);
        t.call(&mut p, &["PUBLISH", "sport", "goal"]);
        t.call(&mut p, &["PUBLISH", "nothing", "x"]);
        t.call(&mut p, &["PUBLISH", "none", ""]);
        t.call(&mut p, &["PUBLISH", "news", "line\r\nbreak"]);
        t.call(&mut p, &["SPUBLISH", "news", "sharded"]);
        t.call(&mut p, &["SPUBLISH", "elsewhere", "x"]);
        for i in 0..5 {
            t.call(&mut p, &["PUBLISH", "sport", &i.to_string()]);
        }
        read_n(t, &mut one, "one", 8);
        read_n(t, &mut both, "both", 6);
        read_n(t, &mut pat, "pat", 10);
        read_n(t, &mut shard, "shard", 1);
        for (name, c) in [
            ("one", &mut one),
            ("both", &mut both),
            ("pat", &mut pat),
            ("shard", &mut shard),
        ] {
            nothing_more(t, c, name);
        }
        t.call(&mut p, &["PUBLISH", "*", "glob chars"]);
        t.call(&mut p, &["PUBLISH", "n", "short"]);
        read_n(t, &mut both, "both", 1);
        read_n(t, &mut pat, "pat", 2);
        call_n(t, &mut both, &["UNSUBSCRIBE", "news"], 1);
        t.call(&mut p, &["PUBLISH", "news", "after"]);
        read_n(t, &mut both, "both after unsubscribe", 1);
        nothing_more(t, &mut both, "both");
    });
}

#[test]
fn resp3_pushes_and_publishing_to_oneself() {
    let mut pair = Pair::start();
    pair.scenario("RESP3 subscriber", |srv, t| {
        let mut s = srv.conn();
        let mut other = srv.conn();
        t.call_masked(&mut s, Mask::Pairs(&["id"]), &["HELLO", "3"]);
        call_n(t, &mut s, &["SUBSCRIBE", "a"], 1);
        call_n(t, &mut s, &["PSUBSCRIBE", "*"], 1);
        t.call(&mut s, &["GET", "x"]);
        t.call(&mut s, &["SET", "k", "v"]);
        t.call(&mut s, &["PING"]);
        // Its own message comes before the count PUBLISH replies with.
        call_n(t, &mut s, &["PUBLISH", "a", "self"], 3);
        t.call(&mut other, &["PUBLISH", "a", "from other"]);
        read_n(t, &mut s, "from other", 2);
        t.call_masked(&mut s, Mask::Fields(CLIENT_VOLATILE), &["CLIENT", "INFO"]);
        call_n(t, &mut s, &["UNSUBSCRIBE"], 1);
        call_n(t, &mut s, &["PUNSUBSCRIBE"], 1);
        call_n(t, &mut s, &["UNSUBSCRIBE"], 1);
        call_n(t, &mut s, &["SSUBSCRIBE", "sh"], 1);
        call_n(t, &mut s, &["SPUBLISH", "sh", "me"], 2);
        // Back to RESP2 while subscribed: the context applies again.
        t.call_masked(&mut s, Mask::Pairs(&["id"]), &["HELLO", "2"]);
        t.call(&mut s, &["GET", "x"]);
        t.call(&mut s, &["PING"]);
    });
}

#[test]
fn introspection_info_and_disconnect_cleanup() {
    let mut pair = Pair::start();
    pair.scenario("PUBSUB, INFO, CLIENT LIST", |srv, t| {
        let mut admin = srv.conn();
        let mut a = srv.conn();
        let mut b = srv.conn();
        call_n(t, &mut a, &["SUBSCRIBE", "ch1", "ch2", "other"], 3);
        call_n(t, &mut a, &["PSUBSCRIBE", "ch*", "x"], 2);
        call_n(t, &mut b, &["SUBSCRIBE", "ch1"], 1);
        call_n(t, &mut b, &["PSUBSCRIBE", "ch*"], 1);
        call_n(t, &mut b, &["SSUBSCRIBE", "s1", "s2"], 2);
        t.call_masked(&mut admin, Mask::Unordered, &["PUBSUB", "CHANNELS"]);
        t.call_masked(&mut admin, Mask::Unordered, &["PUBSUB", "CHANNELS", "ch*"]);
        t.call(&mut admin, &["PUBSUB", "CHANNELS", "nomatch*"]);
        t.call(&mut admin, &["PUBSUB", "NUMSUB", "ch1", "ch2", "nope"]);
        t.call(&mut admin, &["PUBSUB", "NUMSUB"]);
        t.call(&mut admin, &["PUBSUB", "NUMPAT"]);
        t.call_masked(&mut admin, Mask::Unordered, &["PUBSUB", "SHARDCHANNELS"]);
        t.call(&mut admin, &["PUBSUB", "SHARDCHANNELS", "s1"]);
        t.call(&mut admin, &["PUBSUB", "SHARDNUMSUB", "s1", "ch1"]);
        t.call(&mut admin, &["PUBSUB", "HELP"]);
        t.call(&mut admin, &["PUBSUB", "CHANNELS", "a", "b"]);
        t.call(&mut admin, &["PUBSUB", "SHARDCHANNELS", "a", "b"]);
        t.call(&mut admin, &["PUBSUB", "NUMPAT", "x"]);
        t.call(&mut admin, &["PUBSUB", "HELP", "x"]);
        t.call(&mut admin, &["PUBSUB", "nosuch"]);
        t.call(&mut admin, &["PUBSUB"]);
        t.call(&mut admin, &["PUBLISH", "a"]);
        for field in ["pubsub_channels", "pubsub_patterns", "pubsubshard_channels"] {
            t.note(field, info_field(&mut admin, "stats", field));
        }
        t.call_masked(
            &mut admin,
            Mask::Fields(CLIENT_VOLATILE),
            &["CLIENT", "LIST", "TYPE", "pubsub"],
        );
        t.call_masked(
            &mut admin,
            Mask::Fields(CLIENT_VOLATILE),
            &["CLIENT", "LIST", "TYPE", "normal"],
        );
        t.call_masked(
            &mut admin,
            Mask::Fields(CLIENT_VOLATILE),
            &["CLIENT", "LIST"],
        );
        drop(a);
        let gone = wait_until(Duration::from_secs(5), || {
            admin
                .call_parsed(&["PUBSUB", "NUMSUB", "ch2"])
                .items()
                .get(1)
                == Some(&Reply::Int(0))
        });
        t.note("a's subscriptions went with it", gone);
        t.call(&mut admin, &["PUBSUB", "NUMSUB", "ch1", "ch2", "other"]);
        t.call(&mut admin, &["PUBSUB", "NUMPAT"]);
        t.call(&mut admin, &["PUBLISH", "ch1", "m"]);
        read_n(t, &mut b, "b", 2);
        t.call(&mut admin, &["CLIENT", "KILL", "TYPE", "pubsub"]);
        t.note("killed subscriber closed", b.closed());
        let gone = wait_until(Duration::from_secs(5), || {
            info_field(&mut admin, "stats", "pubsubshard_channels").as_deref() == Some("0")
        });
        t.note("b's subscriptions went with it", gone);
        for field in ["pubsub_channels", "pubsub_patterns", "pubsubshard_channels"] {
            t.note(field, info_field(&mut admin, "stats", field));
        }
        t.call(&mut admin, &["PUBLISH", "ch1", "m"]);
    });
}

/// COMMAND INFO and DOCS as `server_cmds` compares them; shard channels
/// are declared `not_key`, so GETKEYS finds no keys.
#[test]
fn command_table_entries() {
    let mut table = Case::new("COMMAND INFO and DOCS");
    for name in [
        "subscribe",
        "unsubscribe",
        "psubscribe",
        "punsubscribe",
        "ssubscribe",
        "sunsubscribe",
        "publish",
        "spublish",
        "pubsub",
    ] {
        table = table
            .masked(crate::server_cmds::COMMAND_INFO, &["COMMAND", "INFO", name])
            .masked(crate::server_cmds::COMMAND_DOCS, &["COMMAND", "DOCS", name]);
    }
    diff(&[
        table,
        case(
            "getkeys",
            &[
                &["COMMAND", "GETKEYS", "SPUBLISH", "ch", "m"],
                &["COMMAND", "GETKEYS", "SSUBSCRIBE", "a", "b"],
                &["COMMAND", "GETKEYS", "PUBLISH", "ch", "m"],
                &["COMMAND", "GETKEYSANDFLAGS", "SUNSUBSCRIBE", "a"],
            ],
        ),
    ]);
}

/// A socket that never reads, with a small receive buffer, so published
/// messages pile up in the server.
fn unread_socket(port: u16) -> std::net::TcpStream {
    let sock =
        socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).expect("socket");
    sock.set_recv_buffer_size(4096).expect("SO_RCVBUF");
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    sock.connect(&addr.into()).expect("connect");
    sock.into()
}

/// Resident memory of a process, in KB.
fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}

#[test]
fn a_subscriber_that_stops_reading_is_dropped_at_the_pubsub_limit() {
    // The normal class is unlimited: only the pubsub class can drop it.
    on_both(
        &["--client-output-buffer-limit", "pubsub 2mb 1mb 60"],
        |server| {
            let mut admin = server.conn();
            let mut slow = unread_socket(server.port);
            slow.write_all(b"*2\r\n$9\r\nSUBSCRIBE\r\n$5\r\nflood\r\n")
                .expect("send");
            let subscribed = wait_until(Duration::from_secs(5), || {
                admin
                    .call_parsed(&["PUBSUB", "NUMSUB", "flood"])
                    .items()
                    .get(1)
                    == Some(&Reply::Int(1))
            });
            assert!(subscribed);
            let before = rss_kb(server.pid());
            let payload = vec![b'm'; 64 * 1024];
            let mut publish = Vec::new();
            for _ in 0..16 {
                publish.extend_from_slice(&resp_cmd(&[b"PUBLISH", b"flood", &payload]));
            }
            // 100 MB published in batches: the subscriber is gone long before.
            let mut receivers = Vec::new();
            for _ in 0..100 {
                admin.send_raw(&publish);
                for _ in 0..16 {
                    receivers.push(admin.read_reply());
                }
            }
            let grown = rss_kb(server.pid()).saturating_sub(before);
            eprintln!(
                "{}: RSS +{grown} KB publishing 100 MB to a subscriber that does not read",
                server.flavor.name()
            );
            assert!(grown < 48 * 1024, "RSS grew by {grown} KB");
            assert_eq!(receivers.first().map(Vec::as_slice), Some(&b":1\r\n"[..]));
            assert_eq!(receivers.last().map(Vec::as_slice), Some(&b":0\r\n"[..]));
            let dropped_after = receivers.iter().filter(|r| r == &b":1\r\n").count();
            // Delivered until its output passed 2 MB, with what the socket took.
            assert!((20..=80).contains(&dropped_after), "{dropped_after}");
            let log = server.log();
            let line = log
                .lines()
                .find(|l| l.contains("for overcoming of output buffer limits"))
                .expect("the limit is logged");
            assert!(line.contains(" flags=P "), "{line}");
            assert!(line.contains(" sub=1 psub=0 "), "{line}");
            assert!(line.contains(" cmd=subscribe "), "{line}");
            let mut slow = Conn::from_tcp(slow);
            slow.set_timeout(Duration::from_secs(5));
            assert_eq!(admin.call(&["PING"]), b"+PONG\r\n");
            assert_eq!(
                info_field(&mut admin, "stats", "pubsub_channels").as_deref(),
                Some("0")
            );
            drop(slow);
        },
    );
}

/// One command as RESP.
fn resp_cmd(args: &[&[u8]]) -> Vec<u8> {
    crate::util::resp::encode_cmd(args)
}

#[test]
fn client_library_pubsub_end_to_end() {
    on_both(&[], |server| {
        let url = format!("redis://127.0.0.1:{}/", server.port);
        let client = redis::Client::open(url.as_str()).expect("client url");
        let mut sub = client.get_connection().expect("connect");
        let mut publisher = client.get_connection().expect("connect");
        sub.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        let mut ps = sub.as_pubsub();
        ps.subscribe("lib:chan").expect("subscribe");
        ps.psubscribe("lib:pat*").expect("psubscribe");
        let counts: Vec<i64> = ["lib:chan", "lib:pattern", "lib:none"]
            .iter()
            .map(|ch| {
                redis::cmd("PUBLISH")
                    .arg(ch)
                    .arg("payload")
                    .query(&mut publisher)
                    .expect("publish")
            })
            .collect();
        assert_eq!(counts, [1, 1, 0]);
        let mut got = Vec::new();
        for _ in 0..2 {
            let msg = ps.get_message().expect("message");
            let payload: String = msg.get_payload().expect("payload");
            let pattern: Option<String> = msg.get_pattern().ok();
            got.push((msg.get_channel_name().to_string(), pattern, payload));
        }
        assert_eq!(
            got,
            [
                ("lib:chan".to_string(), None, "payload".to_string()),
                (
                    "lib:pattern".to_string(),
                    Some("lib:pat*".to_string()),
                    "payload".to_string()
                ),
            ]
        );
        ps.unsubscribe("lib:chan").expect("unsubscribe");
        ps.punsubscribe("lib:pat*").expect("punsubscribe");
        drop(ps);
        let pong: String = redis::cmd("PING").query(&mut sub).expect("ping");
        assert_eq!(pong, "PONG", "the connection left the subscribed context");
    });
}
