//! String commands: GET/SET and their variants, multi-key forms, ranges,
//! counters and LCS.
//!
//! Argument checks happen in the order Redis makes them, because that order
//! decides which error a client sees when several things are wrong.

use super::introspection::KeyRef;
use super::{parse_int, Args, CmdError, CmdResult};
use crate::server::client::Client;
use crate::server::keyspace::event;
use crate::server::propagate::int_arg;
use crate::server::Server;
use crate::storage::dict::Id;
use crate::storage::float::{ld_add, AddError};
use crate::storage::value::{Str, Value};

/// The value of `id` as a string, or WRONGTYPE.
pub fn as_str(srv: &Server, db: usize, id: Id) -> Result<&Str, CmdError> {
    match srv.db(db).value(id) {
        Value::Str(s) => Ok(s),
        _ => Err(CmdError::WrongType),
    }
}

/// The value of `id` as a string to change in place, or WRONGTYPE. The
/// type is checked before the write layer hears of a change, so a refused
/// write modifies nothing.
pub fn as_str_mut(srv: &mut Server, db: usize, id: Id) -> Result<&mut Str, CmdError> {
    as_str(srv, db, id)?;
    match srv.modify(db, id) {
        Value::Str(s) => Ok(s),
        _ => Err(CmdError::WrongType),
    }
}

/// Replies with the string at `key`, nil when absent; WRONGTYPE otherwise.
/// Returns whether the key existed (Redis's `getGenericCommand`).
fn reply_value(srv: &mut Server, c: &mut Client, key: &[u8]) -> Result<Option<Id>, CmdError> {
    let Some(id) = srv.lookup_read(c.db, key) else {
        c.reply.null();
        return Ok(None);
    };
    let s = as_str(srv, c.db, id)?;
    let mut tmp = [0u8; 20];
    c.reply.bulk(s.bytes(&mut tmp));
    Ok(Some(id))
}

/// `GET key`
pub fn get(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    reply_value(srv, c, args.get(1)).map(drop)
}

/// Which command is parsing expiry options: SET allows NX/XX/GET/KEEPTTL, GETEX allows PERSIST.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Parsing {
    Set,
    GetEx,
}

/// How an expiry argument is to be read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ExpireUnit {
    /// EX: relative seconds.
    Seconds,
    /// PX: relative milliseconds.
    Millis,
    /// EXAT: absolute unix seconds.
    UnixSeconds,
    /// PXAT: absolute unix milliseconds.
    UnixMillis,
}

/// Options of SET and GETEX (Redis's `parseExtendedStringArgumentsOrReply`).
#[derive(Default)]
struct StringOptions<'a> {
    nx: bool,
    xx: bool,
    get: bool,
    keep_ttl: bool,
    persist: bool,
    expire: Option<(ExpireUnit, &'a [u8])>,
}

