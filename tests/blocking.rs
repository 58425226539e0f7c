//! Blocking pops (BLPOP, BRPOP, BLMPOP, BLMOVE, BRPOPLPUSH) over several
//! connections, each scenario run on real Redis and on ferrodis with every
//! connection's replies compared: clients served in the order they
//! blocked, a push waking another connection, BLMOVE chains, timeouts in
//! RESP2 and RESP3, CLIENT UNBLOCK, disconnects, argument errors, and what
//! the served pops write to the append-only file.

use std::time::Duration;

use crate::util::keyspace::{info_field, wait_until};
use crate::util::*;

/// Waits until the server counts `n` blocked clients, so a push that
/// follows finds them blocked on both servers alike.
fn until_blocked(admin: &mut Conn, n: usize) {
    let want = n.to_string();
    assert!(
        wait_until(Duration::from_secs(5), || {
            info_field(admin, "clients", "blocked_clients").as_deref() == Some(want.as_str())
        }),
        "{n} clients never blocked"
    );
}

/// Sends a command that blocks, without reading its reply.
fn block(conn: &mut Conn, args: &[&str]) {
    conn.cmd(args);
}

#[test]
fn blocking_pops_answer_at_once_when_there_is_data() {
    diff(&[
        case(
            "data already there",
            &[
                &["RPUSH", "b:l", "a", "b", "c"],
                &["BLPOP", "b:none", "b:l", "0"],
                &["BRPOP", "b:l", "0"],
                &["LRANGE", "b:l", "0", "-1"],
                &["RPUSH", "b:m", "1", "2", "3", "4"],
                &["BLMPOP", "0", "2", "b:none", "b:m", "LEFT", "COUNT", "3"],
                &["BLMPOP", "0", "1", "b:m", "RIGHT", "COUNT", "9"],
                &["EXISTS", "b:m"],
                &["RPUSH", "b:s", "x", "y"],
                &["BLMOVE", "b:s", "b:d", "RIGHT", "LEFT", "0"],
                &["BRPOPLPUSH", "b:s", "b:d", "0"],
                &["LRANGE", "b:d", "0", "-1"],
                &["EXISTS", "b:s"],
            ],
        ),
        case(
            "argument errors",
            &[
                &["BLPOP", "b:k", "abc"],
                &["BLPOP", "b:k", "-1"],
                &["BLPOP", "b:k", "1e30"],
                &["BLPOP", "b:k", "nan"],
                &["BLPOP", "b:k", " 1"],
                &["BLPOP", "b:k"],
                &["BLMPOP", "0", "0", "b:k", "LEFT"],
                &["BLMPOP", "0", "1", "b:k", "UP"],
                &["BLMPOP", "0", "1", "b:k", "LEFT", "COUNT", "0"],
                &["BLMPOP", "0", "5", "b:k", "LEFT"],
                &["BLMPOP", "x", "1", "b:k", "LEFT"],
                &["BLMPOP", "-1", "1", "b:k", "LEFT"],
                &["BLMOVE", "b:k", "b:d", "UP", "LEFT", "0"],
                &["BLMOVE", "b:k", "b:d", "LEFT", "LEFT", "x"],
                &["BRPOPLPUSH", "b:k", "b:d", "-1"],
            ],
        ),
        case(
            "wrong types",
            &[
                &["SET", "b:str", "v"],
                &["RPUSH", "b:list", "v"],
                &["BLPOP", "b:str", "b:list", "0"],
                &["BLPOP", "b:none", "b:str", "0"],
                &["BLMPOP", "0", "1", "b:str", "LEFT"],
                &["BLMOVE", "b:str", "b:d", "LEFT", "LEFT", "0"],
                &["BLMOVE", "b:list", "b:str", "LEFT", "LEFT", "0"],
                &["LRANGE", "b:list", "0", "-1"],
            ],
        ),
    ]);
}

