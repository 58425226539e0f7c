//! The append-only file: crash safety under SIGKILL (`always` keeps every
//! acknowledged write, `everysec` loses at most about a second), truncated
//! and corrupted files judged exactly as real Redis judges them, data
//! directories moving between Redis 7.0 and ferrodis in both directions
//! (RDB and command bases, old single-file AOFs), rewrites under write load,
//! turning the AOF on at runtime, automatic rewrites, and the commands and
//! INFO fields as Redis has them.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use crate::rdb::{contents, dataset, expected, fill, Scratch};
use crate::util::keyspace::{info_field, wait_until};
use crate::util::rng::{clock_seed, Rng};
use crate::util::server::temp_dir;
use crate::util::tools::run;
use crate::util::*;

/// A generator seeded from the clock, or from `FERRODIS_TEST_SEED` to
/// replay a failure; the seed is printed.
fn seeded(label: &str) -> Rng {
    let seed = std::env::var("FERRODIS_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(clock_seed);
    eprintln!("{label}: seed {seed}");
    Rng::new(seed)
}

/// Starts `flavor` with the AOF on in `dir`, plus `extra` options.
fn start_in(flavor: Flavor, dir: &Path, extra: &[&str]) -> Server {
    let mut args = vec!["--dir", dir.to_str().unwrap(), "--appendonly", "yes"];
    args.extend_from_slice(extra);
    Builder::new(flavor).args(&args).start()
}

/// Everything a server holds, as `rdb::contents` reads it.
type Contents = BTreeMap<(usize, Vec<u8>), (Vec<u8>, i64)>;

/// Spawns `flavor` on `dir`: what it loaded if it came up (it is then
/// stopped), or its log, stdout and stderr if it exited.
fn try_start(flavor: Flavor, dir: &Path, extra: &[&str]) -> Result<Contents, String> {
    let mut args = vec!["--dir", dir.to_str().unwrap(), "--appendonly", "yes"];
    args.extend_from_slice(extra);
    let mut server = Builder::new(flavor).args(&args).spawn();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = server.try_exit() {
            assert!(
                status.code().is_some(),
                "{} died by a signal ({status}) instead of exiting:\n{}",
                flavor.name(),
                server.logs()
            );
            return Err(server.logs());
        }
        if let Ok(mut c) = Conn::try_connect(server.port) {
            c.set_timeout(Duration::from_secs(5));
            // A server refusing the files may reset the connection as it
            // exits; Redis answers -LOADING until the files are loaded.
            let sent = c.try_send_raw(&resp_cmd(&["PING"])).is_ok();
            if sent && c.try_read_reply().is_ok_and(|r| r == b"+PONG\r\n") {
                return Ok(contents(&mut c));
            }
        }
        assert!(
            Instant::now() < deadline,
            "{} neither started nor exited",
            flavor.name()
        );
        thread::sleep(Duration::from_millis(10));
    }
}

/// Copies the files of `from` (one level, plus `appendonlydir`) into a new scratch dir.
fn copy_dir(from: &Path, label: &str) -> Scratch {
    let to = temp_dir(label);
    for sub in ["", "appendonlydir"] {
        let Ok(entries) = fs::read_dir(from.join(sub)) else {
            continue;
        };
        fs::create_dir_all(to.join(sub)).unwrap();
        for e in entries.flatten() {
            let name = e.file_name();
            let name = name.to_string_lossy();
            let keep = name.starts_with("appendonly") || name == "dump.rdb";
            if e.path().is_file() && keep {
                fs::copy(e.path(), to.join(sub).join(&*name)).unwrap();
            }
        }
    }
    Scratch(to)
}

fn wait_rewrite(c: &mut Conn) {
    assert!(
        wait_until(Duration::from_secs(20), || {
            info_field(c, "persistence", "aof_rewrite_in_progress").as_deref() == Some("0")
                && info_field(c, "persistence", "aof_rewrite_scheduled").as_deref() == Some("0")
        }),
        "the AOF rewrite did not finish"
    );
}

fn rewrite(c: &mut Conn) {
    let reply = c.call_parsed(&["BGREWRITEAOF"]).text();
    assert!(
        reply.starts_with("Background append only file rewriting"),
        "{reply}"
    );
    wait_rewrite(c);
}

fn manifest(dir: &Path) -> String {
    fs::read_to_string(dir.join("appendonlydir/appendonly.aof.manifest")).unwrap()
}

/// `redis-check-aof` on a directory's manifest; panics unless it is valid.
fn check_aof(dir: &Path) {
    let mut cmd = Command::new("redis-check-aof");
    cmd.arg(dir.join("appendonlydir/appendonly.aof.manifest"));
    let out = run(cmd, None, Duration::from_secs(60));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("All AOF files and manifest are valid"),
        "redis-check-aof refused the files:\n{text}"
    );
}

