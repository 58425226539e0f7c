//! Server-level commands against real Redis: GET/SET basics, the generic
//! error replies (unknown command, arity, unknown subcommand), TIME and
//! LASTSAVE, CONFIG, INFO, COMMAND, and shutting the server down
//! (SHUTDOWN, SIGTERM).

use crate::util::*;
use std::collections::BTreeSet;

/// CONFIG GET replies: pairs in any order, per-instance values masked.
const CONFIG: Mask = Mask::Pairs(CONFIG_VOLATILE);

/// The commands ferrodis implements, so COMMAND INFO/DOCS must match Redis
/// for each of them exactly.
const IN_SCOPE: &[&str] = &[
    "auth", "client", "command", "config", "dbsize", "echo", "flushall", "flushdb", "get", "hello",
    "info", "lastsave", "ping", "quit", "reset", "select", "set", "shutdown", "swapdb", "time",
];

#[test]
fn get_set_basics() {
    diff(&[
        case(
            "set and get",
            &[
                &["GET", "gs:k"],
                &["SET", "gs:k", "v1"],
                &["GET", "gs:k"],
                &["SET", "gs:k", "v2"],
                &["GET", "gs:k"],
                &["SET", "gs:n", "123"],
                &["GET", "gs:n"],
            ],
        ),
        case(
            "set options",
            &[
                &["SET", "gs:o", "a", "NX"],
                &["SET", "gs:o", "b", "NX"],
                &["SET", "gs:o", "c", "XX"],
                &["SET", "gs:absent", "c", "XX"],
                &["SET", "gs:o", "d", "GET"],
                &["SET", "gs:absent2", "d", "GET"],
                &["GET", "gs:o"],
                &["SET", "gs:t", "v", "EX", "100"],
                &["SET", "gs:t", "v", "PX", "100000", "KEEPTTL"],
                &["SET", "gs:t", "v", "KEEPTTL"],
            ],
        ),
        case(
            "set errors",
            &[
                &["SET", "gs:e", "v", "EX", "0"],
                &["SET", "gs:e", "v", "EX", "-5"],
                &["SET", "gs:e", "v", "EX", "abc"],
                &["SET", "gs:e", "v", "EX"],
                &["SET", "gs:e", "v", "NX", "XX"],
                &["SET", "gs:e", "v", "EX", "1", "PX", "1"],
                &["SET", "gs:e", "v", "BOGUS"],
                &["SET", "gs:e"],
                &["GET"],
                &["GET", "a", "b"],
            ],
        ),
    ]);
}

#[test]
fn generic_errors() {
    let long = "x".repeat(200);
    diff(&[
        case(
            "unknown command",
            &[
                &["FOO"],
                &["FOO", "a", "b"],
                &["foo", "with space", "'quoted'"],
                &["FOO", &long, "second"],
                &[
                    "FOO", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n",
                    "o", "p", "q", "r", "s", "t", "u", "v", "w", "x", "y", "z", &long,
                ],
            ],
        ),
        case(
            "wrong arity",
            &[
                &["GET"],
                &["SET", "k"],
                &["SELECT"],
                &["DBSIZE", "x"],
                &["TIME", "x"],
            ],
        ),
        case(
            "unknown subcommands",
            &[
                &["CLIENT", "FOO"],
                &["CONFIG", "FOO"],
                &["COMMAND", "FOO"],
                &["CONFIG"],
                &["CONFIG", "GET"],
            ],
        ),
    ]);
}

#[test]
fn time_and_lastsave() {
    diff(&[Case::new("clock shapes")
        .masked(Mask::Shape, &["TIME"])
        .masked(Mask::Shape, &["LASTSAVE"])
        .cmd(&["LASTSAVE", "x"])]);
    // Shape alone would accept nonsense: check the values are real clocks.
    let srv = TestServer::start();
    let mut c = srv.conn();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let time = c.call_parsed(&["TIME"]);
    let secs: i64 = time.items()[0].text().parse().expect("TIME seconds");
    let micros: i64 = time.items()[1].text().parse().expect("TIME microseconds");
    assert!(
        (secs - now).abs() <= 2,
        "TIME says {secs}, clock says {now}"
    );
    assert!(
        (0..1_000_000).contains(&micros),
        "TIME microseconds {micros}"
    );
    let lastsave = c
        .call_parsed(&["LASTSAVE"])
        .int()
        .expect("LASTSAVE integer");
    assert!(
        lastsave <= now + 2 && lastsave > now - 60,
        "LASTSAVE {lastsave}"
    );
}

