//! MIGRATE between ferrodis and real Redis, both ways: every type with its
//! TTL, COPY, REPLACE, KEYS, another database, AUTH and AUTH2 at the
//! target, the target's errors, the I/O errors, and what the source's AOF
//! records (a DEL of the keys that moved).

use crate::util::*;

/// Every type, one key each; `t` has a TTL.
const SEED: &[&[&str]] = &[
    &["SET", "s", "v"],
    &["SET", "t", "x", "PX", "100000"],
    &["RPUSH", "l", "a", "b", "c"],
    &["HSET", "h", "f", "1", "g", "2"],
    &["SADD", "set", "1", "2", "x"],
    &["ZADD", "z", "1", "a", "2.5", "b"],
    &["PFADD", "hll", "a", "b"],
];

fn seed(c: &mut Conn) {
    for cmd in SEED {
        c.call(cmd);
    }
}

/// What a key holds, type by type, as text to compare across servers.
fn contents(c: &mut Conn, db: &str) -> Vec<String> {
    c.call(&["SELECT", db]);
    let mut out = Vec::new();
    for key in ["s", "t", "l", "h", "set", "z", "hll"] {
        let ty = c.call_parsed(&["TYPE", key]).text();
        let value = match ty.as_str() {
            "string" => c.call_parsed(&["GET", key]),
            "list" => c.call_parsed(&["LRANGE", key, "0", "-1"]),
            "hash" => c.call_parsed(&["HGETALL", key]),
            "set" => c.call_parsed(&["SORT", key, "ALPHA"]),
            "zset" => c.call_parsed(&["ZRANGE", key, "0", "-1", "WITHSCORES"]),
            _ => c.call_parsed(&["EXISTS", key]),
        };
        let ttl = c.call_parsed(&["PTTL", key]).int().unwrap_or(0);
        let ttl = if ttl > 0 { "ttl" } else { "no ttl" };
        out.push(format!("{key} {ty} {} {ttl}", canon(&value)));
    }
    c.call(&["SELECT", "0"]);
    out
}

/// Every key moves from `from` to `to` and arrives the same.
fn moves_everything(from: &Server, to: &Server) {
    let (mut src, mut dst) = (from.conn(), to.conn());
    seed(&mut src);
    let expected = contents(&mut src, "0");
    let port = to.port.to_string();
    let m = |c: &mut Conn, args: &[&str]| {
        let mut all = vec!["MIGRATE", "127.0.0.1", port.as_str()];
        all.extend_from_slice(args);
        c.call(&all)
    };
    assert_eq!(m(&mut src, &["s", "0", "5000"]), b"+OK\r\n");
    assert_eq!(src.call(&["EXISTS", "s"]), b":0\r\n");
    let keys = [
        "", "0", "5000", "KEYS", "t", "l", "h", "set", "z", "hll", "missing",
    ];
    assert_eq!(m(&mut src, &keys), b"+OK\r\n");
    assert_eq!(src.call(&["DBSIZE"]), b":0\r\n");
    assert_eq!(contents(&mut dst, "0"), expected);
    assert_eq!(m(&mut src, &["s", "0", "5000"]), b"+NOKEY\r\n");

    // COPY keeps the source key; the target's BUSYKEY comes back as an
    // error until REPLACE; another database gets its own SELECT.
    src.call(&["SET", "s", "new"]);
    let busy = m(&mut src, &["s", "0", "5000", "COPY"]);
    assert_eq!(
        busy,
        b"-ERR Target instance replied with error: BUSYKEY Target key name already exists.\r\n"
    );
    assert_eq!(
        m(&mut src, &["s", "0", "5000", "COPY", "REPLACE"]),
        b"+OK\r\n"
    );
    assert_eq!(src.call(&["GET", "s"]), b"$3\r\nnew\r\n");
    assert_eq!(dst.call(&["GET", "s"]), b"$3\r\nnew\r\n");
    assert_eq!(m(&mut src, &["s", "7", "5000"]), b"+OK\r\n");
    dst.call(&["SELECT", "7"]);
    assert_eq!(dst.call(&["GET", "s"]), b"$3\r\nnew\r\n");
    // Back to database 0 on the same cached connection.
    src.call(&["SET", "back", "1"]);
    assert_eq!(m(&mut src, &["back", "0", "5000"]), b"+OK\r\n");
    dst.call(&["SELECT", "0"]);
    assert_eq!(dst.call(&["GET", "back"]), b"$1\r\n1\r\n");

    // AUTH at a target without a password is the target's error.
    src.call(&["SET", "a", "1"]);
    let reply = m(&mut src, &["a", "0", "5000", "AUTH", "pw"]);
    assert!(
        reply.starts_with(b"-ERR Target instance replied with error: ERR AUTH"),
        "{}",
        escape(&reply)
    );
    assert_eq!(src.call(&["EXISTS", "a"]), b":1\r\n");
}

#[test]
fn keys_move_from_ferrodis_to_redis_and_back() {
    let redis = RealRedis::start();
    let ferrodis = TestServer::start();
    moves_everything(&ferrodis, &redis);
    let redis = RealRedis::start();
    let ferrodis = TestServer::start();
    moves_everything(&redis, &ferrodis);
}