fn parse_options<'a>(
    args: &Args<'a>,
    from: usize,
    parsing: Parsing,
) -> Result<StringOptions<'a>, CmdError> {
    let mut o = StringOptions::default();
    let mut j = from;
    while j < args.len() {
        let has_next = j + 1 < args.len();
        let unit = if args.is(j, "ex") {
            Some(ExpireUnit::Seconds)
        } else if args.is(j, "px") {
            Some(ExpireUnit::Millis)
        } else if args.is(j, "exat") {
            Some(ExpireUnit::UnixSeconds)
        } else if args.is(j, "pxat") {
            Some(ExpireUnit::UnixMillis)
        } else {
            None
        };
        // A unit may repeat (the last wins) but not mix with another unit.
        let other_unit = o.expire.is_some_and(|(u, _)| Some(u) != unit);
        if args.is(j, "nx") && !o.xx && parsing == Parsing::Set {
            o.nx = true;
        } else if args.is(j, "xx") && !o.nx && parsing == Parsing::Set {
            o.xx = true;
        } else if args.is(j, "get") && parsing == Parsing::Set {
            o.get = true;
        } else if args.is(j, "keepttl")
            && !o.persist
            && o.expire.is_none()
            && parsing == Parsing::Set
        {
            o.keep_ttl = true;
        } else if args.is(j, "persist")
            && o.expire.is_none()
            && !o.keep_ttl
            && parsing == Parsing::GetEx
        {
            o.persist = true;
        } else if let (Some(u), true, false, false, false) =
            (unit, has_next, o.keep_ttl, o.persist, other_unit)
        {
            o.expire = Some((u, args.get(j + 1)));
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    Ok(o)
}

/// Turns an expiry argument into an absolute unix time in ms
/// (Redis's `getExpireMillisecondsOrReply`).
fn expire_at(
    arg: &[u8],
    unit: ExpireUnit,
    now_ms: u64,
    cmd: &'static str,
) -> Result<i64, CmdError> {
    let v = parse_int(arg)?;
    let invalid = CmdError::InvalidExpireTime(cmd);
    let seconds = matches!(unit, ExpireUnit::Seconds | ExpireUnit::UnixSeconds);
    if v <= 0 || (seconds && v > i64::MAX / 1000) {
        return Err(invalid);
    }
    let mut ms = if seconds { v * 1000 } else { v };
    if matches!(unit, ExpireUnit::Seconds | ExpireUnit::Millis) {
        ms = ms.checked_add(now_ms as i64).ok_or(invalid.clone())?;
    }
    if ms <= 0 {
        return Err(invalid);
    }
    Ok(ms)
}

/// Stores a string value at `key` and counts the change; `expire` is an
/// absolute unix time in ms.
fn store(srv: &mut Server, db: usize, key: &[u8], value: Str, keep_ttl: bool, expire: Option<i64>) {
    let id = srv.set_key(db, key, Value::Str(value), keep_ttl);
    srv.notify_keyspace_event(event::STRING, "set", db, key);
    if let Some(when) = expire {
        srv.set_expire(db, id, when.max(0) as u64);
        srv.notify_keyspace_event(event::GENERIC, "expire", db, key);
    }
    srv.dirty += 1;
}

/// The shared body of SET, SETNX, SETEX and PSETEX (Redis's `setGenericCommand`).
fn set_generic(
    srv: &mut Server,
    c: &mut Client,
    (key, value): (&[u8], &[u8]),
    opts: &StringOptions,
    cmd: &'static str,
) -> Result<bool, CmdError> {
    let expire = match opts.expire {
        Some((unit, arg)) => Some(expire_at(arg, unit, srv.clock.now_ms, cmd)?),
        None => None,
    };
    if opts.get {
        reply_value(srv, c, key)?;
    }
    if opts.nx || opts.xx {
        let found = srv.lookup_write(c.db, key).is_some();
        if (opts.nx && found) || (opts.xx && !found) {
            return Ok(false);
        }
    }
    store(
        srv,
        c.db,
        key,
        Str::from_bytes(value),
        opts.keep_ttl,
        expire,
    );
    if let Some(when) = expire {
        // Propagated with an absolute deadline, the other options dropped.
        srv.propagator.rewrite_with(|| {
            vec![
                b"SET".to_vec(),
                key.to_vec(),
                value.to_vec(),
                b"PXAT".to_vec(),
                int_arg(when),
            ]
        });
    }
    Ok(true)
}

/// `SET key value [NX|XX] [GET] [EX s|PX ms|EXAT ts|PXAT ts|KEEPTTL]`
pub fn set(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let opts = parse_options(args, 3, Parsing::Set)?;
    let done = set_generic(srv, c, (args.get(1), args.get(2)), &opts, "set")?;
    if done && opts.get && opts.expire.is_none() {
        // GET only shapes the reply, so Redis propagates the SET without it.
        srv.propagator.rewrite_with(|| {
            let kept = args
                .iter()
                .enumerate()
                .filter(|(i, a)| *i < 3 || !a.eq_ignore_ascii_case(b"get"));
            kept.map(|(_, a)| a.to_vec()).collect()
        });
    }
    if !opts.get {
        if done {
            c.reply.ok();
        } else {
            c.reply.null();
        }
    }
    Ok(())
}

/// SET's key flags depend on whether `GET` is among its options.
pub fn set_keys(args: &Args) -> Vec<KeyRef> {
    let with_get = (3..args.len()).any(|i| args.is(i, "get"));
    let flags: &'static [&'static str] = if with_get {
        &["RW", "access", "update"]
    } else {
        &["OW", "update"]
    };
    vec![(1, flags)]
}

