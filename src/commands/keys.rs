//! Generic key commands: existence, deletion, type, pattern listing and
//! SCAN, renaming, copying and moving between databases, expiry, OBJECT,
//! and WAIT.

use super::connection::{db_in_range, parse_db_index};
use super::{parse_int, reply_help, Args, CmdError, CmdResult};
use crate::server::client::Client;
use crate::server::keyspace::event;
use crate::server::propagate::int_arg;
use crate::server::Server;
use crate::storage::dict::{Dict, DictKey, Id};
use crate::storage::glob::glob_match;

/// `DEL key [key ...]` and `UNLINK key [key ...]` (memory is freed at once
/// either way; there is no background thread).
pub fn del(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let lazy = args.is(0, "unlink") || srv.config.lazyfree_lazy_user_del;
    let mut n = 0;
    for key in args.iter().skip(1) {
        if srv.db_delete_lazy(c.db, key, lazy) {
            srv.notify_keyspace_event(event::GENERIC, "del", c.db, key);
            n += 1;
        }
    }
    srv.dirty += n;
    c.reply.int(n as i64);
    Ok(())
}

/// Replies with how many of the named keys exist; a key named twice
/// counts twice. `record_access` is TOUCH's difference from EXISTS.
fn count_existing(srv: &mut Server, c: &mut Client, args: &Args, record_access: bool) -> CmdResult {
    let n = args
        .iter()
        .skip(1)
        .filter(|key| {
            if record_access {
                srv.lookup_read(c.db, key).is_some()
            } else {
                srv.lookup_read_no_touch(c.db, key).is_some()
            }
        })
        .count();
    c.reply.int(n as i64);
    Ok(())
}

/// `EXISTS key [key ...]`
pub fn exists(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    count_existing(srv, c, args, false)
}

/// `TOUCH key [key ...]`: counts existing keys and records the access.
pub fn touch(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    count_existing(srv, c, args, true)
}

/// `TYPE key`
pub fn type_(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let name = match srv.lookup_read_no_touch(c.db, args.get(1)) {
        Some(id) => srv.db(c.db).value(id).type_name(),
        None => "none",
    };
    c.reply.simple(name.as_bytes());
    Ok(())
}

/// `KEYS pattern`: every live key matching; expired keys are skipped, not deleted.
pub fn keys(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let pattern = args.get(1);
    let all = pattern == b"*";
    let now = srv.clock.now_ms;
    let db = srv.db(c.db);
    let found: Vec<Id> = db
        .ids()
        .filter(|&id| all || glob_match(pattern, db.key(id).as_slice(), false))
        .filter(|&id| !db.is_expired(id, now))
        .collect();
    c.reply.array_len(found.len());
    for id in found {
        c.reply.bulk(db.key(id).as_slice());
    }
    Ok(())
}

/// Parses a SCAN cursor the way `strtoul` reads it in Redis: optional sign,
/// decimal digits, no leading space, no overflow; an empty string is 0.
pub fn parse_cursor(arg: &[u8]) -> Result<u64, CmdError> {
    let invalid = || CmdError::Message("ERR invalid cursor".into());
    let (neg, digits) = match arg.first() {
        Some(b'-') => (true, &arg[1..]),
        Some(b'+') => (false, &arg[1..]),
        _ => (false, arg),
    };
    if digits.is_empty() {
        // strtoul consumed nothing: Redis accepts only the empty string.
        return if arg.is_empty() {
            Ok(0)
        } else {
            Err(invalid())
        };
    }
    let mut v: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return Err(invalid());
        }
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(d - b'0')))
            .ok_or_else(invalid)?;
    }
    Ok(if neg { v.wrapping_neg() } else { v })
}

/// Options of the SCAN family (Redis's `scanGenericCommand`).
pub struct ScanOptions<'a> {
    /// MATCH's pattern; `*` counts as none.
    pub pattern: Option<&'a [u8]>,
    /// COUNT: how many elements a call aims for.
    pub count: usize,
    /// TYPE, which only SCAN accepts.
    pub type_name: Option<&'a [u8]>,
}

