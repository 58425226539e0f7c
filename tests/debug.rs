//! DEBUG's test switches and crashes, on both servers: the replies, what
//! each switch changes (the timed sweep paused, checksums skipped, a new
//! replication id, reply buffers resized), the restarts (state kept by RESTART, lost by
//! CRASH-AND-RECOVER without persistence) and the crash reports.

use std::time::Duration;

use crate::util::keyspace::{info_field, wait_until};
use crate::util::resp::encode_cmd;
use crate::util::*;

const DEBUG_ON: &[&str] = &["--enable-debug-command", "yes"];

#[test]
fn replies_and_errors() {
    diff_with(
        DEBUG_ON,
        &[
            case(
                "error",
                &[
                    &["DEBUG", "ERROR", "FOO bar"],
                    &["DEBUG", "ERROR", "line\r\nbreak"],
                    &["DEBUG", "ERROR", ""],
                    &["DEBUG", "ERROR"],
                ],
            ),
            case(
                "leak and replicate",
                &[
                    &["DEBUG", "LEAK", "x"],
                    &["DEBUG", "REPLICATE", "SET a b"],
                    &["EXISTS", "a"],
                ],
            ),
            case(
                "sdslen",
                &[
                    &["DEBUG", "SDSLEN", "nokey"],
                    &["SET", "n", "12"],
                    &["DEBUG", "SDSLEN", "n"],
                    &["RPUSH", "l", "a"],
                    &["DEBUG", "SDSLEN", "l"],
                ],
            ),
            case(
                "htstats",
                &[
                    &["DEBUG", "HTSTATS", "99"],
                    &["DEBUG", "HTSTATS", "-1"],
                    &["DEBUG", "HTSTATS", "x"],
                    &["DEBUG", "HTSTATS-KEY", "nokey"],
                    &["HSET", "small", "a", "1"],
                    &["DEBUG", "HTSTATS-KEY", "small"],
                    &["SET", "s", "v"],
                    &["DEBUG", "HTSTATS-KEY", "s"],
                ],
            ),
            case(
                "switches",
                &[
                    &["DEBUG", "PAUSE-CRON", "1"],
                    &["DEBUG", "PAUSE-CRON", "0"],
                    &["DEBUG", "AOF-FLUSH-SLEEP", "0"],
                    &["DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "0"],
                    &["DEBUG", "CHANGE-REPL-ID"],
                    &["DEBUG", "CONFIG-REWRITE-FORCE-ALL"],
                    &["DEBUG", "PAUSE-CRON"],
                ],
            ),
            case(
                "reply buffer switches",
                &[
                    &["DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "never"],
                    &["DEBUG", "REPLYBUFFER", "peak-reset-time", "RESET"],
                    &["DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "100"],
                    &["DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "-5"],
                    &["DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "x"],
                    &[
                        "DEBUG",
                        "REPLYBUFFER",
                        "PEAK-RESET-TIME",
                        "99999999999999999999",
                    ],
                    &["DEBUG", "REPLYBUFFER", "RESIZING", "0"],
                    &["DEBUG", "REPLYBUFFER", "RESIZING", "abc"],
                    &["DEBUG", "REPLYBUFFER", "resizing", "1"],
                    &["DEBUG", "REPLYBUFFER", "FOO", "1"],
                    &["DEBUG", "REPLYBUFFER", "RESIZING"],
                    &["DEBUG", "REPLYBUFFER"],
                    &["DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "reset"],
                ],
            ),
            case(
                "skipped checksums",
                &[
                    &["SET", "k", "abc"],
                    &[
                        "RESTORE",
                        "k2",
                        "0",
                        "\x00\x03abc\n\x00\x00\x00\x00\x00\x00\x00\x00\x00",
                    ],
                    &["DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1"],
                    &[
                        "RESTORE",
                        "k2",
                        "0",
                        "\x00\x03abc\n\x00\x00\x00\x00\x00\x00\x00\x00\x00",
                    ],
                    &["GET", "k2"],
                    &[
                        "RESTORE",
                        "k3",
                        "0",
                        "\x00\x03abc\x0b\x00\x00\x00\x00\x00\x00\x00\x00\x00",
                    ],
                ],
            ),
        ],
    );
}

/// The statistics of tables sized the same way: the size, count and
/// distinct-slot lines depend on the hash function only through the chain
/// lines, which are left out.
#[test]
fn htstats_reports_the_same_table_sizes() {
    let reports = std::cell::RefCell::new(Vec::new());
    on_both(DEBUG_ON, |srv| {
        let mut c = srv.conn();
        c.call(&["DEBUG", "POPULATE", "100"]);
        for i in 0..200 {
            c.call(&["HSET", "big", &format!("f{i}"), "v"]);
        }
        let mut lines = Vec::new();
        for cmd in [
            &["DEBUG", "HTSTATS", "0"][..],
            &["DEBUG", "HTSTATS-KEY", "big"],
        ] {
            let text = c.call_parsed(cmd).text();
            lines.extend(
                text.lines()
                    .filter(|l| {
                        l.starts_with('[')
                            || l.starts_with("Hash table")
                            || l.contains("table size")
                            || l.contains("number of elements")
                            || l.starts_with("No stats")
                    })
                    .map(str::to_string),
            );
        }
        reports.borrow_mut().push(lines);
    });
    let reports = reports.into_inner();
    assert_eq!(reports[0], reports[1]);
    assert!(
        reports[0].iter().any(|l| l == " table size: 128"),
        "{:?}",
        reports[0]
    );
}

/// With the sweep paused, a key past its TTL stays until it is touched.
#[test]
fn pause_cron_stops_active_expiry() {
    on_both(DEBUG_ON, |srv| {
        let mut c = srv.conn();
        assert_eq!(c.call(&["DEBUG", "PAUSE-CRON", "1"]), b"+OK\r\n");
        c.call(&["SET", "k", "v", "PX", "30"]);
        std::thread::sleep(Duration::from_millis(300));
        assert_eq!(
            info_field(&mut c, "stats", "expired_keys").as_deref(),
            Some("0")
        );
        assert_eq!(c.call(&["DEBUG", "PAUSE-CRON", "0"]), b"+OK\r\n");
        assert!(wait_until(Duration::from_secs(5), || {
            info_field(&mut c, "stats", "expired_keys").as_deref() == Some("1")
        }));
    });
}

/// Redis's own run of this takes seconds on a busy machine, so only ours
/// is run; the reply is the one Redis gives.
#[test]
fn stringmatch_test_passes() {
    let srv = TestServer::start_with(DEBUG_ON);
    assert_eq!(
        srv.conn().call(&["DEBUG", "STRINGMATCH-TEST"]),
        b"+Apparently Redis did not crash: test passed\r\n"
    );
}

#[test]
fn change_repl_id_gives_a_new_id() {
    on_both(DEBUG_ON, |srv| {
        let mut c = srv.conn();
        let before = info_field(&mut c, "replication", "master_replid");
        assert_eq!(c.call(&["DEBUG", "CHANGE-REPL-ID"]), b"+OK\r\n");
        let after = info_field(&mut c, "replication", "master_replid");
        assert_ne!(before, after);
        assert_eq!(after.map(|id| id.len()), Some(40));
    });
}

/// Every parameter goes to the file, defaults included.
#[test]
fn config_rewrite_force_all_writes_defaults() {
    let builder = Builder::new(Flavor::Redis)
        .config("enable-debug-command yes\n")
        .args(DEBUG_ON);
    on_builder(builder, |srv| {
        let mut c = srv.conn();
        assert_eq!(c.call(&["DEBUG", "CONFIG-REWRITE-FORCE-ALL"]), b"+OK\r\n");
        let path = srv.config_path().expect("config file").to_path_buf();
        let text = std::fs::read_to_string(path).expect("read config");
        for line in ["hz 10", "timeout 0", "maxmemory-policy noeviction"] {
            assert!(text.lines().any(|l| l == line), "no {line:?} in:\n{text}");
        }
    });
}

/// RESTART keeps the data (it saves as a shutdown would) and the process
/// id; CRASH-AND-RECOVER saves nothing.
#[test]
fn restart_and_crash_and_recover() {
    let builder = Builder::new(Flavor::Redis)
        .config("enable-debug-command yes\n")
        .args(DEBUG_ON);
    on_builder(builder, |srv| {
        let mut c = srv.conn();
        c.call(&["CONFIG", "SET", "save", "3600 1"]);
        let run_id = info_field(&mut c, "server", "run_id");
        c.call(&["SET", "kept", "1"]);
        c.send_raw(&encode_cmd(&["DEBUG", "RESTART"]));
        c.assert_closed();
        let port = srv.port;
        let mut again = None;
        assert!(wait_until(Duration::from_secs(10), || {
            again = Conn::try_connect(port).ok();
            again.is_some()
        }));
        let mut c = again.expect("reconnected");
        assert!(wait_until(Duration::from_secs(10), || c.call(&["PING"])
            == b"+PONG\r\n"));
        assert_eq!(c.call(&["GET", "kept"]), b"$1\r\n1\r\n");
        assert_ne!(info_field(&mut c, "server", "run_id"), run_id);
        assert_eq!(
            info_field(&mut c, "server", "process_id"),
            Some(srv.pid().to_string())
        );
        c.call(&["CONFIG", "SET", "save", ""]);
        c.call(&["SET", "lost", "1"]);
        c.send_raw(&encode_cmd(&["DEBUG", "CRASH-AND-RECOVER", "50"]));
        c.assert_closed();
        let mut again = None;
        assert!(wait_until(Duration::from_secs(10), || {
            again = Conn::try_connect(port).ok();
            again.is_some()
        }));
        let mut c = again.expect("reconnected");
        assert!(wait_until(Duration::from_secs(10), || c.call(&["PING"])
            == b"+PONG\r\n"));
        assert_eq!(c.call(&["EXISTS", "lost"]), b":0\r\n");
    });
}

/// ASSERT, SEGFAULT and OOM end the process with a report in the log.
#[test]
fn crashes_leave_reports() {
    for (sub, marker) in [
        ("ASSERT", "=== ASSERTION FAILED ==="),
        ("SEGFAULT", "crashed by signal: 11"),
        ("OOM", "Out Of Memory allocating"),
    ] {
        for flavor in [Flavor::Redis, Flavor::Ferrodis] {
            let mut srv = Builder::new(flavor).args(DEBUG_ON).start();
            srv.conn().send_raw(&encode_cmd(&["DEBUG", sub]));
            let status = srv.wait_exit();
            assert!(!status.success(), "{} {sub}: {status}", flavor.name());
            let log = srv.log();
            assert!(
                log.contains(marker),
                "{} {sub}: no {marker:?} in\n{log}",
                flavor.name()
            );
            assert!(
                log.contains("=== REDIS BUG REPORT START"),
                "{} {sub}",
                flavor.name()
            );
        }
    }
}

/// `rbs=` of the client named `name` in CLIENT LIST.
fn reply_buffer_size(c: &mut Conn, name: &str) -> usize {
    let list = c.call_parsed(&["CLIENT", "LIST"]).text();
    let line = list
        .lines()
        .find(|l| l.contains(&format!(" name={name} ")))
        .unwrap_or_else(|| panic!("no client {name} in {list}"));
    line.split(' ')
        .find_map(|f| f.strip_prefix("rbs="))
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no rbs in {line}"))
}

/// Redis's own test of the reply buffer (`replybufsize.tcl`): an idle
/// client's buffer shrinks to about 1 KB, one that receives large replies
/// grows back to 16 KB while its peak is never reset; with RESIZING 0 it
/// stays as it is, and once resized again with the peak reset it shrinks.
/// The sweep counts both in INFO.
#[test]
fn reply_buffer_follows_its_peak() {
    on_both(DEBUG_ON, |srv| {
        let mut c = srv.conn();
        let mut tc = srv.conn();
        c.call(&["DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "100"]);
        tc.call(&["CLIENT", "SETNAME", "test_client"]);
        let small = |c: &mut Conn| (1024..2046).contains(&reply_buffer_size(c, "test_client"));
        assert!(
            wait_until(Duration::from_secs(2), || small(&mut c)),
            "idle: rbs={}",
            reply_buffer_size(&mut c, "test_client")
        );
        assert_ne!(
            info_field(&mut c, "stats", "reply_buffer_shrinks").as_deref(),
            Some("0")
        );
        c.call(&["SET", "bigval", &"x".repeat(32768)]);
        c.call(&["DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "never"]);
        let grown = wait_until(Duration::from_secs(2), || {
            tc.call(&["GET", "bigval"]);
            (16384..32768).contains(&reply_buffer_size(&mut c, "test_client"))
        });
        assert!(
            grown,
            "busy: rbs={}",
            reply_buffer_size(&mut c, "test_client")
        );
        assert_ne!(
            info_field(&mut c, "stats", "reply_buffer_expands").as_deref(),
            Some("0")
        );
        c.call(&["DEBUG", "REPLYBUFFER", "RESIZING", "0"]);
        c.call(&["DEBUG", "REPLYBUFFER", "PEAK-RESET-TIME", "100"]);
        std::thread::sleep(Duration::from_millis(500));
        assert_eq!(
            reply_buffer_size(&mut c, "test_client"),
            16384,
            "resizing off"
        );
        c.call(&["DEBUG", "REPLYBUFFER", "RESIZING", "1"]);
        assert!(
            wait_until(Duration::from_secs(2), || small(&mut c)),
            "idle again: rbs={}",
            reply_buffer_size(&mut c, "test_client")
        );
    });
}