/// `SETNX key value`
pub fn setnx(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let opts = StringOptions {
        nx: true,
        ..StringOptions::default()
    };
    let done = set_generic(srv, c, (args.get(1), args.get(2)), &opts, "setnx")?;
    c.reply.int(i64::from(done));
    Ok(())
}

/// `SETEX key seconds value`
pub fn setex(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    setex_generic(srv, c, args, ExpireUnit::Seconds, "setex")
}

/// `PSETEX key milliseconds value`
pub fn psetex(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    setex_generic(srv, c, args, ExpireUnit::Millis, "psetex")
}

fn setex_generic(
    srv: &mut Server,
    c: &mut Client,
    args: &Args,
    unit: ExpireUnit,
    cmd: &'static str,
) -> CmdResult {
    let opts = StringOptions {
        expire: Some((unit, args.get(2))),
        ..StringOptions::default()
    };
    set_generic(srv, c, (args.get(1), args.get(3)), &opts, cmd)?;
    c.reply.ok();
    Ok(())
}

/// `GETSET key value`
pub fn getset(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    reply_value(srv, c, args.get(1))?;
    srv.propagator
        .rewrite_with(|| vec![b"SET".to_vec(), args.get(1).to_vec(), args.get(2).to_vec()]);
    store(
        srv,
        c.db,
        args.get(1),
        Str::from_bytes(args.get(2)),
        false,
        None,
    );
    Ok(())
}

/// `GETDEL key`
pub fn getdel(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if let Some(id) = reply_value(srv, c, args.get(1))? {
        srv.delete_id(c.db, id);
        srv.notify_keyspace_event(event::GENERIC, "del", c.db, args.get(1));
        srv.dirty += 1;
        let verb: &[u8] = if srv.config.lazyfree_lazy_user_del {
            b"UNLINK"
        } else {
            b"DEL"
        };
        srv.propagator
            .rewrite_with(|| vec![verb.to_vec(), args.get(1).to_vec()]);
    }
    Ok(())
}

/// `GETEX key [EX s|PX ms|EXAT ts|PXAT ts|PERSIST]`
pub fn getex(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let opts = parse_options(args, 2, Parsing::GetEx)?;
    let Some(id) = srv.lookup_read(c.db, args.get(1)) else {
        c.reply.null();
        return Ok(());
    };
    as_str(srv, c.db, id)?;
    // The expiry is validated only once the key is known to be a string.
    let expire = match opts.expire {
        Some((unit, arg)) => Some(expire_at(arg, unit, srv.clock.now_ms, "getex")?),
        None => None,
    };
    let s = as_str(srv, c.db, id)?;
    let mut tmp = [0u8; 20];
    c.reply.bulk(s.bytes(&mut tmp));
    let key = args.get(1);
    if let Some(when) = expire {
        if !super::keys::apply_deadline(srv, c.db, id, key, when) {
            srv.propagator
                .rewrite_with(|| vec![b"PEXPIREAT".to_vec(), key.to_vec(), int_arg(when)]);
        }
        srv.dirty += 1;
    } else if opts.persist && srv.persist(c.db, id) {
        srv.notify_keyspace_event(event::GENERIC, "persist", c.db, key);
        srv.dirty += 1;
        srv.propagator
            .rewrite_with(|| vec![b"PERSIST".to_vec(), key.to_vec()]);
    }
    Ok(())
}

/// `MGET key [key ...]`: values of other types read as nil.
pub fn mget(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    c.reply.array_len(args.len() - 1);
    let mut tmp = [0u8; 20];
    for key in args.iter().skip(1) {
        match srv.lookup_read(c.db, key) {
            Some(id) => match srv.db(c.db).value(id) {
                Value::Str(s) => c.reply.bulk(s.bytes(&mut tmp)),
                _ => c.reply.null(),
            },
            None => c.reply.null(),
        }
    }
    Ok(())
}

