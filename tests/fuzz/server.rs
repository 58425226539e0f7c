//! Against the real binary, in batches: damaged and random RESP on several
//! connections at once, RESTORE of damaged DUMP payloads, and start-up on
//! damaged RDB and AOF files. Every reply must be well-formed RESP and
//! every connection must end; after each batch the process must still be
//! alive and a fresh connection's PING answered. A server refusing its
//! files must exit with status 1 and a message naming the file: never a
//! panic (status 101), a signal or a hang.

use std::fs;
use std::path::Path;
use std::process::ExitStatus;
use std::thread;
use std::time::{Duration, Instant};

use ferrodis::persistence::aof::manifest::Manifest;
use ferrodis::protocol::parser::BIG_ARG;

use super::engine::{Case, Run, AGAINST_SERVER};
use super::loaders::{redis_files, value, AOF_TOKENS, MANIFEST_TOKENS, RDB_TOKENS};
use super::mutate::{chunking, mutate, truncate};
use super::parser::{argument, push_inline, TOKENS};
use crate::dump::sealed;
use crate::rdb::Scratch;
use crate::util::conn::ReadError;
use crate::util::keyspace::{info_field, wait_until};
use crate::util::resp::{encode_cmd, escape};
use crate::util::rng::Rng;
use crate::util::server::{temp_dir, START_TIMEOUT};
use crate::util::{Conn, Server, TestServer};

/// Connections a batch writes to at once.
const CONNECTIONS: usize = 4;

/// How long a connection may stay silent before all its replies count as
/// read. Short: by then they are all in flight (see [`COMMANDS`]), and a
/// wait that ends too soon only leaves replies unchecked.
const QUIET: Duration = Duration::from_millis(20);

/// Commands whose effects and replies stay small, whatever their
/// arguments: nothing that blocks, pauses clients, forks, writes files,
/// reconfigures or stops the server, allocates by an offset (SETRANGE,
/// SETBIT) or replies with more than a socket buffer holds (KEYS, SCAN,
/// COMMAND), so every reply is in flight once a later client is answered.
const COMMANDS: &[&str] = &[
    "GET",
    "SET",
    "DEL",
    "EXISTS",
    "INCR",
    "INCRBY",
    "INCRBYFLOAT",
    "DECR",
    "DECRBY",
    "APPEND",
    "STRLEN",
    "GETRANGE",
    "SUBSTR",
    "MGET",
    "MSET",
    "MSETNX",
    "SETNX",
    "SETEX",
    "PSETEX",
    "GETSET",
    "GETDEL",
    "GETEX",
    "TYPE",
    "TTL",
    "PTTL",
    "EXPIRE",
    "PEXPIRE",
    "EXPIREAT",
    "PEXPIREAT",
    "EXPIRETIME",
    "PERSIST",
    "DBSIZE",
    "RANDOMKEY",
    "PING",
    "ECHO",
    "SELECT",
    "SWAPDB",
    "MOVE",
    "COPY",
    "RENAME",
    "RENAMENX",
    "TOUCH",
    "UNLINK",
    "OBJECT",
    "BITCOUNT",
    "BITPOS",
    "GETBIT",
    "DUMP",
    "RESTORE",
    "HELLO",
    "RESET",
    "AUTH",
    "TIME",
    "MULTI",
    "EXEC",
    "DISCARD",
    "WATCH",
    "UNWATCH",
    "QUIT",
    "LPUSH",
    "RPUSH",
    "LPOP",
    "RPOP",
    "LLEN",
    "LINDEX",
    "LSET",
    "LREM",
    "LINSERT",
    "LTRIM",
    "LMOVE",
    "HSET",
    "HGET",
    "HDEL",
    "HLEN",
    "HINCRBY",
    "HINCRBYFLOAT",
    "HMGET",
    "HSTRLEN",
    "SADD",
    "SREM",
    "SCARD",
    "SISMEMBER",
    "SMISMEMBER",
    "SPOP",
    "SMOVE",
    "SINTERSTORE",
    "SINTERCARD",
    "ZADD",
    "ZREM",
    "ZINCRBY",
    "ZSCORE",
    "ZRANK",
    "ZCARD",
    "ZCOUNT",
    "ZPOPMIN",
    "ZRANGESTORE",
    "ZUNIONSTORE",
    "ZINTERCARD",
    "PFADD",
    "PFCOUNT",
    "PFMERGE",
    "PUBLISH",
    "PUBSUB",
];

