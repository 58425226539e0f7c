//! `DEBUG`: the subcommands tests and operators rely on, from OBJECT,
//! RELOAD and DIGEST to the switches and crashes Redis's own test suite
//! uses (PAUSE-CRON, SET-SKIP-CHECKSUM-VALIDATION, ASSERT, RESTART ...).
//! Like Redis, the command is refused unless `enable-debug-command` allows
//! it (dispatch checks that). Left out: what needs jemalloc (MALLCTL),
//! cluster mode (CLUSTERLINK, DROP-CLUSTER-PACKET-FILTER) or client
//! eviction (CLIENT-EVICTION); those answer as unknown subcommands.
//! REPLYBUFFER steers the timed sweep's reply buffer resizing
//! (`ReplyBuf::resize`).

use super::{atoi, parse_int, reply_help, Args, CmdError, CmdResult};
use crate::persistence::rdb;
use crate::server::client::Client;
use crate::server::Server;
use crate::storage::digest;
use crate::storage::glob::glob_match;
use crate::storage::hash::Hash;
use crate::storage::quicklist;
use crate::storage::set::Set;
use crate::storage::value::{Bytes, Str, Value, EMBSTR_MAX};
use crate::storage::zset::ZSet;
use std::io::Write;

const HELP: &[&str] = &[
    "AOF-FLUSH-SLEEP <microsec>",
    "    Server will sleep before flushing the AOF, this is used for testing.",
    "ASSERT",
    "    Crash by assertion failed.",
    "CHANGE-REPL-ID",
    "    Change the replication IDs of the instance.",
    "    Dangerous: should be used only for testing the replication subsystem.",
    "CONFIG-REWRITE-FORCE-ALL",
    "    Like CONFIG REWRITE but writes all configuration options, including",
    "    keywords not listed in original configuration file or default values.",
    "CRASH-AND-RECOVER [<milliseconds>]",
    "    Hard crash and restart after a <milliseconds> delay (default 0).",
    "DIGEST",
    "    Output a hex signature representing the current DB content.",
    "DIGEST-VALUE <key> [<key> ...]",
    "    Output a hex signature of the values of all the specified keys.",
    "ERROR <string>",
    "    Return a Redis protocol error with <string> as message. Useful for clients",
    "    unit tests to simulate Redis errors.",
    "LEAK <string>",
    "    Create a memory leak of the input string.",
    "LOG <message>",
    "    Write <message> to the server log.",
    "HTSTATS <dbid>",
    "    Return hash table statistics of the specified Redis database.",
    "HTSTATS-KEY <key>",
    "    Like HTSTATS but for the hash table stored at <key>'s value.",
    "LOADAOF",
    "    Flush the AOF buffers on disk and reload the AOF in memory.",
    "REPLICATE <string>",
    "    Replicates the provided string to replicas, allowing data divergence.",
    "OBJECT <key>",
    "    Show low level info about `key` and associated value.",
    "OOM",
    "    Crash the server simulating an out-of-memory error.",
    "PANIC",
    "    Crash the server simulating a panic.",
    "POPULATE <count> [<prefix>] [<size>]",
    "    Create <count> string keys named key:<num>. If <prefix> is specified then",
    "    it is used instead of the 'key' prefix. These are not propagated to",
    "    replicas. Cluster slots are not respected so keys not belonging to the",
    "    current node can be created in cluster mode.",
    "PROTOCOL <type>",
    "    Reply with a test value of the specified type. <type> can be: string,",
    "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
    "    true, false.",
    "RELOAD [option ...]",
    "    Save the RDB on disk and reload it back to memory. Valid <option> values:",
    "    * MERGE: conflicting keys will be loaded from RDB.",
    "    * NOFLUSH: the existing database will not be removed before load, but",
    "      conflicting keys will generate an exception and kill the server.",
    "    * NOSAVE: the database will be loaded from an existing RDB file.",
    "    Examples:",
    "    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
    "      the database.",
    "    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
    "      existing RDB file.",
    "    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
    "      file to the database.",
    "RESTART [<milliseconds>]",
    "    Graceful restart: save config, db, restart after a <milliseconds> delay (default 0).",
    "SDSLEN <key>",
    "    Show low level SDS string info representing `key` and value.",
    "SEGFAULT",
    "    Crash the server with sigsegv.",
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they are not",
    "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
    "    default.",
    "QUICKLIST-PACKED-THRESHOLD <size>",
    "    Sets the threshold for elements to be inserted as plain vs packed nodes",
    "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
    "SET-SKIP-CHECKSUM-VALIDATION <0|1>",
    "    Enables or disables checksum checks for RDB files and RESTORE's payload.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
    "STRINGMATCH-TEST",
    "    Run a fuzz tester against the stringmatchlen() function.",
    "LISTPACK <key>",
    "    Show low level info about the listpack encoding of <key>.",
    "QUICKLIST <key> [<0|1>]",
    "    Show low level info about the quicklist encoding of <key>.",
    "    The optional argument (0 by default) sets the level of detail",
    "PAUSE-CRON <0|1>",
    "    Stop periodic cron job processing.",
    "REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>",
    "    Sets the time (in milliseconds) to wait between client reply buffer peak resets.",
    "    In case NEVER is provided the last observed peak will never be reset",
    "    In case RESET is provided the peak reset time will be restored to the default value",
    "REPLYBUFFER RESIZING <0|1>",
    "    Enable or disable the reply buffer resize cron job",
];