/// MSET and MSETNX need key/value pairs; an odd count is an arity error.
fn check_pairs(args: &Args, name: &'static str) -> CmdResult {
    if args.len().is_multiple_of(2) {
        return Err(CmdError::WrongArity(name));
    }
    Ok(())
}

fn set_pairs(srv: &mut Server, c: &Client, args: &Args) {
    for i in (1..args.len()).step_by(2) {
        store(
            srv,
            c.db,
            args.get(i),
            Str::from_bytes(args.get(i + 1)),
            false,
            None,
        );
    }
}

/// `MSET key value [key value ...]`
pub fn mset(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    check_pairs(args, "mset")?;
    set_pairs(srv, c, args);
    c.reply.ok();
    Ok(())
}

/// `MSETNX key value [key value ...]`: all or nothing.
pub fn msetnx(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    check_pairs(args, "msetnx")?;
    let any = (1..args.len())
        .step_by(2)
        .any(|i| srv.lookup_write(c.db, args.get(i)).is_some());
    if !any {
        set_pairs(srv, c, args);
    }
    c.reply.int(i64::from(!any));
    Ok(())
}

/// Refuses a string that would grow past `proto-max-bulk-len` (Redis's `checkStringLength`).
fn check_length(srv: &Server, size: u64, append: u64) -> CmdResult {
    match size.checked_add(append) {
        Some(total) if total <= srv.config.proto_max_bulk_len as u64 => Ok(()),
        _ => Err(CmdError::StringTooLong),
    }
}

/// `APPEND key value`
pub fn append(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let (key, value) = (args.get(1), args.get(2));
    let len = match srv.lookup_write(c.db, key) {
        None => {
            srv.db_add(c.db, key, Value::Str(Str::from_bytes(value)));
            value.len()
        }
        Some(id) => {
            let current = as_str(srv, c.db, id)?.len();
            check_length(srv, current as u64, value.len() as u64)?;
            let raw = as_str_mut(srv, c.db, id)?.make_raw();
            raw.extend_from_slice(value);
            raw.len()
        }
    };
    srv.notify_keyspace_event(event::STRING, "append", c.db, key);
    srv.dirty += 1;
    c.reply.int(len as i64);
    Ok(())
}

/// `STRLEN key`
pub fn strlen(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let len = match srv.lookup_read(c.db, args.get(1)) {
        Some(id) => as_str(srv, c.db, id)?.len(),
        None => 0,
    };
    c.reply.int(len as i64);
    Ok(())
}

/// `GETRANGE key start end` (and its old name `SUBSTR`).
pub fn getrange(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let mut start = parse_int(args.get(2))?;
    let mut end = parse_int(args.get(3))?;
    let Some(id) = srv.lookup_read(c.db, args.get(1)) else {
        c.reply.bulk(b"");
        return Ok(());
    };
    let mut tmp = [0u8; 20];
    let s = as_str(srv, c.db, id)?.bytes(&mut tmp);
    let len = s.len() as i64;
    if start < 0 && end < 0 && start > end {
        c.reply.bulk(b"");
        return Ok(());
    }
    if start < 0 {
        start += len;
    }
    if end < 0 {
        end += len;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        c.reply.bulk(b"");
    } else {
        c.reply.bulk(&s[start as usize..=end as usize]);
    }
    Ok(())
}

/// `SETRANGE key offset value`
pub fn setrange(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let offset = parse_int(args.get(2))?;
    if offset < 0 {
        return Err(CmdError::Message("ERR offset is out of range".into()));
    }
    let offset = offset as u64;
    let value = args.get(3);
    let id = match srv.lookup_write(c.db, args.get(1)) {
        None => {
            if value.is_empty() {
                c.reply.int(0);
                return Ok(());
            }
            check_length(srv, offset, value.len() as u64)?;
            srv.db_add(c.db, args.get(1), Value::Str(Str::Raw(Box::default())))
        }
        Some(id) => {
            let current = as_str(srv, c.db, id)?.len();
            if value.is_empty() {
                c.reply.int(current as i64);
                return Ok(());
            }
            check_length(srv, offset, value.len() as u64)?;
            id
        }
    };
    let raw = as_str_mut(srv, c.db, id)?.make_raw();
    let offset = offset as usize;
    let end = offset + value.len();
    if raw.len() < end {
        raw.resize(end, 0);
    }
    raw[offset..end].copy_from_slice(value);
    let len = raw.len();
    srv.notify_keyspace_event(event::STRING, "setrange", c.db, args.get(1));
    srv.dirty += 1;
    c.reply.int(len as i64);
    Ok(())
}