/// The file names, manifest and incremental file bytes match Redis's for
/// the same commands, before and after a rewrite.
#[test]
fn files_match_redis() {
    let mut seen = Vec::new();
    for flavor in [Flavor::Redis, Flavor::Ferrodis] {
        let dir = Scratch(temp_dir("aof-layout"));
        // `always` writes before replying on both; Redis's `everysec` may
        // reply to a write it holds back while a background sync runs.
        let server = start_in(flavor, &dir.0, &["--appendfsync", "always"]);
        let mut c = server.conn();
        let mut files = Vec::new();
        for round in 0..2 {
            c.call(&["SET", "a", "1"]);
            c.call(&["INCR", "a"]);
            c.call(&["SELECT", "5"]);
            c.call(&["APPEND", "s", "xyz"]);
            c.call(&["DEL", "nosuch"]);
            c.call(&["SELECT", "0"]);
            c.call(&["DEL", "a"]);
            let mut names: Vec<String> = fs::read_dir(dir.0.join("appendonlydir"))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            let incr = format!("appendonlydir/appendonly.aof.{}.incr.aof", round + 1);
            files.push((names, manifest(&dir.0), fs::read(dir.0.join(incr)).unwrap()));
            rewrite(&mut c);
        }
        files.push((Vec::new(), manifest(&dir.0), Vec::new()));
        seen.push(files);
    }
    assert_eq!(seen[0], seen[1]);
}

/// Writers pipelining acknowledged writes while the server is SIGKILLed at
/// random moments: after each restart every acknowledged write is there.
#[test]
fn always_keeps_every_acknowledged_write_across_kill_9() {
    let dir = Scratch(temp_dir("aof-crash"));
    let mut rng = seeded("always crash");
    let mut acked: Vec<(String, u64)> = Vec::new();
    for round in 0..5 {
        let server = start_in(Flavor::Ferrodis, &dir.0, &["--appendfsync", "always"]);
        assert_acknowledged(&mut server.conn(), &acked);
        let writers: Vec<_> = (0..3)
            .map(|t| {
                let port = server.port;
                let prefix = format!("r{round}w{t}");
                thread::spawn(move || {
                    let mut c = Conn::connect(port);
                    c.set_timeout(Duration::from_secs(5));
                    let mut done = 0u64;
                    loop {
                        let mut batch = Vec::new();
                        for i in done..done + 16 {
                            batch.extend(resp_cmd(&[
                                "SET",
                                &format!("{prefix}:{i}"),
                                &i.to_string(),
                            ]));
                        }
                        if c.try_send_raw(&batch).is_err() {
                            return (prefix, done);
                        }
                        for _ in 0..16 {
                            match c.try_read_reply() {
                                Ok(r) if r == b"+OK\r\n" => done += 1,
                                _ => return (prefix, done),
                            }
                        }
                    }
                })
            })
            .collect();
        thread::sleep(Duration::from_millis(100 + rng.below(300) as u64));
        server.signal(libc::SIGKILL);
        for w in writers {
            acked.push(w.join().unwrap());
        }
        drop(server);
    }
    assert!(acked.iter().map(|(_, n)| n).sum::<u64>() > 100, "{acked:?}");
    let server = start_in(Flavor::Ferrodis, &dir.0, &[]);
    assert_acknowledged(&mut server.conn(), &acked);
    check_aof(&dir.0);
}

/// Every `<prefix>:<i>` below each writer's acknowledged count holds `i`.
fn assert_acknowledged(c: &mut Conn, acked: &[(String, u64)]) {
    for (prefix, n) in acked {
        for chunk in (0..*n).collect::<Vec<_>>().chunks(500) {
            let mut args = vec!["MGET".to_string()];
            args.extend(chunk.iter().map(|i| format!("{prefix}:{i}")));
            let reply = c.call_parsed(&args);
            for (i, v) in chunk.iter().zip(reply.items()) {
                assert_eq!(
                    v.bytes(),
                    Some(i.to_string().as_bytes()),
                    "{prefix}:{i} lost"
                );
            }
        }
    }
}

/// One command as RESP.
fn resp_cmd(args: &[&str]) -> Vec<u8> {
    crate::util::resp::encode_cmd(args)
}

/// `everysec`: writes acknowledged two seconds before a SIGKILL survive it.
#[test]
fn everysec_loses_at_most_about_a_second() {
    let dir = Scratch(temp_dir("aof-everysec"));
    let server = start_in(Flavor::Ferrodis, &dir.0, &["--appendfsync", "everysec"]);
    let mut c = server.conn();
    for i in 0..2000 {
        c.cmd(&["SET", &format!("old:{i}"), "v"]);
    }
    for _ in 0..2000 {
        assert_eq!(c.read_reply(), b"+OK\r\n");
    }
    thread::sleep(Duration::from_millis(2200));
    let stop = Arc::new(AtomicBool::new(false));
    let port = server.port;
    let flag = Arc::clone(&stop);
    let writer = thread::spawn(move || {
        let mut c = Conn::connect(port);
        let mut i = 0;
        while !flag.load(Ordering::Relaxed)
            && c.try_send_raw(&resp_cmd(&["SET", &format!("new:{i}"), "v"]))
                .is_ok()
        {
            if c.try_read_reply().is_err() {
                break;
            }
            i += 1;
        }
    });
    thread::sleep(Duration::from_millis(300));
    server.signal(libc::SIGKILL);
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    drop(server);
    let server = start_in(Flavor::Ferrodis, &dir.0, &[]);
    let mut c = server.conn();
    let present = (0..2000)
        .filter(|i| c.call(&["EXISTS", &format!("old:{i}")]) == b":1\r\n")
        .count();
    assert_eq!(present, 2000);
}

