//! The loaders, in process: the RDB file loader, the DUMP payload decoder
//! (RESTORE's), the AOF command reader, the AOF file loader and the
//! manifest parser, each fed valid input and then that input truncated and
//! damaged. Valid input must load to what was encoded; a strict prefix of a
//! snapshot or payload must be refused; and nothing may panic, loop or
//! report an error without saying where (an offset, a file, a line).
//!
//! Valid input comes from ferrodis's own encoders, drawn fresh for every
//! case, and from what a real redis-server wrote ([`redis_files`]):
//! snapshots with and without compression, with LRU idle times and LFU
//! counters, DUMP payloads, and an append-only directory with an RDB
//! base, an incremental file with timestamp annotations and its manifest.

use std::collections::VecDeque;
use std::fs;
use std::io::{self, BufReader, Read};
use std::path::Path;
use std::sync::OnceLock;
use std::time::Duration;

use ferrodis::commands::{Args, CommandTable};
use ferrodis::persistence::aof::manifest::Manifest;
use ferrodis::persistence::aof::reader::{
    load_file, AofError, CommandReader, FileStatus, Replay, UnknownCommand,
};
use ferrodis::persistence::rdb::load::{load, LoadOptions};
use ferrodis::persistence::rdb::payload::{dump, restore};
use ferrodis::persistence::rdb::save::{self, Access, SaveOptions, Snapshot};
use ferrodis::persistence::rdb::value::Thresholds;
use ferrodis::storage::db::Db;
use ferrodis::storage::set::Set;
use ferrodis::storage::value::{Str, Value};

use super::engine::{Run, IN_PROCESS};
use super::mutate::{chunking, mutate, truncate, NUMBERS};
use crate::dump::sealed;
use crate::util::keyspace::{info_field, wait_until};
use crate::util::resp::{encode_cmd, escape_all};
use crate::util::rng::Rng;
use crate::util::server::temp_dir;
use crate::util::RealRedis;

/// Unix ms: deadlines the generators draw lie around it, so some keys
/// load and some are dropped as expired.
fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// What a real redis-server 7.0 wrote, for seeds.
pub struct RedisFiles {
    /// `dump.rdb` as saved with each of several settings.
    pub snapshots: Vec<Vec<u8>>,
    /// DUMP of every key.
    pub payloads: Vec<Vec<u8>>,
    pub aof_base: Vec<u8>,
    pub aof_incr: Vec<u8>,
    pub manifest: Vec<u8>,
}

/// Starts one redis-server per test process, writes keys of every string
/// encoding with and without deadlines, and collects its files.
pub fn redis_files() -> &'static RedisFiles {
    static FILES: OnceLock<RedisFiles> = OnceLock::new();
    FILES.get_or_init(|| {
        let server =
            RealRedis::start_with(&["--appendonly", "yes", "--aof-timestamp-enabled", "yes"]);
        let mut c = server.conn();
        let mut rng = Rng::new(7);
        let mut keys = Vec::new();
        for i in 0..24 {
            let key = format!("key:{i}");
            c.call(&[b"SET".as_slice(), key.as_bytes(), &value(&mut rng)]);
            if i % 3 == 0 {
                c.call(&["PEXPIREAT", &key, &(now_ms() + 3_600_000).to_string()]);
            }
            keys.push(key);
        }
        c.call(&["SELECT", "3"]);
        c.call(&["SET", "in db 3", "x"]);
        c.call(&["SELECT", "0"]);
        let payloads = keys
            .iter()
            .filter_map(|k| c.call_parsed(&["DUMP", k]).bytes().map(<[u8]>::to_vec))
            .collect();
        let mut snapshots = Vec::new();
        for (name, value) in [
            ("maxmemory-policy", "noeviction"),
            ("maxmemory-policy", "allkeys-lru"),
            ("maxmemory-policy", "allkeys-lfu"),
            ("rdbcompression", "no"),
        ] {
            c.call(&["CONFIG", "SET", name, value]);
            assert_eq!(c.call(&["SAVE"]), b"+OK\r\n");
            snapshots.push(fs::read(server.dir().join("dump.rdb")).expect("redis saved dump.rdb"));
        }
        assert_eq!(
            c.call(&["BGREWRITEAOF"]),
            b"+Background append only file rewriting started\r\n"
        );
        assert!(wait_until(Duration::from_secs(20), || {
            info_field(&mut c, "persistence", "aof_rewrite_in_progress").as_deref() == Some("0")
                && info_field(&mut c, "persistence", "aof_rewrite_scheduled").as_deref()
                    == Some("0")
        }));
        for cmd in [
            &["SET", "after", "rewrite"][..],
            &["MULTI"],
            &["INCR", "counter"],
            &["EXPIRE", "after", "1000"],
            &["EXEC"],
            &["SELECT", "5"],
            &["DEL", "nothing"],
            &["SET", "x", "y"],
        ] {
            c.call(cmd);
        }
        let aof = server.dir().join("appendonlydir");
        let read = |name: &str| fs::read(aof.join(name)).expect("redis wrote its AOF files");
        RedisFiles {
            snapshots,
            payloads,
            aof_base: read("appendonly.aof.2.base.rdb"),
            aof_incr: read("appendonly.aof.2.incr.aof"),
            manifest: read("appendonly.aof.manifest"),
        }
    })
}

