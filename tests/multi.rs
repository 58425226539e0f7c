//! Transactions, MONITOR and RESET, each run on real Redis and on ferrodis
//! with the replies compared: queueing and the errors that doom a
//! transaction, runtime errors inside EXEC, WATCH broken by other clients,
//! by the watcher itself, by expiry (lazy, active, and keys already
//! expired when watched), by flushes and SWAPDB; what a transaction writes
//! to the append-only file; commandstats; the MONITOR stream with its
//! clock and ports masked; and what RESET undoes.

use std::time::Duration;

use crate::util::keyspace::{info_field, wait_until};
use crate::util::*;

const DEBUG_ON: &[&str] = &["--enable-debug-command", "yes"];

/// `CLIENT LIST`/`CLIENT INFO` with per-connection values masked.
const CLIENT_FIELDS: Mask = Mask::Fields(CLIENT_VOLATILE);

#[test]
fn queueing_and_errors() {
    diff(&[
        case(
            "a transaction replies with an array of its replies",
            &[
                &["MULTI"],
                &["SET", "t:a", "1"],
                &["INCR", "t:a"],
                &["LPUSH", "t:a", "x"],
                &["GET", "t:a"],
                &["EXEC"],
                &["GET", "t:a"],
                &["MULTI"],
                &["EXEC"],
            ],
        ),
        case(
            "errors at queue time abort the transaction",
            &[
                &["MULTI"],
                &["SET", "t:b", "1"],
                &["NOSUCH", "x"],
                &["SET", "t:b", "2"],
                &["EXEC"],
                &["GET", "t:b"],
                &["MULTI"],
                &["GET"],
                &["EXEC"],
                &["MULTI"],
                &["CLIENT", "NOSUCH"],
                &["EXEC"],
                &["MULTI"],
                &["SAVE"],
                &["EXEC"],
                &["MULTI"],
                &["SHUTDOWN"],
                &["EXEC"],
            ],
        ),
        case(
            "arity errors of the transaction commands",
            &[
                &["MULTI"],
                &["EXEC", "x"],
                &["EXEC"],
                &["MULTI"],
                &["MULTI", "x"],
                &["EXEC"],
                &["MULTI"],
                &["DISCARD", "x"],
                &["EXEC"],
                &["MULTI", "x"],
                &["WATCH"],
            ],
        ),
        case(
            "errors that do not abort",
            &[
                &["MULTI"],
                &["MULTI"],
                &["WATCH", "t:c"],
                &["SET", "t:c", "v"],
                &["EXEC"],
                &["EXEC"],
                &["DISCARD"],
                &["MULTI"],
                &["MONITOR"],
                &["EXEC"],
            ],
        ),
        case(
            "DISCARD, UNWATCH queued, SELECT inside",
            &[
                &["MULTI"],
                &["SET", "t:d", "1"],
                &["DISCARD"],
                &["GET", "t:d"],
                &["MULTI"],
                &["UNWATCH"],
                &["SELECT", "3"],
                &["SET", "t:d", "3"],
                &["SELECT", "99"],
                &["EXEC"],
                &["GET", "t:d"],
                &["SELECT", "0"],
                &["GET", "t:d"],
            ],
        ),
        case(
            "blocking commands inside MULTI answer at once",
            &[
                &["MULTI"],
                &["BLPOP", "t:empty", "0"],
                &["BRPOP", "t:empty", "1"],
                &["BLMOVE", "t:empty", "t:dst", "LEFT", "LEFT", "0"],
                &["BLMPOP", "0", "1", "t:empty", "LEFT"],
                &["WAIT", "0", "0"],
                &["RPUSH", "t:l", "a"],
                &["BLPOP", "t:l", "0"],
                &["EXEC"],
            ],
        ),
        Case::new("RESP3 replies inside EXEC, a null EXEC, QUIT inside MULTI")
            .masked(Mask::Pairs(&["id"]), &["HELLO", "3"])
            .cmd(&["MULTI"])
            .cmd(&["HSET", "t:h", "f", "v"])
            .cmd(&["HGETALL", "t:h"])
            .cmd(&["GET", "t:h"])
            .cmd(&["EXEC"])
            .cmd(&["WATCH", "t:h"])
            .cmd(&["DEL", "t:h"])
            .cmd(&["MULTI"])
            .cmd(&["PING"])
            .cmd(&["EXEC"])
            .cmd(&["MULTI"])
            .cmd(&["QUIT"]),
    ]);
}