/// What one connection is sent: real commands with random arguments, as
/// multibulk or inline, then often damaged. Sometimes a value is longer
/// than the parser's big-argument threshold, which the server reads its
/// own way; its key is one no other command names, so no reply is large.
fn connection_input(rng: &mut Rng) -> Vec<u8> {
    let mut out = Vec::new();
    if rng.chance(10) {
        let len = rng.between(BIG_ARG, 3 * BIG_ARG);
        out.extend(encode_cmd(&[&b"SET"[..], b"big", &rng.bytes(len, &[])]));
    }
    for _ in 0..rng.between(1, 12) {
        let mut args = vec![rng.pick(COMMANDS).as_bytes().to_vec()];
        for _ in 0..rng.below(4) {
            args.push(if rng.chance(50) {
                rng.pick(&[&b"k"[..], b"k2", b"0", b"1", b"EX", b"PX", b"NX"])
                    .to_vec()
            } else {
                argument(rng)
            });
        }
        if rng.chance(30) {
            push_inline(rng, &mut out, &args);
        } else {
            out.extend(encode_cmd(&args));
        }
    }
    match rng.below(4) {
        0 => out,
        1 => truncate(rng, &out),
        _ => mutate(rng, &out, TOKENS),
    }
}

/// Fails `case` unless the server process is alive and a fresh connection
/// gets PONG.
fn assert_serving(run: &Run, case: &Case, server: &mut Server, what: &dyn Fn() -> String) {
    if let Some(status) = server.try_exit() {
        run.fail(
            case,
            &format!("the server exited ({status}) after {}", what()),
        );
    }
    let pong = Conn::try_connect(server.port).ok().and_then(|mut c| {
        c.set_timeout(Duration::from_secs(10));
        c.try_send_raw(&encode_cmd(&["PING"])).ok()?;
        c.try_read_reply().ok()
    });
    if pong.as_deref() != Some(b"+PONG\r\n") {
        run.fail(case, &format!("PING got {pong:?} after {}", what()));
    }
}

#[test]
fn server_damaged_resp_on_many_connections() {
    let mut server = TestServer::start();
    let mut run = Run::new("server resp", AGAINST_SERVER);
    while let Some(mut case) = run.next_case() {
        // Each case starts from nothing, so its seed replays it alone.
        server.conn().call(&["FLUSHALL"]);
        let rng = &mut case.rng;
        let inputs: Vec<Vec<u8>> = (0..CONNECTIONS).map(|_| connection_input(rng)).collect();
        let shown = || {
            let each: Vec<String> = inputs.iter().map(|i| escape(i)).collect();
            format!(
                "sending, on {CONNECTIONS} connections:\n    {}",
                each.join("\n    ")
            )
        };
        let mut conns: Vec<Conn> = (0..CONNECTIONS).map(|_| server.conn()).collect();
        // Interleaved in random pieces, so reads end everywhere in a request
        // while other clients are served.
        let pieces: Vec<Vec<&[u8]>> = inputs.iter().map(|i| chunking(rng, i)).collect();
        for round in 0..pieces.iter().map(Vec::len).max().unwrap_or(0) {
            for (conn, pieces) in conns.iter_mut().zip(&pieces) {
                if let Some(piece) = pieces.get(round) {
                    // The server closes a connection after a protocol error;
                    // writing on after that fails, which is expected.
                    let _ = conn.try_send_raw(piece);
                }
            }
        }
        // Once a new client is answered, the others' bytes have been read
        // and answered too; what is left to check is that every reply is
        // whole RESP.
        assert_serving(&run, &case, &mut server, &shown);
        for (i, conn) in conns.iter_mut().enumerate() {
            conn.set_timeout(QUIET);
            loop {
                match conn.try_read_reply() {
                    Ok(_) => {}
                    Err(ReadError::Timeout(partial) | ReadError::Closed(partial))
                        if partial.is_empty() =>
                    {
                        break
                    }
                    Err(ReadError::Io(_)) => break,
                    Err(e) => run.fail(
                        &case,
                        &format!("connection {i} ended with {e} after {}", shown()),
                    ),
                }
            }
        }
    }
}