#[test]
fn clients_are_served_in_the_order_they_blocked() {
    let mut pair = Pair::start();
    pair.scenario("two clients on one key, then a push of three", |srv, t| {
        let mut admin = srv.conn();
        let mut first = srv.conn();
        let mut second = srv.conn();
        block(&mut first, &["BLPOP", "q", "0"]);
        until_blocked(&mut admin, 1);
        block(&mut second, &["BRPOP", "other", "q", "0"]);
        until_blocked(&mut admin, 2);
        let list = admin.call_parsed(&["CLIENT", "LIST"]).text();
        let flags: Vec<&str> = list
            .lines()
            .filter_map(|l| l.split(' ').find(|f| f.starts_with("flags=")))
            .collect();
        t.note("CLIENT LIST flags", flags);
        t.call(&mut admin, &["RPUSH", "q", "a", "b", "c"]);
        t.reply("first", Mask::Exact, &first.read_reply());
        t.reply("second", Mask::Exact, &second.read_reply());
        t.call(&mut admin, &["LRANGE", "q", "0", "-1"]);
        t.note(
            "blocked after",
            info_field(&mut admin, "clients", "blocked_clients"),
        );
    });
    pair.scenario("a push serves only as many as it pushed", |srv, t| {
        let mut admin = srv.conn();
        let mut a = srv.conn();
        let mut b = srv.conn();
        block(&mut a, &["BLPOP", "one", "0"]);
        until_blocked(&mut admin, 1);
        block(&mut b, &["BLPOP", "one", "0"]);
        until_blocked(&mut admin, 2);
        t.call(&mut admin, &["LPUSH", "one", "x"]);
        t.reply("first served", Mask::Exact, &a.read_reply());
        t.note(
            "second still waits",
            b.close_state(Duration::from_millis(100)),
        );
        t.call(&mut admin, &["LPUSH", "one", "y"]);
        t.reply("second served", Mask::Exact, &b.read_reply());
    });
    pair.scenario("a key made ready serves the key that is ready", |srv, t| {
        let mut admin = srv.conn();
        let mut c = srv.conn();
        block(
            &mut c,
            &["BLMPOP", "0", "3", "k1", "k2", "k3", "RIGHT", "COUNT", "2"],
        );
        until_blocked(&mut admin, 1);
        t.call(&mut admin, &["RPUSH", "k3", "a", "b", "c"]);
        t.reply("served from k3", Mask::Exact, &c.read_reply());
        t.call(&mut admin, &["LRANGE", "k3", "0", "-1"]);
    });
    pair.scenario("requests after a blocked one wait for it", |srv, t| {
        let mut admin = srv.conn();
        let mut c = srv.conn();
        c.send_raw(&resp::encode_cmd(&["BLPOP", "wait", "0"]));
        c.send_raw(&resp::encode_cmd(&["PING"]));
        until_blocked(&mut admin, 1);
        t.note("nothing yet", c.close_state(Duration::from_millis(100)));
        t.call(&mut admin, &["RPUSH", "wait", "v"]);
        t.reply("blpop", Mask::Exact, &c.read_reply());
        t.reply("ping after it", Mask::Exact, &c.read_reply());
    });
}

#[test]
fn blmove_chains_and_wrong_destinations() {
    let mut pair = Pair::start();
    pair.scenario("a push moves along a chain of BLMOVEs", |srv, t| {
        let mut admin = srv.conn();
        let mut ab = srv.conn();
        let mut bc = srv.conn();
        block(&mut ab, &["BLMOVE", "ca", "cb", "LEFT", "RIGHT", "0"]);
        until_blocked(&mut admin, 1);
        block(&mut bc, &["BRPOPLPUSH", "cb", "cc", "0"]);
        until_blocked(&mut admin, 2);
        t.call(&mut admin, &["RPUSH", "ca", "x"]);
        t.reply("a to b", Mask::Exact, &ab.read_reply());
        t.reply("b to c", Mask::Exact, &bc.read_reply());
        for key in ["ca", "cb", "cc"] {
            t.call(&mut admin, &["LRANGE", key, "0", "-1"]);
        }
    });
    pair.scenario("a destination of another type ends the wait", |srv, t| {
        let mut admin = srv.conn();
        let mut c = srv.conn();
        t.call(&mut admin, &["SET", "wd", "string"]);
        block(&mut c, &["BLMOVE", "ws", "wd", "LEFT", "LEFT", "0"]);
        until_blocked(&mut admin, 1);
        t.call(&mut admin, &["RPUSH", "ws", "v"]);
        t.reply("served with", Mask::Exact, &c.read_reply());
        t.call(&mut admin, &["LRANGE", "ws", "0", "-1"]);
        t.note(
            "blocked after",
            info_field(&mut admin, "clients", "blocked_clients"),
        );
    });
    pair.scenario("SWAPDB makes a waited key ready", |srv, t| {
        let mut admin = srv.conn();
        let mut c = srv.conn();
        block(&mut c, &["BLPOP", "sw", "0"]);
        until_blocked(&mut admin, 1);
        t.call(&mut admin, &["SELECT", "1"]);
        t.call(&mut admin, &["RPUSH", "sw", "from-db1"]);
        t.call(&mut admin, &["SWAPDB", "0", "1"]);
        t.reply("served", Mask::Exact, &c.read_reply());
    });
}

