//! Set commands (Redis's `t_set.c`): adding, removing and testing members,
//! random members (SRANDMEMBER, SPOP), SMOVE, the algebra (SINTER, SUNION,
//! SDIFF, their STORE forms and SINTERCARD) and SSCAN.
//!
//! Checks happen in Redis's order, since that order decides which error a
//! client sees: counts parse before the key's type is looked at, and the
//! algebra checks the type of every key even after one is missing. Results
//! of the algebra are built as Redis builds them, starting from an intset
//! and converting on the way, so the stored encoding and the order of an
//! intset result (ascending) are Redis's.

use std::collections::HashSet;

use super::hash::PICKS_PER_BATCH;
use super::keys::{parse_cursor, parse_scan_options, scan_dict};
use super::{reply_entry, Args, CmdError, CmdResult};
use crate::server::client::Client;
use crate::server::keyspace::event;
use crate::server::{next_random, Server};
use crate::storage::dict::Id;
use crate::storage::glob::glob_match;
use crate::storage::intset::Intset;
use crate::storage::listpack::{Entry, IntBuf};
use crate::storage::set::Set;
use crate::storage::value::{Kind, Value};

/// SRANDMEMBER with a positive count above size/3 copies the set and
/// removes random members; below, it picks random members until enough
/// distinct ones (Redis's `SRANDMEMBER_SUB_STRATEGY_MUL`).
const SUB_STRATEGY_MUL: usize = 3;
/// SPOP with a count pops members one by one while what stays is more
/// than a fifth of the count; otherwise it picks what stays and pops the
/// rest at once (Redis's `SPOP_MOVE_STRATEGY_MUL`).
const MOVE_STRATEGY_MUL: usize = 5;

/// `set-max-intset-entries`.
fn max_intset(srv: &Server) -> usize {
    srv.config.set_max_intset_entries
}

/// The set at `id`, whose type the caller has checked.
fn set_at(srv: &Server, db: usize, id: Id) -> Option<&Set> {
    match srv.db(db).value(id) {
        Value::Set(s) => Some(s),
        _ => None,
    }
}

/// The set at `key` for reading: None when absent, WRONGTYPE for another type.
fn lookup_read<'s>(
    srv: &'s mut Server,
    c: &Client,
    key: &[u8],
) -> Result<Option<&'s Set>, CmdError> {
    let id = srv.lookup_read_kind(c.db, key, Kind::Set)?;
    Ok(id.and_then(|id| set_at(srv, c.db, id)))
}

/// The set at `id` to change in place; the caller has checked its type.
fn modify(srv: &mut Server, db: usize, id: Id) -> Result<&mut Set, CmdError> {
    match srv.modify(db, id) {
        Value::Set(s) => Ok(s),
        _ => Err(CmdError::WrongType),
    }
}

/// Appends every member of `set` as a RESP3 set (an array in RESP2).
fn reply_members(c: &mut Client, set: &Set) {
    c.reply.set_len(set.len());
    for m in set.iter() {
        reply_entry(c, m);
    }
}

/// `SADD key member [member ...]`
pub fn sadd(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let key = args.get(1);
    let id = match srv.lookup_write_kind(c.db, key, Kind::Set)? {
        Some(id) => id,
        None => srv.db_add(c.db, key, Value::Set(Set::for_member(args.get(2)))),
    };
    let max = max_intset(srv);
    // Adding nothing new is no change: the key must not count as modified.
    let members = args.slice_from(2);
    let mut added = 0;
    if !set_at(srv, c.db, id).is_some_and(|s| members.iter().all(|m| s.contains(m))) {
        let set = modify(srv, c.db, id)?;
        for m in members.iter() {
            added += u64::from(set.add(m, max));
        }
    }
    if added > 0 {
        srv.notify_keyspace_event(event::SET, "sadd", c.db, key);
    }
    srv.dirty += added;
    c.reply.int(added as i64);
    Ok(())
}

