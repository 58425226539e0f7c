//! Connection-level commands against real Redis: PING/ECHO/QUIT, SELECT and
//! SWAPDB, HELLO and RESP3, AUTH with requirepass, RESET, every CLIENT
//! subcommand, and the server closing connections (idle `timeout`,
//! `maxclients`).

use crate::util::*;
use std::time::{Duration, Instant};

/// HELLO replies differ only in the connection id.
const HELLO: Mask = Mask::Pairs(&["id"]);
/// CLIENT LIST / CLIENT INFO lines, minus per-connection noise.
const CLIENT_FIELDS: Mask = Mask::Fields(CLIENT_VOLATILE);

#[test]
fn ping_echo() {
    diff(&[
        case(
            "ping",
            &[
                &["PING"],
                &["PING", "hello"],
                &["PING", "a", "b"],
                &["ping", ""],
            ],
        ),
        case(
            "echo",
            &[
                &["ECHO", "x"],
                &["ECHO", ""],
                &["ECHO"],
                &["ECHO", "a", "b"],
            ],
        ),
        Case::new("resp3 ping")
            .masked(HELLO, &["HELLO", "3"])
            .cmd(&["PING"])
            .cmd(&["PING", "x"]),
    ]);
}

#[test]
fn select_and_swapdb() {
    diff(&[
        case(
            "select range",
            &[
                &["SELECT", "0"],
                &["SELECT", "15"],
                &["SELECT", "16"],
                &["SELECT", "-1"],
                &["SELECT", "x"],
                &["SELECT", "1.5"],
                &["SELECT", "2147483647"],
                &["SELECT", "2147483648"],
                &["SELECT", "-2147483649"],
                &["SELECT", "99999999999999999999"],
                &["MOVE", "sel:none", "2147483648"],
                &["COPY", "sel:none", "sel:x", "DB", "2147483648"],
                &["SWAPDB", "2147483648", "0"],
                &["SELECT"],
                &["SELECT", "1", "2"],
            ],
        ),
        case(
            "databases are separate keyspaces",
            &[
                &["SELECT", "1"],
                &["SET", "sel:k", "in1"],
                &["SELECT", "0"],
                &["GET", "sel:k"],
                &["DBSIZE"],
                &["SELECT", "1"],
                &["GET", "sel:k"],
                &["DBSIZE"],
            ],
        ),
        case(
            "a new connection starts in db 0",
            &[&["GET", "sel:k"], &["DBSIZE"]],
        ),
        case(
            "swapdb",
            &[
                &["SET", "sw:k", "zero"],
                &["SELECT", "2"],
                &["SET", "sw:k", "two"],
                &["SWAPDB", "0", "2"],
                &["GET", "sw:k"],
                &["SELECT", "0"],
                &["GET", "sw:k"],
                &["SWAPDB", "0", "0"],
                &["SWAPDB", "0", "16"],
                &["SWAPDB", "a", "1"],
                &["SWAPDB", "0", "b"],
                &["SWAPDB", "-1", "0"],
                &["SWAPDB", "0"],
            ],
        ),
    ]);
}

#[test]
fn dbsize_flushdb_flushall() {
    diff(&[
        case(
            "dbsize",
            &[
                &["DBSIZE"],
                &["SET", "a", "1"],
                &["SET", "b", "2"],
                &["DBSIZE"],
                &["DBSIZE", "x"],
            ],
        ),
        case(
            "flushdb only clears the selected db",
            &[
                &["SELECT", "3"],
                &["SET", "c", "3"],
                &["SELECT", "0"],
                &["FLUSHDB"],
                &["DBSIZE"],
                &["SELECT", "3"],
                &["DBSIZE"],
            ],
        ),
        case(
            "flush modes",
            &[
                &["SET", "a", "1"],
                &["FLUSHDB", "SYNC"],
                &["SET", "a", "1"],
                &["FLUSHDB", "async"],
                &["DBSIZE"],
                &["FLUSHDB", "BAD"],
                &["FLUSHDB", "SYNC", "ASYNC"],
                &["FLUSHALL", "BAD"],
                &["FLUSHALL", "ASYNC"],
                &["FLUSHALL", "SYNC"],
                &["FLUSHALL"],
                &["SELECT", "3"],
                &["DBSIZE"],
            ],
        ),
    ]);
}