#[test]
fn config_get() {
    diff(&[
        Case::new("single parameters")
            .cmd(&["CONFIG", "GET", "maxclients"])
            .cmd(&["CONFIG", "GET", "timeout"])
            .cmd(&["CONFIG", "GET", "databases"])
            .cmd(&["CONFIG", "GET", "bind"])
            .cmd(&["CONFIG", "GET", "save"])
            .cmd(&["CONFIG", "GET", "requirepass"])
            .cmd(&["CONFIG", "GET", "appendonly"])
            .cmd(&["CONFIG", "GET", "hz"])
            .cmd(&["CONFIG", "GET", "MAXCLIENTS"])
            .masked(CONFIG, &["CONFIG", "GET", "port"])
            .masked(CONFIG, &["CONFIG", "GET", "dir"])
            .cmd(&["CONFIG", "GET", "no-such-parameter"]),
        Case::new("several parameters")
            .masked(CONFIG, &["CONFIG", "GET", "maxclients", "timeout"])
            .masked(CONFIG, &["CONFIG", "GET", "timeout", "timeout"])
            .masked(CONFIG, &["CONFIG", "GET", "port", "nosuch", "databases"]),
        Case::new("patterns")
            .masked(CONFIG, &["CONFIG", "GET", "maxc*"])
            .masked(CONFIG, &["CONFIG", "GET", "*timeout*"])
            .masked(CONFIG, &["CONFIG", "GET", "?ort"])
            .masked(CONFIG, &["CONFIG", "GET", "max*", "data*"]),
    ]);
}

#[test]
fn config_get_star_lists_every_parameter() {
    diff(&[Case::new("CONFIG GET *").masked(CONFIG, &["CONFIG", "GET", "*"])]);
}

#[test]
fn config_set() {
    diff(&[
        case(
            "set then get",
            &[
                &["CONFIG", "SET", "maxclients", "100"],
                &["CONFIG", "GET", "maxclients"],
                &["CONFIG", "SET", "maxclients", "200", "timeout", "5"],
                &["CONFIG", "GET", "timeout"],
                &["CONFIG", "GET", "maxclients"],
                &["CONFIG", "SET", "TIMEOUT", "0"],
                &["CONFIG", "GET", "timeout"],
            ],
        ),
        case(
            "errors",
            &[
                &["CONFIG", "SET", "maxclients", "abc"],
                &["CONFIG", "SET", "timeout", "-1"],
                &["CONFIG", "SET", "daemonize", "yes"],
                &["CONFIG", "SET", "port", "abc"],
                &["CONFIG", "SET", "no-such-parameter", "1"],
                &["CONFIG", "SET", "timeout"],
                &["CONFIG", "SET", "timeout", "1", "maxclients"],
                &["CONFIG", "SET", "timeout", "1", "timeout", "2"],
                &["CONFIG", "SET", "timeout", "7", "maxclients", "abc"],
                &["CONFIG", "GET", "timeout"],
            ],
        ),
        case(
            "resetstat, rewrite, help",
            &[
                &["CONFIG", "RESETSTAT"],
                &["CONFIG", "RESETSTAT", "x"],
                &["CONFIG", "REWRITE"],
                &["CONFIG", "HELP"],
                &["CONFIG", "FOO"],
            ],
        ),
    ]);
}

#[test]
fn config_resetstat_clears_counters() {
    let srv = TestServer::start();
    let mut c = srv.conn();
    c.call(&["NOSUCHCOMMAND"]);
    c.call(&["CONFIG", "RESETSTAT"]);
    let stats = c.call_parsed(&["INFO", "stats"]).text();
    for field in ["total_commands_processed:1", "unexpected_error_replies:0"] {
        assert!(
            stats.contains(field),
            "INFO stats after RESETSTAT lacks {field}:\n{stats}"
        );
    }
    let errors = c.call_parsed(&["INFO", "errorstats"]).text();
    assert!(
        !errors.contains("errorstat_ERR"),
        "errorstats not reset:\n{errors}"
    );
}