/// Adds `incr` to the integer at `key` (Redis's `incrDecrCommand`); a TTL stays.
fn incr_by(srv: &mut Server, c: &mut Client, key: &[u8], incr: i64) -> CmdResult {
    let value = match srv.lookup_write(c.db, key) {
        Some(id) => {
            let s = as_str_mut(srv, c.db, id)?;
            let old = s.as_int().ok_or(CmdError::NotInteger)?;
            let new = old.checked_add(incr).ok_or(CmdError::IncrOverflow)?;
            *s = Str::Int(new);
            new
        }
        None => {
            srv.db_add(c.db, key, Value::Str(Str::Int(incr)));
            incr
        }
    };
    srv.notify_keyspace_event(event::STRING, "incrby", c.db, key);
    srv.dirty += 1;
    c.reply.int(value);
    Ok(())
}

/// `INCR key`
pub fn incr(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    incr_by(srv, c, args.get(1), 1)
}

/// `DECR key`
pub fn decr(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    incr_by(srv, c, args.get(1), -1)
}

/// `INCRBY key increment`
pub fn incrby(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let n = parse_int(args.get(2))?;
    incr_by(srv, c, args.get(1), n)
}

/// `DECRBY key decrement`
pub fn decrby(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let n = parse_int(args.get(2))?;
    let neg = n
        .checked_neg()
        .ok_or(CmdError::Message("ERR decrement would overflow".into()))?;
    incr_by(srv, c, args.get(1), neg)
}

/// `INCRBYFLOAT key increment`: computed in long double as Redis does; a TTL stays.
pub fn incrbyfloat(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let key = args.get(1);
    let id = srv.lookup_write(c.db, key);
    let current = match id {
        Some(id) => as_str(srv, c.db, id)?.to_cow().into_owned(),
        None => b"0".to_vec(),
    };
    let sum = ld_add(&current, args.get(2)).map_err(|e| match e {
        AddError::BadLeft | AddError::BadRight => CmdError::NotFloat,
        AddError::NotFinite => CmdError::IncrNanOrInfinity,
    })?;
    c.reply.bulk(&sum);
    // Propagated as the value it produced, so a replay cannot round differently.
    srv.propagator.rewrite_with(|| {
        vec![
            b"SET".to_vec(),
            key.to_vec(),
            sum.clone(),
            b"KEEPTTL".to_vec(),
        ]
    });
    // Redis stores the result as a new plain string, never as an integer.
    let value = Str::plain(&sum);
    match id {
        Some(id) => *as_str_mut(srv, c.db, id)? = value,
        None => {
            srv.db_add(c.db, key, Value::Str(value));
        }
    }
    srv.notify_keyspace_event(event::STRING, "incrbyfloat", c.db, key);
    srv.dirty += 1;
    Ok(())
}

