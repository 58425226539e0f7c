//! Crash safety under SIGKILL: with every `appendfsync` policy, and with a
//! rewrite or a snapshot in flight at the moment of the kill, no write
//! whose reply went out is missing after a restart; a snapshot or rewrite
//! child dies with its parent instead of renaming a stale file over a
//! newer one later; temp files of dead processes are removed at start.
//!
//! Schedules are fixed (how long the load runs, when the child starts,
//! when the kill lands); `rdb-key-save-delay` keeps children running for
//! as long as they must be in flight.

use std::fs;
use std::path::Path;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use crate::rdb::Scratch;
use crate::util::keyspace::{info_field, wait_until};
use crate::util::resp::encode_cmd;
use crate::util::server::temp_dir;
use crate::util::*;

/// Client connections writing at once.
const WRITERS: usize = 3;

/// SETs sent per pipelined batch.
const BATCH: u64 = 16;

/// Values are this long, so the incremental file gathers enough unsynced
/// data for a sync of it to take a while.
const VALUE_LEN: usize = 512;

/// Kill rounds per test, each on the data the previous rounds left.
const ROUNDS: usize = 3;

/// How long the load runs before a child is started (or the kill lands).
const LOAD_MS: u64 = 250;

/// How long after a child started the kill lands.
const IN_FLIGHT_MS: u64 = 10;

/// What is running besides the writers when the server is killed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InFlight {
    Nothing,
    Rewrite,
    Snapshot,
    /// `everysec`'s background sync of the file being appended to.
    Fsync,
}

/// The value written to key number `i`: recognisable and `VALUE_LEN` long.
fn value_of(i: u64) -> String {
    format!("{i:0width$}", width = VALUE_LEN)
}

/// One writer: pipelined SETs of `<prefix>:<i>` until the connection
/// fails; returns how many were acknowledged (a prefix of them, in order).
fn writer(port: u16, prefix: String) -> JoinHandle<(String, u64)> {
    thread::spawn(move || {
        let mut c = Conn::connect(port);
        c.set_timeout(Duration::from_secs(5));
        let mut acked = 0u64;
        loop {
            let mut batch = Vec::new();
            for i in acked..acked + BATCH {
                let key = format!("{prefix}:{i}");
                batch.extend(encode_cmd(&["SET", key.as_str(), value_of(i).as_str()]));
            }
            if c.try_send_raw(&batch).is_err() {
                return (prefix, acked);
            }
            for _ in 0..BATCH {
                match c.try_read_reply() {
                    Ok(r) if r == b"+OK\r\n" => acked += 1,
                    _ => return (prefix, acked),
                }
            }
        }
    })
}

/// How many acknowledged writes are missing on `c`.
fn missing(c: &mut Conn, acked: &[(String, u64)]) -> u64 {
    let mut lost = 0;
    for (prefix, n) in acked {
        let ids: Vec<u64> = (0..*n).collect();
        for chunk in ids.chunks(1000) {
            let mut args = vec!["EXISTS".to_string()];
            args.extend(chunk.iter().map(|i| format!("{prefix}:{i}")));
            let present = c.call_parsed(&args).int().expect("EXISTS count");
            lost += chunk.len() as u64 - present as u64;
        }
    }
    lost
}

/// Starts the server under test in `dir` with `args`.
fn start_in(dir: &Path, args: &[&str]) -> Server {
    let mut all = vec!["--dir", dir.to_str().expect("utf-8 temp dir")];
    all.extend_from_slice(args);
    TestServer::builder().args(&all).start()
}