#[test]
fn client_list_shows_the_transaction() {
    let mut pair = Pair::start();
    pair.scenario("flags x and d, multi=", |srv, t| {
        let mut a = srv.conn();
        let mut b = srv.conn();
        let id = a
            .call_parsed(&["CLIENT", "ID"])
            .int()
            .unwrap_or(0)
            .to_string();
        let show = |b: &mut Conn, t: &mut Transcript| {
            t.call_masked(b, CLIENT_FIELDS, &["CLIENT", "LIST", "ID", &id]);
        };
        t.call(&mut a, &["MULTI"]);
        show(&mut b, t);
        t.call(&mut a, &["SET", "k", "v"]);
        t.call(&mut a, &["SET", "k", "w"]);
        show(&mut b, t);
        t.call(&mut a, &["CLIENT", "INFO"]);
        let exec = a.call_parsed(&["EXEC"]);
        let info = exec.items().get(2).map(Reply::text).unwrap_or_default();
        t.note("flags inside EXEC", field(&info, "flags"));
        t.note("multi inside EXEC", field(&info, "multi"));
        show(&mut b, t);
        t.call(&mut a, &["WATCH", "k"]);
        t.call(&mut b, &["SET", "k", "x"]);
        show(&mut b, t);
        t.call(&mut a, &["UNWATCH"]);
        show(&mut b, t);
    });
}

/// One `name=value` field of a CLIENT LIST line.
fn field(line: &str, name: &str) -> String {
    line.split(' ')
        .find_map(|f| f.strip_prefix(&format!("{name}=")))
        .unwrap_or_default()
        .trim()
        .to_string()
}

#[test]
fn multi_mem_counts_the_queued_arguments() {
    let mut pair = Pair::start();
    pair.scenario("multi-mem", |srv, t| {
        let mut a = srv.conn();
        let mut b = srv.conn();
        let id = a
            .call_parsed(&["CLIENT", "ID"])
            .int()
            .unwrap_or(0)
            .to_string();
        a.call(&["MULTI"]);
        let big = "v".repeat(300);
        for args in [&["SET", "a", "b"][..], &["SET", "key", &big], &["PING"]] {
            a.call(args);
            let line = b.call_parsed(&["CLIENT", "LIST", "ID", &id]).text();
            t.note("multi-mem", field(&line, "multi-mem"));
        }
    });
}

#[test]
fn watch_broken_by_writes() {
    let mut pair = Pair::start();
    pair.scenario("another client's write", |srv, t| {
        let mut a = srv.conn();
        let mut b = srv.conn();
        t.call(&mut a, &["SET", "w", "1"]);
        t.call(&mut a, &["WATCH", "w", "other"]);
        t.call(&mut b, &["GET", "w"]);
        t.call(&mut a, &["MULTI"]);
        t.call(&mut a, &["INCR", "w"]);
        t.call(&mut a, &["EXEC"]);
        t.call(&mut a, &["WATCH", "w"]);
        t.call(&mut b, &["INCR", "w"]);
        t.call(&mut a, &["MULTI"]);
        t.call(&mut a, &["INCR", "w"]);
        t.call(&mut a, &["EXEC"]);
        t.call(&mut a, &["GET", "w"]);
        // A write that changes nothing (DEL of a missing key) breaks nothing.
        t.call(&mut a, &["WATCH", "gone"]);
        t.call(&mut b, &["DEL", "gone"]);
        t.call(&mut a, &["MULTI"]);
        t.call(&mut a, &["PING"]);
        t.call(&mut a, &["EXEC"]);
        // Creating a watched key does.
        t.call(&mut a, &["WATCH", "gone"]);
        t.call(&mut b, &["SET", "gone", "now"]);
        t.call(&mut a, &["MULTI"]);
        t.call(&mut a, &["PING"]);
        t.call(&mut a, &["EXEC"]);
        // A write in another database to the same name does not.
        t.call(&mut a, &["WATCH", "w"]);
        t.call(&mut b, &["SELECT", "1"]);
        t.call(&mut b, &["SET", "w", "elsewhere"]);
        t.call(&mut a, &["MULTI"]);
        t.call(&mut a, &["PING"]);
        t.call(&mut a, &["EXEC"]);
    });
    pair.scenario("the watcher's own write outside MULTI", |srv, t| {
        let mut a = srv.conn();
        t.call(&mut a, &["WATCH", "own"]);
        t.call(&mut a, &["SET", "own", "1"]);
        t.call(&mut a, &["MULTI"]);
        t.call(&mut a, &["GET", "own"]);
        t.call(&mut a, &["EXEC"]);
        // EXEC forgot the watch, so the next transaction runs.
        t.call(&mut a, &["SET", "own", "2"]);
        t.call(&mut a, &["MULTI"]);
        t.call(&mut a, &["GET", "own"]);
        t.call(&mut a, &["EXEC"]);
    });
    pair.scenario("UNWATCH, DISCARD and RESET forget watches", |srv, t| {
        let mut a = srv.conn();
        let mut b = srv.conn();
        for undo in [&["UNWATCH"][..], &["MULTI"], &["RESET"]] {
            t.call(&mut a, &["WATCH", "u"]);
            t.call(&mut b, &["SET", "u", "x"]);
            t.call(&mut a, undo);
            if undo[0] == "MULTI" {
                t.call(&mut a, &["DISCARD"]);
            }
            t.call(&mut a, &["MULTI"]);
            t.call(&mut a, &["GET", "u"]);
            t.call(&mut a, &["EXEC"]);
        }
    });
    pair.scenario("key commands touching watched keys", |srv, t| {
        let mut a = srv.conn();
        let mut b = srv.conn();
        t.call(&mut b, &["SET", "src", "v"]);
        let dump = b.call_parsed(&["DUMP", "src"]);
        let payload = dump.bytes().unwrap_or_default().to_vec();
        let steps: Vec<(&str, Vec<Vec<u8>>)> = vec![
            ("dst", cmd(&["RENAME", "src", "dst"])),
            ("dst", cmd(&["RENAME", "dst", "src"])),
            ("src", cmd(&["MOVE", "src", "2"])),
            ("cp", cmd(&["COPY", "dst2", "cp"])),
            ("rs", {
                let mut v = cmd(&["RESTORE", "rs", "0"]);
                v.push(payload.clone());
                v
            }),
            ("src", cmd(&["EXPIRE", "src", "100"])),
            ("src", cmd(&["PERSIST", "src"])),
        ];
        b.call(&["SET", "dst2", "c"]);
        for (key, write) in steps {
            t.call(&mut a, &["WATCH", key]);
            b.cmd(&write);
            t.reply("write", Mask::Exact, &b.read_reply());
            t.call(&mut a, &["MULTI"]);
            t.call(&mut a, &["PING"]);
            t.call(&mut a, &["EXEC"]);
            b.call(&["SELECT", "0"]);
            b.call(&["SET", "src", "v"]);
        }
    });
}

