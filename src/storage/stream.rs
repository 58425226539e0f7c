//! Streams, laid out as Redis 7.0 lays them out: an ordered index of
//! listpack nodes keyed by the ID of the first entry each was created with
//! (the node's master ID), where Redis uses a radix tree over the same
//! 16-byte big-endian keys.
//!
//! Each node is a byte-exact listpack (`storage/listpack.rs`), so RDB files
//! and DUMP payloads carry the nodes unchanged. A node starts with its
//! master entry: the count of live entries, the count of deleted ones, the
//! fields of the entry that created the node, and a 0. Each entry then is
//! its flags, its ID as differences from the master ID, its fields and
//! values (only the values when the fields are the master's, flagged
//! SAMEFIELDS), and the number of listpack elements it took, which lets a
//! reverse scan find an entry's start from its end. Deleting an entry only
//! flags it and moves the counts; a node goes when its last live entry
//! does. Nodes are capped by `stream-node-max-bytes` and
//! `stream-node-max-entries`; every step follows `t_stream.c`, since the
//! bytes a client can DUMP depend on each of them.
//!
//! Node contents may come from a file or a client (RESTORE). Loading
//! checks their structure ([`validate_node`]); reads still never index
//! blindly, and ID arithmetic on loaded deltas wraps as Redis's does.

use std::collections::btree_map;
use std::collections::BTreeMap;

use super::listpack::{Entry, Listpack, HEADER_SIZE};
use super::stream_group::Groups;
pub use super::stream_id::StreamId;
use crate::protocol::parser::parse_i64_strict;

/// Entry flag: deleted (`STREAM_ITEM_FLAG_DELETED`).
pub const FLAG_DELETED: i64 = 1;
/// Entry flag: the master entry's fields (`STREAM_ITEM_FLAG_SAMEFIELDS`).
pub const FLAG_SAMEFIELDS: i64 = 2;
/// Most bytes a node, or the fields and values of one entry, may take
/// (`STREAM_LISTPACK_MAX_SIZE`).
pub const LISTPACK_MAX_SIZE: usize = 1 << 30;
/// Bytes a new node reserves, at most (`STREAM_LISTPACK_MAX_PRE_ALLOCATE`).
const MAX_PRE_ALLOCATE: usize = 4096;
/// Estimated bytes the index spends per node beyond the listpack: the
/// key, the listpack's handle and the tree's share.
const INDEX_BYTES_PER_NODE: usize = 64;

/// `stream-node-max-bytes` and `stream-node-max-entries`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NodeLimits {
    /// 0 means no limit but [`LISTPACK_MAX_SIZE`].
    pub max_bytes: usize,
    /// 0 means no limit.
    pub max_entries: i64,
}

impl NodeLimits {
    pub const DEFAULT: NodeLimits = NodeLimits {
        max_bytes: 4096,
        max_entries: 100,
    };
}

/// How XADD asks for the new entry's ID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewId {
    /// `*`: from the clock, or after the last ID when the clock is behind.
    Auto,
    /// `<ms>-*`: the next sequence in that millisecond.
    Ms(u64),
    /// An explicit ID.
    Exact(StreamId),
}

/// Why an entry was not added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddError {
    /// The ID is not above the last one (or no ID is left).
    IdTooSmall,
    /// The fields and values exceed [`LISTPACK_MAX_SIZE`].
    TooLarge,
    /// `<ms>-*` in a millisecond whose last sequence is taken; Redis
    /// answers it as it answers [`AddError::TooLarge`].
    SeqExhausted,
}

/// What a trim keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trim {
    /// At most this many entries.
    MaxLen(u64),
    /// Entries with IDs from this one on.
    MinId(StreamId),
}

/// A trim request as XADD and XTRIM parse it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrimSpec {
    pub strategy: Trim,
    /// `~`: only whole nodes are removed.
    pub approx: bool,
    /// Most entries removed; 0 for no limit.
    pub limit: i64,
}

