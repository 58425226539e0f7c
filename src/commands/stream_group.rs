//! Consumer-group commands (the group half of Redis's `t_stream.c`):
//! XGROUP and its subcommands, XREADGROUP (at once and blocked), XACK,
//! XPENDING, XCLAIM, XAUTOCLAIM and XINFO.
//!
//! Checks run in Redis's order, since that order decides which error a
//! client sees. Group state changes never count the key as modified
//! (Redis's WATCH and client tracking do not see them), so they go
//! through `reencode` rather than `modify`. Reads and claims are not
//! propagated as sent but as Redis rewrites them: one `XCLAIM … FORCE
//! JUSTID LASTID` per entry delivered or claimed, `XGROUP SETID` (and
//! `XGROUP CREATECONSUMER`) for what a NOACK read or a bare `LASTID`
//! changed, so a replay rebuilds the same groups without the clock.

use std::ops::Bound;

use super::stream::{
    block_from_script, parse_block_ms, parse_id, parse_interval_id, parse_strict_id,
};
use super::stream::{reply_stream_entry, stream_at};
use super::{parse_int, reply_help, subcommand_syntax, write_error};
use super::{Args, CmdError, CmdResult};
use crate::config::NOTIFY_STREAM;
use crate::protocol::reply::format_i64;
use crate::server::blocking::{BlockOp, Served, Waiter};
use crate::server::client::Client;
use crate::server::propagate::int_arg;
use crate::server::Server;
use crate::storage::dict::Id;
use crate::storage::stream::{Stream, StreamEntry};
use crate::storage::stream_group::{rax_nodes, Group, Groups, StreamState, ENTRIES_READ_UNKNOWN};
use crate::storage::stream_id::{StreamId, ID_TEXT_MAX};
use crate::storage::value::{Kind, Value};

/// XAUTOCLAIM's default COUNT.
const AUTOCLAIM_COUNT: i64 = 100;
/// XAUTOCLAIM examines at most this many PEL entries per entry it may return.
const AUTOCLAIM_ATTEMPTS_FACTOR: i64 = 10;
/// XINFO STREAM FULL's default COUNT.
const FULL_COUNT: i64 = 10;

const NEEDS_KEY: &str = "ERR The XGROUP subcommand requires the key to exist. Note that for \
     CREATE you may want to use the MKSTREAM option to create an empty stream automatically.";

fn message(text: String) -> CmdError {
    CmdError::Message(text.into())
}

fn lossy(b: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(b)
}

/// `-NOGROUP` as XGROUP and XINFO word it.
fn no_group_for_key(group: &[u8], key: &[u8]) -> CmdError {
    message(format!(
        "NOGROUP No such consumer group '{}' for key name '{}'",
        lossy(group),
        lossy(key)
    ))
}

/// `-NOGROUP` as XPENDING, XCLAIM and XAUTOCLAIM word it.
fn no_key_or_group(key: &[u8], group: &[u8]) -> CmdError {
    message(format!(
        "NOGROUP No such key '{}' or consumer group '{}'",
        lossy(key),
        lossy(group)
    ))
}

/// A range bound, `(` making it exclusive, as the inclusive bound it
/// means; `start` says which end.
fn interval_bound(arg: &[u8], start: bool) -> Result<StreamId, CmdError> {
    let missing_seq = if start { 0 } else { u64::MAX };
    let (id, exclusive) = parse_interval_id(arg, missing_seq)?;
    if !exclusive {
        return Ok(id);
    }
    let moved = if start { id.incr() } else { id.decr() };
    moved.ok_or_else(|| {
        let which = if start { "start" } else { "end" };
        message(format!("ERR invalid {which} ID for the interval"))
    })
}

/// The ID after `id`; past the largest, Redis's increment wraps to 0-0.
fn after(id: StreamId) -> StreamId {
    id.incr().unwrap_or(StreamId::ZERO)
}

fn reply_id(c: &mut Client, id: StreamId) {
    let mut buf = [0u8; ID_TEXT_MAX];
    c.reply.bulk(id.format(&mut buf));
}

/// The live entry `id` of `s`, if there is one.
fn entry_at(s: &Stream, id: StreamId) -> Option<StreamEntry<'_>> {
    s.range(id, id, false).next()
}

/// The stream at `id` for a change to its groups alone.
fn stream_groups_mut(srv: &mut Server, db: usize, id: Id) -> Option<&mut Stream> {
    match srv.reencode(db, id) {
        Value::Stream(s) => Some(s),
        _ => None,
    }
}

fn group_of<'s>(s: &'s Stream, name: &[u8]) -> Option<&'s Group> {
    s.groups.as_deref().and_then(|g| g.get(name))
}

/// Millisecond clock for delivery and seen times.
fn now_ms(srv: &Server) -> i64 {
    srv.clock.now_ms as i64
}

/// `XCLAIM key group consumer 0 id TIME t RETRYCOUNT n FORCE JUSTID LASTID
/// last`: how Redis propagates a delivery, a claim, or (for an entry gone
/// from the stream) the removal of a pending entry.
fn xclaim_argv(key: &[u8], gname: &[u8], g: &Group, id: StreamId) -> Option<Vec<Vec<u8>>> {
    let p = g.pending(id)?;
    Some(vec![
        b"XCLAIM".to_vec(),
        key.to_vec(),
        gname.to_vec(),
        p.owner().to_vec(),
        b"0".to_vec(),
        id.to_vec(),
        b"TIME".to_vec(),
        int_arg(p.delivery_time),
        b"RETRYCOUNT".to_vec(),
        int_arg(p.delivery_count as i64),
        b"FORCE".to_vec(),
        b"JUSTID".to_vec(),
        b"LASTID".to_vec(),
        g.last_id.to_vec(),
    ])
}

/// `XGROUP SETID key group last ENTRIESREAD n`.
fn setid_argv(key: &[u8], gname: &[u8], g: &Group) -> Vec<Vec<u8>> {
    vec![
        b"XGROUP".to_vec(),
        b"SETID".to_vec(),
        key.to_vec(),
        gname.to_vec(),
        g.last_id.to_vec(),
        b"ENTRIESREAD".to_vec(),
        int_arg(g.entries_read),
    ]
}