/// AUTH and AUTH2 at a target with a password, in both directions.
#[test]
fn authenticated_targets() {
    for (src_flavor, dst_flavor) in [
        (Flavor::Ferrodis, Flavor::Redis),
        (Flavor::Redis, Flavor::Ferrodis),
    ] {
        let src = Builder::new(src_flavor).start();
        let dst = Builder::new(dst_flavor)
            .args(&["--requirepass", "secret"])
            .start();
        let port = dst.port.to_string();
        let mut c = src.conn();
        c.call(&["SET", "k", "v"]);
        let base = ["MIGRATE", "127.0.0.1", port.as_str(), "k", "0", "5000"];
        let with = |extra: &[&'static str]| -> Vec<&str> {
            let mut all = base.to_vec();
            all.extend_from_slice(extra);
            all
        };
        let no_auth = c.call(&base);
        assert_eq!(
            no_auth,
            b"-ERR Target instance replied with error: NOAUTH Authentication required.\r\n",
            "{}",
            src_flavor.name()
        );
        let wrong = c.call(&with(&["AUTH", "nope"]));
        assert!(
            wrong.starts_with(b"-ERR Target instance replied with error: WRONGPASS"),
            "{}",
            escape(&wrong)
        );
        assert_eq!(c.call(&with(&["COPY", "AUTH", "secret"])), b"+OK\r\n");
        assert_eq!(
            c.call(&with(&["REPLACE", "AUTH2", "default", "secret"])),
            b"+OK\r\n"
        );
        assert_eq!(c.call(&["EXISTS", "k"]), b":0\r\n");
    }
}

#[test]
fn errors_match_redis() {
    diff(&[
        case(
            "arguments",
            &[
                &["SET", "k", "v"],
                &["MIGRATE", "127.0.0.1", "1", "k", "x", "100"],
                &["MIGRATE", "127.0.0.1", "1", "k", "0", "x"],
                &["MIGRATE", "127.0.0.1", "1", "k", "0", "100", "AUTH"],
                &["MIGRATE", "127.0.0.1", "1", "k", "0", "100", "AUTH2", "u"],
                &["MIGRATE", "127.0.0.1", "1", "k", "0", "100", "BOGUS"],
                &["MIGRATE", "127.0.0.1", "1", "k", "0", "100", "KEYS", "k"],
                &["MIGRATE", "127.0.0.1", "1", "k", "0"],
                &["MIGRATE", "127.0.0.1", "1", "nokey", "0", "100"],
                &[
                    "MIGRATE",
                    "127.0.0.1",
                    "1",
                    "",
                    "0",
                    "100",
                    "KEYS",
                    "a",
                    "b",
                ],
            ],
        ),
        case(
            "unreachable",
            &[
                &["SET", "k", "v"],
                &["MIGRATE", "127.0.0.1", "1", "k", "0", "100"],
                &["MIGRATE", "127.0.0.1", "notaport", "k", "0", "100"],
                &["MIGRATE", "nonexistent.invalid", "6379", "k", "0", "100"],
                &["EXISTS", "k"],
            ],
        ),
        case(
            "getkeys",
            &[
                &["COMMAND", "GETKEYS", "MIGRATE", "h", "1", "k", "0", "100"],
                &[
                    "COMMAND", "GETKEYS", "MIGRATE", "h", "1", "", "0", "100", "AUTH", "KEYS",
                    "KEYS", "a", "b",
                ],
                &[
                    "COMMAND", "GETKEYS", "MIGRATE", "h", "1", "", "0", "100", "COPY", "KEYS", "a",
                ],
                &["COMMAND", "INFO", "MIGRATE"],
            ],
        ),
    ]);
}

/// The source's AOF gets a DEL of what moved (nothing for COPY), the same
/// as Redis writes it; SLOWLOG and MONITOR hide the credentials.
#[test]
fn the_aof_records_the_deletion() {
    let target = RealRedis::start();
    let port = target.port.to_string();
    let mut pair = Pair::start_with(&["--appendonly", "yes", "--appendfsync", "always"]);
    pair.scenario("migrate in the aof", |srv, t| {
        let mut c = srv.conn();
        c.call(&["FLUSHALL"]);
        c.call(&["MSET", "a", "1", "b", "2", "c", "3"]);
        let p = port.as_str();
        t.call(
            &mut c,
            &[
                "MIGRATE",
                "127.0.0.1",
                p,
                "",
                "0",
                "5000",
                "REPLACE",
                "KEYS",
                "a",
                "b",
            ],
        );
        t.call(
            &mut c,
            &[
                "MIGRATE",
                "127.0.0.1",
                p,
                "c",
                "0",
                "5000",
                "COPY",
                "REPLACE",
            ],
        );
        t.call(&mut c, &["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
        t.call(
            &mut c,
            &[
                "MIGRATE",
                "127.0.0.1",
                p,
                "c",
                "0",
                "5000",
                "REPLACE",
                "AUTH2",
                "user",
                "pw",
            ],
        );
        let log = c.call_parsed(&["SLOWLOG", "GET", "1"]);
        t.note("slowlog arguments", canon(&log.items()[0].items()[3]));
        t.note("aof", srv.incremental_aof());
    });
}
