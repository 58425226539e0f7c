//! Streams without consumer groups, differentially against redis-server
//! 7.0: XADD (IDs at their edges, every option and error), XRANGE and
//! XREVRANGE, XLEN, XDEL, XTRIM, XSETID and XREAD in RESP2 and RESP3,
//! node layout seen through DUMP bytes and DEBUG DIGEST, the generic key
//! commands on a stream, blocking XREAD over several connections, the
//! forms writes reach the AOF in, and persistence: DUMP/RESTORE and RDB
//! files both ways, AOF rewrite.
//!
//! IDs from `*` follow the clock, so replies holding them are compared by
//! shape only; everything else uses explicit or `<ms>-*` IDs.

use std::fs;
use std::time::Duration;

use crate::util::keyspace::{info_field, wait_until};
use crate::util::server::temp_dir;
use crate::util::*;

/// DEBUG (DIGEST-VALUE, LISTPACK) is used throughout.
const DEBUG_ON: &[&str] = &["--enable-debug-command", "yes"];

/// Replies to HELLO differ only in the connection id.
const HELLO: Mask = Mask::Pairs(&["id"]);

/// A case of one command per line, arguments split on spaces; a line
/// starting with `~` is compared by shape (its reply holds a clock ID).
fn script(name: &str, text: &str) -> Case {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .fold(Case::new(name), |case, line| {
            let (mask, line) = match line.strip_prefix("~ ") {
                Some(rest) => (Some(Mask::Shape), rest),
                None => (None, line),
            };
            let args: Vec<&str> = line.split(' ').collect();
            if args[0].eq_ignore_ascii_case("hello") {
                case.masked(HELLO, &args)
            } else if let Some(mask) = mask {
                case.masked(mask, &args)
            } else {
                case.cmd(&args)
            }
        })
}

fn sdiff(cases: &[Case]) {
    diff_with(DEBUG_ON, cases);
}

/// `XADD key <i>-<seq> f<i%3> v<i>` for i in `from..=to`, with every third
/// entry carrying fields of its own.
fn fill(key: &str, from: u64, to: u64) -> Vec<Vec<String>> {
    (from..=to)
        .map(|i| {
            let mut cmd = vec!["XADD".into(), key.into(), format!("{i}-1")];
            if i % 3 == 0 {
                cmd.extend(["other".into(), format!("{i}"), "x".into(), "y".into()]);
            } else {
                cmd.extend(["field".into(), format!("value{i}")]);
            }
            cmd
        })
        .collect()
}

fn with_fill(case: Case, key: &str, from: u64, to: u64) -> Case {
    fill(key, from, to)
        .iter()
        .fold(case, |case, cmd| case.cmd_bytes(cmd))
}

#[test]
fn xadd_ids_and_errors() {
    sdiff(&[script(
        "explicit, partial and edge IDs",
        "
        XADD s 1-1 a 1
        XADD s 1-1 a 1
        XADD s 1-0 a 1
        XADD s 1 a 1
        XADD s 1-* a 2
        XADD s 2-* a 3
        XADD s 2-* a 4 b 5
        XADD s 0-0 a 1
        XADD new 0-0 a 1
        EXISTS new
        XADD new 0 a 1
        XADD new 0-* a 1
        XADD new 0-* a 2
        XRANGE new - +
        XADD s 18446744073709551615-18446744073709551614 a 1
        XADD s 18446744073709551615-* a 1
        XADD s 18446744073709551615-* a 1
        XADD s * a 1
        XADD s 1-2 a 1
        XADD o 5-18446744073709551615 a 1
        XADD o 5-* a 1
        XADD o 6-* a 1
        XADD o 18446744073709551616-1 a 1
        XADD o -1 a 1
        XADD o 1-2-3 a 1
        XADD o + a 1
        XADD o - a 1
        XADD o 007-+1 a 1
        XADD o 8- a 1
        XADD o abc a 1
        XADD o 9-0 a
        XADD o 9-0
        XADD o 9-0 a 1 b
        XADD o
        XADD o MAXLEN
        XADD o MAXLEN 5
        XADD o NOMKSTREAM
        XADD nokey NOMKSTREAM 1-1 a 1
        EXISTS nokey
        XADD o NOMKSTREAM 10-0 a 1
        XRANGE o - +
        SET str x
        XADD str 1-1 a 1
        XADD str NOMKSTREAM 1-1 a 1
        HELLO 3
        XADD nokey NOMKSTREAM 1-1 a 1
        XADD o 11-0 a 1
        ",
    )]);
}

#[test]
fn xadd_auto_ids_follow_the_clock() {
    sdiff(&[script(
        "star IDs",
        "
        ~ XADD s * a 1
        ~ XADD s * a 1
        XLEN s
        XADD f 99999999999999-5 a 1
        XADD f * a 1
        XADD f * a 1
        XADD f 99999999999999-* a 1
        ",
    )]);
}