/// The commands a read or claim stands for: counted always (each is a
/// change, for `dirty`), built only while propagation is on.
struct Rewrites {
    on: bool,
    count: u64,
    cmds: Vec<Vec<Vec<u8>>>,
}

impl Rewrites {
    fn new(srv: &Server) -> Rewrites {
        Rewrites {
            on: srv.propagator.is_enabled(),
            count: 0,
            cmds: Vec::new(),
        }
    }

    fn add(&mut self, make: impl FnOnce() -> Option<Vec<Vec<u8>>>) {
        self.count += 1;
        if self.on {
            self.cmds.extend(make());
        }
    }

    /// Propagates them in place of the command, which is never
    /// propagated as received.
    fn propagate_instead(self, srv: &mut Server, db: usize) {
        srv.propagator.prevent();
        for argv in self.cmds {
            srv.propagator.propagate_instead(db, argv);
        }
    }
}

/// Puts an aggregate header (`kind` and `n`) at `mark`, before the `n`
/// elements written since.
fn insert_len(c: &mut Client, mark: usize, kind: u8, n: usize) {
    let mut tmp = [0u8; 20];
    let digits = format_i64(n as i64, &mut tmp);
    let mut head = [0u8; 23];
    head[0] = kind;
    head[1..=digits.len()].copy_from_slice(digits);
    head[digits.len() + 1..digits.len() + 3].copy_from_slice(b"\r\n");
    c.reply.insert_at(mark, &head[..digits.len() + 3]);
}

// ---- XGROUP ------------------------------------------------------------

/// `ENTRIESREAD n`'s value: -1 or more.
fn parse_entries_read(arg: &[u8]) -> Result<i64, CmdError> {
    let n = parse_int(arg)?;
    if n < 0 && n != ENTRIES_READ_UNKNOWN {
        return Err(CmdError::Message(
            "ERR value for ENTRIESREAD must be positive or -1".into(),
        ));
    }
    Ok(n)
}

/// The stream an XGROUP subcommand works on, after Redis's checks: the
/// key must hold a stream and the group exist (when `needs_group`).
fn xgroup_target(
    srv: &mut Server,
    c: &Client,
    args: &Args,
    needs_group: bool,
) -> Result<Id, CmdError> {
    let (key, gname) = (args.get(2), args.get(3));
    let id = srv
        .lookup_write_kind(c.db, key, Kind::Stream)?
        .ok_or(CmdError::Message(NEEDS_KEY.into()))?;
    let has_group = stream_at(srv, c.db, id).is_some_and(|s| group_of(s, gname).is_some());
    if needs_group && !has_group {
        return Err(no_group_for_key(gname, key));
    }
    Ok(id)
}

/// `XGROUP CREATE key group id|$ [MKSTREAM] [ENTRIESREAD n]`
pub fn xgroup_create(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let (key, gname) = (args.get(2), args.get(3));
    let mut mkstream = false;
    let mut entries_read = ENTRIES_READ_UNKNOWN;
    let options_fit = args.len() <= 8;
    if options_fit {
        let mut i = 5;
        while i < args.len() {
            if args.is(i, "MKSTREAM") {
                mkstream = true;
            } else if args.is(i, "ENTRIESREAD") && i + 1 < args.len() {
                entries_read = parse_entries_read(args.get(i + 1))?;
                i += 1;
            } else {
                return Err(subcommand_syntax(args));
            }
            i += 1;
        }
    }
    let found = srv.lookup_write_kind(c.db, key, Kind::Stream)?;
    if found.is_none() && !mkstream {
        return Err(CmdError::Message(NEEDS_KEY.into()));
    }
    if !options_fit {
        return Err(subcommand_syntax(args));
    }
    let last_id = if args.get(4) == b"$" {
        found
            .and_then(|id| stream_at(srv, c.db, id))
            .map_or(StreamId::ZERO, |s| s.last_id)
    } else {
        parse_strict_id(args.get(4), 0)?
    };
    let id = match found {
        Some(id) => id,
        None => srv.db_add(c.db, key, Value::Stream(Box::default())),
    };
    let Some(s) = stream_groups_mut(srv, c.db, id) else {
        return Ok(());
    };
    let groups = s.groups.get_or_insert_with(Box::<Groups>::default);
    if !groups.create(gname, Group::new(last_id, entries_read)) {
        return Err(CmdError::Message(
            "BUSYGROUP Consumer Group name already exists".into(),
        ));
    }
    c.reply.ok();
    srv.dirty += 1;
    srv.notify_keyspace_event(NOTIFY_STREAM, "xgroup-create", c.db, key);
    Ok(())
}

/// `XGROUP SETID key group id|$ [ENTRIESREAD n]`
pub fn xgroup_setid(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let mut entries_read = ENTRIES_READ_UNKNOWN;
    let shape_ok = args.len() == 5 || args.len() == 7;
    if args.len() == 7 {
        if !args.is(5, "ENTRIESREAD") {
            return Err(subcommand_syntax(args));
        }
        entries_read = parse_entries_read(args.get(6))?;
    }
    let id = xgroup_target(srv, c, args, true)?;
    if !shape_ok {
        return Err(subcommand_syntax(args));
    }
    let Some(s) = stream_groups_mut(srv, c.db, id) else {
        return Ok(());
    };
    let last_id = if args.get(4) == b"$" {
        s.last_id
    } else {
        parse_id(args.get(4), 0)?
    };
    if let Some(g) = s.groups.as_deref_mut().and_then(|g| g.get_mut(args.get(3))) {
        g.last_id = last_id;
        g.entries_read = entries_read;
    }
    c.reply.ok();
    srv.dirty += 1;
    srv.notify_keyspace_event(NOTIFY_STREAM, "xgroup-setid", c.db, args.get(2));
    Ok(())
}

