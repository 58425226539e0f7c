//! Commands: the static command table, its lookup, and dispatch.
//!
//! Every command is one [`CommandSpec`] in [`table::COMMANDS`]: name, arity,
//! flags, key positions, documentation and handler. Dispatch alone checks for
//! unknown commands, arity and authentication, so handlers only do their own
//! work; `COMMAND` and the documentation are generated from the same table.
//! Handlers live in one file per family, as Redis keeps one file per type.

pub mod acl;
pub mod bitops;
pub mod client;
pub mod connection;
pub mod debug;
pub mod docs;
mod docs_data;
pub mod dump;
pub mod error;
pub mod function;
pub mod geo;
pub mod hash;
pub mod hyperloglog;
pub mod info;
pub mod introspection;
pub mod keys;
pub mod latency;
pub mod latency_doctor;
pub mod list;
pub mod memory;
pub mod memory_doctor;
pub mod migrate;
pub mod monitor;
pub mod multi;
pub mod persistence;
pub mod pubsub;
pub mod scripting;
pub mod server;
pub mod set;
pub mod slowlog;
pub mod sort;
pub mod stream;
pub mod stream_group;
pub mod string;
pub mod table;
pub mod zset;

use std::ops::Range;
use std::time::Instant;

pub use error::CmdError;

use crate::server::client::{Client, ReplyMode};
use crate::server::{evict, Server};

/// Result of a handler: `Err` becomes an error reply written by dispatch.
pub type CmdResult = Result<(), CmdError>;

/// A command implementation.
pub type Handler = fn(&mut Server, &mut Client, &Args) -> CmdResult;

/// Command flags, in the order `COMMAND INFO` lists them.
pub mod flags {
    pub const WRITE: u32 = 1 << 0;
    pub const READONLY: u32 = 1 << 1;
    pub const DENYOOM: u32 = 1 << 2;
    pub const ADMIN: u32 = 1 << 4;
    pub const PUBSUB: u32 = 1 << 5;
    pub const NOSCRIPT: u32 = 1 << 6;
    pub const BLOCKING: u32 = 1 << 7;
    pub const LOADING: u32 = 1 << 8;
    pub const STALE: u32 = 1 << 9;
    pub const SKIP_MONITOR: u32 = 1 << 10;
    pub const SKIP_SLOWLOG: u32 = 1 << 11;
    pub const ASKING: u32 = 1 << 12;
    pub const FAST: u32 = 1 << 13;
    pub const NO_AUTH: u32 = 1 << 14;
    pub const NO_MANDATORY_KEYS: u32 = 1 << 15;
    pub const NO_ASYNC_LOADING: u32 = 1 << 16;
    pub const NO_MULTI: u32 = 1 << 17;
    pub const MOVABLE_KEYS: u32 = 1 << 18;
    pub const ALLOW_BUSY: u32 = 1 << 19;
    /// Not listed by `COMMAND INFO`: the command may propagate writes, so
    /// `CLIENT PAUSE WRITE` holds it back like a write.
    pub const MAY_REPLICATE: u32 = 1 << 24;
    /// Not listed: refused unless `enable-debug-command` allows it.
    pub const PROTECTED: u32 = 1 << 25;

    /// Names for `COMMAND INFO`, by bit.
    pub const NAMES: &[(u32, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (SKIP_MONITOR, "skip_monitor"),
        (SKIP_SLOWLOG, "skip_slowlog"),
        (ASKING, "asking"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        (NO_MANDATORY_KEYS, "no_mandatory_keys"),
        (NO_ASYNC_LOADING, "no_async_loading"),
        (NO_MULTI, "no_multi"),
        (MOVABLE_KEYS, "movablekeys"),
        (ALLOW_BUSY, "allow_busy"),
    ];
}

/// Where a key spec starts looking for keys.
#[derive(Debug, Clone, Copy)]
pub enum BeginSearch {
    Index(i32),
    Keyword {
        keyword: &'static str,
        startfrom: i32,
    },
    /// The keys cannot be found from the arguments' positions (SORT's
    /// BY/GET patterns and STORE); a `getkeys` hook finds what can be found.
    Unknown,
}

/// How a key spec finds keys once it has started.
#[derive(Debug, Clone, Copy)]
pub enum FindKeys {
    Range {
        lastkey: i32,
        keystep: i32,
        limit: i32,
    },
    Keynum {
        keynumidx: i32,
        firstkey: i32,
        keystep: i32,
    },
    /// Goes with [`BeginSearch::Unknown`].
    Unknown,
}

/// One of a command's key specifications, as `COMMAND INFO` reports them.
#[derive(Debug, Clone, Copy)]
pub struct KeySpec {
    pub notes: Option<&'static str>,
    /// Flag names, access type first (`RW`, `RO`, `OW`, `RM`), then the others in lower case.
    pub flags: &'static [&'static str],
    pub begin: BeginSearch,
    pub find: FindKeys,
}

/// The command group `COMMAND DOCS` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    Generic,
    String,
    Bitmap,
    List,
    Connection,
    Server,
    Hash,
    Hyperloglog,
    Set,
    Pubsub,
    SortedSet,
    Transactions,
    Geo,
    Stream,
    Scripting,
}