/// `DEBUG <subcommand> ...`
pub fn debug(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let n = args.len();
    // These rebuild, fill or save the dataset a load is still filling.
    let rebuilds = ["reload", "loadaof", "populate", "restart"];
    if srv.is_loading() && rebuilds.iter().any(|s| args.is(1, s)) {
        return Err(CmdError::Loading);
    }
    if args.is(1, "help") && n == 2 {
        reply_help(c, args, HELP);
    } else if args.is(1, "object") && n == 3 {
        object(srv, c, args.get(2))?;
    } else if args.is(1, "sleep") && n == 3 {
        // Redis reads the number with strtod and ignores what is not a number.
        let secs = leading_float(args.get(2));
        if secs > 0.0 && secs.is_finite() {
            std::thread::sleep(std::time::Duration::from_secs_f64(secs));
        }
        c.reply.ok();
    } else if args.is(1, "protocol") && n == 3 {
        protocol(c, args.get(2))?;
    } else if args.is(1, "panic") && n == 2 {
        // A real panic: the crash report and exit are what is tested.
        panic!(
            "DEBUG PANIC called at Unix time {}",
            srv.clock.now_ms / 1000
        );
    } else if args.is(1, "set-active-expire") && n == 3 {
        srv.expire.disabled = atoi(args.get(2)) == 0;
        c.reply.ok();
    } else if args.is(1, "populate") && (3..=5).contains(&n) {
        populate(srv, c, args)?;
    } else if args.is(1, "reload") {
        reload(srv, c, args)?;
    } else if args.is(1, "loadaof") && n == 2 {
        srv.debug_loadaof();
        c.reply.ok();
    } else if args.is(1, "digest") && n == 2 {
        let digest = digest::dataset_digest((0..srv.db_count()).map(|i| srv.db(i)));
        c.reply.simple(digest::hex(&digest).as_bytes());
    } else if args.is(1, "digest-value") && n >= 2 {
        // Logically expired keys count too, as in Redis: looked up as
        // at time 0, when no deadline has passed.
        c.reply.array_len(n - 2);
        for key in args.iter().skip(2) {
            let db = srv.db(c.db);
            let found = db.peek(key, 0);
            c.reply
                .simple(digest::hex(&digest::key_digest(db, found)).as_bytes());
        }
    } else if args.is(1, "listpack") && n == 3 {
        listpack(srv, c, args.get(2))?;
    } else if args.is(1, "quicklist") && (n == 3 || n == 4) {
        let full = n == 4 && atoi(args.get(3)) != 0;
        quicklist(srv, c, args.get(2), full)?;
    } else if args.is(1, "quicklist-packed-threshold") && n == 3 {
        let ok = crate::config::memtoull(args.get(2)).is_some_and(quicklist::set_packed_threshold);
        if !ok {
            return Err(CmdError::Message(
                "ERR argument must be a memory value bigger than 1 and smaller than 4gb".into(),
            ));
        }
        c.reply.ok();
    } else if args.is(1, "log") && n == 3 {
        log::warn!("DEBUG LOG: {}", String::from_utf8_lossy(args.get(2)));
        c.reply.ok();
    } else if args.is(1, "error") && n == 3 {
        // The text is the whole error line, code included, and is not
        // counted in the error statistics: tests use it to fake any error.
        c.reply.error_line(args.get(2));
    } else if (args.is(1, "leak") || args.is(1, "replicate")) && n == 3 {
        // LEAK exists for leak detectors, which this allocator has no use
        // for; REPLICATE feeds only replicas, and there are none.
        c.reply.ok();
    } else if args.is(1, "sdslen") && n == 3 {
        sdslen(srv, c, args.get(2))?;
    } else if args.is(1, "htstats") && n == 3 {
        let db = usize::try_from(parse_int(args.get(2))?)
            .ok()
            .filter(|&d| d < srv.db_count())
            .ok_or_else(|| CmdError::Message("ERR Out of range database".into()))?;
        c.reply.verbatim(srv.db(db).htstats().as_bytes());
    } else if args.is(1, "htstats-key") && n == 3 {
        htstats_key(srv, c, args.get(2))?;
    } else if args.is(1, "stringmatch-test") && n == 2 {
        stringmatch_test(srv.clock.now_us);
        c.reply
            .simple(b"Apparently Redis did not crash: test passed");
    } else if args.is(1, "change-repl-id") && n == 2 {
        log::warn!("Changing replication IDs after receiving DEBUG change-repl-id");
        srv.master_replid = crate::server::random_hex40();
        c.reply.ok();
    } else if args.is(1, "set-skip-checksum-validation") && n == 3 {
        srv.debug.skip_checksum_validation = atoi(args.get(2)) != 0;
        c.reply.ok();
    } else if args.is(1, "aof-flush-sleep") && n == 3 {
        srv.debug.aof_flush_sleep_us = u64::try_from(atoi(args.get(2))).unwrap_or(0);
        c.reply.ok();
    } else if args.is(1, "pause-cron") && n == 3 {
        srv.debug.cron_paused = atoi(args.get(2)) != 0;
        c.reply.ok();
    } else if args.is(1, "replybuffer") && n == 4 {
        if args.is(2, "peak-reset-time") {
            srv.debug.reply_peak_reset_ms = if args.is(3, "never") {
                -1
            } else if args.is(3, "reset") {
                crate::server::REPLY_PEAK_RESET_MS
            } else {
                parse_int(args.get(3))?
            };
        } else if args.is(2, "resizing") {
            srv.debug.reply_resizing = atoi(args.get(3)) != 0;
        } else {
            return Err(super::subcommand_syntax(args));
        }
        c.reply.ok();
    } else if args.is(1, "config-rewrite-force-all") && n == 2 {
        srv.config.rewrite_all().map_err(|e| {
            CmdError::Message(format!("ERR CONFIG-REWRITE-FORCE-ALL failed: {e}").into())
        })?;
        c.reply.ok();
    } else if args.is(1, "assert") && n == 2 {
        std::panic::panic_any(crate::server::crash::Assertion("1 == 2"));
    } else if args.is(1, "segfault") && n == 2 {
        crate::server::crash::raise_fatal(libc::SIGSEGV);
    } else if args.is(1, "oom") && n == 2 {
        crate::server::crash::out_of_memory(usize::MAX);
    } else if (args.is(1, "restart") || args.is(1, "crash-and-recover")) && n <= 3 {
        let delay_ms = if n == 3 {
            u64::try_from(parse_int(args.get(2))?).unwrap_or(0)
        } else {
            0
        };
        srv.restart(args.is(1, "restart"), delay_ms);
        return Err(CmdError::Message(
            "ERR failed to restart the server. Check server logs.".into(),
        ));
    } else {
        return Err(super::subcommand_syntax(args));
    }
    Ok(())
}