/// `XGROUP DESTROY key group`
pub fn xgroup_destroy(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let (key, gname) = (args.get(2), args.get(3));
    let id = xgroup_target(srv, c, args, false)?;
    let destroyed = stream_groups_mut(srv, c.db, id)
        .and_then(|s| s.groups.as_deref_mut())
        .is_some_and(|g| g.destroy(gname));
    c.reply.int(i64::from(destroyed));
    if destroyed {
        srv.dirty += 1;
        srv.notify_keyspace_event(NOTIFY_STREAM, "xgroup-destroy", c.db, key);
        // Consumers blocked on the group learn it is gone.
        srv.signal_key_as_ready(c.db, key);
    }
    Ok(())
}

/// `XGROUP CREATECONSUMER key group consumer`
pub fn xgroup_createconsumer(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let id = xgroup_target(srv, c, args, true)?;
    let now = now_ms(srv);
    let created = stream_groups_mut(srv, c.db, id)
        .and_then(|s| s.groups.as_deref_mut())
        .and_then(|g| g.get_mut(args.get(3)))
        .is_some_and(|g| g.create_consumer(args.get(4), now));
    c.reply.int(i64::from(created));
    if created {
        consumer_created(srv, c.db, args.get(2));
    }
    Ok(())
}

/// The write and event of a consumer made by any command.
fn consumer_created(srv: &mut Server, db: usize, key: &[u8]) {
    srv.dirty += 1;
    srv.notify_keyspace_event(NOTIFY_STREAM, "xgroup-createconsumer", db, key);
}

/// `XGROUP DELCONSUMER key group consumer`: the consumer's pending count.
pub fn xgroup_delconsumer(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let id = xgroup_target(srv, c, args, true)?;
    let deleted = stream_groups_mut(srv, c.db, id)
        .and_then(|s| s.groups.as_deref_mut())
        .and_then(|g| g.get_mut(args.get(3)))
        .and_then(|g| g.delete_consumer(args.get(4)));
    c.reply.int(deleted.unwrap_or(0) as i64);
    if deleted.is_some() {
        srv.dirty += 1;
        srv.notify_keyspace_event(NOTIFY_STREAM, "xgroup-delconsumer", c.db, args.get(2));
    }
    Ok(())
}

/// `XGROUP HELP`
pub fn xgroup_help(_srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    reply_help(
        c,
        args,
        &[
            "CREATE <key> <groupname> <id|$> [option]",
            "    Create a new consumer group. Options are:",
            "    * MKSTREAM",
            "      Create the empty stream if it does not exist.",
            "    * ENTRIESREAD entries_read",
            "      Set the group's entries_read counter (internal use).",
            "CREATECONSUMER <key> <groupname> <consumer>",
            "    Create a new consumer in the specified group.",
            "DELCONSUMER <key> <groupname> <consumer>",
            "    Remove the specified consumer.",
            "DESTROY <key> <groupname>",
            "    Remove the specified group.",
            "SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
            "    Set the current group ID and entries_read counter.",
        ],
    );
    Ok(())
}

// ---- XREADGROUP --------------------------------------------------------

/// XREADGROUP's options.
struct ReadOptions<'a> {
    group: &'a [u8],
    consumer: &'a [u8],
    /// Most entries per stream; 0 for no limit.
    count: u64,
    noack: bool,
    /// `BLOCK`: `Some(None)` waits forever, `Some(Some(t))` until unix ms `t`.
    block: Option<Option<u64>>,
    /// Index of the first key.
    streams: usize,
    /// Number of keys.
    keys: usize,
}

fn parse_read_options<'a>(
    args: &Args<'a>,
    now: u64,
    from_script: bool,
) -> Result<ReadOptions<'a>, CmdError> {
    let mut opts = ReadOptions {
        group: b"",
        consumer: b"",
        count: 0,
        noack: false,
        block: None,
        streams: 0,
        keys: 0,
    };
    let mut has_group = false;
    let mut i = 1;
    while i < args.len() {
        let more = args.len() - i - 1;
        if args.is(i, "BLOCK") && more > 0 {
            if from_script {
                return Err(block_from_script(args));
            }
            i += 1;
            opts.block = Some(parse_block_ms(args.get(i), now)?);
        } else if args.is(i, "COUNT") && more > 0 {
            i += 1;
            opts.count = parse_int(args.get(i))?.max(0) as u64;
        } else if args.is(i, "STREAMS") && more > 0 {
            opts.streams = i + 1;
            let rest = args.len() - opts.streams;
            if !rest.is_multiple_of(2) {
                return Err(CmdError::Message(
                    "ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' \
                     must be specified."
                        .into(),
                ));
            }
            opts.keys = rest / 2;
            break;
        } else if args.is(i, "GROUP") && more >= 2 {
            opts.group = args.get(i + 1);
            opts.consumer = args.get(i + 2);
            has_group = true;
            i += 2;
        } else if args.is(i, "NOACK") {
            opts.noack = true;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if opts.streams == 0 {
        return Err(CmdError::Syntax);
    }
    if !has_group {
        return Err(CmdError::Message(
            "ERR Missing GROUP option for XREADGROUP".into(),
        ));
    }
    Ok(opts)
}

/// Where a read starts: new entries (`>`), the consumer's own pending
/// entries after an ID, or new entries for a blocked consumer, which
/// Redis serves whenever the stream's last ID is past the group's,
/// entries after it or not.
#[derive(Clone, Copy)]
enum ReadFrom {
    New,
    History(StreamId),
    Ready,
}

/// `XREADGROUP GROUP group consumer [COUNT n] [BLOCK ms] [NOACK] STREAMS key ... id ...`
pub fn xreadgroup(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let opts = parse_read_options(args, srv.clock.now_ms, c.script)?;
    let mut targets = Vec::with_capacity(opts.keys);
    for i in 0..opts.keys {
        let key = args.get(opts.streams + i);
        let id_text = args.get(opts.streams + opts.keys + i);
        let found = srv.lookup_read_kind(c.db, key, Kind::Stream)?;
        let with_group = found.filter(|&id| {
            stream_at(srv, c.db, id).is_some_and(|s| group_of(s, opts.group).is_some())
        });
        let Some(id) = with_group else {
            return Err(message(format!(
                "NOGROUP No such key '{}' or consumer group '{}' in XREADGROUP with GROUP option",
                lossy(key),
                lossy(opts.group)
            )));
        };
        let from = match id_text {
            b"$" => {
                return Err(CmdError::Message(
                    "ERR The $ ID is meaningless in the context of XREADGROUP: you want to \
                     read the history of this consumer by specifying a proper ID, or use the \
                     > ID to get new messages. The $ ID would just return an empty result set."
                        .into(),
                ))
            }
            b">" => ReadFrom::New,
            // Redis marks `>` with the largest ID, so that ID reads new entries too.
            text => match parse_strict_id(text, 0)? {
                StreamId::MAX => ReadFrom::New,
                id => ReadFrom::History(id),
            },
        };
        targets.push((key, id, from));
    }
    let mark = c.reply.mark();
    let mut served = 0;
    let mut rewrites = Rewrites::new(srv);
    for &(key, id, from) in &targets {
        let read = Read {
            key,
            group: opts.group,
            consumer: opts.consumer,
            count: opts.count,
            noack: opts.noack,
        };
        if read.serve(srv, c, id, from, &mut rewrites) {
            served += 1;
        }
    }
    if served > 0 {
        reply_streams_header(c, mark, served);
        srv.dirty += served as u64;
        rewrites.propagate_instead(srv, c.db);
        return Ok(());
    }
    let Some(deadline) = opts.block else {
        c.reply.null_array();
        return Ok(());
    };
    if c.denies_blocking() {
        c.reply.null_array();
        return Ok(());
    }
    let keys = targets.iter().map(|(k, _, _)| k.to_vec()).collect();
    let op = BlockOp::ReadGroup {
        group: opts.group.to_vec(),
        consumer: opts.consumer.to_vec(),
        count: opts.count,
        noack: opts.noack,
    };
    let waiter = Waiter::new(c, keys, deadline, op, serve_blocked);
    srv.block_client(c, waiter);
    Ok(())
}

/// Puts the length of the reply's map of streams (an array of pairs in
/// RESP2) before the `n` streams written since `mark`.
fn reply_streams_header(c: &mut Client, mark: usize, n: usize) {
    let kind = if c.reply.is_resp3() { b'%' } else { b'*' };
    insert_len(c, mark, kind, n);
}

/// One stream of an XREADGROUP.
struct Read<'a> {
    key: &'a [u8],
    group: &'a [u8],
    consumer: &'a [u8],
    count: u64,
    noack: bool,
}