impl Group {
    pub fn name(self) -> &'static str {
        match self {
            Group::Generic => "generic",
            Group::String => "string",
            Group::Bitmap => "bitmap",
            Group::List => "list",
            Group::Connection => "connection",
            Group::Server => "server",
            Group::Hash => "hash",
            Group::Hyperloglog => "hyperloglog",
            Group::Set => "set",
            Group::Pubsub => "pubsub",
            Group::SortedSet => "sorted-set",
            Group::Transactions => "transactions",
            Group::Geo => "geo",
            Group::Stream => "stream",
            Group::Scripting => "scripting",
        }
    }
}

/// One command or subcommand of the table.
#[derive(Debug)]
pub struct CommandSpec {
    /// Full lower-case name; subcommands are `container|sub`.
    pub name: &'static str,
    /// Exact argument count including the name, or `-n` for at least `n`.
    pub arity: i32,
    pub flags: u32,
    /// ACL categories beyond those the flags imply.
    pub acl: u32,
    /// Legacy key positions: first, last (negative counts from the end), step.
    pub keys: (i32, i32, i32),
    pub key_specs: &'static [KeySpec],
    pub tips: &'static [&'static str],
    pub summary: &'static str,
    pub since: &'static str,
    pub group: Group,
    pub complexity: &'static str,
    /// `COMMAND DOCS` flags (`syscmd` for DEBUG).
    pub doc_flags: &'static [&'static str],
    /// `COMMAND DOCS` `deprecated_since` and `replaced_by` of a deprecated command.
    pub replaced_by: Option<(&'static str, &'static str)>,
    /// `None` for a container, whose subcommands do the work.
    pub handler: Option<Handler>,
    /// Finds keys where the key specs cannot say it alone (flags that depend
    /// on the arguments); takes the full argument vector.
    pub getkeys: Option<fn(&Args) -> Vec<introspection::KeyRef>>,
    pub subcommands: &'static [CommandSpec],
}

impl CommandSpec {
    /// The name without its container prefix.
    pub fn short_name(&self) -> &'static str {
        self.name.rsplit('|').next().unwrap_or(self.name)
    }

    pub fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }

    /// All ACL categories: the table's plus those Redis derives from the flags.
    pub fn acl_categories(&self) -> u32 {
        let mut cats = self.acl;
        if self.has(flags::WRITE) {
            cats |= acl::WRITE;
        }
        if self.has(flags::READONLY) && cats & acl::SCRIPTING == 0 {
            cats |= acl::READ;
        }
        if self.has(flags::ADMIN) {
            cats |= acl::ADMIN | acl::DANGEROUS;
        }
        if self.has(flags::PUBSUB) {
            cats |= acl::PUBSUB;
        }
        if self.has(flags::FAST) {
            cats |= acl::FAST;
        }
        if self.has(flags::BLOCKING) {
            cats |= acl::BLOCKING;
        }
        if cats & acl::FAST == 0 {
            cats |= acl::SLOW;
        }
        cats
    }

    /// Whether `argc` arguments (name included) satisfy the arity.
    pub fn arity_ok(&self, argc: usize) -> bool {
        let argc = argc as i64;
        let arity = i64::from(self.arity);
        (arity >= 0 && argc == arity) || (arity < 0 && argc >= -arity)
    }
}

/// A request's arguments, borrowed from where the parser left them.
#[derive(Clone, Copy)]
pub struct Args<'a> {
    data: &'a [u8],
    ranges: &'a [Range<usize>],
}

impl<'a> Args<'a> {
    pub fn new(data: &'a [u8], ranges: &'a [Range<usize>]) -> Self {
        Args { data, ranges }
    }

    pub fn len(&self) -> usize {
        self.ranges.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    /// Argument `i`; callers index within `len()`, which arity checks guarantee.
    pub fn get(&self, i: usize) -> &'a [u8] {
        self.ranges
            .get(i)
            .map_or(&[][..], |r| &self.data[r.clone()])
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = &'a [u8]> + 'a {
        let data = self.data;
        self.ranges.iter().map(move |r| &data[r.clone()])
    }

    /// Whether argument `i` equals `word`, ignoring ASCII case.
    pub fn is(&self, i: usize, word: &str) -> bool {
        self.get(i).eq_ignore_ascii_case(word.as_bytes())
    }

    /// Total bytes of all arguments (for `CLIENT LIST`'s `argv-mem`).
    pub fn bytes(&self) -> usize {
        self.ranges.iter().map(|r| r.len()).sum()
    }

    /// The arguments from `n` on, as a request of their own.
    pub fn slice_from(&self, n: usize) -> Args<'a> {
        Args {
            data: self.data,
            ranges: self.ranges.get(n..).unwrap_or_default(),
        }
    }