/// A stream: its nodes and the metadata Redis 7.0 keeps with them.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Stream {
    nodes: BTreeMap<StreamId, Listpack>,
    /// Live entries.
    length: u64,
    /// The last ID generated or set (XSETID), 0-0 before any.
    pub last_id: StreamId,
    /// The first live entry's ID, 0-0 when empty.
    pub first_id: StreamId,
    /// The highest ID ever deleted.
    pub max_deleted_entry_id: StreamId,
    /// Entries ever added.
    pub entries_added: u64,
    /// Consumer groups, `None` while it has none.
    pub groups: Option<Box<Groups>>,
}

/// An element of a node as an integer, as `lpGetIntegerIfValid` reads it.
fn int_at(lp: &Listpack, pos: usize) -> Option<i64> {
    match lp.get(pos)? {
        Entry::Int(v) => Some(v),
        Entry::Str(s) => parse_i64_strict(s),
    }
}

/// A node's master entry.
#[derive(Debug, Clone, Copy)]
struct Master {
    count: i64,
    deleted: i64,
    num_fields: i64,
    /// Position of the first master field.
    first_field: Option<usize>,
    /// Position of the first entry's flags.
    first_entry: Option<usize>,
}

fn master(lp: &Listpack) -> Option<Master> {
    let p0 = lp.first()?;
    let p1 = lp.next(p0)?;
    let p2 = lp.next(p1)?;
    let num_fields = int_at(lp, p2)?;
    let mut p = lp.next(p2)?;
    let first_field = (num_fields > 0).then_some(p);
    for _ in 0..num_fields {
        p = lp.next(p)?;
    }
    Some(Master {
        count: int_at(lp, p0)?,
        deleted: int_at(lp, p1)?,
        num_fields,
        first_field,
        first_entry: lp.next(p),
    })
}

/// One entry of a node, as read from its flags on.
#[derive(Debug, Clone, Copy)]
struct Raw {
    flags: i64,
    id: StreamId,
    same: bool,
    num_fields: i64,
    /// Position of the first field (or value, when `same`).
    values: usize,
    /// Position of the next entry's flags.
    next: Option<usize>,
}

fn read_entry(lp: &Listpack, m: &Master, master_id: StreamId, pos: usize) -> Option<Raw> {
    let flags = int_at(lp, pos)?;
    let p = lp.next(pos)?;
    let ms = int_at(lp, p)?;
    let p = lp.next(p)?;
    let seq = int_at(lp, p)?;
    let id = StreamId::new(
        master_id.ms.wrapping_add(ms as u64),
        master_id.seq.wrapping_add(seq as u64),
    );
    let same = flags & FLAG_SAMEFIELDS != 0;
    let mut p = lp.next(p)?;
    let (num_fields, elements) = if same {
        (m.num_fields, m.num_fields)
    } else {
        let n = int_at(lp, p)?;
        p = lp.next(p)?;
        (n, n.saturating_mul(2))
    };
    let values = p;
    for _ in 0..elements {
        p = lp.next(p)?;
    }
    Some(Raw {
        flags,
        id,
        same,
        num_fields,
        values,
        next: lp.next(p),
    })
}

/// The flags position of the entry whose lp-count is at `count_pos`; None
/// at the master entry's terminating 0.
fn entry_ending_at(lp: &Listpack, count_pos: usize) -> Option<usize> {
    let n = int_at(lp, count_pos)?;
    if n <= 0 {
        return None;
    }
    let mut p = count_pos;
    for _ in 0..n {
        p = lp.prev(p)?;
    }
    Some(p)
}

fn last_entry_pos(lp: &Listpack) -> Option<usize> {
    entry_ending_at(lp, lp.last()?)
}

fn prev_entry_pos(lp: &Listpack, flags_pos: usize) -> Option<usize> {
    entry_ending_at(lp, lp.prev(flags_pos)?)
}

