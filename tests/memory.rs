//! MEMORY: USAGE's replies and errors as Redis gives them, its figures of
//! the same order as Redis's for every type and encoding (each server
//! measures its own structures), and what `redis-cli --memkeys` prints.

use crate::util::*;
use std::time::Duration;

/// Keys of every type and encoding, built the same way on both servers.
fn fill(c: &mut Conn) {
    let long = "x".repeat(100);
    let mut cmds: Vec<Vec<String>> = vec![
        vec!["SET".into(), "str".into(), "v".into()],
        vec!["SET".into(), "int".into(), "12345".into()],
        vec!["SET".into(), "raw".into(), long],
        vec![
            "RPUSH".into(),
            "list".into(),
            "a".into(),
            "b".into(),
            "c".into(),
        ],
        vec!["HSET".into(), "hash".into(), "f".into(), "v".into()],
        vec![
            "SADD".into(),
            "intset".into(),
            "1".into(),
            "2".into(),
            "3".into(),
        ],
        vec![
            "SADD".into(),
            "set".into(),
            "a".into(),
            "b".into(),
            "c".into(),
        ],
        vec![
            "ZADD".into(),
            "zset".into(),
            "1".into(),
            "a".into(),
            "2".into(),
            "b".into(),
        ],
    ];
    for i in 0..1000 {
        cmds.push(vec!["RPUSH".into(), "biglist".into(), format!("e{i}")]);
        cmds.push(vec![
            "HSET".into(),
            "bighash".into(),
            format!("f{i}"),
            format!("v{i}"),
        ]);
        cmds.push(vec!["SADD".into(), "bigset".into(), format!("m{i}")]);
        cmds.push(vec![
            "ZADD".into(),
            "bigzset".into(),
            i.to_string(),
            format!("m{i}"),
        ]);
        cmds.push(vec![
            "XADD".into(),
            "bigstream".into(),
            format!("{}-0", i + 1),
            "f".into(),
            format!("v{i}"),
        ]);
    }
    cmds.push(vec![
        "XADD".into(),
        "stream".into(),
        "1-1".into(),
        "f".into(),
        "v".into(),
    ]);
    for cmd in &cmds {
        c.call(cmd);
    }
}

const KEYS: &[&str] = &[
    "str",
    "int",
    "raw",
    "list",
    "hash",
    "intset",
    "set",
    "zset",
    "biglist",
    "bighash",
    "bigset",
    "bigzset",
    "stream",
    "bigstream",
];

#[test]
fn usage_replies_and_errors() {
    diff(&[case(
        "usage",
        &[
            &["SET", "k", "v"],
            &["MEMORY", "USAGE", "nokey"],
            &["MEMORY", "USAGE"],
            &["MEMORY", "USAGE", "k", "SAMPLES"],
            &["MEMORY", "USAGE", "k", "SAMPLES", "x"],
            &["MEMORY", "USAGE", "k", "SAMPLES", "-1"],
            &["MEMORY", "USAGE", "k", "FOO", "1"],
            &["MEMORY", "USAGE", "nokey", "SAMPLES", "0"],
            &["MEMORY", "PURGE"],
            &["MEMORY", "PURGE", "x"],
            &["MEMORY", "NOSUCH"],
            &[
                "COMMAND",
                "INFO",
                "memory|usage",
                "memory|purge",
                "memory|help",
            ],
            &["COMMAND", "GETKEYS", "MEMORY", "USAGE", "k"],
        ],
    )]);
}

/// Each server measures its own structures, so figures differ, but a
/// reply off by more than a few times would mislead `--memkeys` users.
#[test]
fn usage_is_of_the_order_redis_reports() {
    let pair = Pair::start();
    let mut figures = Vec::new();
    for srv in [&pair.redis, &pair.ferrodis] {
        let mut c = srv.conn();
        fill(&mut c);
        let sizes: Vec<i64> = KEYS
            .iter()
            .map(|k| {
                let r = c.call(&["MEMORY", "USAGE", k, "SAMPLES", "0"]);
                let text = String::from_utf8_lossy(&r);
                text.trim_start_matches(':')
                    .trim_end()
                    .parse()
                    .unwrap_or_else(|_| panic!("{k}: {text:?}"))
            })
            .collect();
        figures.push(sizes);
    }
    for ((key, redis), ferrodis) in KEYS.iter().zip(&figures[0]).zip(&figures[1]) {
        let ratio = *ferrodis as f64 / *redis as f64;
        assert!(
            (0.25..=3.0).contains(&ratio),
            "{key}: ferrodis {ferrodis} bytes, redis {redis} ({ratio:.2}x)"
        );
    }
}