/// `DEBUG OBJECT key`
fn object(srv: &mut Server, c: &mut Client, key: &[u8]) -> CmdResult {
    let id = srv.lookup_untouched(c.db, key).ok_or(CmdError::NoSuchKey)?;
    let db = srv.db(c.db);
    let value = db.value(id);
    let mut encoded = Vec::new();
    rdb::value::write(&mut encoded, value, srv.config.rdbcompression);
    // Redis reports the value's serialized size without its type byte.
    let serialized = encoded.len() - 1;
    let lru = db.lru(id);
    let mut line = format!(
        "Value at:{:p} refcount:{} encoding:{} serializedlength:{serialized} lru:{lru} lru_seconds_idle:{}",
        value as *const Value,
        value.refcount(super::keys::shares_integers(srv)),
        value.encoding(),
        srv.idle_secs(lru),
    );
    if let Value::List(l) = value {
        let st = l.stats();
        let avg = st.count as f64 / st.nodes as f64;
        line.push_str(&format!(
            " ql_nodes:{} ql_avg_node:{avg:.2} ql_listpack_max:{} ql_compressed:{} ql_uncompressed_size:{}",
            st.nodes,
            st.fill,
            u8::from(st.depth != 0),
            st.uncompressed
        ));
    }
    c.reply.simple(line.as_bytes());
    Ok(())
}

