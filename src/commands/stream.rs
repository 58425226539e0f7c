//! Stream commands without consumer groups (Redis's `t_stream.c`): XADD,
//! XRANGE, XREVRANGE, XLEN, XDEL, XTRIM, XREAD (blocking too) and XSETID.
//!
//! Arguments are checked in Redis's order, which decides the error a
//! client sees. Writes propagate in the deterministic form Redis writes:
//! XADD with the ID it generated, and approximate trims (`~`, LIMIT) as
//! the exact trim they amounted to. The ID parsing and entry replies here
//! are shared with the consumer-group commands.

use super::{parse_int, reply_entry, Args, CmdError, CmdResult};
use crate::server::blocking::{BlockOp, Served, Waiter};
use crate::server::client::Client;
use crate::server::Server;
use crate::storage::dict::Id;
use crate::storage::stream::{AddError, NewId, NodeLimits, Stream, StreamEntry, Trim, TrimSpec};
use crate::storage::stream_id::{self, Forms, Parsed, StreamId, ID_TEXT_MAX};
use crate::storage::value::{Kind, Value};

/// The keyspace event class of stream events (`NOTIFY_STREAM`, `t`).
const EVENT: u32 = crate::config::NOTIFY_STREAM;
/// Entries XADD and XTRIM remove at most per approximate trim without a
/// LIMIT, per allowed entry of a node (Redis's `100 * stream-node-max-entries`).
const APPROX_LIMIT_PER_NODE_ENTRY: i64 = 100;
/// The most an approximate trim without LIMIT removes.
const APPROX_LIMIT_MAX: i64 = 10000;

const INVALID_ID: &str = "ERR Invalid stream ID specified as stream command argument";

fn invalid_id() -> CmdError {
    CmdError::Message(INVALID_ID.into())
}

fn err(text: &'static str) -> CmdError {
    CmdError::Message(text.into())
}

/// An ID where `-` and `+` are not accepted (`streamParseStrictIDOrReply`).
pub(crate) fn parse_strict_id(arg: &[u8], missing_seq: u64) -> Result<StreamId, CmdError> {
    let forms = Forms {
        strict: true,
        auto_seq: false,
    };
    stream_id::parse(arg, missing_seq, forms)
        .map(|p| p.id)
        .ok_or_else(invalid_id)
}

/// An ID where `-` and `+` stand for the least and greatest IDs
/// (`streamParseIDOrReply`).
pub(crate) fn parse_id(arg: &[u8], missing_seq: u64) -> Result<StreamId, CmdError> {
    stream_id::parse(arg, missing_seq, Forms::default())
        .map(|p| p.id)
        .ok_or_else(invalid_id)
}

/// A range bound, exclusive with a leading `(` (`streamParseIntervalIDOrReply`).
pub(crate) fn parse_interval_id(
    arg: &[u8],
    missing_seq: u64,
) -> Result<(StreamId, bool), CmdError> {
    match arg.split_first() {
        Some((b'(', rest)) if !rest.is_empty() => Ok((parse_strict_id(rest, missing_seq)?, true)),
        _ => Ok((parse_id(arg, missing_seq)?, false)),
    }
}

/// The node limits in force.
fn node_limits(srv: &Server) -> NodeLimits {
    NodeLimits {
        max_bytes: srv.config.stream_node_max_bytes,
        max_entries: srv.config.stream_node_max_entries,
    }
}

/// The stream at `id`, whose type the caller has checked.
pub(crate) fn stream_at(srv: &Server, db: usize, id: Id) -> Option<&Stream> {
    match srv.db(db).value(id) {
        Value::Stream(s) => Some(s),
        _ => None,
    }
}

/// The stream at `id` to change in place; the key counts as modified.
pub(crate) fn modify(srv: &mut Server, db: usize, id: Id) -> Result<&mut Stream, CmdError> {
    match srv.modify(db, id) {
        Value::Stream(s) => Ok(s),
        _ => Err(CmdError::WrongType),
    }
}

/// Appends one entry as `[id, [field, value, ...]]`.
pub(crate) fn reply_stream_entry(c: &mut Client, e: &StreamEntry<'_>) {
    c.reply.array_len(2);
    c.reply.bulk(e.id.format(&mut [0u8; ID_TEXT_MAX]));
    c.reply.array_len(e.num_fields() * 2);
    for (field, value) in e.fields() {
        reply_entry(c, field);
        reply_entry(c, value);
    }
}

