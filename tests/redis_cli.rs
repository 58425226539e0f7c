//! The real `redis-cli` as a client, non-interactively: commands as
//! arguments and commands on stdin. Where the output is deterministic it
//! must equal what redis-cli prints against real Redis; the rest (INFO,
//! CLIENT LIST, COMMAND COUNT) is checked for shape.

use crate::util::*;

fn stdout(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs each redis-cli invocation against both servers, in order, and
/// reports every one whose stdout or exit status differs.
fn cli_diff(pair: &Pair, runs: &[(&[&str], Option<&str>)]) {
    let mut report = Vec::new();
    for (args, stdin) in runs {
        let input = stdin.map(str::as_bytes);
        let want = redis_cli_stdin(pair.redis.port, args, input);
        let got = redis_cli_stdin(pair.ferrodis.port, args, input);
        if (stdout(&want), want.status.code()) != (stdout(&got), got.status.code()) {
            report.push(format!(
                "redis-cli {args:?} stdin {stdin:?}\n    redis:    {:?} {}\n    ferrodis: {:?} {} (stderr {:?})",
                stdout(&want),
                want.status,
                stdout(&got),
                got.status,
                String::from_utf8_lossy(&got.stderr)
            ));
        }
    }
    assert!(
        report.is_empty(),
        "redis-cli output differs:\n{}",
        report.join("\n")
    );
}

#[test]
fn commands_as_arguments() {
    let pair = Pair::start();
    cli_diff(
        &pair,
        &[
            (&["ping"], None),
            (&["echo", "hello world"], None),
            (&["dbsize"], None),
            (&["set", "cli:k", "v"], None),
            (&["get", "cli:k"], None),
            (&["get", "cli:missing"], None),
            (&["dbsize"], None),
            (&["--no-raw", "dbsize"], None),
            (&["config", "get", "maxclients"], None),
            (&["-n", "3", "set", "cli:db3", "x"], None),
            (&["-n", "3", "dbsize"], None),
            (&["-r", "3", "ping"], None),
            (&["nosuchcommand", "a"], None),
            (&["get"], None),
        ],
    );
}

#[test]
fn commands_on_stdin() {
    let pair = Pair::start();
    cli_diff(
        &pair,
        &[
            (&[], Some("ping\n")),
            (&[], Some("set cli:s 1\nget cli:s\nping\n")),
            (&[], Some("echo \"quoted arg\"\n")),
            (&["-x", "set", "cli:x"], Some("from stdin")),
            (&["get", "cli:x"], None),
        ],
    );
}

#[test]
fn introspection_output_shapes() {
    let srv = TestServer::start();
    let info = stdout(&redis_cli(srv.port, &["info"]));
    for needle in [
        "# Server",
        "redis_version:",
        "# Clients",
        "connected_clients:",
    ] {
        assert!(
            info.contains(needle),
            "redis-cli info lacks {needle:?}:\n{info}"
        );
    }
    let list = stdout(&redis_cli(srv.port, &["client", "list"]));
    assert!(
        list.starts_with("id=") && list.contains(" cmd=client|list "),
        "redis-cli client list: {list:?}"
    );
    let count = stdout(&redis_cli(srv.port, &["command", "count"]));
    let n: u32 = count
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("command count: {count:?}"));
    assert!(n >= 20, "COMMAND COUNT {n}");
}

#[test]
fn password_option() {
    let pair = Pair::start_with(&["--requirepass", "pw"]);
    cli_diff(
        &pair,
        &[
            (&["ping"], None),
            (&["-a", "pw", "--no-auth-warning", "ping"], None),
            (&["-a", "wrong", "--no-auth-warning", "ping"], None),
            (
                &[
                    "--user",
                    "default",
                    "--pass",
                    "pw",
                    "--no-auth-warning",
                    "ping",
                ],
                None,
            ),
        ],
    );
}