#[test]
fn xadd_trimming_options() {
    let case = with_fill(Case::new("xadd trims"), "t", 1, 350);
    let case = [
        "XLEN t",
        "XADD t MAXLEN ~ 300 351-1 a 1",
        "XLEN t",
        "XADD t MAXLEN = 250 352-1 a 1",
        "XLEN t",
        "XADD t MAXLEN 200 353-1 a 1",
        "XLEN t",
        "XADD t MINID ~ 250 354-1 a 1",
        "XLEN t",
        "XADD t MINID 260-1 355-1 a 1",
        "XLEN t",
        "XADD t MINID = 270 356-1 a 1",
        "XRANGE t - + COUNT 2",
        "XADD t MAXLEN ~ 10 LIMIT 50 357-1 a 1",
        "XLEN t",
        "XADD t MAXLEN ~ 10 LIMIT 0 358-1 a 1",
        "XLEN t",
        "XADD t MAXLEN 10 LIMIT 5 359-1 a 1",
        "XADD t LIMIT 5 359-1 a 1",
        "XADD t MAXLEN 1 MINID 5 359-1 a 1",
        "XADD t MINID 5 MAXLEN 1 359-1 a 1",
        "XADD t MAXLEN -1 359-1 a 1",
        "XADD t MAXLEN x 359-1 a 1",
        "XADD t MAXLEN ~ x 359-1 a 1",
        "XADD t MINID x 359-1 a 1",
        "XADD t MINID - 359-1 a 1",
        "XADD t LIMIT -1 MAXLEN ~ 1 359-1 a 1",
        "XADD t LIMIT x MAXLEN ~ 1 359-1 a 1",
        "XADD t MAXLEN ~ 1 LIMIT 100000 359-1 a 1",
        "XLEN t",
        "XADD t MAXLEN 0 360-1 a 1",
        "XLEN t",
        "XRANGE t - +",
        "XADD t NOMKSTREAM MAXLEN 0 361-1 a 1",
        "EXISTS t",
        "XLEN t",
    ]
    .iter()
    .fold(case, |case, line| {
        case.cmd(&line.split(' ').collect::<Vec<_>>())
    });
    sdiff(&[case]);
}

#[test]
fn ranges_both_ways() {
    let case = with_fill(Case::new("ranges"), "r", 1, 120);
    let case = [
        "XRANGE r - + COUNT 3",
        "XREVRANGE r + - COUNT 3",
        "XRANGE r 5 7",
        "XRANGE r 5-1 7-0",
        "XRANGE r (5-1 (8-1",
        "XREVRANGE r (8-1 (5-1",
        "XRANGE r 100 +",
        "XREVRANGE r 20 10",
        "XRANGE r 10 5",
        "XRANGE r - + COUNT 0",
        "XRANGE r - + COUNT -5",
        "XRANGE r - + COUNT 2 COUNT 1",
        "XRANGE r - + COUNT",
        "XRANGE r - + LIMIT 2",
        "XRANGE r - + COUNT x",
        "XRANGE r (- +",
        "XRANGE r - (+",
        "XRANGE r ( +",
        "XRANGE r (18446744073709551615-18446744073709551615 +",
        "XRANGE r - (0-0",
        "XRANGE r x +",
        "XRANGE r - x",
        "XRANGE r 1-* +",
        "XRANGE nokey - +",
        "XRANGE nokey - + COUNT 0",
        "XREVRANGE nokey + -",
        "XRANGE r 18446744073709551615 +",
        "XRANGE r 0 0",
        "XRANGE",
        "XRANGE r -",
        "SET str x",
        "XRANGE str - +",
        "XREVRANGE str + -",
        "XLEN str",
        "XLEN r",
        "XLEN nokey",
        "HELLO 3",
        "XRANGE r - + COUNT 2",
        "XREVRANGE r + - COUNT 2",
        "XRANGE r - + COUNT 0",
    ]
    .iter()
    .fold(case, |case, line| {
        let args: Vec<&str> = line.split(' ').collect();
        if args[0] == "HELLO" {
            case.masked(HELLO, &args)
        } else {
            case.cmd(&args)
        }
    });
    sdiff(&[case]);
}

#[test]
fn xdel_xtrim_and_node_layout() {
    let case = with_fill(Case::new("deletes and trims"), "d", 1, 250);
    let case = [
        "XDEL d 1-1",
        "XDEL d 1-1 2-1 3 4-1 999-1",
        "XDEL d 5-1 x",
        "XLEN d",
        "XDEL nokey x",
        "XDEL d",
        "XDEL d -",
        "XDEL d 6-1 6-1",
        "DEBUG DIGEST-VALUE d",
        "XRANGE d - + COUNT 3",
        "XREVRANGE d (100-1 - COUNT 2",
        "XTRIM d MAXLEN ~ 200",
        "XLEN d",
        "XTRIM d MAXLEN 180",
        "XLEN d",
        "XTRIM d MAXLEN 180",
        "XTRIM d MINID ~ 120",
        "XTRIM d MINID 125-1",
        "XTRIM d MINID = 130",
        "XLEN d",
        "XTRIM d MAXLEN ~ 10 LIMIT 60",
        "XTRIM d MAXLEN ~ 10 LIMIT 200",
        "XLEN d",
        "XTRIM d MAXLEN 10 LIMIT 2",
        "XTRIM d LIMIT 2",
        "XTRIM d",
        "XTRIM d MAXLEN",
        "XTRIM d FOO 1",
        "XTRIM d MAXLEN 1 MINID 1",
        "XTRIM d MAXLEN -1",
        "XTRIM d MINID +",
        "XTRIM d MAXLEN 5 junk",
        "XTRIM nokey MAXLEN 1",
        "XTRIM nokey MAXLEN x",
        "SET str x",
        "XTRIM str MAXLEN 1",
        "XDEL str 1",
        "DEBUG DIGEST-VALUE d",
        "XRANGE d - +",
        "XTRIM d MAXLEN 0",
        "EXISTS d",
        "XLEN d",
        "XRANGE d - +",
        "DEBUG DIGEST-VALUE d",
    ]
    .iter()
    .fold(case, |case, line| {
        case.cmd(&line.split(' ').collect::<Vec<_>>())
    });
    sdiff(&[case]);
}

