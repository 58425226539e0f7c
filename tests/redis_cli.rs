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