fn cmd(words: &[&str]) -> Vec<Vec<u8>> {
    words.iter().map(|w| w.as_bytes().to_vec()).collect()
}

#[test]
fn watch_broken_by_flushes() {
    let mut pair = Pair::start();
    pair.scenario("FLUSHDB, FLUSHALL and SWAPDB", |srv, t| {
        let mut a = srv.conn();
        let mut b = srv.conn();
        let round = |a: &mut Conn, t: &mut Transcript| {
            t.call(a, &["MULTI"]);
            t.call(a, &["PING"]);
            t.call(a, &["EXEC"]);
        };
        // A flush of a database without the key changes nothing.
        t.call(&mut a, &["WATCH", "f"]);
        t.call(&mut b, &["FLUSHDB"]);
        round(&mut a, t);
        t.call(&mut b, &["SET", "f", "1"]);
        t.call(&mut a, &["WATCH", "f"]);
        t.call(&mut b, &["FLUSHALL"]);
        round(&mut a, t);
        t.call(&mut b, &["SET", "f", "1"]);
        t.call(&mut a, &["WATCH", "f"]);
        t.call(&mut b, &["FLUSHDB"]);
        round(&mut a, t);
        t.call(&mut b, &["SET", "f", "1"]);
        t.call(&mut a, &["WATCH", "f"]);
        t.call(&mut b, &["SELECT", "5"]);
        t.call(&mut b, &["FLUSHDB"]);
        round(&mut a, t);
        // SWAPDB: the key arriving from the other database, or leaving.
        t.call(&mut b, &["SET", "s", "in 5"]);
        t.call(&mut a, &["WATCH", "s"]);
        t.call(&mut b, &["SWAPDB", "0", "5"]);
        round(&mut a, t);
        t.call(&mut a, &["WATCH", "s"]);
        t.call(&mut b, &["SWAPDB", "0", "5"]);
        round(&mut a, t);
        t.call(&mut a, &["WATCH", "none"]);
        t.call(&mut b, &["SWAPDB", "0", "5"]);
        round(&mut a, t);
    });
}