/// Builds an AOF directory with a base and an incremental file of `n` SETs.
fn aof_with_commands(n: usize) -> Scratch {
    let dir = Scratch(temp_dir("aof-source"));
    let mut server = start_in(Flavor::Ferrodis, &dir.0, &[]);
    let mut c = server.conn();
    c.call(&["SET", "base", "1"]);
    rewrite(&mut c);
    for i in 0..n {
        c.call(&["SET", &format!("key:{i}"), &"v".repeat(i % 7)]);
    }
    stop(&mut server);
    dir
}

/// SHUTDOWN (no reply comes) and the process's end.
fn stop(server: &mut Server) {
    server.conn().cmd(&["SHUTDOWN"]);
    assert!(server.wait_exit().success());
}

/// Truncations and flipped bytes at random offsets of the incremental
/// file: ferrodis starts or refuses exactly when Redis does, for both
/// `aof-load-truncated` settings, loads the same data when it starts, and
/// never crashes.
#[test]
fn damaged_files_are_judged_as_redis_judges_them() {
    let source = aof_with_commands(40);
    let incr = source.0.join("appendonlydir/appendonly.aof.2.incr.aof");
    let good = fs::read(&incr).unwrap();
    let mut rng = seeded("damage");
    let mut damaged: Vec<(String, Vec<u8>)> = Vec::new();
    for _ in 0..8 {
        let cut = 1 + rng.below(good.len() - 2);
        damaged.push((format!("cut at {cut}"), good[..cut].to_vec()));
    }
    for _ in 0..8 {
        let at = rng.below(good.len());
        let mut bad = good.clone();
        bad[at] = rng.pick(b"*$\r\nX9-");
        damaged.push((format!("byte {at} set to {:?}", bad[at] as char), bad));
    }
    for (what, bytes) in damaged {
        for truncated in ["yes", "no"] {
            let mut outcomes = Vec::new();
            for flavor in [Flavor::Redis, Flavor::Ferrodis] {
                let dir = copy_dir(&source.0, "aof-damaged");
                fs::write(
                    dir.0.join("appendonlydir/appendonly.aof.2.incr.aof"),
                    &bytes,
                )
                .unwrap();
                let args = ["--aof-load-truncated", truncated];
                let outcome = match try_start(flavor, &dir.0, &args) {
                    Ok(loaded) => Ok(loaded),
                    Err(why) => {
                        if flavor == Flavor::Ferrodis {
                            assert!(why.contains("appendonly.aof.2.incr.aof"), "{what}: {why}");
                        }
                        Err(())
                    }
                };
                outcomes.push(outcome);
            }
            assert_eq!(
                outcomes[0], outcomes[1],
                "{what}, aof-load-truncated {truncated}"
            );
        }
    }
}

/// A truncated last command: loaded up to it with `aof-load-truncated
/// yes` (the file is cut there), refused with a clear message with `no`.
#[test]
fn truncated_tail_is_cut_or_refused() {
    let source = aof_with_commands(5);
    let path = "appendonlydir/appendonly.aof.2.incr.aof";
    let good = fs::read(source.0.join(path)).unwrap();
    let cut = good.len() - 3;
    let dir = copy_dir(&source.0, "aof-truncated");
    fs::write(dir.0.join(path), &good[..cut]).unwrap();
    let why = try_start(Flavor::Ferrodis, &dir.0, &["--aof-load-truncated", "no"]).unwrap_err();
    assert!(
        why.contains(
            "Unexpected end of file reading the append only file appendonly.aof.2.incr.aof"
        ),
        "{why}"
    );
    let server = start_in(Flavor::Ferrodis, &dir.0, &[]);
    let mut c = server.conn();
    assert_eq!(c.call_parsed(&["DBSIZE"]).int(), Some(5));
    assert!(server
        .log()
        .contains("!!! Truncating the AOF appendonly.aof.2.incr.aof at offset"));
    let kept = fs::read(dir.0.join(path)).unwrap();
    assert!(good.starts_with(&kept) && kept.len() < cut);
    drop(server);
    check_aof(&dir.0);
}

/// A directory real Redis wrote loads into ferrodis with identical data,
/// and one ferrodis wrote loads into real Redis, for both base formats.
#[test]
fn directories_move_between_redis_and_ferrodis() {
    let data = dataset();
    for preamble in ["yes", "no"] {
        let opts = ["--aof-use-rdb-preamble", preamble];
        let dir = Scratch(temp_dir("aof-redis"));
        let mut redis = start_in(Flavor::Redis, &dir.0, &opts);
        let mut c = redis.conn();
        fill(&mut c, &data[..data.len() / 2]);
        rewrite(&mut c);
        fill(&mut c, &data[data.len() / 2..]);
        let want = contents(&mut c);
        assert_eq!(want, expected(&data));
        stop(&mut redis);
        drop(redis);
        let moved = copy_dir(&dir.0, "aof-to-ferrodis");
        let mut ferrodis = start_in(Flavor::Ferrodis, &moved.0, &opts);
        let mut c = ferrodis.conn();
        assert_eq!(
            contents(&mut c),
            want,
            "preamble {preamble}: Redis -> ferrodis"
        );
        c.call(&["FLUSHALL"]);
        fill(&mut c, &data[..10]);
        rewrite(&mut c);
        fill(&mut c, &data[10..]);
        c.call(&["SET", "last", "write"]);
        let want = contents(&mut c);
        stop(&mut ferrodis);
        drop(ferrodis);
        check_aof(&moved.0);
        let back = copy_dir(&moved.0, "aof-to-redis");
        let redis = start_in(Flavor::Redis, &back.0, &opts);
        assert_eq!(
            contents(&mut redis.conn()),
            want,
            "preamble {preamble}: ferrodis -> Redis"
        );
    }
}