impl Read<'_> {
    /// Serves the stream at `id` if there is something to serve: the
    /// consumer's history, or entries past the group's last ID. Writes
    /// `key` and its entries (as one map entry, a pair in RESP2) and
    /// collects what to propagate; whether it wrote anything.
    fn serve(
        &self,
        srv: &mut Server,
        c: &mut Client,
        id: Id,
        from: ReadFrom,
        rewrites: &mut Rewrites,
    ) -> bool {
        let now = now_ms(srv);
        let db = c.db;
        let Some(s) = stream_groups_mut(srv, db, id) else {
            return false;
        };
        let Some(mut groups) = s.groups.take() else {
            return false;
        };
        let outcome = match groups.get_mut(self.group) {
            Some(g) => self.serve_group(c, s, g, from, now, rewrites),
            None => None,
        };
        s.groups = Some(groups);
        let Some(created) = outcome else {
            return false;
        };
        if created {
            consumer_created(srv, db, self.key);
        }
        true
    }

    /// The body of [`serve`](Self::serve) with the groups taken out of
    /// the stream; `None` when nothing is to be served, else whether the
    /// consumer was created.
    fn serve_group(
        &self,
        c: &mut Client,
        s: &Stream,
        g: &mut Group,
        from: ReadFrom,
        now: i64,
        rewrites: &mut Rewrites,
    ) -> Option<bool> {
        if let ReadFrom::New = from {
            if s.is_empty() || s.last_live_id() <= g.last_id {
                return None;
            }
        }
        let created = g.touch_consumer(self.consumer, now);
        if !c.reply.is_resp3() {
            c.reply.array_len(2);
        }
        c.reply.bulk(self.key);
        match from {
            ReadFrom::New | ReadFrom::Ready => {
                let start = after(g.last_id);
                self.deliver_new(c, s, g, start, now, created, rewrites);
            }
            ReadFrom::History(from_id) => {
                let start = after(from_id);
                self.reply_history(c, s, g, start, now);
            }
        }
        Some(created)
    }

    /// Delivers entries from `start` on: the group moves past each, and
    /// unless NOACK each becomes pending for the consumer, propagated as
    /// an XCLAIM; a NOACK read propagates the group's new position.
    #[allow(clippy::too_many_arguments)]
    fn deliver_new(
        &self,
        c: &mut Client,
        s: &Stream,
        g: &mut Group,
        start: StreamId,
        now: i64,
        created: bool,
        rewrites: &mut Rewrites,
    ) {
        let state = StreamState::of(s);
        let limit = if self.count == 0 {
            usize::MAX
        } else {
            usize::try_from(self.count).unwrap_or(usize::MAX)
        };
        let mark = c.reply.mark();
        let mut n = 0;
        let mut moved = false;
        for e in s.range(start, StreamId::MAX, false).take(limit) {
            if e.id > g.last_id {
                g.advance(e.id, &state);
                moved = true;
            }
            reply_stream_entry(c, &e);
            n += 1;
            if !self.noack {
                g.deliver(e.id, self.consumer, now);
                rewrites.add(|| xclaim_argv(self.key, self.group, g, e.id));
            }
        }
        insert_len(c, mark, b'*', n);
        if self.noack && moved {
            if created {
                rewrites.add(|| {
                    Some(vec![
                        b"XGROUP".to_vec(),
                        b"CREATECONSUMER".to_vec(),
                        self.key.to_vec(),
                        self.group.to_vec(),
                        self.consumer.to_vec(),
                    ])
                });
            }
            rewrites.add(|| Some(setid_argv(self.key, self.group, g)));
        }
    }

    /// Replies with the consumer's pending entries from `start` on, each
    /// counted as delivered again; an entry no longer in the stream is
    /// its ID with a null.
    fn reply_history(&self, c: &mut Client, s: &Stream, g: &mut Group, start: StreamId, now: i64) {
        let limit = if self.count == 0 {
            usize::MAX
        } else {
            usize::try_from(self.count).unwrap_or(usize::MAX)
        };
        let ids: Vec<StreamId> = g
            .consumer(self.consumer)
            .map(|cons| cons.pending_from(start).take(limit).collect())
            .unwrap_or_default();
        c.reply.array_len(ids.len());
        for id in ids {
            match entry_at(s, id) {
                Some(e) => {
                    reply_stream_entry(c, &e);
                    if let Some(p) = g.pending_mut(id) {
                        p.delivery_time = now;
                        p.delivery_count = p.delivery_count.wrapping_add(1);
                    }
                }
                None => {
                    c.reply.array_len(2);
                    reply_id(c, id);
                    c.reply.null_array();
                }
            }
        }
    }
}