/// Appends the entries from `start` to `end` (backwards when `rev`), at
/// most `count` of them (0: all), as an array (`streamReplyWithRange`).
pub(crate) fn reply_range(
    c: &mut Client,
    s: &Stream,
    (start, end): (StreamId, StreamId),
    count: usize,
    rev: bool,
) {
    let limit = if count == 0 { usize::MAX } else { count };
    // Counted first, so the array length needs no deferred header.
    let n = s.range(start, end, rev).take(limit).count();
    c.reply.array_len(n);
    for e in s.range(start, end, rev).take(n) {
        reply_stream_entry(c, &e);
    }
}

// ---- XADD and XTRIM --------------------------------------------------------

/// What XADD and XTRIM read from their options (`streamAddTrimArgs`).
#[derive(Debug, Default)]
struct AddTrimArgs {
    trim: Option<Trim>,
    approx: bool,
    limit: i64,
    /// Argument index of the MAXLEN or MINID value.
    trim_arg: usize,
    no_mkstream: bool,
    /// XADD's ID; `None` for `*`.
    id: Option<Parsed>,
    /// Argument index of XADD's ID.
    id_arg: usize,
}

impl AddTrimArgs {
    fn spec(&self) -> Option<TrimSpec> {
        self.trim.map(|strategy| TrimSpec {
            strategy,
            approx: self.approx,
            limit: self.limit,
        })
    }
}

/// Reads `~` or `=` after MAXLEN or MINID, if there is one followed by a value.
fn trim_operator(args: &Args, i: usize) -> (usize, bool) {
    let more = args.len() - 1 - i;
    if more >= 2 && args.get(i + 1) == b"~" {
        (i + 1, true)
    } else if more >= 2 && args.get(i + 1) == b"=" {
        (i + 1, false)
    } else {
        (i, false)
    }
}

