//! Sorted-set commands (Redis's `t_zset.c`): adding and scoring members,
//! ranks, the range family by rank, score and lex (and its STORE form),
//! removal by range, pops (blocking ones too), the set operations,
//! random members and ZSCAN.
//!
//! Checks happen in Redis's order, since that order decides which error a
//! client sees: option conflicts and number parsing before the key's type
//! for most commands. A write that changes nothing does not touch the key
//! (no WATCH invalidation), so removals look before they modify.

use std::collections::HashMap;

use super::keys::{parse_cursor, parse_scan_options};
use super::{parse_int, parse_timeout, reply_entry, Args, CmdError, CmdResult};
use crate::server::blocking::{BlockOp, ServeFn, Served, Waiter};
use crate::server::client::Client;
use crate::server::keyspace::event;
use crate::server::{next_random, Server};
use crate::storage::dict::Id;
use crate::storage::float::{format_g17, parse_f64, G17_MAX};
use crate::storage::glob::glob_match;
use crate::storage::listpack::{Entry, IntBuf};
use crate::storage::value::{Kind, Value};
use crate::storage::zset::{AddFlags, Added, LexRange, Limits, Pos, ScoreRange, ZSet};

/// `ZRANDMEMBER` with a count below size/3 of a skiplist picks members at
/// random; above, it copies the members and removes random ones instead
/// (Redis's `ZRANDMEMBER_SUB_STRATEGY_MUL`).
const SUB_STRATEGY_MUL: usize = 3;
/// Picks made between two checks of the client's output limit.
const PICKS_PER_BATCH: u64 = 1000;

const NOT_FLOAT_RANGE: &str = "ERR min or max is not a float";
const NOT_LEX_RANGE: &str = "ERR min or max not valid string range item";

/// The encoding thresholds in force.
pub(super) fn limits(srv: &Server) -> Limits {
    Limits {
        entries: srv.config.zset_max_listpack_entries,
        value: srv.config.zset_max_listpack_value,
    }
}

/// The sorted set at `id`, whose type the caller has checked.
pub(super) fn zset_at(srv: &Server, db: usize, id: Id) -> Option<&ZSet> {
    match srv.db(db).value(id) {
        Value::ZSet(z) => Some(z),
        _ => None,
    }
}

/// The sorted set at `key` for reading: None when absent, WRONGTYPE for another type.
pub(super) fn lookup_read<'s>(
    srv: &'s mut Server,
    c: &Client,
    key: &[u8],
) -> Result<Option<&'s ZSet>, CmdError> {
    let id = srv.lookup_read_kind(c.db, key, Kind::ZSet)?;
    Ok(id.and_then(|id| zset_at(srv, c.db, id)))
}

/// The sorted set at `id` to change in place; the caller has checked its type.
fn modify(srv: &mut Server, db: usize, id: Id) -> Result<&mut ZSet, CmdError> {
    match srv.modify(db, id) {
        Value::ZSet(z) => Ok(z),
        _ => Err(CmdError::WrongType),
    }
}

/// Deletes the key once its set is empty, with the `del` event.
fn delete_if_empty(srv: &mut Server, db: usize, id: Id, key: &[u8]) -> bool {
    if zset_at(srv, db, id).is_some_and(ZSet::is_empty) {
        srv.delete_id(db, id);
        srv.notify_keyspace_event(event::GENERIC, "del", db, key);
        true
    } else {
        false
    }
}

fn parse_score(arg: &[u8]) -> Result<f64, CmdError> {
    parse_f64(arg).ok_or(CmdError::NotFloat)
}

