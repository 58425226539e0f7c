//! The client layer in Python: redis-py and the RQ job framework doing real
//! round trips, on real Redis and on ferrodis, with the same output
//! required. The libraries live in a virtual environment that
//! `scripts/ensure-clients.sh` (run by `make test`) installs under `target/`.

use crate::util::*;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn python() -> PathBuf {
    let python = root().join("target/clients-venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run `bash scripts/ensure-clients.sh` (`make test` does)",
        python.display()
    );
    python
}

/// Runs `tests/clients/<script>` against `srv`; its standard output.
fn run_script(script: &str, srv: &Server) -> String {
    let out = Command::new(python())
        .arg(root().join("tests/clients").join(script))
        .arg(srv.port.to_string())
        .output()
        .expect("run the client script");
    assert!(
        out.status.success(),
        "{script} failed ({}):\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs a script on both servers and requires the same output, line by line.
fn same_on_both(script: &str) {
    let pair = Pair::start();
    let want = run_script(script, &pair.redis);
    let got = run_script(script, &pair.ferrodis);
    let report: Vec<String> = want
        .lines()
        .zip(got.lines().chain(std::iter::repeat("<missing>")))
        .filter(|(w, g)| w != g)
        .map(|(w, g)| format!("    redis:    {w}\n    ferrodis: {g}"))
        .collect();
    assert!(
        report.is_empty() && want.lines().count() == got.lines().count(),
        "{script} differs:\n{}\nferrodis output:\n{got}",
        report.join("\n")
    );
}

/// Transactional and plain pipelines, WATCH retried after a concurrent
/// write, pub/sub in RESP2 and RESP3, keyspace notifications.
#[test]
fn redis_py_transactions_and_pubsub() {
    same_on_both("redis_py.py");
}

/// RQ: enqueue jobs (one failing, one depending on another), run
/// `rq worker --burst`, read results and registries back.
#[test]
fn rq_enqueue_and_burst_worker() {
    same_on_both("rq_roundtrip.py");
}
