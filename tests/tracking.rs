//! Client-side caching over several connections, each scenario run on
//! real Redis and on ferrodis with every frame each connection receives
//! compared: invalidation pushes in RESP3 (before or after the writer's own
//! reply), RESP2 redirect targets subscribed to `__redis__:invalidate`,
//! broken redirects, BCAST prefixes and NOLOOP, OPTIN/OPTOUT with
//! `CLIENT CACHING`, flushes, expiry, `tracking-table-max-keys` eviction,
//! every argument error, `CLIENT TRACKINGINFO`/`GETREDIR`/`LIST` and the
//! INFO fields.

use std::time::Duration;

use crate::pubsub::{call_n, nothing_more, read_n};
use crate::util::keyspace::{info_field, wait_until};
use crate::util::*;

/// A connection speaking RESP3.
fn resp3(srv: &Server) -> Conn {
    let mut c = srv.conn();
    c.call(&["HELLO", "3"]);
    c
}

/// A connection's client id, as text for REDIRECT.
fn id_of(c: &mut Conn) -> String {
    c.call_parsed(&["CLIENT", "ID"])
        .int()
        .expect("CLIENT ID")
        .to_string()
}

/// Records a reply with the client id `id` (which differs between the
/// servers) written as `<id>` wherever it is an integer or a bulk.
fn call_with_id(t: &mut Transcript, c: &mut Conn, id: &str, args: &[&str]) {
    let raw = c.call(args);
    let text = String::from_utf8_lossy(&raw)
        .replace(&format!(":{id}\r\n"), ":<id>\r\n")
        .replace(&format!("redir={id} "), "redir=<id> ");
    t.reply(&args.join(" "), Mask::Exact, text.as_bytes());
}

/// The `flags=` field of every CLIENT LIST line, in id order.
fn list_flags(c: &mut Conn) -> Vec<String> {
    c.call_parsed(&["CLIENT", "LIST"])
        .text()
        .lines()
        .filter_map(|l| l.split(' ').find(|f| f.starts_with("flags=")))
        .map(str::to_string)
        .collect()
}

/// The tracking fields of INFO.
fn tracking_info(t: &mut Transcript, c: &mut Conn) {
    for (section, field) in [
        ("clients", "tracking_clients"),
        ("stats", "tracking_total_keys"),
        ("stats", "tracking_total_items"),
        ("stats", "tracking_total_prefixes"),
    ] {
        t.note(field, info_field(c, section, field));
    }
}

#[test]
fn default_mode_in_resp3() {
    let mut pair = Pair::start();
    pair.scenario("reads are invalidated once by another's write", |srv, t| {
        let mut a = resp3(srv);
        let mut w = srv.conn();
        t.call(&mut a, &["CLIENT", "TRACKING", "ON"]);
        t.call(&mut a, &["GET", "k"]);
        t.call(&mut w, &["SET", "k", "1"]);
        read_n(t, &mut a, "push", 1);
        t.call(&mut w, &["SET", "k", "2"]);
        nothing_more(t, &mut a, "not read again");
        t.call(&mut a, &["MGET", "k", "j", "k"]);
        t.call(&mut a, &["HGETALL", "h"]);
        t.call(&mut a, &["LRANGE", "k", "0", "-1"]);
        tracking_info(t, &mut w);
        t.call(&mut w, &["DEL", "k", "j"]);
        read_n(t, &mut a, "pushes", 2);
        t.call(&mut w, &["HSET", "h", "f", "v"]);
        read_n(t, &mut a, "hash push", 1);
        t.call(&mut w, &["SET", "unread", "v"]);
        nothing_more(t, &mut a, "unread key");
        t.note("flags", list_flags(&mut w));
        tracking_info(t, &mut w);
    });
    pair.scenario(
        "the writer's own invalidation follows its reply",
        |srv, t| {
            let mut a = resp3(srv);
            t.call(&mut a, &["CLIENT", "TRACKING", "ON"]);
            t.call(&mut a, &["GET", "own"]);
            call_n(t, &mut a, &["SET", "own", "1"], 2);
            t.call(&mut a, &["GET", "own"]);
            call_n(t, &mut a, &["APPEND", "own", "x"], 2);
            t.call(&mut a, &["CLIENT", "TRACKING", "ON", "NOLOOP"]);
            t.call(&mut a, &["GET", "own"]);
            t.call(&mut a, &["SET", "own", "2"]);
            nothing_more(t, &mut a, "noloop");
            t.call(&mut a, &["GET", "own"]);
            t.call(&mut a, &["CLIENT", "TRACKING", "OFF"]);
            let mut w = srv.conn();
            t.call(&mut w, &["SET", "own", "3"]);
            nothing_more(t, &mut a, "tracking off");
            tracking_info(t, &mut w);
        },
    );
}