/// Parses XADD's (`xadd`) or XTRIM's options as
/// `streamParseAddOrTrimArgsOrReply` does.
fn parse_add_trim(
    srv: &Server,
    c: &Client,
    args: &Args,
    xadd: bool,
) -> Result<AddTrimArgs, CmdError> {
    let mut a = AddTrimArgs::default();
    let mut limit_given = false;
    let mut i = 2;
    while i < args.len() {
        let more = args.len() - 1 - i;
        let opt = args.get(i);
        if xadd && opt == b"*" {
            break;
        } else if (args.is(i, "maxlen") || args.is(i, "minid")) && more > 0 {
            if a.trim.is_some() {
                return Err(err(
                    "ERR syntax error, MAXLEN and MINID options at the same time are not compatible",
                ));
            }
            let by_length = args.is(i, "maxlen");
            let (at, approx) = trim_operator(args, i);
            a.approx = approx;
            i = at + 1;
            a.trim = Some(if by_length {
                let max = parse_int(args.get(i))?;
                if max < 0 {
                    return Err(err("ERR The MAXLEN argument must be >= 0."));
                }
                Trim::MaxLen(max as u64)
            } else {
                Trim::MinId(parse_strict_id(args.get(i), 0)?)
            });
            a.trim_arg = i;
        } else if args.is(i, "limit") && more > 0 {
            a.limit = parse_int(args.get(i + 1))?;
            if a.limit < 0 {
                return Err(err("ERR The LIMIT argument must be >= 0."));
            }
            limit_given = true;
            i += 1;
        } else if xadd && args.is(i, "nomkstream") {
            a.no_mkstream = true;
        } else if xadd {
            let forms = Forms {
                strict: true,
                auto_seq: true,
            };
            a.id = Some(stream_id::parse(opt, 0, forms).ok_or_else(invalid_id)?);
            break;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    a.id_arg = i;
    if a.limit != 0 && a.trim.is_none() {
        return Err(err(
            "ERR syntax error, LIMIT cannot be used without specifying a trimming strategy",
        ));
    }
    if !xadd && a.trim.is_none() {
        return Err(err(
            "ERR syntax error, XTRIM must be called with a trimming strategy",
        ));
    }
    if c.replays_aof() {
        // What was logged is the exact trim it amounted to.
        a.limit = 0;
    } else if limit_given {
        if !a.approx {
            return Err(err(
                "ERR syntax error, LIMIT cannot be used without the special ~ option",
            ));
        }
    } else if a.approx {
        let limit = APPROX_LIMIT_PER_NODE_ENTRY.saturating_mul(srv.config.stream_node_max_entries);
        a.limit = if limit <= 0 || limit > APPROX_LIMIT_MAX {
            APPROX_LIMIT_MAX
        } else {
            limit
        };
    } else {
        a.limit = 0;
    }
    Ok(a)
}

/// What an approximate trim is propagated as: the exact trim to what
/// the stream now holds, its length or its first entry's ID
/// (`streamRewriteTrimArgument`).
fn exact_trim_value(a: &AddTrimArgs, s: &Stream) -> Vec<u8> {
    match a.trim {
        Some(Trim::MaxLen(_)) => s.len().to_string().into_bytes(),
        _ => s.first_entry_id().to_vec(),
    }
}

/// The arguments, with the approximate trim made exact when `exact` is
/// given: `~` becomes `=` and the threshold that value.
fn rewritten_argv(args: &Args, a: &AddTrimArgs, exact: Option<Vec<u8>>) -> Vec<Vec<u8>> {
    let mut argv: Vec<Vec<u8>> = (0..args.len()).map(|i| args.get(i).to_vec()).collect();
    if let Some(value) = exact {
        if let Some(op) = a.trim_arg.checked_sub(1).and_then(|i| argv.get_mut(i)) {
            *op = b"=".to_vec();
        }
        if let Some(arg) = argv.get_mut(a.trim_arg) {
            *arg = value;
        }
    }
    argv
}

/// `XADD key [NOMKSTREAM] [MAXLEN|MINID [=|~] threshold [LIMIT count]] *|id field value [field value ...]`
pub fn xadd(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let a = parse_add_trim(srv, c, args, true)?;
    let fields_at = a.id_arg + 1;
    if args.len() < fields_at + 2 || (args.len() - fields_at) % 2 == 1 {
        return Err(CmdError::WrongArity("xadd"));
    }
    let new_id = match a.id {
        None => NewId::Auto,
        Some(Parsed {
            id,
            seq_given: false,
        }) => NewId::Ms(id.ms),
        Some(Parsed { id, .. }) if id.is_zero() => {
            return Err(err("ERR The ID specified in XADD must be greater than 0-0"));
        }
        Some(Parsed { id, .. }) => NewId::Exact(id),
    };
    let key = args.get(1);
    let id = match srv.lookup_write_kind(c.db, key, Kind::Stream)? {
        Some(id) => id,
        None if a.no_mkstream => {
            c.reply.null();
            return Ok(());
        }
        None => srv.db_add(c.db, key, Value::Stream(Box::default())),
    };
    let now = srv.clock.now_ms;
    if let Some(s) = stream_at(srv, c.db, id) {
        if s.last_id == StreamId::MAX {
            return Err(err(
                "ERR The stream has exhausted the last possible ID, unable to add more items",
            ));
        }
        match s.next_id(new_id, now) {
            Err(AddError::SeqExhausted) => {
                return Err(err("ERR Elements are too large to be stored"));
            }
            Err(_) => {
                return Err(err(
                    "ERR The ID specified in XADD is equal or smaller than the target stream top item",
                ));
            }
            Ok(_) => {}
        }
    }
    let limits = node_limits(srv);
    let pairs = (fields_at..args.len())
        .step_by(2)
        .map(|i| (args.get(i), args.get(i + 1)));
    let s = modify(srv, c.db, id)?;
    let added =
        match s.add(pairs, new_id, now, limits) {
            Ok(added) => added,
            Err(AddError::IdTooSmall) => return Err(err(
                "ERR The ID specified in XADD is equal or smaller than the target stream top item",
            )),
            Err(AddError::TooLarge | AddError::SeqExhausted) => {
                return Err(err("ERR Elements are too large to be stored"))
            }
        };
    let trimmed = a.spec().is_some_and(|spec| s.trim(&spec) > 0);
    c.reply.bulk(added.format(&mut [0u8; ID_TEXT_MAX]));
    srv.notify_keyspace_event(EVENT, "xadd", c.db, key);
    srv.dirty += 1;
    if trimmed {
        srv.notify_keyspace_event(EVENT, "xtrim", c.db, key);
    }
    let exact_id = matches!(
        a.id,
        Some(Parsed {
            seq_given: true,
            ..
        })
    );
    if (a.approx || !exact_id) && srv.propagator.is_enabled() {
        let exact = match stream_at(srv, c.db, id) {
            Some(s) if a.approx => Some(exact_trim_value(&a, s)),
            _ => None,
        };
        let mut argv = rewritten_argv(args, &a, exact);
        if let Some(arg) = argv.get_mut(a.id_arg) {
            *arg = added.to_vec();
        }
        srv.propagator.rewrite_with(|| argv);
    }
    srv.signal_key_as_ready(c.db, key);
    Ok(())
}

/// `XTRIM key MAXLEN|MINID [=|~] threshold [LIMIT count]`
pub fn xtrim(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let a = parse_add_trim(srv, c, args, false)?;
    let key = args.get(1);
    let Some(id) = srv.lookup_write_kind(c.db, key, Kind::Stream)? else {
        c.reply.int(0);
        return Ok(());
    };
    let Some(spec) = a.spec() else {
        return Err(CmdError::Syntax);
    };
    // The key counts as modified only when entries went, as in Redis:
    // the change is made without the write layer's signal, which follows
    // at once when the trim removed anything.
    let deleted = match srv.reencode(c.db, id) {
        Value::Stream(s) => s.trim(&spec),
        _ => return Err(CmdError::WrongType),
    };
    if deleted > 0 {
        srv.notify_keyspace_event(EVENT, "xtrim", c.db, key);
        if a.approx && srv.propagator.is_enabled() {
            let exact = stream_at(srv, c.db, id).map(|s| exact_trim_value(&a, s));
            let argv = rewritten_argv(args, &a, exact);
            srv.propagator.rewrite_with(|| argv);
        }
        srv.signal_modified_key(c.db, key);
        srv.dirty += deleted as u64;
    }
    c.reply.int(deleted);
    Ok(())
}

// ---- reads -----------------------------------------------------------------

/// The stream at `key` for reading: None when absent, WRONGTYPE for another type.
fn lookup_read<'s>(
    srv: &'s mut Server,
    c: &Client,
    key: &[u8],
) -> Result<Option<&'s Stream>, CmdError> {
    let id = srv.lookup_read_kind(c.db, key, Kind::Stream)?;
    Ok(id.and_then(|id| stream_at(srv, c.db, id)))
}