/// One entry, borrowed from its node.
#[derive(Debug, Clone, Copy)]
pub struct StreamEntry<'a> {
    pub id: StreamId,
    /// Flagged as deleted (only seen by scans that ask for tombstones).
    pub deleted: bool,
    lp: &'a Listpack,
    master_field: Option<usize>,
    values: usize,
    num_fields: usize,
    same: bool,
}

impl<'a> StreamEntry<'a> {
    /// Number of field-value pairs.
    pub fn num_fields(&self) -> usize {
        self.num_fields
    }

    /// The field-value pairs, in order.
    pub fn fields(&self) -> Fields<'a> {
        Fields {
            lp: self.lp,
            master: self.master_field,
            pos: Some(self.values),
            left: self.num_fields,
            same: self.same,
        }
    }
}

/// The field-value pairs of an entry.
pub struct Fields<'a> {
    lp: &'a Listpack,
    master: Option<usize>,
    pos: Option<usize>,
    left: usize,
    same: bool,
}

impl<'a> Iterator for Fields<'a> {
    type Item = (Entry<'a>, Entry<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let lp = self.lp;
        let pos = self.pos?;
        if self.same {
            let m = self.master?;
            self.master = lp.next(m);
            self.pos = lp.next(pos);
            Some((lp.get(m)?, lp.get(pos)?))
        } else {
            let v = lp.next(pos)?;
            self.pos = lp.next(v);
            Some((lp.get(pos)?, lp.get(v)?))
        }
    }
}

/// The entries with IDs in a closed interval, in either direction.
pub struct Range<'a> {
    nodes: btree_map::Range<'a, StreamId, Listpack>,
    node: Option<(StreamId, &'a Listpack, Master)>,
    pos: Option<usize>,
    start: StreamId,
    end: StreamId,
    rev: bool,
    tombstones: bool,
    done: bool,
}

impl<'a> Iterator for Range<'a> {
    type Item = StreamEntry<'a>;

    fn next(&mut self) -> Option<StreamEntry<'a>> {
        while !self.done {
            let (Some((master_id, lp, m)), Some(pos)) = (self.node, self.pos) else {
                let next = if self.rev {
                    self.nodes.next_back()
                } else {
                    self.nodes.next()
                };
                let Some((&master_id, lp)) = next else {
                    self.done = true;
                    break;
                };
                let Some(m) = master(lp) else {
                    continue;
                };
                self.pos = if self.rev {
                    last_entry_pos(lp)
                } else {
                    m.first_entry
                };
                self.node = Some((master_id, lp, m));
                continue;
            };
            let Some(raw) = read_entry(lp, &m, master_id, pos) else {
                self.pos = None;
                continue;
            };
            self.pos = if self.rev {
                prev_entry_pos(lp, pos)
            } else {
                raw.next
            };
            if self.rev {
                if raw.id < self.start {
                    self.done = true;
                    break;
                }
                if raw.id > self.end {
                    continue;
                }
            } else {
                if raw.id > self.end {
                    self.done = true;
                    break;
                }
                if raw.id < self.start {
                    continue;
                }
            }
            let deleted = raw.flags & FLAG_DELETED != 0;
            if deleted && !self.tombstones {
                continue;
            }
            return Some(StreamEntry {
                id: raw.id,
                deleted,
                lp,
                master_field: m.first_field,
                values: raw.values,
                num_fields: usize::try_from(raw.num_fields).unwrap_or(0),
                same: raw.same,
            });
        }
        None
    }
}

impl Stream {
    pub fn new() -> Stream {
        Stream::default()
    }

    /// Live entries (`XLEN`).
    pub fn len(&self) -> u64 {
        self.length
    }