/// The pid a "started by pid N" line of the log names (the newest one).
fn child_pid(server: &Server, line: &str) -> i32 {
    server
        .log()
        .lines()
        .rev()
        .find_map(|l| l.split(line).nth(1))
        .and_then(|pid| pid.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {line:?} in the log:\n{}", server.log()))
}

/// Whether `pid` is a process that can still run: not gone, not a zombie
/// (nobody may reap a child orphaned in a container).
fn running(pid: i32) -> bool {
    let Ok(stat) = fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // The state follows the parenthesised command name.
    let state = stat.rsplit(") ").next().and_then(|s| s.chars().next());
    !matches!(state, Some('Z' | 'X') | None)
}

/// Starts what `kind` names on `c` (or waits for it) and checks it is running.
fn start_in_flight(c: &mut Conn, kind: InFlight) {
    let (cmd, reply, field) = match kind {
        InFlight::Nothing => return,
        InFlight::Fsync => {
            let field = "aof_pending_bio_fsync";
            assert!(
                wait_until(Duration::from_secs(3), || {
                    info_field(c, "persistence", field).as_deref() == Some("1")
                }),
                "no background sync started"
            );
            return;
        }
        InFlight::Rewrite => (
            "BGREWRITEAOF",
            "Background append only file rewriting started",
            "aof_rewrite_in_progress",
        ),
        InFlight::Snapshot => (
            "BGSAVE",
            "Background saving started",
            "rdb_bgsave_in_progress",
        ),
    };
    assert_eq!(c.call_parsed(&[cmd]).text(), reply);
    assert_eq!(
        info_field(c, "persistence", field).as_deref(),
        Some("1"),
        "{cmd} is not in flight"
    );
}

/// Rounds of: writers loading the server, a child started (or not), then
/// SIGKILL while the writers write; the server restarted on the same
/// directory must hold every acknowledged write. The child must not
/// outlive its parent.
fn kill_under_load(policy: &str, kind: InFlight) {
    let dir = Scratch(temp_dir(&format!("crash-{policy}")));
    let args = [
        "--appendonly",
        "yes",
        "--appendfsync",
        policy,
        // A millisecond a key keeps a child busy for seconds once the
        // first round's keys exist.
        "--rdb-key-save-delay",
        "1000",
        // Only the rewrites the schedule starts.
        "--auto-aof-rewrite-percentage",
        "0",
    ];
    let mut acked: Vec<(String, u64)> = Vec::new();
    let mut survivors = Vec::new();
    for round in 0..ROUNDS {
        let server = start_in(&dir.0, &args);
        let mut control = server.conn();
        let writers: Vec<_> = (0..WRITERS)
            .map(|w| writer(server.port, format!("r{round}w{w}")))
            .collect();
        thread::sleep(Duration::from_millis(LOAD_MS));
        start_in_flight(&mut control, kind);
        if kind != InFlight::Fsync {
            thread::sleep(Duration::from_millis(IN_FLIGHT_MS));
        }
        let child = match kind {
            InFlight::Nothing | InFlight::Fsync => None,
            InFlight::Rewrite => Some(child_pid(&server, "rewriting started by pid ")),
            InFlight::Snapshot => Some(child_pid(&server, "saving started by pid ")),
        };
        server.signal(libc::SIGKILL);
        acked.extend(
            writers
                .into_iter()
                .map(|w| w.join().expect("writer thread")),
        );
        drop(server);
        if let Some(pid) = child {
            if !wait_until(Duration::from_secs(2), || !running(pid)) {
                survivors.push(pid);
                // SAFETY: killing the orphan of a server this test started.
                unsafe {
                    libc::kill(pid, libc::SIGKILL);
                }
            }
        }
    }
    let total: u64 = acked.iter().map(|(_, n)| n).sum();
    assert!(total > 1000, "too little load to judge: {acked:?}");
    let server = start_in(&dir.0, &args);
    let lost = missing(&mut server.conn(), &acked);
    eprintln!("{policy} {kind:?}: {ROUNDS} kills, {total} acknowledged, {lost} lost");
    assert_eq!(lost, 0, "{lost} of {total} acknowledged writes lost");
    assert!(
        survivors.is_empty(),
        "{kind:?} children outlived their parent: {survivors:?}"
    );
}

#[test]
fn always_kill_loses_nothing() {
    kill_under_load("always", InFlight::Nothing);
}

#[test]
fn always_kill_during_rewrite_loses_nothing() {
    kill_under_load("always", InFlight::Rewrite);
}

#[test]
fn always_kill_during_bgsave_loses_nothing() {
    kill_under_load("always", InFlight::Snapshot);
}

#[test]
fn everysec_kill_loses_nothing() {
    kill_under_load("everysec", InFlight::Nothing);
}

#[test]
fn everysec_kill_during_rewrite_loses_nothing() {
    kill_under_load("everysec", InFlight::Rewrite);
}

#[test]
fn everysec_kill_during_bgsave_loses_nothing() {
    kill_under_load("everysec", InFlight::Snapshot);
}

#[test]
fn everysec_kill_during_background_fsync_loses_nothing() {
    kill_under_load("everysec", InFlight::Fsync);
}

#[test]
fn no_fsync_kill_loses_nothing() {
    kill_under_load("no", InFlight::Nothing);
}

#[test]
fn no_fsync_kill_during_rewrite_loses_nothing() {
    kill_under_load("no", InFlight::Rewrite);
}

#[test]
fn no_fsync_kill_during_bgsave_loses_nothing() {
    kill_under_load("no", InFlight::Snapshot);
}

/// A BGSAVE child whose parent is SIGKILLed must not rename its stale
/// file over the `dump.rdb` a newer server saved since: after a restart,
/// a new key and an acknowledged SAVE, the key is still there once the
/// old child would have finished.
#[test]
fn orphaned_bgsave_does_not_overwrite_a_newer_save() {
    const KEYS: u64 = 2000;
    let dir = Scratch(temp_dir("crash-orphan"));
    let server = start_in(&dir.0, &[]);
    let mut c = server.conn();
    for chunk in (0..KEYS).collect::<Vec<_>>().chunks(500) {
        for i in chunk {
            c.cmd(&["SET", &format!("old:{i}"), "v"]);
        }
        for _ in chunk {
            assert_eq!(c.read_reply(), b"+OK\r\n");
        }
    }
    // A millisecond a key: the child needs about two seconds.
    assert_eq!(
        c.call(&["CONFIG", "SET", "rdb-key-save-delay", "1000"]),
        b"+OK\r\n"
    );
    start_in_flight(&mut c, InFlight::Snapshot);
    let child = child_pid(&server, "saving started by pid ");
    let started = Instant::now();
    server.signal(libc::SIGKILL);
    drop(server);

    let server = start_in(&dir.0, &[]);
    let mut c = server.conn();
    assert_eq!(c.call(&["SET", "new", "1"]), b"+OK\r\n");
    assert_eq!(c.call(&["SAVE"]), b"+OK\r\n");
    // Past the moment the child, left alone, would have renamed its file.
    let nominal = Duration::from_millis(KEYS) + Duration::from_secs(1);
    let waited = wait_until(nominal.saturating_sub(started.elapsed()), || {
        !running(child)
    });
    drop(server);
    assert!(waited, "the orphaned child {child} is still running");

    let server = start_in(&dir.0, &[]);
    assert_eq!(
        server.conn().call(&["GET", "new"]),
        b"$1\r\n1\r\n",
        "the acknowledged SAVE was overwritten"
    );
    let temp = format!("temp-{child}.rdb");
    assert!(!dir.0.join(&temp).exists(), "{temp} was left behind");
}

/// A pid no process has: one of a child that has been waited for.
fn dead_pid() -> u32 {
    let mut child = std::process::Command::new("true")
        .spawn()
        .expect("spawn true");
    let pid = child.id();
    child.wait().expect("wait for true");
    pid
}

/// Temp files named after a pid no process has are removed at start;
/// those of a live process stay (it may still be writing them).
#[test]
fn temp_files_of_dead_processes_are_removed_at_start() {
    let dir = Scratch(temp_dir("crash-temp"));
    let dead = dead_pid();
    let live = std::process::id();
    let stale = [
        format!("temp-{dead}.rdb"),
        format!("temp-rewriteaof-bg-{dead}.aof"),
        format!("temp-rewriteaof-{dead}.aof"),
    ];
    let kept = [
        format!("temp-{live}.rdb"),
        format!("temp-rewriteaof-bg-{live}.aof"),
        "temp-notapid.rdb".to_string(),
    ];
    for name in stale.iter().chain(&kept) {
        fs::write(dir.0.join(name), b"partial").expect("write temp file");
    }
    let server = start_in(&dir.0, &[]);
    assert_eq!(server.conn().call(&["PING"]), b"+PONG\r\n");
    for name in &stale {
        assert!(!dir.0.join(name).exists(), "{name} was left behind");
    }
    for name in &kept {
        assert!(dir.0.join(name).exists(), "{name} was removed");
    }
}

/// The sections of a bug report, in the order they appear in `log`.
fn report_sections(log: &str) -> Vec<&'static str> {
    const SECTIONS: &[&str] = &[
        "=== REDIS BUG REPORT START",
        "Guru Meditation: DEBUG PANIC called at Unix time",
        "------ STACK TRACE ------",
        "------ INFO OUTPUT ------",
        "------ CLIENT LIST OUTPUT ------",
        "------ CURRENT CLIENT INFO ------",
        "argv[0]: '\"DEBUG\"'",
        "argv[1]: '\"panic\"'",
        "=== REDIS BUG REPORT END.",
    ];
    let mut found: Vec<(usize, &'static str)> = SECTIONS
        .iter()
        .filter_map(|s| log.find(s).map(|at| (at, *s)))
        .collect();
    found.sort();
    found.into_iter().map(|(_, s)| s).collect()
}

/// A panic while a command runs leaves Redis's bug report in the log
/// (the same sections in the same order as real Redis's DEBUG PANIC
/// report) and exits non-zero; acknowledged writes are in the AOF.
#[test]
fn a_panic_leaves_a_bug_report_and_the_aof_intact() {
    let mut logs = Vec::new();
    for flavor in [Flavor::Redis, Flavor::Ferrodis] {
        let dir = Scratch(temp_dir("panic"));
        let d = dir.0.to_str().unwrap();
        let args = [
            "--dir",
            d,
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--enable-debug-command",
            "yes",
        ];
        let mut server = Builder::new(flavor).args(&args).start();
        let mut c = server.conn();
        assert_eq!(c.call(&["SET", "k", "v"]), b"+OK\r\n");
        c.send_raw(&encode_cmd(&["DEBUG", "panic"]));
        let status = server.wait_exit();
        assert!(!status.success(), "{}: {status}", flavor.name());
        if flavor == Flavor::Ferrodis {
            assert_eq!(status.code(), Some(1), "{status}");
        }
        logs.push(server.log());
        let after = Builder::new(flavor).args(&args).start();
        assert_eq!(
            after.conn().call(&["GET", "k"]),
            b"$1\r\nv\r\n",
            "{}",
            flavor.name()
        );
    }
    let want = report_sections(&logs[0]);
    assert_eq!(want.len(), 9, "{}", logs[0]);
    assert_eq!(report_sections(&logs[1]), want, "{}", logs[1]);
}
