//! `DEBUG`: the subcommands tests and operators rely on: OBJECT, SLEEP,
//! SET-ACTIVE-EXPIRE, PANIC, PROTOCOL, POPULATE, RELOAD, LOADAOF, LOG, DIGEST, DIGEST-VALUE,
//! LISTPACK, QUICKLIST and QUICKLIST-PACKED-THRESHOLD. Like Redis, the command is refused
//! unless `enable-debug-command` allows it (dispatch checks that).

use super::{parse_int, reply_help, Args, CmdError, CmdResult};
use crate::persistence::rdb;
use crate::server::client::Client;
use crate::server::Server;
use crate::storage::digest;
use crate::storage::hash::Hash;
use crate::storage::quicklist;
use crate::storage::value::{Bytes, Str, Value, EMBSTR_MAX};
use std::io::Write;

const HELP: &[&str] = &[
    "DIGEST",
    "    Output a hex signature representing the current DB content.",
    "DIGEST-VALUE <key> [<key> ...]",
    "    Output a hex signature of the values of all the specified keys.",
    "LOG <message>",
    "    Write <message> to the server log.",
    "LOADAOF",
    "    Flush the AOF buffers on disk and reload the AOF in memory.",
    "OBJECT <key>",
    "    Show low level info about `key` and associated value.",
    "PANIC",
    "    Crash the server simulating a panic.",
    "PROTOCOL <type>",
    "    Reply with a test value of the specified type. <type> can be: string,",
    "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
    "    true, false.",
    "POPULATE <count> [<prefix>] [<size>]",
    "    Create <count> string keys named key:<num>. If <prefix> is specified then",
    "    it is used instead of the 'key' prefix. These are not propagated to",
    "    replicas. Cluster slots are not respected so keys not belonging to the",
    "    current node can be created in cluster mode.",
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
    "SET-ACTIVE-EXPIRE <0|1>",
    "    Setting it to 0 disables expiring keys in background when they are not",
    "    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
    "    default.",
    "QUICKLIST-PACKED-THRESHOLD <size>",
    "    Sets the threshold for elements to be inserted as plain vs packed nodes",
    "    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
    "SLEEP <seconds>",
    "    Stop the server for <seconds>. Decimals allowed.",
    "LISTPACK <key>",
    "    Show low level info about the listpack encoding of <key>.",
    "QUICKLIST <key> [<0|1>]",
    "    Show low level info about the quicklist encoding of <key>.",
    "    The optional argument (0 by default) sets the level of detail",
];

/// `DEBUG <subcommand> ...`
pub fn debug(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let n = args.len();
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
        srv.expire.disabled = leading_int(args.get(2)) == 0;
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
        let full = n == 4 && leading_int(args.get(3)) != 0;
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
    } else {
        return Err(super::subcommand_syntax(args));
    }
    Ok(())
}

/// `DEBUG OBJECT key`
fn object(srv: &mut Server, c: &mut Client, key: &[u8]) -> CmdResult {
    let id = srv
        .lookup_read(c.db, key, true)
        .ok_or(CmdError::NoSuchKey)?;
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
    let id = srv
        .lookup_read(c.db, key, true)
        .ok_or(CmdError::NoSuchKey)?;
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
    let id = srv
        .lookup_read(c.db, key, true)
        .ok_or(CmdError::NoSuchKey)?;
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

/// The longest leading decimal number, as `strtod` reads it (0 when none).
fn leading_float(s: &[u8]) -> f64 {
    let text = String::from_utf8_lossy(s);
    let t = text.trim_start();
    (1..=t.len())
        .rev()
        .find_map(|end| t.get(..end).and_then(|p| p.parse::<f64>().ok()))
        .unwrap_or(0.0)
}

/// The leading integer, as `atoi` reads it (0 when none).
fn leading_int(s: &[u8]) -> i64 {
    let text = String::from_utf8_lossy(s);
    let t = text.trim_start();
    let end = t
        .char_indices()
        .take_while(|&(i, ch)| ch.is_ascii_digit() || (i == 0 && (ch == '-' || ch == '+')))
        .count();
    t[..end].parse().unwrap_or(0)
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