#[test]
fn redis_cli_memkeys_reports_every_type() {
    let srv = TestServer::start();
    fill(&mut srv.conn());
    let out = redis_cli(srv.port, &["--memkeys"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && !text.contains("failed"), "{text}");
    for kind in ["strings", "lists", "hashs", "sets", "zsets", "streams"] {
        let line = text
            .lines()
            .find(|l| l.contains(kind) && l.contains("bytes"))
            .unwrap_or_else(|| panic!("no summary of {kind}:\n{text}"));
        assert!(!line.contains(" 0 bytes"), "{line}");
    }
}

/// MEMORY STATS field names in order (nested maps included); the figures
/// are each server's own.
fn stats_fields(r: &Reply) -> String {
    fn walk(r: &Reply, out: &mut Vec<String>) {
        for pair in r.items().chunks(2) {
            if let [k, v] = pair {
                out.push(k.text());
                if !v.items().is_empty() {
                    walk(v, out);
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(r, &mut out);
    out.join(",")
}

#[test]
fn stats_fields_match_redis() {
    let mut pair = Pair::start();
    pair.scenario("memory stats", |srv, t| {
        let mut c = srv.conn();
        t.call_masked(&mut c, Mask::Custom(stats_fields), &["MEMORY", "STATS"]);
        t.call(&mut c, &["SET", "a", "1"]);
        t.call(&mut c, &["SELECT", "2"]);
        t.call(&mut c, &["SET", "b", "1", "EX", "100"]);
        t.call_masked(&mut c, Mask::Custom(stats_fields), &["MEMORY", "STATS"]);
        t.call_masked(&mut c, Mask::Pairs(&["id"]), &["HELLO", "3"]);
        t.call_masked(&mut c, Mask::Shape, &["MEMORY", "STATS"]);
        t.call(&mut c, &["MEMORY", "STATS", "x"]);
    });
}

/// The doctor's opening and closing lines and whether it found a peak: the
/// fragmentation findings that come with a peak depend on what each
/// allocator does with freed memory.
fn doctor_peak(r: &Reply) -> String {
    r.text()
        .lines()
        .filter(|l| l.starts_with("Sam,") || l.starts_with("Hi Sam") || l.starts_with("I'm here"))
        .chain(r.text().contains(" * Peak memory: ").then_some("(peak)"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// MEMORY DOCTOR byte for byte: an empty instance, data and nothing wrong,
/// many cached scripts, a subscriber that does not read, a past peak; a
/// verbatim string in RESP3.
#[test]
fn doctor_reports_as_redis() {
    let mut pair = Pair::start_with(&[
        "--enable-debug-command",
        "yes",
        "--client-output-buffer-limit",
        "pubsub 0 0 0",
    ]);
    pair.scenario("memory doctor", |srv, t| {
        let mut c = srv.conn();
        t.call(&mut c, &["MEMORY", "DOCTOR"]);
        t.call(&mut c, &["SET", "a", "1"]);
        t.call(&mut c, &["MEMORY", "DOCTOR"]);
        t.call(&mut c, &["MEMORY", "DOCTOR", "x"]);
        t.call(&mut c, &["MEMORY", "HELP"]);
        // Enough data that the RSS is not dominated by the program itself.
        t.call(&mut c, &["DEBUG", "POPULATE", "500000"]);
        // Redis reads its RSS and peak in its timed sweep.
        std::thread::sleep(Duration::from_millis(300));
        t.call(&mut c, &["MEMORY", "DOCTOR"]);
        t.call_masked(&mut c, Mask::Pairs(&["id"]), &["HELLO", "3"]);
        t.call(&mut c, &["MEMORY", "DOCTOR"]);
        t.call_masked(&mut c, Mask::Pairs(&["id"]), &["HELLO", "2"]);

        for i in 0..1001 {
            c.call(&["SCRIPT", "LOAD", &format!("return {i}")]);
        }
        t.call(&mut c, &["MEMORY", "DOCTOR"]);
        t.call(&mut c, &["SCRIPT", "FLUSH"]);

        let mut sub = srv.conn();
        t.call(&mut sub, &["SUBSCRIBE", "ch"]);
        let message = "m".repeat(512 * 1024);
        for _ in 0..20 {
            c.call(&["PUBLISH", "ch", &message]);
        }
        // Redis refreshes each client's memory figure once a second.
        std::thread::sleep(Duration::from_millis(1500));
        t.call(&mut c, &["MEMORY", "DOCTOR"]);
        drop(sub);

        t.call(&mut c, &["FLUSHALL"]);
        t.call(&mut c, &["DEBUG", "POPULATE", "100000"]);
        std::thread::sleep(Duration::from_millis(300));
        t.call_masked(&mut c, Mask::Custom(doctor_peak), &["MEMORY", "DOCTOR"]);
    });
}
