//! Starting the server: command-line options, config files and their
//! precedence, one-shot flags (`--version`, `--help`), fatal configuration
//! errors, and the files and sockets a running server creates. Every check
//! runs on real Redis first, so the expectations themselves are verified.

use crate::util::*;
use std::process::Output;
use std::time::{Duration, Instant};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs the same one-shot invocation on both binaries.
fn run_both(args: &[&str]) -> [(Flavor, Output); 2] {
    [Flavor::Redis, Flavor::Ferrodis].map(|f| (f, run_server_binary(f, args)))
}

/// Polls `cond` for up to 5 s: files appear shortly after the port opens.
fn eventually(what: &str, cond: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn listens_on_the_given_port() {
    on_both(&[], |srv| {
        let reply = srv.conn().call_parsed(&["CONFIG", "GET", "port"]);
        assert_eq!(reply.items()[1].text(), srv.port.to_string());
    });
}

#[test]
fn command_line_overrides_config_file() {
    let config = "# a comment\n\nmaxclients 77\ntimeout 30\n  databases 4\nhz \"15\"\n";
    on_builder(
        Builder::new(Flavor::Redis)
            .config(config)
            .args(&["--maxclients", "88"]),
        |srv| {
            let mut c = srv.conn();
            let get =
                |c: &mut Conn, p: &str| c.call_parsed(&["CONFIG", "GET", p]).items()[1].text();
            assert_eq!(get(&mut c, "maxclients"), "88", "command line wins");
            assert_eq!(get(&mut c, "timeout"), "30", "config file value kept");
            assert_eq!(get(&mut c, "hz"), "15", "quoted value");
            assert_eq!(c.call(&["SELECT", "3"]), b"+OK\r\n");
            assert_eq!(
                c.call(&["SELECT", "4"]),
                b"-ERR DB index is out of range\r\n"
            );
        },
    );
}

#[test]
fn version_flag() {
    for flag in ["--version", "-v"] {
        for (flavor, out) in run_both(&[flag]) {
            let stdout = text(&out.stdout);
            assert!(
                out.status.success() && stdout.contains("v=") && stdout.lines().count() == 1,
                "{} {flag}: {:?}, stdout {stdout:?}",
                flavor.name(),
                out.status
            );
        }
    }
}

#[test]
fn ferrodis_server_binary_is_the_same_program() {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_ferrodis-server"));
    cmd.arg("--version");
    let out = tools::run(cmd, None, Duration::from_secs(10));
    assert_success("ferrodis-server --version", &out);
}

#[test]
fn help_flag_prints_usage_to_stderr() {
    // Redis 7.0 treats --help like a usage error: exit 1, text on stderr.
    for flag in ["--help", "-h"] {
        let [(_, redis), (_, ferrodis)] = run_both(&[flag]);
        assert_eq!(
            ferrodis.status.code(),
            redis.status.code(),
            "{flag} exit code"
        );
        let usage = text(&ferrodis.stderr);
        assert!(usage.contains("Usage:"), "{flag} stderr: {usage:?}");
    }
}

/// Checks that both binaries reject the config with exit code 1 and the same
/// FATAL CONFIG FILE ERROR report on stderr; returns the difference, if any,
/// so one test can report every case at once.
fn fatal_like_redis(args: &[&str], needle: &str) -> Option<String> {
    let [(_, redis), (_, ferrodis)] = run_both(args);
    let want = text(&redis.stderr);
    assert_eq!(redis.status.code(), Some(1), "redis {args:?}");
    assert!(
        want.contains("*** FATAL CONFIG FILE ERROR") && want.contains(needle),
        "{want}"
    );
    let got = text(&ferrodis.stderr);
    (ferrodis.status.code() != Some(1) || got != want).then(|| {
        format!(
            "{args:?}\n    redis:    exit status: 1, stderr {}\n    ferrodis: {}, stderr {} (stdout {})",
            escape(want.as_bytes()),
            ferrodis.status,
            escape(got.as_bytes()),
            escape(&ferrodis.stdout)
        )
    })
}

fn assert_all_fatal_like_redis(cases: &[(&[&str], &str)]) {
    let report: Vec<String> = cases
        .iter()
        .filter_map(|(args, needle)| fatal_like_redis(args, needle))
        .collect();
    assert!(
        report.is_empty(),
        "fatal config errors differ:\n{}",
        report.join("\n")
    );
}

#[test]
fn bad_options_are_fatal() {
    assert_all_fatal_like_redis(&[
        (&["--nosuchoption", "1"], ">>> 'nosuchoption \"1\"'"),
        (
            &["--maxclients", "abc"],
            "couldn't be parsed into an integer",
        ),
        (&["--port", "99999"], ">>> 'port \"99999\"'"),
        (&["--appendonly", "maybe"], "argument must be 'yes' or 'no'"),
        (&["--port"], "wrong number of arguments"),
    ]);
}

#[test]
fn bad_config_file_lines_are_fatal() {
    let dir = server::temp_dir("bad-config");
    let bogus = dir.join("bogus.conf");
    std::fs::write(&bogus, "port 1234\nbogus-directive yes\n").unwrap();
    let short = dir.join("short.conf");
    std::fs::write(&short, "timeout 1\nmaxclients\n").unwrap();
    let quotes = dir.join("quotes.conf");
    std::fs::write(&quotes, "timeout 1\nrequirepass \"unterminated\n").unwrap();
    let [bogus, short, quotes] = [bogus, short, quotes].map(|p| p.display().to_string());
    assert_all_fatal_like_redis(&[
        (&[&bogus], ">>> 'bogus-directive yes'"),
        (&[&short], "at line 2"),
        (&[&quotes], "Unbalanced quotes in configuration line"),
    ]);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn missing_config_file_is_fatal() {
    // Redis reports this one through its logger, i.e. on stdout.
    for (flavor, out) in run_both(&["/nonexistent/ferrodis.conf"]) {
        let all = text(&out.stdout) + &text(&out.stderr);
        assert!(
            out.status.code() == Some(1)
                && all.contains("Fatal error, can't open config file '/nonexistent/ferrodis.conf'"),
            "{}: {:?}, output {all:?}",
            flavor.name(),
            out.status
        );
    }
}

#[test]
fn pidfile_and_logfile_are_written() {
    on_both(&["--pidfile", "{dir}/server.pid"], |srv| {
        let pidfile = srv.dir().join("server.pid");
        eventually("the pid file", || pidfile.exists());
        let pid = std::fs::read_to_string(&pidfile).unwrap();
        assert_eq!(pid.trim(), srv.pid().to_string(), "pid file content");
        eventually("the log to say it is ready", || {
            srv.log().contains("Ready to accept connections")
        });
    });
}

#[test]
fn unix_socket() {
    on_both(
        &["--unixsocket", "{dir}/s.sock", "--unixsocketperm", "700"],
        |srv| {
            let path = srv.dir().join("s.sock");
            let mut c = Conn::connect_unix(&path);
            assert_eq!(c.call(&["PING"]), b"+PONG\r\n");
            assert_eq!(c.call(&["SET", "unix:k", "v"]), b"+OK\r\n");
            assert_eq!(srv.conn().call(&["GET", "unix:k"]), b"$1\r\nv\r\n");
            let got = c.call_parsed(&["CONFIG", "GET", "unixsocket"]);
            assert_eq!(got.items()[1].text(), path.display().to_string());
            c.send_raw(b"PING\r\n");
            assert_eq!(c.read_reply(), b"+PONG\r\n", "inline over the unix socket");
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700, "unixsocketperm");
        },
    );
}

/// `rename-command` as Redis applies it: the old name is unknown, the new
/// one runs the command (help and errors name it as typed), `""` removes a
/// command, and COMMAND reports commands under their own names.
#[test]
fn rename_command_renames_and_removes() {
    let renames = [
        "--rename-command",
        "flushall",
        "",
        "--rename-command",
        "CONFIG",
        "myconfig",
        "--rename-command",
        "get",
        "Fetch",
    ];
    diff_with(
        &renames,
        &[
            case(
                "removed and renamed",
                &[
                    &["FLUSHALL"],
                    &["flushall", "sync"],
                    &["CONFIG", "GET", "maxclients"],
                    &["MYCONFIG", "GET", "maxclients"],
                    &["myconfig", "nosuch"],
                    &["MyConfig", "HELP"],
                    &["SET", "k", "v"],
                    &["GET", "k"],
                    &["FETCH", "k"],
                    &["fetch", "k", "extra"],
                ],
            ),
            case(
                "introspection",
                &[
                    &[
                        "COMMAND",
                        "INFO",
                        "fetch",
                        "get",
                        "flushall",
                        "myconfig|get",
                        "config|get",
                    ],
                    &["COMMAND", "GETKEYS", "fetch", "k"],
                    &["COMMAND", "GETKEYS", "get", "k"],
                    &["COMMAND", "DOCS", "get", "flushall"],
                ],
            ),
            Case::new("listed under their own names")
                .masked(
                    Mask::Unordered,
                    &["COMMAND", "LIST", "FILTERBY", "PATTERN", "flush*"],
                )
                .masked(
                    Mask::Unordered,
                    &["COMMAND", "LIST", "FILTERBY", "PATTERN", "conf*"],
                ),
        ],
    );
    let plain = TestServer::start();
    let renamed = TestServer::start_with(&renames);
    let count = |s: &Server| s.conn().call(&["COMMAND", "COUNT"]);
    let [before, after] = [count(&plain), count(&renamed)].map(|r| {
        String::from_utf8_lossy(&r)
            .trim_start_matches(':')
            .trim()
            .parse::<i64>()
            .unwrap()
    });
    assert_eq!(
        after,
        before - 1,
        "COMMAND COUNT without the removed FLUSHALL"
    );
}

#[test]
fn bad_rename_command_is_fatal() {
    assert_all_fatal_like_redis(&[
        (
            &["--rename-command", "nosuch", "x"],
            "No such command in rename-command",
        ),
        (
            &["--rename-command", "get", "SET"],
            "Target command name already exists",
        ),
        (
            &[
                "--rename-command",
                "get",
                "x",
                "--rename-command",
                "GET",
                "y",
            ],
            "No such command in rename-command",
        ),
    ]);
}

/// An append-only file written before a command was renamed or removed
/// still loads: its writes were acknowledged.
#[test]
fn renamed_commands_in_the_aof_still_load() {
    let dir = server::temp_dir("rename-aof");
    let d = dir.to_str().unwrap();
    let aof = ["--dir", d, "--appendonly", "yes"];
    let mut first = TestServer::start_with(&aof);
    let mut c = first.conn();
    c.call(&["SET", "k", "v"]);
    c.call(&["RPUSH", "l", "a", "b"]);
    c.send_raw(&resp::encode_cmd(&["SHUTDOWN"]));
    first.wait_exit();
    let mut args = aof.to_vec();
    args.extend([
        "--rename-command",
        "set",
        "",
        "--rename-command",
        "rpush",
        "push",
    ]);
    let second = TestServer::start_with(&args);
    let mut c = second.conn();
    assert_eq!(c.call(&["GET", "k"]), b"$1\r\nv\r\n");
    assert_eq!(c.call(&["LLEN", "l"]), b":2\r\n");
    assert_eq!(c.call(&["PUSH", "l", "c"]), b":3\r\n");
    drop(second);
    let _ = std::fs::remove_dir_all(dir);
}

/// What this server cannot do is refused where it is asked for, never
/// accepted and ignored: each exits 1 naming the directive (Redis itself
/// would start a cluster node, a TLS listener, a replica...).
#[test]
fn unsupported_directives_are_fatal() {
    for (args, why) in [
        (
            &["--cluster-enabled", "yes"][..],
            "Cluster mode is not supported by this server",
        ),
        (
            &["--tls-port", "7000"],
            "TLS is not supported by this server",
        ),
        (
            &["--replicaof", "127.0.0.1", "7000"],
            "Replication is not supported by this server",
        ),
        (
            &["--slaveof", "127.0.0.1", "7000"],
            "Replication is not supported by this server",
        ),
        (
            &["--syslog-enabled", "yes"],
            "syslog is not supported by this server",
        ),
    ] {
        let out = run_server_binary(Flavor::Ferrodis, args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains("*** FATAL CONFIG FILE ERROR") && err.contains(why),
            "{args:?}: {err}"
        );
    }
    on_both(&[], |srv| {
        let mut c = srv.conn();
        let reply = c.call(&["CONFIG", "SET", "tls-port", "7000"]);
        assert!(
            reply.starts_with(b"-ERR CONFIG SET failed (possibly related to argument 'tls-port')"),
            "{}",
            escape(&reply)
        );
        assert_eq!(
            c.call(&["CONFIG", "GET", "tls-port"]),
            b"*2\r\n$8\r\ntls-port\r\n$1\r\n0\r\n"
        );
    });
}

/// A module that cannot be loaded stops start-up with Redis's two log lines.
#[test]
fn loadmodule_fails_start_up_as_redis_does() {
    let lines = |out: &Output| -> Vec<String> {
        text(&out.stdout)
            .lines()
            .filter(|l| l.contains("odule"))
            .map(|l| l.split_once(" # ").map_or(l, |(_, m)| m).to_string())
            .collect()
    };
    let port = server::free_port().to_string();
    let [(_, redis), (_, ferrodis)] =
        run_both(&["--port", &port, "--loadmodule", "/nonexistent/m.so"]);
    assert_eq!(redis.status.code(), Some(1));
    assert_eq!(ferrodis.status.code(), Some(1));
    assert_eq!(lines(&ferrodis), lines(&redis));
    assert_eq!(lines(&redis).len(), 2, "{}", text(&redis.stdout));
}

/// Debian's stock configuration file starts the server unchanged, but for
/// the paths the command line moves into the test's own directory.
#[test]
fn stock_debian_config_loads() {
    let stock = std::path::Path::new("/etc/redis/redis.conf");
    let config = std::fs::read_to_string(stock)
        .expect("Debian's /etc/redis/redis.conf (redis-server package)");
    on_builder(
        TestServer::builder().config(&config).args(&[
            "--daemonize",
            "no",
            "--pidfile",
            "{dir}/redis.pid",
        ]),
        |srv| {
            let mut c = srv.conn();
            assert_eq!(c.call(&["SET", "k", "v"]), b"+OK\r\n");
            assert_eq!(
                c.call(&["CONFIG", "GET", "databases"]),
                b"*2\r\n$9\r\ndatabases\r\n$2\r\n16\r\n"
            );
        },
    );
}

/// The start-up log as Redis writes it, logo included when asked for:
/// tools wait on these lines. Pids, times and ports are masked.
#[test]
fn start_up_log_lines_match_redis() {
    fn normalized(srv: &Server) -> Vec<String> {
        let log = srv.log();
        let pid = srv.pid().to_string();
        let port = srv.port.to_string();
        log.lines()
            .take_while(|l| !l.contains("Ready to accept connections"))
            .map(|l| {
                let l = l.replace(&pid, "PID").replace(&port, "PORT");
                // `PID:M 02 Dec 2026 01:21:50.901 # text`: drop the time.
                match l.split_once(' ') {
                    Some((head, rest)) if head.starts_with("PID:") => {
                        let text = rest.splitn(5, ' ').nth(4).unwrap_or_default();
                        format!("{head} {text}")
                    }
                    _ => l,
                }
            })
            .collect()
    }
    for args in [&[][..], &["--always-show-logo", "yes"]] {
        let pair = Pair::start_with(args);
        let want = normalized(&pair.redis);
        assert!(
            want.iter().any(|l| l.ends_with("# Server initialized")),
            "{want:?}"
        );
        let logo = want
            .iter()
            .any(|l| l.contains("Running in standalone mode"));
        assert_eq!(logo, !args.is_empty(), "{want:?}");
        assert_eq!(normalized(&pair.ferrodis), want, "{args:?}");
    }
}

/// `oom-score-adj`, `disable-thp` and `dynamic-hz` do what they do in
/// Redis: the kernel sees the OOM score and the THP setting, and `hz`
/// doubles with the number of clients.
#[test]
fn kernel_facing_settings() {
    fn proc_field(pid: u32, file: &str, field: &str) -> String {
        let text = std::fs::read_to_string(format!("/proc/{pid}/{file}")).unwrap_or_default();
        if field.is_empty() {
            return text.trim().to_string();
        }
        text.lines()
            .find_map(|l| l.strip_prefix(field))
            .unwrap_or_default()
            .trim()
            .to_string()
    }
    let mut seen = Vec::new();
    for flavor in [Flavor::Redis, Flavor::Ferrodis] {
        let srv = Builder::new(flavor)
            .args(&[
                "--oom-score-adj",
                "absolute",
                "--oom-score-adj-values",
                "100 200 300",
                "--hz",
                "1",
            ])
            .start();
        let pid = srv.pid();
        let mut c = srv.conn();
        let mut got = vec![
            proc_field(pid, "oom_score_adj", ""),
            proc_field(pid, "status", "THP_enabled:"),
        ];
        c.call(&["CONFIG", "SET", "oom-score-adj-values", "150 200 300"]);
        got.push(proc_field(pid, "oom_score_adj", ""));
        c.call(&["CONFIG", "SET", "oom-score-adj", "no"]);
        got.push(proc_field(pid, "oom_score_adj", ""));
        let crowd: Vec<Conn> = (0..450).map(|_| srv.conn()).collect();
        std::thread::sleep(std::time::Duration::from_millis(2500));
        let info = c.call_parsed(&["INFO", "server"]).text();
        got.extend(
            info.lines()
                .filter(|l| l.starts_with("hz:") || l.starts_with("configured_hz:"))
                .map(str::to_string),
        );
        drop(crowd);
        seen.push(got);
    }
    assert_eq!(seen[1], seen[0]);
}

/// Listening nowhere is fatal at start, as in Redis; an empty `bind`
/// leaves only the unix socket, at start and through CONFIG SET.
#[test]
fn listening_nowhere_and_empty_bind() {
    for flavor in [Flavor::Redis, Flavor::Ferrodis] {
        let out = run_server_binary(flavor, &["--port", "0", "--save", ""]);
        assert_eq!(out.status.code(), Some(1), "{}", flavor.name());
        assert!(
            text(&out.stdout).contains("# Configured to not listen anywhere, exiting."),
            "{}: {}",
            flavor.name(),
            text(&out.stdout)
        );
    }
    on_both(&["--unixsocket", "{dir}/s.sock"], |srv| {
        let mut unix = Conn::connect_unix(&srv.dir().join("s.sock"));
        assert_eq!(unix.call(&["CONFIG", "SET", "bind", ""]), b"+OK\r\n");
        assert_eq!(
            unix.call(&["CONFIG", "GET", "bind"]),
            b"*2\r\n$4\r\nbind\r\n$0\r\n\r\n"
        );
        assert!(std::net::TcpStream::connect(("127.0.0.1", srv.port)).is_err());
        assert_eq!(
            unix.call(&["CONFIG", "SET", "bind", "127.0.0.1"]),
            b"+OK\r\n"
        );
        assert_eq!(srv.conn().call(&["PING"]), b"+PONG\r\n");
    });
}

/// `/proc/<pid>/cmdline` as `ps` shows it: the command line's memory
/// holding the expanded `proc-title-template`, NUL-padded.
fn proc_title(pid: u32) -> String {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
    let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
    String::from_utf8_lossy(&raw[..end]).into_owned()
}

/// The process title after the program's name: the address Redis shows,
/// a new template at once, and the snapshot child's own title.
#[test]
fn process_titles_match_redis() {
    let titles = std::cell::RefCell::new(Vec::new());
    on_both(&["--enable-debug-command", "yes"], |srv| {
        let port = srv.port.to_string();
        let mut seen = Vec::new();
        let title = proc_title(srv.pid());
        let (program, rest) = title.split_once(' ').expect("a title with an address");
        assert!(!program.is_empty());
        seen.push(rest.replace(&port, "PORT"));
        let mut c = srv.conn();
        c.call(&[
            "CONFIG",
            "SET",
            "proc-title-template",
            "{title} {port} [{unixsocket}] x",
        ]);
        seen.push(
            proc_title(srv.pid())
                .replace(program, "PROGRAM")
                .replace(&port, "PORT"),
        );
        c.call(&["DEBUG", "POPULATE", "1000"]);
        c.call(&["CONFIG", "SET", "rdb-key-save-delay", "10000"]);
        c.call(&["BGSAVE"]);
        let child =
            crate::util::keyspace::info_field(&mut c, "persistence", "rdb_bgsave_in_progress");
        assert_eq!(child.as_deref(), Some("1"));
        let children =
            std::fs::read_to_string(format!("/proc/{}/task/{}/children", srv.pid(), srv.pid()))
                .unwrap_or_default();
        let child_pid: u32 = children
            .split_whitespace()
            .next()
            .and_then(|p| p.parse().ok())
            .expect("the snapshot child");
        // The child sets its title as soon as it runs.
        crate::util::keyspace::wait_until(std::time::Duration::from_secs(2), || {
            proc_title(child_pid).starts_with("redis-rdb-bgsave")
        });
        seen.push(proc_title(child_pid).replace(&port, "PORT"));
        c.call(&["CONFIG", "SET", "rdb-key-save-delay", "0"]);
        titles.borrow_mut().push(seen);
    });
    let titles = titles.into_inner();
    assert_eq!(titles[0], titles[1], "redis, then ferrodis");
}
