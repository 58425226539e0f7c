//! Signals, side by side with real Redis: SIGHUP is ignored; SIGINT
//! schedules a shutdown (logged from the handler in Redis's format), and a
//! second SIGINT during its final save exits at once with status 1,
//! leaving neither the save's temp file nor a snapshot behind.

use std::time::Duration;

use crate::util::keyspace::wait_until;
use crate::util::*;

#[test]
fn sighup_is_ignored() {
    on_both(&[], |server| {
        let mut c = server.conn();
        assert_eq!(c.call(&["SET", "k", "v"]), b"+OK\r\n");
        server.signal(libc::SIGHUP);
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(server.try_exit(), None, "still running after SIGHUP");
        assert_eq!(server.conn().call(&["GET", "k"]), b"$1\r\nv\r\n");
    });
}

#[test]
fn a_second_sigint_during_the_final_save_exits_at_once() {
    let args = [
        "--shutdown-on-sigint",
        "save",
        "--enable-debug-command",
        "yes",
    ];
    on_both(&args, |server| {
        let mut c = server.conn();
        assert_eq!(c.call(&["DEBUG", "POPULATE", "1000"]), b"+OK\r\n");
        // 10 ms a key: the final save would take 10 s.
        assert_eq!(
            c.call(&["CONFIG", "SET", "rdb-key-save-delay", "10000"]),
            b"+OK\r\n"
        );
        let temp = server.dir().join(format!("temp-{}.rdb", server.pid()));
        server.signal(libc::SIGINT);
        assert!(
            wait_until(Duration::from_secs(5), || temp.exists()),
            "the final save started"
        );
        server.signal(libc::SIGINT);
        let status = server.wait_exit();
        assert_eq!(status.code(), Some(1), "{status:?}");
        assert!(!temp.exists(), "the temp file is removed");
        assert!(!server.dir().join("dump.rdb").exists(), "nothing was saved");
        let log = server.log();
        let pid = server.pid();
        for line in [
            "Received SIGINT scheduling shutdown...",
            "You insist... exiting now.",
        ] {
            let prefix = format!("{pid}:signal-handler (");
            assert!(
                log.lines()
                    .any(|l| l.starts_with(&prefix) && l.ends_with(&format!(") {line}"))),
                "{line:?} logged from the handler:\n{log}"
            );
        }
    });
}