/// Parses MATCH, COUNT and, when `allow_type` (SCAN itself), TYPE from
/// argument `from` on.
pub fn parse_scan_options<'a>(
    args: &Args<'a>,
    from: usize,
    allow_type: bool,
) -> Result<ScanOptions<'a>, CmdError> {
    let mut o = ScanOptions {
        pattern: None,
        count: 10,
        type_name: None,
    };
    let mut i = from;
    while i < args.len() {
        let has_value = i + 1 < args.len();
        if args.is(i, "count") && has_value {
            let count = parse_int(args.get(i + 1))?;
            if count < 1 {
                return Err(CmdError::Syntax);
            }
            o.count = count as usize;
        } else if args.is(i, "match") && has_value {
            o.pattern = Some(args.get(i + 1)).filter(|p| *p != b"*");
        } else if args.is(i, "type") && has_value && allow_type {
            o.type_name = Some(args.get(i + 1));
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    Ok(o)
}

/// One call's worth of a collection's table scan, as Redis's
/// `scanGenericCommand` takes it: buckets are visited until the entries
/// found make `count` items (an entry counts as `per_entry` of them: a
/// hash field with its value as two), the cursor returns to 0, or ten
/// times COUNT buckets were visited. Returns the next cursor and the ids.
pub fn scan_dict<K: DictKey, V>(
    t: &Dict<K, V>,
    mut cursor: u64,
    count: usize,
    per_entry: usize,
) -> (u64, Vec<Id>) {
    let mut ids: Vec<Id> = Vec::new();
    let mut budget = count.saturating_mul(10);
    loop {
        cursor = t.scan(cursor, |id| ids.push(id));
        if cursor == 0 || budget == 0 || ids.len() * per_entry >= count {
            break;
        }
        budget -= 1;
    }
    (cursor, ids)
}

/// `SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]`
pub fn scan(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let mut cursor = parse_cursor(args.get(1))?;
    let ScanOptions {
        pattern,
        count,
        type_name,
    } = parse_scan_options(args, 2, true)?;
    let mut found: Vec<Id> = Vec::new();
    let mut budget = count.saturating_mul(10);
    let db = srv.db(c.db);
    loop {
        cursor = db.scan(cursor, |id| found.push(id));
        if cursor == 0 || budget == 0 || found.len() >= count {
            break;
        }
        budget -= 1;
    }
    let now = srv.clock.now_ms;
    found.retain(|&id| pattern.is_none_or(|p| glob_match(p, db.key(id).as_slice(), false)));
    // Like Redis, expired keys met on the way are deleted, not only hidden.
    // Ids stay valid across removals of other entries.
    let (expired, live): (Vec<Id>, Vec<Id>) =
        found.into_iter().partition(|&id| db.is_expired(id, now));
    for id in expired {
        srv.expire_found(c.db, id);
    }
    let db = srv.db(c.db);
    let mut found = live;
    found.retain(|&id| {
        type_name.is_none_or(|t| t.eq_ignore_ascii_case(db.value(id).type_name().as_bytes()))
    });
    c.reply.array_len(2);
    // Cursors returned by the table stay below its size, so they fit an i64.
    c.reply.bulk_int(cursor as i64);
    c.reply.array_len(found.len());
    for id in found {
        c.reply.bulk(db.key(id).as_slice());
    }
    Ok(())
}

/// `RANDOMKEY`
pub fn randomkey(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    match srv.random_key(c.db) {
        Some(id) => c.reply.bulk(srv.db(c.db).key(id).as_slice()),
        None => c.reply.null(),
    }
    Ok(())
}

/// The shared body of RENAME and RENAMENX.
fn rename_generic(srv: &mut Server, c: &mut Client, args: &Args, nx: bool) -> CmdResult {
    let (from, to) = (args.get(1), args.get(2));
    let Some(id) = srv.lookup_write(c.db, from) else {
        return Err(CmdError::NoSuchKey);
    };
    if from == to {
        if nx {
            c.reply.int(0);
        } else {
            c.reply.ok();
        }
        return Ok(());
    }
    if srv.key_exists(c.db, to) {
        if nx {
            c.reply.int(0);
            return Ok(());
        }
        srv.db_delete(c.db, to);
    }
    let (_, value, expire) = srv.take_key(c.db, id);
    srv.db_add_with_expire(c.db, to, value, expire);
    srv.notify_keyspace_event(event::GENERIC, "rename_from", c.db, from);
    srv.notify_keyspace_event(event::GENERIC, "rename_to", c.db, to);
    srv.dirty += 1;
    if nx {
        c.reply.int(1);
    } else {
        c.reply.ok();
    }
    Ok(())
}

/// `RENAME key newkey`
pub fn rename(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    rename_generic(srv, c, args, false)
}

/// `RENAMENX key newkey`
pub fn renamenx(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    rename_generic(srv, c, args, true)
}

/// `COPY source destination [DB destination-db] [REPLACE]`
pub fn copy(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let (from, to) = (args.get(1), args.get(2));
    let mut dst_db = c.db;
    let mut replace = false;
    let mut j = 3;
    while j < args.len() {
        if args.is(j, "replace") {
            replace = true;
        } else if args.is(j, "db") && j + 1 < args.len() {
            dst_db = db_in_range(srv, parse_db_index(args.get(j + 1))?)?;
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    if dst_db == c.db && from == to {
        return Err(CmdError::Message(
            "ERR source and destination objects are the same".into(),
        ));
    }
    let Some(id) = srv.lookup_read_no_touch(c.db, from) else {
        c.reply.int(0);
        return Ok(());
    };
    let value = srv.db(c.db).value(id).duplicate();
    let expire = srv.db(c.db).expire_of(id);
    if srv.lookup_write(dst_db, to).is_some() {
        if !replace {
            c.reply.int(0);
            return Ok(());
        }
        srv.db_delete(dst_db, to);
    }
    srv.db_add_with_expire(dst_db, to, value, expire);
    srv.notify_keyspace_event(event::GENERIC, "copy_to", dst_db, to);
    srv.dirty += 1;
    c.reply.int(1);
    Ok(())
}

/// `MOVE key db`
pub fn move_(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let dst = parse_db_index(args.get(2))?;
    let dst = db_in_range(srv, dst)?;
    if dst == c.db {
        return Err(CmdError::Message(
            "ERR source and destination objects are the same".into(),
        ));
    }
    let Some(id) = srv.lookup_write(c.db, args.get(1)) else {
        c.reply.int(0);
        return Ok(());
    };
    if srv.lookup_write(dst, args.get(1)).is_some() {
        c.reply.int(0);
        return Ok(());
    }
    let key = args.get(1);
    let (_, value, expire) = srv.take_key(c.db, id);
    srv.db_add_with_expire(dst, key, value, expire);
    srv.notify_keyspace_event(event::GENERIC, "move_from", c.db, key);
    srv.notify_keyspace_event(event::GENERIC, "move_to", dst, key);
    srv.dirty += 1;
    c.reply.int(1);
    Ok(())
}

/// Conditions of EXPIRE and friends.
#[derive(Default)]
struct ExpireFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

fn parse_expire_flags(args: &Args) -> Result<ExpireFlags, CmdError> {
    let mut f = ExpireFlags::default();
    for (i, opt) in args.iter().enumerate().skip(3) {
        if args.is(i, "nx") {
            f.nx = true;
        } else if args.is(i, "xx") {
            f.xx = true;
        } else if args.is(i, "gt") {
            f.gt = true;
        } else if args.is(i, "lt") {
            f.lt = true;
        } else {
            let end = opt.iter().position(|&b| b == 0).unwrap_or(opt.len());
            return Err(CmdError::Message(
                format!(
                    "ERR Unsupported option {}",
                    String::from_utf8_lossy(&opt[..end])
                )
                .into(),
            ));
        }
    }
    if f.nx && (f.xx || f.gt || f.lt) {
        return Err(CmdError::Message(
            "ERR NX and XX, GT or LT options at the same time are not compatible".into(),
        ));
    }
    if f.gt && f.lt {
        return Err(CmdError::Message(
            "ERR GT and LT options at the same time are not compatible".into(),
        ));
    }
    Ok(f)
}

/// The shared body of EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT
/// (Redis's `expireGenericCommand`).
fn expire_generic(
    srv: &mut Server,
    c: &mut Client,
    args: &Args,
    seconds: bool,
    relative: bool,
    name: &'static str,
) -> CmdResult {
    let flags = parse_expire_flags(args)?;
    let mut when = parse_int(args.get(2))?;
    let invalid = CmdError::InvalidExpireTime(name);
    if seconds {
        when = when.checked_mul(1000).ok_or(invalid.clone())?;
    }
    if relative {
        when = when.checked_add(srv.clock.now_ms as i64).ok_or(invalid)?;
    }
    let Some(id) = srv.lookup_write(c.db, args.get(1)) else {
        c.reply.int(0);
        return Ok(());
    };
    let current = srv.db(c.db).expire_of(id).map(|t| t as i64);
    let refused = (flags.nx && current.is_some())
        || (flags.xx && current.is_none())
        || (flags.gt && current.is_none_or(|cur| when <= cur))
        || (flags.lt && current.is_some_and(|cur| when >= cur));
    if refused {
        c.reply.int(0);
        return Ok(());
    }
    let key = args.get(1);
    if !apply_deadline(srv, c.db, id, key, when) {
        // Propagated as an absolute deadline; the condition flags stay.
        srv.propagator.rewrite_with(|| {
            let mut argv = vec![b"PEXPIREAT".to_vec(), key.to_vec(), int_arg(when)];
            argv.extend(args.iter().skip(3).map(<[u8]>::to_vec));
            argv
        });
    }
    srv.dirty += 1;
    c.reply.int(1);
    Ok(())
}

/// Gives entry `id` the deadline `when` (unix ms), or deletes it at once
/// when that is not in the future, propagating the deletion as Redis does.
/// Returns whether the key was deleted.
pub fn apply_deadline(srv: &mut Server, db: usize, id: Id, key: &[u8], when: i64) -> bool {
    if srv.keys_expire() && when <= srv.clock.now_ms as i64 {
        srv.delete_id(db, id);
        srv.notify_keyspace_event(event::GENERIC, "del", db, key);
        let verb = srv.expiry_deletion();
        srv.propagator
            .rewrite_with(|| vec![verb.to_vec(), key.to_vec()]);
        true
    } else {
        srv.set_expire(db, id, when as u64);
        srv.notify_keyspace_event(event::GENERIC, "expire", db, key);
        false
    }
}

/// `EXPIRE key seconds [NX|XX|GT|LT]`
pub fn expire(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    expire_generic(srv, c, args, true, true, "expire")
}

/// `PEXPIRE key milliseconds [NX|XX|GT|LT]`
pub fn pexpire(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    expire_generic(srv, c, args, false, true, "pexpire")
}

/// `EXPIREAT key unix-seconds [NX|XX|GT|LT]`
pub fn expireat(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    expire_generic(srv, c, args, true, false, "expireat")
}

/// `PEXPIREAT key unix-milliseconds [NX|XX|GT|LT]`
pub fn pexpireat(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    expire_generic(srv, c, args, false, false, "pexpireat")
}

/// The shared body of TTL, PTTL, EXPIRETIME and PEXPIRETIME.
fn ttl_generic(
    srv: &mut Server,
    c: &mut Client,
    args: &Args,
    millis: bool,
    absolute: bool,
) -> CmdResult {
    let Some(id) = srv.lookup_read_no_touch(c.db, args.get(1)) else {
        c.reply.int(-2);
        return Ok(());
    };
    let Some(when) = srv.db(c.db).expire_of(id) else {
        c.reply.int(-1);
        return Ok(());
    };
    let ms = if absolute {
        when as i64
    } else {
        (when as i64 - srv.clock.now_ms as i64).max(0)
    };
    // `ms` is never negative, so rounding in u64 cannot overflow, even for
    // a deadline at i64::MAX (Redis's arithmetic gives the same digits).
    let secs = ((ms as u64 + 500) / 1000) as i64;
    c.reply.int(if millis { ms } else { secs });
    Ok(())
}

/// `TTL key`
pub fn ttl(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    ttl_generic(srv, c, args, false, false)
}

/// `PTTL key`
pub fn pttl(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    ttl_generic(srv, c, args, true, false)
}

/// `EXPIRETIME key`
pub fn expiretime(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    ttl_generic(srv, c, args, false, true)
}

/// `PEXPIRETIME key`
pub fn pexpiretime(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    ttl_generic(srv, c, args, true, true)
}

/// `PERSIST key`
pub fn persist(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let removed = match srv.lookup_write(c.db, args.get(1)) {
        Some(id) => srv.persist(c.db, id),
        None => false,
    };
    if removed {
        srv.notify_keyspace_event(event::GENERIC, "persist", c.db, args.get(1));
        srv.dirty += 1;
    }
    c.reply.int(i64::from(removed));
    Ok(())
}

const OBJECT_HELP: &[&str] = &[
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
];

/// `OBJECT HELP`
pub fn object_help(_srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    reply_help(c, args, OBJECT_HELP);
    Ok(())
}

/// Looks a key up for OBJECT, replying nil when it is absent.
fn object_lookup(srv: &mut Server, c: &mut Client, args: &Args) -> Option<Id> {
    let id = srv.lookup_untouched(c.db, args.get(2));
    if id.is_none() {
        c.reply.null();
    }
    id
}

/// Whether Redis would share small integer objects under the current
/// memory policy (it stops once `maxmemory` with an LRU/LFU policy is set).
pub fn shares_integers(srv: &Server) -> bool {
    srv.config.maxmemory == 0 || !srv.config.maxmemory_policy.uses_lru_or_lfu()
}

/// `OBJECT ENCODING key`
pub fn object_encoding(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if let Some(id) = object_lookup(srv, c, args) {
        c.reply.bulk(srv.db(c.db).value(id).encoding().as_bytes());
    }
    Ok(())
}

/// `OBJECT REFCOUNT key`
pub fn object_refcount(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if let Some(id) = object_lookup(srv, c, args) {
        let refcount = srv.db(c.db).value(id).refcount(shares_integers(srv));
        c.reply.int(refcount);
    }
    Ok(())
}

/// `OBJECT IDLETIME key`
pub fn object_idletime(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let Some(id) = object_lookup(srv, c, args) else {
        return Ok(());
    };
    if srv.config.maxmemory_policy.is_lfu() {
        return Err(CmdError::Message(
            "ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.".into(),
        ));
    }
    let idle = srv.idle_secs(srv.db(c.db).lru(id));
    c.reply.int(idle as i64);
    Ok(())
}

/// `OBJECT FREQ key`
pub fn object_freq(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let Some(id) = object_lookup(srv, c, args) else {
        return Ok(());
    };
    if !srv.config.maxmemory_policy.is_lfu() {
        return Err(CmdError::Message(
            "ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.".into(),
        ));
    }
    let freq = srv.lfu_counter(srv.db(c.db).lru(id));
    c.reply.int(i64::from(freq));
    Ok(())
}

/// Parses WAIT's or CLIENT PAUSE's millisecond timeout.
pub fn parse_timeout_ms(arg: &[u8]) -> Result<i64, CmdError> {
    let ms = parse_int(arg).map_err(|_| CmdError::TimeoutNotInteger)?;
    if ms < 0 {
        return Err(CmdError::TimeoutNegative);
    }
    Ok(ms)
}

/// `WAIT numreplicas timeout`: there are no replicas, so the answer is 0 at once.
pub fn wait(_srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    parse_timeout_ms(args.get(2))?;
    parse_int(args.get(1))?;
    c.reply.int(0);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_cursor;

    /// The cursor is read as `strtoul` reads it: a sign is allowed (a negative
    /// number wraps), the empty string is 0, anything else must be digits.
    #[test]
    fn cursors_parse_like_strtoul() {
        assert_eq!(parse_cursor(b"0"), Ok(0));
        assert_eq!(parse_cursor(b""), Ok(0));
        assert_eq!(parse_cursor(b"+5"), Ok(5));
        assert_eq!(parse_cursor(b"-1"), Ok(u64::MAX));
        assert_eq!(parse_cursor(b"18446744073709551615"), Ok(u64::MAX));
        for bad in [
            &b"18446744073709551616"[..],
            b"abc",
            b" 1",
            b"1 ",
            b"-",
            b"+",
        ] {
            assert!(parse_cursor(bad).is_err(), "{bad:?}");
        }
    }
}