/// `SREM key member [member ...]`; the key goes when its last member does.
pub fn srem(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let key = args.get(1);
    let Some(id) = srv.lookup_write_kind(c.db, key, Kind::Set)? else {
        c.reply.int(0);
        return Ok(());
    };
    let members = args.slice_from(2);
    if !set_at(srv, c.db, id).is_some_and(|s| members.iter().any(|m| s.contains(m))) {
        c.reply.int(0);
        return Ok(());
    }
    let mut deleted = 0;
    let mut emptied = false;
    {
        let set = modify(srv, c.db, id)?;
        for m in members.iter() {
            if set.remove(m) {
                deleted += 1;
                if set.is_empty() {
                    emptied = true;
                    break;
                }
            }
        }
    }
    if emptied {
        srv.delete_id(c.db, id);
    }
    srv.notify_keyspace_event(event::SET, "srem", c.db, key);
    if emptied {
        srv.notify_keyspace_event(event::GENERIC, "del", c.db, key);
    }
    srv.dirty += deleted;
    c.reply.int(deleted as i64);
    Ok(())
}

/// `SCARD key`
pub fn scard(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let n = lookup_read(srv, c, args.get(1))?.map_or(0, Set::len);
    c.reply.int(n as i64);
    Ok(())
}

/// `SISMEMBER key member`
pub fn sismember(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let found = lookup_read(srv, c, args.get(1))?.is_some_and(|s| s.contains(args.get(2)));
    c.reply.int(i64::from(found));
    Ok(())
}

/// `SMISMEMBER key member [member ...]`
pub fn smismember(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let set = lookup_read(srv, c, args.get(1))?;
    c.reply.array_len(args.len() - 2);
    for m in args.iter().skip(2) {
        c.reply.int(i64::from(set.is_some_and(|s| s.contains(m))));
    }
    Ok(())
}

/// `SMEMBERS key`: the intersection of one set, as in Redis.
pub fn smembers(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    inter(srv, c, args, 1..2, Inter::Reply)
}

/// `SMOVE source destination member`
pub fn smove(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let (src, dst, member) = (args.get(1), args.get(2), args.get(3));
    let Some(src_id) = srv.lookup_write(c.db, src) else {
        c.reply.int(0);
        return Ok(());
    };
    let dst_id = srv.lookup_write(c.db, dst);
    let kind_of = |srv: &Server, id: Id| srv.db(c.db).value(id).kind();
    if kind_of(srv, src_id) != Kind::Set || dst_id.is_some_and(|id| kind_of(srv, id) != Kind::Set) {
        return Err(CmdError::WrongType);
    }
    if dst_id == Some(src_id) {
        let found = set_at(srv, c.db, src_id).is_some_and(|s| s.contains(member));
        c.reply.int(i64::from(found));
        return Ok(());
    }
    if !set_at(srv, c.db, src_id).is_some_and(|s| s.contains(member)) {
        c.reply.int(0);
        return Ok(());
    }
    let set = modify(srv, c.db, src_id)?;
    set.remove(member);
    let emptied = set.is_empty();
    srv.notify_keyspace_event(event::SET, "srem", c.db, src);
    if emptied {
        srv.delete_id(c.db, src_id);
        srv.notify_keyspace_event(event::GENERIC, "del", c.db, src);
    }
    let dst_id = match dst_id {
        Some(id) => id,
        None => srv.db_add(c.db, dst, Value::Set(Set::for_member(member))),
    };
    srv.dirty += 1;
    let max = max_intset(srv);
    if !set_at(srv, c.db, dst_id).is_some_and(|s| s.contains(member)) {
        modify(srv, c.db, dst_id)?.add(member, max);
        srv.dirty += 1;
        srv.notify_keyspace_event(event::SET, "sadd", c.db, dst);
    }
    c.reply.int(1);
    Ok(())
}

/// Parses a count as Redis's `getPositiveLongFromObjectOrReply` without a
/// message: anything but a non-negative integer gets the same error.
fn parse_positive(arg: &[u8]) -> Result<u64, CmdError> {
    crate::protocol::parser::parse_i64_strict(arg)
        .and_then(|n| u64::try_from(n).ok())
        .ok_or(CmdError::Message(
            "ERR value is out of range, must be positive".into(),
        ))
}

/// `SPOP key [count]`
pub fn spop(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    match args.len() {
        2 => spop_one(srv, c, args.get(1)),
        3 => spop_count(srv, c, args.get(1), parse_positive(args.get(2))?),
        _ => Err(CmdError::Syntax),
    }
}