    pub fn to_vecs(&self) -> Vec<Vec<u8>> {
        self.iter().map(<[u8]>::to_vec).collect()
    }
}

/// A request's arguments held apart from the query buffer: one byte
/// buffer and the ranges into it, as a queued transaction keeps them.
#[derive(Debug)]
pub struct OwnedArgs {
    data: Box<[u8]>,
    ranges: Box<[Range<usize>]>,
}

impl OwnedArgs {
    pub fn new(args: &Args) -> Self {
        let mut data = Vec::with_capacity(args.bytes());
        let mut ranges = Vec::with_capacity(args.len());
        for arg in args.iter() {
            ranges.push(data.len()..data.len() + arg.len());
            data.extend_from_slice(arg);
        }
        OwnedArgs {
            data: data.into_boxed_slice(),
            ranges: ranges.into_boxed_slice(),
        }
    }

    pub fn args(&self) -> Args<'_> {
        Args::new(&self.data, &self.ranges)
    }
}

/// Replies with a listpack element as a bulk string (integers in decimal).
pub(crate) fn reply_entry(
    c: &mut crate::server::client::Client,
    e: crate::storage::listpack::Entry<'_>,
) {
    match e {
        crate::storage::listpack::Entry::Str(s) => c.reply.bulk(s),
        crate::storage::listpack::Entry::Int(v) => c.reply.bulk_int(v),
    }
}

/// The leading integer, as C's `atoi` reads it (0 when none; glibc's
/// `strtol` cut to an `int`), for the arguments Redis reads that way
/// without complaint.
pub(crate) fn atoi(s: &[u8]) -> i64 {
    i64::from(crate::protocol::parser::strtoll(s, 10).0 as i32)
}

/// Parses an argument as an integer the way Redis's `getLongLongFromObject` does.
pub fn parse_int(arg: &[u8]) -> Result<i64, CmdError> {
    crate::protocol::parser::parse_i64_strict(arg).ok_or(CmdError::NotInteger)
}

/// A blocking command's timeout in seconds (fractions allowed) as Redis's
/// `getTimeoutFromObjectOrReply` reads it: the absolute deadline in unix
/// ms, or `None` for 0, which waits forever.
pub fn parse_timeout(arg: &[u8], now_ms: u64) -> Result<Option<u64>, CmdError> {
    let ms = crate::storage::float::ld_timeout_ms(arg).ok_or(CmdError::Message(
        "ERR timeout is not a float or out of range".into(),
    ))?;
    if ms < 0 {
        return Err(CmdError::Message("ERR timeout is negative".into()));
    }
    // Redis 7.0 adds the time without an overflow check; a deadline that
    // wraps below zero never comes up in its timeout table, so such a
    // client waits forever, as one with 0 does.
    match ms.wrapping_add(now_ms as i64) {
        _ if ms == 0 => Ok(None),
        deadline if deadline < 0 => Ok(None),
        deadline => Ok(Some(deadline as u64)),
    }
}

/// The count argument of SRANDMEMBER, HRANDFIELD and ZRANDMEMBER: an
/// integer whose negation is one too (a negative count asks for repeats).
pub(crate) fn parse_random_count_arg(arg: &[u8]) -> Result<i64, CmdError> {
    let count = parse_int(arg)?;
    if count == i64::MIN {
        return Err(CmdError::Message(
            "ERR value is out of range, value must between -9223372036854775807 and \
             9223372036854775807"
                .into(),
        ));
    }
    Ok(count)
}

/// The count of HRANDFIELD and ZRANDMEMBER (`key [count [WITH<word>]]`),
/// checked as Redis checks it: `None` when there is no count (one element,
/// a bulk reply), else the count and whether the word was given.
pub(crate) fn parse_random_count(args: &Args, word: &str) -> Result<Option<(i64, bool)>, CmdError> {
    if args.len() < 3 {
        return Ok(None);
    }
    let count = parse_random_count_arg(args.get(2))?;
    if args.len() > 4 || (args.len() == 4 && !args.is(3, word)) {
        return Err(CmdError::Syntax);
    }
    let with = args.len() == 4;
    // The reply holds two entries per element; Redis refuses what would overflow.
    if with && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        return Err(CmdError::Message("ERR value is out of range".into()));
    }
    Ok(Some((count, with)))
}

/// Index of a command in the flattened table; commandstats are kept per index.
pub type CommandId = usize;

/// Name lookup over the static table, built once at start-up.
///
/// Names are few and short, so a small open-addressing table with a
/// case-folding hash finds them without copying or lowercasing the name a
/// client sent; this runs for every request.
pub struct CommandTable {
    /// Every command and subcommand, containers before their subcommands.
    pub all: Vec<&'static CommandSpec>,
    /// Slots holding ids + 1 of top-level commands (0 = empty).
    top: Vec<u32>,
    /// Slots holding ids + 1 of subcommands, hashed with their container.
    sub: Vec<u32>,
    /// Top-level commands `rename-command` gave another name (`None`: removed).
    renamed: Vec<Rename>,
}

