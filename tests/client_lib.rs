//! A real client library (the `redis` crate) talking to the server: what an
//! application would do, including many simultaneous connections and a
//! client that stops reading its replies. Each test runs on real Redis too.

use crate::util::*;
use redis::{Commands, Connection, RedisResult};
use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// Connects to `redis://{userinfo}127.0.0.1:PORT/{tail}`.
fn client_url(srv: &Server, userinfo: &str, tail: &str) -> Connection {
    let url = format!("redis://{userinfo}127.0.0.1:{}/{tail}", srv.port);
    let client = redis::Client::open(url.as_str()).expect("client url");
    let con = client
        .get_connection_with_timeout(Duration::from_secs(5))
        .unwrap_or_else(|e| panic!("connect to {url}: {e}"));
    con.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    con
}

fn client(srv: &Server) -> Connection {
    client_url(srv, "", "")
}

#[test]
fn basic_commands() {
    on_both(&[], |srv| {
        let mut con = client(srv);
        let pong: String = redis::cmd("PING").query(&mut con).unwrap();
        assert_eq!(pong, "PONG");
        let () = con.set("lib:k", "v1").unwrap();
        let v: String = con.get("lib:k").unwrap();
        assert_eq!(v, "v1");
        let missing: Option<String> = con.get("lib:missing").unwrap();
        assert_eq!(missing, None);
        let bytes: Vec<u8> = (0..=255).collect();
        let () = con.set("lib:bin", &bytes).unwrap();
        let back: Vec<u8> = con.get("lib:bin").unwrap();
        assert_eq!(back, bytes);
        let n: i64 = redis::cmd("DBSIZE").query(&mut con).unwrap();
        assert_eq!(n, 2);
    });
}

#[test]
fn errors_surface_as_server_errors() {
    on_both(&[], |srv| {
        let mut con = client(srv);
        let err = redis::cmd("NOSUCHCMD").query::<()>(&mut con).unwrap_err();
        assert!(err.to_string().contains("unknown command"), "{err}");
        let err = redis::cmd("GET").query::<()>(&mut con).unwrap_err();
        assert!(
            err.to_string().contains("wrong number of arguments"),
            "{err}"
        );
        // The connection is still usable after errors.
        let pong: String = redis::cmd("PING").query(&mut con).unwrap();
        assert_eq!(pong, "PONG");
    });
}

#[test]
fn password_database_and_resp3_from_the_url() {
    on_both(&["--requirepass", "pw"], |srv| {
        let denied: RedisResult<String> = redis::cmd("PING").query(&mut client(srv));
        assert!(denied.is_err(), "PING without AUTH: {denied:?}");
        let mut db5 = client_url(srv, ":pw@", "5");
        let () = db5.set("lib:db5", "yes").unwrap();
        let mut db0 = client_url(srv, ":pw@", "0");
        let other: Option<String> = db0.get("lib:db5").unwrap();
        assert_eq!(other, None, "db 0 must not see db 5's key");
        let mut resp3 = client_url(srv, "default:pw@", "5?protocol=resp3");
        let v: String = resp3.get("lib:db5").unwrap();
        assert_eq!(v, "yes");
        let missing: Option<String> = resp3.get("lib:none").unwrap();
        assert_eq!(missing, None);
    });
}

#[test]
fn pipelines() {
    on_both(&[], |srv| {
        let mut con = client(srv);
        let mut pipe = redis::pipe();
        for i in 0..500 {
            pipe.set(format!("pipe:{i}"), i).ignore();
        }
        for i in (0..500).step_by(100) {
            pipe.get(format!("pipe:{i}"));
        }
        let got: Vec<i64> = pipe.query(&mut con).unwrap();
        assert_eq!(got, vec![0, 100, 200, 300, 400]);
    });
}