#[test]
fn pushes_pass_client_reply_off() {
    let mut pair = Pair::start();
    pair.scenario("invalidations with replies off", |srv, t| {
        let mut a = resp3(srv);
        let mut w = srv.conn();
        t.call(&mut a, &["CLIENT", "TRACKING", "ON"]);
        t.call(&mut a, &["GET", "k"]);
        a.cmd(&["CLIENT", "REPLY", "OFF"]);
        t.call(&mut w, &["SET", "k", "1"]);
        read_n(t, &mut a, "another's write", 1);
        a.cmd(&["GET", "k"]);
        a.cmd(&["SET", "k", "2"]);
        read_n(t, &mut a, "its own write", 1);
        t.call(&mut a, &["CLIENT", "REPLY", "ON"]);
    });
}

#[test]
fn redirection() {
    let mut pair = Pair::start();
    pair.scenario("to a RESP2 subscriber of __redis__:invalidate", |srv, t| {
        let mut r = srv.conn();
        let rid = id_of(&mut r);
        t.call(&mut r, &["SUBSCRIBE", "__redis__:invalidate"]);
        let mut a = srv.conn();
        let mut w = srv.conn();
        t.call(&mut a, &["CLIENT", "TRACKING", "ON", "REDIRECT", &rid]);
        call_with_id(t, &mut a, &rid, &["CLIENT", "GETREDIR"]);
        call_with_id(t, &mut a, &rid, &["CLIENT", "TRACKINGINFO"]);
        t.call(&mut a, &["GET", "k"]);
        t.call(&mut w, &["SET", "k", "1"]);
        read_n(t, &mut r, "message", 1);
        nothing_more(t, &mut a, "tracker");
        t.call(&mut a, &["GET", "k"]);
        t.call(&mut w, &["FLUSHALL"]);
        read_n(t, &mut r, "flush", 1);
        t.call(&mut r, &["UNSUBSCRIBE"]);
        t.call(&mut r, &["SUBSCRIBE", "other"]);
        t.call(&mut a, &["GET", "k"]);
        t.call(&mut w, &["SET", "k", "2"]);
        read_n(t, &mut r, "any subscription will do", 1);
        t.call(&mut r, &["UNSUBSCRIBE"]);
        t.call(&mut a, &["GET", "k"]);
        t.call(&mut w, &["SET", "k", "3"]);
        nothing_more(t, &mut r, "not subscribed");
        r.call(&["QUIT"]);
        t.call(&mut w, &["PING"]);
        t.call(&mut a, &["GET", "k"]);
        t.call(&mut w, &["SET", "k", "4"]);
        nothing_more(t, &mut a, "broken, RESP2");
        call_with_id(t, &mut a, &rid, &["CLIENT", "TRACKINGINFO"]);
        t.note("flags", list_flags(&mut w));
    });
    pair.scenario("to the RESP3 client that writes", |srv, t| {
        let mut r = resp3(srv);
        let rid = id_of(&mut r);
        let mut a = srv.conn();
        t.call(&mut a, &["CLIENT", "TRACKING", "ON", "REDIRECT", &rid]);
        t.call(&mut a, &["GET", "k"]);
        call_n(t, &mut r, &["SET", "k", "1"], 2);
        t.call(&mut a, &["GET", "k"]);
        call_n(t, &mut r, &["FLUSHDB"], 2);
        t.call(&mut a, &["GET", "k"]);
        t.call(&mut r, &["SWAPDB", "0", "1"]);
        nothing_more(t, &mut r, "swapdb");
    });
    pair.scenario("a RESP3 tracker whose target left", |srv, t| {
        let mut r = srv.conn();
        let rid = id_of(&mut r);
        let mut a = resp3(srv);
        let mut w = srv.conn();
        t.call(&mut a, &["CLIENT", "TRACKING", "ON", "REDIRECT", &rid]);
        t.call(&mut a, &["GET", "k"]);
        r.call(&["QUIT"]);
        t.call(&mut w, &["PING"]);
        t.call(&mut w, &["SET", "k", "1"]);
        let raw = a.read_reply();
        let text = String::from_utf8_lossy(&raw).replace(&format!(":{rid}\r\n"), ":<id>\r\n");
        t.reply("redirect broken", Mask::Exact, text.as_bytes());
        call_with_id(t, &mut a, &rid, &["CLIENT", "TRACKINGINFO"]);
        t.note("flags", list_flags(&mut w));
    });
}