#[test]
fn watch_and_expiry() {
    let mut pair = Pair::start_with(DEBUG_ON);
    pair.scenario("a watched key expiring breaks the watch", |srv, t| {
        let mut a = srv.conn();
        let mut b = srv.conn();
        t.call(&mut b, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
        // Expired and not yet deleted.
        t.call(&mut b, &["SET", "x", "1", "PX", "20"]);
        t.call(&mut a, &["WATCH", "x"]);
        std::thread::sleep(Duration::from_millis(40));
        t.call(&mut a, &["MULTI"]);
        t.call(&mut a, &["PING"]);
        t.call(&mut a, &["EXEC"]);
        // Deleted by another client's read (lazy expiry).
        t.call(&mut b, &["SET", "x", "1", "PX", "20"]);
        t.call(&mut a, &["WATCH", "x"]);
        std::thread::sleep(Duration::from_millis(40));
        t.call(&mut b, &["GET", "x"]);
        t.call(&mut a, &["MULTI"]);
        t.call(&mut a, &["PING"]);
        t.call(&mut a, &["EXEC"]);
        // Deleted by active expiry.
        t.call(&mut b, &["DEBUG", "SET-ACTIVE-EXPIRE", "1"]);
        t.call(&mut b, &["SET", "x", "1", "PX", "20"]);
        t.call(&mut a, &["WATCH", "x"]);
        let mut admin = srv.conn();
        let gone = wait_until(Duration::from_secs(5), || {
            info_field(&mut admin, "keyspace", "db0").is_none()
        });
        t.note("deleted by active expiry", gone);
        t.call(&mut a, &["MULTI"]);
        t.call(&mut a, &["PING"]);
        t.call(&mut a, &["EXEC"]);
    });
    pair.scenario("keys already expired when watched", |srv, t| {
        let mut a = srv.conn();
        let mut b = srv.conn();
        t.call(&mut b, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
        let stale = |b: &mut Conn, t: &mut Transcript, db: &str| {
            t.call(b, &["SELECT", db]);
            t.call(b, &["SET", "st", "1"]);
            t.call(b, &["PEXPIRE", "st", "1"]);
            t.call(b, &["SELECT", "0"]);
        };
        let round = |a: &mut Conn, t: &mut Transcript| {
            t.call(a, &["MULTI"]);
            t.call(a, &["PING"]);
            t.call(a, &["EXEC"]);
        };
        // Watched stale, then nothing: EXEC runs.
        stale(&mut b, t, "0");
        std::thread::sleep(Duration::from_millis(5));
        t.call(&mut a, &["WATCH", "st"]);
        round(&mut a, t);
        // Watched stale, then deleted by expiry (a read, a DEL): no change.
        stale(&mut b, t, "0");
        std::thread::sleep(Duration::from_millis(5));
        t.call(&mut a, &["WATCH", "st"]);
        t.call(&mut b, &["GET", "st"]);
        round(&mut a, t);
        stale(&mut b, t, "0");
        std::thread::sleep(Duration::from_millis(5));
        t.call(&mut a, &["WATCH", "st"]);
        t.call(&mut b, &["DEL", "st"]);
        round(&mut a, t);
        // Watched stale, then written: a change.
        stale(&mut b, t, "0");
        std::thread::sleep(Duration::from_millis(5));
        t.call(&mut a, &["WATCH", "st"]);
        t.call(&mut b, &["SET", "st", "2"]);
        round(&mut a, t);
        // Watched stale, then the database flushed: no change.
        stale(&mut b, t, "0");
        std::thread::sleep(Duration::from_millis(5));
        t.call(&mut a, &["WATCH", "st"]);
        t.call(&mut b, &["FLUSHDB"]);
        round(&mut a, t);
        // SWAPDB: stale replaced by stale, missing replaced by stale, stale
        // replaced by live.
        stale(&mut b, t, "0");
        stale(&mut b, t, "1");
        std::thread::sleep(Duration::from_millis(5));
        t.call(&mut a, &["WATCH", "st"]);
        t.call(&mut b, &["SWAPDB", "0", "1"]);
        round(&mut a, t);
        t.call(&mut b, &["FLUSHALL"]);
        stale(&mut b, t, "1");
        std::thread::sleep(Duration::from_millis(5));
        t.call(&mut a, &["WATCH", "st"]);
        t.call(&mut b, &["SWAPDB", "0", "1"]);
        round(&mut a, t);
        t.call(&mut b, &["FLUSHALL"]);
        stale(&mut b, t, "0");
        t.call(&mut b, &["SELECT", "1"]);
        t.call(&mut b, &["SET", "st", "live"]);
        std::thread::sleep(Duration::from_millis(5));
        t.call(&mut a, &["WATCH", "st"]);
        t.call(&mut b, &["SWAPDB", "0", "1"]);
        round(&mut a, t);
    });
}

#[test]
fn watch_broken_by_debug_reload() {
    let mut pair = Pair::start_with(DEBUG_ON);
    pair.scenario("DEBUG RELOAD touches existing watched keys", |srv, t| {
        let mut a = srv.conn();
        let mut b = srv.conn();
        t.call(&mut b, &["SET", "kept", "1"]);
        t.call(&mut a, &["WATCH", "missing"]);
        t.call(&mut b, &["DEBUG", "RELOAD"]);
        t.call(&mut a, &["MULTI"]);
        t.call(&mut a, &["PING"]);
        t.call(&mut a, &["EXEC"]);
        t.call(&mut a, &["WATCH", "kept"]);
        t.call(&mut b, &["DEBUG", "RELOAD"]);
        t.call(&mut a, &["MULTI"]);
        t.call(&mut a, &["PING"]);
        t.call(&mut a, &["EXEC"]);
    });
}

#[test]
fn client_pause_write_holds_queued_writes_and_exec() {
    let mut pair = Pair::start();
    pair.scenario("CLIENT PAUSE WRITE", |srv, t| {
        let mut a = srv.conn();
        let mut admin = srv.conn();
        t.call(&mut a, &["MULTI"]);
        t.call(&mut a, &["GET", "p"]);
        t.call(&mut admin, &["CLIENT", "PAUSE", "300", "WRITE"]);
        // Reads are queued at once, writes wait for the pause to end.
        t.call(&mut a, &["GET", "p"]);
        a.cmd(&["SET", "p", "1"]);
        t.note("write held", a.close_state(Duration::from_millis(100)));
        t.reply("write queued after the pause", Mask::Exact, &a.read_reply());
        // An EXEC of writes counts as a write.
        t.call(&mut admin, &["CLIENT", "PAUSE", "300", "WRITE"]);
        a.cmd(&["EXEC"]);
        t.note("exec held", a.close_state(Duration::from_millis(100)));
        t.reply("exec after the pause", Mask::Exact, &a.read_reply());
        // One of reads only does not.
        t.call(&mut a, &["MULTI"]);
        t.call(&mut a, &["GET", "p"]);
        t.call(&mut admin, &["CLIENT", "PAUSE", "300", "WRITE"]);
        t.call(&mut a, &["EXEC"]);
        t.call(&mut admin, &["CLIENT", "UNPAUSE"]);
    });
}

#[test]
fn commandstats_after_transactions() {
    let mut pair = Pair::start();
    pair.scenario("calls, failures and errors", |srv, t| {
        let mut a = srv.conn();
        a.call(&["CONFIG", "RESETSTAT"]);
        for words in [
            &["MULTI"][..],
            &["SET", "cs", "1"],
            &["INCR", "cs"],
            &["NOSUCH"],
            &["EXEC"],
            &["MULTI"],
            &["SET", "cs", "a"],
            &["INCR", "cs"],
            &["LPUSH", "cs", "x"],
            &["EXEC"],
            &["EXEC"],
            &["WATCH", "cs"],
            &["SET", "cs", "b"],
            &["MULTI"],
            &["GET", "cs"],
            &["EXEC"],
        ] {
            t.call(&mut a, words);
        }
        let stats = a.call_parsed(&["INFO", "commandstats"]).text();
        let mut lines: Vec<String> = stats
            .lines()
            .filter(|l| l.starts_with("cmdstat_") && !l.contains("config|resetstat"))
            .map(|l| {
                let (name, rest) = l.split_once(':').unwrap_or((l, ""));
                let keep: Vec<&str> = rest.split(',').filter(|f| !f.starts_with("usec")).collect();
                format!("{name}:{}", keep.join(","))
            })
            .collect();
        lines.sort();
        t.note("commandstats", lines);
        let errors = a.call_parsed(&["INFO", "errorstats"]).text();
        let mut errors: Vec<&str> = errors
            .lines()
            .filter(|l| l.starts_with("errorstat_"))
            .collect();
        errors.sort_unstable();
        t.note("errorstats", errors);
        t.note(
            "total_commands_processed",
            info_field(&mut a, "stats", "total_commands_processed"),
        );
    });
}

#[test]
fn transactions_in_the_aof() {
    let mut pair = Pair::start_with(&["--appendonly", "yes", "--appendfsync", "always"]);
    pair.scenario("what transactions write", |srv, t| {
        let mut c = srv.conn();
        let script: &[&[&str]] = &[
            // One write and a read: the write alone, unwrapped.
            &["SELECT", "3"],
            &["MULTI"],
            &["SET", "a", "1"],
            &["GET", "a"],
            &["EXEC"],
            // Reads only: nothing.
            &["MULTI"],
            &["GET", "a"],
            &["EXEC"],
            // Several writes over two databases.
            &["MULTI"],
            &["SET", "b", "2"],
            &["SELECT", "0"],
            &["INCR", "n"],
            &["EXPIRE", "n", "100"],
            &["EXEC"],
            // Begins in another database than the last written: SELECT first.
            &["SELECT", "5"],
            &["MULTI"],
            &["SET", "x", "1"],
            &["SET", "y", "2"],
            &["EXEC"],
            // A failing write among them is left out.
            &["MULTI"],
            &["SET", "s", "x"],
            &["INCR", "s"],
            &["EXEC"],
            // Blocking commands run as their plain forms.
            &["MULTI"],
            &["LPUSH", "l", "a", "b"],
            &["BLPOP", "l", "0"],
            &["BRPOPLPUSH", "l", "m", "0"],
            &["BLPOP", "l", "0"],
            &["EXEC"],
            // Aborted and discarded transactions: nothing.
            &["MULTI"],
            &["SET", "z", "1"],
            &["NOSUCH"],
            &["EXEC"],
            &["MULTI"],
            &["SET", "z", "1"],
            &["DISCARD"],
        ];
        for words in script {
            t.call(&mut c, words);
        }
        t.note("incremental files", mask_deadlines(&srv.incremental_aof()));
    });
}

/// The AOF text with PEXPIREAT's absolute deadlines (13 digits) masked.
fn mask_deadlines(aof: &str) -> String {
    let mut out = String::new();
    let mut rest = aof;
    while let Some(at) = rest.find("$13\r\n") {
        out.push_str(&rest[..at + 5]);
        rest = &rest[at + 5..];
        if rest.len() >= 13 && rest.as_bytes()[..13].iter().all(u8::is_ascii_digit) {
            out.push_str("<deadline>");
            rest = &rest[13..];
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn deletions_by_expiry_in_the_aof() {
    let mut pair = Pair::start_with(&[
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--enable-debug-command",
        "yes",
    ]);
    pair.scenario(
        "expired keys met by writes, reads and transactions",
        |srv, t| {
            let mut c = srv.conn();
            t.call(&mut c, &["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
            for key in ["ea", "eb", "ec"] {
                t.call(&mut c, &["SET", key, "1", "PX", "1"]);
            }
            std::thread::sleep(Duration::from_millis(10));
            // A write on an expired key: its DEL and the write in one block.
            t.call(&mut c, &["LPUSH", "ea", "x"]);
            // A read: the DEL alone.
            t.call(&mut c, &["GET", "eb"]);
            // Inside a transaction: the DEL joins the block.
            t.call(&mut c, &["MULTI"]);
            t.call(&mut c, &["LPUSH", "ec", "y"]);
            t.call(&mut c, &["INCR", "en"]);
            t.call(&mut c, &["EXEC"]);
            t.note("incremental files", mask_deadlines(&srv.incremental_aof()));
        },
    );
}

/// A MONITOR line with its clock and the client's port masked.
fn monitor_line(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw).into_owned();
    let Some((_, rest)) = text.split_once(' ') else {
        return text;
    };
    match rest.split_once("] ") {
        Some((origin, args)) => {
            let origin = origin.rsplit_once(':').map_or(origin, |(head, _)| head);
            format!("{origin}] {args}")
        }
        None => rest.to_string(),
    }
}

#[test]
fn monitor_streams_commands() {
    let mut pair = Pair::start();
    pair.scenario("what MONITOR shows", |srv, t| {
        let mut m = srv.conn();
        t.call(&mut m, &["MONITOR"]);
        let mut a = srv.conn();
        let mut b = srv.conn();
        let requests: &[&[&str]] = &[
            &["SET", "k", "a b\"c\n\u{1}\\ \u{7f}"],
            &["GET", ""],
            &["AUTH", "secret"],
            &["AUTH", "user", "secret"],
            &["HELLO", "2", "AUTH", "default", "pw", "SETNAME", "n"],
            &["HELLO", "2", "SETNAME", "auth"],
            &["HELLO", "3"],
            &["HELLO", "2"],
            &["MULTI"],
            &["SET", "x", "1"],
            &["INCR", "x"],
            &["EXEC"],
            &["MULTI"],
            &["NOSUCH"],
            &["EXEC"],
            &["CONFIG", "GET", "port"],
            &["SELECT", "2"],
            &["PING"],
            &["NOSUCH"],
            &["GET"],
            &["CLIENT", "ID"],
            &["EXEC"],
        ];
        for words in requests {
            a.call(words);
        }
        // A command that blocks is shown when it runs, not when served.
        // (Waiting by polling INFO would show the polls.)
        b.cmd(&["BLPOP", "bl", "0"]);
        std::thread::sleep(Duration::from_millis(200));
        a.call(&["SELECT", "0"]);
        a.call(&["RPUSH", "bl", "x"]);
        b.read_reply();
        a.call(&["QUIT"]);
        m.set_timeout(Duration::from_millis(300));
        let mut lines = Vec::new();
        while let Ok(raw) = m.try_read_reply() {
            lines.push(monitor_line(&raw));
            if lines.len() > 40 {
                break;
            }
        }
        t.note("lines", lines);
    });
    pair.scenario("a monitor in CLIENT LIST, and RESET ends it", |srv, t| {
        let mut m = srv.conn();
        t.call(&mut m, &["MONITOR"]);
        // Asking again gets no reply at all.
        m.cmd(&["MONITOR"]);
        t.note("again", m.close_state(Duration::from_millis(100)));
        let mut a = srv.conn();
        t.call_masked(&mut a, CLIENT_FIELDS, &["CLIENT", "LIST"]);
        // A monitor sees its own commands, and may not touch the keyspace.
        t.call(&mut m, &["PING"]);
        t.reply(
            "own line",
            Mask::Custom(|r| monitor_line(r.text().as_bytes())),
            &m.read_reply(),
        );
        t.call(&mut m, &["GET", "k"]);
        // A refused EXEC is shown although it did not run.
        a.call(&["MULTI"]);
        t.reply(
            "MULTI",
            Mask::Custom(|r| monitor_line(r.text().as_bytes())),
            &m.read_reply(),
        );
        a.call(&["EXEC", "x"]);
        t.reply(
            "refused EXEC",
            Mask::Custom(|r| monitor_line(r.text().as_bytes())),
            &m.read_reply(),
        );
        a.call(&["EXEC"]);
        t.reply(
            "EXEC without MULTI",
            Mask::Custom(|r| monitor_line(r.text().as_bytes())),
            &m.read_reply(),
        );
        t.call(&mut m, &["RESET"]);
        a.call(&["SET", "after", "reset"]);
        t.note("no more lines", m.close_state(Duration::from_millis(100)));
        t.call_masked(&mut a, CLIENT_FIELDS, &["CLIENT", "LIST"]);
    });
}

#[test]
fn reset_undoes_connection_state() {
    let mut pair = Pair::start();
    pair.scenario("RESET in and after a transaction", |srv, t| {
        let mut a = srv.conn();
        t.call(&mut a, &["MULTI"]);
        t.call(&mut a, &["SET", "r", "1"]);
        t.call(&mut a, &["RESET"]);
        t.call(&mut a, &["EXEC"]);
        t.call(&mut a, &["GET", "r"]);
        t.call(&mut a, &["SELECT", "4"]);
        t.call(&mut a, &["CLIENT", "SETNAME", "named"]);
        t.call_masked(&mut a, Mask::Pairs(&["id"]), &["HELLO", "3"]);
        t.call(&mut a, &["WATCH", "r"]);
        t.call(&mut a, &["RESET"]);
        t.call_masked(&mut a, CLIENT_FIELDS, &["CLIENT", "INFO"]);
    });
    pair.scenario("RESET ends subscriptions, silently", |srv, t| {
        let mut a = srv.conn();
        let mut b = srv.conn();
        a.cmd(&["SUBSCRIBE", "ch1", "ch2"]);
        t.reply("subscribe 1", Mask::Exact, &a.read_reply());
        t.reply("subscribe 2", Mask::Exact, &a.read_reply());
        t.call(&mut a, &["PSUBSCRIBE", "p*"]);
        t.call(&mut a, &["RESET"]);
        t.call(&mut a, &["PING"]);
        t.call(&mut b, &["PUBSUB", "NUMSUB", "ch1", "ch2"]);
        t.call(&mut b, &["PUBSUB", "NUMPAT"]);
        t.call(&mut b, &["PUBLISH", "ch1", "m"]);
        t.call_masked(&mut a, CLIENT_FIELDS, &["CLIENT", "INFO"]);
    });
    pair.scenario("RESET turns tracking off", |srv, t| {
        let mut a = srv.conn();
        let mut b = srv.conn();
        t.call_masked(&mut a, Mask::Pairs(&["id"]), &["HELLO", "3"]);
        t.call(&mut a, &["CLIENT", "TRACKING", "ON"]);
        t.call(&mut a, &["GET", "tk"]);
        t.call(&mut a, &["RESET"]);
        t.call(&mut a, &["CLIENT", "TRACKINGINFO"]);
        t.call(&mut b, &["SET", "tk", "1"]);
        t.call(&mut a, &["PING"]);
    });
    let mut protected = Pair::start_with(&["--requirepass", "pw"]);
    protected.scenario("RESET forgets authentication", |srv, t| {
        let mut a = srv.conn();
        t.call(&mut a, &["AUTH", "pw"]);
        t.call(&mut a, &["MULTI"]);
        t.call(&mut a, &["RESET"]);
        t.call(&mut a, &["GET", "k"]);
        t.call(&mut a, &["MULTI"]);
    });
}

/// A connection of the `redis` crate, as an application opens one.
fn library_client(srv: &Server) -> redis::Connection {
    let url = format!("redis://127.0.0.1:{}/", srv.port);
    let con = redis::Client::open(url.as_str())
        .and_then(|c| c.get_connection_with_timeout(Duration::from_secs(5)))
        .unwrap_or_else(|e| panic!("connect to {url}: {e}"));
    con.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("read timeout");
    con
}

#[test]
fn client_library_transactions() {
    on_both(&[], |srv| {
        let mut con = library_client(srv);
        // An atomic pipeline is MULTI ... EXEC; the library unpacks EXEC's array.
        let (set, n, list): (String, i64, Vec<String>) = redis::pipe()
            .atomic()
            .cmd("SET")
            .arg("lib:n")
            .arg(1)
            .cmd("INCRBY")
            .arg("lib:n")
            .arg(41)
            .cmd("RPUSH")
            .arg("lib:l")
            .arg("a")
            .ignore()
            .cmd("LRANGE")
            .arg("lib:l")
            .arg(0)
            .arg(-1)
            .query(&mut con)
            .expect("atomic pipeline");
        assert_eq!((set.as_str(), n, list), ("OK", 42, vec!["a".to_string()]));
        // A runtime error inside is reported, the rest still ran.
        let err = redis::pipe()
            .atomic()
            .cmd("INCR")
            .arg("lib:l")
            .cmd("SET")
            .arg("lib:after")
            .arg("yes")
            .query::<(i64, String)>(&mut con)
            .expect_err("INCR of a list fails");
        assert!(err.to_string().contains("WRONGTYPE"), "{err}");
        let after: String = redis::cmd("GET").arg("lib:after").query(&mut con).unwrap();
        assert_eq!(after, "yes");
    });
}

#[test]
fn client_library_optimistic_lock() {
    on_both(&[], |srv| {
        const WORKERS: usize = 3;
        const ROUNDS: i64 = 50;
        let handles: Vec<_> = (0..WORKERS)
            .map(|_| {
                let mut con = library_client(srv);
                std::thread::spawn(move || {
                    for _ in 0..ROUNDS {
                        // WATCH, read, then write in MULTI/EXEC; a null EXEC
                        // (someone wrote in between) makes the library retry.
                        let _: () = redis::transaction(&mut con, &["lib:counter"], |con, pipe| {
                            let v: Option<i64> = redis::cmd("GET").arg("lib:counter").query(con)?;
                            pipe.cmd("SET")
                                .arg("lib:counter")
                                .arg(v.unwrap_or(0) + 1)
                                .ignore()
                                .query(con)
                        })
                        .expect("transaction");
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().expect("worker");
        }
        let mut con = library_client(srv);
        let total: i64 = redis::cmd("GET")
            .arg("lib:counter")
            .query(&mut con)
            .unwrap();
        assert_eq!(total, WORKERS as i64 * ROUNDS, "no increment lost");
    });
}

#[test]
fn a_monitor_that_does_not_read_hits_the_normal_output_limit() {
    let mut pair = Pair::start();
    pair.scenario(
        "monitor over client-output-buffer-limit normal",
        |srv, t| {
            let mut admin = srv.conn();
            t.call(
                &mut admin,
                &[
                    "CONFIG",
                    "SET",
                    "client-output-buffer-limit",
                    "normal 256kb 0 0",
                ],
            );
            let mut m = srv.conn();
            t.call(&mut m, &["MONITOR"]);
            // Far more than the socket buffers hold, so the monitor's output
            // grows past the limit on the server.
            let value = "v".repeat(64 * 1024);
            for _ in 0..200 {
                admin.call(&["SET", "big", &value]);
            }
            let mut check = srv.conn();
            let closed = wait_until(Duration::from_secs(5), || {
                let list = check.call_parsed(&["CLIENT", "LIST"]).text();
                !list.contains("flags=O")
            });
            t.note("monitor closed", closed);
            t.call_masked(&mut admin, CLIENT_FIELDS, &["CLIENT", "LIST"]);
        },
    );
}

/// Everything the server sends until it has been quiet for 200 ms.
fn drain(conn: &mut Conn) -> Vec<u8> {
    let mut out = Vec::new();
    while let CloseState::Data(bytes) = conn.close_state(Duration::from_millis(200)) {
        out.extend_from_slice(&bytes);
    }
    out
}

#[test]
fn client_reply_modes_inside_transactions() {
    let mut pair = Pair::start();
    pair.scenario("CLIENT REPLY OFF, ON and SKIP queued", |srv, t| {
        let sequences: &[&[&[&str]]] = &[
            &[
                &["MULTI"],
                &["CLIENT", "REPLY", "OFF"],
                &["PING"],
                &["EXEC"],
                &["CLIENT", "REPLY", "ON"],
            ],
            // Redis's array then announces one reply more than it sends.
            &[
                &["MULTI"],
                &["CLIENT", "REPLY", "SKIP"],
                &["PING"],
                &["EXEC"],
                &["PING"],
                &["PING"],
            ],
            &[
                &["CLIENT", "REPLY", "SKIP"],
                &["MULTI"],
                &["PING"],
                &["EXEC"],
                &["PING"],
            ],
            &[
                &["CLIENT", "REPLY", "OFF"],
                &["MULTI"],
                &["CLIENT", "REPLY", "ON"],
                &["PING"],
                &["EXEC"],
                &["PING"],
            ],
        ];
        for seq in sequences {
            let mut c = srv.conn();
            let mut bytes = Vec::new();
            for words in *seq {
                bytes.extend_from_slice(&resp::encode_cmd(words));
            }
            c.send_raw(&bytes);
            t.note("replies", escape(&drain(&mut c)));
        }
    });
}

#[test]
fn monitors_are_not_closed_for_idling() {
    let mut pair = Pair::start_with(&["--timeout", "1"]);
    pair.scenario("timeout spares monitors", |srv, t| {
        let mut m = srv.conn();
        t.call(&mut m, &["MONITOR"]);
        let mut c = srv.conn();
        t.call(&mut c, &["PING"]);
        t.reply(
            "PING shown",
            Mask::Custom(|r| monitor_line(r.text().as_bytes())),
            &m.read_reply(),
        );
        // Redis compares whole seconds, so "idle > 1s" can take almost 3s.
        t.note("idle client", c.close_state(Duration::from_secs(5)));
        t.note("idle monitor", m.close_state(Duration::from_millis(1500)));
    });
}