#[test]
fn server_restore_of_damaged_payloads() {
    let mut server = TestServer::start();
    let mut c = server.conn();
    let mut run = Run::new("server restore", AGAINST_SERVER);
    while let Some(mut case) = run.next_case() {
        let rng = &mut case.rng;
        let mut payloads = Vec::new();
        for _ in 0..20 {
            let v = value(rng);
            c.call(&[&b"SET"[..], b"source", &v]);
            let Some(valid) = c
                .call_parsed(&["DUMP", "source"])
                .bytes()
                .map(<[u8]>::to_vec)
            else {
                run.fail(&case, "DUMP of a string returned no payload");
            };
            let damaged = if rng.chance(50) {
                mutate(rng, &valid, RDB_TOKENS)
            } else {
                let body = &valid[..valid.len() - 10];
                sealed(&mutate(rng, body, RDB_TOKENS), 10)
            };
            payloads.push(damaged);
        }
        for (i, p) in payloads.iter().enumerate() {
            c.cmd(&[
                &b"RESTORE"[..],
                format!("r:{i}").as_bytes(),
                b"0",
                p,
                b"REPLACE",
            ]);
        }
        for p in &payloads {
            let reply = c.try_read_reply();
            let fine = match &reply {
                Ok(r) => r == b"+OK\r\n" || r.starts_with(b"-ERR "),
                Err(_) => false,
            };
            if !fine {
                run.fail(
                    &case,
                    &format!("RESTORE of {} answered {reply:?}", escape(p)),
                );
            }
        }
        for (i, p) in payloads.iter().enumerate() {
            let key = format!("r:{i}");
            let got = c.call(&["GET", &key]);
            if !(got.starts_with(b"$") || got.starts_with(b"-WRONGTYPE")) {
                run.fail(
                    &case,
                    &format!(
                        "GET after RESTORE of {} answered {}",
                        escape(p),
                        escape(&got)
                    ),
                );
            }
        }
        assert_serving(&run, &case, &mut server, &|| "RESTORE".to_string());
    }
}

/// How a start-up on damaged files ended.
enum Outcome {
    /// It came up and answered PING (the damage was harmless).
    Served,
    /// It exited: the status and everything it logged.
    Exited(ExitStatus, String),
}

/// Starts ferrodis on `dir` with `args` and waits until it serves or exits.
/// A port another test took between choosing and binding it means another
/// try on a new port, as the harness's own start does.
fn start_on(dir: &Path, args: &[&str]) -> Result<Outcome, String> {
    const ATTEMPTS: usize = 5;
    for _ in 1..ATTEMPTS {
        match start_once(dir, args) {
            Ok(Outcome::Exited(_, logs)) if logs.contains("Address already in use") => continue,
            other => return other,
        }
    }
    start_once(dir, args)
}

fn start_once(dir: &Path, args: &[&str]) -> Result<Outcome, String> {
    let mut all = vec!["--dir", dir.to_str().unwrap_or_default()];
    all.extend_from_slice(args);
    let mut server = TestServer::builder().args(&all).spawn();
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if let Some(status) = server.try_exit() {
            return Ok(Outcome::Exited(status, server.logs()));
        }
        if let Ok(mut c) = Conn::try_connect(server.port) {
            c.set_timeout(Duration::from_secs(5));
            let sent = c.try_send_raw(&encode_cmd(&["PING"])).is_ok();
            if sent && c.try_read_reply().is_ok_and(|r| r == b"+PONG\r\n") {
                return Ok(Outcome::Served);
            }
        }
        if Instant::now() > deadline {
            return Err(format!(
                "neither served nor exited within {START_TIMEOUT:?}:\n{}",
                server.logs()
            ));
        }
        thread::sleep(Duration::from_millis(5));
    }
}

/// Fails `case` unless the start-up served, or exited with status 1 and
/// logged one of `names` (the file it refused, or what its message calls it).
fn assert_clean_start_or_exit(
    run: &Run,
    case: &Case,
    outcome: Result<Outcome, String>,
    names: &[&str],
    input: &[u8],
) {
    let what = || format!("{} holding {}", names[0], escape(input));
    match outcome {
        Ok(Outcome::Served) => {}
        Ok(Outcome::Exited(status, logs)) => {
            if status.code() != Some(1) {
                run.fail(
                    case,
                    &format!("start-up on {} ended with {status}:\n{logs}", what()),
                );
            }
            if !names.iter().any(|n| logs.contains(n)) {
                run.fail(
                    case,
                    &format!(
                        "start-up on {} exited without naming the file:\n{logs}",
                        what()
                    ),
                );
            }
        }
        Err(e) => run.fail(case, &format!("start-up on {}: {e}", what())),
    }
}

/// A snapshot ferrodis wrote of random keys.
fn ferrodis_snapshot() -> Vec<u8> {
    let server = TestServer::start();
    let mut c = server.conn();
    let mut rng = Rng::new(11);
    for i in 0..30 {
        c.call(&[&b"SET"[..], format!("k:{i}").as_bytes(), &value(&mut rng)]);
    }
    c.call(&["PEXPIRE", "k:1", "100000000"]);
    assert_eq!(c.call(&["SAVE"]), b"+OK\r\n");
    fs::read(server.dir().join("dump.rdb")).expect("ferrodis saved dump.rdb")
}