/// Appends a member, with its score when asked: a pair in RESP3 when
/// `nested`, else flat.
fn reply_element(c: &mut Client, (member, score): (Entry<'_>, f64), scores: bool, nested: bool) {
    if scores && nested {
        c.reply.array_len(2);
    }
    reply_entry(c, member);
    if scores {
        c.reply.double(score);
    }
}

/// The array header for `n` elements, as ZRANGE and friends shape it.
fn reply_elements_len(c: &mut Client, n: usize, scores: bool) {
    let flat = scores && !c.reply.is_resp3();
    c.reply.array_len(if flat { n * 2 } else { n });
}

// ---- adding ----------------------------------------------------------------

/// `ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member [score member ...]`
pub fn zadd(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let mut flags = AddFlags::default();
    let mut ch = false;
    let mut i = 2;
    while i < args.len() {
        if args.is(i, "nx") {
            flags.nx = true;
        } else if args.is(i, "xx") {
            flags.xx = true;
        } else if args.is(i, "ch") {
            ch = true;
        } else if args.is(i, "incr") {
            flags.incr = true;
        } else if args.is(i, "gt") {
            flags.gt = true;
        } else if args.is(i, "lt") {
            flags.lt = true;
        } else {
            break;
        }
        i += 1;
    }
    let elements = args.len() - i;
    if elements == 0 || elements % 2 == 1 {
        return Err(CmdError::Syntax);
    }
    if flags.nx && flags.xx {
        return Err(CmdError::Message(
            "ERR XX and NX options at the same time are not compatible".into(),
        ));
    }
    if (flags.nx && (flags.gt || flags.lt)) || (flags.gt && flags.lt) {
        return Err(CmdError::Message(
            "ERR GT, LT, and/or NX options at the same time are not compatible".into(),
        ));
    }
    if flags.incr && elements > 2 {
        return Err(CmdError::Message(
            "ERR INCR option supports a single increment-element pair".into(),
        ));
    }
    let pairs: Vec<(f64, &[u8])> = (i..args.len())
        .step_by(2)
        .map(|j| Ok((parse_score(args.get(j))?, args.get(j + 1))))
        .collect::<Result<_, CmdError>>()?;
    add_pairs(srv, c, args.get(1), &pairs, flags, ch)
}

/// `ZINCRBY key increment member`
pub fn zincrby(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let incr = parse_score(args.get(2))?;
    let flags = AddFlags {
        incr: true,
        ..AddFlags::default()
    };
    add_pairs(srv, c, args.get(1), &[(incr, args.get(3))], flags, false)
}

/// Whether adding (score, member) with `flags` to `z` would change it;
/// an increment to NaN is the error it would end in.
fn would_change(
    z: &ZSet,
    (score, member): (f64, &[u8]),
    flags: AddFlags,
) -> Result<bool, CmdError> {
    match z.score(member) {
        None => Ok(!flags.xx),
        Some(_) if flags.nx => Ok(false),
        Some(cur) => {
            let new = if flags.incr { cur + score } else { score };
            if new.is_nan() {
                return Err(nan_score());
            }
            Ok(new != cur && !(flags.lt && new >= cur) && !(flags.gt && new <= cur))
        }
    }
}

fn nan_score() -> CmdError {
    CmdError::Message("ERR resulting score is not a number (NaN)".into())
}

/// The body of ZADD and ZINCRBY (Redis's `zaddGenericCommand`).
pub(super) fn add_pairs(
    srv: &mut Server,
    c: &mut Client,
    key: &[u8],
    pairs: &[(f64, &[u8])],
    flags: AddFlags,
    ch: bool,
) -> CmdResult {
    let id = match srv.lookup_write_kind(c.db, key, Kind::ZSet)? {
        Some(id) => {
            let mut changes = false;
            if let Some(z) = zset_at(srv, c.db, id) {
                for &p in pairs {
                    changes |= would_change(z, p, flags)?;
                }
            }
            if !changes {
                match (flags.incr, zset_at(srv, c.db, id)) {
                    (true, Some(z)) => match z.score(pairs[0].1) {
                        Some(s) if !flags.nx && !flags.gt && !flags.lt => c.reply.double(s),
                        _ => c.reply.null(),
                    },
                    _ => c.reply.int(0),
                }
                return Ok(());
            }
            id
        }
        None if flags.xx => {
            if flags.incr {
                c.reply.null();
            } else {
                c.reply.int(0);
            }
            return Ok(());
        }
        None => srv.db_add(c.db, key, Value::ZSet(ZSet::new())),
    };
    let limits = limits(srv);
    let z = modify(srv, c.db, id)?;
    let (mut added, mut updated) = (0i64, 0i64);
    let mut last = None;
    let mut nan = false;
    for &(score, member) in pairs {
        match z.add(member, score, flags, limits) {
            Ok(Added::New(s)) => {
                added += 1;
                last = Some(s);
            }
            Ok(Added::Updated(s)) => {
                updated += 1;
                last = Some(s);
            }
            Ok(Added::Same(s)) => last = Some(s),
            Ok(Added::Nop) => last = None,
            Err(_) => {
                nan = true;
                break;
            }
        }
    }
    if added + updated > 0 {
        let name = if flags.incr { "zincr" } else { "zadd" };
        srv.notify_keyspace_event(event::ZSET, name, c.db, key);
        srv.dirty += (added + updated) as u64;
    }
    if nan {
        return Err(nan_score());
    }
    if flags.incr {
        match last {
            Some(s) => c.reply.double(s),
            None => c.reply.null(),
        }
    } else {
        c.reply.int(if ch { added + updated } else { added });
    }
    Ok(())
}

/// `ZREM key member [member ...]`; the key goes when its last member does.
pub fn zrem(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let key = args.get(1);
    let Some(id) = srv.lookup_write_kind(c.db, key, Kind::ZSet)? else {
        c.reply.int(0);
        return Ok(());
    };
    let members = args.slice_from(2);
    if !zset_at(srv, c.db, id).is_some_and(|z| members.iter().any(|m| z.score(m).is_some())) {
        c.reply.int(0);
        return Ok(());
    }
    let z = modify(srv, c.db, id)?;
    let mut deleted = 0i64;
    for m in members.iter() {
        if z.remove(m).is_some() {
            deleted += 1;
            if z.is_empty() {
                break;
            }
        }
    }
    srv.notify_keyspace_event(event::ZSET, "zrem", c.db, key);
    delete_if_empty(srv, c.db, id, key);
    srv.dirty += deleted as u64;
    c.reply.int(deleted);
    Ok(())
}

// ---- single-member reads ---------------------------------------------------

/// `ZCARD key`
pub fn zcard(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let n = lookup_read(srv, c, args.get(1))?.map_or(0, ZSet::len);
    c.reply.int(n as i64);
    Ok(())
}

/// `ZSCORE key member`
pub fn zscore(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    match lookup_read(srv, c, args.get(1))?.and_then(|z| z.score(args.get(2))) {
        Some(s) => c.reply.double(s),
        None => c.reply.null(),
    }
    Ok(())
}

/// `ZMSCORE key member [member ...]`: nils for a missing key.
pub fn zmscore(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let z = lookup_read(srv, c, args.get(1))?;
    c.reply.array_len(args.len() - 2);
    for m in args.iter().skip(2) {
        match z.and_then(|z| z.score(m)) {
            Some(s) => c.reply.double(s),
            None => c.reply.null(),
        }
    }
    Ok(())
}

fn rank(srv: &mut Server, c: &mut Client, args: &Args, rev: bool) -> CmdResult {
    let found = lookup_read(srv, c, args.get(1))?.and_then(|z| {
        let (r, _) = z.rank(args.get(2))?;
        Some(if rev { z.len() - 1 - r } else { r })
    });
    match found {
        Some(r) => c.reply.int(r as i64),
        None => c.reply.null(),
    }
    Ok(())
}

/// `ZRANK key member`
pub fn zrank(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    rank(srv, c, args, false)
}

/// `ZREVRANK key member`
pub fn zrevrank(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    rank(srv, c, args, true)
}

// ---- ranges ----------------------------------------------------------------

/// What a range selects.
#[derive(Debug, Clone)]
enum Range {
    Rank(i64, i64),
    Score(ScoreRange),
    Lex(LexRange),
}

impl Range {
    fn score(min: &[u8], max: &[u8]) -> Result<Range, CmdError> {
        ScoreRange::parse(min, max)
            .map(Range::Score)
            .ok_or(CmdError::Message(NOT_FLOAT_RANGE.into()))
    }

    fn lex(min: &[u8], max: &[u8]) -> Result<Range, CmdError> {
        LexRange::parse(min, max)
            .map(Range::Lex)
            .ok_or(CmdError::Message(NOT_LEX_RANGE.into()))
    }
}

/// A normalized rank interval over `len` elements, None when empty.
fn rank_bounds(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let start = if start < 0 {
        (len + start).max(0)
    } else {
        start
    };
    let end = if end < 0 { len + end } else { end };
    if start > end || start >= len {
        return None;
    }
    Some((start as usize, end.min(len - 1) as usize))
}

/// Whether a score or lex range can hold anything of `z` at all: it is
/// not empty, the last element is past its start and the first before
/// its end (Redis's `zslIsInRange`/`zslIsInLexRange`). Lex ranges assume
/// equal scores; on others this check decides, as in Redis.
fn overlaps(z: &ZSet, range: &Range) -> bool {
    let (Some(first), Some(last)) = (z.first(), z.last()) else {
        return false;
    };
    let (lo, hi) = (z.get(first), z.get(last));
    match range {
        Range::Rank(..) => true,
        Range::Score(r) => !r.is_empty() && r.gte_min(hi.1) && r.lte_max(lo.1),
        Range::Lex(r) => {
            !r.is_empty()
                && r.gte_min(hi.0.as_bytes(&mut IntBuf::default()))
                && r.lte_max(lo.0.as_bytes(&mut IntBuf::default()))
        }
    }
}

/// Whether an element still lies within a score or lex range, checked
/// at the end a walk in direction `rev` heads for.
fn before_end(range: &Range, rev: bool, (member, score): (Entry<'_>, f64)) -> bool {
    match range {
        Range::Rank(..) => true,
        Range::Score(r) if rev => r.gte_min(score),
        Range::Score(r) => r.lte_max(score),
        Range::Lex(r) => {
            let mut buf = IntBuf::default();
            let m = member.as_bytes(&mut buf);
            if rev {
                r.gte_min(m)
            } else {
                r.lte_max(m)
            }
        }
    }
}

/// The elements `range` selects, in reply order; `offset` and `limit`
/// (negative for none) apply to score and lex ranges, as LIMIT does.
fn select(z: &ZSet, range: &Range, rev: bool, offset: i64, limit: i64) -> Vec<Pos> {
    let mut out = Vec::new();
    if !overlaps(z, range) {
        return out;
    }
    let mut pos = match range {
        Range::Rank(start, end) => {
            let Some((start, end)) = rank_bounds(*start, *end, z.len()) else {
                return out;
            };
            let first = if rev { z.len() - 1 - start } else { start };
            let mut pos = z.at_rank(first);
            out.reserve(end - start + 1);
            for _ in start..=end {
                let Some(p) = pos else { break };
                out.push(p);
                pos = z.step(p, rev);
            }
            return out;
        }
        Range::Score(r) if rev => z.last_where(|s, _| r.lte_max(s)),
        Range::Score(r) => z.first_where(|s, _| r.gte_min(s)),
        Range::Lex(r) if rev => z.last_where(|_, m| r.lte_max(m)),
        Range::Lex(r) => z.first_where(|_, m| r.gte_min(m)),
    };
    // Redis counts the offset down while it is non-zero: a negative one
    // walks off the end.
    if offset < 0 || (offset > 0 && offset as u64 >= z.len() as u64) {
        return out;
    }
    for _ in 0..offset {
        pos = pos.and_then(|p| z.step(p, rev));
    }
    let mut left = limit;
    while let Some(p) = pos {
        if left == 0 || !before_end(range, rev, z.get(p)) {
            break;
        }
        out.push(p);
        if left > 0 {
            left -= 1;
        }
        pos = z.step(p, rev);
    }
    out
}

/// How a range command reads its arguments (Redis's
/// `zrangeGenericCommand`): which of BYSCORE/BYLEX/REV it takes, whether
/// it stores.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fixed {
    /// ZRANGE and ZRANGESTORE: everything from the options.
    Auto,
    /// ZREVRANGE: ranks, reversed.
    RevRank,
    /// ZRANGEBYSCORE / ZREVRANGEBYSCORE.
    Score { rev: bool },
    /// ZRANGEBYLEX / ZREVRANGEBYLEX.
    Lex { rev: bool },
}

/// A parsed range request.
struct Request {
    range: Range,
    rev: bool,
    offset: i64,
    limit: i64,
    scores: bool,
}

fn parse_request(args: &Args, at: usize, fixed: Fixed, store: bool) -> Result<Request, CmdError> {
    #[derive(PartialEq)]
    enum By {
        Rank,
        Score,
        Lex,
    }
    let (mut by, mut rev) = match fixed {
        Fixed::Auto => (None, None),
        Fixed::RevRank => (Some(By::Rank), Some(true)),
        Fixed::Score { rev } => (Some(By::Score), Some(rev)),
        Fixed::Lex { rev } => (Some(By::Lex), Some(rev)),
    };
    let (mut scores, mut offset, mut limit) = (false, 0i64, -1i64);
    let mut j = at + 3;
    while j < args.len() {
        let left = args.len() - j - 1;
        if !store && args.is(j, "withscores") {
            scores = true;
        } else if args.is(j, "limit") && left >= 2 {
            offset = parse_int(args.get(j + 1))?;
            limit = parse_int(args.get(j + 2))?;
            j += 2;
        } else if rev.is_none() && args.is(j, "rev") {
            rev = Some(true);
        } else if by.is_none() && args.is(j, "bylex") {
            by = Some(By::Lex);
        } else if by.is_none() && args.is(j, "byscore") {
            by = Some(By::Score);
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    let rev = rev.unwrap_or(false);
    let by = by.unwrap_or(By::Rank);
    // Redis tells a LIMIT apart by its count, so `LIMIT x -1` passes.
    if limit != -1 && by == By::Rank {
        return Err(CmdError::Message(
            "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
                .into(),
        ));
    }
    if scores && by == By::Lex {
        return Err(CmdError::Message(
            "ERR syntax error, WITHSCORES not supported in combination with BYLEX".into(),
        ));
    }
    let (mut min, mut max) = (args.get(at + 1), args.get(at + 2));
    if rev && by != By::Rank {
        std::mem::swap(&mut min, &mut max);
    }
    let range = match by {
        By::Rank => Range::Rank(parse_int(min)?, parse_int(max)?),
        By::Score => Range::score(min, max)?,
        By::Lex => Range::lex(min, max)?,
    };
    Ok(Request {
        range,
        rev,
        offset,
        limit,
        scores,
    })
}

/// The reading range commands.
fn range_reply(srv: &mut Server, c: &mut Client, args: &Args, fixed: Fixed) -> CmdResult {
    let req = parse_request(args, 1, fixed, false)?;
    let Some(z) = lookup_read(srv, c, args.get(1))? else {
        c.reply.array_len(0);
        return Ok(());
    };
    let picked = select(z, &req.range, req.rev, req.offset, req.limit);
    reply_elements_len(c, picked.len(), req.scores);
    let nested = c.reply.is_resp3();
    for p in picked {
        reply_element(c, z.get(p), req.scores, nested);
    }
    Ok(())
}

/// `ZRANGE key start stop [BYSCORE|BYLEX] [REV] [LIMIT offset count] [WITHSCORES]`
pub fn zrange(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    range_reply(srv, c, args, Fixed::Auto)
}

/// `ZREVRANGE key start stop [WITHSCORES]`
pub fn zrevrange(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    range_reply(srv, c, args, Fixed::RevRank)
}

/// `ZRANGEBYSCORE key min max [WITHSCORES] [LIMIT offset count]`
pub fn zrangebyscore(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    range_reply(srv, c, args, Fixed::Score { rev: false })
}

/// `ZREVRANGEBYSCORE key max min [WITHSCORES] [LIMIT offset count]`
pub fn zrevrangebyscore(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    range_reply(srv, c, args, Fixed::Score { rev: true })
}

/// `ZRANGEBYLEX key min max [LIMIT offset count]`
pub fn zrangebylex(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    range_reply(srv, c, args, Fixed::Lex { rev: false })
}

/// `ZREVRANGEBYLEX key max min [LIMIT offset count]`
pub fn zrevrangebylex(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    range_reply(srv, c, args, Fixed::Lex { rev: true })
}

/// Stores `elems` (sorted, distinct) at `dst` in the encoding Redis gives
/// a set built whole, or deletes `dst` when there are none; replies with
/// the count.
fn store(
    srv: &mut Server,
    c: &mut Client,
    dst: &[u8],
    elems: &[(Vec<u8>, f64)],
    name: &'static str,
) {
    if elems.is_empty() {
        if srv.db_delete(c.db, dst) {
            srv.notify_keyspace_event(event::GENERIC, "del", c.db, dst);
            srv.dirty += 1;
        }
    } else {
        let z = ZSet::from_sorted(elems, limits(srv));
        srv.set_key(c.db, dst, Value::ZSet(z), false);
        srv.notify_keyspace_event(event::ZSET, name, c.db, dst);
        srv.dirty += 1;
    }
    c.reply.int(elems.len() as i64);
}

/// Members and scores at `picked`, owned, from the lowest score.
fn owned(z: &ZSet, picked: &[Pos], rev: bool) -> Vec<(Vec<u8>, f64)> {
    let mut out: Vec<(Vec<u8>, f64)> = picked
        .iter()
        .map(|&p| {
            let (m, s) = z.get(p);
            (m.to_vec(), s)
        })
        .collect();
    if rev {
        out.reverse();
    }
    out
}

/// `ZRANGESTORE dst src min max [BYSCORE|BYLEX] [REV] [LIMIT offset count]`
pub fn zrangestore(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let req = parse_request(args, 2, Fixed::Auto, true)?;
    let id = srv.lookup_read_kind(c.db, args.get(2), Kind::ZSet)?;
    let elems = match id.and_then(|id| zset_at(srv, c.db, id)) {
        Some(z) => owned(
            z,
            &select(z, &req.range, req.rev, req.offset, req.limit),
            req.rev,
        ),
        None => Vec::new(),
    };
    store(srv, c, args.get(1), &elems, "zrangestore");
    Ok(())
}

/// `ZCOUNT key min max`
pub fn zcount(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let range = Range::score(args.get(2), args.get(3))?;
    count_range(srv, c, args, range)
}

/// `ZLEXCOUNT key min max`
pub fn zlexcount(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let range = Range::lex(args.get(2), args.get(3))?;
    count_range(srv, c, args, range)
}

fn count_range(srv: &mut Server, c: &mut Client, args: &Args, range: Range) -> CmdResult {
    let n = lookup_read(srv, c, args.get(1))?.map_or(0, |z| count_in(z, &range));
    c.reply.int(n as i64);
    Ok(())
}

/// Elements in a score or lex range: by rank difference in a skiplist.
fn count_in(z: &ZSet, range: &Range) -> usize {
    if !overlaps(z, range) {
        return 0;
    }
    let (first, last) = match range {
        Range::Score(r) => (
            z.first_where(|s, _| r.gte_min(s))
                .filter(|&p| r.lte_max(z.get(p).1)),
            z.last_where(|s, _| r.lte_max(s)),
        ),
        Range::Lex(r) => (
            z.first_where(|_, m| r.gte_min(m))
                .filter(|&p| r.lte_max(z.get(p).0.as_bytes(&mut IntBuf::default()))),
            z.last_where(|_, m| r.lte_max(m)),
        ),
        Range::Rank(..) => return 0,
    };
    match (first, last) {
        (Some(f), Some(l)) => {
            let rank_of = |p: Pos| {
                let (m, _) = z.get(p);
                z.rank(m.as_bytes(&mut IntBuf::default()))
                    .map_or(0, |(r, _)| r)
            };
            (rank_of(l) + 1).saturating_sub(rank_of(f))
        }
        _ => 0,
    }
}

fn remove_range(
    srv: &mut Server,
    c: &mut Client,
    args: &Args,
    range: Range,
    name: &'static str,
) -> CmdResult {
    let key = args.get(1);
    let Some(id) = srv.lookup_write_kind(c.db, key, Kind::ZSet)? else {
        c.reply.int(0);
        return Ok(());
    };
    let members: Vec<Vec<u8>> = match zset_at(srv, c.db, id) {
        Some(z) => select(z, &range, false, 0, -1)
            .into_iter()
            .map(|p| z.get(p).0.to_vec())
            .collect(),
        None => Vec::new(),
    };
    if members.is_empty() {
        c.reply.int(0);
        return Ok(());
    }
    let z = modify(srv, c.db, id)?;
    for m in &members {
        z.remove(m);
    }
    srv.notify_keyspace_event(event::ZSET, name, c.db, key);
    delete_if_empty(srv, c.db, id, key);
    srv.dirty += members.len() as u64;
    c.reply.int(members.len() as i64);
    Ok(())
}

/// `ZREMRANGEBYRANK key start stop`
pub fn zremrangebyrank(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let range = Range::Rank(parse_int(args.get(2))?, parse_int(args.get(3))?);
    remove_range(srv, c, args, range, "zremrangebyrank")
}

/// `ZREMRANGEBYSCORE key min max`
pub fn zremrangebyscore(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let range = Range::score(args.get(2), args.get(3))?;
    remove_range(srv, c, args, range, "zremrangebyscore")
}

/// `ZREMRANGEBYLEX key min max`
pub fn zremrangebylex(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let range = Range::lex(args.get(2), args.get(3))?;
    remove_range(srv, c, args, range, "zremrangebylex")
}

// ---- pops ------------------------------------------------------------------

/// How a pop replies (Redis's `genericZpopCommand` shapes).
#[derive(Clone, Copy, PartialEq, Eq)]
enum PopShape {
    /// ZPOPMIN/ZPOPMAX: flat, or pairs in RESP3 with a count.
    Plain { nested: bool },
    /// BZPOPMIN/BZPOPMAX: key, member, score.
    WithKey,
    /// ZMPOP/BZMPOP: key, then the pairs.
    Multi,
}

/// Pops up to `count` members from the set at `id`, replies in `shape`,
/// and raises the events; returns how many it popped.
fn pop_and_reply(
    srv: &mut Server,
    c: &mut Client,
    (id, key): (Id, &[u8]),
    max: bool,
    count: u64,
    shape: PopShape,
) -> Result<usize, CmdError> {
    let len = zset_at(srv, c.db, id).map_or(0, ZSet::len);
    let n = usize::try_from(count).unwrap_or(usize::MAX).min(len);
    match shape {
        PopShape::Plain { nested: false } => c.reply.array_len(n * 2),
        PopShape::Plain { nested: true } => c.reply.array_len(n),
        PopShape::WithKey => {
            c.reply.array_len(n * 2 + 1);
            c.reply.bulk(key);
        }
        PopShape::Multi => {
            c.reply.array_len(2);
            c.reply.bulk(key);
            c.reply.array_len(n);
        }
    }
    let nested = matches!(shape, PopShape::Plain { nested: true } | PopShape::Multi);
    let z = modify(srv, c.db, id)?;
    for _ in 0..n {
        let Some(p) = (if max { z.last() } else { z.first() }) else {
            break;
        };
        let (m, s) = z.get(p);
        let member = m.to_vec();
        reply_element(c, (Entry::Str(&member), s), true, nested);
        z.remove(&member);
    }
    srv.notify_keyspace_event(
        event::ZSET,
        if max { "zpopmax" } else { "zpopmin" },
        c.db,
        key,
    );
    delete_if_empty(srv, c.db, id, key);
    srv.dirty += n as u64;
    Ok(n)
}

fn pop_name(max: bool) -> &'static [u8] {
    if max {
        b"ZPOPMAX"
    } else {
        b"ZPOPMIN"
    }
}

fn zpop(srv: &mut Server, c: &mut Client, args: &Args, max: bool) -> CmdResult {
    if args.len() > 3 {
        return Err(CmdError::Syntax);
    }
    let count = if args.len() == 3 {
        let n = parse_int(args.get(2))
            .ok()
            .filter(|&n| n >= 0)
            .ok_or(CmdError::Message(
                "ERR value is out of range, must be positive".into(),
            ))?;
        Some(n as u64)
    } else {
        None
    };
    let key = args.get(1);
    let Some(id) = srv.lookup_write_kind(c.db, key, Kind::ZSet)? else {
        c.reply.array_len(0);
        return Ok(());
    };
    // A count of 0 answers after the type check, and touches nothing.
    if count == Some(0) {
        c.reply.array_len(0);
        return Ok(());
    }
    let nested = c.reply.is_resp3() && count.is_some();
    pop_and_reply(
        srv,
        c,
        (id, key),
        max,
        count.unwrap_or(1),
        PopShape::Plain { nested },
    )?;
    Ok(())
}

/// `ZPOPMIN key [count]`
pub fn zpopmin(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    zpop(srv, c, args, false)
}

/// `ZPOPMAX key [count]`
pub fn zpopmax(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    zpop(srv, c, args, true)
}

/// Reads `numkeys key [key ...] MIN|MAX [COUNT count]` from `at`: the
/// keys' argument range, the end, and the count.
fn parse_mpop(args: &Args, at: usize) -> Result<(std::ops::Range<usize>, bool, u64), CmdError> {
    super::list::parse_mpop_with(args, at, |end| {
        if end.eq_ignore_ascii_case(b"min") {
            Ok(false)
        } else if end.eq_ignore_ascii_case(b"max") {
            Ok(true)
        } else {
            Err(CmdError::Syntax)
        }
    })
}

/// Pops from the first of the keys (arguments `keys`) holding a set and
/// propagates it as Redis does; false when none holds one. A key of
/// another type is WRONGTYPE as soon as it is met.
fn pop_first(
    srv: &mut Server,
    c: &mut Client,
    args: &Args,
    keys: std::ops::Range<usize>,
    (max, count, shape): (bool, Option<u64>, PopShape),
) -> Result<bool, CmdError> {
    for i in keys {
        let key = args.get(i);
        let Some(id) = srv.lookup_write_kind(c.db, key, Kind::ZSet)? else {
            continue;
        };
        let popped = pop_and_reply(srv, c, (id, key), max, count.unwrap_or(1), shape)?;
        srv.propagator
            .rewrite_with(|| pop_argv(max, key, count.map(|_| popped as u64)));
        return Ok(true);
    }
    Ok(false)
}

/// The ZPOPMIN/ZPOPMAX a pop propagates as, with the number popped as
/// COUNT for the M forms.
fn pop_argv(max: bool, key: &[u8], count: Option<u64>) -> Vec<Vec<u8>> {
    let mut argv = vec![pop_name(max).to_vec(), key.to_vec()];
    if let Some(n) = count {
        argv.push(n.to_string().into_bytes());
    }
    argv
}

/// `ZMPOP numkeys key [key ...] MIN|MAX [COUNT count]`
pub fn zmpop(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let (keys, max, count) = parse_mpop(args, 1)?;
    if !pop_first(srv, c, args, keys, (max, Some(count), PopShape::Multi))? {
        c.reply.null_array();
    }
    Ok(())
}

/// Serves a client blocked in BZPOPMIN, BZPOPMAX or BZMPOP on `key`.
fn serve_pop(srv: &mut Server, c: &mut Client, w: &Waiter, key: &[u8]) -> Served {
    let BlockOp::ZPop { max, count } = w.op else {
        return Served::No;
    };
    // A blocked client sends no SELECT: its database is the one it waits in.
    let Ok(Some(id)) = srv.lookup_write_kind(c.db, key, Kind::ZSet) else {
        return Served::No;
    };
    if zset_at(srv, c.db, id).is_none_or(ZSet::is_empty) {
        return Served::No;
    }
    let shape = if count.is_some() {
        PopShape::Multi
    } else {
        PopShape::WithKey
    };
    match pop_and_reply(srv, c, (id, key), max, count.unwrap_or(1), shape) {
        Ok(n) => Served::Yes {
            propagate: Some(pop_argv(max, key, count.map(|_| n as u64))),
            failed: false,
        },
        Err(_) => Served::No,
    }
}

/// The body of BZPOPMIN, BZPOPMAX and BZMPOP: serves at once from the
/// first key holding a set, or blocks on all of them.
fn blocking_pop(
    srv: &mut Server,
    c: &mut Client,
    args: &Args,
    keys: std::ops::Range<usize>,
    timeout: &[u8],
    (max, count): (bool, Option<u64>),
) -> CmdResult {
    let deadline = parse_timeout(timeout, srv.clock.now_ms)?;
    let shape = if count.is_some() {
        PopShape::Multi
    } else {
        PopShape::WithKey
    };
    if pop_first(srv, c, args, keys.clone(), (max, count, shape))? {
        return Ok(());
    }
    let op = (BlockOp::ZPop { max, count }, serve_pop as ServeFn);
    srv.block_or_null_array(c, args, keys, deadline, op);
    Ok(())
}

/// `BZPOPMIN key [key ...] timeout`
pub fn bzpopmin(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let last = args.len() - 1;
    blocking_pop(srv, c, args, 1..last, args.get(last), (false, None))
}

/// `BZPOPMAX key [key ...] timeout`
pub fn bzpopmax(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let last = args.len() - 1;
    blocking_pop(srv, c, args, 1..last, args.get(last), (true, None))
}

/// `BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]`
pub fn bzmpop(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let (keys, max, count) = parse_mpop(args, 2)?;
    blocking_pop(srv, c, args, keys, args.get(1), (max, Some(count)))
}

// ---- set operations --------------------------------------------------------

/// One input of a set operation. Plain sets will join as a variant whose
/// members all score 1 (Redis's `zsetopsrc` reads both types).
enum Source<'a> {
    Missing,
    ZSet(&'a ZSet),
    /// A plain set: each member with score 1, as Redis reads one.
    Set(&'a crate::storage::set::Set),
}

impl Source<'_> {
    fn len(&self) -> usize {
        match self {
            Source::Missing => 0,
            Source::ZSet(z) => z.len(),
            Source::Set(set) => set.len(),
        }
    }

    fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            Source::Missing => None,
            Source::ZSet(z) => z.score(member),
            Source::Set(set) => set.contains(member).then_some(1.0),
        }
    }

    fn for_each(&self, mut f: impl FnMut(&[u8], f64)) {
        match self {
            Source::Missing => {}
            Source::ZSet(z) => {
                for (m, s) in z.iter() {
                    f(m.as_bytes(&mut IntBuf::default()), s);
                }
            }
            Source::Set(set) => {
                for m in set.iter() {
                    f(m.as_bytes(&mut IntBuf::default()), 1.0);
                }
            }
        }
    }
}