/// A single `appendonly.aof` in `dir` (Redis 6 and older; commands, or an
/// RDB preamble followed by commands) is moved into the directory as the
/// base and loaded, as Redis 7.0 does.
#[test]
fn legacy_single_file_is_migrated() {
    let redis = RealRedis::start();
    let mut c = redis.conn();
    c.call(&["SET", "from-rdb", "1"]);
    assert_eq!(c.call(&["SAVE"]), b"+OK\r\n");
    let rdb = fs::read(redis.dir().join("dump.rdb")).unwrap();
    let mut commands = resp_cmd(&["SELECT", "2"]);
    commands.extend(resp_cmd(&["SET", "k", "v"]));
    let with_preamble = [rdb, commands.clone()].concat();
    for legacy in [commands, with_preamble] {
        let mut seen = Vec::new();
        for flavor in [Flavor::Redis, Flavor::Ferrodis] {
            let dir = Scratch(temp_dir("aof-legacy"));
            fs::write(dir.0.join("appendonly.aof"), &legacy).unwrap();
            let server = start_in(flavor, &dir.0, &[]);
            assert!(dir.0.join("appendonlydir/appendonly.aof").is_file());
            assert!(!dir.0.join("appendonly.aof").exists());
            seen.push((contents(&mut server.conn()), manifest(&dir.0)));
        }
        assert_eq!(seen[0], seen[1]);
        assert!(seen[0].0.contains_key(&(2, b"k".to_vec())));
    }
}

/// BGREWRITEAOF while a writer overwrites keys: nothing acknowledged is
/// lost across the rewrites and a SIGKILL, and the files shrink to the
/// live data.
#[test]
fn rewrite_under_write_load_loses_nothing_and_shrinks() {
    let dir = Scratch(temp_dir("aof-rewrite-load"));
    let server = start_in(Flavor::Ferrodis, &dir.0, &[]);
    let stop = Arc::new(AtomicBool::new(false));
    let port = server.port;
    let flag = Arc::clone(&stop);
    let writer = thread::spawn(move || {
        let mut c = Conn::connect(port);
        let mut last = BTreeMap::new();
        let mut n = 0u64;
        while !flag.load(Ordering::Relaxed) {
            let key = format!("k{}", n % 100);
            assert_eq!(c.call(&["SET", &key, &n.to_string()]), b"+OK\r\n");
            last.insert(key, n);
            n += 1;
        }
        last
    });
    let mut c = server.conn();
    for _ in 0..3 {
        thread::sleep(Duration::from_millis(150));
        rewrite(&mut c);
    }
    thread::sleep(Duration::from_millis(150));
    stop.store(true, Ordering::Relaxed);
    let last = writer.join().unwrap();
    let before = info_field(&mut c, "persistence", "aof_current_size").unwrap();
    rewrite(&mut c);
    let after: u64 = info_field(&mut c, "persistence", "aof_current_size")
        .unwrap()
        .parse()
        .unwrap();
    let before: u64 = before.parse().unwrap();
    assert!(after < 8000, "{after} bytes for 100 small keys");
    assert!(after < before, "{after} >= {before}");
    server.signal(libc::SIGKILL);
    drop(server);
    let files = fs::read_dir(dir.0.join("appendonlydir")).unwrap().count();
    assert_eq!(files, 3, "history files removed");
    let server = start_in(Flavor::Ferrodis, &dir.0, &[]);
    let mut c = server.conn();
    for (key, n) in last {
        assert_eq!(c.call_parsed(&["GET", &key]).text(), n.to_string(), "{key}");
    }
}

/// `CONFIG SET appendonly yes` writes a base of the data first, then logs
/// every write; `no` stops it.
#[test]
fn appendonly_can_be_turned_on_and_off_at_runtime() {
    let dir = Scratch(temp_dir("aof-runtime"));
    let server = Builder::new(Flavor::Ferrodis)
        .args(&["--dir", dir.0.to_str().unwrap()])
        .start();
    let mut c = server.conn();
    c.call(&["SET", "before", "1"]);
    assert_eq!(c.call(&["CONFIG", "SET", "appendonly", "yes"]), b"+OK\r\n");
    assert_eq!(
        info_field(&mut c, "persistence", "aof_enabled").as_deref(),
        Some("1")
    );
    c.call(&["SET", "during", "2"]);
    wait_rewrite(&mut c);
    c.call(&["SET", "after", "3"]);
    assert_eq!(
        manifest(&dir.0),
        "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
    );
    server.signal(libc::SIGKILL);
    drop(server);
    let server = start_in(Flavor::Ferrodis, &dir.0, &[]);
    let mut c = server.conn();
    assert_eq!(
        c.call_parsed(&["MGET", "before", "during", "after"])
            .items()
            .len(),
        3
    );
    assert_eq!(c.call(&["EXISTS", "before", "during", "after"]), b":3\r\n");
    let incr = dir.0.join("appendonlydir/appendonly.aof.1.incr.aof");
    assert_eq!(
        c.call(&["CONFIG", "SET", "appendfsync", "always"]),
        b"+OK\r\n"
    );
    let before = fs::metadata(&incr).unwrap().len();
    c.call(&["SET", "synced", "5"]);
    assert!(
        fs::metadata(&incr).unwrap().len() > before,
        "written before the reply"
    );
    assert_eq!(c.call(&["CONFIG", "SET", "appendonly", "no"]), b"+OK\r\n");
    assert_eq!(
        info_field(&mut c, "persistence", "aof_enabled").as_deref(),
        Some("0")
    );
    let size = fs::metadata(&incr).unwrap().len();
    c.call(&["SET", "ignored", "4"]);
    assert_eq!(fs::metadata(&incr).unwrap().len(), size);
}

