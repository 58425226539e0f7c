//! Loading at start-up: while an RDB or AOF loads (slowed with
//! `key-load-delay`), the server accepts connections, refuses what is not
//! flagged `loading` with `-LOADING`, reports the progress in INFO, and a
//! shutdown meanwhile never saves the partial dataset. Each scenario runs on
//! real Redis and on ferrodis, and what clients see is compared.

use crate::util::keyspace::info_field;
use crate::util::server::temp_dir;
use crate::util::*;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const KEYS: usize = 100_000;
const LOADING: &[u8] = b"-LOADING Redis is loading the dataset in memory\r\n";

/// Arguments that make a load of [`KEYS`] keys last seconds, with clients
/// served every KB.
const SLOW_LOAD: [&str; 6] = [
    "--key-load-delay",
    "50",
    "--loading-process-events-interval-bytes",
    "1024",
    "--enable-debug-command",
    "yes",
];

#[derive(Clone, Copy, PartialEq)]
enum Source {
    Rdb,
    /// An AOF of commands only, no RDB preamble.
    Aof,
}

impl Source {
    fn args(self) -> Vec<&'static str> {
        match self {
            Source::Rdb => vec![],
            Source::Aof => vec!["--appendonly", "yes", "--aof-use-rdb-preamble", "no"],
        }
    }
}

/// A data directory that `flavor` filled with [`KEYS`] keys, and the
/// dataset's digest.
fn filled_dir(flavor: Flavor, source: Source) -> (PathBuf, String) {
    let dir = temp_dir("loading-data");
    let dir_arg = dir.display().to_string();
    let mut args = vec!["--dir", &dir_arg, "--enable-debug-command", "yes"];
    args.extend(source.args());
    let server = Builder::new(flavor).args(&args).start();
    let mut c = server.conn();
    let populate = ["DEBUG", "POPULATE", &KEYS.to_string(), "key", "10"];
    assert_eq!(c.call(&populate), b"+OK\r\n");
    match source {
        Source::Rdb => assert_eq!(c.call(&["SAVE"]), b"+OK\r\n"),
        Source::Aof => {
            // DEBUG POPULATE is not propagated: a rewrite writes the keys.
            c.call(&["BGREWRITEAOF"]);
            let deadline = Instant::now() + Duration::from_secs(30);
            while info_field(&mut c, "persistence", "aof_base_size")
                .and_then(|s| s.parse::<u64>().ok())
                .unwrap_or(0)
                < 1_000_000
            {
                assert!(Instant::now() < deadline, "the rewrite did not finish");
                std::thread::sleep(Duration::from_millis(20));
            }
        }
    }
    let digest = c.call_parsed(&["DEBUG", "DIGEST"]).text();
    (dir, digest)
}

/// A server of `flavor` loading `dir` slowly; it answers already.
fn loading_server(flavor: Flavor, dir: &Path, source: Source, extra: &[&str]) -> Server {
    let dir_arg = dir.display().to_string();
    let mut args = vec!["--dir", &dir_arg];
    args.extend(SLOW_LOAD);
    args.extend(source.args());
    args.extend(extra);
    let server = Builder::new(flavor).args(&args).start_answering();
    assert_eq!(
        server.conn().call(&["PING"]),
        LOADING,
        "[{}] the load ended before the test could see it",
        flavor.name()
    );
    server
}

/// The bytes of the files a load reads.
fn data_bytes(dir: &Path, source: Source) -> u64 {
    match source {
        Source::Rdb => fs::metadata(dir.join("dump.rdb")).map_or(0, |m| m.len()),
        Source::Aof => fs::read_dir(dir.join("appendonlydir"))
            .expect("appendonlydir")
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".aof"))
            .map(|e| e.metadata().map_or(0, |m| m.len()))
            .sum(),
    }
}

