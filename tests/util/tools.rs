//! Running external programs (redis-cli, redis-benchmark, the server binaries
//! in one-shot modes like `--version`) with a deadline.
//!
//! `std::process::Command::output` waits forever; a client tool stuck on a
//! server that never answers would hang the whole suite, so everything here
//! is bounded and a timeout fails with whatever the program printed.

use super::server::Flavor;
use std::io::{Read, Write};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Deadline for one redis-cli invocation.
pub const CLI_TIMEOUT: Duration = Duration::from_secs(20);

/// Deadline for one redis-benchmark run (they are sized to take ~1 s).
pub const BENCH_TIMEOUT: Duration = Duration::from_secs(120);

/// Runs `cmd` to completion, feeding it `stdin`, killing it after `timeout`.
pub fn run(cmd: Command, stdin: Option<&[u8]>, timeout: Duration) -> Output {
    run_bounded(cmd, stdin, timeout, false)
}

/// Runs a program that never ends by itself (redis-cli `--stat`) for
/// `duration`, then stops it and returns what it printed.
pub fn run_for(cmd: Command, duration: Duration) -> Output {
    run_bounded(cmd, None, duration, true)
}

/// Past `timeout` the program is killed; that is its end with `stop`,
/// a failure without.
fn run_bounded(mut cmd: Command, stdin: Option<&[u8]>, timeout: Duration, stop: bool) -> Output {
    let shown = format!("{cmd:?}");
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap_or_else(|e| {
        panic!("cannot run {shown}: {e} (is it installed? see scripts/ensure-redis.sh)")
    });
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().unwrap();
        let input = input.to_vec();
        // A thread, so a program that doesn't read stdin can't block us.
        std::thread::spawn(move || {
            let _ = pipe.write_all(&input);
        });
    }
    let drain = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut buf);
            }
            buf
        })
    };
    let out = drain(child.stdout.take().map(|s| Box::new(s) as _));
    let err = drain(child.stderr.take().map(|s| Box::new(s) as _));
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for child") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let status = child.wait().expect("wait for child");
            if stop {
                break status;
            }
            panic!(
                "{shown} did not finish within {timeout:?}\nstdout:\n{}\nstderr:\n{}",
                String::from_utf8_lossy(&out.join().unwrap()),
                String::from_utf8_lossy(&err.join().unwrap())
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

/// `redis-cli -p PORT ARGS...` (non-interactive: stdout is a pipe, so replies
/// are printed raw, without the `(integer)` decorations).
pub fn redis_cli(port: u16, args: &[&str]) -> Output {
    redis_cli_stdin(port, args, None)
}

/// Same as [`redis_cli`], with `stdin` piped in (commands read from stdin).
pub fn redis_cli_stdin(port: u16, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new("redis-cli");
    cmd.args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args);
    run(cmd, stdin, CLI_TIMEOUT)
}

/// `redis-benchmark -h 127.0.0.1 -p PORT ARGS...`.
pub fn redis_benchmark(port: u16, args: &[&str]) -> Output {
    let mut cmd = Command::new("redis-benchmark");
    cmd.args(["-h", "127.0.0.1", "-p", &port.to_string()])
        .args(args);
    run(cmd, None, BENCH_TIMEOUT)
}

/// Runs a server binary in a one-shot mode (`--version`, a bad config...)
/// that must exit by itself.
pub fn run_server_binary(flavor: Flavor, args: &[&str]) -> Output {
    let mut cmd = flavor.command();
    cmd.args(args);
    run(cmd, None, Duration::from_secs(10))
}

/// Panics with both streams unless the program exited 0.
pub fn assert_success(what: &str, out: &Output) {
    assert!(
        out.status.success(),
        "{what} failed with {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