#[test]
fn info_sections() {
    let sections = [
        "server",
        "clients",
        "memory",
        "persistence",
        "stats",
        "replication",
        "cpu",
        "keyspace",
        "commandstats",
        "errorstats",
    ];
    let mut warm_up = case(
        "populate keyspace and stats",
        &[&["SET", "info:k", "v"], &["NOSUCH"]],
    );
    warm_up = warm_up.cmd(&["SELECT", "2"]).cmd(&["SET", "info:k2", "v"]);
    let mut cases = vec![warm_up];
    cases
        .extend(sections.map(|s| Case::new(&format!("INFO {s}")).masked(Mask::Info, &["INFO", s])));
    cases.push(
        Case::new("INFO variants")
            .masked(Mask::Info, &["INFO"])
            .masked(Mask::Info, &["INFO", "default"])
            .masked(Mask::Info, &["INFO", "all"])
            .masked(Mask::Info, &["INFO", "everything"])
            .masked(Mask::Info, &["INFO", "server", "clients"])
            .masked(Mask::Info, &["INFO", "SERVER"])
            .cmd(&["INFO", "nosuchsection"]),
    );
    diff(&cases);
}

/// Redis keeps subcommands in a dict whose iteration order changes from one
/// process to the next (randomized hash seed), so two real redis-servers
/// disagree on it: compare COMMAND INFO with each command's subcommand list
/// (the 10th field) sorted.
pub(crate) const COMMAND_INFO: Mask = Mask::Custom(|reply| {
    fn entry(e: &Reply) -> String {
        match e {
            Reply::Array(fields) if fields.len() == 10 => {
                let mut subs: Vec<String> = fields[9].items().iter().map(entry).collect();
                subs.sort();
                let head: Vec<String> = fields[..9].iter().map(canon).collect();
                format!("[{}, subcommands {{{}}}]", head.join(", "), subs.join(", "))
            }
            other => canon(other),
        }
    }
    reply
        .items()
        .iter()
        .map(entry)
        .collect::<Vec<_>>()
        .join("\n")
});

/// COMMAND DOCS: same problem, the "subcommands" map is in dict order.
pub(crate) const COMMAND_DOCS: Mask = Mask::Custom(|reply| {
    fn doc(d: &Reply) -> String {
        let Some(pairs) = d.pairs() else {
            return canon(d);
        };
        let fields: Vec<String> = pairs
            .iter()
            .map(|(k, v)| match (k.text().as_str(), v.pairs()) {
                ("subcommands", Some(subs)) => {
                    let mut subs: Vec<String> = subs
                        .iter()
                        .map(|(name, d)| format!("{}: {}", canon(name), doc(d)))
                        .collect();
                    subs.sort();
                    format!("subcommands: {{{}}}", subs.join(", "))
                }
                _ => format!("{}: {}", canon(k), canon(v)),
            })
            .collect();
        format!("{{{}}}", fields.join(", "))
    }
    match reply.pairs() {
        Some(pairs) => pairs
            .iter()
            .map(|(name, d)| format!("{} => {}", canon(name), doc(d)))
            .collect::<Vec<_>>()
            .join("\n"),
        None => canon(reply),
    }
});

#[test]
fn command_introspection() {
    let mut info = Case::new("COMMAND INFO for each command in scope");
    let mut docs = Case::new("COMMAND DOCS for each command in scope");
    for name in IN_SCOPE {
        info = info.masked(COMMAND_INFO, &["COMMAND", "INFO", name]);
        docs = docs.masked(COMMAND_DOCS, &["COMMAND", "DOCS", name]);
    }
    diff(&[
        info.masked(COMMAND_INFO, &["COMMAND", "INFO", "get", "set", "nosuch"])
            .cmd(&["COMMAND", "INFO", "config|get"])
            .cmd(&["COMMAND", "INFO", "nosuch"]),
        docs.masked(COMMAND_DOCS, &["COMMAND", "DOCS", "get", "nosuch", "set"])
            .cmd(&["COMMAND", "DOCS", "nosuch"]),
        Case::new("counts are integers")
            .masked(Mask::Type, &["COMMAND", "COUNT"])
            .cmd(&["COMMAND", "COUNT", "x"]),
        case(
            "getkeys",
            &[
                &["COMMAND", "GETKEYS", "SET", "a", "b"],
                &["COMMAND", "GETKEYS", "get", "k"],
                &["COMMAND", "GETKEYS", "PING"],
                &["COMMAND", "GETKEYS", "nosuch", "x"],
                &["COMMAND", "GETKEYS", "SET", "a"],
                &["COMMAND", "GETKEYS"],
            ],
        ),
        case(
            "help and errors",
            &[
                &["COMMAND", "HELP"],
                &["COMMAND", "FOO"],
                &["COMMAND", "LIST", "FOO"],
            ],
        ),
    ]);
}