/// Serves a consumer blocked on `>` when `key` is ready: new entries past
/// the group's position, or an error when the stream or the group went
/// away; otherwise it keeps waiting.
fn serve_blocked(srv: &mut Server, c: &mut Client, w: &Waiter, key: &[u8]) -> Served {
    let BlockOp::ReadGroup {
        group,
        consumer,
        count,
        noack,
    } = &w.op
    else {
        return Served::Skip;
    };
    let found = srv
        .lookup_write_kind(w.db, key, Kind::Stream)
        .ok()
        .flatten();
    let fail = |srv: &mut Server, c: &mut Client, text: &'static str| {
        write_error(srv, c, &CmdError::Message(text.into()));
        Served::Yes {
            propagate: None,
            failed: true,
        }
    };
    let Some(id) = found else {
        return fail(srv, c, "UNBLOCKED the stream key no longer exists");
    };
    let Some(s) = stream_at(srv, w.db, id) else {
        return Served::Skip;
    };
    let Some(g) = group_of(s, group) else {
        return fail(
            srv,
            c,
            "NOGROUP the consumer group this client was blocked on no longer exists",
        );
    };
    // Consumers of other groups behind this one may have entries to take.
    if s.last_id <= g.last_id {
        return Served::Skip;
    }
    let read = Read {
        key,
        group,
        consumer,
        count: *count,
        noack: *noack,
    };
    let mark = c.reply.mark();
    let mut rewrites = Rewrites::new(srv);
    if read.serve(srv, c, id, ReadFrom::Ready, &mut rewrites) {
        reply_streams_header(c, mark, 1);
    }
    srv.dirty += 1;
    for argv in rewrites.cmds {
        srv.propagator.also_propagate(w.db, argv);
    }
    Served::Yes {
        propagate: None,
        failed: false,
    }
}

// ---- XACK --------------------------------------------------------------

/// `XACK key group id [id ...]`
pub fn xack(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let (key, gname) = (args.get(1), args.get(2));
    let found = srv.lookup_write_kind(c.db, key, Kind::Stream)?;
    let ids = (3..args.len())
        .map(|i| parse_strict_id(args.get(i), 0))
        .collect::<Result<Vec<_>, _>>()?;
    let group = found
        .and_then(|id| stream_groups_mut(srv, c.db, id))
        .and_then(|s| s.groups.as_deref_mut())
        .and_then(|g| g.get_mut(gname));
    let Some(g) = group else {
        c.reply.int(0);
        return Ok(());
    };
    let acked = ids.into_iter().filter(|&id| g.ack(id)).count();
    srv.dirty += acked as u64;
    c.reply.int(acked as i64);
    Ok(())
}

// ---- XPENDING ----------------------------------------------------------

/// `XPENDING key group [[IDLE min-idle] start end count [consumer]]`
pub fn xpending(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let (key, gname) = (args.get(1), args.get(2));
    let summary = args.len() == 3;
    if !summary && !(6..=9).contains(&args.len()) {
        return Err(CmdError::Syntax);
    }
    let mut range = None;
    if !summary {
        let mut at = 3;
        let mut min_idle = 0;
        if args.is(3, "IDLE") {
            min_idle = parse_int(args.get(4))?;
            if args.len() < 8 {
                return Err(CmdError::Syntax);
            }
            at += 2;
        }
        let count = parse_int(args.get(at + 2))?.max(0);
        let start = interval_bound(args.get(at), true)?;
        let end = interval_bound(args.get(at + 1), false)?;
        let consumer = (at + 3 < args.len()).then(|| args.get(at + 3));
        range = Some((min_idle, start, end, count, consumer));
    }
    let found = srv.lookup_read_kind(c.db, key, Kind::Stream)?;
    let now = now_ms(srv);
    let group = found
        .and_then(|id| stream_at(srv, c.db, id))
        .and_then(|s| group_of(s, gname))
        .ok_or_else(|| no_key_or_group(key, gname))?;
    match range {
        None => reply_pending_summary(c, group),
        Some((min_idle, start, end, count, consumer)) => {
            reply_pending_range(c, group, (start, end), count, consumer, min_idle, now)
        }
    }
    Ok(())
}

fn reply_pending_summary(c: &mut Client, g: &Group) {
    c.reply.array_len(4);
    c.reply.int(g.pel_len() as i64);
    let Some(summary) = g.pending_summary() else {
        c.reply.null();
        c.reply.null();
        c.reply.null_array();
        return;
    };
    reply_id(c, summary.first);
    reply_id(c, summary.last);
    c.reply.array_len(summary.per_consumer.len());
    for (name, n) in summary.per_consumer {
        c.reply.array_len(2);
        c.reply.bulk(name);
        c.reply.bulk_int(n as i64);
    }
}