/// A command and the name `rename-command` gave it (`None`: removed).
pub type Rename = (CommandId, Option<Box<[u8]>>);

/// Replays `rename-command` directives over the top-level command names as
/// Redis's command dictionary sees them: each directive finds its command
/// by the name it has after the earlier ones (any case), and a new name may
/// not be taken. Returns, per renamed command (index in
/// [`table::COMMANDS`]), its final name or `None` when removed; the error is
/// Redis's for the first directive that fails.
pub fn resolve_renames(renames: &[(Vec<u8>, Vec<u8>)]) -> Result<Vec<Rename>, &'static str> {
    let mut names: Vec<Option<Vec<u8>>> = table::COMMANDS
        .iter()
        .map(|c| Some(c.name.as_bytes().to_vec()))
        .collect();
    let find = |names: &[Option<Vec<u8>>], name: &[u8]| {
        names
            .iter()
            .position(|n| n.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(name)))
    };
    for (old, new) in renames {
        let i = find(&names, old).ok_or("No such command in rename-command")?;
        names[i] = None;
        if !new.is_empty() {
            if find(&names, new).is_some() {
                return Err("Target command name already exists");
            }
            names[i] = Some(new.clone());
        }
    }
    Ok(names
        .into_iter()
        .enumerate()
        .filter(|(i, n)| n.as_deref() != Some(table::COMMANDS[*i].name.as_bytes()))
        .map(|(i, n)| (i, n.map(Vec::into_boxed_slice)))
        .collect())
}

/// What a request names.
pub enum Lookup {
    Found(CommandId),
    UnknownCommand,
    /// A container was found but not this subcommand of it.
    UnknownSubcommand(CommandId),
}