#[test]
fn timeouts_unblock_and_disconnects() {
    let mut pair = Pair::start();
    for resp3 in [false, true] {
        let name = if resp3 {
            "timeouts in RESP3"
        } else {
            "timeouts in RESP2"
        };
        pair.scenario(name, |srv, t| {
            let mut c = srv.conn();
            if resp3 {
                c.call(&["HELLO", "3"]);
            }
            t.call(&mut c, &["BLPOP", "t:none", "0.05"]);
            t.call(&mut c, &["BRPOP", "t:none", "t:none2", "0.05"]);
            t.call(&mut c, &["BLMPOP", "0.05", "1", "t:none", "LEFT"]);
            t.call(&mut c, &["BLMOVE", "t:none", "t:d", "LEFT", "LEFT", "0.05"]);
            t.call(&mut c, &["BRPOPLPUSH", "t:none", "t:d", "0.05"]);
            t.call(&mut c, &["EXISTS", "t:d"]);
        });
    }
    pair.scenario("CLIENT UNBLOCK with TIMEOUT and ERROR", |srv, t| {
        let mut admin = srv.conn();
        let mut c = srv.conn();
        let id = c.call_parsed(&["CLIENT", "ID"]).int().unwrap_or_default();
        let id = id.to_string();
        block(&mut c, &["BLPOP", "u", "0"]);
        until_blocked(&mut admin, 1);
        t.call(&mut admin, &["CLIENT", "UNBLOCK", &id]);
        t.reply("after TIMEOUT", Mask::Exact, &c.read_reply());
        block(&mut c, &["BLMOVE", "u", "v", "LEFT", "LEFT", "0"]);
        until_blocked(&mut admin, 1);
        t.call(&mut admin, &["CLIENT", "UNBLOCK", &id, "ERROR"]);
        t.reply("after ERROR", Mask::Exact, &c.read_reply());
        t.call(&mut admin, &["CLIENT", "UNBLOCK", &id]);
        t.call(&mut admin, &["CLIENT", "UNBLOCK", "999999"]);
        t.call(&mut admin, &["CLIENT", "UNBLOCK", &id, "MAYBE"]);
        t.call(&mut admin, &["CLIENT", "UNBLOCK", "x"]);
        t.call(&mut c, &["PING"]);
    });
    pair.scenario(
        "a blocked client that disconnects leaves nothing",
        |srv, t| {
            let mut admin = srv.conn();
            let mut c = srv.conn();
            block(&mut c, &["BLPOP", "gone", "0"]);
            until_blocked(&mut admin, 1);
            t.note(
                "timeout table",
                info_field(&mut admin, "clients", "clients_in_timeout_table"),
            );
            drop(c);
            until_blocked(&mut admin, 0);
            t.call(&mut admin, &["RPUSH", "gone", "v"]);
            t.call(&mut admin, &["LRANGE", "gone", "0", "-1"]);
            let mut timed = srv.conn();
            block(&mut timed, &["BLPOP", "gone2", "100"]);
            until_blocked(&mut admin, 1);
            t.note(
                "timeout table with a deadline",
                info_field(&mut admin, "clients", "clients_in_timeout_table"),
            );
        },
    );
}

#[test]
fn served_pops_reach_the_aof_as_their_plain_forms() {
    let mut pair = Pair::start_with(&["--appendonly", "yes", "--appendfsync", "always"]);
    pair.scenario("what served and immediate pops propagate", |srv, t| {
        let mut admin = srv.conn();
        let mut c = srv.conn();
        block(&mut c, &["BLPOP", "pa", "0"]);
        until_blocked(&mut admin, 1);
        admin.call(&["RPUSH", "pa", "1", "2"]);
        c.read_reply();
        block(&mut c, &["BLMPOP", "0", "1", "pb", "RIGHT", "COUNT", "5"]);
        until_blocked(&mut admin, 1);
        admin.call(&["RPUSH", "pb", "1", "2"]);
        c.read_reply();
        block(&mut c, &["BLMOVE", "pc", "pd", "RIGHT", "LEFT", "0"]);
        until_blocked(&mut admin, 1);
        admin.call(&["RPUSH", "pc", "x"]);
        c.read_reply();
        block(&mut c, &["BRPOPLPUSH", "pe", "pf", "0"]);
        until_blocked(&mut admin, 1);
        admin.call(&["RPUSH", "pe", "y"]);
        c.read_reply();
        c.call(&["BLPOP", "pa", "0"]);
        c.call(&["BLMOVE", "pd", "pg", "LEFT", "RIGHT", "0"]);
        c.call(&["BLPOP", "nothing", "0.01"]);
        let text = srv.incremental_aof();
        t.note("incremental files", text);
    });
}