/// A string value of any encoding: integers at the encoding boundaries,
/// short strings, long compressible ones (LZF) and binary.
pub(super) fn value(rng: &mut Rng) -> Vec<u8> {
    match rng.below(5) {
        0 => rng.pick(NUMBERS).to_vec(),
        1 => (rng.next() as i64 >> rng.below(64))
            .to_string()
            .into_bytes(),
        2 => {
            let len = rng.below(40);
            rng.bytes(len, &[])
        }
        3 => {
            let len = rng.between(1, 5);
            let word = rng.bytes(len, b"ab\r\n\0");
            word.repeat(rng.between(5, 400))
        }
        _ => {
            let len = rng.below(2000);
            rng.bytes(len, &[])
        }
    }
}

/// A set of random members: mostly integers (an intset, of any width,
/// unless the limit drawn makes it a table), some strings.
fn random_set(rng: &mut Rng) -> Set {
    let max_intset = rng.pick(&[512, 512, 2]);
    let member = |rng: &mut Rng| {
        if rng.chance(80) {
            (rng.next() as i64 >> rng.below(64))
                .to_string()
                .into_bytes()
        } else {
            value(rng)
        }
    };
    let first = member(rng);
    let mut set = Set::for_member(&first);
    set.add(&first, max_intset);
    for _ in 0..rng.below(20) {
        set.add(&member(rng), max_intset);
    }
    set
}

/// Databases holding a few random keys, some with deadlines (past ones too).
fn random_dbs(rng: &mut Rng, now: u64) -> Vec<Db> {
    let mut dbs: Vec<Db> = (0..16).map(|_| Db::new()).collect();
    for _ in 0..rng.below(12) {
        let db = &mut dbs[rng.pick(&[0, 0, 1, 15])];
        let key = value(rng);
        if db.find(&key, now).is_some() {
            continue;
        }
        let id = db.add(&key, Value::Str(Str::from_bytes(&value(rng))), 0);
        if rng.chance(30) {
            db.set_expire(id, now - 3_600_000 + rng.below(7_200_000) as u64);
        }
    }
    dbs
}

/// A snapshot as ferrodis writes it, with random settings.
fn ferrodis_snapshot(rng: &mut Rng, now: u64) -> Vec<u8> {
    let dbs = random_dbs(rng, now);
    let access = match rng.below(3) {
        0 => Access::None,
        1 => Access::Idle(rng.below(100_000) as u64),
        _ => Access::Freq(rng.next() as u8),
    };
    let snap = Snapshot {
        dbs: &dbs,
        now_secs: now / 1000,
        used_mem: rng.next() >> 20,
        libraries: &[],
        access: &move |_| access,
    };
    let opts = SaveOptions {
        compress: rng.chance(70),
        checksum: rng.chance(80),
        incremental_fsync: false,
        key_delay_us: 0,
        aof_base: rng.chance(20),
        parent: None,
    };
    save::write(Vec::new(), &snap, &opts).expect("writing to a Vec cannot fail")
}