/// SPOP without a count: one member, propagated as its SREM.
fn spop_one(srv: &mut Server, c: &mut Client, key: &[u8]) -> CmdResult {
    let Some(id) = srv.lookup_write_kind(c.db, key, Kind::Set)? else {
        c.reply.null();
        return Ok(());
    };
    let mut state = srv.random_state;
    let member = set_at(srv, c.db, id)
        .and_then(|s| s.at(s.random_slot(&mut || next_random(&mut state))?))
        .map(|m| m.to_vec());
    srv.random_state = state;
    let Some(member) = member else {
        c.reply.null();
        return Ok(());
    };
    let set = modify(srv, c.db, id)?;
    set.remove(&member);
    let emptied = set.is_empty();
    srv.notify_keyspace_event(event::SET, "spop", c.db, key);
    if emptied {
        srv.delete_id(c.db, id);
        srv.notify_keyspace_event(event::GENERIC, "del", c.db, key);
    }
    c.reply.bulk(&member);
    srv.dirty += 1;
    srv.propagator
        .rewrite_with(|| vec![b"SREM".to_vec(), key.to_vec(), member]);
    Ok(())
}

/// SPOP with a count (Redis's `spopWithCountCommand`): the whole set,
/// propagated as its deletion, or `count` members, propagated as one SREM
/// each.
fn spop_count(srv: &mut Server, c: &mut Client, key: &[u8], count: u64) -> CmdResult {
    let Some(id) = srv.lookup_write_kind(c.db, key, Kind::Set)? else {
        c.reply.set_len(0);
        return Ok(());
    };
    if count == 0 {
        c.reply.set_len(0);
        return Ok(());
    }
    let size = set_at(srv, c.db, id).map_or(0, Set::len);
    srv.notify_keyspace_event(event::SET, "spop", c.db, key);
    if count >= size as u64 {
        if let Some(set) = set_at(srv, c.db, id) {
            reply_members(c, set);
        }
        srv.delete_id(c.db, id);
        srv.notify_keyspace_event(event::GENERIC, "del", c.db, key);
        let verb: &[u8] = if srv.config.lazyfree_lazy_server_del {
            b"UNLINK"
        } else {
            b"DEL"
        };
        srv.propagator
            .rewrite_with(|| vec![verb.to_vec(), key.to_vec()]);
        srv.dirty += 1;
        return Ok(());
    }
    let count = count as usize;
    let remaining = size - count;
    let mut state = srv.random_state;
    let mut rand = || next_random(&mut state);
    let mut popped: Vec<Vec<u8>> = Vec::with_capacity(count);
    c.reply.set_len(count);
    let set = modify(srv, c.db, id)?;
    if remaining * MOVE_STRATEGY_MUL > count {
        // Few to pop: one random member at a time.
        for _ in 0..count {
            let Some(m) = set
                .random_slot(&mut rand)
                .and_then(|slot| set.at(slot))
                .map(|m| m.to_vec())
            else {
                break;
            };
            set.remove(&m);
            popped.push(m);
        }
    } else {
        // Most of the set: pick what stays, in a set of the same encoding.
        let mut slots = set.slots();
        let mut kept = HashSet::with_capacity(remaining);
        for _ in 0..remaining {
            let i = (rand() % slots.len() as u64) as usize;
            kept.insert(slots.swap_remove(i));
        }
        let mut stays = Set::Table(Box::default());
        let mut kept_ints = Vec::new();
        for slot in set.slots() {
            match set.at(slot) {
                Some(Entry::Int(v)) if kept.contains(&slot) => kept_ints.push(v),
                Some(m) if kept.contains(&slot) => {
                    stays.add_entry(m, usize::MAX);
                }
                Some(m) => popped.push(m.to_vec()),
                None => {}
            }
        }
        // An intset's slots go in ascending order: what stays is built at once.
        if let Set::Intset(_) = set {
            stays = Set::Intset(Intset::from_sorted(&kept_ints));
        }
        *set = stays;
    }
    srv.random_state = state;
    for m in &popped {
        c.reply.bulk(m);
    }
    srv.dirty += popped.len() as u64;
    if srv.propagator.is_enabled() {
        for m in popped {
            srv.propagator
                .propagate_instead(c.db, vec![b"SREM".to_vec(), key.to_vec(), m]);
        }
    }
    Ok(())
}

