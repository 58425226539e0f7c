//! List commands (Redis's `t_list.c`): pushes and pops at both ends, with
//! counts and across keys (LMPOP), moves between lists, ranges, indexes,
//! insertion, removal, trimming and LPOS. The storage is
//! [`Quicklist`](crate::storage::quicklist), created with the
//! `list-max-listpack-size` and `list-compress-depth` in force when the key
//! is created.
//!
//! Argument checks happen in Redis's order (some commands parse numbers
//! before looking the key up, others after), since that order decides
//! which reply a client sees when several things are wrong. A list emptied
//! by a command is deleted at once.
//!
//! The blocking commands are built elsewhere on [`pop_for_client`] and
//! [`move_for_client`], which serve one blocked client the way Redis does:
//! the reply, the keyspace events, and the propagation of the pop as its
//! non-blocking form.

use super::{parse_int, parse_timeout, reply_entry, Args, CmdError, CmdResult};
use crate::server::blocking::{BlockOp, ServeFn, Served, Waiter};
use crate::server::client::Client;
use crate::server::keyspace::event;
use crate::server::propagate::int_arg;
use crate::server::Server;
use crate::storage::dict::Id;
use crate::storage::quicklist::{Quicklist, Where};
use crate::storage::value::{Kind, Value};

/// The list at `id`, for reading; callers have checked the type.
fn list_of(srv: &Server, db: usize, id: Id) -> Option<&Quicklist> {
    match srv.db(db).value(id) {
        Value::List(l) => Some(l),
        _ => None,
    }
}

/// The list at `id`, to change; callers have checked the type.
fn list_mut(srv: &mut Server, db: usize, id: Id) -> Option<&mut Quicklist> {
    match srv.modify(db, id) {
        Value::List(l) => Some(l),
        _ => None,
    }
}

/// A new empty list with the options in force now.
fn new_list(srv: &Server) -> Value {
    Value::List(Box::new(Quicklist::with_options(srv.list_options())))
}

fn push_event(at: Where) -> &'static str {
    match at {
        Where::Head => "lpush",
        Where::Tail => "rpush",
    }
}

fn pop_event(at: Where) -> &'static str {
    match at {
        Where::Head => "lpop",
        Where::Tail => "rpop",
    }
}

/// `LEFT` or `RIGHT`, any case (`getListPositionFromObjectOrReply`).
fn parse_where(arg: &[u8]) -> Result<Where, CmdError> {
    if arg.eq_ignore_ascii_case(b"left") {
        Ok(Where::Head)
    } else if arg.eq_ignore_ascii_case(b"right") {
        Ok(Where::Tail)
    } else {
        Err(CmdError::Syntax)
    }
}

/// How a served move is propagated: Redis's lower-case position words.
fn where_word(at: Where) -> &'static [u8] {
    match at {
        Where::Head => b"left",
        Where::Tail => b"right",
    }
}

/// A number Redis reads with `getRangeLongFromObjectOrReply` and a
/// message of its own for anything out of `min..`.
fn parse_at_least(arg: &[u8], min: i64, msg: &'static str) -> Result<i64, CmdError> {
    match parse_int(arg) {
        Ok(v) if v >= min => Ok(v),
        _ => Err(CmdError::Message(msg.into())),
    }
}

/// Deletes the key once its list is empty, with the `del` event.
fn delete_if_empty(srv: &mut Server, db: usize, id: Id, key: &[u8]) -> bool {
    if list_of(srv, db, id).is_some_and(Quicklist::is_empty) {
        srv.delete_id(db, id);
        srv.notify_keyspace_event(event::GENERIC, "del", db, key);
        true
    } else {
        false
    }
}

// ---- pushes ------------------------------------------------------------