/// Pieces of the RDB format to write into damaged files and payloads:
/// length prefixes claiming huge lengths, special string encodings,
/// opcodes and type bytes.
pub(super) const RDB_TOKENS: &[&[u8]] = &[
    b"\x80\xff\xff\xff\xff",
    b"\x81\xff\xff\xff\xff\xff\xff\xff\xff",
    b"\x81\x00\x00\x00\x01\x00\x00\x00\x00",
    b"\x7f\xff",
    b"\xbf",
    b"\xc0",
    b"\xc2",
    b"\xc3",
    b"\xc3\x81\xff\xff\xff\xff\xff\xff\xff\xff\x05",
    b"\xc3\x05\x80\x7f\xff\xff\xff",
    b"\xc4",
    b"\xfe\x00",
    b"\xfe\xff",
    b"\xfb\x81\xff\xff\xff\xff\xff\xff\xff\xff\x00",
    b"\xfc\xff\xff\xff\xff\xff\xff\xff\x7f",
    b"\xfd",
    b"\xfa",
    b"\xf8",
    b"\xf9",
    b"\xf5",
    b"\xf7",
    b"\xff",
    b"\x00",
    b"\x0e",
    b"REDIS0010",
    b"REDIS0004",
];

/// A file read in random pieces, as a slow disk or a pipe may return it:
/// the loaders must resume wherever a read ends.
struct Trickle<'a>(VecDeque<&'a [u8]>);

impl<'a> Trickle<'a> {
    fn new(rng: &mut Rng, input: &'a [u8]) -> Self {
        Trickle(chunking(rng, input).into())
    }
}

impl Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(piece) = self.0.pop_front() else {
            return Ok(0);
        };
        let n = piece.len().min(buf.len());
        buf[..n].copy_from_slice(&piece[..n]);
        if n < piece.len() {
            self.0.push_front(&piece[n..]);
        }
        Ok(n)
    }
}

/// The length a snapshot's reader is told: usually the file's, but a file
/// may change between its size being read and its bytes, and the length
/// sizes the read window, so any length must do.
fn claimed_len(rng: &mut Rng, len: usize) -> u64 {
    match rng.below(4) {
        0 => rng.below(2 * len + 1) as u64,
        _ => len as u64,
    }
}

/// Loads `input` as a snapshot with random settings, read in random
/// pieces: it must load or be refused with an error that names an offset
/// inside the file, and a load must account for every key it reports.
fn snapshot_loads_or_refuses(input: &[u8], rng: &mut Rng) -> Result<(), String> {
    let mut dbs: Vec<Db> = (0..rng.pick(&[1, 2, 16])).map(|_| Db::new()).collect();
    let replace = rng.chance(20);
    let opts = LoadOptions {
        now_ms: now_ms(),
        keep_expired: rng.chance(20),
        verify_checksum: rng.chance(50),
        replace_duplicates: replace,
        access: &|_, _| 0,
        thresholds: Thresholds::DEFAULT,
    };
    let len = claimed_len(rng, input.len());
    match load(Trickle::new(rng, input), len, &mut dbs, &opts) {
        Ok(stats) => {
            let held: usize = dbs.iter().map(Db::len).sum();
            if stats.end_offset > input.len() as u64 {
                return Err(format!("loaded past the end: {stats:?}"));
            }
            if !replace && stats.keys_loaded != held as u64 {
                return Err(format!("counted {stats:?}, holds {held} keys"));
            }
        }
        Err(e) => {
            let text = e.to_string();
            if e.offset > input.len() as u64 || !text.contains(" at offset ") {
                return Err(format!("unclear error: {text}"));
            }
        }
    }
    Ok(())
}

