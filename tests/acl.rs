//! ACL users differentially against redis-server 7.0: SETUSER rules and
//! the canonical descriptions GETUSER and LIST print, every error, CAT,
//! DRYRUN, GENPASS, NOPERM refusals for commands, keys (read/write from the
//! key specs), channels, in MULTI and at EXEC, ACL LOG entries and their
//! grouping, AUTH and HELLO with usernames, requirepass, DELUSER and
//! channel changes closing connections, users in the config file and in
//! an aclfile, ACL SAVE/LOAD files, CONFIG REWRITE.
//!
//! Redis emits the single-command part of a description in its command
//! dictionary's order, which is random per process; those runs of
//! `+cmd`/`-cmd` rules are compared sorted ([`RULES`]). Everything else,
//! categories included, must match exactly.

use std::fs;

use crate::util::server::Builder;
use crate::util::*;

/// A description with its single-command runs sorted.
fn sort_rules(text: &str) -> String {
    let tokens: Vec<&str> = text.split(' ').collect();
    let is_cmd = |t: &str| {
        (t.starts_with('+') || t.starts_with('-')) && !t.starts_with("+@") && !t.starts_with("-@")
    };
    let mut out: Vec<String> = Vec::new();
    let mut run: Vec<String> = Vec::new();
    let flush = |run: &mut Vec<String>, out: &mut Vec<String>| {
        let closes = run.last().is_some_and(|t| t.ends_with(')'));
        let mut sorted: Vec<String> = run
            .drain(..)
            .map(|t| t.trim_end_matches(')').to_string())
            .collect();
        sorted.sort();
        if closes {
            if let Some(last) = sorted.last_mut() {
                last.push(')');
            }
        }
        out.extend(sorted);
    };
    for t in tokens {
        if is_cmd(t) {
            run.push(t.to_string());
            if t.ends_with(')') {
                flush(&mut run, &mut out);
            }
        } else {
            flush(&mut run, &mut out);
            out.push(t.to_string());
        }
    }
    flush(&mut run, &mut out);
    out.join(" ")
}

