//! The real `redis-benchmark` completes against the server: plain, pipelined
//! (-P 16), with 1000 concurrent clients, and its list tests (LPUSH to
//! LRANGE_600). Only completion and the result line are checked; this is a
//! smoke test, not a measurement.

use crate::util::*;

/// Runs redis-benchmark and checks it printed a result for every test.
fn bench_completes(extra: &[&str]) {
    // -t ping runs both PING_INLINE and PING_MBULK.
    bench_tests_complete("ping", &["PING_INLINE", "PING_MBULK"], extra);
}

/// Runs redis-benchmark's tests `selected` and checks it printed a result
/// line for each of `names`.
fn bench_tests_complete(selected: &str, names: &[&str], extra: &[&str]) {
    let srv = TestServer::start();
    let mut args = vec!["-t", selected, "-q"];
    args.extend(extra);
    let out = redis_benchmark(srv.port, &args);
    assert_success(&format!("redis-benchmark {args:?}"), &out);
    let stdout = String::from_utf8_lossy(&out.stdout);
    // -q prints one line per test, after \r-separated progress updates.
    for test in names {
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

#[test]
fn list_tests() {
    let names = [
        "LPUSH",
        "RPUSH",
        "LPOP",
        "RPOP",
        "LPUSH (needed to benchmark LRANGE)",
        "LRANGE_100",
        "LRANGE_600",
    ];
    bench_tests_complete("lpush,rpush,lpop,rpop,lrange", &names, &["-n", "5000"]);
}