#[test]
fn rdb_snapshots() {
    let redis = redis_files();
    let mut run = Run::new("rdb snapshots", IN_PROCESS);
    while let Some(mut case) = run.next_case() {
        let rng = &mut case.rng;
        let now = now_ms();
        let valid = if rng.chance(25) {
            redis.snapshots[rng.below(redis.snapshots.len())].clone()
        } else {
            ferrodis_snapshot(rng, now)
        };
        let cut = truncate(rng, &valid);
        let mut dbs: Vec<Db> = (0..16).map(|_| Db::new()).collect();
        let opts = LoadOptions {
            now_ms: now,
            keep_expired: false,
            verify_checksum: true,
            replace_duplicates: false,
            access: &|_, _| 0,
            thresholds: Thresholds::DEFAULT,
        };
        let len = claimed_len(rng, valid.len());
        if let Err(e) = load(Trickle::new(rng, &valid), len, &mut dbs, &opts) {
            run.fail(
                &case,
                &format!("valid file {} refused: {e}", escape_all(&valid)),
            );
        }
        let mut dbs: Vec<Db> = (0..16).map(|_| Db::new()).collect();
        if load(&cut[..], cut.len() as u64, &mut dbs, &opts).is_ok() {
            run.fail(
                &case,
                &format!("the prefix {} of a snapshot loaded", escape_all(&cut)),
            );
        }
        let damaged = mutate(rng, &valid, RDB_TOKENS);
        run.check(&case, &cut, snapshot_loads_or_refuses);
        run.check(&case, &damaged, snapshot_loads_or_refuses);
    }
}

/// A payload must restore or be refused; what restores must survive
/// another DUMP and RESTORE unchanged.
fn payload_restores_or_refuses(input: &[u8], _: &mut Rng) -> Result<(), String> {
    if let Ok(v) = restore(input, &Thresholds::DEFAULT) {
        let again = restore(&dump(&v, true), &Thresholds::DEFAULT);
        if again.as_ref() != Ok(&v) {
            return Err(format!("restored {v:?}, which dumps back as {again:?}"));
        }
    }
    Ok(())
}

#[test]
fn dump_payloads() {
    let redis = redis_files();
    let mut run = Run::new("dump payloads", IN_PROCESS);
    while let Some(mut case) = run.next_case() {
        let rng = &mut case.rng;
        let (valid, want) = if rng.chance(25) {
            (
                redis.payloads[rng.below(redis.payloads.len())].clone(),
                None,
            )
        } else {
            let v = if rng.chance(30) {
                Value::Set(random_set(rng))
            } else {
                Value::Str(Str::from_bytes(&value(rng)))
            };
            (dump(&v, rng.chance(70)), Some(v))
        };
        match restore(&valid, &Thresholds::DEFAULT) {
            Ok(v) if want.as_ref().is_none_or(|w| *w == v) => {}
            other => run.fail(
                &case,
                &format!("valid payload {} restored as {other:?}", escape_all(&valid)),
            ),
        }
        let cut = truncate(rng, &valid);
        if restore(&cut, &Thresholds::DEFAULT).is_ok() {
            run.fail(
                &case,
                &format!("the prefix {} of a payload restored", escape_all(&cut)),
            );
        }
        let damaged = mutate(rng, &valid, RDB_TOKENS);
        let body = &valid[..valid.len() - 10];
        let version = if rng.chance(80) {
            10
        } else {
            rng.below(12) as u16
        };
        // Sealed anew, so the damage reaches the decoder past the checksum.
        let resealed = sealed(&mutate(rng, body, RDB_TOKENS), version);
        run.check(&case, &damaged, payload_restores_or_refuses);
        run.check(&case, &resealed, payload_restores_or_refuses);
    }
}

/// Commands with random arguments, as the AOF holds them, with timestamp
/// annotations between some, and the arguments of each.
fn aof_commands(rng: &mut Rng) -> (Vec<u8>, Vec<Vec<Vec<u8>>>) {
    let mut out = Vec::new();
    let mut commands = Vec::new();
    for _ in 0..rng.between(1, 8) {
        if rng.chance(20) {
            out.extend_from_slice(format!("#TS:{}\r\n", now_ms() / 1000).as_bytes());
        }
        let mut args = vec![rng
            .pick(&[&b"SET"[..], b"DEL", b"MULTI", b"EXEC", b"SELECT", b"INCR"])
            .to_vec()];
        for _ in 0..rng.below(4) {
            args.push(value(rng));
        }
        out.extend(encode_cmd(&args));
        commands.push(args);
    }
    (out, commands)
}

/// Pieces of the AOF format to write into damaged files.
pub(super) const AOF_TOKENS: &[&[u8]] = &[
    b"*",
    b"$",
    b"#",
    b"\r\n",
    b"\n",
    b"\r",
    b"\0",
    b"*0\r\n",
    b"*-1\r\n",
    b"$-1\r\n",
    b"#TS:1\r\n",
    b"*2147483647\r\n",
    b"$9223372036854775807\r\n",
    b"REDIS0010",
];