/// Canonical form with every string's command rules sorted.
fn canon_rules(r: &Reply) -> String {
    match r {
        Reply::Bulk(b) => format!("{:?}", sort_rules(&String::from_utf8_lossy(b))),
        Reply::Array(items) | Reply::Set(items) => {
            let inner: Vec<String> = items.iter().map(canon_rules).collect();
            format!("[{}]", inner.join(", "))
        }
        Reply::Map(pairs) => {
            let inner: Vec<String> = pairs
                .iter()
                .map(|(k, v)| format!("{} => {}", canon_rules(k), canon_rules(v)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
        other => canon(other),
    }
}

/// ACL LIST and GETUSER replies: single-command runs in any order.
const RULES: Mask = Mask::Custom(canon_rules);
/// HELLO replies differ only in the connection id.
const HELLO: Mask = Mask::Pairs(&["id"]);

/// ACL LOG entries with the clock and per-connection values masked.
fn canon_log(r: &Reply) -> String {
    let mut out = Vec::new();
    for entry in r.items() {
        let Some(pairs) = entry.pairs() else {
            out.push(canon(entry));
            continue;
        };
        let fields: Vec<String> = pairs
            .iter()
            .map(|(k, v)| {
                let key = k.text();
                let value = match key.as_str() {
                    "age-seconds" => "*".to_string(),
                    "client-info" => v
                        .text()
                        .split(' ')
                        .map(|tok| match tok.split_once('=') {
                            Some((k, _)) if CLIENT_VOLATILE.contains(&k) => format!("{k}=*"),
                            _ => tok.to_string(),
                        })
                        .collect::<Vec<_>>()
                        .join(" "),
                    _ => canon(v),
                };
                format!("{key}={value}")
            })
            .collect();
        out.push(fields.join(" | "));
    }
    format!("{}:{}", r.type_byte() as char, out.join("\n"))
}

const LOG: Mask = Mask::Custom(canon_log);

#[test]
fn sort_rules_keeps_categories_in_place() {
    assert_eq!(
        sort_rules("on ~* -@all +set +get (~x* -@all +b +a) +@hash -hget +del"),
        "on ~* -@all +get +set (~x* -@all +a +b) +@hash +del -hget"
    );
}

/// SETUSER then GETUSER and LIST for each rule and many sequences.
#[test]
fn setuser_descriptions() {
    let sequences: &[&[&str]] = &[
        &[],
        &["on", ">p1", ">p2", "<p1"],
        &[
            "#3946ca64ff78d93ca61090a437cbb6b3d2ca0d488f5f9ccf3059608368b27693",
            ">p2",
        ],
        &[
            ">p",
            "!3946ca64ff78d93ca61090a437cbb6b3d2ca0d488f5f9ccf3059608368b27693",
        ],
        &["nopass", ">x", "resetpass"],
        &["on", "nopass", "off", "skip-sanitize-payload"],
        &["sanitize-payload"],
        &["+get", "+set"],
        &["+@hash", "+@string"],
        &["+@string", "-get"],
        &["+@all", "-@string", "+get"],
        &["+get", "+@string"],
        &["+get", "-get"],
        &["+get", "-@string"],
        &["+client", "-client|list"],
        &["+client|list", "-client"],
        // Not `+client|list +client`: how well @connection fits depends on
        // the table holding every connection command, which it does not yet.
        &["+select|0", "+select|1"],
        &["+select|0", "+select"],
        &["+select", "+select|0", "-select"],
        &["+@read", "-@write"],
        &["+config|get", "+config|set"],
        &["+config", "-config|get", "+config|get"],
        &["+CONFIG|GET", "+GET", "+@STRING"],
        &["allcommands", "-get", "+get"],
        &["allcommands", "nocommands"],
        &["+@all", "-@dangerous"],
        &["+@all", "-@keyspace", "-@dangerous", "+del"],
        &["+@read", "+@hash", "-hget"],
        &["+@hash", "-@hash"],
        &["+@list", "+@set", "+@sortedset", "-lpush"],
        &["~foo", "%R~bar", "%W~baz", "%RW~q", "~foo", "%R~baz"],
        &["%R", "%W~"],
        &["allkeys"],
        &["~*", "resetkeys", "~a"],
        &["&ch", "&ch", "&x*"],
        &["allchannels"],
        &["&*", "resetchannels", "&b"],
        &["(+set ~x*)", "(+get %R~y &c)"],
        &["(+set ~x*)", "clearselectors", "+get"],
        &["on", ">pw", "~k", "+get", "(+set)", "reset"],
        &["", "on"],
    ];
    let mut cases = Vec::new();
    for (i, rules) in sequences.iter().enumerate() {
        let name = format!("u{i}");
        let mut setuser = vec!["ACL", "SETUSER", name.as_str()];
        setuser.extend_from_slice(rules);
        cases.push(
            Case::new(&format!("{rules:?}"))
                .cmd(&setuser)
                .masked(RULES, &["ACL", "GETUSER", &name]),
        );
    }
    // Patterns and first arguments are bytes, shown as they were given.
    cases.push(
        Case::new("binary rules")
            .cmd_bytes(&[
                &b"ACL"[..],
                b"SETUSER",
                b"bin",
                b"~\xffa",
                b"&\xfe",
                b"+select|\xfd",
            ])
            .cmd(&["ACL", "GETUSER", "bin"])
            .cmd(&["ACL", "DELUSER", "bin"])
            // A NUL counts as a space, and the error quotes up to it.
            .cmd_bytes(&[&b"ACL"[..], b"SETUSER", b"bin", b"%R~\x00b"])
            .cmd_bytes(&[&b"ACL"[..], b"SETUSER", b"bin", b"(+get \x00b"])
            .cmd_bytes(&[&b"ACL"[..], b"CAT", b"x\x00y"])
            .cmd_bytes(&[&b"ACL"[..], b"DRYRUN", b"x\x00y", b"get"]),
    );
    cases.push(
        Case::new("list and users")
            .masked(RULES, &["ACL", "LIST"])
            .cmd(&["ACL", "USERS"]),
    );
    cases.push(
        Case::new("resp3 getuser")
            .masked(HELLO, &["HELLO", "3"])
            .masked(RULES, &["ACL", "GETUSER", "default"])
            .masked(RULES, &["ACL", "GETUSER", "u37"])
            .cmd(&["ACL", "GETUSER", "nosuch"]),
    );
    diff(&cases);
}

#[test]
fn setuser_errors() {
    let bad: &[&[&str]] = &[
        &["%X~a"],
        &["+config|get|x"],
        &["-select|0"],
        &["+nosuch"],
        &["-nosuch"],
        &["~*", "~a"],
        &["allkeys", "%R~a"],
        &["&*", "&a"],
        &["<nope"],
        &["!0000000000000000000000000000000000000000000000000000000000000000"],
        &["#abc"],
        &["#3946CA64FF78D93CA61090A437CBB6B3D2CA0D488F5F9CCF3059608368B27693"],
        &["(+get"],
        &["(+get", "~a"],
        &["+get", "(~a", "~b)", "(bad)"],
        &["+config|"],
        &["bogus"],
        &["+@nosuch"],
        &["~a b"],
        &["(+nosuch)"],
        &["on", "+get", "bogus"],
    ];
    let mut cases = vec![case(
        "bad names",
        &[&["ACL", "SETUSER", "a b"], &["ACL", "SETUSER"]],
    )];
    for rules in bad {
        let mut setuser = vec!["ACL", "SETUSER", "e"];
        setuser.extend_from_slice(rules);
        cases.push(Case::new(&format!("{rules:?}")).cmd(&setuser));
    }
    // A refused rule leaves the user as it was: never created here.
    cases.push(case("nothing applied", &[&["ACL", "USERS"]]));
    diff(&cases);
}

#[test]
fn small_subcommands() {
    diff(&[
        case(
            "whoami help users",
            &[
                &["ACL", "WHOAMI"],
                &["ACL", "HELP"],
                &["ACL", "USERS"],
                &["ACL"],
                &["ACL", "NOSUCH"],
                &["ACL", "WHOAMI", "x"],
            ],
        ),
        case(
            "deluser",
            &[
                &["ACL", "SETUSER", "a"],
                &["ACL", "SETUSER", "b"],
                &["ACL", "DELUSER", "default"],
                &["ACL", "DELUSER", "a", "default"],
                &["ACL", "DELUSER", "a", "nosuch", "b", "a"],
                &["ACL", "USERS"],
                &["ACL", "DELUSER"],
            ],
        ),
        case(
            "genpass errors",
            &[
                &["ACL", "GENPASS", "0"],
                &["ACL", "GENPASS", "4097"],
                &["ACL", "GENPASS", "-1"],
                &["ACL", "GENPASS", "x"],
                &["ACL", "GENPASS", "1", "2"],
            ],
        ),
        case(
            "cat",
            &[
                &["ACL", "CAT"],
                &["ACL", "CAT", "nosuch"],
                &["ACL", "CAT", "a", "b"],
            ],
        ),
        case(
            "save and load without an aclfile",
            &[&["ACL", "SAVE"], &["ACL", "LOAD"]],
        ),
    ]);
    // Families whose commands are all in the table list alike.
    let mut cat = Case::new("cat per category");
    for c in [
        "set",
        "sortedset",
        "list",
        "hash",
        "string",
        "bitmap",
        "hyperloglog",
        "geo",
        "pubsub",
        "transaction",
        "STRING",
    ] {
        cat = cat.masked(Mask::Unordered, &["ACL", "CAT", c]);
    }
    diff(&[cat]);
    on_both(&[], |srv| {
        let mut c = srv.conn();
        for (bits, len) in [
            (None, 64),
            (Some("1"), 1),
            (Some("5"), 2),
            (Some("4096"), 1024),
        ] {
            let mut cmd = vec!["ACL", "GENPASS"];
            cmd.extend(bits);
            let p = c.call_parsed(&cmd).text();
            assert_eq!(p.len(), len, "{cmd:?}");
            assert!(p
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        }
        let a = c.call_parsed(&["ACL", "GENPASS"]);
        assert_ne!(a, c.call_parsed(&["ACL", "GENPASS"]));
    });
}

#[test]
fn dryrun() {
    diff(&[case(
        "dryrun",
        &[
            &[
                "ACL",
                "SETUSER",
                "d",
                "on",
                "nopass",
                "+get",
                "+set",
                "+publish",
                "+subscribe",
                "+psubscribe",
                "%R~r*",
                "%W~w*",
                "~rw*",
                "&c*",
                "(+lpush ~l*)",
            ],
            &["ACL", "DRYRUN", "d", "get", "r1"],
            &["ACL", "DRYRUN", "d", "get", "w1"],
            &["ACL", "DRYRUN", "d", "get", "rw1"],
            &["ACL", "DRYRUN", "d", "set", "w1", "v"],
            &["ACL", "DRYRUN", "d", "set", "r1", "v"],
            &["ACL", "DRYRUN", "d", "set", "w1", "v", "GET"],
            &["ACL", "DRYRUN", "d", "set", "rw1", "v", "GET"],
            &["ACL", "DRYRUN", "d", "lpush", "l1", "v"],
            &["ACL", "DRYRUN", "d", "lpush", "x", "v"],
            &["ACL", "DRYRUN", "d", "rpush", "l1", "v"],
            &["ACL", "DRYRUN", "d", "publish", "c1", "m"],
            &["ACL", "DRYRUN", "d", "publish", "x", "m"],
            &["ACL", "DRYRUN", "d", "subscribe", "c1", "x", "c2"],
            &["ACL", "DRYRUN", "d", "psubscribe", "c*"],
            &["ACL", "DRYRUN", "d", "psubscribe", "c1*"],
            &["ACL", "DRYRUN", "d", "auth", "x"],
            &["ACL", "DRYRUN", "nosuch", "get", "x"],
            &["ACL", "DRYRUN", "d", "nosuch"],
            &["ACL", "DRYRUN", "d", "get"],
            &["ACL", "DRYRUN", "d", "config", "nosuch"],
            &["ACL", "DRYRUN", "d", "client", "list"],
            &["ACL", "DRYRUN", "d"],
            &["ACL", "DRYRUN", "default", "flushall"],
        ],
    )]);
}

/// Read and write access as each command's key specs give it, for a user
/// with read-only, write-only and read-write patterns.
#[test]
fn dryrun_key_access_per_command() {
    let lines = [
        "ssubscribe c1",
        "ssubscribe x",
        "spublish x m",
        "spublish c1 m",
        "sunsubscribe x",
        "unsubscribe x",
        "punsubscribe x",
        "pubsub channels x",
        "sort r1 store w1",
        "sort r1 store r2",
        "sort r1 by w*",
        "sort w1",
        "sort_ro r1",
        "lmove r1 w1 left right",
        "lmove w1 r1 left right",
        "rename r1 w1",
        "rename w1 w2",
        "copy r1 w1",
        "copy rw1 w1",
        "getdel r1",
        "getdel rw1",
        "getex r1",
        "exists w1 r1",
        "del r1",
        "unlink w1",
        "type w1",
        "object encoding w1",
        "bitfield r1 get u8 0",
        "bitfield r1 set u8 0 1",
        "bitfield_ro w1 get u8 0",
        "set w1 v get",
        "set w1 v",
        "set r1 v",
        "incr w1",
        "append w1 x",
        "setrange w1 0 x",
        "lpush w1 x",
        "rpoplpush rw1 w1",
        "smove rw1 w1 x",
        "sinterstore w1 r1 r2",
        "sinterstore w1 r1 w2",
        "zunionstore w1 2 r1 r2",
        "zunionstore w1 2 r1 w2",
        "zunion 2 r1 w2",
        "zrangestore w1 r1 0 -1",
        "georadius r1 0 0 1 km store w1",
        "georadius r1 0 0 1 km",
        "georadius w1 0 0 1 km",
        "geosearchstore w1 r1 frommember a byradius 1 km",
        "pfmerge w1 r1",
        "pfmerge w1 w2",
        "pfcount w1",
        "msetnx w1 a w2 b",
        "mset w1 a r1 b",
        "blmpop 0 2 r1 w1 left",
        "lmpop 2 rw1 rw2 left",
        "zmpop 1 w1 min",
        "touch w1",
        "expire w1 10",
        "persist r1",
        "ttl w1",
        "dump w1",
        "restore w1 0 x",
        "watch w1",
        "strlen w1",
        "hset w1 f v",
        "hget w1 f",
        "flushall",
        "keys *",
        "scan 0",
        "randomkey",
        "memory usage w1",
        "debug object w1",
        "object freq w1",
    ];
    let mut c = Case::new("access").cmd(&[
        "ACL", "SETUSER", "k", "on", "nopass", "+@all", "%R~r*", "%W~w*", "~rw*", "&c*",
    ]);
    for line in lines {
        let mut cmd = vec!["ACL", "DRYRUN", "k"];
        cmd.extend(line.split(' '));
        c = c.cmd(&cmd);
    }
    diff(&[c]);
}

/// The user `u` of the refusal tests: GET/SET/MULTI/EXEC/pub-sub on `k*`
/// and `ch*`, plus what the tests need to look around.
const U: &[&str] = &[
    "ACL",
    "SETUSER",
    "u",
    "on",
    ">pw",
    "+get",
    "+set",
    "+mget",
    "+multi",
    "+exec",
    "+publish",
    "+subscribe",
    "+psubscribe",
    "+acl|whoami",
    "~k*",
    "&ch*",
];

#[test]
fn noperm_refusals_and_log() {
    diff(&[
        case("setup", &[&["ACL", "LOG", "RESET"], U]),
        Case::new("refusals")
            .cmd(&["AUTH", "u", "pw"])
            .cmd(&["ACL", "WHOAMI"])
            .cmd(&["SET", "k1", "v"])
            .cmd(&["GET", "z"])
            .cmd(&["MGET", "k1", "z1", "z2"])
            .cmd(&["DEL", "k1"])
            .cmd(&["CLIENT", "LIST"])
            .cmd(&["PUBLISH", "x", "m"])
            .cmd(&["PUBLISH", "ch1", "m"])
            .cmd(&["GET", "k1", "extra"])
            .cmd(&["AUTH", "u", "wrong"])
            .cmd(&["AUTH", "nosuch", "x"])
            .cmd(&["GET", "k1"]),
        Case::new("subscriptions")
            .cmd(&["AUTH", "u", "pw"])
            .cmd(&["SUBSCRIBE", "ch2", "zz"])
            .cmd(&["PSUBSCRIBE", "ch*", "c*"])
            .cmd(&["SUBSCRIBE", "ch3"]),
        Case::new("multi")
            .cmd(&["AUTH", "u", "pw"])
            .cmd(&["MULTI"])
            .cmd(&["SET", "k", "v"])
            .cmd(&["GET", "k2"])
            .cmd(&["DEL", "k"])
            .cmd(&["EXEC"]),
        Case::new("sort patterns need every key")
            .cmd(&[
                "ACL",
                "SETUSER",
                "so",
                "on",
                "nopass",
                "+@all",
                "~k*",
                "(+sort %R~*)",
            ])
            .cmd(&["RPUSH", "k1", "3", "1", "2"])
            .cmd(&["AUTH", "so", "x"])
            .cmd(&["SORT", "k1", "BY", "w*"])
            .cmd(&["SORT", "k1", "GET", "#"])
            .cmd(&["SORT", "k1", "BY", "nosort"])
            .cmd(&["SORT_RO", "k1", "GET", "w*"])
            .cmd(&["SORT", "k1", "BY", "w*", "STORE", "k2"])
            .cmd(&["SORT", "k1", "BY", "w*", "GET", "#"]),
        Case::new("exec refused outside multi")
            .cmd(&["EXEC", "x"])
            .cmd(&["ACL", "SETUSER", "nx", "on", "nopass", "+get"])
            .cmd(&["AUTH", "nx", "x"])
            .cmd(&["MULTI"])
            .cmd(&["EXEC"]),
        Case::new("hello")
            .masked(HELLO, &["HELLO", "3", "AUTH", "u", "pw"])
            .cmd(&["ACL", "WHOAMI"])
            .cmd(&["HELLO", "2", "AUTH", "u", "bad"])
            .cmd(&["HELLO", "3", "AUTH", "nosuch", "bad"]),
        Case::new("log")
            .masked(LOG, &["ACL", "LOG"])
            .masked(LOG, &["ACL", "LOG", "2"])
            .cmd(&["ACL", "LOG", "-1"])
            .cmd(&["ACL", "LOG", "x"])
            .cmd(&["ACL", "LOG", "1", "2"])
            .masked(HELLO, &["HELLO", "3"])
            .masked(LOG, &["ACL", "LOG", "3"])
            .cmd(&["ACL", "LOG", "RESET"])
            .cmd(&["ACL", "LOG"]),
        Case::new("stats")
            .cmd(&["INFO", "errorstats"])
            .masked(Mask::Custom(rejected_calls), &["INFO", "commandstats"]),
    ]);
}

/// The `rejected_calls` of each command in INFO commandstats.
fn rejected_calls(r: &Reply) -> String {
    let mut out: Vec<String> = r
        .text()
        .lines()
        .filter_map(|l| {
            let (name, rest) = l.split_once(':')?;
            let rejected = rest.split(',').find(|f| f.starts_with("rejected_calls="))?;
            (rejected != "rejected_calls=0").then(|| format!("{name} {rejected}"))
        })
        .collect();
    out.sort();
    out.join("\n")
}

/// Refusals of the same kind within a minute make one entry with a count.
#[test]
fn log_grouping_and_max_len() {
    diff_with(
        &["--acllog-max-len", "3"],
        &[
            case("setup", &[U]),
            Case::new("refusals")
                .cmd(&["AUTH", "u", "pw"])
                .cmd(&["DEL", "a"])
                .cmd(&["DEL", "a"])
                .cmd(&["GET", "z"])
                .cmd(&["DEL", "a"])
                .cmd(&["GET", "y"])
                .cmd(&["GET", "x"])
                .cmd(&["GET", "x"]),
            Case::new("log")
                .masked(LOG, &["ACL", "LOG"])
                .cmd(&["CONFIG", "SET", "acllog-max-len", "1"])
                .cmd(&["AUTH", "x", "y"])
                .masked(LOG, &["ACL", "LOG"]),
        ],
    );
}

/// A transaction whose user loses a permission between queueing and EXEC.
#[test]
fn rules_changed_before_exec() {
    let mut pair = Pair::start();
    pair.scenario("exec after setuser", |srv, t| {
        let mut admin = srv.conn();
        let mut c = srv.conn();
        t.call(&mut admin, U);
        t.call(&mut c, &["AUTH", "u", "pw"]);
        t.call(&mut c, &["MULTI"]);
        t.call(&mut c, &["SET", "k1", "v"]);
        t.call(&mut c, &["GET", "k1"]);
        t.call(&mut admin, &["ACL", "SETUSER", "u", "-set"]);
        t.call(&mut c, &["EXEC"]);
        t.call_masked(&mut admin, LOG, &["ACL", "LOG", "1"]);
    });
}

/// DELUSER closes the user's connections; a channel rule taken away
/// closes its subscribers that hold such a channel; RESET goes back to
/// the default user.
#[test]
fn users_changes_close_connections() {
    let mut pair = Pair::start();
    pair.scenario("deluser", |srv, t| {
        let mut admin = srv.conn();
        t.call(
            &mut admin,
            &["ACL", "SETUSER", "v", "on", "nopass", "+@all", "~*"],
        );
        let mut a = srv.conn();
        let mut b = srv.conn();
        t.call(&mut a, &["AUTH", "v", "x"]);
        t.call(&mut b, &["AUTH", "v", "x"]);
        t.call(&mut admin, &["CLIENT", "KILL", "USER", "nosuch"]);
        t.call(&mut b, &["ACL", "DELUSER", "v"]);
        t.note(
            "other closed",
            a.close_state(std::time::Duration::from_secs(2)),
        );
        t.note(
            "self closed",
            b.close_state(std::time::Duration::from_secs(2)),
        );
    });
    pair.scenario("client kill user", |srv, t| {
        let mut admin = srv.conn();
        t.call(
            &mut admin,
            &["ACL", "SETUSER", "w", "on", "nopass", "+@all", "~*"],
        );
        let mut a = srv.conn();
        t.call(&mut a, &["AUTH", "w", "x"]);
        t.call_masked(&mut a, Mask::Fields(CLIENT_VOLATILE), &["CLIENT", "INFO"]);
        t.call(&mut admin, &["CLIENT", "KILL", "USER", "w"]);
        t.note("closed", a.close_state(std::time::Duration::from_secs(2)));
    });
    pair.scenario("channels revoked", |srv, t| {
        let mut admin = srv.conn();
        t.call(
            &mut admin,
            &["ACL", "SETUSER", "ps", "on", "nopass", "+@all", "~*", "&a*"],
        );
        let mut s = srv.conn();
        t.call(&mut s, &["AUTH", "ps", "x"]);
        t.call(&mut s, &["SUBSCRIBE", "ab"]);
        t.call(&mut admin, &["ACL", "SETUSER", "ps", "&b"]);
        t.call(&mut s, &["PING"]);
        t.call(&mut admin, &["ACL", "SETUSER", "ps", "resetchannels", "&b"]);
        t.note("closed", s.close_state(std::time::Duration::from_secs(2)));
    });
    pair.scenario("reset", |srv, t| {
        let mut admin = srv.conn();
        t.call(
            &mut admin,
            &["ACL", "SETUSER", "r", "on", "nopass", "+@all", "~*"],
        );
        t.call(&mut admin, &["AUTH", "r", "x"]);
        t.call(&mut admin, &["ACL", "WHOAMI"]);
        t.call(&mut admin, &["RESET"]);
        t.call(&mut admin, &["ACL", "WHOAMI"]);
    });
}

#[test]
fn requirepass_is_the_default_password() {
    diff(&[
        case(
            "config set requirepass",
            &[
                &["CONFIG", "SET", "requirepass", "foo"],
                &["ACL", "LIST"],
                &["AUTH", "default", "foo"],
                &["CONFIG", "SET", "requirepass", ""],
                &["ACL", "LIST"],
                &["AUTH", "x"],
            ],
        ),
        case(
            "default user off",
            &[
                &["ACL", "SETUSER", "default", "off"],
                &["ACL", "SETUSER", "default", "on"],
            ],
        ),
    ]);
    diff_with(
        &["--requirepass", "s3cret"],
        &[
            Case::new("noauth")
                .cmd(&["GET", "x"])
                .cmd(&["ACL", "WHOAMI"])
                .cmd(&["AUTH", "s3cret"])
                .cmd(&["ACL", "LIST"]),
            Case::new("other users still authenticate")
                .cmd(&["AUTH", "s3cret"])
                .cmd(&["ACL", "SETUSER", "o", "on", ">op", "+@all", "~*"])
                .cmd(&["AUTH", "o", "op"])
                .cmd(&["ACL", "WHOAMI"]),
        ],
    );
}

/// `user` lines in the config file, `requirepass` beside them, and the
/// start-up errors Redis gives.
#[test]
fn users_in_the_config_file() {
    let config = "requirepass foo\n\
                  user default on nopass ~* +@all\n\
                  user alice on >pw ~a* &n* +get +set (+lpush ~l*)\n\
                  user bob off #3946ca64ff78d93ca61090a437cbb6b3d2ca0d488f5f9ccf3059608368b27693\n";
    let pair = Pair::from_builder(Builder::new(server::Flavor::Redis).config(config));
    pair.run(&[
        Case::new("users")
            .masked(RULES, &["ACL", "LIST"])
            .cmd(&["AUTH", "alice", "pw"])
            .cmd(&["GET", "b"])
            .cmd(&["LPUSH", "l", "x"])
            .cmd(&["ACL", "WHOAMI"]),
        Case::new("rewrite").cmd(&["CONFIG", "REWRITE"]),
    ]);
    let rewritten = |srv: &server::Server| {
        let text = fs::read_to_string(srv.config_path().expect("config file")).unwrap();
        text.lines()
            .filter(|l| l.starts_with("user "))
            .map(sort_rules)
            .collect::<Vec<_>>()
    };
    assert_eq!(rewritten(&pair.redis), rewritten(&pair.ferrodis));
    for (text, why) in [
        (
            "user alice on >pw ~a* +get bogus\n",
            "Error in user declaration '~a*': Syntax error",
        ),
        (
            "user alice on\nuser alice off\n",
            "Error in user declaration 'alice': Duplicate user found. A user can only be defined once in config files",
        ),
    ] {
        for flavor in [server::Flavor::Redis, server::Flavor::Ferrodis] {
            let dir = server::temp_dir("acl-conf");
            let path = dir.join("bad.conf");
            fs::write(&path, text).unwrap();
            let out = tools::run_server_binary(flavor, &[path.to_str().unwrap()]);
            let err = String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{}: {err}", flavor.name());
            assert!(err.contains(why), "{}: {err}", flavor.name());
            let _ = fs::remove_dir_all(dir);
        }
    }
}

/// An aclfile at start-up, ACL LOAD and ACL SAVE, and the files both write.
#[test]
fn aclfile_save_and_load() {
    let users = "user default on nopass ~* &* +@all\n\
                 user carol on >cp ~c* resetchannels +@hash -hdel\n";
    let mut pair = Pair {
        redis: start_with_file(server::Flavor::Redis, users),
        ferrodis: start_with_file(server::Flavor::Ferrodis, users),
    };
    pair.run(&[
        Case::new("loaded")
            .masked(RULES, &["ACL", "LIST"])
            .cmd(&["AUTH", "carol", "cp"])
            .cmd(&["HSET", "c1", "f", "v"])
            .cmd(&["HDEL", "c1", "f"]),
        case(
            "save",
            &[
                &[
                    "ACL",
                    "SETUSER",
                    "dave",
                    "on",
                    ">dp",
                    "~d*",
                    "&x",
                    "+@list",
                    "(+get ~g*)",
                ],
                &["ACL", "SAVE"],
            ],
        ),
    ]);
    let saved = |srv: &server::Server| {
        let text = fs::read_to_string(acl_path(srv)).unwrap();
        text.lines().map(sort_rules).collect::<Vec<_>>()
    };
    assert_eq!(saved(&pair.redis), saved(&pair.ferrodis));
    pair.scenario("load", |srv, t| {
        let mut dave = srv.conn();
        t.call(&mut dave, &["AUTH", "dave", "dp"]);
        let path = acl_path(srv);
        fs::write(
            &path,
            "user eve on nopass +@all ~*\nuser bad on bogus\nfoo\nuser eve off\n",
        )
        .unwrap();
        let mut admin = srv.conn();
        let err = admin.call_parsed(&["ACL", "LOAD"]).text();
        t.note("errors", err.replace(path.to_str().unwrap(), "<file>"));
        t.call_masked(&mut admin, RULES, &["ACL", "LIST"]);
        fs::write(&path, "user eve on nopass +@all ~* (+get ~x)\n").unwrap();
        t.call(&mut admin, &["ACL", "LOAD"]);
        t.call_masked(&mut admin, RULES, &["ACL", "LIST"]);
        t.note(
            "dave closed",
            dave.close_state(std::time::Duration::from_secs(2)),
        );
        fs::remove_file(&path).unwrap();
        let err = admin.call_parsed(&["ACL", "LOAD"]).text();
        t.note("missing", err.replace(path.to_str().unwrap(), "<file>"));
    });
}

/// Starts a server whose aclfile, in a directory of its own, holds `users`.
fn start_with_file(flavor: server::Flavor, users: &str) -> server::Server {
    let dir = server::temp_dir("aclfile");
    let path = dir.join("users.acl");
    fs::write(&path, users).unwrap();
    Builder::new(flavor)
        .args(&["--aclfile", path.to_str().unwrap()])
        .start()
}

/// The aclfile a server was started with.
fn acl_path(srv: &server::Server) -> std::path::PathBuf {
    let mut c = srv.conn();
    let reply = c.call_parsed(&["CONFIG", "GET", "aclfile"]);
    std::path::PathBuf::from(reply.items()[1].text())
}

/// `acl-pubsub-default allchannels`: new users and selectors, and `reset`,
/// start from every channel.
#[test]
fn pubsub_default_allchannels() {
    diff_with(
        &["--acl-pubsub-default", "allchannels"],
        &[case(
            "defaults",
            &[
                &["ACL", "SETUSER", "n"],
                &["ACL", "SETUSER", "n2", "reset"],
                &["ACL", "SETUSER", "n3", "(~a)"],
                &["ACL", "LIST"],
                &["CONFIG", "SET", "acl-pubsub-default", "resetchannels"],
                &["ACL", "SETUSER", "n4", "reset"],
                &["ACL", "SETUSER", "n", "(~b)"],
                &["ACL", "LIST"],
            ],
        )],
    );
}

/// A default user turned off makes new connections authenticate; turned
/// back on with nopass they need not.
#[test]
fn default_user_off_and_on() {
    diff(&[
        case("off", &[&["ACL", "SETUSER", "default", "off"]]),
        Case::new("locked out")
            .cmd(&["PING"])
            .cmd(&["AUTH", "default", "x"])
            .cmd(&["AUTH", "x"])
            .cmd(&["HELLO", "3"])
            .cmd(&["HELLO", "3", "AUTH", "default", "x"])
            .cmd(&["ACL", "SETUSER", "m", "on", ">pw", "+@all", "~*"]),
        Case::new("another user")
            .cmd(&["AUTH", "m", "pw"])
            .cmd(&["ACL", "SETUSER", "default", "on", "nopass"]),
        Case::new("open again")
            .cmd(&["PING"])
            .cmd(&["ACL", "WHOAMI"]),
        Case::new("subcommands and containers")
            .cmd(&[
                "ACL",
                "SETUSER",
                "y",
                "on",
                "nopass",
                "-@all",
                "+acl|whoami",
                "+config|get",
                "~*",
            ])
            .cmd(&["AUTH", "y", "x"])
            .cmd(&["ACL", "LIST"])
            .cmd(&["ACL", "WHOAMI"])
            .cmd(&["ACL"])
            .cmd(&["ACL", "NOSUCH"])
            .cmd(&["CONFIG", "SET", "a", "b"])
            .cmd(&["CONFIG", "GET", "maxmemory"]),
    ]);
}