/// `DEBUG LISTPACK key`: prints the listpack on standard output, as Redis
/// does; in Redis 7.0 only small hashes are bare listpacks.
fn listpack(srv: &mut Server, c: &mut Client, key: &[u8]) -> CmdResult {
    let id = srv.lookup_untouched(c.db, key).ok_or(CmdError::NoSuchKey)?;
    let Value::Hash(h) = srv.db(c.db).value(id) else {
        return Err(CmdError::Message(
            "ERR Not a listpack encoded object.".into(),
        ));
    };
    let Hash::Listpack(lp) = h else {
        return Err(CmdError::Message(
            "ERR Not a listpack encoded object.".into(),
        ));
    };
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(&lp.repr());
    let _ = stdout.flush();
    c.reply.simple(b"Listpack structure printed on stdout");
    Ok(())
}

/// `DEBUG QUICKLIST key [0|1]`: prints the list's nodes on standard output.
fn quicklist(srv: &mut Server, c: &mut Client, key: &[u8], full: bool) -> CmdResult {
    let id = srv.lookup_untouched(c.db, key).ok_or(CmdError::NoSuchKey)?;
    match srv.db(c.db).value(id) {
        Value::List(l) => {
            print!("{}", l.repr(full));
            c.reply.simple(b"Quicklist structure printed on stdout");
            Ok(())
        }
        _ => Err(CmdError::Message(
            "ERR Not a quicklist encoded object.".into(),
        )),
    }
}

/// `DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]`: save, empty the keyspace and
/// load the file back. Where Redis stops the process on a file it cannot
/// load (or a conflicting key with NOFLUSH), this replies with an error and
/// keeps none of that file's keys.
fn reload(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let (mut merge, mut flush, mut save) = (false, true, true);
    for opt in args.iter().skip(2) {
        if opt.eq_ignore_ascii_case(b"merge") {
            merge = true;
        } else if opt.eq_ignore_ascii_case(b"noflush") {
            flush = false;
        } else if opt.eq_ignore_ascii_case(b"nosave") {
            save = false;
        } else {
            return Err(CmdError::ReloadOption);
        }
    }
    if save && !srv.save_now() {
        return Err(CmdError::SaveFailed);
    }
    if let Err(e) = srv.reload(flush, merge) {
        log::warn!(
            "Error loading {} for DEBUG RELOAD: {e}",
            srv.config.dbfilename
        );
        return Err(CmdError::ReloadFailed);
    }
    log::warn!("DB reloaded by DEBUG RELOAD");
    c.reply.ok();
    Ok(())
}

/// A non-negative count, with Redis's message for anything else.
fn positive(arg: &[u8]) -> Result<usize, CmdError> {
    match parse_int(arg) {
        Ok(v) if v >= 0 => Ok(v as usize),
        _ => Err(CmdError::Message(
            "ERR value is out of range, must be positive".into(),
        )),
    }
}

/// `DEBUG POPULATE count [prefix] [size]`: keys `prefix:N` holding
/// `value:N`, cut or zero-padded to `size`; existing keys are left alone.
fn populate(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let count = positive(args.get(2))?;
    let size = if args.len() == 5 {
        positive(args.get(4))?
    } else {
        0
    };
    let prefix = if args.len() >= 4 { args.get(3) } else { b"key" };
    let mut key = Vec::with_capacity(prefix.len() + 21);
    for j in 0..count {
        key.clear();
        key.extend_from_slice(prefix);
        key.push(b':');
        key.extend_from_slice(j.to_string().as_bytes());
        if srv.lookup_write(c.db, &key).is_some() {
            continue;
        }
        let mut value = format!("value:{j}").into_bytes();
        if size > 0 {
            value.resize(size, 0);
        }
        // Written as Redis's createStringObject does: never int-encoded.
        let s = if value.len() <= EMBSTR_MAX {
            Str::Embstr(Bytes::new(&value))
        } else {
            Str::Raw(Box::new(value))
        };
        srv.db_add(c.db, &key, Value::Str(s));
    }
    c.reply.ok();
    Ok(())
}

/// `DEBUG SDSLEN key`: the lengths and heap sizes of a string key and its
/// value. Short strings live inline here, with no heap allocation at all.
fn sdslen(srv: &mut Server, c: &mut Client, key: &[u8]) -> CmdResult {
    let id = srv.lookup_untouched(c.db, key).ok_or(CmdError::NoSuchKey)?;
    let db = srv.db(c.db);
    let (val_len, val_avail, val_heap) = match db.value(id) {
        Value::Str(Str::Embstr(b)) => (b.as_slice().len(), 0, b.heap_size()),
        Value::Str(Str::Raw(v)) => (v.len(), v.capacity() - v.len(), v.capacity()),
        _ => return Err(CmdError::Message("ERR Not an sds encoded string.".into())),
    };
    let k = db.key(id);
    let line = format!(
        "key_sds_len:{}, key_sds_avail:0, key_zmalloc: {}, val_sds_len:{val_len}, val_sds_avail:{val_avail}, val_zmalloc: {val_heap}",
        k.as_slice().len(),
        k.heap_size()
    );
    c.reply.simple(line.as_bytes());
    Ok(())
}

