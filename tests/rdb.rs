//! RDB snapshots: files move between ferrodis and real redis-server 7.0 in
//! both directions with every key, value and deadline intact; every file
//! ferrodis writes passes `redis-check-rdb`; broken files stop start-up
//! with a message; BGSAVE writes a point-in-time image while clients keep
//! writing; SAVE/BGSAVE/SHUTDOWN/FLUSHALL/save points and the MISCONF state
//! behave as on Redis. Every file used here is made by one of the servers
//! during the test.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::util::keyspace::{info_field, wait_until};
use crate::util::server::temp_dir;
use crate::util::tools::run;
use crate::util::*;

/// One key of a dataset: database, key, value, absolute deadline (ms).
pub(crate) type Entry = (usize, Vec<u8>, Vec<u8>, Option<i64>);

/// Unix ms, for deadlines well in the future.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Keys spread over all 16 databases: binary and empty keys, integers at
/// every encoding boundary (as keys and values), strings around the
/// compression threshold, compressible and incompressible large values,
/// and deadlines.
pub(crate) fn dataset() -> Vec<Entry> {
    let mut values: Vec<Vec<u8>> = [
        0i64,
        1,
        -1,
        127,
        128,
        -128,
        -129,
        255,
        256,
        32767,
        32768,
        -32768,
        -32769,
        65535,
        65536,
        2147483647,
        2147483648,
        -2147483648,
        -2147483649,
        4294967296,
        i64::MAX,
        i64::MIN,
    ]
    .iter()
    .map(|v| v.to_string().into_bytes())
    .collect();
    for s in ["", "007", "+1", "-0", " 1", "1.5", "12345678901234567890"] {
        values.push(s.as_bytes().to_vec());
    }
    for len in [20, 21, 22, 44, 45, 100, 1000, 20_000, 300_000] {
        values.push(vec![b'a'; len]);
        values.push(noise(len, 4, len as u64));
        values.push(noise(len, 256, len as u64 + 1));
    }
    values.push((0..=255u8).collect());
    let deadline = now_ms() + 3_600_000;
    let mut data = Vec::new();
    for (i, v) in values.into_iter().enumerate() {
        let db = i % 16;
        let expire = (i % 3 == 0).then_some(deadline + i as i64);
        data.push((db, format!("k:{i}").into_bytes(), v.clone(), expire));
        if v.len() <= 64 {
            // The value as a key too: integer-encoded and odd keys.
            data.push((db, v, format!("as key {i}").into_bytes(), None));
        }
    }
    data.push((
        0,
        b"\x00\xff\r\n binary key".to_vec(),
        b"\x00\x01\x02".to_vec(),
        None,
    ));
    data.push((15, vec![b'k'; 1000], b"long key".to_vec(), Some(deadline)));
    data.sort();
    data.dedup_by(|a, b| a.0 == b.0 && a.1 == b.1);
    data
}

/// Writes `data` into a server.
pub(crate) fn fill(conn: &mut Conn, data: &[Entry]) {
    for (db, key, value, expire) in data {
        conn.call_parsed(&["SELECT", &db.to_string()]);
        assert_eq!(conn.call(&[b"SET".as_slice(), key, value]), b"+OK\r\n");
        if let Some(t) = expire {
            let t = t.to_string();
            assert_eq!(
                conn.call(&[b"PEXPIREAT".as_slice(), key, t.as_bytes()]),
                b":1\r\n"
            );
        }
    }
    conn.call_parsed(&["SELECT", "0"]);
}

/// Everything a server holds, read through the protocol: every key of
/// every database with its value and PEXPIRETIME.
pub(crate) fn contents(conn: &mut Conn) -> BTreeMap<(usize, Vec<u8>), (Vec<u8>, i64)> {
    let mut all = BTreeMap::new();
    for db in 0..16 {
        conn.call_parsed(&["SELECT", &db.to_string()]);
        for key in conn.call_parsed(&["KEYS", "*"]).items() {
            let key = key.bytes().unwrap().to_vec();
            let value = conn.call_parsed(&[b"GET".as_slice(), &key]);
            let deadline = match conn.call_parsed(&[b"PEXPIRETIME".as_slice(), &key]) {
                Reply::Int(t) => t,
                other => panic!("PEXPIRETIME replied {other:?}"),
            };
            all.insert((db, key), (value.bytes().unwrap().to_vec(), deadline));
        }
    }
    conn.call_parsed(&["SELECT", "0"]);
    all
}