/// LPUSH, RPUSH and their X forms (`pushGenericCommand`).
fn push_generic(srv: &mut Server, c: &mut Client, args: &Args, at: Where, xx: bool) -> CmdResult {
    let key = args.get(1);
    let id = match srv.lookup_write_kind(c.db, key, Kind::List)? {
        Some(id) => id,
        None if xx => {
            c.reply.int(0);
            return Ok(());
        }
        None => {
            let list = new_list(srv);
            srv.db_add(c.db, key, list)
        }
    };
    let Some(list) = list_mut(srv, c.db, id) else {
        return Err(CmdError::WrongType);
    };
    for value in args.iter().skip(2) {
        list.push(value, at);
    }
    let len = list.len();
    srv.dirty += (args.len() - 2) as u64;
    c.reply.int(len as i64);
    srv.notify_keyspace_event(event::LIST, push_event(at), c.db, key);
    Ok(())
}

/// `LPUSH key element [element ...]`
pub fn lpush(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    push_generic(srv, c, args, Where::Head, false)
}

/// `RPUSH key element [element ...]`
pub fn rpush(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    push_generic(srv, c, args, Where::Tail, false)
}

/// `LPUSHX key element [element ...]`
pub fn lpushx(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    push_generic(srv, c, args, Where::Head, true)
}

/// `RPUSHX key element [element ...]`
pub fn rpushx(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    push_generic(srv, c, args, Where::Tail, true)
}

// ---- pops ----------------------------------------------------------------

/// Replies with elements `start..=end` of a list, indexes as LRANGE takes
/// them, back to front when `reverse` (`addListRangeReply`).
fn reply_range(c: &mut Client, list: &Quicklist, start: i64, end: i64, reverse: bool) {
    let len = list.len() as i64;
    let mut start = if start < 0 { len + start } else { start };
    let mut end = if end < 0 { len + end } else { end };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= len {
        c.reply.array_len(0);
        return;
    }
    if end >= len {
        end = len - 1;
    }
    let mut left = (end - start + 1) as usize;
    c.reply.array_len(left);
    let from = if reverse { end } else { start } as usize;
    list.visit(from, reverse, |e| {
        reply_entry(c, e);
        left -= 1;
        left > 0
    });
}

/// Pops up to `count` elements from one end and replies with them as an
/// array, the key's events and deletion included
/// (`addListRangeReply` + `listTypeDelRange` + `listElementsRemoved`).
/// Returns how many were popped.
fn pop_range(
    srv: &mut Server,
    c: &mut Client,
    (db, id): (usize, Id),
    key: &[u8],
    at: Where,
    count: u64,
) -> u64 {
    let Some(list) = list_of(srv, db, id) else {
        return 0;
    };
    let len = list.len() as u64;
    let n = count.min(len) as i64;
    let (start, end, reverse) = match at {
        Where::Head => (0, n - 1, false),
        Where::Tail => (-n, -1, true),
    };
    reply_range(c, list, start, end, reverse);
    if let Some(list) = list_mut(srv, db, id) {
        list.del_range(start, n);
    }
    elements_removed(srv, db, id, key, at, n as u64);
    n as u64
}

/// Events, deletion and the dirty count after a pop (`listElementsRemoved`).
fn elements_removed(srv: &mut Server, db: usize, id: Id, key: &[u8], at: Where, n: u64) {
    srv.notify_keyspace_event(event::LIST, pop_event(at), db, key);
    delete_if_empty(srv, db, id, key);
    srv.dirty += n;
}

/// LPOP and RPOP (`popGenericCommand`).
fn pop_generic(srv: &mut Server, c: &mut Client, args: &Args, at: Where) -> CmdResult {
    if args.len() > 3 {
        return Err(CmdError::WrongArity(if at == Where::Head {
            "lpop"
        } else {
            "rpop"
        }));
    }
    let count = if args.len() == 3 {
        Some(parse_at_least(
            args.get(2),
            0,
            "ERR value is out of range, must be positive",
        )? as u64)
    } else {
        None
    };
    let key = args.get(1);
    let Some(id) = srv.lookup_write_kind(c.db, key, Kind::List)? else {
        match count {
            Some(_) => c.reply.null_array(),
            None => c.reply.null(),
        }
        return Ok(());
    };
    match count {
        Some(0) => c.reply.array_len(0),
        Some(n) => {
            pop_range(srv, c, (c.db, id), key, at, n);
        }
        None => {
            let db = c.db;
            if let Some(list) = list_mut(srv, db, id) {
                list.pop_with(at, |e| reply_entry(c, e));
            }
            elements_removed(srv, db, id, key, at, 1);
        }
    }
    Ok(())
}