/// FNV-1a over the ASCII-lowercased bytes, mixed with `seed`.
fn fold_hash(name: &[u8], seed: u64) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325 ^ seed;
    for &b in name {
        h ^= u64::from(b.to_ascii_lowercase());
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

impl CommandTable {
    pub fn new() -> Self {
        Self::with_renames(&[])
    }

    /// The table with `rename-command` directives applied; they were
    /// checked when the configuration was read, so a failing one is skipped.
    pub fn with_renames(renames: &[(Vec<u8>, Vec<u8>)]) -> Self {
        let mut all: Vec<&'static CommandSpec> = Vec::new();
        let mut top_ids = Vec::with_capacity(table::COMMANDS.len());
        for spec in table::COMMANDS {
            top_ids.push(all.len());
            all.push(spec);
            all.extend(spec.subcommands.iter());
        }
        let renamed = resolve_renames(renames)
            .unwrap_or_default()
            .into_iter()
            .map(|(i, name)| (top_ids[i], name))
            .collect();
        // At most half full, so probes stay short.
        let size = (all.len() * 2).next_power_of_two();
        let mut t = CommandTable {
            all,
            top: vec![0; size],
            sub: vec![0; size],
            renamed,
        };
        let mut container = 0;
        for id in 0..t.all.len() {
            let spec = t.all[id];
            if spec.name.contains('|') {
                let seed = container as u64 + 1;
                let slot = t.free_slot(true, fold_hash(spec.short_name().as_bytes(), seed));
                t.sub[slot] = id as u32 + 1;
            } else {
                container = id;
                let slot = t.free_slot(false, fold_hash(spec.name.as_bytes(), 0));
                t.top[slot] = id as u32 + 1;
            }
        }
        t
    }

    /// Every command and subcommand clients can reach, in table order: a
    /// command removed by `rename-command ""` takes its subcommands along.
    pub fn reachable_all(&self) -> impl Iterator<Item = &'static CommandSpec> + '_ {
        let mut removed = false;
        self.all.iter().enumerate().filter_map(move |(id, spec)| {
            if !spec.name.contains('|') {
                removed = self
                    .renamed
                    .iter()
                    .any(|(r, new)| *r == id && new.is_none());
            }
            (!removed).then_some(*spec)
        })
    }

    /// The top-level commands clients can reach, in table order.
    pub fn reachable(&self) -> impl Iterator<Item = &'static CommandSpec> + '_ {
        self.reachable_all().filter(|spec| !spec.name.contains('|'))
    }

    fn free_slot(&self, sub: bool, hash: u64) -> usize {
        let slots = if sub { &self.sub } else { &self.top };
        let mask = slots.len() - 1;
        let mut i = hash as usize & mask;
        while slots[i] != 0 {
            i = (i + 1) & mask;
        }
        i
    }

    /// Probes for `name` among the slots, matching with `is_match`.
    fn probe(
        &self,
        sub: bool,
        hash: u64,
        is_match: impl Fn(&CommandSpec) -> bool,
    ) -> Option<CommandId> {
        let slots = if sub { &self.sub } else { &self.top };
        let mask = slots.len() - 1;
        let mut i = hash as usize & mask;
        loop {
            match slots[i] {
                0 => return None,
                n if is_match(self.all[n as usize - 1]) => return Some(n as usize - 1),
                _ => i = (i + 1) & mask,
            }
        }
    }

    /// Finds the command an argument vector names, subcommand included.
    pub fn lookup(&self, args: &Args) -> Lookup {
        let Some(id) = self.find_top(args.get(0)) else {
            return Lookup::UnknownCommand;
        };
        let spec = self.all[id];
        if spec.subcommands.is_empty() || args.len() < 2 {
            return Lookup::Found(id);
        }
        match self.find_sub(id, args.get(1)) {
            Some(sid) => Lookup::Found(sid),
            None => Lookup::UnknownSubcommand(id),
        }
    }

    /// A top-level command by name, any case.
    pub fn find_top(&self, name: &[u8]) -> Option<CommandId> {
        let id = self.find_original(name);
        if self.renamed.is_empty() {
            return id;
        }
        if let Some((id, _)) = self
            .renamed
            .iter()
            .find(|(_, new)| new.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(name)))
        {
            return Some(*id);
        }
        id.filter(|id| self.renamed.iter().all(|(r, _)| r != id))
    }

    /// A top-level command by the name it has in the table, renames ignored.
    fn find_original(&self, name: &[u8]) -> Option<CommandId> {
        self.probe(false, fold_hash(name, 0), |spec| {
            spec.name.as_bytes().eq_ignore_ascii_case(name)
        })
    }

    /// A request's command by the names in the table, renames ignored:
    /// replaying an append-only file written before a `rename-command`, or
    /// holding the forms ferrodis propagates itself, must not lose the
    /// writes in it.
    pub fn lookup_original(&self, args: &Args) -> Option<CommandId> {
        let id = self.find_original(args.get(0))?;
        if self.all[id].subcommands.is_empty() || args.len() < 2 {
            return Some(id);
        }
        self.find_sub(id, args.get(1))
    }

    fn find_sub(&self, container: CommandId, name: &[u8]) -> Option<CommandId> {
        let prefix = self.all[container].name;
        self.probe(true, fold_hash(name, container as u64 + 1), |spec| {
            spec.short_name().as_bytes().eq_ignore_ascii_case(name)
                && spec.name.len() == prefix.len() + 1 + name.len()
                && spec.name.starts_with(prefix)
        })
    }

    /// A command by full name (`get`, `client|list`), any case.
    pub fn find_full(&self, name: &[u8]) -> Option<CommandId> {
        let mut parts = name.splitn(2, |&b| b == b'|');
        let top = self.find_top(parts.next().unwrap_or_default())?;
        match parts.next() {
            None => Some(top),
            Some(sub) => self.find_sub(top, sub),
        }
    }
}

impl Default for CommandTable {
    fn default() -> Self {
        Self::new()
    }
}

/// What dispatch tells the connection layer after a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Carry on with the next request.
    Continue,
    /// The request must wait (`CLIENT PAUSE`); re-run it later.
    Postpone,
}

