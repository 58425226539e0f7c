//! Hash commands (Redis's `t_hash.c`): setting and reading fields,
//! counters, whole-hash replies, random fields and HSCAN.
//!
//! Checks happen in Redis's order, since that order decides which error a
//! client sees: arguments that parse without the key (counts, increments)
//! before the key's type, and the type before options read later. Writes
//! create the key first (`hashTypeLookupWriteOrCreate`), which can't leave
//! an empty hash behind: every error after that needs an existing field.

use super::keys::{parse_cursor, parse_scan_options, scan_dict};
use super::{parse_int, reply_entry, Args, CmdError, CmdResult};
use crate::server::client::Client;
use crate::server::keyspace::event;
use crate::server::{next_random, Server};
use crate::storage::dict::Id;
use crate::storage::float::{ld_add, ld_valid, AddError};
use crate::storage::glob::glob_match;
use crate::storage::hash::{table_pair, Hash, Limits};
use crate::storage::listpack::{Entry, IntBuf};
use crate::storage::value::{Kind, Value};

/// `HRANDFIELD` with a count below size/3 of a table picks fields at
/// random; above, it copies the table and removes random fields instead
/// (Redis's `HRANDFIELD_SUB_STRATEGY_MUL`).
const SUB_STRATEGY_MUL: usize = 3;

/// The encoding thresholds in force.
fn limits(srv: &Server) -> Limits {
    Limits {
        entries: srv.config.hash_max_listpack_entries,
        value: srv.config.hash_max_listpack_value,
    }
}

/// The hash at `id`, whose type the caller has checked.
fn hash_at(srv: &Server, db: usize, id: Id) -> Option<&Hash> {
    match srv.db(db).value(id) {
        Value::Hash(h) => Some(h),
        _ => None,
    }
}

/// The hash at `key` for reading: None when absent, WRONGTYPE for another type.
fn lookup_read<'s>(
    srv: &'s mut Server,
    c: &Client,
    key: &[u8],
) -> Result<Option<&'s Hash>, CmdError> {
    let id = srv.lookup_read_kind(c.db, key, Kind::Hash)?;
    Ok(id.and_then(|id| hash_at(srv, c.db, id)))
}

/// The hash at `key` to write to, created empty when absent (Redis's
/// `hashTypeLookupWriteOrCreate`); WRONGTYPE for another type.
fn lookup_or_create(srv: &mut Server, db: usize, key: &[u8]) -> Result<Id, CmdError> {
    match srv.lookup_write_kind(db, key, Kind::Hash)? {
        Some(id) => Ok(id),
        None => Ok(srv.db_add(db, key, Value::Hash(Hash::new()))),
    }
}

/// The hash at `id` to change in place; the caller has checked its type.
fn modify(srv: &mut Server, db: usize, id: Id) -> Result<&mut Hash, CmdError> {
    match srv.modify(db, id) {
        Value::Hash(h) => Ok(h),
        _ => Err(CmdError::WrongType),
    }
}

/// Appends a field, its value when asked, as a pair in RESP3.
fn reply_pair(c: &mut Client, (field, value): (Entry<'_>, Entry<'_>), with_values: bool) {
    if with_values && c.reply.is_resp3() {
        c.reply.array_len(2);
    }
    reply_entry(c, field);
    if with_values {
        reply_entry(c, value);
    }
}

/// `HSET key field value [field value ...]` and `HMSET`, which replies OK.
pub fn hset(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let is_hset = args
        .get(0)
        .get(1)
        .is_some_and(|b| b.eq_ignore_ascii_case(&b's'));
    if args.len() % 2 == 1 {
        return Err(CmdError::WrongArity(if is_hset { "hset" } else { "hmset" }));
    }
    let key = args.get(1);
    let id = lookup_or_create(srv, c.db, key)?;
    let limits = limits(srv);
    let h = modify(srv, c.db, id)?;
    h.convert_for(args.iter().skip(2), limits);
    let mut created = 0;
    for pair in 1..args.len() / 2 {
        created += i64::from(h.set(args.get(2 * pair), args.get(2 * pair + 1), limits));
    }
    if is_hset {
        c.reply.int(created);
    } else {
        c.reply.ok();
    }
    srv.notify_keyspace_event(event::HASH, "hset", c.db, key);
    // Every pair counts, new or not, as in Redis.
    srv.dirty += (args.len() as u64 - 2) / 2;
    Ok(())
}