/// COMMAND DOCS of every command ferrodis lists, in RESP2 and RESP3: byte
/// for byte in one request for everything but the containers, whose
/// subcommand maps are in dict order, so those go through the mask (their
/// subcommands are also in the exact request, by full name).
#[test]
fn command_docs_of_every_command() {
    let pair = Pair::start();
    let reply = pair.ferrodis.conn().call_parsed(&["COMMAND", "LIST"]);
    let names: BTreeSet<String> = reply.items().iter().map(Reply::text).collect();
    let is_container = |n: &str| {
        names
            .iter()
            .any(|m| m.strip_prefix(n).is_some_and(|r| r.starts_with('|')))
    };
    let mut exact = vec!["COMMAND", "DOCS"];
    exact.extend(
        names
            .iter()
            .map(String::as_str)
            .filter(|n| !is_container(n)),
    );
    let mut cases = Vec::new();
    for (label, hello) in [("RESP2", "2"), ("RESP3", "3")] {
        let mut containers = Case::new(&format!("COMMAND DOCS of each container, {label}"))
            .masked(Mask::Pairs(&["id"]), &["HELLO", hello]);
        for name in names.iter().filter(|n| is_container(n)) {
            containers = containers.masked(COMMAND_DOCS, &["COMMAND", "DOCS", name]);
        }
        cases.push(
            Case::new(&format!("COMMAND DOCS of every other command, {label}"))
                .masked(Mask::Pairs(&["id"]), &["HELLO", hello])
                .cmd(&exact),
        );
        cases.push(containers);
    }
    pair.run(&cases);
}

#[test]
fn command_list_is_consistent_with_count_and_redis() {
    let redis = RealRedis::start();
    let ferrodis = TestServer::start();
    let names = |srv: &Server| -> BTreeSet<String> {
        let reply = srv.conn().call_parsed(&["COMMAND", "LIST"]);
        reply.items().iter().map(Reply::text).collect()
    };
    let ours = names(&ferrodis);
    let theirs = names(&redis);
    // COMMAND LIST names subcommands too ("config|get"); COUNT does not.
    let top_level = ours.iter().filter(|c| !c.contains('|')).count();
    let count = ferrodis.conn().call_parsed(&["COMMAND", "COUNT"]).int();
    assert_eq!(
        count,
        Some(top_level as i64),
        "COMMAND COUNT vs COMMAND LIST"
    );
    let unknown: Vec<_> = ours.difference(&theirs).collect();
    assert!(
        unknown.is_empty(),
        "commands Redis 7.0 does not have: {unknown:?}"
    );
    let missing: Vec<_> = IN_SCOPE.iter().filter(|c| !ours.contains(**c)).collect();
    // A subcommand listed without its container, or vice versa, is a bug.
    for sub in ours.iter().filter_map(|c| c.split_once('|')) {
        assert!(
            ours.contains(sub.0),
            "COMMAND LIST has {}|{} but not {}",
            sub.0,
            sub.1,
            sub.0
        );
    }
    assert!(missing.is_empty(), "COMMAND LIST lacks {missing:?}");
    let full = ferrodis.conn().call_parsed(&["COMMAND"]);
    assert_eq!(full.items().len(), top_level, "COMMAND vs COMMAND LIST");
}

#[test]
fn shutdown_nosave_exits_cleanly() {
    let mut pair = Pair::start();
    pair.scenario("SHUTDOWN NOSAVE", |srv, t| {
        let mut c = srv.conn();
        t.call(&mut c, &["SHUTDOWN", "BOGUS"]);
        c.cmd(&["SHUTDOWN", "NOSAVE"]);
        t.note("connection after SHUTDOWN", c.closed());
        t.note("exit code", srv.wait_exit().code());
    });
}

#[test]
fn sigterm_exits_cleanly() {
    let mut pair = Pair::start();
    pair.scenario("SIGTERM", |srv, t| {
        let mut c = srv.conn();
        t.call(&mut c, &["SET", "k", "v"]);
        srv.signal(libc::SIGTERM);
        t.note("exit code", srv.wait_exit().code());
        t.note("connection after exit", c.closed());
    });
}