#[test]
fn dump_bytes_follow_the_node_rules() {
    // Fields like the master entry's and not, integers stored as such,
    // node limits by entries and by bytes, deleted entries flagged.
    let mut case = with_fill(Case::new("layout"), "n", 1, 205)
        .cmd(&["XDEL", "n", "2-1", "3-1", "150-1"])
        .cmd(&["DUMP", "n"]);
    let big = "x".repeat(1500);
    for i in 1..=7 {
        case = case.cmd(&["XADD", "b", &format!("{i}-0"), "f", &big]);
    }
    let case = case
        .cmd(&["DUMP", "b"])
        .cmd(&["XADD", "i", "1-0", "12", "-5", "3.0", "0x10"])
        .cmd(&["XADD", "i", "1-1", "12", "9223372036854775807", "3.0", ""])
        .cmd(&["XADD", "i", "1-2", "13", "a"])
        .cmd(&["DUMP", "i"])
        .cmd(&["CONFIG", "SET", "stream-node-max-entries", "3"])
        .cmd(&["CONFIG", "GET", "stream-node-max-entries"])
        .cmd(&["CONFIG", "GET", "stream-node-max-bytes"])
        .cmd(&["XADD", "c", "1-0", "a", "1"])
        .cmd(&["XADD", "c", "2-0", "a", "2"])
        .cmd(&["XADD", "c", "3-0", "a", "3"])
        .cmd(&["XADD", "c", "4-0", "a", "4"])
        .cmd(&["DUMP", "c"])
        .cmd(&["CONFIG", "SET", "stream-node-max-entries", "0"])
        .cmd(&["CONFIG", "SET", "stream-node-max-bytes", "60"])
        .cmd(&["XADD", "e", "1-0", "abcdefghij", "1"])
        .cmd(&["XADD", "e", "2-0", "abcdefghij", "2"])
        .cmd(&["XADD", "e", "3-0", "abcdefghij", "3"])
        .cmd(&["DUMP", "e"])
        .cmd(&["CONFIG", "SET", "stream-node-max-bytes", "0"])
        .cmd(&["XADD", "e", "4-0", "abcdefghij", "4"])
        .cmd(&["DUMP", "e"]);
    sdiff(&[case]);
}

#[test]
fn xsetid_options_and_errors() {
    sdiff(&[script(
        "xsetid",
        "
        XSETID nokey 1-1
        XADD s 5-0 a 1
        XADD s 6-0 a 1
        XSETID s 4-0
        XSETID s 6-0
        XSETID s 100
        XADD s 50-0 a 1
        XADD s 100-* a 1
        XDEL s 6-0 100-1
        XSETID s 1-0
        XSETID s 5-5
        XSETID s 200 ENTRIESADDED 2
        XSETID s 200 ENTRIESADDED 1
        XSETID s 200 ENTRIESADDED -1
        XSETID s 200 ENTRIESADDED x
        XSETID s 200 MAXDELETEDID 300
        XSETID s 200 MAXDELETEDID 150 ENTRIESADDED 10
        XSETID s 200 MAXDELETEDID x
        XSETID s 200 MAXDELETEDID
        XSETID s 200 FOO 1
        XSETID s -
        XSETID s x
        XADD s 200-0 a 1
        XADD s 200-* a 1
        SET str x
        XSETID str 1
        XSETID str x
        XDEL s 5-0 200-1
        XSETID s 0-1
        XLEN s
        DUMP s
        ",
    )]);
}

#[test]
fn xread_without_blocking() {
    let case = with_fill(Case::new("xread"), "a", 1, 10);
    let case = with_fill(case, "b", 5, 8);
    let case = [
        "XREAD STREAMS a 0",
        "XREAD COUNT 2 STREAMS a b 3 5-1",
        "XREAD COUNT 2 STREAMS a b $ 5-1",
        "XREAD STREAMS a b $ $",
        "XREAD STREAMS nokey a 0 9",
        "XREAD STREAMS a a 0 8",
        "XREAD COUNT -1 STREAMS a 8",
        "XREAD COUNT 0 STREAMS a 8",
        "XREAD COUNT x STREAMS a 8",
        "XREAD STREAMS a",
        "XREAD STREAMS a b 0",
        "XREAD STREAMS",
        "XREAD a 0",
        "XREAD COUNT 1",
        "XREAD STREAMS a >",
        "XREAD STREAMS a -",
        "XREAD STREAMS a x",
        "XREAD GROUP g c STREAMS a 0",
        "XREAD NOACK STREAMS a 0",
        "XREAD BLOCK x STREAMS a 0",
        "XREAD BLOCK -1 STREAMS a 0",
        "XREAD BLOCK 1.5 STREAMS a 0",
        "XREAD BLOCK 10 STREAMS a 0",
        "XREAD BLOCK 10 STREAMS a $",
        "XREAD STREAMS a $",
        "SET str x",
        "XREAD STREAMS a str 0 0",
        "XREAD STREAMS str a x 0",
        "XREAD STREAMS a str x 0",
        "XDEL a 9-1 10-1",
        "XREAD STREAMS a 8-1",
        "XREAD STREAMS a 7-1",
        "MULTI",
        "XREAD BLOCK 0 STREAMS a $",
        "XREAD BLOCK 0 STREAMS a 0",
        "EXEC",
        "HELLO 3",
        "XREAD COUNT 1 STREAMS a b 0 0",
        "XREAD STREAMS a $",
        "XREAD BLOCK 10 STREAMS a $",
    ]
    .iter()
    .fold(case, |case, line| {
        let args: Vec<&str> = line.split(' ').collect();
        if args[0] == "HELLO" {
            case.masked(HELLO, &args)
        } else {
            case.cmd(&args)
        }
    });
    sdiff(&[case]);
}