/// `HSETNX key field value`
pub fn hsetnx(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let (key, field, value) = (args.get(1), args.get(2), args.get(3));
    let id = lookup_or_create(srv, c.db, key)?;
    if hash_at(srv, c.db, id).is_some_and(|h| h.contains(field)) {
        c.reply.int(0);
        return Ok(());
    }
    let limits = limits(srv);
    let h = modify(srv, c.db, id)?;
    h.convert_for([field, value].into_iter(), limits);
    h.set(field, value, limits);
    c.reply.int(1);
    srv.notify_keyspace_event(event::HASH, "hset", c.db, key);
    srv.dirty += 1;
    Ok(())
}

/// `HGET key field`
pub fn hget(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    match lookup_read(srv, c, args.get(1))?.and_then(|h| h.get(args.get(2))) {
        Some(v) => reply_entry(c, v),
        None => c.reply.null(),
    }
    Ok(())
}

/// `HMGET key field [field ...]`: nils for a missing key.
pub fn hmget(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let h = lookup_read(srv, c, args.get(1))?;
    c.reply.array_len(args.len() - 2);
    for field in args.iter().skip(2) {
        match h.and_then(|h| h.get(field)) {
            Some(v) => reply_entry(c, v),
            None => c.reply.null(),
        }
    }
    Ok(())
}

/// `HDEL key field [field ...]`; the key goes when its last field does.
pub fn hdel(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let key = args.get(1);
    let Some(id) = srv.lookup_write_kind(c.db, key, Kind::Hash)? else {
        c.reply.int(0);
        return Ok(());
    };
    // Deleting nothing is no change: the key must not count as modified.
    let fields = args.slice_from(2);
    if !hash_at(srv, c.db, id).is_some_and(|h| fields.iter().any(|f| h.contains(f))) {
        c.reply.int(0);
        return Ok(());
    }
    let mut deleted = 0;
    let mut emptied = false;
    {
        let h = modify(srv, c.db, id)?;
        for field in fields.iter() {
            if h.remove(field) {
                deleted += 1;
                if h.is_empty() {
                    emptied = true;
                    break;
                }
            }
        }
    }
    if emptied {
        srv.delete_id(c.db, id);
    }
    if deleted > 0 {
        srv.notify_keyspace_event(event::HASH, "hdel", c.db, key);
        if emptied {
            srv.notify_keyspace_event(event::GENERIC, "del", c.db, key);
        }
        srv.dirty += deleted;
    }
    c.reply.int(deleted as i64);
    Ok(())
}

/// `HLEN key`
pub fn hlen(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let n = lookup_read(srv, c, args.get(1))?.map_or(0, Hash::len);
    c.reply.int(n as i64);
    Ok(())
}

/// `HSTRLEN key field`
pub fn hstrlen(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let len = lookup_read(srv, c, args.get(1))?
        .and_then(|h| h.get(args.get(2)))
        .map_or(0, |v| v.as_bytes(&mut IntBuf::default()).len());
    c.reply.int(len as i64);
    Ok(())
}

/// `HEXISTS key field`
pub fn hexists(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let found = lookup_read(srv, c, args.get(1))?.is_some_and(|h| h.contains(args.get(2)));
    c.reply.int(i64::from(found));
    Ok(())
}

/// What a whole-hash reply holds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Whole {
    Keys,
    Values,
    Both,
}

/// HKEYS, HVALS and HGETALL (Redis's `genericHgetallCommand`); HGETALL is
/// a map in RESP3.
fn whole(srv: &mut Server, c: &mut Client, args: &Args, what: Whole) -> CmdResult {
    let Some(h) = lookup_read(srv, c, args.get(1))? else {
        if what == Whole::Both {
            c.reply.map_len(0);
        } else {
            c.reply.array_len(0);
        }
        return Ok(());
    };
    if what == Whole::Both {
        c.reply.map_len(h.len());
    } else {
        c.reply.array_len(h.len());
    }
    for (field, value) in h.iter() {
        if what != Whole::Values {
            reply_entry(c, field);
        }
        if what != Whole::Keys {
            reply_entry(c, value);
        }
    }
    Ok(())
}

/// `HKEYS key`
pub fn hkeys(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    whole(srv, c, args, Whole::Keys)
}