/// Runs one request for `client`: lookup, arity, auth, pause, then the handler.
pub fn dispatch(srv: &mut Server, client: &mut Client, args: &Args) -> Outcome {
    // Redis reads the clock for every command: expiry deadlines and TTLs
    // computed by pipelined commands must see time move.
    srv.clock.update();
    client.last_interaction = srv.clock.now_ms;
    // Redis answers QUIT before looking at anything else, even unauthenticated.
    if args.is(0, "quit") {
        client.reply.ok();
        client.close_after_reply = true;
        if let Some(id) = srv.commands.find_top(b"quit") {
            srv.feed_monitors(client, srv.commands.all[id], args);
        }
        return Outcome::Continue;
    }
    let id = match srv.commands.lookup(args) {
        Lookup::Found(id) => id,
        Lookup::UnknownCommand => {
            reject(
                srv,
                client,
                args,
                None,
                CmdError::UnknownCommand(args.to_vecs()),
            );
            return Outcome::Continue;
        }
        Lookup::UnknownSubcommand(_) => {
            let upper = String::from_utf8_lossy(args.get(0)).to_ascii_uppercase();
            reject(
                srv,
                client,
                args,
                None,
                CmdError::UnknownSubcommand(args.get(1).to_vec(), upper),
            );
            return Outcome::Continue;
        }
    };
    let spec = srv.commands.all[id];
    client.last_cmd = Some(id);
    if !spec.arity_ok(args.len()) {
        reject(srv, client, args, Some(id), CmdError::WrongArity(spec.name));
        return Outcome::Continue;
    }
    if spec.has(flags::PROTECTED) && !protected_allowed(srv, client) {
        reject(srv, client, args, Some(id), CmdError::Message(
            "ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", \
             you can run it from a local connection, otherwise you need to set this option in the \
             configuration file, and then restart the server."
                .into(),
        ));
        return Outcome::Continue;
    }
    if !client.authenticated && srv.auth_required() && !spec.has(flags::NO_AUTH) {
        reject(srv, client, args, Some(id), CmdError::NoAuth);
        return Outcome::Continue;
    }
    if client.multi.is_some() && spec.has(flags::NO_MULTI) {
        reject(
            srv,
            client,
            args,
            Some(id),
            CmdError::Message("ERR Command not allowed inside a transaction".into()),
        );
        return Outcome::Continue;
    }
    if let Err(refusal) = crate::server::acl::check(srv, client.user.as_deref(), id, args) {
        let context = if client.multi.is_some() {
            crate::server::acl::Context::Multi
        } else {
            crate::server::acl::Context::Toplevel
        };
        crate::server::acl::log_refusal(srv, client, refusal, context, spec, args);
        let err = crate::server::acl::refusal_error(refusal, spec);
        reject(srv, client, args, Some(id), err);
        return Outcome::Continue;
    }
    // EXEC counts as what it will run: a write when a queued command is.
    let cmd_flags = match &client.multi {
        Some(m) if spec.name == "exec" => spec.flags | m.flags,
        _ => command_flags(srv, spec, args),
    };
    // Redis closes connections over `maxmemory-clients` before evicting
    // keys; if this one goes, its command never runs.
    if srv.evict_clients(Some(client)) {
        return Outcome::Continue;
    }
    // A busy script or a load holds the dataset: no eviction under it.
    let busy = srv.scripting.is_busy();
    let loading = srv.is_loading();
    if srv.config.maxmemory > 0 && !busy && !loading && out_of_memory(srv, client, spec, cmd_flags)
    {
        let err = CmdError::Message(evict::OOM_ERROR.into());
        reject(srv, client, args, Some(id), err);
        return Outcome::Continue;
    }
    // Redis bounds the tracking table before each command: evictions reach
    // the running client before this command's reply.
    srv.tracking_limit_keys();
    // Redis refuses PING too, so monitoring notices the broken persistence.
    if cmd_flags & flags::WRITE != 0 || spec.name == "ping" {
        let denied = if srv.writes_denied() {
            Some(CmdError::Misconf)
        } else {
            srv.aof.write_error.as_ref().map(|e| {
                CmdError::Message(format!("MISCONF Errors writing to the AOF file: {e}").into())
            })
        };
        if let Some(err) = denied {
            reject(srv, client, args, Some(id), err);
            return Outcome::Continue;
        }
    }
    if client.pubsub && !client.reply.is_resp3() && !pubsub::allowed_in_resp2_context(spec) {
        reject(srv, client, args, Some(id), CmdError::Message(format!(
            "ERR Can't execute '{}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
            spec.name
        ).into()));
        return Outcome::Continue;
    }
    // A monitor counts as a replica, which Redis keeps off the keyspace.
    let keyspace = flags::WRITE | flags::READONLY | flags::MAY_REPLICATE;
    if client.monitor && cmd_flags & keyspace != 0 {
        reject(
            srv,
            client,
            args,
            Some(id),
            CmdError::Message("ERR Replica can't interact with the keyspace".into()),
        );
        return Outcome::Continue;
    }
    // Every queued command passed this check, so EXEC's own flag decides.
    if loading && !spec.has(flags::LOADING) {
        reject(srv, client, args, Some(id), CmdError::Loading);
        return Outcome::Continue;
    }
    if busy && !spec.has(flags::ALLOW_BUSY) {
        let err = CmdError::Message(srv.scripting.busy_error().into());
        reject(srv, client, args, Some(id), err);
        return Outcome::Continue;
    }
    if srv.pause.blocks(cmd_flags, srv.clock.now_ms) {
        return Outcome::Postpone;
    }
    if client.multi.is_some() && !multi::runs_in_multi(spec) {
        multi::queue(srv, client, id, args);
        return Outcome::Continue;
    }
    call(srv, client, id, args);
    Outcome::Continue
}

/// The flags a request is checked with: the table's, except for the
/// EVAL family and FCALL, whose script's shebang or function's flags
/// decide (Redis's `getCommandFlags`).
pub(crate) fn command_flags(srv: &Server, spec: &CommandSpec, args: &Args) -> u32 {
    match spec.name {
        "fcall" | "fcall_ro" => function::command_flags(srv, args, spec.flags),
        name if spec.group == Group::Scripting && name.starts_with("eval") => {
            let by_sha = name.starts_with("evalsha");
            srv.scripting.command_flags(args, by_sha, spec.flags)
        }
        _ => spec.flags,
    }
}