/// Reads every command of `input`: each read must consume bytes and stay
/// within the input, however the input ends.
fn commands_read_or_refuse(input: &[u8], rng: &mut Rng) -> Result<(), String> {
    // A small buffer over pieces, so lines and payloads span refills.
    let buffered = BufReader::with_capacity(rng.between(1, 64), Trickle::new(rng, input));
    let mut reader = CommandReader::new(buffered, 0);
    let mut last = 0;
    while let Ok(true) = reader.read_command() {
        let offset = reader.offset();
        if offset <= last || offset > input.len() as u64 {
            return Err(format!("a command ended at {offset}, after one at {last}"));
        }
        last = offset;
    }
    Ok(())
}

#[test]
fn aof_commands_read_back() {
    let redis = redis_files();
    let mut run = Run::new("aof commands", IN_PROCESS);
    while let Some(mut case) = run.next_case() {
        let rng = &mut case.rng;
        let (valid, want) = if rng.chance(20) {
            (redis.aof_incr.clone(), None)
        } else {
            let (bytes, commands) = aof_commands(rng);
            (bytes, Some(commands))
        };
        let read_all = |bytes: &[u8]| {
            let mut reader = CommandReader::new(bytes, 0);
            let mut got = Vec::new();
            let end = loop {
                match reader.read_command() {
                    Ok(true) => got.push(reader.args().to_vecs()),
                    Ok(false) => break Ok(()),
                    Err(e) => break Err(format!("{e:?}")),
                }
            };
            (got, end)
        };
        let (got, end) = read_all(&valid);
        if end.is_err() || want.as_ref().is_some_and(|w| *w != got) {
            run.fail(
                &case,
                &format!("{} read as {got:?}, then {end:?}", escape_all(&valid)),
            );
        }
        let cut = truncate(rng, &valid);
        let (prefix, end) = read_all(&cut);
        if end.as_ref().is_err_and(|e| e != "Truncated") || !got.starts_with(&prefix) {
            run.fail(
                &case,
                &format!(
                    "the prefix {} read as {prefix:?}, then {end:?}",
                    escape_all(&cut)
                ),
            );
        }
        let damaged = mutate(rng, &valid, AOF_TOKENS);
        run.check(&case, &damaged, commands_read_or_refuse);
    }
}

/// Replays into databases as the server does, minus the commands' effects:
/// a command is unknown exactly when the server's table lacks it.
struct Replayer<'a> {
    table: &'a CommandTable,
    dbs: Vec<Db>,
}

impl Replay for Replayer<'_> {
    fn exec(&mut self, args: &Args) -> Result<(), UnknownCommand> {
        self.table
            .find_top(args.get(0))
            .map(|_| ())
            .ok_or(UnknownCommand)
    }

    fn load_rdb(&mut self, file: fs::File, len: u64) -> Result<u64, String> {
        let opts = LoadOptions {
            now_ms: now_ms(),
            keep_expired: false,
            verify_checksum: true,
            replace_duplicates: false,
            access: &|_, _| 0,
            thresholds: Thresholds::DEFAULT,
        };
        load(file, len, &mut self.dbs, &opts)
            .map(|stats| stats.end_offset)
            .map_err(|e| e.to_string())
    }
}

/// Loads `input` from a file as one file of an AOF set, with random
/// settings: it must load, be cut back, or be refused with a message
/// naming the file. A file cut back must be a prefix of what it was, and
/// load again (perhaps cut once more: as in Redis, a `MULTI` inside an
/// unfinished block moves the cut to itself, leaving the outer block).
fn aof_file_loads_or_refuses(
    input: &[u8],
    rng: &mut Rng,
    dir: &Path,
    table: &CommandTable,
) -> Result<(), String> {
    let name = "appendonly.aof.1.incr.aof";
    let path = dir.join(name);
    fs::write(&path, input).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    let (last, load_truncated) = (rng.chance(80), rng.chance(60));
    let mut replay = Replayer {
        table,
        dbs: vec![Db::new()],
    };
    match load_file(&path, name, last, load_truncated, &mut replay) {
        Ok(FileStatus::Truncated) => {
            let cut = fs::read(&path).map_err(|e| format!("cannot read the cut file: {e}"))?;
            if cut.len() >= input.len() || !input.starts_with(&cut) {
                return Err(format!("cut back to {}", escape_all(&cut)));
            }
            let mut replay = Replayer {
                table,
                dbs: vec![Db::new()],
            };
            if let Err(e) = load_file(&path, name, true, true, &mut replay) {
                return Err(format!("cut back, then refused: {e}"));
            }
        }
        Ok(_) => {}
        Err(AofError::TruncatedNotLast { .. }) if !last => {}
        Err(e) => {
            let text = e.to_string();
            if !text.contains(name) {
                return Err(format!("unclear error: {text}"));
            }
        }
    }
    Ok(())
}