/// `auto-aof-rewrite-percentage` and `-min-size` start rewrites on growth.
#[test]
fn growth_starts_an_automatic_rewrite() {
    let dir = Scratch(temp_dir("aof-auto"));
    let server = start_in(
        Flavor::Ferrodis,
        &dir.0,
        &[
            "--auto-aof-rewrite-min-size",
            "20kb",
            "--auto-aof-rewrite-percentage",
            "100",
        ],
    );
    let mut c = server.conn();
    let value = "x".repeat(1000);
    for _ in 0..40 {
        c.call(&["SET", "k", &value]);
    }
    assert!(
        wait_until(Duration::from_secs(10), || {
            info_field(&mut c, "persistence", "aof_rewrites").as_deref() == Some("1")
        }),
        "no automatic rewrite"
    );
    wait_rewrite(&mut c);
    assert!(server
        .log()
        .contains("Starting automatic rewriting of AOF on"));
}

/// INFO persistence lists the fields Redis lists, in its order, with the
/// AOF on and off; BGREWRITEAOF and BGSAVE answer as Redis does while a
/// rewrite runs.
#[test]
fn info_and_commands_match_redis() {
    let mut fields = Vec::new();
    for flavor in [Flavor::Redis, Flavor::Ferrodis] {
        for on in ["yes", "no"] {
            let dir = Scratch(temp_dir("aof-info"));
            let server = Builder::new(flavor)
                .args(&["--dir", dir.0.to_str().unwrap(), "--appendonly", on])
                .start();
            let text = server.conn().call_parsed(&["INFO", "persistence"]).text();
            let names: Vec<String> = text
                .lines()
                .filter_map(|l| l.split_once(':').map(|(k, _)| k.to_string()))
                .collect();
            fields.push(names);
        }
    }
    assert_eq!(fields[0], fields[2]);
    assert_eq!(fields[1], fields[3]);
    on_both(
        &["--appendonly", "yes", "--rdb-key-save-delay", "100000"],
        |server| {
            let mut c = server.conn();
            for i in 0..20 {
                c.call(&["SET", &format!("k{i}"), "v"]);
            }
            assert_eq!(
                c.call(&["BGREWRITEAOF"]),
                b"+Background append only file rewriting started\r\n"
            );
            assert_eq!(
                c.call(&["BGREWRITEAOF"]),
                b"-ERR Background append only file rewriting already in progress\r\n"
            );
            assert!(c
                .call(&["BGSAVE"])
                .starts_with(b"-ERR Another child process is active (AOF?)"));
            assert_eq!(
                c.call(&["BGSAVE", "SCHEDULE"]),
                b"+Background saving scheduled\r\n"
            );
            assert_eq!(
                info_field(&mut c, "persistence", "aof_rewrite_in_progress").as_deref(),
                Some("1")
            );
            assert_eq!(c.call(&["CONFIG", "SET", "appendonly", "no"]), b"+OK\r\n");
            assert_eq!(
                info_field(&mut c, "persistence", "aof_rewrite_in_progress").as_deref(),
                Some("0")
            );
        },
    );
}

/// SIGKILL while a rewrite runs: the manifest written when it began names
/// every file holding writes, so nothing acknowledged is lost, and the
/// next rewrite cleans up.
#[test]
fn kill_during_rewrite_loses_nothing() {
    let dir = Scratch(temp_dir("aof-kill-rewrite"));
    let server = start_in(Flavor::Ferrodis, &dir.0, &["--rdb-key-save-delay", "2000"]);
    let mut c = server.conn();
    for i in 0..300 {
        c.cmd(&["SET", &format!("k{i}"), "before"]);
    }
    for _ in 0..300 {
        assert_eq!(c.read_reply(), b"+OK\r\n");
    }
    assert_eq!(
        c.call(&["BGREWRITEAOF"]),
        b"+Background append only file rewriting started\r\n"
    );
    for i in 0..300 {
        assert_eq!(c.call(&["SET", &format!("k{i}"), "during"]), b"+OK\r\n");
    }
    assert_eq!(
        info_field(&mut c, "persistence", "aof_rewrite_in_progress").as_deref(),
        Some("1")
    );
    // The child dies with its server.
    server.signal(libc::SIGKILL);
    drop(server);
    let server = start_in(Flavor::Ferrodis, &dir.0, &[]);
    let mut c = server.conn();
    for i in 0..300 {
        assert_eq!(c.call(&["GET", &format!("k{i}")]), b"$6\r\nduring\r\n");
    }
    rewrite(&mut c);
    assert_eq!(
        manifest(&dir.0),
        "file appendonly.aof.2.base.rdb seq 2 type b\nfile appendonly.aof.3.incr.aof seq 3 type i\n"
    );
    check_aof(&dir.0);
}