fn reply_pending_range(
    c: &mut Client,
    g: &Group,
    (start, end): (StreamId, StreamId),
    count: i64,
    consumer: Option<&[u8]>,
    min_idle: i64,
    now: i64,
) {
    let ids: Box<dyn Iterator<Item = StreamId>> = match consumer {
        Some(name) => match g.consumer(name) {
            Some(cons) => Box::new(cons.pending_from(start).take_while(move |&id| id <= end)),
            None => {
                c.reply.array_len(0);
                return;
            }
        },
        None => Box::new(
            g.pending_range(Bound::Included(start), Bound::Included(end))
                .map(|(id, _)| id),
        ),
    };
    let mark = c.reply.mark();
    let mut n = 0;
    for id in ids {
        if n as i64 >= count {
            break;
        }
        let Some(p) = g.pending(id) else { continue };
        let idle = now.wrapping_sub(p.delivery_time);
        if min_idle != 0 && idle < min_idle {
            continue;
        }
        n += 1;
        c.reply.array_len(4);
        reply_id(c, id);
        c.reply.bulk(p.owner());
        c.reply.int(idle.max(0));
        c.reply.int(p.delivery_count as i64);
    }
    insert_len(c, mark, b'*', n);
}

// ---- XCLAIM and XAUTOCLAIM --------------------------------------------

/// The stream at `key` and its group `gname`, or the `-NOGROUP` of XCLAIM
/// and XAUTOCLAIM.
fn claim_target(srv: &mut Server, c: &Client, key: &[u8], gname: &[u8]) -> Result<Id, CmdError> {
    let found = srv.lookup_read_kind(c.db, key, Kind::Stream)?;
    found
        .filter(|&id| stream_at(srv, c.db, id).is_some_and(|s| group_of(s, gname).is_some()))
        .ok_or_else(|| no_key_or_group(key, gname))
}

/// XCLAIM's options after its IDs.
struct ClaimOptions {
    force: bool,
    justid: bool,
    /// Delivery time to set, unix ms (from IDLE or TIME).
    delivery_time: Option<i64>,
    retrycount: Option<i64>,
    last_id: StreamId,
}

fn parse_claim_options(args: &Args, from: usize, now: i64) -> Result<ClaimOptions, CmdError> {
    let mut o = ClaimOptions {
        force: false,
        justid: false,
        delivery_time: None,
        retrycount: None,
        last_id: StreamId::ZERO,
    };
    let int_or = |arg: &[u8], what: &str| {
        parse_int(arg)
            .map_err(|_| message(format!("ERR Invalid {what} option argument for XCLAIM")))
    };
    let mut j = from;
    while j < args.len() {
        let more = args.len() - 1 - j;
        if args.is(j, "FORCE") {
            o.force = true;
        } else if args.is(j, "JUSTID") {
            o.justid = true;
        } else if args.is(j, "IDLE") && more > 0 {
            j += 1;
            o.delivery_time = Some(now.wrapping_sub(int_or(args.get(j), "IDLE")?));
        } else if args.is(j, "TIME") && more > 0 {
            j += 1;
            o.delivery_time = Some(int_or(args.get(j), "TIME")?);
        } else if args.is(j, "RETRYCOUNT") && more > 0 {
            j += 1;
            o.retrycount = Some(int_or(args.get(j), "RETRYCOUNT")?);
        } else if args.is(j, "LASTID") && more > 0 {
            j += 1;
            o.last_id = parse_strict_id(args.get(j), 0)?;
        } else {
            return Err(message(format!(
                "ERR Unrecognized XCLAIM option '{}'",
                lossy(args.get(j))
            )));
        }
        j += 1;
    }
    Ok(o)
}

/// Replies with an entry claimed: its ID alone, or the entry itself.
fn reply_claimed(c: &mut Client, s: &Stream, id: StreamId, justid: bool) {
    if justid {
        reply_id(c, id);
        return;
    }
    match entry_at(s, id) {
        Some(e) => reply_stream_entry(c, &e),
        None => c.reply.null(),
    }
}

/// Gives pending entry `id` to `consumer` at `time`, counting a delivery
/// unless `count` is given or `justid` says not to; creates the
/// consumer the first time (`created` remembers it).
fn claim_one(
    g: &mut Group,
    id: StreamId,
    consumer: &[u8],
    (time, now): (i64, i64),
    count: Option<u64>,
    justid: bool,
    created: &mut Option<bool>,
) {
    if created.is_none() {
        *created = Some(g.touch_consumer(consumer, now));
    }
    let previous = g.pending(id).map_or(1, |p| p.delivery_count);
    // Counts wrap as Redis's unsigned ones do (a loaded count may be the largest).
    let count = count.unwrap_or(if justid {
        previous
    } else {
        previous.wrapping_add(1)
    });
    g.assign(id, consumer, time, count);
}

/// `XCLAIM key group consumer min-idle id [id ...] [IDLE ms] [TIME ms]
/// [RETRYCOUNT n] [FORCE] [JUSTID] [LASTID id]`
pub fn xclaim(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let (key, gname, consumer) = (args.get(1), args.get(2), args.get(3));
    let id = claim_target(srv, c, key, gname)?;
    let min_idle = parse_int(args.get(4))
        .map_err(|_| CmdError::Message("ERR Invalid min-idle-time argument for XCLAIM".into()))?
        .max(0);
    let mut ids = Vec::new();
    let mut j = 5;
    while j < args.len() {
        let Ok(id) = parse_strict_id(args.get(j), 0) else {
            break;
        };
        ids.push(id);
        j += 1;
    }
    let now = now_ms(srv);
    let opts = parse_claim_options(args, j, now)?;
    let time = match opts.delivery_time {
        Some(t) if (0..=now).contains(&t) => t,
        _ => now,
    };
    let db = c.db;
    let mut rewrites = Rewrites::new(srv);
    let Some(s) = stream_groups_mut(srv, db, id) else {
        return Ok(());
    };
    let Some(mut groups) = s.groups.take() else {
        return Ok(());
    };
    let mut created = None;
    if let Some(g) = groups.get_mut(gname) {
        let mut move_last = opts.last_id > g.last_id;
        if move_last {
            g.last_id = opts.last_id;
        }
        let mark = c.reply.mark();
        let mut n = 0;
        for &eid in &ids {
            let pending = g.pending(eid).map(|p| now.wrapping_sub(p.delivery_time));
            if entry_at(s, eid).is_none() {
                if pending.is_some() {
                    rewrites.add(|| xclaim_argv(key, gname, g, eid));
                    move_last = false;
                    g.ack(eid);
                }
                continue;
            }
            // An entry FORCE puts in the PEL has no idle time to check.
            let idle_ok = match pending {
                Some(idle) => min_idle == 0 || idle >= min_idle,
                None => opts.force,
            };
            if !idle_ok {
                continue;
            }
            // A negative RETRYCOUNT counts as not given.
            let count = opts.retrycount.and_then(|n| u64::try_from(n).ok());
            claim_one(
                g,
                eid,
                consumer,
                (time, now),
                count,
                opts.justid,
                &mut created,
            );
            reply_claimed(c, s, eid, opts.justid);
            n += 1;
            rewrites.add(|| xclaim_argv(key, gname, g, eid));
            move_last = false;
        }
        insert_len(c, mark, b'*', n);
        if move_last {
            rewrites.add(|| Some(setid_argv(key, gname, g)));
        }
    }
    s.groups = Some(groups);
    if created == Some(true) {
        consumer_created(srv, db, key);
    }
    srv.dirty += rewrites.count;
    rewrites.propagate_instead(srv, db);
    Ok(())
}