#[test]
fn bcast_prefixes() {
    let mut pair = Pair::start();
    pair.scenario("broadcast per prefix, batched, NOLOOP", |srv, t| {
        let mut a = resp3(srv);
        let mut w = srv.conn();
        t.call(
            &mut a,
            &[
                "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a", "PREFIX", "b",
            ],
        );
        t.call(
            &mut a,
            &["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "c"],
        );
        t.call(&mut a, &["CLIENT", "TRACKINGINFO"]);
        tracking_info(t, &mut w);
        t.call(&mut w, &["MSET", "a2", "1", "b1", "2", "a1", "3", "x", "4"]);
        read_n(t, &mut a, "per prefix", 2);
        nothing_more(t, &mut a, "x is under no prefix");
        t.call(&mut a, &["GET", "a1"]);
        nothing_more(t, &mut a, "reads change nothing");
        t.call(&mut a, &["CLIENT", "TRACKING", "ON", "BCAST", "NOLOOP"]);
        t.call(&mut a, &["CLIENT", "TRACKINGINFO"]);
        t.call(&mut a, &["SET", "a9", "own"]);
        t.call(&mut w, &["SET", "a8", "other"]);
        // The empty prefix BCAST added overlaps `a`: one message from each.
        read_n(t, &mut a, "others only", 2);
        t.note("flags", list_flags(&mut w));
        t.call(&mut a, &["CLIENT", "TRACKING", "OFF"]);
        tracking_info(t, &mut w);
    });
    pair.scenario("the empty prefix covers every key", |srv, t| {
        let mut a = resp3(srv);
        let mut w = srv.conn();
        t.call(&mut a, &["CLIENT", "TRACKING", "ON", "BCAST"]);
        t.call(&mut a, &["CLIENT", "TRACKINGINFO"]);
        t.call(&mut w, &["SET", "anything", "1"]);
        read_n(t, &mut a, "push", 1);
        t.call(&mut w, &["FLUSHALL"]);
        read_n(t, &mut a, "flush", 1);
        drop(a);
        t.call(&mut w, &["PING"]);
        tracking_info(t, &mut w);
    });
}

#[test]
fn optin_and_optout() {
    let mut pair = Pair::start();
    pair.scenario("CLIENT CACHING decides the next command", |srv, t| {
        let mut a = resp3(srv);
        let mut w = srv.conn();
        t.call(&mut a, &["CLIENT", "TRACKING", "ON", "OPTIN"]);
        t.call(&mut a, &["GET", "x"]);
        t.call(&mut a, &["CLIENT", "CACHING", "YES"]);
        t.call(&mut a, &["CLIENT", "TRACKINGINFO"]);
        t.call(&mut a, &["CLIENT", "GETNAME"]);
        t.call(&mut a, &["GET", "y"]);
        t.call(&mut a, &["CLIENT", "TRACKINGINFO"]);
        t.call(&mut a, &["GET", "z"]);
        t.call(&mut w, &["MSET", "x", "1", "y", "2", "z", "3"]);
        read_n(t, &mut a, "y only", 1);
        nothing_more(t, &mut a, "optin");
        t.call(&mut a, &["CLIENT", "CACHING", "NO"]);
        t.call(&mut a, &["CLIENT", "TRACKING", "OFF"]);
        t.call(&mut a, &["CLIENT", "TRACKING", "ON", "OPTOUT", "NOLOOP"]);
        t.call(&mut a, &["CLIENT", "CACHING", "YES"]);
        t.call(&mut a, &["CLIENT", "CACHING", "NO"]);
        t.call(&mut a, &["CLIENT", "TRACKINGINFO"]);
        t.call(&mut a, &["MGET", "x", "y"]);
        t.call(&mut a, &["GET", "z"]);
        t.call(&mut w, &["MSET", "x", "1", "y", "2", "z", "3"]);
        read_n(t, &mut a, "z only", 1);
        nothing_more(t, &mut a, "optout");
        t.call(&mut a, &["CLIENT", "TRACKING", "ON", "OPTIN"]);
        t.call(&mut a, &["CLIENT", "TRACKING", "ON"]);
        t.call(&mut a, &["CLIENT", "TRACKINGINFO"]);
    });
    pair.scenario("CLIENT CACHING holds through a transaction", |srv, t| {
        let mut a = resp3(srv);
        let mut w = srv.conn();
        t.call(&mut a, &["CLIENT", "TRACKING", "ON", "OPTIN"]);
        t.call(&mut a, &["CLIENT", "CACHING", "YES"]);
        t.call(&mut a, &["MULTI"]);
        t.call(&mut a, &["GET", "m1"]);
        t.call(&mut a, &["GET", "m2"]);
        t.call(&mut a, &["EXEC"]);
        t.call(&mut a, &["GET", "m3"]);
        t.call(&mut a, &["MULTI"]);
        t.call(&mut a, &["CLIENT", "CACHING", "YES"]);
        t.call(&mut a, &["GET", "m4"]);
        t.call(&mut a, &["EXEC"]);
        t.call(&mut a, &["CLIENT", "TRACKINGINFO"]);
        t.call(
            &mut w,
            &["MSET", "m1", "1", "m2", "2", "m3", "3", "m4", "4"],
        );
        read_n(t, &mut a, "m1, m2 and m4", 3);
        nothing_more(t, &mut a, "after the transactions");
    });
    pair.scenario("refused commands end CLIENT CACHING too", |srv, t| {
        let mut a = resp3(srv);
        t.call(&mut a, &["CLIENT", "TRACKING", "ON", "OPTIN"]);
        t.call(&mut a, &["CLIENT", "CACHING", "YES"]);
        t.call(&mut a, &["CLIENT", "GETNAME", "extra"]);
        t.call(&mut a, &["CLIENT", "TRACKINGINFO"]);
        t.call(&mut a, &["GET"]);
        t.call(&mut a, &["CLIENT", "TRACKINGINFO"]);
        t.call(&mut a, &["CLIENT", "CACHING", "YES"]);
        t.call(&mut a, &["NOSUCHCOMMAND"]);
        t.call(&mut a, &["CLIENT", "TRACKINGINFO"]);
        t.call(&mut a, &["CLIENT", "CACHING", "YES"]);
        t.call(&mut a, &["CLIENT", "NOSUCHSUB"]);
        t.call(&mut a, &["CLIENT", "TRACKINGINFO"]);
    });
}

#[test]
fn flush_expiry_and_the_key_limit() {
    let mut pair = Pair::start();
    pair.scenario("flushes send a null invalidation", |srv, t| {
        let mut a = resp3(srv);
        let mut b = resp3(srv);
        let mut w = srv.conn();
        t.call(&mut a, &["CLIENT", "TRACKING", "ON"]);
        t.call(
            &mut b,
            &["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "p"],
        );
        t.call(&mut a, &["GET", "k"]);
        tracking_info(t, &mut w);
        t.call(&mut w, &["FLUSHALL"]);
        read_n(t, &mut a, "tracker", 1);
        read_n(t, &mut b, "bcast", 1);
        tracking_info(t, &mut w);
        call_n(t, &mut a, &["FLUSHDB", "ASYNC"], 2);
        read_n(t, &mut b, "bcast", 1);
        t.call(&mut w, &["SELECT", "1"]);
        t.call(&mut a, &["GET", "k"]);
        t.call(&mut w, &["SET", "k", "in db 1"]);
        read_n(t, &mut a, "keys are shared by every db", 1);
    });
    pair.scenario("expiry invalidates, even for NOLOOP", |srv, t| {
        let mut a = resp3(srv);
        t.call(&mut a, &["CLIENT", "TRACKING", "ON", "NOLOOP"]);
        t.call(&mut a, &["SET", "e", "1", "PX", "500"]);
        t.call(&mut a, &["GET", "e"]);
        a.set_timeout(Duration::from_secs(5));
        read_n(t, &mut a, "expired", 1);
        t.call(&mut a, &["GET", "e"]);
        tracking_info(t, &mut a);
    });
    pair.scenario("tracking-table-max-keys evicts random keys", |srv, t| {
        let mut a = resp3(srv);
        // Keys earlier scenarios left tracked would make the counts random.
        t.call(&mut a, &["FLUSHALL"]);
        t.call(&mut a, &["CONFIG", "SET", "tracking-table-max-keys", "2"]);
        t.call(&mut a, &["CLIENT", "TRACKING", "ON"]);
        t.call(&mut a, &["MGET", "a", "b", "c", "d", "e"]);
        // Which keys go is random: count the messages and their keys.
        for i in 0..3 {
            let push = a.read_parsed();
            t.note(
                &format!("eviction {i}"),
                (
                    push.items().len(),
                    push.items().get(1).map(|k| k.items().len()),
                ),
            );
        }
        nothing_more(t, &mut a, "under the limit");
        tracking_info(t, &mut a);
        // Before each command the table is brought under the limit, so the
        // evictions a pipelined read caused come before the next reply...
        let mut pipeline = Vec::new();
        for args in [&["MGET", "f", "g", "h"][..], &["PING"]] {
            pipeline.extend_from_slice(&crate::util::resp::encode_cmd(args));
        }
        a.send_raw(&pipeline);
        let shapes: Vec<String> = (0..5)
            .map(|_| {
                let frame = a.read_reply();
                let kind = frame.first().copied().unwrap_or(b'?') as char;
                format!("{kind}{}", parse(&frame).map_or(0, |r| r.items().len()))
            })
            .collect();
        t.note("pipelined frames", shapes);
        // ...and the timed sweep evicts when no command follows.
        t.call(&mut a, &["MGET", "i", "j"]);
        for i in 0..2 {
            let push = a.read_parsed();
            t.note(&format!("swept {i}"), push.items().len());
        }
        nothing_more(t, &mut a, "under the limit again");
        tracking_info(t, &mut a);
        t.call(&mut a, &["CONFIG", "SET", "tracking-table-max-keys", "0"]);
    });
}

#[test]
fn errors() {
    let mut pair = Pair::start();
    pair.scenario("every argument error", |srv, t| {
        let mut a = srv.conn();
        for args in [
            &["CLIENT", "TRACKING", "ON", "PREFIX", "a"][..],
            &[
                "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a", "PREFIX", "ab",
            ],
            &[
                "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "a", "PREFIX", "a",
            ],
            &[
                "CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "", "PREFIX", "a",
            ],
            &["CLIENT", "TRACKING", "ON", "OPTIN", "OPTOUT"],
            &["CLIENT", "TRACKING", "ON", "BCAST", "OPTIN"],
            &["CLIENT", "TRACKING", "ON", "BCAST", "OPTOUT"],
            &["CLIENT", "TRACKING", "ON", "REDIRECT", "999999"],
            &["CLIENT", "TRACKING", "ON", "REDIRECT", "0"],
            &["CLIENT", "TRACKING", "ON", "REDIRECT", "-1"],
            &["CLIENT", "TRACKING", "ON", "REDIRECT", "abc"],
            &["CLIENT", "TRACKING", "OFF", "REDIRECT", "999999"],
            &["CLIENT", "TRACKING", "MAYBE", "REDIRECT", "999999"],
            &["CLIENT", "TRACKING", "ON", "REDIRECT"],
            &["CLIENT", "TRACKING", "ON", "PREFIX"],
            &["CLIENT", "TRACKING", "ON", "FOO"],
            &["CLIENT", "TRACKING", "MAYBE"],
            &["CLIENT", "TRACKING", "MAYBE", "BCAST"],
            &["CLIENT", "TRACKING"],
            &["CLIENT", "CACHING", "YES"],
            &["CLIENT", "CACHING", "MAYBE"],
            &["CLIENT", "CACHING"],
            &["CLIENT", "TRACKING", "OFF", "OPTIN", "OPTOUT"],
            &["CLIENT", "TRACKINGINFO", "x"],
            &["CLIENT", "GETREDIR", "x"],
        ] {
            t.call(&mut a, args);
        }
        let me = id_of(&mut a);
        t.call(
            &mut a,
            &["CLIENT", "TRACKING", "ON", "REDIRECT", &me, "REDIRECT", &me],
        );
        t.call(&mut a, &["CLIENT", "TRACKING", "ON", "REDIRECT", &me]);
        call_with_id(t, &mut a, &me, &["CLIENT", "TRACKINGINFO"]);
        let line = a.call_parsed(&["CLIENT", "INFO"]).text();
        let redirect_field = format!("redir={me}");
        t.note(
            "CLIENT INFO redir",
            line.split(' ').any(|f| f == redirect_field),
        );
        t.call(&mut a, &["CLIENT", "CACHING", "YES"]);
        t.call(&mut a, &["CLIENT", "CACHING", "NO"]);
        t.call(&mut a, &["CLIENT", "CACHING", "MAYBE"]);
        t.call(&mut a, &["CLIENT", "TRACKING", "ON", "BCAST"]);
        t.call(&mut a, &["CLIENT", "TRACKING", "ON", "OPTIN"]);
        t.call(&mut a, &["CLIENT", "TRACKING", "ON", "OPTOUT"]);
        t.call(&mut a, &["CLIENT", "TRACKING", "OFF"]);
        t.call(&mut a, &["CLIENT", "TRACKING", "OFF"]);
        t.call(&mut a, &["CLIENT", "GETREDIR"]);
        t.call(&mut a, &["CLIENT", "TRACKINGINFO"]);
        t.call(
            &mut a,
            &["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "q"],
        );
        t.call(&mut a, &["CLIENT", "TRACKING", "ON"]);
        t.call(
            &mut a,
            &["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "qq"],
        );
        t.call(
            &mut a,
            &["CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", "r"],
        );
        t.call(&mut a, &["CLIENT", "TRACKINGINFO"]);
        t.call(&mut a, &["CLIENT", "CACHING", "YES"]);
    });
}

/// The `redis` crate's view: a RESP3 connection with tracking reads the
/// pushes an invalidation sends, as a caching client library would.
#[test]
fn redis_crate_sees_invalidation_pushes() {
    let srv = TestServer::start();
    let url = format!("redis://127.0.0.1:{}/?protocol=resp3", srv.port);
    let client = redis::Client::open(url).expect("client");
    let mut con = client
        .get_connection_with_timeout(Duration::from_secs(5))
        .expect("connect");
    con.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let (tx, rx) = std::sync::mpsc::channel();
    con.set_push_sender(tx);
    redis::cmd("CLIENT")
        .arg("TRACKING")
        .arg("ON")
        .exec(&mut con)
        .expect("tracking on");
    let _: Option<String> = redis::cmd("GET")
        .arg("cached")
        .query(&mut con)
        .expect("get");
    let mut other = srv.conn();
    other.call(&["SET", "cached", "v"]);
    let _: String = redis::cmd("PING").query(&mut con).expect("ping");
    let push = rx
        .recv_timeout(Duration::from_secs(5))
        .expect("invalidation push");
    assert_eq!(push.kind, redis::PushKind::Invalidate);
    assert_eq!(
        push.data,
        vec![redis::Value::Array(vec![redis::Value::BulkString(
            b"cached".to_vec()
        )])]
    );
}

#[test]
fn a_tracker_past_its_output_limit_is_closed() {
    let mut pair = Pair::start();
    pair.scenario("two thousand invalidations at once", |srv, t| {
        let mut a = resp3(srv);
        let mut w = srv.conn();
        let keys: Vec<String> = (0..2000).map(|i| format!("k{i}")).collect();
        let mut mget = vec!["MGET"];
        mget.extend(keys.iter().map(String::as_str));
        t.call(&mut a, &["CLIENT", "TRACKING", "ON"]);
        t.call(&mut a, &mget);
        t.call(
            &mut w,
            &[
                "CONFIG",
                "SET",
                "client-output-buffer-limit",
                "normal 32kb 0 0",
            ],
        );
        let mut mset = vec!["MSET"];
        for k in &keys {
            mset.extend([k.as_str(), "v"]);
        }
        t.call(&mut w, &mset);
        let gone = wait_until(Duration::from_secs(5), || {
            info_field(&mut w, "clients", "tracking_clients").as_deref() == Some("0")
        });
        t.note("tracker closed", gone);
        t.note(
            "connected",
            info_field(&mut w, "clients", "connected_clients"),
        );
        t.call(
            &mut w,
            &[
                "CONFIG",
                "SET",
                "client-output-buffer-limit",
                "normal 0 0 0",
            ],
        );
    });
}

#[test]
fn keys_scripts_read_are_tracked_for_the_caller() {
    let mut pair = Pair::start();
    pair.scenario("EVAL, EVAL_RO and FCALL_RO reads", |srv, t| {
        let mut a = resp3(srv);
        let mut w = srv.conn();
        t.call(&mut a, &["CLIENT", "TRACKING", "ON"]);
        let read = "return redis.call('GET', 'undeclared')";
        t.call(&mut a, &["EVAL", read, "1", "declared"]);
        t.call(&mut a, &["EVAL_RO", "return 1", "1", "ro-declared"]);
        t.call(
            &mut a,
            &[
                "EVAL_RO",
                "return redis.call('GET', KEYS[1])",
                "1",
                "ro-read",
            ],
        );
        let lib = "#!lua name=trk\nredis.register_function{function_name='rd', \
                   callback=function(k) return redis.call('GET', k[1]) end, flags={'no-writes'}}";
        t.call(&mut w, &["FUNCTION", "LOAD", "REPLACE", lib]);
        t.call(&mut a, &["FCALL_RO", "rd", "1", "fn-read"]);
        tracking_info(t, &mut w);
        for key in [
            "declared",
            "ro-declared",
            "undeclared",
            "ro-read",
            "fn-read",
        ] {
            t.call(&mut w, &["SET", key, "v"]);
            nothing_more_or_push(t, &mut a, key);
        }
        t.call(&mut w, &["FUNCTION", "FLUSH"]);
    });
    pair.scenario("OPTIN caching applies to the script's reads", |srv, t| {
        let mut a = resp3(srv);
        let mut w = srv.conn();
        t.call(&mut a, &["CLIENT", "TRACKING", "ON", "OPTIN"]);
        t.call(
            &mut a,
            &["EVAL", "return redis.call('GET', 'not-cached')", "0"],
        );
        t.call(&mut a, &["CLIENT", "CACHING", "YES"]);
        t.call(&mut a, &["EVAL", "return redis.call('GET', 'cached')", "0"]);
        t.call(&mut a, &["EVAL", "return redis.call('GET', 'after')", "0"]);
        for key in ["not-cached", "cached", "after"] {
            t.call(&mut w, &["SET", key, "v"]);
            nothing_more_or_push(t, &mut a, key);
        }
    });
}

/// Records whatever arrived on `c` within a short wait: an invalidation
/// push or nothing.
fn nothing_more_or_push(t: &mut Transcript, c: &mut Conn, what: &str) {
    c.set_timeout(Duration::from_millis(200));
    let got = c.try_read_reply().unwrap_or_default();
    c.set_timeout(Duration::from_secs(10));
    t.reply(what, Mask::Exact, &got);
}