/// BGREWRITEAOF during BGSAVE is scheduled and runs after it; SHUTDOWN
/// refuses while the first AOF is being written unless forced.
#[test]
fn scheduled_rewrite_and_shutdown_while_enabling_match_redis() {
    on_both(&["--rdb-key-save-delay", "20000"], |server| {
        let mut c = server.conn();
        for i in 0..40 {
            c.call(&["SET", &format!("k{i}"), "v"]);
        }
        assert_eq!(c.call(&["BGSAVE"]), b"+Background saving started\r\n");
        assert_eq!(
            c.call(&["BGREWRITEAOF"]),
            b"+Background append only file rewriting scheduled\r\n"
        );
        assert_eq!(
            info_field(&mut c, "persistence", "aof_rewrite_scheduled").as_deref(),
            Some("1")
        );
        assert!(
            wait_until(Duration::from_secs(20), || {
                info_field(&mut c, "persistence", "aof_rewrite_in_progress").as_deref() == Some("1")
            }),
            "the scheduled rewrite did not start"
        );
        assert_eq!(c.call(&["CONFIG", "SET", "appendonly", "yes"]), b"+OK\r\n");
        assert!(c
            .call(&["SHUTDOWN", "NOSAVE"])
            .starts_with(b"-ERR Errors trying to SHUTDOWN"));
        assert!(server.log().contains("Writing initial AOF, can't exit."));
        c.cmd(&["SHUTDOWN", "NOSAVE", "FORCE"]);
        assert!(server.wait_exit().success());
        assert!(server.log().contains("Writing initial AOF. Exit anyway."));
    });
}

/// DEBUG LOADAOF writes out, empties and reloads from the files; the
/// replayed commands are not counted as commands run.
#[test]
fn debug_loadaof_matches_redis() {
    on_both(
        &["--appendonly", "yes", "--enable-debug-command", "yes"],
        |server| {
            let mut c = server.conn();
            c.call(&["SET", "a", "1"]);
            c.call(&["SELECT", "3"]);
            c.call(&["INCRBY", "n", "5"]);
            assert_eq!(c.call(&["DEBUG", "LOADAOF"]), b"+OK\r\n");
            assert_eq!(c.call(&["GET", "n"]), b"$1\r\n5\r\n");
            c.call(&["SELECT", "0"]);
            assert_eq!(c.call(&["GET", "a"]), b"$1\r\n1\r\n");
            let stats = c.call_parsed(&["INFO", "commandstats"]).text();
            assert!(stats.contains("cmdstat_set:calls=1,"), "{stats}");
            assert_eq!(
                info_field(&mut c, "persistence", "rdb_changes_since_last_save").as_deref(),
                Some("0")
            );
            assert!(server
                .log()
                .contains("Append Only File loaded by DEBUG LOADAOF"));
        },
    );
}

/// `aof-timestamp-enabled`: `#TS:` annotations where Redis writes them (a
/// new second's first write, the top of a command base); files with them
/// load and pass `redis-check-aof`.
#[test]
fn timestamp_annotations_match_redis() {
    let mask = |bytes: Vec<u8>| {
        let text = String::from_utf8(bytes).unwrap();
        let lines: Vec<String> = text
            .split("\r\n")
            .map(|l| {
                if l.starts_with("#TS:") {
                    "#TS:<secs>".into()
                } else {
                    l.to_string()
                }
            })
            .collect();
        lines.join("\r\n")
    };
    let mut seen = Vec::new();
    for flavor in [Flavor::Redis, Flavor::Ferrodis] {
        let dir = Scratch(temp_dir("aof-ts"));
        let opts = [
            "--aof-timestamp-enabled",
            "yes",
            "--aof-use-rdb-preamble",
            "no",
            "--appendfsync",
            "always",
        ];
        let mut server = start_in(flavor, &dir.0, &opts);
        let mut c = server.conn();
        // The base created at start-up was annotated; a write in a later
        // second is annotated again.
        thread::sleep(Duration::from_millis(1100));
        c.call(&["SET", "a", "1"]);
        let first = fs::read(dir.0.join("appendonlydir/appendonly.aof.1.incr.aof")).unwrap();
        rewrite(&mut c);
        let base = fs::read(dir.0.join("appendonlydir/appendonly.aof.2.base.aof")).unwrap();
        stop(&mut server);
        check_aof(&dir.0);
        let again = start_in(flavor, &dir.0, &opts);
        assert_eq!(again.conn().call(&["GET", "a"]), b"$1\r\n1\r\n");
        seen.push((mask(first), mask(base)));
    }
    assert_eq!(seen[0], seen[1]);
    assert!(
        seen[0].0.starts_with("#TS:<secs>\r\n*2\r\n$6\r\nSELECT"),
        "{:?}",
        seen[0]
    );
    // An RDB base carries no annotation, so even a write in the second the
    // server started in opens the incremental file with one.
    let mut seen = Vec::new();
    for flavor in [Flavor::Redis, Flavor::Ferrodis] {
        let dir = Scratch(temp_dir("aof-ts-rdb"));
        let opts = ["--aof-timestamp-enabled", "yes", "--appendfsync", "always"];
        let mut server = start_in(flavor, &dir.0, &opts);
        server.conn().call(&["SET", "a", "1"]);
        let first = fs::read(dir.0.join("appendonlydir/appendonly.aof.1.incr.aof")).unwrap();
        stop(&mut server);
        seen.push(mask(first));
    }
    assert_eq!(seen[0], seen[1]);
    assert!(
        seen[0].starts_with("#TS:<secs>\r\n*2\r\n$6\r\nSELECT"),
        "{seen:?}"
    );
}