/// `XAUTOCLAIM key group consumer min-idle start [COUNT n] [JUSTID]`
pub fn xautoclaim(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let (key, gname, consumer) = (args.get(1), args.get(2), args.get(3));
    let min_idle = parse_int(args.get(4))
        .map_err(|_| CmdError::Message("ERR Invalid min-idle-time argument for XAUTOCLAIM".into()))?
        .max(0);
    let start = interval_bound(args.get(5), true)?;
    let mut count = AUTOCLAIM_COUNT;
    let mut justid = false;
    let max_count = i64::MAX / (16_i64).max(AUTOCLAIM_ATTEMPTS_FACTOR);
    let mut j = 6;
    while j < args.len() {
        let more = args.len() - 1 - j;
        if args.is(j, "COUNT") && more > 0 {
            count = parse_int(args.get(j + 1))
                .ok()
                .filter(|n| (1..=max_count).contains(n))
                .ok_or(CmdError::Message("ERR COUNT must be > 0".into()))?;
            j += 1;
        } else if args.is(j, "JUSTID") {
            justid = true;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    let id = claim_target(srv, c, key, gname)?;
    let now = now_ms(srv);
    let db = c.db;
    let mut rewrites = Rewrites::new(srv);
    let Some(s) = stream_groups_mut(srv, db, id) else {
        return Ok(());
    };
    let Some(mut groups) = s.groups.take() else {
        return Ok(());
    };
    let mut created = None;
    if let Some(g) = groups.get_mut(gname) {
        let mut attempts = count.saturating_mul(AUTOCLAIM_ATTEMPTS_FACTOR);
        let mut cursor = Bound::Included(start);
        let mut deleted = Vec::new();
        let mut exhausted = false;
        c.reply.array_len(3);
        let mark = c.reply.mark();
        let mut n = 0;
        while attempts > 0 && count > 0 {
            attempts -= 1;
            let next = g.pending_range(cursor, Bound::Unbounded).next();
            let Some((eid, p)) = next else {
                exhausted = true;
                break;
            };
            let idle = now.wrapping_sub(p.delivery_time);
            cursor = Bound::Excluded(eid);
            if entry_at(s, eid).is_none() {
                rewrites.add(|| xclaim_argv(key, gname, g, eid));
                g.ack(eid);
                deleted.push(eid);
                count -= 1;
                continue;
            }
            if min_idle != 0 && idle < min_idle {
                continue;
            }
            claim_one(g, eid, consumer, (now, now), None, justid, &mut created);
            reply_claimed(c, s, eid, justid);
            n += 1;
            count -= 1;
            rewrites.add(|| xclaim_argv(key, gname, g, eid));
        }
        let next = if exhausted {
            None
        } else {
            g.pending_range(cursor, Bound::Unbounded).next()
        };
        let mut head = Vec::new();
        let mut buf = [0u8; ID_TEXT_MAX];
        let cursor_text = next.map_or(StreamId::ZERO, |(id, _)| id);
        let text = cursor_text.format(&mut buf);
        head.extend_from_slice(format!("${}\r\n", text.len()).as_bytes());
        head.extend_from_slice(text);
        head.extend_from_slice(format!("\r\n*{n}\r\n").as_bytes());
        c.reply.insert_at(mark, &head);
        c.reply.array_len(deleted.len());
        for eid in deleted {
            reply_id(c, eid);
        }
    }
    s.groups = Some(groups);
    if created == Some(true) {
        consumer_created(srv, db, key);
    }
    srv.dirty += rewrites.count;
    rewrites.propagate_instead(srv, db);
    Ok(())
}

// ---- XINFO -------------------------------------------------------------

/// The stream at `key` for XINFO: `ERR no such key` when absent.
fn info_target(srv: &mut Server, c: &Client, key: &[u8]) -> Result<Id, CmdError> {
    srv.lookup_read_kind(c.db, key, Kind::Stream)?
        .ok_or(CmdError::NoSuchKey)
}

/// `XINFO CONSUMERS key group`
pub fn xinfo_consumers(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let (key, gname) = (args.get(2), args.get(3));
    let id = info_target(srv, c, key)?;
    let now = now_ms(srv);
    let g = stream_at(srv, c.db, id)
        .and_then(|s| group_of(s, gname))
        .ok_or_else(|| no_group_for_key(gname, key))?;
    c.reply.array_len(g.consumers_len());
    for (name, cons) in g.consumers() {
        c.reply.map_len(3);
        c.reply.bulk(b"name");
        c.reply.bulk(name);
        c.reply.bulk(b"pending");
        c.reply.int(cons.pending_len() as i64);
        c.reply.bulk(b"idle");
        c.reply.int(now.wrapping_sub(cons.seen_time).max(0));
    }
    Ok(())
}

fn reply_entries_read(c: &mut Client, g: &Group) {
    match g.entries_read {
        ENTRIES_READ_UNKNOWN => c.reply.null(),
        n => c.reply.int(n),
    }
}

fn reply_lag(c: &mut Client, g: &Group, state: &StreamState) {
    match g.lag(state) {
        Some(lag) => c.reply.int(lag),
        None => c.reply.null(),
    }
}

/// `XINFO GROUPS key`
pub fn xinfo_groups(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let id = info_target(srv, c, args.get(2))?;
    let Some(s) = stream_at(srv, c.db, id) else {
        return Ok(());
    };
    let state = StreamState::of(s);
    let Some(groups) = s.groups.as_deref() else {
        c.reply.array_len(0);
        return Ok(());
    };
    c.reply.array_len(groups.len());
    for (name, g) in groups.iter() {
        c.reply.map_len(6);
        c.reply.bulk(b"name");
        c.reply.bulk(name);
        c.reply.bulk(b"consumers");
        c.reply.int(g.consumers_len() as i64);
        c.reply.bulk(b"pending");
        c.reply.int(g.pel_len() as i64);
        c.reply.bulk(b"last-delivered-id");
        reply_id(c, g.last_id);
        c.reply.bulk(b"entries-read");
        reply_entries_read(c, g);
        c.reply.bulk(b"lag");
        reply_lag(c, g, &state);
    }
    Ok(())
}

/// `XINFO STREAM key [FULL [COUNT n]]`
pub fn xinfo_stream(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let optc = args.len() - 3;
    let mut full = false;
    let mut count = FULL_COUNT;
    let id = info_target(srv, c, args.get(2))?;
    if optc > 0 {
        if (optc != 1 && optc != 3) || !args.is(3, "FULL") || (optc == 3 && !args.is(4, "COUNT")) {
            return Err(subcommand_syntax(args));
        }
        if optc == 3 {
            count = parse_int(args.get(5))?;
            if count < 0 {
                count = FULL_COUNT;
            }
        }
        full = true;
    }
    let Some(s) = stream_at(srv, c.db, id) else {
        return Ok(());
    };
    let keys = s.node_count();
    c.reply.map_len(if full { 9 } else { 10 });
    c.reply.bulk(b"length");
    c.reply.int(s.len() as i64);
    c.reply.bulk(b"radix-tree-keys");
    c.reply.int(keys as i64);
    c.reply.bulk(b"radix-tree-nodes");
    c.reply.int(rax_nodes(s.nodes().map(|(id, _)| id)) as i64);
    c.reply.bulk(b"last-generated-id");
    reply_id(c, s.last_id);
    c.reply.bulk(b"max-deleted-entry-id");
    reply_id(c, s.max_deleted_entry_id);
    c.reply.bulk(b"entries-added");
    c.reply.int(s.entries_added as i64);
    c.reply.bulk(b"recorded-first-entry-id");
    reply_id(c, s.first_id);
    if !full {
        c.reply.bulk(b"groups");
        c.reply
            .int(s.groups.as_deref().map_or(0, Groups::len) as i64);
        c.reply.bulk(b"first-entry");
        match s.iter().next() {
            Some(e) => reply_stream_entry(c, &e),
            None => c.reply.null(),
        }
        c.reply.bulk(b"last-entry");
        match s.range(StreamId::ZERO, StreamId::MAX, true).next() {
            Some(e) => reply_stream_entry(c, &e),
            None => c.reply.null(),
        }
        return Ok(());
    }
    let limit = if count == 0 {
        usize::MAX
    } else {
        usize::try_from(count).unwrap_or(usize::MAX)
    };
    c.reply.bulk(b"entries");
    let mark = c.reply.mark();
    let mut n = 0;
    for e in s.iter().take(limit) {
        reply_stream_entry(c, &e);
        n += 1;
    }
    insert_len(c, mark, b'*', n);
    c.reply.bulk(b"groups");
    let state = StreamState::of(s);
    let Some(groups) = s.groups.as_deref() else {
        c.reply.array_len(0);
        return Ok(());
    };
    c.reply.array_len(groups.len());
    for (name, g) in groups.iter() {
        reply_full_group(c, name, g, &state, limit);
    }
    Ok(())
}

/// One group of XINFO STREAM FULL, its PELs cut to `limit` entries.
fn reply_full_group(c: &mut Client, name: &[u8], g: &Group, state: &StreamState, limit: usize) {
    c.reply.map_len(7);
    c.reply.bulk(b"name");
    c.reply.bulk(name);
    c.reply.bulk(b"last-delivered-id");
    reply_id(c, g.last_id);
    c.reply.bulk(b"entries-read");
    reply_entries_read(c, g);
    c.reply.bulk(b"lag");
    reply_lag(c, g, state);
    c.reply.bulk(b"pel-count");
    c.reply.int(g.pel_len() as i64);
    c.reply.bulk(b"pending");
    c.reply.array_len(g.pel_len().min(limit));
    for (id, p) in g
        .pending_range(Bound::Unbounded, Bound::Unbounded)
        .take(limit)
    {
        c.reply.array_len(4);
        reply_id(c, id);
        c.reply.bulk(p.owner());
        c.reply.int(p.delivery_time);
        c.reply.int(p.delivery_count as i64);
    }
    c.reply.bulk(b"consumers");
    c.reply.array_len(g.consumers_len());
    for (cname, cons) in g.consumers() {
        c.reply.map_len(4);
        c.reply.bulk(b"name");
        c.reply.bulk(cname);
        c.reply.bulk(b"seen-time");
        c.reply.int(cons.seen_time);
        c.reply.bulk(b"pel-count");
        c.reply.int(cons.pending_len() as i64);
        c.reply.bulk(b"pending");
        c.reply.array_len(cons.pending_len().min(limit));
        for id in cons.pending().take(limit) {
            let (time, count) = g
                .pending(id)
                .map_or((0, 0), |p| (p.delivery_time, p.delivery_count));
            c.reply.array_len(3);
            reply_id(c, id);
            c.reply.int(time);
            c.reply.int(count as i64);
        }
    }
}

/// `XINFO HELP`
pub fn xinfo_help(_srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    reply_help(
        c,
        args,
        &[
            "CONSUMERS <key> <groupname>",
            "    Show consumers of <groupname>.",
            "GROUPS <key>",
            "    Show the stream consumer groups.",
            "STREAM <key> [FULL [COUNT <count>]",
            "    Show information about the stream.",
        ],
    );
    Ok(())
}