/// `DEBUG HTSTATS-KEY key`: the bucket statistics of a hash, set or sorted
/// set kept as a hash table.
fn htstats_key(srv: &mut Server, c: &mut Client, key: &[u8]) -> CmdResult {
    let id = srv.lookup_untouched(c.db, key).ok_or(CmdError::NoSuchKey)?;
    let stats =
        match srv.db(c.db).value(id) {
            Value::Hash(Hash::Table(t)) => t.stats_message(),
            Value::Set(Set::Table(t)) => t.stats_message(),
            Value::ZSet(ZSet::Skiplist(z)) => z.dict.stats_message(),
            _ => return Err(CmdError::Message(
                "ERR The value stored at the specified key is not represented using an hash table"
                    .into(),
            )),
        };
    c.reply.verbatim(stats.as_bytes());
    Ok(())
}

/// `DEBUG STRINGMATCH-TEST`: random patterns of glob syntax against random
/// subjects, as Redis's fuzz check of its matcher; passing means not crashing.
fn stringmatch_test(seed: u64) {
    const ALPHABET: &[u8] = b"*?[]^-\\ab";
    let mut state = seed | 1;
    let mut next = || crate::server::next_random(&mut state);
    let mut pattern = Vec::new();
    let mut subject = Vec::new();
    for _ in 0..1000 {
        for buf in [&mut pattern, &mut subject] {
            buf.clear();
            let len = next() % 32;
            buf.extend((0..len).map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize]));
        }
        std::hint::black_box(glob_match(&pattern, &subject, next() % 2 == 0));
    }
}

/// The longest leading decimal number, as `strtod` reads it (0 when none).
fn leading_float(s: &[u8]) -> f64 {
    let text = String::from_utf8_lossy(s);
    let t = text.trim_start();
    (1..=t.len())
        .rev()
        .find_map(|end| t.get(..end).and_then(|p| p.parse::<f64>().ok()))
        .unwrap_or(0.0)
}

/// `DEBUG PROTOCOL <type>`: one test value of each reply type, as Redis
/// sends them in RESP3 and downgrades them in RESP2.
fn protocol(c: &mut Client, kind: &[u8]) -> CmdResult {
    let resp3 = c.reply.is_resp3();
    let kind = kind.to_ascii_lowercase();
    match kind.as_slice() {
        b"string" => c.reply.bulk(b"Hello World"),
        b"integer" => c.reply.int(12345),
        // Redis's test value, which only looks like pi.
        #[allow(clippy::approx_constant)]
        b"double" => c.reply.double(3.141),
        b"bignum" => {
            let n = b"1234567999999999999999999999999999999";
            if resp3 {
                c.reply.raw(b"(");
                c.reply.raw(n);
                c.reply.raw(b"\r\n");
            } else {
                c.reply.bulk(n);
            }
        }
        b"null" => c.reply.null(),
        b"array" | b"set" => {
            if kind == b"set" {
                c.reply.set_len(3);
            } else {
                c.reply.array_len(3);
            }
            for j in 0..3 {
                c.reply.int(j);
            }
        }
        b"map" => {
            c.reply.map_len(3);
            for j in 0..3 {
                c.reply.int(j);
                c.reply.boolean(j == 1);
            }
        }
        b"attrib" => {
            if resp3 {
                c.reply.raw(b"|1\r\n");
                c.reply.bulk(b"key-popularity");
                c.reply.array_len(2);
                c.reply.bulk(b"key:123");
                c.reply.int(90);
            }
            c.reply.bulk(b"Some real reply following the attribute");
        }
        b"push" => {
            if !resp3 {
                return Err(CmdError::Message(
                    "ERR RESP2 is not supported by this command".into(),
                ));
            }
            c.reply.push_len(2);
            c.reply.bulk(b"server-cpu-usage");
            c.reply.int(42);
            c.reply.bulk(b"Some real reply following the push reply");
        }
        b"verbatim" => c.reply.verbatim(b"This is a verbatim\nstring"),
        b"true" => c.reply.boolean(true),
        b"false" => c.reply.boolean(false),
        _ => {
            return Err(CmdError::Message(
                "ERR Wrong protocol type name. Please use one of the following: \
                 string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false"
                    .into(),
            ))
        }
    }
    Ok(())
}