    pub fn is_empty(&self) -> bool {
        self.length == 0
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// The nodes in ID order with their master IDs, as RDB saves them.
    pub fn nodes(&self) -> impl Iterator<Item = (StreamId, &Listpack)> {
        self.nodes.iter().map(|(&id, lp)| (id, lp))
    }

    /// A stream rebuilt from loaded nodes, each checked with
    /// [`validate_node`] by the caller; false when a master ID repeats.
    pub fn insert_node(&mut self, master_id: StreamId, lp: Listpack) -> bool {
        match self.nodes.entry(master_id) {
            btree_map::Entry::Occupied(_) => false,
            btree_map::Entry::Vacant(v) => {
                v.insert(lp);
                true
            }
        }
    }

    /// Sets the live entry count a snapshot recorded.
    pub fn set_len(&mut self, length: u64) {
        self.length = length;
    }

    /// Live entries from `start` to `end` inclusive, backwards when `rev`.
    pub fn range(&self, start: StreamId, end: StreamId, rev: bool) -> Range<'_> {
        self.scan(start, end, rev, false)
    }

    /// As [`range`](Self::range), deleted entries included when `tombstones`.
    pub fn scan(&self, start: StreamId, end: StreamId, rev: bool, tombstones: bool) -> Range<'_> {
        let empty = start > end;
        let from = match self.nodes.range(..=start).next_back() {
            Some((&id, _)) => id,
            None => start,
        };
        let nodes = if empty {
            self.nodes.range(StreamId::ZERO..StreamId::ZERO)
        } else {
            self.nodes.range(from..=end)
        };
        Range {
            nodes,
            node: None,
            pos: None,
            start,
            end,
            rev,
            tombstones,
            done: empty,
        }
    }

    /// Every live entry in order.
    pub fn iter(&self) -> Range<'_> {
        self.range(StreamId::ZERO, StreamId::MAX, false)
    }

    /// The first live entry's ID, the maximum ID when there is none
    /// (Redis's `streamGetEdgeID(s, 1, 1, ...)`).
    pub fn first_live_id(&self) -> StreamId {
        self.iter().next().map_or(StreamId::MAX, |e| e.id)
    }

    /// The last live entry's ID, 0-0 when there is none (`streamLastValidID`).
    pub fn last_live_id(&self) -> StreamId {
        self.range(StreamId::ZERO, StreamId::MAX, true)
            .next()
            .map_or(StreamId::ZERO, |e| e.id)
    }

    /// The first entry's ID, deleted ones included; the maximum ID when
    /// there are no entries (`streamGetEdgeID(s, 1, 0, ...)`).
    pub fn first_entry_id(&self) -> StreamId {
        self.scan(StreamId::ZERO, StreamId::MAX, false, true)
            .next()
            .map_or(StreamId::MAX, |e| e.id)
    }

    /// The ID XADD gives a new entry asked for as `new_id` at `now_ms`
    /// (Redis's `streamAppendItem`, before it stores anything).
    pub fn next_id(&self, new_id: NewId, now_ms: u64) -> Result<StreamId, AddError> {
        let id = match new_id {
            NewId::Exact(id) => id,
            NewId::Ms(ms) if ms == self.last_id.ms => {
                if self.last_id.seq == u64::MAX {
                    return Err(AddError::SeqExhausted);
                }
                StreamId::new(ms, self.last_id.seq + 1)
            }
            NewId::Ms(ms) => StreamId::new(ms, 0),
            NewId::Auto if now_ms > self.last_id.ms => StreamId::new(now_ms, 0),
            NewId::Auto => self.last_id.incr().unwrap_or(StreamId::ZERO),
        };
        if id <= self.last_id {
            return Err(AddError::IdTooSmall);
        }
        Ok(id)
    }

    /// Appends an entry of the field-value pairs `fields` (at least one)
    /// and returns its ID.
    pub fn add<'f, I>(
        &mut self,
        fields: I,
        new_id: NewId,
        now_ms: u64,
        limits: NodeLimits,
    ) -> Result<StreamId, AddError>
    where
        I: Iterator<Item = (&'f [u8], &'f [u8])> + Clone,
    {
        let id = self.next_id(new_id, now_ms)?;
        let mut total = 0usize;
        let mut num_fields = 0i64;
        for (f, v) in fields.clone() {
            total = total.saturating_add(f.len()).saturating_add(v.len());
            num_fields += 1;
        }
        if total > LISTPACK_MAX_SIZE {
            return Err(AddError::TooLarge);
        }
        let max_bytes = match limits.max_bytes {
            0 => LISTPACK_MAX_SIZE,
            n => n.min(LISTPACK_MAX_SIZE),
        };
        let mut tail = None;
        if let Some(mut last) = self.nodes.last_entry() {
            let master_id = *last.key();
            let lp = last.get_mut();
            let full = lp.total_bytes() + total >= max_bytes
                || (limits.max_entries != 0
                    && master(lp)
                        .is_none_or(|m| m.count.saturating_add(m.deleted) >= limits.max_entries));
            if full {
                // Redis gives back the node's spare room when it moves on.
                lp.shrink_to_fit();
            } else {
                tail = Some(master_id);
            }
        }
        let mut flags = 0;
        let master_id = match tail {
            Some(master_id) => {
                let lp = self.nodes.get_mut(&master_id).ok_or(AddError::TooLarge)?;
                let m = master(lp).ok_or(AddError::TooLarge)?;
                lp.replace_int(HEADER_SIZE, m.count.saturating_add(1));
                // The count may have grown by a byte: read the fields anew.
                let m = master(lp).ok_or(AddError::TooLarge)?;
                if m.num_fields == num_fields {
                    let mut pos = m.first_field;
                    let same = fields.clone().all(|(f, _)| {
                        let Some(p) = pos else {
                            return false;
                        };
                        pos = lp.next(p);
                        lp.get(p).is_some_and(|e| e.eq_bytes(f))
                    });
                    if same {
                        flags |= FLAG_SAMEFIELDS;
                    }
                }
                master_id
            }
            None => {
                let prealloc = match limits.max_bytes {
                    n if n > 0 && n < MAX_PRE_ALLOCATE => n,
                    _ => MAX_PRE_ALLOCATE,
                };
                let mut lp = Listpack::with_capacity(prealloc);
                lp.push_back_int(1);
                lp.push_back_int(0);
                lp.push_back_int(num_fields);
                for (f, _) in fields.clone() {
                    lp.push_back(f);
                }
                lp.push_back_int(0);
                self.nodes.insert(id, lp);
                flags |= FLAG_SAMEFIELDS;
                id
            }
        };
        let lp = self.nodes.get_mut(&master_id).ok_or(AddError::TooLarge)?;
        lp.push_back_int(flags);
        lp.push_back_int(id.ms.wrapping_sub(master_id.ms) as i64);
        lp.push_back_int(id.seq.wrapping_sub(master_id.seq) as i64);
        let same = flags & FLAG_SAMEFIELDS != 0;
        if !same {
            lp.push_back_int(num_fields);
        }
        for (f, v) in fields {
            if !same {
                lp.push_back(f);
            }
            lp.push_back(v);
        }
        let lp_count = if same {
            num_fields + 3
        } else {
            2 * num_fields + 4
        };
        lp.push_back_int(lp_count);
        // Counts loaded from a file may be anything: never overflow.
        self.length = self.length.saturating_add(1);
        self.entries_added = self.entries_added.saturating_add(1);
        self.last_id = id;
        if self.length == 1 {
            self.first_id = id;
        }
        Ok(id)
    }

    /// Flags the live entry `id` as deleted, dropping its node with its
    /// last live entry; false when there is no such entry
    /// (`streamDeleteItem`). Leaves `first_id` and the deletion maximum
    /// to the caller ([`delete_ids`](Self::delete_ids)).
    fn delete(&mut self, id: StreamId) -> bool {
        let Some((&master_id, lp)) = self.nodes.range_mut(..=id).next_back() else {
            return false;
        };
        let Some(m) = master(lp) else {
            return false;
        };
        let mut pos = m.first_entry;
        let found = loop {
            let Some(p) = pos else {
                return false;
            };
            let Some(raw) = read_entry(lp, &m, master_id, p) else {
                return false;
            };
            if raw.id == id && raw.flags & FLAG_DELETED == 0 {
                break (p, raw.flags);
            }
            if raw.id >= id {
                return false;
            }
            pos = raw.next;
        };
        if m.count == 1 {
            self.nodes.remove(&master_id);
        } else {
            lp.replace_int(found.0, found.1 | FLAG_DELETED);
            lp.replace_int(HEADER_SIZE, m.count - 1);
            if let Some(p) = lp.next(HEADER_SIZE) {
                lp.replace_int(p, m.deleted.saturating_add(1));
            }
        }
        self.length = self.length.saturating_sub(1);
        true
    }

    /// XDEL: deletes the live entries among `ids`, keeping `first_id`
    /// and `max_deleted_entry_id` as Redis does; returns how many went.
    pub fn delete_ids(&mut self, ids: &[StreamId]) -> u64 {
        let mut deleted = 0;
        let mut first_entry = false;
        for &id in ids {
            if self.delete(id) {
                first_entry |= id == self.first_id;
                if id > self.max_deleted_entry_id {
                    self.max_deleted_entry_id = id;
                }
                deleted += 1;
            }
        }
        if deleted > 0 {
            if self.length == 0 {
                self.first_id = StreamId::ZERO;
            } else if first_entry {
                self.first_id = self.first_live_id();
            }
        }
        deleted
    }

    /// Trims as `spec` asks (Redis's `streamTrim`): whole nodes from the
    /// start while they go entirely; then, unless approximate, entries of
    /// the next node are flagged deleted. Returns how many entries went.
    pub fn trim(&mut self, spec: &TrimSpec) -> i64 {
        let mut deleted = 0i64;
        let mut from = StreamId::ZERO;
        loop {
            if let Trim::MaxLen(max) = spec.strategy {
                if self.length <= max {
                    break;
                }
            }
            let Some((&master_id, lp)) = self.nodes.range_mut(from..).next() else {
                break;
            };
            let Some(m) = master(lp) else {
                break;
            };
            let entries = m.count;
            if spec.limit != 0 && deleted.saturating_add(entries) > spec.limit {
                break;
            }
            let remove = match spec.strategy {
                Trim::MaxLen(max) => self.length.wrapping_sub(entries as u64) >= max,
                Trim::MinId(min) => {
                    let last = last_entry_pos(lp)
                        .and_then(|p| read_entry(lp, &m, master_id, p))
                        .map_or(StreamId::ZERO, |raw| raw.id);
                    last < min
                }
            };
            if remove {
                self.nodes.remove(&master_id);
                self.length = self.length.wrapping_sub(entries as u64);
                deleted = deleted.saturating_add(entries);
                from = master_id;
                continue;
            }
            if spec.approx {
                break;
            }
            let mut from_node = 0i64;
            let mut pos = m.first_entry;
            while let Some(p) = pos {
                let Some(raw) = read_entry(lp, &m, master_id, p) else {
                    break;
                };
                let stop = match spec.strategy {
                    Trim::MaxLen(max) => self.length <= max,
                    Trim::MinId(min) => raw.id >= min,
                };
                if stop {
                    break;
                }
                pos = raw.next;
                if raw.flags & FLAG_DELETED == 0 {
                    lp.replace_int(p, raw.flags | FLAG_DELETED);
                    from_node += 1;
                    self.length = self.length.saturating_sub(1);
                    // Flags stay one byte, but read the successor anew all the same.
                    pos = read_entry(lp, &m, master_id, p).and_then(|r| r.next);
                }
            }
            deleted = deleted.saturating_add(from_node);
            lp.replace_int(HEADER_SIZE, entries.saturating_sub(from_node));
            if let Some(p) = lp.next(HEADER_SIZE) {
                lp.replace_int(p, m.deleted.saturating_add(from_node));
            }
            break;
        }
        self.first_id = if self.length == 0 {
            StreamId::ZERO
        } else {
            self.first_live_id()
        };
        deleted
    }

    /// Heap bytes owned, for MEMORY USAGE.
    pub fn heap_size(&self) -> usize {
        let nodes: usize = self
            .nodes
            .values()
            .map(|lp| lp.allocated_bytes() + INDEX_BYTES_PER_NODE)
            .sum();
        std::mem::size_of::<Stream>() + nodes + self.groups.as_ref().map_or(0, |g| g.heap_size())
    }
}