/// `LPOP key [count]`
pub fn lpop(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    pop_generic(srv, c, args, Where::Head)
}

/// `RPOP key [count]`
pub fn rpop(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    pop_generic(srv, c, args, Where::Tail)
}

/// Parses `numkeys key [key ...] LEFT|RIGHT [COUNT count]` starting at
/// argument `at` (LMPOP, BLMPOP): the keys' argument range, the end, and
/// the count (1 when not given), in Redis's order of checks.
fn parse_mpop(args: &Args, at: usize) -> Result<(std::ops::Range<usize>, Where, u64), CmdError> {
    parse_mpop_with(args, at, parse_where)
}

/// `numkeys key [key ...] <end> [COUNT count]` from argument `at` on, as
/// LMPOP and ZMPOP (and their blocking forms) share it: the keys' range,
/// the end `end_of` reads, and the count (1 by default).
pub(super) fn parse_mpop_with<E>(
    args: &Args,
    at: usize,
    end_of: impl Fn(&[u8]) -> Result<E, CmdError>,
) -> Result<(std::ops::Range<usize>, E, u64), CmdError> {
    let numkeys = parse_at_least(args.get(at), 1, "ERR numkeys should be greater than 0")?;
    let where_idx = usize::try_from(numkeys)
        .ok()
        .and_then(|n| n.checked_add(at + 1))
        .filter(|&i| i < args.len())
        .ok_or(CmdError::Syntax)?;
    let end = end_of(args.get(where_idx))?;
    let mut count = None;
    let mut j = where_idx + 1;
    while j < args.len() {
        if count.is_none() && args.is(j, "count") && j + 1 < args.len() {
            j += 1;
            count =
                Some(parse_at_least(args.get(j), 1, "ERR count should be greater than 0")? as u64);
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    Ok((at + 1..where_idx, end, count.unwrap_or(1)))
}

/// Pops from the first of the keys (arguments `keys`) that holds a list,
/// replying and propagating as the pop Redis propagates; false when none
/// does. A key of another type is WRONGTYPE, as soon as it is met.
fn pop_first(
    srv: &mut Server,
    c: &mut Client,
    args: &Args,
    keys: std::ops::Range<usize>,
    (at, count): (Where, Option<u64>),
) -> Result<bool, CmdError> {
    for i in keys {
        let key = args.get(i);
        if srv.lookup_write_kind(c.db, key, Kind::List)?.is_none() {
            continue;
        }
        if let Some(argv) = pop_for_client(srv, c, c.db, key, at, count) {
            srv.propagator.rewrite_with(|| argv);
            return Ok(true);
        }
    }
    Ok(false)
}

/// `LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count]`
pub fn lmpop(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let (keys, at, count) = parse_mpop(args, 1)?;
    if !pop_first(srv, c, args, keys, (at, Some(count)))? {
        c.reply.null_array();
    }
    Ok(())
}

// ---- moves ---------------------------------------------------------------

/// Pops from `src` and pushes onto `dst` (`lmoveGenericCommand`), replying
/// with the element; nil when `src` is missing. Returns whether an element
/// moved.
fn move_generic(
    srv: &mut Server,
    c: &mut Client,
    db: usize,
    (src, dst): (&[u8], &[u8]),
    (from, to): (Where, Where),
) -> Result<bool, CmdError> {
    let Some(sid) = srv.lookup_write_kind(db, src, Kind::List)? else {
        c.reply.null();
        return Ok(false);
    };
    if list_of(srv, db, sid).is_none_or(Quicklist::is_empty) {
        c.reply.null();
        return Ok(false);
    }
    let did = srv.lookup_write_kind(db, dst, Kind::List)?;
    let Some(value) = list_mut(srv, db, sid).and_then(|l| l.pop(from)) else {
        c.reply.null();
        return Ok(false);
    };
    // The source may be the destination: it is not deleted before the push.
    let did = match did {
        Some(id) => id,
        None => {
            let list = new_list(srv);
            srv.db_add(db, dst, list)
        }
    };
    if let Some(list) = list_mut(srv, db, did) {
        list.push(&value, to);
    }
    srv.notify_keyspace_event(event::LIST, push_event(to), db, dst);
    c.reply.bulk(&value);
    srv.notify_keyspace_event(event::LIST, pop_event(from), db, src);
    delete_if_empty(srv, db, sid, src);
    srv.dirty += 1;
    Ok(true)
}

/// `LMOVE source destination LEFT|RIGHT LEFT|RIGHT`
pub fn lmove(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let from = parse_where(args.get(3))?;
    let to = parse_where(args.get(4))?;
    move_generic(srv, c, c.db, (args.get(1), args.get(2)), (from, to)).map(drop)
}

/// `RPOPLPUSH source destination`
pub fn rpoplpush(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let keys = (args.get(1), args.get(2));
    move_generic(srv, c, c.db, keys, (Where::Tail, Where::Head)).map(drop)
}

// ---- blocking pops ----------------------------------------------------

/// Pops one element (`count` None: BLPOP, BRPOP) or up to `count`
/// (BLMPOP) from the list at `key`, replying as those commands reply when
/// they find data (`[key, element]`, or `[key, [elements...]]`), with the
/// events, the deletion of an emptied key and the dirty count. Returns the
/// command Redis propagates for it (`LPOP key`, or `LPOP key n` with the
/// number popped), or `None`, changing nothing, when `key` holds no list.
fn pop_for_client(
    srv: &mut Server,
    c: &mut Client,
    db: usize,
    key: &[u8],
    at: Where,
    count: Option<u64>,
) -> Option<Vec<Vec<u8>>> {
    let id = srv.lookup_write_kind(db, key, Kind::List).ok()??;
    let len = list_of(srv, db, id)
        .map(Quicklist::len)
        .filter(|&n| n > 0)?;
    let name: &[u8] = if at == Where::Head { b"LPOP" } else { b"RPOP" };
    c.reply.array_len(2);
    c.reply.bulk(key);
    match count {
        Some(count) => {
            pop_range(srv, c, (db, id), key, at, count);
            let n = int_arg(count.min(len as u64) as i64);
            Some(vec![name.to_vec(), key.to_vec(), n])
        }
        None => {
            if let Some(list) = list_mut(srv, db, id) {
                list.pop_with(at, |e| reply_entry(c, e));
            }
            elements_removed(srv, db, id, key, at, 1);
            Some(vec![name.to_vec(), key.to_vec()])
        }
    }
}

/// Moves one element from `src` to `dst` as BLMOVE and BRPOPLPUSH do when
/// `src` has one, replying with it. Returns the command Redis propagates
/// (`LMOVE src dst <from> <to>`, or `RPOPLPUSH src dst`), `None` when
/// `src` holds no list, and WRONGTYPE, changing nothing, when `dst`
/// holds another type.
fn move_for_client(
    srv: &mut Server,
    c: &mut Client,
    db: usize,
    (src, dst): (&[u8], &[u8]),
    (from, to): (Where, Where),
    rpoplpush: bool,
) -> Result<Option<Vec<Vec<u8>>>, CmdError> {
    match srv.lookup_write_kind(db, src, Kind::List)? {
        Some(id) if list_of(srv, db, id).is_some_and(|l| !l.is_empty()) => {}
        _ => return Ok(None),
    }
    srv.lookup_write_kind(db, dst, Kind::List)?;
    if !move_generic(srv, c, db, (src, dst), (from, to))? {
        return Ok(None);
    }
    Ok(Some(if rpoplpush {
        vec![b"RPOPLPUSH".to_vec(), src.to_vec(), dst.to_vec()]
    } else {
        vec![
            b"LMOVE".to_vec(),
            src.to_vec(),
            dst.to_vec(),
            where_word(from).to_vec(),
            where_word(to).to_vec(),
        ]
    }))
}

/// Serves a client blocked in BLPOP, BRPOP or BLMPOP on `key`.
fn serve_pop(srv: &mut Server, c: &mut Client, w: &Waiter, key: &[u8]) -> Served {
    let BlockOp::Pop { at, count } = w.op else {
        return Served::No;
    };
    match pop_for_client(srv, c, w.db, key, at, count) {
        Some(argv) => Served::Yes {
            propagate: Some(argv),
            failed: false,
        },
        None => Served::No,
    }
}

/// Serves a client blocked in BLMOVE or BRPOPLPUSH on its source `key`; a
/// destination of another type ends its wait with WRONGTYPE, as in Redis.
fn serve_move(srv: &mut Server, c: &mut Client, w: &Waiter, key: &[u8]) -> Served {
    let BlockOp::Move {
        ref dst,
        from,
        to,
        rpoplpush,
    } = w.op
    else {
        return Served::No;
    };
    match move_for_client(srv, c, w.db, (key, dst), (from, to), rpoplpush) {
        Ok(Some(argv)) => Served::Yes {
            propagate: Some(argv),
            failed: false,
        },
        Ok(None) => Served::No,
        Err(e) => {
            super::write_error(srv, c, &e);
            Served::Yes {
                propagate: None,
                failed: true,
            }
        }
    }
}

/// The shared body of BLPOP, BRPOP and BLMPOP (`blockingPopGenericCommand`):
/// serves at once from the first key holding a list, in the order given,
/// or blocks on all of them.
fn blocking_pop(
    srv: &mut Server,
    c: &mut Client,
    args: &Args,
    keys: std::ops::Range<usize>,
    timeout: &[u8],
    (at, count): (Where, Option<u64>),
) -> CmdResult {
    let deadline = parse_timeout(timeout, srv.clock.now_ms)?;
    if pop_first(srv, c, args, keys.clone(), (at, count))? {
        return Ok(());
    }
    let op = (BlockOp::Pop { at, count }, serve_pop as ServeFn);
    srv.block_or_null_array(c, args, keys, deadline, op);
    Ok(())
}

/// `BLPOP key [key ...] timeout`
pub fn blpop(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let last = args.len() - 1;
    blocking_pop(srv, c, args, 1..last, args.get(last), (Where::Head, None))
}

/// `BRPOP key [key ...] timeout`
pub fn brpop(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let last = args.len() - 1;
    blocking_pop(srv, c, args, 1..last, args.get(last), (Where::Tail, None))
}

/// `BLMPOP timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]`
pub fn blmpop(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let (keys, at, count) = parse_mpop(args, 2)?;
    blocking_pop(srv, c, args, keys, args.get(1), (at, Some(count)))
}

/// The shared body of BLMOVE and BRPOPLPUSH (`blmoveGenericCommand`).
/// Served at once, BLMOVE propagates as LMOVE with the end words as the
/// client wrote them (served later, in Redis's lower case).
fn blocking_move(
    srv: &mut Server,
    c: &mut Client,
    args: &Args,
    (from, to): (Where, Where),
    deadline: Option<u64>,
    rpoplpush: bool,
) -> CmdResult {
    let (src, dst) = (args.get(1), args.get(2));
    if srv.lookup_write_kind(c.db, src, Kind::List)?.is_some() {
        if let Some(mut argv) = move_for_client(srv, c, c.db, (src, dst), (from, to), rpoplpush)? {
            if !rpoplpush {
                argv.truncate(3);
                argv.extend([args.get(3).to_vec(), args.get(4).to_vec()]);
            }
            srv.propagator.rewrite_with(|| argv);
        }
        return Ok(());
    }
    if c.denies_blocking() {
        c.reply.null();
        return Ok(());
    }
    let op = BlockOp::Move {
        dst: dst.to_vec(),
        from,
        to,
        rpoplpush,
    };
    let waiter = Waiter::new(c, vec![src.to_vec()], deadline, op, serve_move);
    srv.block_client(c, waiter);
    Ok(())
}

/// `BLMOVE source destination LEFT|RIGHT LEFT|RIGHT timeout`
pub fn blmove(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let from = parse_where(args.get(3))?;
    let to = parse_where(args.get(4))?;
    let deadline = parse_timeout(args.get(5), srv.clock.now_ms)?;
    blocking_move(srv, c, args, (from, to), deadline, false)
}

/// `BRPOPLPUSH source destination timeout`
pub fn brpoplpush(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let deadline = parse_timeout(args.get(3), srv.clock.now_ms)?;
    let ends = (Where::Tail, Where::Head);
    blocking_move(srv, c, args, ends, deadline, true)
}

// ---- reads -----------------------------------------------------------------

/// `LLEN key`
pub fn llen(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let id = srv.lookup_read_kind(c.db, args.get(1), Kind::List)?;
    let len = id
        .and_then(|id| list_of(srv, c.db, id))
        .map_or(0, Quicklist::len);
    c.reply.int(len as i64);
    Ok(())
}

/// `LINDEX key index`
pub fn lindex(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let Some(id) = srv.lookup_read_kind(c.db, args.get(1), Kind::List)? else {
        c.reply.null();
        return Ok(());
    };
    let index = parse_int(args.get(2))?;
    let found = list_of(srv, c.db, id).and_then(|l| l.with_index(index, |e| reply_entry(c, e)));
    if found.is_none() {
        c.reply.null();
    }
    Ok(())
}

/// `LRANGE key start stop`
pub fn lrange(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let start = parse_int(args.get(2))?;
    let end = parse_int(args.get(3))?;
    let Some(id) = srv.lookup_read_kind(c.db, args.get(1), Kind::List)? else {
        c.reply.array_len(0);
        return Ok(());
    };
    if let Some(list) = list_of(srv, c.db, id) {
        reply_range(c, list, start, end, false);
    }
    Ok(())
}

/// `LPOS key element [RANK rank] [COUNT num-matches] [MAXLEN len]`
pub fn lpos(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let element = args.get(2);
    let (mut rank, mut count, mut maxlen) = (1i64, None, 0u64);
    let mut j = 3;
    while j < args.len() {
        let more = j + 1 < args.len();
        if args.is(j, "rank") && more {
            j += 1;
            rank = parse_int(args.get(j))?;
            if rank == 0 {
                return Err(CmdError::Message(
                    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the \
                     second ... or use negative to start from the end of the list"
                        .into(),
                ));
            }
        } else if args.is(j, "count") && more {
            j += 1;
            count = Some(parse_at_least(args.get(j), 0, "ERR COUNT can't be negative")? as u64);
        } else if args.is(j, "maxlen") && more {
            j += 1;
            maxlen = parse_at_least(args.get(j), 0, "ERR MAXLEN can't be negative")? as u64;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    // Redis negates a negative rank in a C long: RANK LONG_MIN stays
    // negative, so every match qualifies and COUNT never stops the walk.
    let from_tail = rank < 0;
    let rank = if from_tail { rank.wrapping_neg() } else { rank };
    let Some(id) = srv.lookup_read_kind(c.db, args.get(1), Kind::List)? else {
        match count {
            Some(_) => c.reply.array_len(0),
            None => c.reply.null(),
        }
        return Ok(());
    };
    let Some(list) = list_of(srv, c.db, id) else {
        return Ok(());
    };
    let len = list.len() as u64;
    let (mut index, mut matches) = (0u64, 0i64);
    let mut found = Vec::new();
    let start = if from_tail { len.saturating_sub(1) } else { 0 } as usize;
    list.visit(start, from_tail, |e| {
        if maxlen != 0 && index >= maxlen {
            return false;
        }
        if e.eq_bytes(element) {
            matches += 1;
            if matches >= rank {
                found.push(if from_tail { len - index - 1 } else { index });
                let served = matches.wrapping_sub(rank).wrapping_add(1);
                match count {
                    None => return false,
                    Some(n) if n != 0 && served >= 0 && served as u64 >= n => return false,
                    Some(_) => {}
                }
            }
        }
        index += 1;
        true
    });
    match count {
        Some(_) => {
            c.reply.array_len(found.len());
            for i in found {
                c.reply.int(i as i64);
            }
        }
        None => match found.first() {
            Some(&i) => c.reply.int(i as i64),
            None => c.reply.null(),
        },
    }
    Ok(())
}

// ---- changes in the middle ---------------------------------------------

/// `LSET key index element`
pub fn lset(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let key = args.get(1);
    let id = srv
        .lookup_write_kind(c.db, key, Kind::List)?
        .ok_or(CmdError::NoSuchKey)?;
    let index = parse_int(args.get(2))?;
    let len = list_of(srv, c.db, id).map_or(0, Quicklist::len) as i64;
    if index >= len || index < -len {
        return Err(CmdError::Message("ERR index out of range".into()));
    }
    if let Some(list) = list_mut(srv, c.db, id) {
        list.replace_at(index, args.get(3));
    }
    c.reply.ok();
    srv.notify_keyspace_event(event::LIST, "lset", c.db, key);
    srv.dirty += 1;
    Ok(())
}

/// `LINSERT key BEFORE|AFTER pivot element`
pub fn linsert(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let after = if args.is(2, "after") {
        true
    } else if args.is(2, "before") {
        false
    } else {
        return Err(CmdError::Syntax);
    };
    let key = args.get(1);
    let Some(id) = srv.lookup_write_kind(c.db, key, Kind::List)? else {
        c.reply.int(0);
        return Ok(());
    };
    let pivot = args.get(3);
    let mut present = false;
    if let Some(list) = list_of(srv, c.db, id) {
        list.visit(0, false, |e| {
            present = e.eq_bytes(pivot);
            !present
        });
    }
    if !present {
        c.reply.int(-1);
        return Ok(());
    }
    let Some(list) = list_mut(srv, c.db, id) else {
        return Ok(());
    };
    list.insert_at_pivot(pivot, args.get(4), after);
    let len = list.len();
    srv.notify_keyspace_event(event::LIST, "linsert", c.db, key);
    srv.dirty += 1;
    c.reply.int(len as i64);
    Ok(())
}

/// `LREM key count element`
pub fn lrem(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let toremove = parse_int(args.get(2))?;
    let key = args.get(1);
    let Some(id) = srv.lookup_write_kind(c.db, key, Kind::List)? else {
        c.reply.int(0);
        return Ok(());
    };
    let element = args.get(3);
    let mut present = false;
    if let Some(list) = list_of(srv, c.db, id) {
        list.visit(0, false, |e| {
            present = e.eq_bytes(element);
            !present
        });
    }
    let mut removed = 0;
    if present {
        if let Some(list) = list_mut(srv, c.db, id) {
            removed = list.remove(element, toremove.unsigned_abs(), toremove < 0);
        }
        srv.notify_keyspace_event(event::LIST, "lrem", c.db, key);
        srv.dirty += removed;
        delete_if_empty(srv, c.db, id, key);
    }
    c.reply.int(removed as i64);
    Ok(())
}

/// `LTRIM key start stop`
pub fn ltrim(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let start = parse_int(args.get(2))?;
    let end = parse_int(args.get(3))?;
    let key = args.get(1);
    let Some(id) = srv.lookup_write_kind(c.db, key, Kind::List)? else {
        c.reply.ok();
        return Ok(());
    };
    let Some(list) = list_mut(srv, c.db, id) else {
        return Ok(());
    };
    let len = list.len() as i64;
    let mut start = if start < 0 { len + start } else { start };
    let mut end = if end < 0 { len + end } else { end };
    if start < 0 {
        start = 0;
    }
    let (ltrim, rtrim) = if start > end || start >= len {
        (len, 0)
    } else {
        if end >= len {
            end = len - 1;
        }
        (start, len - end - 1)
    };
    list.del_range(0, ltrim);
    list.del_range(-rtrim, rtrim);
    srv.notify_keyspace_event(event::LIST, "ltrim", c.db, key);
    delete_if_empty(srv, c.db, id, key);
    srv.dirty += (ltrim + rtrim) as u64;
    c.reply.ok();
    Ok(())
}