#[test]
fn hello() {
    diff(&[
        Case::new("hello with no version")
            .masked(HELLO, &["HELLO"])
            .cmd(&["GET", "missing"]),
        Case::new("hello 2").masked(HELLO, &["HELLO", "2"]),
        Case::new("hello 3 switches replies to RESP3")
            .masked(HELLO, &["HELLO", "3"])
            .cmd(&["GET", "missing"])
            .cmd(&["SET", "h:k", "v"])
            .cmd(&["GET", "h:k"])
            .masked(Mask::Shape, &["TIME"])
            .masked(
                Mask::Pairs(CONFIG_VOLATILE),
                &["CONFIG", "GET", "maxclients"],
            )
            .masked(CLIENT_FIELDS, &["CLIENT", "INFO"])
            .masked(HELLO, &["HELLO", "2"])
            .cmd(&["GET", "missing"]),
        case(
            "bad versions",
            &[
                &["HELLO", "4"],
                &["HELLO", "1"],
                &["HELLO", "abc"],
                &["HELLO", "3", "BADOPT"],
                &["HELLO", "3", "AUTH", "default"],
                &["HELLO", "3", "SETNAME"],
            ],
        ),
        Case::new("hello setname")
            .masked(HELLO, &["HELLO", "3", "SETNAME", "myname"])
            .cmd(&["CLIENT", "GETNAME"])
            .cmd(&["HELLO", "3", "SETNAME", "bad name"]),
        Case::new("hello auth without requirepass")
            .masked(HELLO, &["HELLO", "2", "AUTH", "default", "anything"])
            .cmd(&["HELLO", "2", "AUTH", "nosuchuser", "x"]),
    ]);
}

#[test]
fn auth_without_requirepass() {
    diff(&[case(
        "auth",
        &[
            &["AUTH", "x"],
            &["AUTH", "default", "x"],
            &["AUTH", "nouser", "x"],
            &["AUTH"],
            &["AUTH", "a", "b", "c"],
        ],
    )]);
}

#[test]
fn auth_with_requirepass() {
    diff_with(
        &["--requirepass", "s3cret"],
        &[
            case(
                "everything needs auth first",
                &[
                    &["GET", "k"],
                    &["PING"],
                    &["SELECT", "1"],
                    &["CLIENT", "ID"],
                    &["HELLO", "3"],
                ],
            ),
            case(
                "wrong then right password",
                &[
                    &["AUTH", "wrong"],
                    &["GET", "k"],
                    &["AUTH", "s3cret"],
                    &["GET", "k"],
                    &["AUTH", "wrong"],
                    &["GET", "k"],
                ],
            ),
            case(
                "auth with user name",
                &[
                    &["AUTH", "nouser", "s3cret"],
                    &["AUTH", "default", "wrong"],
                    &["AUTH", "default", "s3cret"],
                    &["PING"],
                ],
            ),
            Case::new("hello auth")
                .cmd(&["HELLO", "3", "AUTH", "default", "wrong"])
                .masked(HELLO, &["HELLO", "3", "AUTH", "default", "s3cret"])
                .cmd(&["PING"]),
            Case::new("inline auth").raw(b"AUTH s3cret\r\nPING\r\n", 2),
            Case::new("reset forgets authentication")
                .cmd(&["AUTH", "s3cret"])
                .cmd(&["RESET"])
                .cmd(&["GET", "k"]),
            Case::new("quit works unauthenticated")
                .cmd(&["QUIT"])
                .closed(),
        ],
    );
}