/// The summary `--bigkeys` and `--memkeys` print: the biggest key of each
/// type and the per-type counts. `--bigkeys` sizes are element counts and
/// must be equal; `--memkeys` sizes are each server's own bytes, so only
/// the key names and counts are compared.
#[test]
fn bigkeys_and_memkeys_summaries() {
    let pair = Pair::start();
    for srv in [&pair.redis, &pair.ferrodis] {
        let mut c = srv.conn();
        c.call(&["SET", "short", "0123456789"]);
        c.call(&["SET", "long", &"x".repeat(100)]);
        c.call(&["RPUSH", "list", "a", "b", "c", "d", "e"]);
        c.call(&["HSET", "hash", "a", "1", "b", "2"]);
        c.call(&["SADD", "set", "1", "2", "3"]);
        c.call(&["ZADD", "zset", "1", "a", "2", "b", "3", "c", "4", "d"]);
    }
    let summary = |port: u16, mode: &str| -> Vec<String> {
        let out = stdout(&redis_cli(port, &[mode]));
        out.lines()
            .filter(|l| l.starts_with("Biggest") || l.contains(" of keys, avg size "))
            .map(|l| {
                if mode == "--memkeys" {
                    l.chars()
                        .map(|ch| if ch.is_ascii_digit() { 'N' } else { ch })
                        .collect()
                } else {
                    l.to_string()
                }
            })
            .collect()
    };
    for mode in ["--bigkeys", "--memkeys"] {
        let theirs = summary(pair.redis.port, mode);
        let ours = summary(pair.ferrodis.port, mode);
        assert_eq!(theirs.len(), 11, "{mode}: {theirs:?}");
        assert_eq!(ours, theirs, "{mode}");
    }
}

/// `--latency` in raw mode samples for a second and prints one line of
/// min, max, average and count.
#[test]
fn latency_mode() {
    let pair = Pair::start();
    for srv in [&pair.redis, &pair.ferrodis] {
        let line = stdout(&redis_cli(srv.port, &["--latency", "--raw"]));
        let fields: Vec<&str> = line.split_whitespace().collect();
        assert_eq!(fields.len(), 4, "--latency --raw: {line:?}");
        assert!(fields[3].parse::<u64>().is_ok_and(|n| n > 0), "{line:?}");
    }
}

/// redis-cli in a mode that samples until stopped, for `secs`; its output
/// unbuffered, as on a terminal, so that nothing is lost when it is stopped.
fn sample_for(port: u16, args: &[&str], secs: f64) -> String {
    let mut cmd = std::process::Command::new("stdbuf");
    cmd.args([
        "-o0",
        "redis-cli",
        "-h",
        "127.0.0.1",
        "-p",
        &port.to_string(),
    ])
    .args(args);
    stdout(&run_for(cmd, std::time::Duration::from_secs_f64(secs)))
}

/// `--stat` prints Redis's header, then a row per interval from INFO:
/// keys, memory, clients, blocked clients, requests (with the increase)
/// and connections.
#[test]
fn stat_mode() {
    let pair = Pair::start();
    let mut headers = Vec::new();
    for srv in [&pair.redis, &pair.ferrodis] {
        let mut c = srv.conn();
        c.call(&["MSET", "a", "1", "b", "2", "c", "3"]);
        let mut blocked = srv.conn();
        blocked.cmd(&["BLPOP", "nothing", "0"]);
        let out = sample_for(srv.port, &["--stat", "-i", "0.2"], 1.1);
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines.len() >= 5, "--stat: {out}");
        headers.push(lines[..2].join("\n"));
        for row in &lines[2..] {
            let f: Vec<&str> = row.split_whitespace().collect();
            assert_eq!(f.len(), 7, "--stat row: {row:?}");
            assert_eq!(&f[..1], ["3"], "keys: {row:?}");
            assert!(f[1].ends_with(['B', 'K', 'M']), "mem: {row:?}");
            // `c`, the blocked one and redis-cli itself.
            assert_eq!(&f[2..4], ["3", "1"], "clients, blocked: {row:?}");
            assert!(
                f[4].parse::<u64>().is_ok() && f[5].starts_with("(+"),
                "{row:?}"
            );
        }
    }
    assert_eq!(headers[0], headers[1]);
}

/// `--latency-dist` prints its legend, then a spectrum line per interval.
#[test]
fn latency_dist_mode() {
    let pair = Pair::start();
    let mut legends = Vec::new();
    for srv in [&pair.redis, &pair.ferrodis] {
        let out = sample_for(srv.port, &["--latency-dist", "-i", "0.5"], 1.8);
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines.len() >= 9, "--latency-dist: {out:?}");
        legends.push(lines[..7].join("\n"));
        // Samples land in the sub-millisecond columns.
        assert!(lines[8].contains("\x1b[48;5;"), "spectrum: {:?}", lines[8]);
    }
    assert_eq!(legends[0], legends[1]);
}