/// Breaks a copied data directory.
type Damage = fn(&Path);

/// A file the manifest names but the directory lacks, and a broken
/// manifest, stop start-up as they stop Redis.
#[test]
fn missing_files_and_broken_manifests_stop_start_up() {
    let source = aof_with_commands(3);
    let broken: [(&str, Damage); 3] = [
        ("missing incr", |d| {
            fs::remove_file(d.join("appendonlydir/appendonly.aof.2.incr.aof")).unwrap()
        }),
        ("bad type", |d| {
            let m = d.join("appendonlydir/appendonly.aof.manifest");
            let text = fs::read_to_string(&m).unwrap().replace("type i", "type x");
            fs::write(m, text).unwrap();
        }),
        ("two bases", |d| {
            let m = d.join("appendonlydir/appendonly.aof.manifest");
            let text = fs::read_to_string(&m).unwrap();
            fs::write(m, format!("{text}file other seq 9 type b\n")).unwrap();
        }),
    ];
    for (what, damage) in broken {
        let mut messages = Vec::new();
        for flavor in [Flavor::Redis, Flavor::Ferrodis] {
            let dir = copy_dir(&source.0, "aof-broken");
            damage(&dir.0);
            let why = try_start(flavor, &dir.0, &[]).expect_err(what);
            let line = why
                .lines()
                .find(|l| {
                    l.contains("Unable to obtain")
                        || l.contains("Unknown AOF file type")
                        || l.contains("duplicate base")
                })
                .map(|l| {
                    l.rsplit(['#', '*'])
                        .next()
                        .unwrap_or_default()
                        .trim()
                        .to_string()
                });
            messages.push(line);
        }
        assert!(messages[0].is_some(), "{what}: {messages:?}");
        assert_eq!(messages[0], messages[1], "{what}");
    }
}

/// A damaged RDB base stops start-up whatever `aof-load-truncated` says,
/// as in Redis, with the file and the offset named.
#[test]
fn damaged_rdb_base_stops_start_up() {
    let source = aof_with_commands(3);
    for truncated in ["yes", "no"] {
        for flavor in [Flavor::Redis, Flavor::Ferrodis] {
            let dir = copy_dir(&source.0, "aof-bad-base");
            let base = dir.0.join("appendonlydir/appendonly.aof.2.base.rdb");
            let bytes = fs::read(&base).unwrap();
            fs::write(&base, &bytes[..bytes.len() / 2]).unwrap();
            let why = try_start(flavor, &dir.0, &["--aof-load-truncated", truncated])
                .expect_err("a half RDB base must not load");
            assert!(
                why.contains("appendonly.aof.2.base.rdb") && why.contains("offset"),
                "{}: {why}",
                flavor.name()
            );
        }
    }
}