#[test]
fn server_start_on_damaged_rdb() {
    let mut valid = vec![ferrodis_snapshot()];
    valid.extend(redis_files().snapshots.iter().cloned());
    let mut run = Run::new("server rdb start-up", AGAINST_SERVER);
    while let Some(mut case) = run.next_case() {
        let rng = &mut case.rng;
        let source = &valid[rng.below(valid.len())];
        let input = if rng.chance(25) {
            truncate(rng, source)
        } else {
            mutate(rng, source, RDB_TOKENS)
        };
        let dir = Scratch(temp_dir("fuzz-rdb"));
        if let Err(e) = fs::write(dir.0.join("dump.rdb"), &input) {
            run.fail(&case, &format!("cannot write dump.rdb: {e}"));
        }
        let checksum = if rng.chance(50) { "yes" } else { "no" };
        let outcome = start_on(&dir.0, &["--rdbchecksum", checksum]);
        assert_clean_start_or_exit(&run, &case, outcome, &["dump.rdb"], &input);
    }
}

/// An append-only directory's files, manifest first, by name.
type AofFiles = Vec<(String, Vec<u8>)>;

/// The files ferrodis writes for an AOF with a base and commands after it.
fn ferrodis_aof() -> AofFiles {
    let server = TestServer::start_with(&["--appendonly", "yes"]);
    let mut c = server.conn();
    let mut rng = Rng::new(12);
    for i in 0..10 {
        c.call(&[
            &b"SET"[..],
            format!("before:{i}").as_bytes(),
            &value(&mut rng),
        ]);
    }
    c.call(&["BGREWRITEAOF"]);
    assert!(wait_until(Duration::from_secs(20), || {
        info_field(&mut c, "persistence", "aof_rewrite_in_progress").as_deref() == Some("0")
            && info_field(&mut c, "persistence", "aof_rewrite_scheduled").as_deref() == Some("0")
    }));
    for i in 0..10 {
        c.call(&[
            &b"SET"[..],
            format!("after:{i}").as_bytes(),
            &value(&mut rng),
        ]);
        c.call(&["PEXPIRE", &format!("after:{i}"), "100000000"]);
    }
    aof_files(&server.dir().join("appendonlydir"))
}

/// The manifest in `dir` and the files it names.
fn aof_files(dir: &Path) -> AofFiles {
    let read = |name: &str| fs::read(dir.join(name)).expect("the AOF files exist");
    let manifest = read("appendonly.aof.manifest");
    let names: Vec<String> = Manifest::parse(&manifest)
        .expect("a valid manifest")
        .live_files()
        .map(|f| f.name.clone())
        .collect();
    let mut files = vec![("appendonly.aof.manifest".to_string(), manifest)];
    files.extend(names.into_iter().map(|n| {
        let bytes = read(&n);
        (n, bytes)
    }));
    files
}

#[test]
fn server_start_on_damaged_aof() {
    let redis = redis_files();
    let sets = [
        ferrodis_aof(),
        vec![
            (
                "appendonly.aof.manifest".to_string(),
                redis.manifest.clone(),
            ),
            (
                "appendonly.aof.2.base.rdb".to_string(),
                redis.aof_base.clone(),
            ),
            (
                "appendonly.aof.2.incr.aof".to_string(),
                redis.aof_incr.clone(),
            ),
        ],
    ];
    let mut run = Run::new("server aof start-up", AGAINST_SERVER);
    while let Some(mut case) = run.next_case() {
        let rng = &mut case.rng;
        let files = &sets[rng.below(sets.len())];
        let damaged = rng.below(files.len());
        let dir = Scratch(temp_dir("fuzz-aof"));
        let aof = dir.0.join("appendonlydir");
        let mut input = Vec::new();
        for (i, (name, bytes)) in files.iter().enumerate() {
            let bytes = if i != damaged {
                bytes.clone()
            } else {
                input = match (i, rng.below(4)) {
                    (_, 0) => truncate(rng, bytes),
                    (0, _) => mutate(rng, bytes, MANIFEST_TOKENS),
                    (_, 1) => mutate(rng, bytes, RDB_TOKENS),
                    _ => mutate(rng, bytes, AOF_TOKENS),
                };
                input.clone()
            };
            if let Err(e) = fs::create_dir_all(&aof).and_then(|()| fs::write(aof.join(name), bytes))
            {
                run.fail(&case, &format!("cannot write {name}: {e}"));
            }
        }
        let truncated = if rng.chance(50) { "yes" } else { "no" };
        let outcome = start_on(
            &dir.0,
            &["--appendonly", "yes", "--aof-load-truncated", truncated],
        );
        // Redis's messages about a manifest do not name it, but say what
        // it is, or name the file it points to.
        let names: &[&str] = match damaged {
            0 => &["MANIFEST", "AOF file", "append only file", "RDB base file"],
            _ => &[&files[damaged].0],
        };
        assert_clean_start_or_exit(&run, &case, outcome, names, &input);
    }
}
