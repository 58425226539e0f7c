//! The harness checks itself: a differential test that cannot fail is worse
//! than none, so these prove that mismatches are caught and that each mask
//! ignores only what it claims to.

use crate::util::*;
use std::panic::{catch_unwind, AssertUnwindSafe};

#[test]
fn diff_reports_a_differing_reply() {
    // Two real redis-servers that differ in one setting stand in for a buggy
    // ferrodis.
    let pair = Pair {
        redis: RealRedis::start(),
        ferrodis: RealRedis::start_with(&["--maxclients", "77"]),
    };
    pair.run(&[case("identical", &[&["PING"]])]);
    let failure = catch_unwind(AssertUnwindSafe(|| {
        pair.run(&[case("differs", &[&["CONFIG", "GET", "maxclients"]])])
    }))
    .expect_err("a differing reply must fail the test");
    let msg = server::panic_message(&*failure);
    assert!(
        msg.contains("CONFIG GET maxclients") && msg.contains("77"),
        "{msg}"
    );
}

#[test]
fn diff_notices_a_server_that_stays_silent_or_open() {
    let pair = Pair {
        redis: RealRedis::start(),
        ferrodis: RealRedis::start_with(&["--requirepass", "x"]),
    };
    // Real redis closes after a protocol error; so does the stand-in, so
    // expecting "closed" passes...
    pair.run(&[Case::new("closes").raw(b"*abc\r\n", 1).closed()]);
    // ...and a reply where real redis stays silent is caught: CLIENT REPLY
    // OFF is silent on redis but answered with -NOAUTH by the stand-in.
    let failure = catch_unwind(AssertUnwindSafe(|| {
        pair.run(&[Case::new("silent").raw(b"CLIENT REPLY OFF\r\n", 0).quiet()]);
    }))
    .expect_err("an unexpected reply must fail the test");
    let msg = server::panic_message(&*failure);
    assert!(
        msg.contains("<no reply>") && msg.contains("NOAUTH"),
        "{msg}"
    );
}

fn norm(mask: Mask, raw: &[u8]) -> String {
    mask.normalize(raw)
}

#[test]
fn masks_ignore_only_what_they_say() {
    let time_a = b"*2\r\n$10\r\n1700000000\r\n$6\r\n123456\r\n";
    let time_b = b"*2\r\n$10\r\n1700000001\r\n$1\r\n7\r\n";
    assert_eq!(norm(Mask::Shape, time_a), norm(Mask::Shape, time_b));
    assert_ne!(
        norm(Mask::Shape, time_a),
        norm(Mask::Shape, b"*1\r\n$1\r\n1\r\n")
    );
    assert_ne!(
        norm(Mask::Shape, b"$-1\r\n"),
        norm(Mask::Shape, b"$1\r\nx\r\n")
    );

    assert_eq!(norm(Mask::Type, b":1\r\n"), norm(Mask::Type, b":240\r\n"));
    assert_ne!(norm(Mask::Type, b":1\r\n"), norm(Mask::Type, b"+1\r\n"));

    let pairs = Mask::Pairs(&["port"]);
    let a = b"*4\r\n$4\r\nport\r\n$4\r\n1234\r\n$7\r\ntimeout\r\n$1\r\n0\r\n";
    let b = b"*4\r\n$7\r\ntimeout\r\n$1\r\n0\r\n$4\r\nport\r\n$4\r\n9999\r\n";
    let c = b"*4\r\n$7\r\ntimeout\r\n$1\r\n5\r\n$4\r\nport\r\n$4\r\n9999\r\n";
    assert_eq!(norm(pairs, a), norm(pairs, b));
    assert_ne!(norm(pairs, a), norm(pairs, c));

    let fields = Mask::Fields(CLIENT_VOLATILE);
    let line = |id: &str, name: &str| {
        let body = format!("id={id} addr=127.0.0.1:5 name={name} age=0 db=0\n");
        format!("${}\r\n{body}\r\n", body.len()).into_bytes()
    };
    assert_eq!(
        norm(fields, &line("1", "a")),
        norm(fields, &line("99", "a"))
    );
    assert_ne!(norm(fields, &line("1", "a")), norm(fields, &line("1", "b")));

    let info = |body: &str| format!("${}\r\n{body}\r\n", body.len()).into_bytes();
    let i1 = info("# Server\r\nredis_version:7.0.15\r\nuptime:1\r\n");
    let i2 = info("# Server\r\nuptime:99\r\nredis_version:7.0.0\r\n");
    let i3 = info("# Server\r\nredis_version:7.0.15\r\n");
    assert_eq!(norm(Mask::Info, &i1), norm(Mask::Info, &i2));
    assert_ne!(norm(Mask::Info, &i1), norm(Mask::Info, &i3));

    let u1 = b"*2\r\n$1\r\na\r\n$1\r\nb\r\n";
    let u2 = b"*2\r\n$1\r\nb\r\n$1\r\na\r\n";
    assert_eq!(norm(Mask::Unordered, u1), norm(Mask::Unordered, u2));
    assert_ne!(
        norm(Mask::Unordered, u1),
        norm(Mask::Unordered, b"*1\r\n$1\r\na\r\n")
    );
}

#[test]
fn conn_reports_timeouts_instead_of_hanging() {
    let srv = RealRedis::start();
    let mut c = srv.conn();
    c.set_timeout(std::time::Duration::from_millis(100));
    c.send_raw(b"*2\r\n$4\r\nECHO\r\n"); // incomplete: no reply will come
    match c.try_read_reply() {
        Err(conn::ReadError::Timeout(partial)) => assert!(partial.is_empty()),
        other => panic!("expected a timeout, got {other:?}"),
    }
}
