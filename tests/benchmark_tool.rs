//! The real `redis-benchmark` completes against the server: plain, pipelined
//! (-P 16) and with 1000 concurrent clients. Only completion and the result
//! line are checked; this is a smoke test, not a measurement.

use crate::util::*;

/// Runs redis-benchmark and checks it printed a result for every test.
fn bench_completes(extra: &[&str]) {
    let srv = TestServer::start();
    let mut args = vec!["-t", "ping", "-q"];
    args.extend(extra);
    let out = redis_benchmark(srv.port, &args);
    assert_success(&format!("redis-benchmark {args:?}"), &out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    // -t ping runs both PING_INLINE and PING_MBULK; -q prints one line each,
    // after \r-separated progress updates.
    for test in ["PING_INLINE", "PING_MBULK"] {
        assert!(
            stdout
                .split(['\r', '\n'])
                .any(|l| l.starts_with(test) && l.contains("requests per second")),
            "no result line for {test} in {stdout:?}"
        );
    }
}

#[test]
fn ping() {
    bench_completes(&["-n", "20000"]);
}

#[test]
fn ping_pipelined() {
    bench_completes(&["-n", "20000", "-P", "16"]);
}

#[test]
fn ping_with_1000_clients() {
    bench_completes(&["-n", "20000", "-c", "1000"]);
}