#[test]
fn a_stream_is_a_key_like_any_other() {
    sdiff(&[script(
        "generic commands",
        "
        XADD s 1-0 a 1
        XADD s 2-0 b 2
        TYPE s
        OBJECT ENCODING s
        SCAN 0 TYPE stream
        SCAN 0 TYPE STREAM
        COPY s s2
        XRANGE s2 - +
        XADD s2 3-0 c 3
        XLEN s
        RENAME s2 s3
        XRANGE s3 - +
        MOVE s3 1
        SELECT 1
        XLEN s3
        DEBUG DIGEST-VALUE s3
        SELECT 0
        DEBUG DIGEST-VALUE s
        DEBUG DIGEST-VALUE nokey
        LPUSH l x
        XADD l 1-0 a 1
        XLEN l
        XDEL s 1-0 2-0
        EXISTS s
        TYPE s
        OBJECT ENCODING s
        DEBUG DIGEST-VALUE s
        XRANGE s - +
        XREVRANGE s + -
        XREAD STREAMS s 0
        XADD s 2-0 a 1
        XADD s 3-0 a 1
        ",
    )]);
}

#[test]
fn memory_usage_grows_with_the_stream() {
    let server = TestServer::start_with(&[]);
    let mut c = server.conn();
    let usage = |c: &mut Conn| c.call_parsed(&["MEMORY", "USAGE", "m"]).int().unwrap();
    c.call(&["XADD", "m", "1-0", "f", "v"]);
    let small = usage(&mut c);
    for i in 2..500 {
        c.call(&["XADD", "m", &format!("{i}-0"), "f", "v"]);
    }
    let big = usage(&mut c);
    assert!(small > 0 && big > small * 2, "{small} {big}");
}

/// Waits until the server counts `n` blocked clients.
fn until_blocked(admin: &mut Conn, n: usize) {
    let want = n.to_string();
    assert!(
        wait_until(Duration::from_secs(5), || {
            info_field(admin, "clients", "blocked_clients").as_deref() == Some(want.as_str())
        }),
        "{n} clients never blocked"
    );
}

#[test]
fn blocking_xread() {
    let mut pair = Pair::start();
    pair.scenario("served by an XADD, $ resolved at block time", |srv, t| {
        let mut admin = srv.conn();
        let mut c = srv.conn();
        admin.call(&["XADD", "q", "1-0", "a", "1"]);
        c.cmd(&["XREAD", "BLOCK", "0", "STREAMS", "q", "$"]);
        until_blocked(&mut admin, 1);
        t.call(&mut admin, &["XADD", "q", "2-0", "b", "2"]);
        t.reply("served", Mask::Exact, &c.read_reply());
        c.cmd(&[
            "XREAD", "COUNT", "1", "BLOCK", "0", "STREAMS", "nokey", "q", "0", "2-0",
        ]);
        until_blocked(&mut admin, 1);
        t.call(&mut admin, &["MULTI"]);
        t.call(&mut admin, &["XADD", "q", "3-0", "c", "3"]);
        t.call(&mut admin, &["XADD", "q", "4-0", "d", "4"]);
        t.call(&mut admin, &["EXEC"]);
        t.reply("count 1", Mask::Exact, &c.read_reply());
    });
    pair.scenario("readers waiting for different IDs", |srv, t| {
        let mut admin = srv.conn();
        let mut late = srv.conn();
        let mut early = srv.conn();
        let mut both = srv.conn();
        admin.call(&["XADD", "w", "1-0", "a", "1"]);
        late.cmd(&["XREAD", "BLOCK", "0", "STREAMS", "w", "100-0"]);
        until_blocked(&mut admin, 1);
        early.cmd(&["XREAD", "BLOCK", "0", "STREAMS", "w", "1-0"]);
        until_blocked(&mut admin, 2);
        both.cmd(&["XREAD", "BLOCK", "0", "STREAMS", "v", "w", "0", "50-0"]);
        until_blocked(&mut admin, 3);
        t.call(&mut admin, &["XADD", "w", "10-0", "b", "2"]);
        t.reply("early", Mask::Exact, &early.read_reply());
        t.note(
            "blocked",
            info_field(&mut admin, "clients", "blocked_clients"),
        );
        t.call(&mut admin, &["XADD", "v", "1-0", "c", "3"]);
        t.reply("both", Mask::Exact, &both.read_reply());
        t.call(&mut admin, &["XADD", "w", "200-0", "d", "4"]);
        t.reply("late", Mask::Exact, &late.read_reply());
    });
    pair.scenario("timeouts in RESP2 and RESP3", |srv, t| {
        let mut c = srv.conn();
        t.call(&mut c, &["XREAD", "BLOCK", "50", "STREAMS", "none", "$"]);
        t.call_masked(&mut c, HELLO, &["HELLO", "3"]);
        t.call(&mut c, &["XREAD", "BLOCK", "50", "STREAMS", "none", "0"]);
        let mut admin = srv.conn();
        c.cmd(&["XREAD", "BLOCK", "0", "STREAMS", "r3", "0"]);
        until_blocked(&mut admin, 1);
        t.call(&mut admin, &["XADD", "r3", "1-0", "a", "1"]);
        t.reply("resp3 served", Mask::Exact, &c.read_reply());
    });
    pair.scenario("a stream deleted and made again, another type", |srv, t| {
        let mut admin = srv.conn();
        let mut c = srv.conn();
        admin.call(&["XADD", "g", "5-0", "a", "1"]);
        c.cmd(&["XREAD", "BLOCK", "0", "STREAMS", "g", "$"]);
        until_blocked(&mut admin, 1);
        t.call(&mut admin, &["DEL", "g"]);
        t.call(&mut admin, &["LPUSH", "g", "x"]);
        t.call(&mut admin, &["DEL", "g"]);
        t.note(
            "still blocked",
            info_field(&mut admin, "clients", "blocked_clients"),
        );
        t.call(&mut admin, &["XADD", "g", "3-0", "b", "2"]);
        t.note(
            "after an older ID",
            info_field(&mut admin, "clients", "blocked_clients"),
        );
        t.call(&mut admin, &["XADD", "g", "6-0", "c", "3"]);
        t.reply("served", Mask::Exact, &c.read_reply());
    });
    pair.scenario("a stream renamed, copied or swapped in", |srv, t| {
        let mut admin = srv.conn();
        let mut c = srv.conn();
        admin.call(&["XADD", "src", "1-0", "a", "1"]);
        c.cmd(&["XREAD", "BLOCK", "0", "STREAMS", "dst", "$"]);
        until_blocked(&mut admin, 1);
        t.call(&mut admin, &["RENAME", "src", "dst"]);
        t.reply("renamed", Mask::Exact, &c.read_reply());
        c.cmd(&["XREAD", "BLOCK", "0", "STREAMS", "cp", "0"]);
        until_blocked(&mut admin, 1);
        t.call(&mut admin, &["COPY", "dst", "cp"]);
        t.reply("copied", Mask::Exact, &c.read_reply());
        admin.call(&["SELECT", "1"]);
        admin.call(&["XADD", "sw", "5-0", "b", "2"]);
        c.cmd(&["XREAD", "BLOCK", "0", "STREAMS", "sw", "0"]);
        until_blocked(&mut admin, 1);
        t.call(&mut admin, &["SWAPDB", "0", "1"]);
        t.reply("swapped", Mask::Exact, &c.read_reply());
        admin.call(&["FLUSHALL"]);
    });
    pair.scenario("CLIENT UNBLOCK", |srv, t| {
        let mut admin = srv.conn();
        let mut c = srv.conn();
        let id = c.call_parsed(&["CLIENT", "ID"]).int().unwrap().to_string();
        c.cmd(&["XREAD", "BLOCK", "0", "STREAMS", "u", "$"]);
        until_blocked(&mut admin, 1);
        admin.call(&["CLIENT", "UNBLOCK", &id]);
        t.reply("timeout reply", Mask::Exact, &c.read_reply());
        c.cmd(&["XREAD", "BLOCK", "0", "STREAMS", "u", "$"]);
        until_blocked(&mut admin, 1);
        admin.call(&["CLIENT", "UNBLOCK", &id, "ERROR"]);
        t.reply("error reply", Mask::Exact, &c.read_reply());
    });
}