fn range(srv: &mut Server, c: &mut Client, args: &Args, rev: bool) -> CmdResult {
    let (start_arg, end_arg) = if rev {
        (args.get(3), args.get(2))
    } else {
        (args.get(2), args.get(3))
    };
    let (mut start, start_ex) = parse_interval_id(start_arg, 0)?;
    if start_ex {
        start = start
            .incr()
            .ok_or_else(|| err("ERR invalid start ID for the interval"))?;
    }
    let (mut end, end_ex) = parse_interval_id(end_arg, u64::MAX)?;
    if end_ex {
        end = end
            .decr()
            .ok_or_else(|| err("ERR invalid end ID for the interval"))?;
    }
    let mut count: i64 = -1;
    let mut i = 4;
    while i < args.len() {
        if args.is(i, "count") && i + 1 < args.len() {
            count = parse_int(args.get(i + 1))?.max(0);
            i += 2;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    let Some(s) = lookup_read(srv, c, args.get(1))? else {
        c.reply.array_len(0);
        return Ok(());
    };
    match count {
        0 => c.reply.null_array(),
        -1 => reply_range(c, s, (start, end), 0, rev),
        n => reply_range(
            c,
            s,
            (start, end),
            usize::try_from(n).unwrap_or(usize::MAX),
            rev,
        ),
    }
    Ok(())
}

/// `XRANGE key start end [COUNT count]`
pub fn xrange(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    range(srv, c, args, false)
}

/// `XREVRANGE key end start [COUNT count]`
pub fn xrevrange(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    range(srv, c, args, true)
}

/// `XLEN key`
pub fn xlen(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let len = lookup_read(srv, c, args.get(1))?.map_or(0, Stream::len);
    c.reply.int(len as i64);
    Ok(())
}

// ---- XDEL and XSETID -------------------------------------------------------

/// `XDEL key id [id ...]`
pub fn xdel(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let key = args.get(1);
    let Some(id) = srv.lookup_write_kind(c.db, key, Kind::Stream)? else {
        c.reply.int(0);
        return Ok(());
    };
    let ids = (2..args.len())
        .map(|i| parse_strict_id(args.get(i), 0))
        .collect::<Result<Vec<_>, _>>()?;
    let any = stream_at(srv, c.db, id)
        .is_some_and(|s| ids.iter().any(|&e| s.range(e, e, false).next().is_some()));
    if !any {
        c.reply.int(0);
        return Ok(());
    }
    let deleted = modify(srv, c.db, id)?.delete_ids(&ids);
    srv.notify_keyspace_event(EVENT, "xdel", c.db, key);
    srv.dirty += deleted;
    c.reply.int(deleted as i64);
    Ok(())
}

/// `XSETID key last-id [ENTRIESADDED entries-added] [MAXDELETEDID max-deleted-id]`
pub fn xsetid(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let last = parse_strict_id(args.get(2), 0)?;
    let mut entries_added: Option<u64> = None;
    let mut max_deleted = StreamId::ZERO;
    let mut i = 3;
    while i < args.len() {
        let more = i + 1 < args.len();
        if args.is(i, "entriesadded") && more {
            let n = parse_int(args.get(i + 1))?;
            if n < 0 {
                return Err(err("ERR entries_added must be positive"));
            }
            entries_added = Some(n as u64);
        } else if args.is(i, "maxdeletedid") && more {
            max_deleted = parse_strict_id(args.get(i + 1), 0)?;
            if last < max_deleted {
                return Err(err(
                    "ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id",
                ));
            }
        } else {
            return Err(CmdError::Syntax);
        }
        i += 2;
    }
    let key = args.get(1);
    let Some(id) = srv.lookup_write_kind(c.db, key, Kind::Stream)? else {
        return Err(CmdError::NoSuchKey);
    };
    if let Some(s) = stream_at(srv, c.db, id) {
        if !s.is_empty() {
            if last < s.last_live_id() {
                return Err(err(
                    "ERR The ID specified in XSETID is smaller than the target stream top item",
                ));
            }
            if entries_added.is_some_and(|n| s.len() > n) {
                return Err(err(
                    "ERR The entries_added specified in XSETID is smaller than the target stream length",
                ));
            }
        }
    }
    // Redis 7.0 does not count XSETID as a modification of the key
    // (WATCH and client tracking do not see it).
    let Value::Stream(s) = srv.reencode(c.db, id) else {
        return Err(CmdError::WrongType);
    };
    s.last_id = last;
    if let Some(n) = entries_added {
        s.entries_added = n;
    }
    if !max_deleted.is_zero() {
        s.max_deleted_entry_id = max_deleted;
    }
    c.reply.ok();
    srv.dirty += 1;
    srv.notify_keyspace_event(EVENT, "xsetid", c.db, key);
    Ok(())
}

// ---- XREAD -----------------------------------------------------------------

/// XREAD's timeout: milliseconds as an integer, as
/// `getTimeoutFromObjectOrReply` reads it with `UNIT_MILLISECONDS`; the
/// deadline, or None for 0 (forever).
pub(crate) fn parse_block_ms(arg: &[u8], now_ms: u64) -> Result<Option<u64>, CmdError> {
    let ms = crate::protocol::parser::parse_i64_strict(arg)
        .ok_or_else(|| err("ERR timeout is not an integer or out of range"))?;
    if ms < 0 {
        return Err(err("ERR timeout is negative"));
    }
    // Redis adds without an overflow check; a deadline that wraps never
    // comes, as with 0.
    match ms.wrapping_add(now_ms as i64) {
        _ if ms == 0 => Ok(None),
        d if d < 0 => Ok(None),
        d => Ok(Some(d as u64)),
    }
}

/// Appends one stream's part of an XREAD reply: `[key, entries]` in
/// RESP2, `key => entries` in a RESP3 map.
fn reply_stream_after(c: &mut Client, key: &[u8], s: &Stream, after: StreamId, count: usize) {
    if !c.reply.is_resp3() {
        c.reply.array_len(2);
    }
    c.reply.bulk(key);
    // Past the maximum ID Redis's increment wraps to 0-0.
    let start = after.incr().unwrap_or(StreamId::ZERO);
    reply_range(c, s, (start, StreamId::MAX), count, false);
}

/// A script's XREAD or XREADGROUP with BLOCK, which could never be served.
pub(crate) fn block_from_script(args: &Args) -> CmdError {
    CmdError::Message(
        format!(
            "ERR {} command is not allowed with BLOCK option from scripts",
            String::from_utf8_lossy(args.get(0))
        )
        .into(),
    )
}

/// `XREAD [COUNT count] [BLOCK milliseconds] STREAMS key [key ...] id [id ...]`
pub fn xread(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let mut block: Option<Option<u64>> = None;
    let mut count: usize = 0;
    let mut streams_at = 0;
    let mut i = 1;
    while i < args.len() {
        let more = args.len() - i - 1;
        if args.is(i, "block") && more > 0 {
            if c.script {
                return Err(block_from_script(args));
            }
            i += 1;
            block = Some(parse_block_ms(args.get(i), srv.clock.now_ms)?);
        } else if args.is(i, "count") && more > 0 {
            i += 1;
            count = usize::try_from(parse_int(args.get(i))?).unwrap_or(0);
        } else if args.is(i, "streams") && more > 0 {
            streams_at = i + 1;
            if !(args.len() - streams_at).is_multiple_of(2) {
                return Err(err(
                    "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.",
                ));
            }
            break;
        } else if args.is(i, "group") && more >= 2 {
            return Err(err(
                "ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.",
            ));
        } else if args.is(i, "noack") {
            return Err(err(
                "ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.",
            ));
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if streams_at == 0 {
        return Err(CmdError::Syntax);
    }
    let n = (args.len() - streams_at) / 2;
    let mut ids = Vec::with_capacity(n);
    for k in 0..n {
        let key = args.get(streams_at + k);
        let arg = args.get(streams_at + n + k);
        let s = lookup_read(srv, c, key)?;
        let id = match arg {
            b"$" => s.map_or(StreamId::ZERO, |s| s.last_id),
            b">" => {
                return Err(err(
                    "ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.",
                ))
            }
            _ => parse_strict_id(arg, 0)?,
        };
        ids.push(id);
    }
    let mut served = 0;
    for (k, &after) in ids.iter().enumerate() {
        let s = lookup_read(srv, c, args.get(streams_at + k))?;
        if s.is_some_and(|s| !s.is_empty() && s.last_live_id() > after) {
            served += 1;
        }
    }
    if served > 0 {
        if c.reply.is_resp3() {
            c.reply.map_len(served);
        } else {
            c.reply.array_len(served);
        }
        for (k, &after) in ids.iter().enumerate() {
            let key = args.get(streams_at + k);
            let Some(id) = srv.db(c.db).peek(key, srv.clock.now_ms) else {
                continue;
            };
            let Some(s) = stream_at(srv, c.db, id) else {
                continue;
            };
            if !s.is_empty() && s.last_live_id() > after {
                reply_stream_after(c, key, s, after, count);
            }
        }
        return Ok(());
    }
    match block {
        Some(deadline) if !c.denies_blocking() => {
            let keys = (0..n).map(|k| args.get(streams_at + k).to_vec()).collect();
            let op = BlockOp::XRead { count, ids };
            let waiter = Waiter::new(c, keys, deadline, op, serve_xread);
            srv.block_client(c, waiter);
        }
        _ => c.reply.null_array(),
    }
    Ok(())
}

/// Serves a client blocked in XREAD once `key` has entries after the ID
/// it waits for (Redis's `serveClientsBlockedOnStreamKey`).
fn serve_xread(srv: &mut Server, c: &mut Client, w: &Waiter, key: &[u8]) -> Served {
    let BlockOp::XRead { count, ids } = &w.op else {
        return Served::Skip;
    };
    let Some(&after) = w
        .keys
        .iter()
        .position(|k| k == key)
        .and_then(|k| ids.get(k))
    else {
        return Served::Skip;
    };
    let Ok(Some(id)) = srv.lookup_write_kind(c.db, key, Kind::Stream) else {
        return Served::Skip;
    };
    let Some(s) = stream_at(srv, c.db, id) else {
        return Served::Skip;
    };
    if s.last_id <= after {
        return Served::Skip;
    }
    if c.reply.is_resp3() {
        c.reply.map_len(1);
    } else {
        c.reply.array_len(1);
    }
    reply_stream_after(c, key, s, after, *count);
    Served::Yes {
        propagate: None,
        failed: false,
    }
}