/// `SRANDMEMBER key [count]`
pub fn srandmember(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if args.len() > 3 {
        return Err(CmdError::Syntax);
    }
    if args.len() == 2 {
        let Some(id) = srv.lookup_read_kind(c.db, args.get(1), Kind::Set)? else {
            c.reply.null();
            return Ok(());
        };
        let mut state = srv.random_state;
        if let Some(set) = set_at(srv, c.db, id) {
            match set
                .random_slot(&mut || next_random(&mut state))
                .and_then(|s| set.at(s))
            {
                Some(m) => reply_entry(c, m),
                None => c.reply.null(),
            }
        }
        srv.random_state = state;
        return Ok(());
    }
    let count = super::parse_random_count_arg(args.get(2))?;
    let Some(id) = srv.lookup_read_kind(c.db, args.get(1), Kind::Set)? else {
        c.reply.array_len(0);
        return Ok(());
    };
    if count == 0 {
        c.reply.array_len(0);
    } else if count < 0 || count == 1 {
        random_repeating(srv, c, id, count.unsigned_abs());
    } else {
        random_unique(srv, c, id, count as u64);
    }
    Ok(())
}

/// `count` members picked independently. The reply can be far bigger than
/// the set, so the client's output limit is checked between batches.
fn random_repeating(srv: &mut Server, c: &mut Client, id: Id, count: u64) {
    c.reply.array_len(count as usize);
    let mut left = count;
    while left > 0 {
        let batch = left.min(PICKS_PER_BATCH);
        let mut state = srv.random_state;
        if let Some(set) = set_at(srv, c.db, id) {
            for _ in 0..batch {
                if let Some(m) = set
                    .random_slot(&mut || next_random(&mut state))
                    .and_then(|s| set.at(s))
                {
                    reply_entry(c, m);
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

/// `count` distinct members (a positive count above 1).
fn random_unique(srv: &mut Server, c: &mut Client, id: Id, count: u64) {
    let Some(set) = set_at(srv, c.db, id) else {
        return;
    };
    let size = set.len();
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    if count >= size {
        c.reply.array_len(size);
        for m in set.iter() {
            reply_entry(c, m);
        }
        return;
    }
    c.reply.array_len(count);
    let mut state = srv.random_state;
    let mut rand = || next_random(&mut state);
    if count * SUB_STRATEGY_MUL > size {
        // Most of the set: all of it, less random members.
        let mut slots = set.slots();
        while slots.len() > count {
            let i = (rand() % slots.len() as u64) as usize;
            slots.swap_remove(i);
        }
        for slot in slots {
            if let Some(m) = set.at(slot) {
                reply_entry(c, m);
            }
        }
    } else {
        // A small part: random members until enough distinct ones.
        let mut seen = HashSet::with_capacity(count);
        while seen.len() < count {
            let Some(slot) = set.random_slot(&mut rand) else {
                break;
            };
            if seen.insert(slot) {
                if let Some(m) = set.at(slot) {
                    reply_entry(c, m);
                }
            }
        }
    }
    srv.random_state = state;
}

/// Where an intersection goes.
#[derive(Clone, Copy)]
enum Inter<'a> {
    /// Replied as a set.
    Reply,
    /// Stored at this key, replying with its size.
    Store(&'a [u8]),
    /// Only counted, up to a limit (0: none).
    Count(usize),
}

/// The sets at `keys` (argument indexes) for reading, None for missing
/// ones; a key of another type is WRONGTYPE even after a missing one.
fn lookup_all(
    srv: &mut Server,
    c: &Client,
    args: &Args,
    keys: std::ops::Range<usize>,
) -> Result<Vec<Option<Id>>, CmdError> {
    keys.map(|i| srv.lookup_read_kind(c.db, args.get(i), Kind::Set))
        .collect()
}

/// Stores a computed set at `dst`, or deletes `dst` when it is empty, and
/// replies with the size (Redis's STORE epilogue).
fn store(srv: &mut Server, c: &mut Client, dst: &[u8], result: Set, event_name: &'static str) {
    let n = result.len();
    if n > 0 {
        srv.set_key(c.db, dst, Value::Set(result), false);
        srv.notify_keyspace_event(event::SET, event_name, c.db, dst);
        srv.dirty += 1;
    } else if srv.db_delete(c.db, dst) {
        srv.notify_keyspace_event(event::GENERIC, "del", c.db, dst);
        srv.dirty += 1;
    }
    c.reply.int(n as i64);
}

/// SINTER, SINTERSTORE, SINTERCARD and SMEMBERS (Redis's
/// `sinterGenericCommand`): the members of the smallest set found in
/// every other.
fn inter(
    srv: &mut Server,
    c: &mut Client,
    args: &Args,
    keys: std::ops::Range<usize>,
    to: Inter<'_>,
) -> CmdResult {
    let ids = lookup_all(srv, c, args, keys)?;
    let Some(mut ids) = ids.into_iter().collect::<Option<Vec<Id>>>() else {
        // Intersecting with an empty set.
        match to {
            Inter::Reply => c.reply.set_len(0),
            Inter::Count(_) => c.reply.int(0),
            Inter::Store(dst) => store(srv, c, dst, Set::default(), "sinterstore"),
        }
        return Ok(());
    };
    let db = srv.db(c.db);
    let size = |id: &Id| match db.value(*id) {
        Value::Set(s) => s.len(),
        _ => 0,
    };
    ids.sort_by_key(size);
    let sets: Vec<(Id, &Set)> = ids
        .iter()
        .filter_map(|&id| set_at(srv, c.db, id).map(|s| (id, s)))
        .collect();
    let Some(&(first_id, first)) = sets.first() else {
        return Ok(());
    };
    let in_all = |m: Entry<'_>| {
        sets.iter()
            .skip(1)
            .all(|&(id, s)| id == first_id || s.contains_entry(m))
    };
    match to {
        Inter::Count(limit) => {
            let mut n = 0usize;
            for m in first.iter() {
                if in_all(m) {
                    n += 1;
                    if limit != 0 && n >= limit {
                        break;
                    }
                }
            }
            c.reply.int(n as i64);
        }
        Inter::Reply => {
            let found: Vec<Entry<'_>> = first.iter().filter(|&m| in_all(m)).collect();
            c.reply.set_len(found.len());
            for m in found {
                reply_entry(c, m);
            }
        }
        Inter::Store(dst) => {
            let max = max_intset(srv);
            let mut result = Set::default();
            for m in first.iter().filter(|&m| in_all(m)) {
                result.add_entry(m, max);
            }
            store(srv, c, dst, result, "sinterstore");
        }
    }
    Ok(())
}

/// Union or difference.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Union,
    Diff,
}

/// SUNION, SDIFF and their STORE forms (Redis's
/// `sunionDiffGenericCommand`): the result is built as a set, starting
/// as an intset, then replied or stored.
fn union_diff(
    srv: &mut Server,
    c: &mut Client,
    args: &Args,
    keys: std::ops::Range<usize>,
    op: Op,
    dst: Option<&[u8]>,
) -> CmdResult {
    let ids = lookup_all(srv, c, args, keys)?;
    let max = max_intset(srv);
    let sets: Vec<Option<(Id, &Set)>> = ids
        .iter()
        .map(|id| id.and_then(|id| set_at(srv, c.db, id).map(|s| (id, s))))
        .collect();
    let mut result = Set::default();
    match op {
        Op::Union => {
            for &(_, s) in sets.iter().flatten() {
                for m in s.iter() {
                    result.add_entry(m, max);
                }
            }
        }
        Op::Diff => {
            if let Some(Some((first_id, first))) = sets.first().copied() {
                let others: Vec<&Set> = sets.iter().skip(1).flatten().map(|&(_, s)| s).collect();
                // The first set among the others leaves nothing.
                let same = sets.iter().skip(1).flatten().any(|&(id, _)| id == first_id);
                // Redis's two algorithms: test each member of the first
                // set against the others, or add the first set and remove
                // the others, whichever does less work.
                let one = first.len() * (others.len() + 1) / 2;
                let two = first.len() + others.iter().map(|s| s.len()).sum::<usize>();
                if same {
                    // Nothing is left.
                } else if one <= two {
                    for m in first.iter() {
                        if !others.iter().any(|s| s.contains_entry(m)) {
                            result.add_entry(m, max);
                        }
                    }
                } else {
                    for m in first.iter() {
                        result.add_entry(m, max);
                    }
                    for s in &others {
                        for m in s.iter() {
                            result.remove(m.as_bytes(&mut IntBuf::default()));
                        }
                        if result.is_empty() {
                            break;
                        }
                    }
                }
            }
        }
    }
    match dst {
        None => reply_members(c, &result),
        Some(dst) => {
            let name = if op == Op::Union {
                "sunionstore"
            } else {
                "sdiffstore"
            };
            store(srv, c, dst, result, name);
        }
    }
    Ok(())
}

/// `SINTER key [key ...]`
pub fn sinter(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    inter(srv, c, args, 1..args.len(), Inter::Reply)
}

/// `SINTERSTORE destination key [key ...]`
pub fn sinterstore(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    inter(srv, c, args, 2..args.len(), Inter::Store(args.get(1)))
}

/// `SINTERCARD numkeys key [key ...] [LIMIT limit]`
pub fn sintercard(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let numkeys_err = || CmdError::Message("ERR numkeys should be greater than 0".into());
    let numkeys = crate::protocol::parser::parse_i64_strict(args.get(1))
        .filter(|&n| n >= 1)
        .ok_or_else(numkeys_err)?;
    if numkeys > args.len() as i64 - 2 {
        return Err(CmdError::Message(
            "ERR Number of keys can't be greater than number of args".into(),
        ));
    }
    let end = 2 + numkeys as usize;
    let mut limit = 0usize;
    let mut j = end;
    while j < args.len() {
        if args.is(j, "limit") && j + 1 < args.len() {
            j += 1;
            let l = crate::protocol::parser::parse_i64_strict(args.get(j))
                .filter(|&l| l >= 0)
                .ok_or(CmdError::Message("ERR LIMIT can't be negative".into()))?;
            limit = usize::try_from(l).unwrap_or(usize::MAX);
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    inter(srv, c, args, 2..end, Inter::Count(limit))
}

/// `SUNION key [key ...]`
pub fn sunion(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    union_diff(srv, c, args, 1..args.len(), Op::Union, None)
}

/// `SUNIONSTORE destination key [key ...]`
pub fn sunionstore(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    union_diff(srv, c, args, 2..args.len(), Op::Union, Some(args.get(1)))
}

/// `SDIFF key [key ...]`
pub fn sdiff(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    union_diff(srv, c, args, 1..args.len(), Op::Diff, None)
}

/// `SDIFFSTORE destination key [key ...]`
pub fn sdiffstore(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    union_diff(srv, c, args, 2..args.len(), Op::Diff, Some(args.get(1)))
}

/// `SSCAN key cursor [MATCH pattern] [COUNT count]`: an intset is
/// returned whole with cursor 0, a table a few buckets at a time.
pub fn sscan(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let mut cursor = parse_cursor(args.get(2))?;
    let Some(set) = lookup_read(srv, c, args.get(1))? else {
        c.reply.array_len(2);
        c.reply.bulk(b"0");
        c.reply.array_len(0);
        return Ok(());
    };
    let opts = parse_scan_options(args, 3, false)?;
    let matches = |m: &Entry<'_>| {
        opts.pattern
            .is_none_or(|p| glob_match(p, m.as_bytes(&mut IntBuf::default()), false))
    };
    let found: Vec<Entry<'_>> = match set {
        Set::Intset(_) => {
            cursor = 0;
            set.iter().filter(matches).collect()
        }
        Set::Table(t) => {
            let (next, ids) = scan_dict(t, cursor, opts.count, 1);
            cursor = next;
            ids.into_iter()
                .filter_map(|id| set.at(id))
                .filter(matches)
                .collect()
        }
    };
    c.reply.array_len(2);
    c.reply.bulk_int(cursor as i64);
    c.reply.array_len(found.len());
    for m in found {
        reply_entry(c, m);
    }
    Ok(())
}