/// The dataset as [`contents`] reports it.
pub(crate) fn expected(data: &[Entry]) -> BTreeMap<(usize, Vec<u8>), (Vec<u8>, i64)> {
    data.iter()
        .map(|(db, k, v, t)| ((*db, k.clone()), (v.clone(), t.unwrap_or(-1))))
        .collect()
}

/// A directory removed when the test ends.
pub(crate) struct Scratch(pub(crate) PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            let _ = fs::remove_dir_all(&self.0);
        }
    }
}

/// Starts `flavor` in a fresh directory whose `dump.rdb` holds `rdb`.
fn start_on(flavor: Flavor, rdb: &[u8], extra: &[&str]) -> (Server, Scratch) {
    let dir = temp_dir("rdb-data");
    fs::write(dir.join("dump.rdb"), rdb).unwrap();
    let mut args = vec!["--dir", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    let server = Builder::new(flavor).args(&args).start();
    (server, Scratch(dir))
}

/// SAVE, then the file's bytes.
fn save(server: &Server) -> Vec<u8> {
    assert_eq!(server.conn().call(&["SAVE"]), b"+OK\r\n");
    fs::read(server.dir().join("dump.rdb")).unwrap()
}

/// Runs `redis-check-rdb` on `rdb`; panics with its output unless it passes.
fn check_rdb(rdb: &[u8]) {
    let dir = Scratch(temp_dir("rdb-check"));
    let path = dir.0.join("dump.rdb");
    fs::write(&path, rdb).unwrap();
    let mut cmd = Command::new("redis-check-rdb");
    cmd.arg(&path);
    let out = run(cmd, None, Duration::from_secs(60));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("RDB looks OK"),
        "redis-check-rdb refused the file:\n{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn real_redis_file_loads_into_ferrodis() {
    let data = dataset();
    let redis = RealRedis::start();
    fill(&mut redis.conn(), &data);
    let want = contents(&mut redis.conn());
    assert_eq!(want, expected(&data));
    let rdb = save(&redis);
    let (ferrodis, _dir) = start_on(Flavor::Ferrodis, &rdb, &[]);
    assert_eq!(contents(&mut ferrodis.conn()), want);
    let mut c = ferrodis.conn();
    assert_eq!(
        info_field(&mut c, "persistence", "rdb_last_load_keys_loaded"),
        Some(data.len().to_string())
    );
    // The log says what Redis says about the file it loaded.
    let log = ferrodis.log();
    for line in [
        "Loading RDB produced by version 7.0.15",
        &format!(
            "Done loading RDB, keys loaded: {}, keys expired: 0.",
            data.len()
        ),
        "DB loaded from disk: ",
    ] {
        assert!(log.contains(line), "no {line:?} in the log:\n{log}");
    }
}

#[test]
fn ferrodis_file_loads_into_real_redis() {
    let data = dataset();
    for settings in [
        &[][..],
        &["--rdbcompression", "no"],
        &["--rdbchecksum", "no"],
    ] {
        let ferrodis = TestServer::start_with(settings);
        fill(&mut ferrodis.conn(), &data);
        let rdb = save(&ferrodis);
        assert_eq!(&rdb[..9], b"REDIS0010");
        check_rdb(&rdb);
        let (redis, _dir) = start_on(Flavor::Redis, &rdb, settings);
        assert_eq!(contents(&mut redis.conn()), expected(&data), "{settings:?}");
        // And back: the file ferrodis wrote loads into ferrodis too.
        let (again, _dir) = start_on(Flavor::Ferrodis, &rdb, settings);
        assert_eq!(contents(&mut again.conn()), expected(&data), "{settings:?}");
    }
}

#[test]
fn file_layout_matches_redis() {
    // The same keys saved by both servers differ only in the AUX values
    // (ctime, used-mem) and the checksum that covers them.
    let strip = |rdb: &[u8]| {
        let body = rdb.windows(2).position(|w| w == [0xfe, 0x00]).unwrap();
        rdb[body..rdb.len() - 8].to_vec()
    };
    let data: Vec<Entry> = vec![(
        0,
        b"only".to_vec(),
        vec![b'x'; 100],
        Some(now_ms() + 99_999),
    )];
    let mut files = Vec::new();
    for flavor in [Flavor::Redis, Flavor::Ferrodis] {
        let server = Builder::new(flavor).start();
        fill(&mut server.conn(), &data);
        files.push(save(&server));
    }
    assert_eq!(strip(&files[0]), strip(&files[1]));
    let aux_names = |rdb: &[u8]| String::from_utf8_lossy(&rdb[..rdb.len().min(90)]).to_string();
    for name in ["redis-ver", "redis-bits", "ctime", "used-mem", "aof-base"] {
        assert!(aux_names(&files[1]).contains(name), "no AUX {name}");
    }
}

#[test]
fn empty_round_trip_and_debug_reload() {
    let ferrodis = TestServer::start_with(&["--enable-debug-command", "yes"]);
    let empty = save(&ferrodis);
    check_rdb(&empty);
    let (again, _dir) = start_on(Flavor::Ferrodis, &empty, &[]);
    assert_eq!(again.conn().call(&["DBSIZE"]), b":0\r\n");
    let data = dataset();
    let mut c = ferrodis.conn();
    fill(&mut c, &data);
    assert_eq!(c.call(&["DEBUG", "RELOAD"]), b"+OK\r\n");
    assert_eq!(contents(&mut c), expected(&data));
    assert_eq!(c.call(&["FLUSHALL"]), b"+OK\r\n");
    assert_eq!(c.call(&["DEBUG", "RELOAD", "NOSAVE"]), b"+OK\r\n");
    assert_eq!(contents(&mut c), expected(&data));
    assert!(ferrodis.log().contains("DB reloaded by DEBUG RELOAD"));
}

#[test]
fn expired_keys_are_dropped_on_load() {
    for flavor in [Flavor::Redis, Flavor::Ferrodis] {
        let server = Builder::new(flavor)
            .args(&["--enable-debug-command", "yes"])
            .start();
        let mut c = server.conn();
        c.call(&["DEBUG", "SET-ACTIVE-EXPIRE", "0"]);
        c.call(&["SET", "short", "v", "PX", "200"]);
        c.call(&["SET", "long", "v", "EX", "1000"]);
        c.call(&["SET", "forever", "v"]);
        let rdb = save(&server);
        std::thread::sleep(Duration::from_millis(300));
        let (loaded, _dir) = start_on(flavor, &rdb, &[]);
        let mut c = loaded.conn();
        assert_eq!(c.call(&["DBSIZE"]), b":2\r\n", "{flavor:?}");
        assert_eq!(c.call(&["EXISTS", "short"]), b":0\r\n", "{flavor:?}");
        assert_eq!(
            info_field(&mut c, "persistence", "rdb_last_load_keys_expired").as_deref(),
            Some("1"),
            "{flavor:?}"
        );
    }
}

#[test]
fn broken_files_stop_start_up() {
    let ferrodis = TestServer::start();
    fill(&mut ferrodis.conn(), &dataset());
    let good = save(&ferrodis);
    let len = good.len();
    let mut broken: Vec<(String, Vec<u8>)> = Vec::new();
    for cut in [0, 5, 9, 30, len / 2, len - 9, len - 1] {
        broken.push((format!("cut at {cut}"), good[..cut].to_vec()));
    }
    for at in [3, 7, 40, len / 3, len - 12, len - 3] {
        let mut bad = good.clone();
        bad[at] ^= 0x5a;
        broken.push((format!("byte {at} flipped"), bad));
    }
    let mut list = b"REDIS0010\xfe\x00".to_vec();
    list.extend_from_slice(b"\x12\x01k\x01\x02\x0b\x0b\x00\x00\x00\x01\x00\x81a\x02\xff\xff");
    broken.push(("a corrupt list node".into(), list));
    for (what, bytes) in broken {
        let dir = Scratch(temp_dir("rdb-broken"));
        fs::write(dir.0.join("dump.rdb"), &bytes).unwrap();
        let mut server = TestServer::builder()
            .args(&["--dir", dir.0.to_str().unwrap()])
            .spawn();
        let status = server.wait_exit();
        let stderr = fs::read_to_string(server.dir().join("stderr")).unwrap_or_default();
        assert_eq!(status.code(), Some(1), "{what}: {}", server.logs());
        assert!(
            stderr.contains("dump.rdb") && stderr.contains("offset"),
            "{what}: the message must name the file and the offset:\n{stderr}"
        );
        if what == "a corrupt list node" {
            assert!(
                stderr.contains("list node at byte 4 of the value"),
                "{stderr}"
            );
        }
    }
}

/// Waits until no background save is running.
fn wait_bgsave(c: &mut Conn) {
    assert!(
        wait_until(Duration::from_secs(20), || {
            info_field(c, "persistence", "rdb_bgsave_in_progress").as_deref() == Some("0")
        }),
        "BGSAVE did not finish"
    );
}

#[test]
fn bgsave_is_a_point_in_time_image() {
    for flavor in [Flavor::Redis, Flavor::Ferrodis] {
        let server = Builder::new(flavor)
            .args(&["--enable-debug-command", "yes"])
            .start();
        let mut c = server.conn();
        let mut writer = server.conn();
        let data: Vec<Entry> = (0..2000)
            .map(|i| {
                (
                    i % 2,
                    format!("k{i}").into_bytes(),
                    format!("before {i}").into_bytes(),
                    None,
                )
            })
            .collect();
        fill(&mut c, &data);
        // 2000 keys at 500 µs each keep the child busy for about a second.
        c.call(&["CONFIG", "SET", "rdb-key-save-delay", "500"]);
        assert_eq!(c.call(&["BGSAVE"]), b"+Background saving started\r\n");
        assert_eq!(
            c.call(&["BGSAVE"]),
            b"-ERR Background save already in progress\r\n"
        );
        assert_eq!(
            c.call(&["SAVE"]),
            b"-ERR Background save already in progress\r\n"
        );
        assert_eq!(
            info_field(&mut c, "persistence", "rdb_bgsave_in_progress").as_deref(),
            Some("1")
        );
        // The loop keeps serving while the child writes.
        for i in 0..2000 {
            let key = format!("k{i}");
            match i % 3 {
                0 => writer.call(&["SET", &key, "after"]),
                1 => writer.call(&["DEL", &key]),
                _ => writer.call(&["SET", &format!("new{i}"), "x"]),
            };
        }
        wait_bgsave(&mut c);
        c.call(&["CONFIG", "SET", "rdb-key-save-delay", "0"]);
        let info = |c: &mut Conn, f| info_field(c, "persistence", f);
        assert_eq!(
            info(&mut c, "rdb_last_bgsave_status").as_deref(),
            Some("ok")
        );
        assert_eq!(info(&mut c, "rdb_saves").as_deref(), Some("1"));
        assert_eq!(
            info_field(&mut c, "stats", "total_forks").as_deref(),
            Some("1")
        );
        // Changes made during the save are still unsaved.
        let dirty: u64 = info(&mut c, "rdb_changes_since_last_save")
            .unwrap()
            .parse()
            .unwrap();
        assert!(dirty > 1000, "{flavor:?}: {dirty}");
        assert_eq!(c.call(&["DEBUG", "RELOAD", "NOSAVE"]), b"+OK\r\n");
        assert_eq!(contents(&mut c), expected(&data), "{flavor:?}");
        assert!(server
            .log()
            .contains("Background saving terminated with success"));
    }
}

#[test]
fn failing_saves_and_misconf() {
    let mut pair = Pair::start_with(&["--dbfilename", "bad.rdb", "--enable-debug-command", "yes"]);
    pair.scenario("failing saves", |srv, t| {
        let mut c = srv.conn();
        t.call(&mut c, &["SET", "a", "1"]);
        // A directory where the file should go: the final rename fails.
        let bad = srv.dir().join("bad.rdb");
        fs::create_dir_all(bad.join("x")).unwrap();
        t.call(&mut c, &["SAVE"]);
        t.call(&mut c, &["SET", "a", "2"]);
        t.call(&mut c, &["CONFIG", "SET", "save", "3600 1"]);
        t.call(&mut c, &["BGSAVE"]);
        wait_bgsave(&mut c);
        t.note(
            "status",
            info_field(&mut c, "persistence", "rdb_last_bgsave_status"),
        );
        t.call(&mut c, &["SET", "a", "3"]);
        t.call(&mut c, &["PING"]);
        t.call(&mut c, &["GET", "a"]);
        t.call(&mut c, &["FLUSHALL"]);
        t.call(&mut c, &["SHUTDOWN"]);
        t.call(&mut c, &["DEBUG", "RELOAD"]);
        t.call(&mut c, &["DEBUG", "RELOAD", "BOGUS"]);
        t.call(&mut c, &["BGSAVE", "BOGUS"]);
        t.call(
            &mut c,
            &["CONFIG", "SET", "stop-writes-on-bgsave-error", "no"],
        );
        t.call(&mut c, &["SET", "a", "4"]);
        t.call(
            &mut c,
            &["CONFIG", "SET", "stop-writes-on-bgsave-error", "yes"],
        );
        t.call(&mut c, &["SET", "a", "5"]);
        // Without save points the failure no longer blocks writes.
        t.call(&mut c, &["CONFIG", "SET", "save", ""]);
        t.call(&mut c, &["SET", "a", "6"]);
        t.call(&mut c, &["CONFIG", "SET", "save", "3600 1"]);
        fs::remove_dir_all(&bad).unwrap();
        t.call(&mut c, &["BGSAVE", "SCHEDULE"]);
        wait_bgsave(&mut c);
        t.note(
            "status",
            info_field(&mut c, "persistence", "rdb_last_bgsave_status"),
        );
        t.call(&mut c, &["SET", "a", "7"]);
        t.call(&mut c, &["INFO", "errorstats"]);
        t.call_masked(&mut c, Mask::Info, &["INFO", "persistence"]);
        t.note("still running", srv.try_exit());
    });
}

#[test]
fn save_points_trigger_bgsave() {
    let mut pair = Pair::start();
    pair.scenario("save 1 1", |srv, t| {
        let mut c = srv.conn();
        t.call(&mut c, &["CONFIG", "SET", "save", "1 1"]);
        t.call(&mut c, &["SET", "k", "v"]);
        let saved = wait_until(Duration::from_secs(10), || {
            info_field(&mut c, "persistence", "rdb_changes_since_last_save").as_deref() == Some("0")
        });
        t.note("saved by the save point", saved);
        wait_bgsave(&mut c);
        t.note("file", srv.dir().join("dump.rdb").exists());
        t.note(
            "log",
            srv.log().contains("1 changes in 1 seconds. Saving..."),
        );
    });
}

/// Whether `dir` holds a snapshot with key `k`.
fn saved_with_k(dir: &Path) -> bool {
    fs::read(dir.join("dump.rdb")).is_ok_and(|rdb| rdb.windows(3).any(|w| w == b"\x01k\x01"))
}

#[test]
fn shutdown_and_sigterm_save_when_save_points_exist() {
    let with_points: &[&str] = &["--save", "3600 1"];
    let mut pair = Pair::start_with(with_points);
    pair.scenario("SHUTDOWN", |srv, t| {
        let mut c = srv.conn();
        t.call(&mut c, &["SET", "k", "v"]);
        c.cmd(&["SHUTDOWN"]);
        t.note("exit", srv.wait_exit().code());
        t.note("saved", saved_with_k(srv.dir()));
    });
    let mut pair = Pair::start_with(with_points);
    pair.scenario("SIGTERM", |srv, t| {
        let mut c = srv.conn();
        t.call(&mut c, &["SET", "k", "v"]);
        srv.signal(libc::SIGTERM);
        t.note("exit", srv.wait_exit().code());
        t.note("saved", saved_with_k(srv.dir()));
    });
    let mut pair = Pair::start_with(with_points);
    pair.scenario("SHUTDOWN NOSAVE", |srv, t| {
        let mut c = srv.conn();
        t.call(&mut c, &["SET", "k", "v"]);
        c.cmd(&["SHUTDOWN", "NOSAVE"]);
        t.note("exit", srv.wait_exit().code());
        t.note("saved", saved_with_k(srv.dir()));
    });
    let mut pair = Pair::start();
    pair.scenario("SHUTDOWN SAVE without save points", |srv, t| {
        let mut c = srv.conn();
        t.call(&mut c, &["SET", "k", "v"]);
        c.cmd(&["SHUTDOWN", "SAVE"]);
        t.note("exit", srv.wait_exit().code());
        t.note("saved", saved_with_k(srv.dir()));
    });
    let mut pair = Pair::start_with(with_points);
    pair.scenario("FLUSHALL saves", |srv, t| {
        let mut c = srv.conn();
        t.call(&mut c, &["SET", "k", "v"]);
        t.call(&mut c, &["FLUSHALL"]);
        t.note("file", srv.dir().join("dump.rdb").exists());
        t.call_masked(&mut c, Mask::Info, &["INFO", "persistence"]);
        t.note(
            "changes",
            info_field(&mut c, "persistence", "rdb_changes_since_last_save"),
        );
        t.note("saves", info_field(&mut c, "persistence", "rdb_saves"));
        t.call(&mut c, &["SET", "k", "v"]);
        t.call(&mut c, &["FLUSHALL"]);
        t.call(&mut c, &["CONFIG", "SET", "save", ""]);
        t.call(&mut c, &["FLUSHALL"]);
        t.note(
            "changes",
            info_field(&mut c, "persistence", "rdb_changes_since_last_save"),
        );
    });
}

#[test]
fn command_entries_match_redis() {
    diff(&[case(
        "snapshot commands",
        &[
            &["COMMAND", "INFO", "save", "bgsave", "lastsave"],
            &["SAVE", "x"],
            &["LASTSAVE", "x"],
            &["BGSAVE", "a", "b"],
        ],
    )]);
}

#[test]
fn flushall_stops_a_running_bgsave() {
    on_both(&["--enable-debug-command", "yes"], |srv| {
        let mut c = srv.conn();
        c.call(&["CONFIG", "SET", "rdb-key-save-delay", "1000"]);
        c.call(&["DEBUG", "POPULATE", "1000"]);
        assert_eq!(c.call(&["BGSAVE"]), b"+Background saving started\r\n");
        std::thread::sleep(Duration::from_millis(200));
        assert_eq!(c.call(&["FLUSHALL"]), b"+OK\r\n");
        wait_bgsave(&mut c);
        let dirty: u64 = info_field(&mut c, "persistence", "rdb_changes_since_last_save")
            .unwrap()
            .parse()
            .unwrap();
        assert!(dirty > 999, "{dirty}");
        // Stopping the save was no failure: writes still work.
        assert_eq!(c.call(&["SET", "x", "y"]), b"+OK\r\n");
        let status = info_field(&mut c, "persistence", "rdb_last_bgsave_status");
        assert_eq!(status.as_deref(), Some("ok"));
        assert!(!srv.dir().join("dump.rdb").exists());
    });
}

#[test]
fn idle_time_and_frequency_survive_both_ways() {
    for (from, to) in [
        (Flavor::Redis, Flavor::Ferrodis),
        (Flavor::Ferrodis, Flavor::Redis),
        (Flavor::Ferrodis, Flavor::Ferrodis),
    ] {
        for (policy, option, value, query) in [
            ("allkeys-lru", "IDLETIME", "5000", "IDLETIME"),
            ("allkeys-lfu", "FREQ", "100", "FREQ"),
        ] {
            let settings = ["--maxmemory-policy", policy];
            let source = Builder::new(from).args(&settings).start();
            let mut c = source.conn();
            c.call(&["SET", "a", "v"]);
            let payload = c.call_parsed(&["DUMP", "a"]).bytes().unwrap().to_vec();
            let restore: [&[u8]; 6] = [
                b"RESTORE",
                b"b",
                b"0",
                &payload,
                option.as_bytes(),
                value.as_bytes(),
            ];
            assert_eq!(c.call(&restore), b"+OK\r\n");
            let rdb = save(&source);
            let (target, _dir) = start_on(to, &rdb, &settings);
            let got = match target.conn().call_parsed(&["OBJECT", query, "b"]) {
                Reply::Int(n) => n,
                other => panic!("OBJECT {query} replied {other:?}"),
            };
            let want: i64 = value.parse().unwrap();
            assert!(
                (want..want + 3).contains(&got),
                "{from:?} -> {to:?} {policy}: {got}"
            );
        }
    }
}

/// DEBUG OBJECT without the address and the clock: encoding, serialized
/// length and the quicklist's `ql_*` figures.
fn list_layout(c: &mut Conn, key: &str) -> String {
    let line = c.call_parsed(&["DEBUG", "OBJECT", key]).text();
    line.split(' ')
        .filter(|t| !t.starts_with("at:") && !t.starts_with("lru"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Small, large (many nodes), compressed and plain-node lists: a file
/// real Redis saves loads into ferrodis with the same elements, node
/// layout and DUMP bytes; the file ferrodis saves from them passes
/// `redis-check-rdb` and loads back into Redis.
#[test]
fn lists_cross_in_files_both_ways() {
    let keys = ["l:small", "l:large", "l:zipped", "l:plain"];
    for settings in [
        &["--enable-debug-command", "yes"][..],
        &[
            "--enable-debug-command",
            "yes",
            "--list-max-listpack-size",
            "16",
            "--list-compress-depth",
            "1",
        ],
        &[
            "--enable-debug-command",
            "yes",
            "--list-compress-depth",
            "2",
            "--rdbcompression",
            "no",
        ],
    ] {
        let redis = RealRedis::start_with(settings);
        let mut c = redis.conn();
        c.call(&["RPUSH", "l:small", "a", "12", "b"]);
        for i in 0..20_000 {
            c.call(&["RPUSH", "l:large", &format!("{i}:{}", "v".repeat(i % 23))]);
            if i % 10 == 0 {
                c.call(&["LPUSH", "l:zipped", &"compressible text ".repeat(3)]);
            }
        }
        c.call(&["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "50"]);
        c.call(&[
            "RPUSH",
            "l:plain",
            "x",
            &"P".repeat(60),
            "y",
            &"Q".repeat(70),
        ]);
        c.call(&["DEBUG", "QUICKLIST-PACKED-THRESHOLD", "0"]);
        let want: Vec<_> = keys
            .iter()
            .map(|k| {
                let range = c.call(&["LRANGE", k, "0", "-1"]);
                (range, list_layout(&mut c, k), c.call(&["DUMP", k]))
            })
            .collect();
        let rdb = save(&redis);
        let (ferrodis, dir) = start_on(Flavor::Ferrodis, &rdb, settings);
        let mut f = ferrodis.conn();
        for (k, (range, layout, dump)) in keys.iter().zip(&want) {
            assert_eq!(
                &f.call(&["LRANGE", k, "0", "-1"]),
                range,
                "{k} {settings:?}"
            );
            assert_eq!(&list_layout(&mut f, k), layout, "{k} {settings:?}");
            assert_eq!(&f.call(&["DUMP", k]), dump, "{k} {settings:?}");
        }
        assert_eq!(f.call(&["SAVE"]), b"+OK\r\n");
        let back = fs::read(dir.0.join("dump.rdb")).unwrap();
        check_rdb(&back);
        let (again, _dir) = start_on(Flavor::Redis, &back, settings);
        let mut r = again.conn();
        for (k, (range, layout, _)) in keys.iter().zip(&want) {
            assert_eq!(
                &r.call(&["LRANGE", k, "0", "-1"]),
                range,
                "{k} {settings:?}"
            );
            assert_eq!(&list_layout(&mut r, k), layout, "{k} {settings:?}");
        }
    }
}