#[test]
fn writes_reach_the_aof_as_redis_propagates_them() {
    let mut pair = Pair::start_with(&["--appendonly", "yes", "--appendfsync", "always"]);
    pair.scenario("xadd xtrim xdel xsetid", |srv, t| {
        let mut c = srv.conn();
        for cmd in fill("p", 1, 230) {
            c.call(&cmd);
        }
        c.call(&["XADD", "p", "231-*", "a", "1"]);
        c.call(&["XADD", "p", "231-*", "a", "1"]);
        c.call(&["XADD", "p", "MAXLEN", "~", "150", "232-*", "a", "1"]);
        c.call(&[
            "XADD", "p", "MAXLEN", "~", "10", "LIMIT", "100", "233-0", "a", "1",
        ]);
        c.call(&["XADD", "p", "MINID", "~", "220", "234-0", "a", "1"]);
        c.call(&["XADD", "p", "MAXLEN", "~", "500", "235-0", "a", "1"]);
        c.call(&["XADD", "p", "MAXLEN", "2", "236-0", "a", "1"]);
        c.call(&["XADD", "p", "NOMKSTREAM", "237-*", "a", "1"]);
        c.call(&["XADD", "none", "NOMKSTREAM", "1-*", "a", "1"]);
        c.call(&["XADD", "p", "1-0", "a", "1"]);
        for cmd in fill("q", 1, 230) {
            c.call(&cmd);
        }
        c.call(&["XTRIM", "q", "MAXLEN", "~", "150"]);
        c.call(&["XTRIM", "q", "MAXLEN", "~", "150"]);
        c.call(&["XTRIM", "q", "MINID", "~", "200", "LIMIT", "100"]);
        c.call(&["XTRIM", "q", "MINID", "~", "229"]);
        c.call(&["XTRIM", "q", "MAXLEN", "5"]);
        c.call(&["XTRIM", "q", "MAXLEN", "5"]);
        c.call(&["XDEL", "q", "229-1", "1-1"]);
        c.call(&["XDEL", "q", "1-1"]);
        c.call(&["XSETID", "q", "500", "ENTRIESADDED", "900"]);
        c.call(&["XREAD", "STREAMS", "q", "0"]);
        let dir = srv.dir().join("appendonlydir");
        let mut files: Vec<_> = fs::read_dir(&dir)
            .expect("aof dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.to_string_lossy().ends_with(".incr.aof"))
            .collect();
        files.sort();
        let text: String = files
            .iter()
            .map(|p| fs::read_to_string(p).unwrap_or_default())
            .collect();
        let tail: String = text
            .split("*3\r\n$4\r\nXADD")
            .filter(|part| !part.contains("field\r\n"))
            .collect::<Vec<_>>()
            .join("|");
        t.note("incremental files", tail);
    });
}

#[test]
fn keyspace_events() {
    let mut pair = Pair::start_with(&["--notify-keyspace-events", "KEA"]);
    pair.scenario("xadd xtrim xdel xsetid events", |srv, t| {
        let mut sub = srv.conn();
        sub.call(&["PSUBSCRIBE", "__key*__:*"]);
        let mut c = srv.conn();
        c.call(&["XADD", "e", "1-0", "a", "1"]);
        c.call(&["XADD", "e", "MAXLEN", "1", "2-0", "a", "1"]);
        c.call(&["XADD", "e", "MAXLEN", "5", "3-0", "a", "1"]);
        c.call(&["XTRIM", "e", "MAXLEN", "1"]);
        c.call(&["XTRIM", "e", "MAXLEN", "1"]);
        c.call(&["XDEL", "e", "3-0"]);
        c.call(&["XDEL", "e", "3-0"]);
        c.call(&["XADD", "e", "4-0", "a", "1"]);
        c.call(&["XSETID", "e", "9-0"]);
        c.call(&["SET", "end", "1"]);
        loop {
            let reply = sub.read_reply();
            let done = String::from_utf8_lossy(&reply).contains("end");
            t.reply("event", Mask::Exact, &reply);
            if done {
                break;
            }
        }
    });
}

#[test]
fn watch_sees_stream_writes() {
    let mut pair = Pair::start();
    pair.scenario("watch", |srv, t| {
        let mut c = srv.conn();
        let mut other = srv.conn();
        c.call(&["XADD", "k", "1-0", "a", "1"]);
        for write in [
            &["XADD", "k", "2-0", "a", "1"][..],
            &["XDEL", "k", "9-0"],
            &["XDEL", "k", "2-0"],
            &["XTRIM", "k", "MAXLEN", "5"],
            &["XTRIM", "k", "MAXLEN", "0"],
            &["XSETID", "k", "10-0"],
            &["XADD", "k", "1-0", "a", "1"],
        ] {
            c.call(&["WATCH", "k"]);
            other.call(write);
            c.call(&["MULTI"]);
            c.call(&["PING"]);
            t.call(&mut c, &["EXEC"]);
        }
    });
}

/// A stream of each shape: small, several nodes, deleted entries, one
/// emptied by XDEL, one with an XSETID past its entries.
fn streams(conn: &mut Conn) {
    for cmd in fill("s:big", 1, 320) {
        conn.call(&cmd);
    }
    conn.call(&["XDEL", "s:big", "1-1", "50-1", "150-1", "320-1"]);
    conn.call(&["XADD", "s:small", "1-1", "a", "1", "b", "2"]);
    conn.call(&["XADD", "s:small", "2-5", "a", "-77", "b", "x"]);
    conn.call(&["XADD", "s:empty", "1-1", "a", "1"]);
    conn.call(&["XDEL", "s:empty", "1-1"]);
    conn.call(&["XADD", "s:set", "3-3", "a", "1"]);
    conn.call(&[
        "XSETID",
        "s:set",
        "99-0",
        "ENTRIESADDED",
        "42",
        "MAXDELETEDID",
        "50-0",
    ]);
    let long = "v".repeat(5000);
    conn.call(&["XADD", "s:long", "1-0", "f", &long]);
    conn.call(&["XADD", "s:long", "2-0", "f", &long]);
}

const STREAM_KEYS: &[&str] = &["s:big", "s:small", "s:empty", "s:set", "s:long"];

#[test]
fn dump_restore_both_ways() {
    let pair = Pair::start_with(DEBUG_ON);
    let mut setups = Vec::new();
    let mut add = |cmds: Vec<Vec<String>>| setups.extend(cmds);
    add(fill("s:big", 1, 320));
    let one = |args: &[&str]| vec![args.iter().map(|a| a.to_string()).collect::<Vec<_>>()];
    add(one(&["XADD", "s:small", "1-1", "a", "1", "b", "2"]));
    add(one(&["XADD", "s:long", "1-0", "f", &"v".repeat(5000)]));
    pair.dump_restore_both_ways(
        &setups,
        |key| vec!["XRANGE".into(), key.into(), "-".into(), "+".into()],
        |_| true,
    );
    let (mut r, mut f) = (pair.redis.conn(), pair.ferrodis.conn());
    streams(&mut r);
    for key in STREAM_KEYS {
        let payload = r.call_parsed(&["DUMP", key]).bytes().unwrap().to_vec();
        f.call(&["DEL", key]);
        assert_eq!(
            f.call(&[b"RESTORE".as_slice(), key.as_bytes(), b"0", &payload]),
            b"+OK\r\n"
        );
        assert_eq!(f.call(&["DUMP", key]), r.call(&["DUMP", key]), "{key}");
        assert_eq!(
            f.call(&["DEBUG", "DIGEST-VALUE", key]),
            r.call(&["DEBUG", "DIGEST-VALUE", key])
        );
        assert_eq!(f.call(&["XLEN", key]), r.call(&["XLEN", key]));
        let mut bad = payload.clone();
        let mid = bad.len() / 2;
        bad[mid] ^= 0xff;
        let reply = f.call(&[b"RESTORE".as_slice(), b"bad", b"0", &bad]);
        assert_eq!(reply.first(), Some(&b'-'), "{key}");
    }
}

fn observe(conn: &mut Conn) -> Vec<Vec<u8>> {
    let mut out = vec![conn.call(&["DEBUG", "DIGEST"]), conn.call(&["DBSIZE"])];
    for key in STREAM_KEYS {
        out.push(conn.call(&["DUMP", key]));
        out.push(conn.call(&["XLEN", key]));
        out.push(conn.call(&["XREVRANGE", key, "+", "-", "COUNT", "3"]));
    }
    out
}

#[test]
fn rdb_files_both_ways() {
    crate::util::server::rdb_files_both_ways("stream", streams, observe);
}

#[test]
fn aof_rewrite_and_reload() {
    let dir = temp_dir("stream-aof");
    let dir_arg = dir.to_string_lossy().to_string();
    let server = TestServer::start_with(&[
        "--dir",
        &dir_arg,
        "--appendonly",
        "yes",
        "--aof-use-rdb-preamble",
        "no",
        "--enable-debug-command",
        "yes",
    ]);
    let mut c = server.conn();
    streams(&mut c);
    // Approximate trims reach the file as exact ones that keep their
    // LIMIT, which a replay must accept.
    for cmd in fill("s:trimmed", 1, 300) {
        c.call(&cmd);
    }
    c.call(&[
        "XADD",
        "s:trimmed",
        "MAXLEN",
        "~",
        "10",
        "LIMIT",
        "100",
        "301-0",
        "a",
        "1",
    ]);
    c.call(&["XTRIM", "s:trimmed", "MINID", "~", "250", "LIMIT", "100"]);
    let digest = c.call(&["DEBUG", "DIGEST"]);
    assert_eq!(c.call(&["DEBUG", "LOADAOF"]), b"+OK\r\n");
    assert_eq!(c.call(&["DEBUG", "DIGEST"]), digest);
    assert_eq!(c.call(&["XLEN", "s:trimmed"]), b":101\r\n");
    let dumps: Vec<Vec<u8>> = STREAM_KEYS.iter().map(|k| c.call(&["DUMP", k])).collect();
    assert_eq!(c.call(&["BGREWRITEAOF"]).first(), Some(&b'+'));
    let base = (0..200)
        .find_map(|_| {
            std::thread::sleep(Duration::from_millis(50));
            fs::read_dir(dir.join("appendonlydir"))
                .unwrap()
                .map(|e| e.unwrap().path())
                .find(|p| p.to_string_lossy().ends_with(".base.aof"))
                .map(|p| fs::read_to_string(p).unwrap())
                .filter(|text| text.contains("XSETID"))
        })
        .expect("a rewritten base");
    assert!(
        base.contains(
            "*7\r\n$4\r\nXADD\r\n$7\r\ns:empty\r\n$6\r\nMAXLEN\r\n$1\r\n0\r\n$3\r\n0-1\r\n"
        ),
        "{base}"
    );
    assert!(
        base.contains("$6\r\nXSETID\r\n$5\r\ns:set\r\n$4\r\n99-0\r\n$12\r\nENTRIESADDED\r\n$2\r\n42\r\n$12\r\nMAXDELETEDID\r\n$4\r\n50-0\r\n"),
        "{base}"
    );
    assert_eq!(c.call(&["DEBUG", "LOADAOF"]), b"+OK\r\n");
    assert_eq!(c.call(&["DEBUG", "DIGEST"]), digest);
    for (key, dump) in STREAM_KEYS.iter().zip(&dumps) {
        if *key != "s:big" {
            // Rewritten XADDs rebuild the nodes of a stream without
            // deletions byte for byte; deleted entries are not replayed.
            assert_eq!(&c.call(&["DUMP", key]), dump, "{key}");
        }
    }
    drop(c);
    drop(server);
    let _ = fs::remove_dir_all(&dir);
}

/// A Redis 5/6 payload (`RDB_TYPE_STREAM_LISTPACKS`, 15: no first ID,
/// deletion maximum or entries added) restores on both servers into the
/// same 7.0 stream; a corrupted node is refused by both when Redis
/// sanitizes payloads.
#[test]
fn redis_6_payloads_restore_alike() {
    // One node: XADD 1-1 a 1 b 2, XADD 1-2 a 3 b 4, XADD 2-0 c 5.
    let node: &[u8] = b"\x3d\x00\x00\x00\x19\x00\x03\x01\x00\x01\x02\x01\x81a\x02\x81b\x02\x00\x01\x02\x01\x00\x01\x00\x01\x01\x01\x02\x01\x05\x01\x02\x01\x00\x01\x01\x01\x03\x01\x04\x01\x05\x01\x00\x01\x01\x01\xdf\xff\x02\x01\x01\x81c\x02\x05\x01\x06\x01\xff";
    let mut body =
        b"\x0f\x01\x10\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01".to_vec();
    body.push(node.len() as u8);
    body.extend_from_slice(node);
    // Length 3, last ID 2-0, no groups.
    body.extend_from_slice(b"\x03\x02\x00\x00");
    let good = crate::dump::sealed(&body, 9);
    let mut bad_body = body.clone();
    // The last entry's lp-count (6) made 7.
    let at = bad_body.len() - 7;
    assert_eq!(bad_body[at], 0x06);
    bad_body[at] = 0x07;
    let bad = crate::dump::sealed(&bad_body, 9);
    // Redis checks a node's entries only under sanitize-dump-payload;
    // ferrodis always does.
    diff_with(
        &["--sanitize-dump-payload", "yes"],
        &[Case::new("redis 6 payloads")
            .cmd_bytes(&[&b"RESTORE"[..], b"old", b"0", &good])
            .cmd(&["DUMP", "old"])
            .cmd(&["XRANGE", "old", "-", "+"])
            .cmd(&["XADD", "old", "2-*", "d", "6"])
            .cmd(&["DUMP", "old"])
            .cmd_bytes(&[&b"RESTORE"[..], b"bad", b"0", &bad])
            .cmd(&["EXISTS", "bad"])],
    );
}

#[test]
fn command_table_entries() {
    let mut case = Case::new("command info, docs, getkeys");
    for cmd in [
        "xadd",
        "xdel",
        "xlen",
        "xrange",
        "xread",
        "xrevrange",
        "xsetid",
        "xtrim",
    ] {
        case = case
            .cmd(&["COMMAND", "INFO", cmd])
            .cmd(&["COMMAND", "DOCS", cmd]);
    }
    let case = case
        .cmd(&[
            "COMMAND", "GETKEYS", "XREAD", "COUNT", "2", "STREAMS", "a", "b", "0", "0",
        ])
        .cmd(&["COMMAND", "GETKEYS", "XREAD", "STREAMS", "a", "0"])
        .cmd(&["COMMAND", "GETKEYS", "XADD", "k", "*", "f", "v"])
        .cmd(&["XADD", "k", "1-0", "f", "v"])
        .masked(
            // The address and the idle time differ.
            Mask::Custom(|r| {
                let text = r.text();
                text.split(' ')
                    .filter(|f| f.starts_with("encoding:") || f.starts_with("serializedlength:"))
                    .collect::<Vec<_>>()
                    .join(" ")
            }),
            &["DEBUG", "OBJECT", "k"],
        );
    sdiff(&[case]);
}

/// Seeded random XADD/XDEL/XTRIM/XSETID sequences with small node limits,
/// checked against Redis through every reply, DUMP bytes and digests:
/// nodes must split, fill, lose entries and go exactly as Redis's do.
#[test]
fn random_operations_keep_redis_layout() {
    let fields: &[&[&str]] = &[
        &["a"],
        &["a", "b"],
        &["b", "a"],
        &["a", "b", "c"],
        &["12", "x"],
    ];
    let mut cases = Vec::new();
    for seed in [7_u64, 20_261_202] {
        let mut rng = crate::util::rng::Rng::new(seed);
        let mut case = Case::new(&format!("seed {seed}"))
            .cmd(&["CONFIG", "SET", "stream-node-max-entries", "7"])
            .cmd(&["CONFIG", "SET", "stream-node-max-bytes", "300"]);
        let mut ms = 1u64;
        for step in 0..600 {
            let mut cmd: Vec<String> = Vec::new();
            match rng.below(100) {
                0..=54 => {
                    ms += rng.below(3) as u64;
                    cmd.extend(["XADD".into(), "s".into()]);
                    if rng.chance(15) {
                        let how = rng.pick(&["MAXLEN", "MINID"]);
                        cmd.push(how.into());
                        let approx = rng.chance(50);
                        if approx {
                            cmd.push("~".into());
                        } else if rng.chance(30) {
                            cmd.push("=".into());
                        }
                        let threshold = if how == "MAXLEN" {
                            rng.below(40) as u64
                        } else {
                            ms.saturating_sub(rng.below(30) as u64)
                        };
                        cmd.push(threshold.to_string());
                        if approx && rng.chance(50) {
                            cmd.extend(["LIMIT".into(), rng.below(20).to_string()]);
                        }
                    }
                    cmd.push(if rng.chance(10) {
                        format!("{}-{}", ms.saturating_sub(1), rng.below(3))
                    } else {
                        format!("{ms}-*")
                    });
                    for f in rng.pick(fields) {
                        cmd.push((*f).into());
                        cmd.push(match rng.below(4) {
                            0 => rng.below(100_000).to_string(),
                            1 => format!("-{}", rng.below(5000)),
                            2 => "v".repeat(rng.below(70)),
                            _ => "value".into(),
                        });
                    }
                }
                55..=69 => {
                    cmd.extend(["XDEL".into(), "s".into()]);
                    for _ in 0..rng.between(1, 4) {
                        let at = rng.below(ms as usize + 1);
                        cmd.push(format!("{at}-{}", rng.below(3)));
                    }
                }
                70..=76 => {
                    cmd.extend(["XTRIM".into(), "s".into()]);
                    if rng.chance(50) {
                        cmd.push("MAXLEN".into());
                        if rng.chance(50) {
                            cmd.push("~".into());
                        }
                        cmd.push(rng.below(60).to_string());
                    } else {
                        cmd.push("MINID".into());
                        if rng.chance(50) {
                            cmd.push("~".into());
                        }
                        cmd.push(rng.below(ms as usize + 1).to_string());
                    }
                }
                77..=79 => {
                    let top = ms + rng.below(3) as u64;
                    cmd.extend(["XSETID".into(), "s".into(), top.to_string()]);
                    ms = ms.max(top);
                }
                80..=89 => {
                    let a = rng.below(ms as usize + 1);
                    let b = a + rng.below(20);
                    let rev = rng.chance(50);
                    let (lo, hi) = (format!("({a}"), b.to_string());
                    if rev {
                        cmd.extend(["XREVRANGE".into(), "s".into(), hi, lo]);
                    } else {
                        cmd.extend(["XRANGE".into(), "s".into(), lo, hi]);
                    }
                    cmd.extend(["COUNT".into(), rng.between(1, 10).to_string()]);
                }
                _ => {
                    let after = rng.below(ms as usize + 1);
                    cmd.extend(["XREAD".into(), "COUNT".into(), "5".into(), "STREAMS".into()]);
                    cmd.extend(["s".into(), format!("{after}-0")]);
                }
            }
            case = case.cmd_bytes(&cmd);
            if step % 25 == 24 {
                case = case
                    .cmd(&["DUMP", "s"])
                    .cmd(&["DEBUG", "DIGEST-VALUE", "s"])
                    .cmd(&["XLEN", "s"]);
            }
        }
        cases.push(case.cmd(&["DUMP", "s"]).cmd(&["DEL", "s"]));
    }
    sdiff(&cases);
}