fn info_lines(c: &mut Conn, section: &str) -> Vec<(String, String)> {
    c.call_parsed(&["INFO", section])
        .text()
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn field<'a>(lines: &'a [(String, String)], name: &str) -> &'a str {
    lines
        .iter()
        .find(|(k, _)| k == name)
        .map_or_else(|| panic!("INFO has no {name}"), |(_, v)| v.as_str())
}

/// What one flavor showed during and after a slow load of `source`.
fn observe_load(flavor: Flavor, source: Source) -> Vec<String> {
    let (dir, digest) = filled_dir(flavor, source);
    let server = loading_server(flavor, &dir, source, &[]);
    let mut monitor = server.conn();
    assert_eq!(monitor.call(&["MONITOR"]), b"+OK\r\n");
    let mut c = server.conn();
    let mut seen = Vec::new();
    let show = |seen: &mut Vec<String>, what: &str, reply: Vec<u8>| {
        seen.push(format!("{what} -> {}", escape(&reply)))
    };
    show(&mut seen, "GET", c.call(&["GET", "key:1"]));
    show(&mut seen, "DBSIZE", c.call(&["DBSIZE"]));
    show(&mut seen, "SELECT", c.call(&["SELECT", "3"]));
    show(&mut seen, "SELECT", c.call(&["SELECT", "0"]));
    show(
        &mut seen,
        "CONFIG GET",
        c.call(&["CONFIG", "GET", "maxmemory"]),
    );
    show(&mut seen, "MULTI", c.call(&["MULTI"]));
    show(&mut seen, "queued GET", c.call(&["GET", "key:1"]));
    show(&mut seen, "EXEC", c.call(&["EXEC"]));
    show(&mut seen, "ECHO", c.call(&["ECHO", "still here"]));
    let cli = redis_cli(server.port, &["GET", "key:1"]);
    seen.push(format!(
        "redis-cli: {}",
        String::from_utf8_lossy(&cli.stdout)
    ));
    // A client library tells the error apart, to retry on it.
    let url = format!("redis://127.0.0.1:{}/", server.port);
    let mut lib = redis::Client::open(url.as_str())
        .and_then(|c| c.get_connection())
        .expect("redis crate connects");
    let err = redis::cmd("GET")
        .arg("key:1")
        .query::<Option<String>>(&mut lib)
        .expect_err("GET during the load");
    seen.push(format!("redis crate: {:?}", err.kind()));

    let persistence = info_lines(&mut c, "persistence");
    let names: Vec<&str> = persistence.iter().map(|(k, _)| k.as_str()).collect();
    seen.push(format!("INFO persistence fields: {names:?}"));
    assert_eq!(field(&persistence, "loading"), "1");
    let total: u64 = field(&persistence, "loading_total_bytes").parse().unwrap();
    assert_eq!(
        total,
        data_bytes(&dir, source),
        "[{}] total bytes",
        flavor.name()
    );
    let loaded: u64 = field(&persistence, "loading_loaded_bytes").parse().unwrap();
    assert!(
        loaded > 0 && loaded < total,
        "[{}] loaded {loaded} of {total}",
        flavor.name()
    );
    let perc = field(&persistence, "loading_loaded_perc");
    let expected = format!("{:.2}", loaded as f64 / total as f64 * 100.0);
    assert_eq!(perc, expected, "[{}] percentage", flavor.name());
    let used_mem: u64 = field(&persistence, "loading_rdb_used_mem").parse().unwrap();
    assert_eq!(
        used_mem > 0,
        source == Source::Rdb,
        "[{}] used-mem",
        flavor.name()
    );
    let start: u64 = field(&persistence, "loading_start_time").parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    assert!(
        start <= now && now - start < 60,
        "[{}] start time",
        flavor.name()
    );
    // The redis crate's CLIENT SETINFO on connecting counts as errors too.
    seen.push(format!(
        "errorstats: {:?}",
        info_lines(&mut c, "errorstats")
    ));

    // The load speeds up as soon as the setting changes.
    show(
        &mut seen,
        "CONFIG SET",
        c.call(&["CONFIG", "SET", "key-load-delay", "0"]),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while c.call(&["PING"]) != b"+PONG\r\n" {
        assert!(
            Instant::now() < deadline,
            "[{}] the load did not end",
            flavor.name()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    show(&mut seen, "DBSIZE", c.call(&["DBSIZE"]));
    assert_eq!(c.call_parsed(&["DEBUG", "DIGEST"]).text(), digest);
    let value: Option<String> = redis::cmd("GET").arg("key:1").query(&mut lib).unwrap();
    seen.push(format!("redis crate after the load: {value:?}"));
    let after = info_lines(&mut c, "persistence");
    assert_eq!(field(&after, "loading"), "0");
    assert!(
        after.iter().all(|(k, _)| !k.starts_with("loading_")),
        "[{}] loading fields after the load",
        flavor.name()
    );
    // The monitor sees nothing of the load, nor of the commands run
    // meanwhile: only what came after it.
    monitor.set_timeout(Duration::from_millis(300));
    let mut lines = Vec::new();
    while let Ok(line) = monitor.try_read_reply() {
        lines.push(String::from_utf8_lossy(&line).into_owned());
    }
    let commands: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.split_once("] ").map(|(_, cmd)| cmd.trim_end()))
        .collect();
    seen.push(format!("monitor: {commands:?}"));
    seen
}

fn compare_loads(source: Source) {
    let redis = observe_load(Flavor::Redis, source);
    let ferrodis = observe_load(Flavor::Ferrodis, source);
    assert_eq!(ferrodis, redis);
}

#[test]
fn an_rdb_load_answers_loading_and_reports_progress() {
    compare_loads(Source::Rdb);
}

#[test]
fn an_aof_load_answers_loading_and_reports_progress() {
    compare_loads(Source::Aof);
}

/// A shutdown during the load, asked by `stop`, ends the process at once
/// without saving, even where save points or SHUTDOWN SAVE would save.
fn shutdown_during_load(stop: impl Fn(&mut Server), signal_line: bool) {
    for flavor in [Flavor::Redis, Flavor::Ferrodis] {
        let (dir, _) = filled_dir(flavor, Source::Rdb);
        let rdb = dir.join("dump.rdb");
        let before = fs::read(&rdb).unwrap();
        let mtime = fs::metadata(&rdb).unwrap().modified().unwrap();
        let mut server = loading_server(flavor, &dir, Source::Rdb, &["--save", "3600 1"]);
        stop(&mut server);
        let status = server.wait_exit();
        let name = flavor.name();
        assert!(status.success(), "[{name}] exit status {status}");
        let log = server.log();
        assert_eq!(
            log.contains("Received shutdown signal during loading, scheduling shutdown."),
            signal_line,
            "[{name}] {log}"
        );
        assert!(log.contains("User requested shutdown..."), "[{name}] {log}");
        assert!(
            log.contains("Redis is now ready to exit, bye bye..."),
            "[{name}] {log}"
        );
        assert!(
            !log.contains("Saving the final RDB snapshot"),
            "[{name}] {log}"
        );
        assert!(
            !log.contains("Ready to accept connections"),
            "[{name}] {log}"
        );
        assert_eq!(fs::read(&rdb).unwrap(), before, "[{name}] dump.rdb changed");
        assert_eq!(fs::metadata(&rdb).unwrap().modified().unwrap(), mtime);
    }
}

#[test]
fn sigterm_during_a_load_exits_without_saving() {
    shutdown_during_load(|s| s.signal(libc::SIGTERM), true);
}

#[test]
fn shutdown_save_during_a_load_does_not_save() {
    shutdown_during_load(
        |s| {
            let mut c = s.conn();
            c.cmd(&["SHUTDOWN", "SAVE"]);
            // The connection closes without a reply.
            assert!(c.try_read_reply().is_err());
        },
        false,
    );
}