/// Whether a value can be an input of a set operation.
fn is_source(value: &Value) -> bool {
    matches!(value.kind(), Kind::ZSet | Kind::Set)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum SetOp {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

/// Folds `value` into `target` (Redis's `zunionInterAggregate`): a NaN
/// sum (`inf` + `-inf`) becomes 0.
fn aggregate(target: &mut f64, value: f64, how: Aggregate) {
    match how {
        Aggregate::Sum => {
            *target += value;
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Aggregate::Min => *target = target.min(value),
        Aggregate::Max => *target = target.max(value),
    }
}

/// A parsed set-operation request.
struct SetRequest {
    weights: Vec<f64>,
    how: Aggregate,
    scores: bool,
    limit: u64,
}

/// Reads `numkeys key [key ...]` from `at` and the options after them
/// (Redis's `zunionInterDiffGenericCommand`), looking up the keys on the
/// way, since their type is checked before the options are read. Returns
/// the request and each key's entry.
fn parse_setop(
    srv: &mut Server,
    c: &Client,
    args: &Args,
    at: usize,
    (op, store, card): (SetOp, bool, bool),
) -> Result<(SetRequest, Vec<Option<Id>>), CmdError> {
    let numkeys = parse_int(args.get(at))?;
    if numkeys < 1 {
        let name = String::from_utf8_lossy(args.get(0)).to_lowercase();
        return Err(CmdError::Message(
            format!("ERR at least 1 input key is needed for '{name}' command").into(),
        ));
    }
    let n = usize::try_from(numkeys).unwrap_or(usize::MAX);
    if n > args.len() - at - 1 {
        return Err(CmdError::Syntax);
    }
    let keys = at + 1..at + 1 + n;
    let mut ids = Vec::with_capacity(n);
    for i in keys.clone() {
        let id = if store {
            srv.lookup_write(c.db, args.get(i))
        } else {
            srv.lookup_read(c.db, args.get(i))
        };
        if id.is_some_and(|id| !is_source(srv.db(c.db).value(id))) {
            return Err(CmdError::WrongType);
        }
        ids.push(id);
    }
    let mut req = SetRequest {
        weights: vec![1.0; n],
        how: Aggregate::Sum,
        scores: false,
        limit: 0,
    };
    let mut j = keys.end;
    while j < args.len() {
        let remaining = args.len() - j;
        if op != SetOp::Diff && !card && remaining > n && args.is(j, "weights") {
            for (k, w) in req.weights.iter_mut().enumerate() {
                *w = parse_f64(args.get(j + 1 + k))
                    .ok_or(CmdError::Message("ERR weight value is not a float".into()))?;
            }
            j += 1 + n;
        } else if op != SetOp::Diff && !card && remaining >= 2 && args.is(j, "aggregate") {
            req.how = if args.is(j + 1, "sum") {
                Aggregate::Sum
            } else if args.is(j + 1, "min") {
                Aggregate::Min
            } else if args.is(j + 1, "max") {
                Aggregate::Max
            } else {
                return Err(CmdError::Syntax);
            };
            j += 2;
        } else if !store && !card && args.is(j, "withscores") {
            req.scores = true;
            j += 1;
        } else if card && remaining >= 2 && args.is(j, "limit") {
            req.limit = parse_int(args.get(j + 1))
                .ok()
                .filter(|&l| l >= 0)
                .ok_or(CmdError::Message("ERR LIMIT can't be negative".into()))?
                as u64;
            j += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    Ok((req, ids))
}

/// The inputs at `ids`, with their weights, smallest first for a union
/// or intersection (the order sums are made in, as in Redis).
fn sources<'a>(
    srv: &'a Server,
    db: usize,
    ids: &[Option<Id>],
    weights: &[f64],
    op: SetOp,
) -> Vec<(Source<'a>, f64)> {
    let mut src: Vec<(Source<'a>, f64)> = ids
        .iter()
        .zip(weights)
        .map(|(id, &w)| {
            let s = match id.map(|id| srv.db(db).value(id)) {
                Some(Value::ZSet(z)) => Source::ZSet(z),
                Some(Value::Set(set)) => Source::Set(set),
                _ => Source::Missing,
            };
            (s, w)
        })
        .collect();
    if op != SetOp::Diff {
        src.sort_by_key(|(s, _)| s.len());
    }
    src
}

/// The result of a set operation, sorted by (score, member).
fn compute(src: &[(Source<'_>, f64)], op: SetOp, how: Aggregate) -> Vec<(Vec<u8>, f64)> {
    let weighted = |s: f64, w: f64| {
        let v = s * w;
        if v.is_nan() {
            0.0
        } else {
            v
        }
    };
    let mut out: Vec<(Vec<u8>, f64)> = Vec::new();
    match op {
        SetOp::Union => {
            let mut acc: HashMap<Vec<u8>, f64> = HashMap::new();
            for (s, w) in src {
                s.for_each(|m, score| {
                    let v = weighted(score, *w);
                    match acc.get_mut(m) {
                        Some(t) => aggregate(t, v, how),
                        None => {
                            acc.insert(m.to_vec(), v);
                        }
                    }
                });
            }
            out.extend(acc);
        }
        SetOp::Inter => {
            if let Some(((first, w0), rest)) = src.split_first() {
                if rest.iter().all(|(s, _)| s.len() > 0) {
                    first.for_each(|m, score| {
                        let mut t = weighted(score, *w0);
                        for (s, w) in rest {
                            match s.score(m) {
                                Some(v) => aggregate(&mut t, v * w, how),
                                None => return,
                            }
                        }
                        out.push((m.to_vec(), t));
                    });
                }
            }
        }
        SetOp::Diff => {
            if let Some(((first, _), rest)) = src.split_first() {
                first.for_each(|m, score| {
                    if rest.iter().all(|(s, _)| s.score(m).is_none()) {
                        out.push((m.to_vec(), score));
                    }
                });
            }
        }
    }
    out.sort_by(|a, b| {
        a.1.partial_cmp(&b.1)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.0.cmp(&b.0))
    });
    out
}

fn setop(srv: &mut Server, c: &mut Client, args: &Args, op: SetOp) -> CmdResult {
    let (req, ids) = parse_setop(srv, c, args, 1, (op, false, false))?;
    let src = sources(srv, c.db, &ids, &req.weights, op);
    let result = compute(&src, op, req.how);
    reply_elements_len(c, result.len(), req.scores);
    let nested = c.reply.is_resp3();
    for (m, s) in &result {
        reply_element(c, (Entry::Str(m), *s), req.scores, nested);
    }
    Ok(())
}

fn setop_store(
    srv: &mut Server,
    c: &mut Client,
    args: &Args,
    op: SetOp,
    name: &'static str,
) -> CmdResult {
    let (req, ids) = parse_setop(srv, c, args, 2, (op, true, false))?;
    let src = sources(srv, c.db, &ids, &req.weights, op);
    let result = compute(&src, op, req.how);
    store(srv, c, args.get(1), &result, name);
    Ok(())
}

/// `ZUNION numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]`
pub fn zunion(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    setop(srv, c, args, SetOp::Union)
}

/// `ZINTER numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX] [WITHSCORES]`
pub fn zinter(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    setop(srv, c, args, SetOp::Inter)
}

/// `ZDIFF numkeys key [key ...] [WITHSCORES]`
pub fn zdiff(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    setop(srv, c, args, SetOp::Diff)
}

/// `ZUNIONSTORE dst numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX]`
pub fn zunionstore(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    setop_store(srv, c, args, SetOp::Union, "zunionstore")
}

/// `ZINTERSTORE dst numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX]`
pub fn zinterstore(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    setop_store(srv, c, args, SetOp::Inter, "zinterstore")
}

/// `ZDIFFSTORE dst numkeys key [key ...]`
pub fn zdiffstore(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    setop_store(srv, c, args, SetOp::Diff, "zdiffstore")
}

/// `ZINTERCARD numkeys key [key ...] [LIMIT limit]`
pub fn zintercard(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let (req, ids) = parse_setop(srv, c, args, 1, (SetOp::Inter, false, true))?;
    let src = sources(srv, c.db, &ids, &req.weights, SetOp::Inter);
    let mut n = 0u64;
    if let Some(((first, _), rest)) = src.split_first() {
        first.for_each(|m, _| {
            if (req.limit == 0 || n < req.limit) && rest.iter().all(|(s, _)| s.score(m).is_some()) {
                n += 1;
            }
        });
    }
    c.reply.int(n as i64);
    Ok(())
}

// ---- random members and scanning ---------------------------------------------

/// `ZRANDMEMBER key [count [WITHSCORES]]`
pub fn zrandmember(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let Some((count, scores)) = super::parse_random_count(args, "withscores")? else {
        return random_one(srv, c, args.get(1));
    };
    let Some(id) = srv.lookup_read_kind(c.db, args.get(1), Kind::ZSet)? else {
        c.reply.array_len(0);
        return Ok(());
    };
    if count == 0 {
        c.reply.array_len(0);
    } else if count < 0 || count == 1 {
        random_repeating(srv, c, id, count.unsigned_abs(), scores);
    } else {
        random_unique(srv, c, id, count as u64, scores);
    }
    Ok(())
}

/// A uniformly random element.
fn pick(z: &ZSet, rand: &mut impl FnMut() -> u64) -> Option<Pos> {
    match z {
        ZSet::Listpack(_) => {
            let n = z.len() as u64;
            if n == 0 {
                return None;
            }
            z.at_rank((rand() % n) as usize)
        }
        ZSet::Skiplist(b) => {
            let id = b.dict.random(rand)?;
            let member = b.dict.key(id).as_slice();
            let (rank, _) = z.rank(member)?;
            z.at_rank(rank)
        }
    }
}

fn random_one(srv: &mut Server, c: &mut Client, key: &[u8]) -> CmdResult {
    let Some(id) = srv.lookup_read_kind(c.db, key, Kind::ZSet)? else {
        c.reply.null();
        return Ok(());
    };
    let mut state = srv.random_state;
    if let Some(z) = zset_at(srv, c.db, id) {
        match pick(z, &mut || next_random(&mut state)) {
            Some(p) => reply_entry(c, z.get(p).0),
            None => c.reply.null(),
        }
    }
    srv.random_state = state;
    Ok(())
}

/// `count` members picked independently (a negative count, or 1); the
/// client's output limit is checked between batches.
fn random_repeating(srv: &mut Server, c: &mut Client, id: Id, count: u64, scores: bool) {
    let n = if scores && !c.reply.is_resp3() {
        count.saturating_mul(2)
    } else {
        count
    };
    c.reply.array_len(n as usize);
    let nested = c.reply.is_resp3();
    let mut left = count;
    while left > 0 {
        let batch = left.min(PICKS_PER_BATCH);
        let mut state = srv.random_state;
        if let Some(z) = zset_at(srv, c.db, id) {
            for _ in 0..batch {
                if let Some(p) = pick(z, &mut || next_random(&mut state)) {
                    reply_element(c, z.get(p), scores, nested);
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
fn random_unique(srv: &mut Server, c: &mut Client, id: Id, count: u64, scores: bool) {
    let Some(z) = zset_at(srv, c.db, id) else {
        return;
    };
    let size = z.len();
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    let n = count.min(size);
    reply_elements_len(c, n, scores);
    let nested = c.reply.is_resp3();
    // The whole set, from the highest score, as Redis sends it.
    if count >= size {
        let mut pos = z.last();
        while let Some(p) = pos {
            reply_element(c, z.get(p), scores, nested);
            pos = z.prev(p);
        }
        return;
    }
    let mut state = srv.random_state;
    let mut rand = || next_random(&mut state);
    match z {
        // Selection sampling: one pass, members in order.
        ZSet::Listpack(_) => {
            let (mut need, mut left) = (count as u64, size as u64);
            for e in z.iter() {
                if rand() % left < need {
                    reply_element(c, e, scores, nested);
                    need -= 1;
                }
                left -= 1;
            }
        }
        // Most of the set: all of it, less random members.
        ZSet::Skiplist(b) if count * SUB_STRATEGY_MUL > size => {
            let mut ids: Vec<Id> = b.dict.ids().collect();
            while ids.len() > count {
                let i = (rand() % ids.len() as u64) as usize;
                ids.swap_remove(i);
            }
            for id in ids {
                let e = (Entry::Str(b.dict.key(id).as_slice()), *b.dict.value(id));
                reply_element(c, e, scores, nested);
            }
        }
        // A small part: random members until enough distinct ones.
        ZSet::Skiplist(b) => {
            let mut seen = std::collections::HashSet::with_capacity(count);
            while seen.len() < count {
                let Some(id) = b.dict.random(&mut rand) else {
                    break;
                };
                if seen.insert(id) {
                    let e = (Entry::Str(b.dict.key(id).as_slice()), *b.dict.value(id));
                    reply_element(c, e, scores, nested);
                }
            }
        }
    }
    srv.random_state = state;
}

/// `ZSCAN key cursor [MATCH pattern] [COUNT count]`: a listpack is
/// returned whole with cursor 0, a skiplist's dictionary a few buckets at
/// a time; scores as the listpack holds them, or `%.17g`.
pub fn zscan(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let mut cursor = parse_cursor(args.get(2))?;
    let Some(z) = lookup_read(srv, c, args.get(1))? else {
        c.reply.array_len(2);
        c.reply.bulk(b"0");
        c.reply.array_len(0);
        return Ok(());
    };
    let opts = parse_scan_options(args, 3, false)?;
    let matches = |m: &[u8]| opts.pattern.is_none_or(|p| glob_match(p, m, false));
    let mut found: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
    match z {
        ZSet::Listpack(lp) => {
            let mut it = lp.iter();
            while let (Some(m), Some(s)) = (it.next(), it.next()) {
                if matches(m.as_bytes(&mut IntBuf::default())) {
                    found.push((m.to_vec(), s.to_vec()));
                }
            }
            cursor = 0;
        }
        ZSet::Skiplist(b) => {
            let mut ids: Vec<Id> = Vec::new();
            let mut budget = opts.count.saturating_mul(10);
            loop {
                cursor = b.dict.scan(cursor, |id| ids.push(id));
                if cursor == 0 || budget == 0 || ids.len() * 2 >= opts.count {
                    break;
                }
                budget -= 1;
            }
            for id in ids {
                let m = b.dict.key(id).as_slice();
                if matches(m) {
                    let mut text = [0u8; G17_MAX];
                    let s = format_g17(*b.dict.value(id), &mut text).to_vec();
                    found.push((m.to_vec(), s));
                }
            }
        }
    }
    c.reply.array_len(2);
    c.reply.bulk_int(cursor as i64);
    c.reply.array_len(found.len() * 2);
    for (m, s) in found {
        c.reply.bulk(&m);
        c.reply.bulk(&s);
    }
    Ok(())
}