/// Checks a loaded node as Redis's deep `streamValidateListpackIntegrity`
/// does: a valid listpack whose master entry and entries are well formed,
/// each entry's element count matching, nothing after the last entry.
/// Also refuses a node without entries, which Redis never saves.
pub fn validate_node(lp: &Listpack) -> bool {
    let Some(m) = master(lp) else {
        return false;
    };
    // The master terminator must be 0.
    let terminator = match (m.first_entry, lp.last()) {
        (Some(p), _) => lp.prev(p),
        (None, last) => last,
    };
    if terminator.and_then(|p| int_at(lp, p)) != Some(0) {
        return false;
    }
    let Some(total) = m.count.checked_add(m.deleted) else {
        return false;
    };
    if m.count < 0 || m.deleted < 0 || m.num_fields < 0 {
        return false;
    }
    let mut pos = m.first_entry;
    for _ in 0..total {
        let Some(p) = pos else {
            return false;
        };
        let Some(raw) = read_entry(lp, &m, StreamId::ZERO, p) else {
            return false;
        };
        if !raw.same && raw.num_fields < 0 {
            return false;
        }
        let expected = if raw.same {
            raw.num_fields.checked_add(3)
        } else {
            raw.num_fields.checked_mul(2).and_then(|n| n.checked_add(4))
        };
        let count_pos = match raw.next {
            Some(n) => lp.prev(n),
            None => lp.last(),
        };
        if expected.is_none() || count_pos.and_then(|c| int_at(lp, c)) != expected {
            return false;
        }
        pos = raw.next;
    }
    pos.is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(s: &mut Stream, id: (u64, u64), fields: &[(&str, &str)]) -> Result<StreamId, AddError> {
        let it = fields.iter().map(|(f, v)| (f.as_bytes(), v.as_bytes()));
        s.add(
            it,
            NewId::Exact(StreamId::new(id.0, id.1)),
            0,
            NodeLimits::DEFAULT,
        )
    }

    fn ids(s: &Stream, rev: bool) -> Vec<(u64, u64)> {
        s.range(StreamId::ZERO, StreamId::MAX, rev)
            .map(|e| (e.id.ms, e.id.seq))
            .collect()
    }

    #[test]
    fn layout_matches_redis() {
        // Bytes of the node Redis 7.0.15 writes for
        // XADD s 1-1 a 1 b 2; XADD s 1-2 a 3 b 4; XADD s 2-0 c 5.
        let mut s = Stream::new();
        add(&mut s, (1, 1), &[("a", "1"), ("b", "2")]).unwrap();
        add(&mut s, (1, 2), &[("a", "3"), ("b", "4")]).unwrap();
        add(&mut s, (2, 0), &[("c", "5")]).unwrap();
        let (master_id, lp) = s.nodes().next().unwrap();
        assert_eq!(master_id, StreamId::new(1, 1));
        let elements: Vec<Vec<u8>> = lp.iter().map(|e| e.to_vec()).collect();
        let expect: Vec<&[u8]> = vec![
            b"3", b"0", b"2", b"a", b"b", b"0", // master entry
            b"2", b"0", b"0", b"1", b"2", b"5", // 1-1, same fields
            b"2", b"0", b"1", b"3", b"4", b"5", // 1-2, same fields
            b"0", b"1", b"-1", b"1", b"c", b"5", b"6", // 2-0, own fields
        ];
        assert_eq!(elements, expect);
        assert!(validate_node(lp));
    }

    #[test]
    fn ranges_both_ways_and_deletes() {
        let mut s = Stream::new();
        for i in 1..=250u64 {
            add(&mut s, (i, 0), &[("f", "v")]).unwrap();
        }
        assert_eq!(s.node_count(), 3);
        assert_eq!(s.len(), 250);
        let fwd = ids(&s, false);
        let mut rev = ids(&s, true);
        rev.reverse();
        assert_eq!(fwd, rev);
        let r: Vec<u64> = s
            .range(StreamId::new(99, 0), StreamId::new(102, 0), false)
            .map(|e| e.id.ms)
            .collect();
        assert_eq!(r, vec![99, 100, 101, 102]);
        assert_eq!(s.delete_ids(&[StreamId::new(1, 0), StreamId::new(1, 0)]), 1);
        assert_eq!(s.first_id, StreamId::new(2, 0));
        assert_eq!(s.max_deleted_entry_id, StreamId::new(1, 0));
        assert_eq!(s.len(), 249);
        for (_, lp) in s.nodes() {
            assert!(validate_node(lp));
        }
        let e = s.iter().next().unwrap();
        let f: Vec<(Vec<u8>, Vec<u8>)> =
            e.fields().map(|(a, b)| (a.to_vec(), b.to_vec())).collect();
        assert_eq!(f, vec![(b"f".to_vec(), b"v".to_vec())]);
    }

    #[test]
    fn ids_are_generated_as_redis() {
        let mut s = Stream::new();
        let one = [(&b"a"[..], &b"b"[..])];
        let lim = NodeLimits::DEFAULT;
        assert_eq!(
            s.add(one.into_iter(), NewId::Auto, 10, lim),
            Ok(StreamId::new(10, 0))
        );
        assert_eq!(
            s.add(one.into_iter(), NewId::Auto, 5, lim),
            Ok(StreamId::new(10, 1))
        );
        assert_eq!(
            s.add(one.into_iter(), NewId::Ms(10), 5, lim),
            Ok(StreamId::new(10, 2))
        );
        assert_eq!(
            s.add(one.into_iter(), NewId::Ms(9), 5, lim),
            Err(AddError::IdTooSmall)
        );
        let max = StreamId::new(10, u64::MAX);
        assert_eq!(s.add(one.into_iter(), NewId::Exact(max), 5, lim), Ok(max));
        assert_eq!(
            s.add(one.into_iter(), NewId::Ms(10), 5, lim),
            Err(AddError::SeqExhausted)
        );
        assert_eq!(
            s.add(one.into_iter(), NewId::Auto, 5, lim),
            Ok(StreamId::new(11, 0))
        );
    }

    #[test]
    fn trims_nodes_then_entries() {
        let mut s = Stream::new();
        for i in 1..=250u64 {
            add(&mut s, (i, 0), &[("f", "v")]).unwrap();
        }
        let approx = TrimSpec {
            strategy: Trim::MaxLen(120),
            approx: true,
            limit: 0,
        };
        assert_eq!(s.trim(&approx), 100);
        assert_eq!(s.len(), 150);
        let exact = TrimSpec {
            strategy: Trim::MaxLen(120),
            approx: false,
            limit: 0,
        };
        assert_eq!(s.trim(&exact), 30);
        assert_eq!(s.first_id, StreamId::new(131, 0));
        let minid = TrimSpec {
            strategy: Trim::MinId(StreamId::new(240, 0)),
            approx: false,
            limit: 0,
        };
        assert_eq!(s.trim(&minid), 109);
        assert_eq!(ids(&s, false).first(), Some(&(240, 0)));
        for (_, lp) in s.nodes() {
            assert!(validate_node(lp));
        }
    }
}