#[test]
fn reset() {
    diff(&[Case::new("reset restores connection defaults")
        .cmd(&["CLIENT", "SETNAME", "before-reset"])
        .cmd(&["SELECT", "3"])
        .masked(HELLO, &["HELLO", "3"])
        .cmd(&["CLIENT", "REPLY", "ON"])
        .cmd(&["RESET"])
        .cmd(&["CLIENT", "GETNAME"])
        .masked(CLIENT_FIELDS, &["CLIENT", "INFO"])
        .cmd(&["RESET", "extra"])]);
}

#[test]
fn client_simple_subcommands() {
    diff(&[
        Case::new("client id is an integer")
            .masked(Mask::Type, &["CLIENT", "ID"])
            .cmd(&["CLIENT", "ID", "extra"]),
        case(
            "setname and getname",
            &[
                &["CLIENT", "GETNAME"],
                &["CLIENT", "SETNAME", "worker-1"],
                &["CLIENT", "GETNAME"],
                &["CLIENT", "SETNAME", "a b"],
                &["CLIENT", "SETNAME", "a\nb"],
                &["CLIENT", "SETNAME", ""],
                &["CLIENT", "GETNAME"],
                &["CLIENT", "SETNAME"],
                &["CLIENT", "SETNAME", "a", "b"],
            ],
        ),
        Case::new("client info")
            .cmd(&["CLIENT", "SETNAME", "info-test"])
            .cmd(&["SELECT", "5"])
            .masked(CLIENT_FIELDS, &["CLIENT", "INFO"]),
        case(
            "client list arguments",
            &[
                &["CLIENT", "LIST", "TYPE", "bogus"],
                &["CLIENT", "LIST", "TYPE", "master"],
                &["CLIENT", "LIST", "TYPE", "replica"],
                &["CLIENT", "LIST", "TYPE", "pubsub"],
                &["CLIENT", "LIST", "ID", "abc"],
                &["CLIENT", "LIST", "ID", "999999"],
                &["CLIENT", "LIST", "foo"],
            ],
        ),
        case(
            "client reply errors",
            &[&["CLIENT", "REPLY", "bogus"], &["CLIENT", "REPLY"]],
        ),
        case(
            "pause",
            &[
                &["CLIENT", "PAUSE", "abc"],
                &["CLIENT", "PAUSE", "-1"],
                &["CLIENT", "PAUSE", "100", "READ"],
                &["CLIENT", "PAUSE", "10", "WRITE"],
                &["CLIENT", "UNPAUSE"],
                &["CLIENT", "PAUSE", "10"],
                &["CLIENT", "UNPAUSE"],
                &["CLIENT", "UNPAUSE", "x"],
                &["CLIENT", "PAUSE"],
            ],
        ),
        case(
            "no-evict",
            &[
                &["CLIENT", "NO-EVICT", "on"],
                &["CLIENT", "NO-EVICT", "OFF"],
                &["CLIENT", "NO-EVICT", "maybe"],
                &["CLIENT", "NO-EVICT"],
            ],
        ),
        case(
            "help and unknown subcommands",
            &[
                &["CLIENT", "HELP"],
                &["CLIENT", "help"],
                &["CLIENT", "FOO"],
                &["CLIENT", "foo", "bar"],
                &["CLIENT"],
            ],
        ),
        case(
            "kill argument errors",
            &[
                &["CLIENT", "KILL"],
                &["CLIENT", "KILL", "ID"],
                &["CLIENT", "KILL", "ID", "abc"],
                &["CLIENT", "KILL", "ID", "0"],
                &["CLIENT", "KILL", "ID", "999999"],
                &["CLIENT", "KILL", "TYPE", "bogus"],
                &["CLIENT", "KILL", "1.2.3.4:5"],
                &["CLIENT", "KILL", "ADDR", "1.2.3.4:5"],
                &["CLIENT", "KILL", "SKIPME", "maybe"],
                &["CLIENT", "KILL", "ID", "1", "BOGUS", "x"],
            ],
        ),
    ]);
}