/// `HVALS key`
pub fn hvals(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    whole(srv, c, args, Whole::Values)
}

/// `HGETALL key`
pub fn hgetall(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    whole(srv, c, args, Whole::Both)
}

/// `HINCRBY key field increment`
pub fn hincrby(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let (key, field) = (args.get(1), args.get(2));
    let incr = parse_int(args.get(3))?;
    let id = lookup_or_create(srv, c.db, key)?;
    let old = match hash_at(srv, c.db, id).and_then(|h| h.get(field)) {
        Some(Entry::Int(v)) => v,
        Some(Entry::Str(s)) => crate::protocol::parser::parse_i64_strict(s)
            .ok_or_else(|| CmdError::Message("ERR hash value is not an integer".into()))?,
        None => 0,
    };
    let new = old.checked_add(incr).ok_or(CmdError::IncrOverflow)?;
    let limits = limits(srv);
    let mut tmp = IntBuf::default();
    let text = crate::protocol::reply::format_i64(new, &mut tmp);
    let h = modify(srv, c.db, id)?;
    h.set(field, text, limits);
    c.reply.int(new);
    srv.notify_keyspace_event(event::HASH, "hincrby", c.db, key);
    srv.dirty += 1;
    Ok(())
}

/// `HINCRBYFLOAT key field increment`: long double arithmetic as Redis
/// does it, propagated as the HSET of the result.
pub fn hincrbyfloat(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let (key, field, incr) = (args.get(1), args.get(2), args.get(3));
    if !ld_valid(incr) {
        return Err(CmdError::NotFloat);
    }
    // A valid increment that is not finite can only be an infinity.
    if ld_add(b"0", incr) == Err(AddError::NotFinite) {
        return Err(CmdError::Message("ERR value is NaN or Infinity".into()));
    }
    let id = lookup_or_create(srv, c.db, key)?;
    let mut tmp = IntBuf::default();
    let current: &[u8] = match hash_at(srv, c.db, id).and_then(|h| h.get(field)) {
        Some(Entry::Int(v)) => crate::protocol::reply::format_i64(v, &mut tmp),
        Some(Entry::Str(s)) if ld_valid(s) => s,
        Some(Entry::Str(_)) => {
            return Err(CmdError::Message("ERR hash value is not a float".into()))
        }
        None => b"0",
    };
    let sum = ld_add(current, incr).map_err(|e| match e {
        AddError::BadLeft | AddError::BadRight => CmdError::NotFloat,
        AddError::NotFinite => CmdError::IncrNanOrInfinity,
    })?;
    let limits = limits(srv);
    let h = modify(srv, c.db, id)?;
    h.set(field, &sum, limits);
    c.reply.bulk(&sum);
    srv.notify_keyspace_event(event::HASH, "hincrbyfloat", c.db, key);
    srv.dirty += 1;
    srv.propagator
        .rewrite_with(|| vec![b"HSET".to_vec(), key.to_vec(), field.to_vec(), sum]);
    Ok(())
}

/// `HRANDFIELD key [count [WITHVALUES]]`
pub fn hrandfield(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let Some((count, with_values)) = super::parse_random_count(args, "withvalues")? else {
        return random_one(srv, c, args.get(1));
    };
    let Some(id) = srv.lookup_read_kind(c.db, args.get(1), Kind::Hash)? else {
        c.reply.array_len(0);
        return Ok(());
    };
    if count == 0 {
        c.reply.array_len(0);
    } else if count < 0 || count == 1 {
        random_repeating(srv, c, id, count.unsigned_abs(), with_values);
    } else {
        random_unique(srv, c, id, count as u64, with_values);
    }
    Ok(())
}

/// HRANDFIELD without a count: one field, nil for a missing key.
fn random_one(srv: &mut Server, c: &mut Client, key: &[u8]) -> CmdResult {
    let Some(id) = srv.lookup_read_kind(c.db, key, Kind::Hash)? else {
        c.reply.null();
        return Ok(());
    };
    let mut state = srv.random_state;
    if let Some(h) = hash_at(srv, c.db, id) {
        match h.sampler().pick(&mut || next_random(&mut state)) {
            Some((field, _)) => reply_entry(c, field),
            None => c.reply.null(),
        }
    }
    srv.random_state = state;
    Ok(())
}

/// Picks made between two checks of the client's output limit.
pub(crate) const PICKS_PER_BATCH: u64 = 1000;