/// `LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]`
pub fn lcs(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let mut strings: [Vec<u8>; 2] = Default::default();
    // Both keys are looked up before either is checked, as Redis does.
    let ids = [args.get(1), args.get(2)].map(|key| srv.lookup_read(c.db, key));
    for (slot, id) in strings.iter_mut().zip(ids) {
        if let Some(id) = id {
            match srv.db(c.db).value(id) {
                Value::Str(s) => *slot = s.to_cow().into_owned(),
                _ => {
                    return Err(CmdError::Message(
                        "ERR The specified keys must contain string values".into(),
                    ))
                }
            }
        }
    }
    let (mut len_only, mut idx, mut with_len, mut min_len) = (false, false, false, 0usize);
    let mut j = 3;
    while j < args.len() {
        if args.is(j, "idx") {
            idx = true;
        } else if args.is(j, "len") {
            len_only = true;
        } else if args.is(j, "withmatchlen") {
            with_len = true;
        } else if args.is(j, "minmatchlen") && j + 1 < args.len() {
            min_len = parse_int(args.get(j + 1))?.max(0) as usize;
            j += 1;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    if idx && len_only {
        return Err(CmdError::Message(
            "ERR If you want both the length and indexes, please just use IDX.".into(),
        ));
    }
    let [a, b] = &strings;
    let cells = (a.len() as u64 + 1)
        .saturating_mul(b.len() as u64 + 1)
        .saturating_mul(4);
    if cells > srv.config.proto_max_bulk_len as u64 {
        return Err(CmdError::Message(
            "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len".into(),
        ));
    }
    let table = lcs_table(a, b);
    let cols = b.len() + 1;
    let total = table[a.len() * cols + b.len()] as usize;
    if len_only {
        c.reply.int(total as i64);
        return Ok(());
    }
    let (common, matches) = lcs_walk(a, b, &table, min_len);
    if !idx {
        c.reply.bulk(&common);
        return Ok(());
    }
    c.reply.map_len(2);
    c.reply.bulk(b"matches");
    c.reply.array_len(matches.len());
    for m in matches {
        c.reply.array_len(if with_len { 3 } else { 2 });
        for (start, end) in [m.a, m.b] {
            c.reply.array_len(2);
            c.reply.int(start as i64);
            c.reply.int(end as i64);
        }
        if with_len {
            c.reply.int((m.a.1 - m.a.0 + 1) as i64);
        }
    }
    c.reply.bulk(b"len");
    c.reply.int(total as i64);
    Ok(())
}

/// A run of matching bytes: inclusive ranges in the first and second string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct LcsMatch {
    a: (usize, usize),
    b: (usize, usize),
}

/// Walks the table back from the end as Redis does, building the common
/// string and the runs of consecutive matches, last run first. A run ends
/// when the walk leaves the diagonal or reaches the start of either string;
/// runs shorter than `min_len` are left out.
fn lcs_walk(a: &[u8], b: &[u8], table: &[u32], min_len: usize) -> (Vec<u8>, Vec<LcsMatch>) {
    let cols = b.len() + 1;
    let at = |i: usize, j: usize| table[i * cols + j];
    let mut k = at(a.len(), b.len()) as usize;
    let mut common = vec![0u8; k];
    let mut matches = Vec::new();
    let mut run: Option<LcsMatch> = None;
    let (mut i, mut j) = (a.len(), b.len());
    while i > 0 && j > 0 {
        let emit = if a[i - 1] == b[j - 1] {
            k -= 1;
            common[k] = a[i - 1];
            let m = match run {
                Some(m) => LcsMatch {
                    a: (i - 1, m.a.1),
                    b: (j - 1, m.b.1),
                },
                None => LcsMatch {
                    a: (i - 1, i - 1),
                    b: (j - 1, j - 1),
                },
            };
            run = Some(m);
            i -= 1;
            j -= 1;
            m.a.0 == 0 || m.b.0 == 0
        } else {
            if at(i - 1, j) > at(i, j - 1) {
                i -= 1;
            } else {
                j -= 1;
            }
            run.is_some()
        };
        if emit {
            if let Some(m) = run.take() {
                if m.a.1 - m.a.0 + 1 >= min_len {
                    matches.push(m);
                }
            }
        }
    }
    (common, matches)
}

/// The dynamic-programming table of LCS lengths, row-major with `b.len()+1` columns.
fn lcs_table(a: &[u8], b: &[u8]) -> Vec<u32> {
    let cols = b.len() + 1;
    let mut t = vec![0u32; (a.len() + 1) * cols];
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            t[i * cols + j] = if a[i - 1] == b[j - 1] {
                t[(i - 1) * cols + j - 1] + 1
            } else {
                t[(i - 1) * cols + j].max(t[i * cols + j - 1])
            };
        }
    }
    t
}