#[test]
fn client_reply_modes() {
    diff(&[
        Case::new("off suppresses replies until on")
            .raw(b"CLIENT REPLY OFF\r\nPING\r\nECHO hidden\r\n", 0)
            .quiet()
            .cmd(&["CLIENT", "REPLY", "ON"])
            .cmd(&["PING"]),
        Case::new("skip suppresses exactly one reply")
            .raw(b"CLIENT REPLY SKIP\r\nECHO hidden\r\nECHO shown\r\n", 1)
            .quiet(),
        Case::new("errors are suppressed too")
            .raw(b"CLIENT REPLY OFF\r\nNOSUCHCMD\r\nGET\r\n", 0)
            .quiet()
            .cmd(&["CLIENT", "REPLY", "ON"]),
    ]);
}

/// Reads `field=value` out of a CLIENT INFO / CLIENT LIST line.
fn client_field(info: &Reply, field: &str) -> String {
    let text = info.text();
    text.split_whitespace()
        .find_map(|tok| tok.strip_prefix(&format!("{field}=")).map(str::to_string))
        .unwrap_or_else(|| panic!("no {field}= in {text:?}"))
}

/// A connection that knows its own id and address.
struct Peer {
    conn: Conn,
    id: String,
    addr: String,
}

fn peer(server: &Server) -> Peer {
    let mut conn = server.conn();
    let info = conn.call_parsed(&["CLIENT", "INFO"]);
    Peer {
        id: client_field(&info, "id"),
        addr: client_field(&info, "addr"),
        conn,
    }
}