/// `count` fields picked independently (a negative count, or 1). The
/// reply can be far bigger than the hash, so the client's output limit is
/// checked between batches, as Redis stops once the client must close.
fn random_repeating(srv: &mut Server, c: &mut Client, id: Id, count: u64, with_values: bool) {
    let n = if with_values && !c.reply.is_resp3() {
        count.saturating_mul(2)
    } else {
        count
    };
    c.reply.array_len(n as usize);
    let mut left = count;
    while left > 0 {
        let batch = left.min(PICKS_PER_BATCH);
        let mut state = srv.random_state;
        if let Some(h) = hash_at(srv, c.db, id) {
            let sampler = h.sampler();
            for _ in 0..batch {
                if let Some(pair) = sampler.pick(&mut || next_random(&mut state)) {
                    reply_pair(c, pair, with_values);
                }
            }
        }
        srv.random_state = state;
        left -= batch;
        if left > 0 && (srv.enforce_output_limit(c) || c.close_asap) {
            break;
        }
    }
}

/// `count` distinct fields (a positive count above 1).
fn random_unique(srv: &mut Server, c: &mut Client, id: Id, count: u64, with_values: bool) {
    let Some(h) = hash_at(srv, c.db, id) else {
        return;
    };
    let size = h.len();
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    let n = count.min(size);
    c.reply.array_len(if with_values && !c.reply.is_resp3() {
        n * 2
    } else {
        n
    });
    // The whole hash.
    if count >= size {
        for pair in h.iter() {
            reply_pair(c, pair, with_values);
        }
        return;
    }
    let mut state = srv.random_state;
    let mut rand = || next_random(&mut state);
    match h {
        // Selection sampling: one pass, fields in listpack order.
        Hash::Listpack(_) => {
            let (mut need, mut left) = (count as u64, size as u64);
            for pair in h.iter() {
                if rand() % left < need {
                    reply_pair(c, pair, with_values);
                    need -= 1;
                }
                left -= 1;
            }
        }
        // Most of the table: all of it, less random fields.
        Hash::Table(t) if count * SUB_STRATEGY_MUL > size => {
            let mut ids: Vec<Id> = t.ids().collect();
            while ids.len() > count {
                let i = (rand() % ids.len() as u64) as usize;
                ids.swap_remove(i);
            }
            for id in ids {
                reply_pair(c, table_pair(t, id), with_values);
            }
        }
        // A small part: random fields until enough distinct ones.
        Hash::Table(t) => {
            let mut seen = std::collections::HashSet::with_capacity(count);
            while seen.len() < count {
                let Some(id) = t.random(&mut rand) else {
                    break;
                };
                if seen.insert(id) {
                    reply_pair(c, table_pair(t, id), with_values);
                }
            }
        }
    }
    srv.random_state = state;
}

/// `HSCAN key cursor [MATCH pattern] [COUNT count]`: a listpack is
/// returned whole with cursor 0, a table a few buckets at a time.
pub fn hscan(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let mut cursor = parse_cursor(args.get(2))?;
    let Some(h) = lookup_read(srv, c, args.get(1))? else {
        c.reply.array_len(2);
        c.reply.bulk(b"0");
        c.reply.array_len(0);
        return Ok(());
    };
    let opts = parse_scan_options(args, 3, false)?;
    let matches = |field: Entry<'_>| {
        opts.pattern
            .is_none_or(|p| glob_match(p, field.as_bytes(&mut IntBuf::default()), false))
    };
    let mut found: Vec<(Entry<'_>, Entry<'_>)> = Vec::new();
    match h {
        Hash::Listpack(_) => {
            found.extend(h.iter().filter(|&(f, _)| matches(f)));
            cursor = 0;
        }
        Hash::Table(t) => {
            // Redis counts fields and values alike against COUNT.
            let (next, ids) = scan_dict(t, cursor, opts.count, 2);
            cursor = next;
            found.extend(
                ids.into_iter()
                    .map(|id| table_pair(t, id))
                    .filter(|&(f, _)| matches(f)),
            );
        }
    }
    c.reply.array_len(2);
    c.reply.bulk_int(cursor as i64);
    c.reply.array_len(found.len() * 2);
    for (field, value) in found {
        reply_entry(c, field);
        reply_entry(c, value);
    }
    Ok(())
}