#[test]
fn aof_files() {
    let redis = redis_files();
    let dir = temp_dir("fuzz-aof-files");
    let table = CommandTable::new();
    let mut run = Run::new("aof files", IN_PROCESS);
    while let Some(mut case) = run.next_case() {
        let rng = &mut case.rng;
        let mut valid = match rng.below(4) {
            0 => redis.aof_base.clone(),
            1 => ferrodis_snapshot(rng, now_ms()),
            _ => Vec::new(),
        };
        if rng.chance(20) {
            valid.extend_from_slice(&redis.aof_incr);
        } else {
            valid.extend(aof_commands(rng).0);
        }
        let input = match rng.below(3) {
            0 => truncate(rng, &valid),
            1 => mutate(rng, &valid, AOF_TOKENS),
            _ => mutate(rng, &valid, RDB_TOKENS),
        };
        run.check(&case, &input, |input, rng| {
            aof_file_loads_or_refuses(input, rng, &dir, &table)
        });
    }
    let _ = fs::remove_dir_all(&dir);
}

/// A manifest as ferrodis writes one, for a random file name prefix
/// (blanks, quotes and escapes make the names need quoting).
fn ferrodis_manifest(rng: &mut Rng) -> Vec<u8> {
    let len = rng.between(1, 12);
    let prefix = String::from_utf8_lossy(&rng.bytes(len, b"ab. \"'\\\t\x01")).into_owned();
    let mut m = Manifest::default();
    for _ in 0..rng.below(4) {
        m.new_base(&prefix, rng.chance(50));
        for _ in 0..rng.below(3) {
            m.new_incr(&prefix);
        }
        m.retire_incrs(rng.below(2));
    }
    m.render()
}

/// Pieces of a manifest to write into damaged ones.
pub(super) const MANIFEST_TOKENS: &[&[u8]] = &[
    b"file ", b"seq ", b"type ", b" b", b" h", b" i", b"\"", b"'", b"\\", b"/", b"\n", b"#", b" ",
    b"\\x00",
];

/// A manifest must parse or be refused; one that parses must come back
/// the same after being written out again (unless it lists no file: only
/// comments parse, but nothing at all is refused as empty).
fn manifest_parses_or_refuses(input: &[u8], _: &mut Rng) -> Result<(), String> {
    if let Ok(m) = Manifest::parse(input) {
        let text = m.render();
        if text.is_empty() {
            return Ok(());
        }
        let again = Manifest::parse(&text);
        if again.as_ref() != Ok(&m) {
            return Err(format!(
                "parsed {m:?}, written as {}, parsed again as {again:?}",
                escape_all(&text)
            ));
        }
    }
    Ok(())
}

#[test]
fn aof_manifests() {
    let redis = redis_files();
    let mut run = Run::new("aof manifests", IN_PROCESS);
    while let Some(mut case) = run.next_case() {
        let rng = &mut case.rng;
        let valid = if rng.chance(25) {
            redis.manifest.clone()
        } else {
            ferrodis_manifest(rng)
        };
        if !valid.is_empty() && Manifest::parse(&valid).is_err() {
            run.fail(
                &case,
                &format!("valid manifest {} refused", escape_all(&valid)),
            );
        }
        let damaged = match rng.below(3) {
            0 => truncate(rng, &valid),
            _ => mutate(rng, &valid, MANIFEST_TOKENS),
        };
        run.check(&case, &damaged, manifest_parses_or_refuses);
    }
}