/// Frees memory over `maxmemory` and tells whether the command must be
/// refused for lack of it: a `denyoom` command (EXEC when it queued one), or
/// anything but EXEC, DISCARD and RESET inside MULTI, since queueing takes
/// memory too.
fn out_of_memory(srv: &mut Server, client: &Client, spec: &CommandSpec, cmd_flags: u32) -> bool {
    srv.perform_evictions() == evict::Evicted::Fail
        && (cmd_flags & flags::DENYOOM != 0
            || client.multi.is_some() && !matches!(spec.name, "exec" | "discard" | "reset"))
}

/// Whether `enable-debug-command` lets this client run protected commands.
fn protected_allowed(srv: &Server, client: &Client) -> bool {
    match srv.config.value_of(b"enable-debug-command").as_deref() {
        Some(b"yes") => true,
        Some(b"local") => client.is_local(),
        _ => false,
    }
}

/// Executes a command that passed every check, with its statistics. AOF
/// loading calls it directly: replayed writes skip the client checks.
pub(crate) fn call(srv: &mut Server, client: &mut Client, id: CommandId, args: &Args) {
    let spec = srv.commands.all[id];
    let Some(handler) = spec.handler else {
        // A container without a subcommand has arity -2, so this needs an
        // argument that matched no subcommand, which lookup already refused.
        return;
    };
    let reply_mark = client.reply.mark();
    let mode_before = client.reply_mode;
    client.argv_mem = args.bytes();
    let dirty_before = srv.dirty;
    let fed_before = srv.propagator.fed();
    let started = Instant::now();
    srv.command_started = started;
    srv.propagator.enter();
    let outermost = srv.tracking_enter(client);
    let result = handler(srv, client, args);
    if srv.tracking.client_count() > 0 {
        srv.tracking_after_command(client, spec, args);
    }
    propagate(srv, client, spec, args, dirty_before);
    srv.propagator.leave();
    if srv.propagator.fed() != fed_before {
        client.aof_needed = srv.propagator.fed();
    }
    let usec = started.elapsed().as_micros() as u64;
    if client.blocked {
        // Counted once it is served or times out, as Redis counts it.
        srv.blocked_call_took(client.id, usec);
    } else {
        let stats = &mut srv.stats.commands[id];
        stats.calls += 1;
        stats.usec += usec;
        // Redis measures in whole microseconds and records them as nanoseconds.
        if srv.config.latency_tracking {
            srv.stats.latency[id].record(usec * 1000);
        }
    }
    srv.stats.total_commands_processed += 1;
    srv.slowlog_command(client, spec, args, usec);
    if !client.blocked && !client.replays_aof() {
        let event = if spec.has(flags::FAST) {
            "fast-command"
        } else {
            "command"
        };
        srv.latency_sample(event, usec / 1000);
    }
    if let Err(e) = result {
        srv.stats.commands[id].failed_calls += 1;
        write_error(srv, client, &e);
    }
    // A blocked command's reply comes when it is served or times out, and
    // CLIENT REPLY SKIP applies to that reply (the serving applies it).
    // Subscription confirmations are pushes, which CLIENT REPLY does not
    // silence; the command still uses up a SKIP.
    let keep_from = if pubsub::confirms_with_pushes(spec) {
        client.reply.mark()
    } else {
        reply_mark
    };
    if client.in_exec {
        // Redis holds output back while a mode says so but moves between
        // modes only after top-level commands: a CLIENT REPLY SKIP queued
        // in a transaction skips the command after EXEC.
        if matches!(client.reply_mode, ReplyMode::Off | ReplyMode::Skip) {
            client.reply.discard_from(keep_from);
        }
    } else if client.reply_mode == ReplyMode::Off && mode_before != ReplyMode::Off {
        // What was written before the mode went off stays: EXEC's array
        // header before a queued CLIENT REPLY OFF.
    } else if !client.blocked {
        apply_reply_mode(client, keep_from);
    }
    // Messages the command published to its own client come before its reply.
    if srv.pubsub.has_detached() {
        srv.deliver_detached(client, reply_mark);
    }
    srv.feed_monitors(client, spec, args);
    // Invalidations of its own reads come after it (Redis defers them
    // until the outermost call ends).
    if outermost {
        srv.tracking_leave(client, reply_mark);
    }
    // The arguments are let go once the command is done (a blocked one
    // keeps them), which is what `argv-mem` reports.
    if !client.blocked {
        client.argv_mem = 0;
    }
}

/// Propagates a command that changed data, in the form its handler asked
/// for or as received; deletions by expiry it caused go first, as in Redis.
fn propagate(
    srv: &mut Server,
    client: &Client,
    spec: &CommandSpec,
    args: &Args,
    dirty_before: u64,
) {
    // Deletions by expiry also break watches, so they are handled even
    // while nothing is propagated.
    srv.propagate_expired();
    if !srv.propagator.is_enabled() {
        return;
    }
    let rewrite = srv.propagator.take_rewrite();
    if srv.propagator.take_replaced() {
        return;
    }
    let forced = srv.propagator.take_forced();
    if !forced
        && (srv.dirty == dirty_before
            || !(spec.has(flags::WRITE) || spec.has(flags::MAY_REPLICATE)))
    {
        return;
    }
    match rewrite {
        Some(argv) => srv
            .propagator
            .propagate(client.db, argv.iter().map(Vec::as_slice)),
        None => srv.propagator.propagate(client.db, args.iter()),
    }
}

