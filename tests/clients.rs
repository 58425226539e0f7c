//! The client layer: redis-py, ioredis and the job frameworks (RQ, BullMQ,
//! Celery, Sidekiq) doing real round trips, on real Redis and on ferrodis,
//! with the same output required. `scripts/ensure-clients.sh` (run by
//! `make test`) installs the libraries under `target/` (Sidekiq from
//! Debian's packages).

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

fn node_modules() -> PathBuf {
    let dir = root().join("target/clients-node/node_modules");
    assert!(
        dir.exists(),
        "{} is missing: run `bash scripts/ensure-clients.sh` (`make test` does)",
        dir.display()
    );
    dir
}

/// Runs `tests/clients/<script>` (Python, Node for `.js`, Ruby for `.rb`)
/// against `srv`; its standard output.
fn run_script(script: &str, srv: &Server) -> String {
    let mut cmd = if script.ends_with(".js") {
        let mut node = Command::new("node");
        node.env("NODE_PATH", node_modules());
        node
    } else if script.ends_with(".rb") {
        Command::new("ruby")
    } else {
        Command::new(python())
    };
    let out = cmd
        .arg(root().join("tests/clients").join(script))
        .arg(srv.port.to_string())
        .output()
        .unwrap_or_else(|e| {
            panic!("run {script}: {e} (`bash scripts/ensure-clients.sh` installs the interpreters)")
        });
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

/// redis-py's stream API: two workers of a consumer group, a blocked
/// worker served by another connection, claims, XPENDING and XINFO.
#[test]
fn redis_py_consumer_group_loop() {
    same_on_both("redis_py_groups.py");
}

/// Streams through redis-py: XADD with trimming, ranges, an XREAD polling
/// loop and a blocked XREAD served by another connection, RESP2 and RESP3.
#[test]
fn redis_py_streams() {
    same_on_both("redis_py_streams.py");
}

/// redis-py's ACL helpers (SETUSER, GETUSER, LIST, LOG, DELUSER ...) and
/// a connection that authenticates with a username and password.
#[test]
fn redis_py_acl_users() {
    same_on_both("redis_py_acl.py");
}

/// RQ: enqueue jobs (one failing, one depending on another), run
/// `rq worker --burst`, read results and registries back.
#[test]
fn rq_enqueue_and_burst_worker() {
    same_on_both("rq_roundtrip.py");
}

/// ioredis: multi() with queued and runtime errors and WATCH, pipelines,
/// subscribe and psubscribe with message events.
#[test]
fn ioredis_multi_and_subscribe() {
    same_on_both("ioredis.js");
}

// The job frameworks: `tests/clients/monitor_commands.py <script>` lists
// the commands a round trip sends, those its Lua scripts call included.

/// BullMQ: Queue.add, a Worker returning values, a delayed job, a job
/// retried once with a fixed backoff and one failing for good, QueueEvents
/// waiting on a job, job counts and states, a clean close.
#[test]
fn bullmq_queue_worker_retries() {
    same_on_both("bullmq.js");
}

/// Celery on kombu's Redis transport with the Redis result backend: a solo
/// worker, `delay()` and `.get()`, a failing task, a retried task, a group
/// and a chord, the broker's keys after a warm shutdown.
#[test]
fn celery_delay_retry_chord() {
    same_on_both("celery_roundtrip.py");
}

/// Sidekiq (Debian's ruby-sidekiq): perform_async and perform_in, a real
/// `sidekiq` process, a retry through the retry set, a job in the dead set,
/// the keys the jobs wrote, Sidekiq's stats.
#[test]
fn sidekiq_async_scheduled_retry() {
    same_on_both("sidekiq_roundtrip.rb");
}

/// redis-py: `Lock` acquire/extend/reacquire/release (EVALSHA with EVAL
/// fallback), `register_script` across SCRIPT FLUSH and in pipelines,
/// script errors, RESP3.
#[test]
fn redis_py_locks_and_scripts() {
    same_on_both("redis_py_scripts.py");
}

/// ioredis: defineCommand across SCRIPT FLUSH, in pipelines and multi(),
/// script errors, eval and evalsha.
#[test]
fn ioredis_define_command() {
    same_on_both("ioredis_scripts.js");
}