#[test]
fn a_blocking_pop_replayed_from_the_aof_does_not_block() {
    // The client replaying the file has nobody to wait for it: BLPOP on an
    // empty list answers at once there, and the replay goes on.
    let mut seen = Vec::new();
    for flavor in [Flavor::Redis, Flavor::Ferrodis] {
        let dir = crate::util::server::temp_dir("aof-blpop");
        let mut file = resp::encode_cmd(&["SELECT", "0"]);
        file.extend(resp::encode_cmd(&["BLPOP", "empty", "0"]));
        file.extend(resp::encode_cmd(&[
            "BLMOVE", "empty", "d", "LEFT", "LEFT", "0",
        ]));
        file.extend(resp::encode_cmd(&["SET", "after", "v"]));
        std::fs::write(dir.join("appendonly.aof"), file).expect("write the AOF");
        let server = Builder::new(flavor)
            .args(&[
                "--dir",
                dir.to_str().unwrap_or_default(),
                "--appendonly",
                "yes",
            ])
            .start();
        let mut c = server.conn();
        seen.push((
            c.call(&["GET", "after"]),
            info_field(&mut c, "clients", "blocked_clients"),
            info_field(&mut c, "stats", "total_commands_processed"),
        ));
        drop(server);
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert_eq!(seen[0], seen[1]);
    assert_eq!(seen[1].0, b"$1\r\nv\r\n");
}

#[test]
fn served_clients_keep_their_reply_mode() {
    let mut pair = Pair::start();
    pair.scenario("CLIENT REPLY OFF and SKIP while blocked", |srv, t| {
        let mut admin = srv.conn();
        let mut c = srv.conn();
        c.cmd(&["CLIENT", "REPLY", "OFF"]);
        block(&mut c, &["BLPOP", "rm", "0"]);
        until_blocked(&mut admin, 1);
        t.call(&mut admin, &["RPUSH", "rm", "a"]);
        t.note("nothing for OFF", c.close_state(Duration::from_millis(100)));
        c.cmd(&["CLIENT", "REPLY", "ON"]);
        t.reply("back on", Mask::Exact, &c.read_reply());
        c.cmd(&["CLIENT", "REPLY", "SKIP"]);
        block(&mut c, &["BLPOP", "rm", "0.05"]);
        t.call(&mut c, &["PING"]);
        t.call(&mut admin, &["LLEN", "rm"]);
    });
}

#[test]
fn an_expired_destination_is_deleted_before_the_move_in_the_aof() {
    // DEBUG must be allowed for SET-ACTIVE-EXPIRE 0, or active expiry may
    // delete the key before the serving does (under load it did).
    let mut pair = Pair::start_with(&[
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--enable-debug-command",
        "yes",
    ]);
    pair.scenario("served BLMOVE onto a key that just expired", |srv, t| {
        let mut admin = srv.conn();
        let mut c = srv.conn();
        admin.call(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
        admin.call(&["RPUSH", "xd", "old"]);
        admin.call(&["PEXPIRE", "xd", "50"]);
        block(&mut c, &["BLMOVE", "xs", "xd", "LEFT", "RIGHT", "0"]);
        until_blocked(&mut admin, 1);
        std::thread::sleep(Duration::from_millis(100));
        t.call(&mut admin, &["RPUSH", "xs", "new"]);
        t.reply("served", Mask::Exact, &c.read_reply());
        t.call(&mut admin, &["LRANGE", "xd", "0", "-1"]);
        let text = srv.incremental_aof();
        // The deadline differs between the two runs; the order is the point.
        let marker = "PEXPIREAT\r\n$2\r\nxd\r\n$13\r\n";
        let text = match text.split_once(marker) {
            Some((head, tail)) => {
                format!("{head}{marker}<deadline>{}", tail.get(13..).unwrap_or(""))
            }
            None => text,
        };
        t.note("incremental files", text);
    });
}