/// CLIENT REPLY OFF/SKIP: drop what the command just wrote.
pub(crate) fn apply_reply_mode(client: &mut Client, mark: usize) {
    match client.reply_mode {
        ReplyMode::On => {}
        ReplyMode::Off => client.reply.discard_from(mark),
        ReplyMode::SkipNext => client.reply_mode = ReplyMode::Skip,
        ReplyMode::Skip => {
            client.reply.discard_from(mark);
            client.reply_mode = ReplyMode::On;
        }
    }
}

/// Refuses a request before it runs; counted as a rejected call. Inside
/// a transaction the refusal dooms it, and a refused EXEC discards it.
fn reject(
    srv: &mut Server,
    client: &mut Client,
    args: &Args,
    id: Option<CommandId>,
    err: CmdError,
) {
    if let Some(id) = id {
        srv.stats.commands[id].rejected_calls += 1;
    }
    let err = multi::refused_in_multi(srv, client, args, id, err);
    if srv.tracking.client_count() > 0 {
        srv.tracking_end_caching(client, id.map(|id| srv.commands.all[id]));
    }
    let mark = client.reply.mark();
    write_error(srv, client, &err);
    if client.reply_mode != ReplyMode::On {
        apply_reply_mode(client, mark);
    }
}

/// Writes an error reply and counts it by its code, as `INFO errorstats` shows.
pub fn write_error(srv: &mut Server, client: &mut Client, err: &CmdError) {
    let text = err.text();
    client.reply.error_line(&text);
    srv.stats.count_error(&text);
}

/// Redis's reply when a subcommand gets arguments its branch does not take.
pub fn subcommand_syntax(args: &Args) -> CmdError {
    let sub = args.get(1);
    let sub = &sub[..sub.iter().position(|&b| b == 0).unwrap_or(sub.len())];
    let container = String::from_utf8_lossy(args.get(0)).to_ascii_uppercase();
    CmdError::Message(
        format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try {container} HELP.",
            String::from_utf8_lossy(sub)
        )
        .into(),
    )
}

/// Writes a `HELP` reply: the usage line, the container's lines, then
/// `HELP` itself. The container is named as the client typed it, which a
/// `rename-command` may have changed.
pub fn reply_help(client: &mut Client, args: &Args, lines: &[&str]) {
    client.reply.array_len(lines.len() + 3);
    let container = String::from_utf8_lossy(args.get(0)).to_ascii_uppercase();
    let head = format!("{container} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:");
    client.reply.simple(head.as_bytes());
    for line in lines {
        client.reply.simple(line.as_bytes());
    }
    client.reply.simple(b"HELP");
    client.reply.simple(b"    Prints this help.");
}

/// The bytes and ranges an [`Args`] of `words` borrows, for unit tests.
#[cfg(test)]
pub(crate) fn args_of(words: &[&[u8]]) -> (Vec<u8>, Vec<Range<usize>>) {
    let mut data = Vec::new();
    let mut ranges = Vec::new();
    for w in words {
        ranges.push(data.len()..data.len() + w.len());
        data.extend_from_slice(w);
    }
    (data, ranges)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every command and subcommand is found by its name in any case, and
    /// near misses are not.
    #[test]
    fn lookup_finds_every_name() {
        let t = CommandTable::new();
        for (id, spec) in t.all.iter().enumerate() {
            assert_eq!(t.find_full(spec.name.as_bytes()), Some(id), "{}", spec.name);
            assert_eq!(
                t.find_full(spec.name.to_uppercase().as_bytes()),
                Some(id),
                "{}",
                spec.name
            );
        }
        for miss in [
            &b"ge"[..],
            b"gett",
            b"",
            b"client|",
            b"client|lis",
            b"get|x",
            b"|list",
        ] {
            assert_eq!(
                t.find_full(miss),
                None,
                "{:?}",
                String::from_utf8_lossy(miss)
            );
        }
        let (data, ranges) = args_of(&[b"CLIENT", b"nosuch"]);
        assert!(matches!(
            t.lookup(&Args::new(&data, &ranges)),
            Lookup::UnknownSubcommand(_)
        ));
        let (data, ranges) = args_of(&[b"cLiEnT", b"LiSt"]);
        match t.lookup(&Args::new(&data, &ranges)) {
            Lookup::Found(id) => assert_eq!(t.all[id].name, "client|list"),
            _ => panic!("client list not found"),
        }
    }
}