/// Closes every connection but `keep` and waits (bounded) until the server
/// has noticed, so that kill counts and CLIENT LIST are deterministic.
fn settle(keep: &mut Conn) {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let info = keep.call_parsed(&["INFO", "clients"]);
        if info.text().contains("connected_clients:1\r\n") || Instant::now() > deadline {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn client_list_and_kill() {
    let mut pair = Pair::start();
    pair.scenario("client list by id", |srv, t| {
        let mut a = peer(srv);
        let mut b = peer(srv);
        b.conn.call(&["CLIENT", "SETNAME", "bee"]);
        let list = ["CLIENT", "LIST", "ID", &a.id, &b.id];
        t.call_masked(&mut a.conn, CLIENT_FIELDS, &list);
        t.call_masked(
            &mut a.conn,
            Mask::Shape,
            &["CLIENT", "LIST", "ID", &b.id, "abc"],
        );
    });
    pair.scenario("kill by id", |srv, t| {
        let mut a = peer(srv);
        let mut b = peer(srv);
        t.call(&mut a.conn, &["CLIENT", "KILL", "ID", &b.id]);
        t.note("victim", b.conn.closed());
        t.call(&mut a.conn, &["CLIENT", "KILL", "ID", &b.id]);
        t.call(&mut a.conn, &["CLIENT", "KILL", "ID", &a.id]);
        t.call(&mut a.conn, &["PING"]);
    });
    pair.scenario("kill by addr, new and old style", |srv, t| {
        let mut a = peer(srv);
        let mut b = peer(srv);
        let mut c = peer(srv);
        t.call(&mut a.conn, &["CLIENT", "KILL", "ADDR", &b.addr]);
        t.note("new-style victim", b.conn.closed());
        t.call(&mut a.conn, &["CLIENT", "KILL", &c.addr]);
        t.note("old-style victim", c.conn.closed());
        t.call(&mut a.conn, &["CLIENT", "KILL", &c.addr]);
    });
    pair.scenario("skipme no kills the caller after replying", |srv, t| {
        let mut a = peer(srv);
        t.call(
            &mut a.conn,
            &["CLIENT", "KILL", "ID", &a.id, "SKIPME", "no"],
        );
        t.note("caller", a.conn.closed());
    });
    pair.scenario("kill by laddr and type", |srv, t| {
        let mut a = peer(srv);
        settle(&mut a.conn);
        let mut others: Vec<Peer> = (0..3).map(|_| peer(srv)).collect();
        let laddr = format!("127.0.0.1:{}", srv.port);
        t.call(&mut a.conn, &["CLIENT", "KILL", "LADDR", "1.2.3.4:5"]);
        t.call(
            &mut a.conn,
            &["CLIENT", "KILL", "LADDR", &laddr, "ID", &others[0].id],
        );
        t.note("laddr victim", others[0].conn.closed());
        t.call(&mut a.conn, &["CLIENT", "KILL", "TYPE", "pubsub"]);
        t.call(
            &mut a.conn,
            &["CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"],
        );
        for (i, o) in others.iter_mut().enumerate().skip(1) {
            t.note(&format!("type victim {i}"), o.conn.closed());
        }
        t.call(&mut a.conn, &["PING"]);
    });
}

#[test]
fn client_pause_delays_other_clients() {
    let mut pair = Pair::start();
    pair.scenario(
        "pause write lets reads through and holds writes",
        |srv, t| {
            let mut admin = srv.conn();
            let mut other = srv.conn();
            t.call(&mut admin, &["CLIENT", "PAUSE", "400", "WRITE"]);
            let start = Instant::now();
            t.call(&mut other, &["GET", "p:k"]);
            t.note(
                "read served during pause",
                start.elapsed() < Duration::from_millis(300),
            );
            other.cmd(&["SET", "p:k", "v"]);
            t.note("write held", other.close_state(Duration::from_millis(150)));
            t.reply("write after pause", Mask::Exact, &other.read_reply());
            t.note(
                "write waited for the pause",
                start.elapsed() >= Duration::from_millis(350),
            );
        },
    );
    pair.scenario("unpause releases held clients", |srv, t| {
        let mut admin = srv.conn();
        let mut other = srv.conn();
        t.call(&mut admin, &["CLIENT", "PAUSE", "10000", "WRITE"]);
        other.cmd(&["SET", "p:k2", "v"]);
        t.note("write held", other.close_state(Duration::from_millis(150)));
        t.call(&mut admin, &["CLIENT", "UNPAUSE"]);
        other.set_timeout(Duration::from_secs(2));
        t.reply("write after unpause", Mask::Exact, &other.read_reply());
    });
}

#[test]
fn idle_clients_are_closed_after_timeout() {
    let mut pair = Pair::start_with(&["--timeout", "1"]);
    pair.scenario("idle connection is closed", |srv, t| {
        let mut c = srv.conn();
        t.call(&mut c, &["PING"]);
        // Redis compares whole seconds, so "idle > 1s" can take almost 3s.
        let state = c.close_state(Duration::from_secs(5));
        t.note("after idling", state);
    });
}

#[test]
fn maxclients_rejects_extra_connections() {
    let mut pair = Pair::start_with(&["--maxclients", "2"]);
    pair.scenario("third client is refused", |srv, t| {
        let mut a = srv.conn();
        settle(&mut a);
        let mut b = srv.conn();
        t.call(&mut b, &["PING"]);
        let mut c = srv.conn();
        t.reply("third connection", Mask::Exact, &c.read_reply());
        t.note("third connection", c.closed());
        t.call_masked(
            &mut a,
            Mask::Pairs(CONFIG_VOLATILE),
            &["CONFIG", "GET", "maxclients"],
        );
        drop(b);
        settle(&mut a);
        let mut d = srv.conn();
        t.call(&mut d, &["PING"]);
    });
}

#[test]
fn maxclients_lowered_by_a_low_open_file_limit_is_what_config_reports() {
    let mut pair = Pair::from_builder(Builder::new(Flavor::Redis).fd_limit(200));
    pair.scenario("maxclients under ulimit -n 200", |srv, t| {
        let mut c = srv.conn();
        t.call(&mut c, &["CONFIG", "GET", "maxclients"]);
        let info = c.call_parsed(&["INFO", "clients"]).text();
        for field in ["connected_clients:", "maxclients:"] {
            let line = info.lines().find(|l| l.starts_with(field)).unwrap_or("");
            t.note(field, line.to_string());
        }
        let log = srv.log();
        let lowered = log
            .lines()
            .find(|l| l.contains("maxclients has been reduced"));
        t.note(
            "log",
            lowered.map(|l| l.split_once(" # ").map_or(l, |x| x.1).to_string()),
        );
    });
}

#[test]
fn expired_keys_stay_during_client_pause() {
    // Redis keeps the dataset static while clients are paused: an expired
    // key is hidden from reads but neither lazily nor actively deleted.
    let mut pair = Pair::start();
    pair.scenario(
        "pause write hides expired keys without deleting",
        |srv, t| {
            let mut c = srv.conn();
            t.call(&mut c, &["CONFIG", "RESETSTAT"]);
            t.call(&mut c, &["SET", "pe:k", "v", "PX", "100"]);
            t.call(&mut c, &["SET", "pe:live", "v"]);
            t.call(&mut c, &["CLIENT", "PAUSE", "3000", "WRITE"]);
            std::thread::sleep(Duration::from_millis(400));
            t.call(&mut c, &["DBSIZE"]);
            t.call(&mut c, &["GET", "pe:k"]);
            t.call(&mut c, &["EXISTS", "pe:k"]);
            t.call(&mut c, &["TTL", "pe:k"]);
            t.call(&mut c, &["SCAN", "0", "MATCH", "pe:k"]);
            t.call(&mut c, &["DBSIZE"]);
            let expired = c.call_parsed(&["INFO", "stats"]).text();
            let line = expired.lines().find(|l| l.starts_with("expired_keys:"));
            t.note("during the pause", line.map(str::to_string));
            t.call(&mut c, &["CLIENT", "UNPAUSE"]);
            t.call(&mut c, &["GET", "pe:k"]);
            t.call(&mut c, &["DBSIZE"]);
        },
    );
}

#[test]
fn a_half_closed_connection_is_answered_then_closed() {
    // The end of file arrives with the last request: its reply still goes
    // out, then the server hangs up and forgets the client.
    on_both(&[], |server| {
        for _ in 0..3 {
            let mut c = server.conn();
            c.send_raw(b"PING\r\n");
            c.shutdown_write();
            assert_eq!(c.read_reply(), b"+PONG\r\n");
            assert_eq!(c.closed(), CloseState::Closed);
        }
        let mut admin = server.conn();
        assert!(crate::util::keyspace::wait_until(
            Duration::from_secs(2),
            || {
                crate::util::keyspace::info_field(&mut admin, "clients", "connected_clients")
                    .as_deref()
                    == Some("1")
            }
        ));
    });
}

/// A client's query buffer is given back once it has been idle for a while
/// with room to spare, and its arguments once its command is done: what
/// CLIENT LIST shows for another client, on both servers.
#[test]
fn idle_clients_give_their_buffers_back() {
    on_both(&[], |srv| {
        let mut writer = srv.conn();
        let mut watcher = srv.conn();
        let id = client_field(&writer.call_parsed(&["CLIENT", "INFO"]), "id");
        let value = "x".repeat(20_000);
        assert_eq!(writer.call(&["SET", "k", &value]), b"+OK\r\n");
        let line = |watcher: &mut Conn| watcher.call_parsed(&["CLIENT", "LIST", "ID", &id]);
        let after = line(&mut watcher);
        assert_eq!(client_field(&after, "argv-mem"), "0");
        assert_eq!(client_field(&after, "qbuf"), "0");
        assert_ne!(client_field(&after, "qbuf-free"), "0");
        assert!(crate::util::keyspace::wait_until(
            std::time::Duration::from_secs(10),
            || client_field(&line(&mut watcher), "qbuf-free") == "0"
        ));
    });
}