/// With the AOF off at start-up the manifest is still read, so turning it
/// on continues the sequence numbers, as in Redis.
#[test]
fn enabling_later_continues_the_manifest() {
    let mut manifests = Vec::new();
    for flavor in [Flavor::Redis, Flavor::Ferrodis] {
        let dir = Scratch(temp_dir("aof-continue"));
        let mut server = start_in(flavor, &dir.0, &[]);
        let mut c = server.conn();
        c.call(&["SET", "k", "1"]);
        rewrite(&mut c);
        stop(&mut server);
        let server = Builder::new(flavor)
            .args(&["--dir", dir.0.to_str().unwrap()])
            .start();
        let mut c = server.conn();
        c.call(&["SET", "k", "2"]);
        assert_eq!(c.call(&["CONFIG", "SET", "appendonly", "yes"]), b"+OK\r\n");
        wait_rewrite(&mut c);
        manifests.push(manifest(&dir.0));
        let names: Vec<String> = fs::read_dir(dir.0.join("appendonlydir"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 3, "{names:?}");
    }
    assert_eq!(manifests[0], manifests[1]);
    assert!(
        manifests[0].starts_with("file appendonly.aof.3.base.rdb seq 3"),
        "{}",
        manifests[0]
    );
}

/// List writes reach the file in Redis's forms (LMPOP as LPOP/RPOP with
/// the count popped, LMOVE and RPOPLPUSH as themselves, no-op writes not
/// at all), and a rewrite without the RDB preamble writes a list as
/// RPUSH batches of 64, byte for byte as Redis does.
#[test]
fn list_writes_and_rewrites_match_redis() {
    let mut seen = Vec::new();
    for flavor in [Flavor::Redis, Flavor::Ferrodis] {
        let dir = Scratch(temp_dir("aof-lists"));
        let extra = ["--appendfsync", "always", "--aof-use-rdb-preamble", "no"];
        let server = start_in(flavor, &dir.0, &extra);
        let mut c = server.conn();
        let values: Vec<String> = (0..130).map(|i| format!("v{i}")).collect();
        let mut push = vec!["RPUSH", "l"];
        push.extend(values.iter().map(String::as_str));
        c.call(&push);
        for cmd in [
            &["LPUSH", "m", "a", "b", "c"][..],
            &["LMPOP", "2", "none", "m", "RIGHT", "COUNT", "10"],
            &["LMPOP", "1", "none", "LEFT"],
            &["LMOVE", "l", "m", "LEFT", "RIGHT"],
            &["RPOPLPUSH", "l", "m"],
            &["LTRIM", "l", "0", "-1"],
            &["LTRIM", "l", "2", "-3"],
            &["LREM", "l", "0", "nope"],
            &["LREM", "l", "1", "v10"],
            &["LINSERT", "l", "BEFORE", "nope", "x"],
            &["LINSERT", "l", "BEFORE", "v20", "x"],
            &["LSET", "l", "0", "first"],
            &["LPOP", "l", "0"],
            &["RPOP", "l", "2"],
            &["LPUSHX", "none", "x"],
        ] {
            c.call(cmd);
        }
        let incr = fs::read(dir.0.join("appendonlydir/appendonly.aof.1.incr.aof")).unwrap();
        c.call(&["DEL", "m"]);
        rewrite(&mut c);
        let base = fs::read(dir.0.join("appendonlydir/appendonly.aof.2.base.aof")).unwrap();
        seen.push((
            String::from_utf8_lossy(&incr).into_owned(),
            String::from_utf8_lossy(&base).into_owned(),
        ));
    }
    assert_eq!(seen[0], seen[1]);
}

/// FLUSHDB and FLUSHALL reach the AOF even when there was nothing to
/// flush, as Redis forces them there.
#[test]
fn flushes_of_empty_databases_are_written() {
    let mut seen = Vec::new();
    for flavor in [Flavor::Redis, Flavor::Ferrodis] {
        let dir = Scratch(temp_dir("aof-flush"));
        let server = start_in(flavor, &dir.0, &["--appendfsync", "always"]);
        let mut c = server.conn();
        c.call(&["FLUSHALL"]);
        c.call(&["SELECT", "3"]);
        c.call(&["FLUSHDB"]);
        c.call(&["SET", "k", "v"]);
        c.call(&["FLUSHDB", "ASYNC"]);
        c.call(&["FLUSHALL", "SYNC"]);
        c.call(&["MULTI"]);
        c.call(&["FLUSHDB"]);
        c.call(&["EXEC"]);
        seen.push(fs::read(dir.0.join("appendonlydir/appendonly.aof.1.incr.aof")).unwrap());
    }
    assert_eq!(escape(&seen[1]), escape(&seen[0]));
}

/// Under `appendfsync always` a reply never goes out before its write is
/// in the file, even when writing the file is slow (DEBUG AOF-FLUSH-SLEEP
/// widens the window): the file already holds every acknowledged write.
#[test]
fn always_replies_only_after_the_write_is_in_the_file() {
    let opts = [
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--enable-debug-command",
        "yes",
    ];
    on_both(&opts, |srv| {
        let mut c = srv.conn();
        assert_eq!(c.call(&["DEBUG", "AOF-FLUSH-SLEEP", "100000"]), b"+OK\r\n");
        let mut other = srv.conn();
        for i in 0..3 {
            let key = format!("slow:{i}");
            other.cmd(&["SET", &format!("other:{i}"), "v"]);
            assert_eq!(c.call(&["SET", &key, "v"]), b"+OK\r\n");
            assert!(
                srv.incremental_aof().contains(&key),
                "{key} acknowledged before written"
            );
            assert_eq!(other.read_reply(), b"+OK\r\n");
            assert!(srv.incremental_aof().contains(&format!("other:{i}")));
        }
    });
}

/// A deadline that has passed since the file was written does not expire
/// keys while it replays: Redis expires nothing while loading, so a later
/// PERSIST or INCR in the file still finds the key. Keys left with a past
/// deadline are gone once the load is over.
#[test]
fn deadlines_passed_since_are_not_applied_during_replay() {
    let commands: &[&[&str]] = &[
        &["SELECT", "0"],
        &["SET", "k", "5", "PXAT", "1000"],
        &["PERSIST", "k"],
        &["SET", "j", "7", "PXAT", "1000"],
        &["INCR", "j"],
        &["PERSIST", "j"],
        &["SET", "p", "1"],
        &["PEXPIREAT", "p", "1000"],
        &["APPEND", "p", "2"],
        &["PERSIST", "p"],
        &["SET", "gone", "1", "PXAT", "1000"],
        &["SET", "later", "1", "PXAT", "1000"],
        &["SET", "later", "2", "KEEPTTL"],
    ];
    let aof: Vec<u8> = commands.iter().flat_map(|c| resp_cmd(c)).collect();
    let mut seen = Vec::new();
    for flavor in [Flavor::Redis, Flavor::Ferrodis] {
        let dir = Scratch(temp_dir("aof-past-deadlines"));
        let sub = dir.0.join("appendonlydir");
        fs::create_dir_all(&sub).unwrap();
        fs::write(sub.join("appendonly.aof.1.incr.aof"), &aof).unwrap();
        fs::write(
            sub.join("appendonly.aof.manifest"),
            "file appendonly.aof.1.incr.aof seq 1 type i\n",
        )
        .unwrap();
        seen.push(try_start(flavor, &dir.0, &[]).unwrap());
    }
    let keys: Vec<&[u8]> = seen[0].keys().map(|(_, k)| k.as_slice()).collect();
    assert_eq!(keys, [&b"j"[..], b"k", b"p"], "what Redis kept");
    assert_eq!(seen[1], seen[0]);
}