#[test]
fn many_simultaneous_connections() {
    on_both(&[], |srv| {
        let mut cons: Vec<Connection> = (0..200).map(|_| client(srv)).collect();
        for (i, con) in cons.iter_mut().enumerate() {
            let () = con.set(format!("many:{i}"), i).unwrap();
        }
        for (i, con) in cons.iter_mut().enumerate().rev() {
            let v: usize = con.get(format!("many:{i}")).unwrap();
            assert_eq!(v, i);
        }
        let info: String = redis::cmd("INFO")
            .arg("clients")
            .query(&mut cons[0])
            .unwrap();
        // At least: the harness's readiness probe may not be reaped yet.
        let connected: usize = info
            .lines()
            .find_map(|l| l.strip_prefix("connected_clients:"))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("no connected_clients in {info}"));
        assert!(connected >= 200, "{info}");
        // Concurrent traffic from several threads at once.
        let port = srv.port;
        let threads: Vec<_> = (0..8)
            .map(|t| {
                std::thread::spawn(move || {
                    let url = format!("redis://127.0.0.1:{port}/");
                    let mut con = redis::Client::open(url).unwrap().get_connection().unwrap();
                    for i in 0..200 {
                        let key = format!("thr:{t}:{i}");
                        let () = con.set(&key, i).unwrap();
                        let v: i32 = con.get(&key).unwrap();
                        assert_eq!(v, i);
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().expect("client thread");
        }
    });
}

#[test]
fn slow_reader_does_not_block_other_clients() {
    on_both(&[], |srv| {
        let mut con = client(srv);
        let value = vec![b'x'; 256 * 1024];
        let () = con.set("slow:big", &value).unwrap();
        // 200 GETs of 256 KB = 50 MB of replies the reader won't read for now:
        // far beyond the socket buffers, so the server must queue them
        // without blocking its event loop.
        let mut lazy = TcpStream::connect(("127.0.0.1", srv.port)).unwrap();
        lazy.write_all(&b"GET slow:big\r\n".repeat(200)).unwrap();
        std::thread::sleep(Duration::from_millis(100));
        let start = Instant::now();
        for _ in 0..50 {
            let pong: String = redis::cmd("PING").query(&mut con).unwrap();
            assert_eq!(pong, "PONG");
        }
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "other client starved for {:?}",
            start.elapsed()
        );
        // The slow reader eventually gets every reply, intact.
        let mut lazy = Conn::from_tcp(lazy);
        for i in 0..200 {
            let reply = lazy.read_reply();
            let header = format!("${}\r\n", value.len());
            assert_eq!(
                reply.len(),
                header.len() + value.len() + 2,
                "reply {i} length"
            );
        }
    });
}

#[test]
fn a_worker_blocked_in_brpop_gets_jobs_pushed_by_another_connection() {
    // The shape of every list-based job queue: workers wait in BRPOP, a
    // producer LPUSHes jobs, and hashes hold each job's fields.
    on_both(&[], |srv| {
        let port = srv.port;
        let worker = std::thread::spawn(move || {
            let url = format!("redis://127.0.0.1:{port}/");
            let mut con = redis::Client::open(url.as_str())
                .and_then(|c| c.get_connection())
                .expect("worker connection");
            let mut done = Vec::new();
            for _ in 0..3 {
                let (_, id): (String, String) = con.brpop("lib:queue", 5.0).expect("a job");
                let payload: String = con.hget(format!("lib:job:{id}"), "payload").expect("job");
                done.push(payload);
            }
            let none: Option<(String, String)> = con.brpop("lib:queue", 0.1).expect("timeout");
            (done, none)
        });
        let mut con = client(srv);
        for id in 1..=3 {
            let () = con
                .hset_multiple(
                    format!("lib:job:{id}"),
                    &[("payload", format!("p{id}")), ("state", "new".into())],
                )
                .unwrap();
            let _: i64 = con.lpush("lib:queue", id).unwrap();
            std::thread::sleep(Duration::from_millis(20));
        }
        let (done, none) = worker.join().expect("worker");
        assert_eq!(done, ["p1", "p2", "p3"]);
        assert_eq!(none, None);
        let fields: std::collections::HashMap<String, String> = con.hgetall("lib:job:2").unwrap();
        assert_eq!(fields.get("state").map(String::as_str), Some("new"));
    });
}
