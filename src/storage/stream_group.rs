//! Consumer groups of a stream: what Redis keeps per group and consumer,
//! independent of the entries themselves.
//!
//! A group has a last-delivered ID, a logical read counter
//! (`entries-read`, unknown after some moves), its pending entries list
//! (PEL: every delivered, unacknowledged ID with its last delivery time,
//! delivery count and owner) and its consumers, each with a seen-time and
//! its own PEL. Both PELs are ordered by ID and consumers and groups by
//! name, in byte order, because XPENDING, XINFO and the RDB file list them
//! in that order. A pending entry names its owner by a shared name, so an
//! entry changes owner (XCLAIM, a redelivery) without copying the name,
//! and the consumer's own PEL holds only IDs: the group PEL is the one
//! place its delivery data lives, as Redis shares one NACK between both.
//!
//! The lag and counter arithmetic of Redis 7.0 needs a few figures of the
//! stream (length, entries added, first, last and largest deleted IDs);
//! [`StreamState`] carries them in, so this module needs nothing else from
//! the stream.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Bound;
use std::sync::Arc;

use super::stream::Stream;
pub use super::stream_id::StreamId;

/// `entries-read` when the group's position cannot be counted
/// (`SCG_INVALID_ENTRIES_READ`): XINFO shows it as nil.
pub const ENTRIES_READ_UNKNOWN: i64 = -1;

/// The figures of a stream that group counters are computed from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamState {
    pub length: u64,
    pub entries_added: u64,
    pub first_id: StreamId,
    pub last_id: StreamId,
    pub max_deleted_id: StreamId,
}

impl StreamState {
    pub fn of(s: &Stream) -> StreamState {
        StreamState {
            length: s.len(),
            entries_added: s.entries_added,
            first_id: s.first_id,
            last_id: s.last_id,
            max_deleted_id: s.max_deleted_entry_id,
        }
    }

    /// Whether a deleted entry may lie in `start..=` the end of the stream:
    /// only then does counting entries past `start` need a walk.
    pub fn has_tombstones_from(&self, start: StreamId) -> bool {
        if self.length == 0 || self.max_deleted_id == StreamId::default() {
            return false;
        }
        if self.first_id > self.max_deleted_id {
            return false;
        }
        start <= self.max_deleted_id
    }

    /// The logical position of `id` counted from the first entry ever
    /// added, where it can be known without a walk;
    /// [`ENTRIES_READ_UNKNOWN`] where it cannot.
    pub fn estimate_entries_read(&self, id: StreamId) -> i64 {
        let added = self.entries_added as i64;
        if self.entries_added == 0 {
            return 0;
        }
        if self.length == 0 && id <= self.last_id {
            return added;
        }
        match id.cmp(&self.last_id) {
            std::cmp::Ordering::Equal => return added,
            std::cmp::Ordering::Greater => return ENTRIES_READ_UNKNOWN,
            std::cmp::Ordering::Less => {}
        }
        let no_gap_ahead =
            self.max_deleted_id == StreamId::default() || self.max_deleted_id < self.first_id;
        if no_gap_ahead {
            let before_first = added.wrapping_sub(self.length as i64);
            match id.cmp(&self.first_id) {
                std::cmp::Ordering::Less => return before_first,
                std::cmp::Ordering::Equal => return before_first.wrapping_add(1),
                std::cmp::Ordering::Greater => {}
            }
        }
        ENTRIES_READ_UNKNOWN
    }
}

/// One delivered, unacknowledged entry (Redis's NACK).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    /// Unix milliseconds of the last delivery.
    pub delivery_time: i64,
    /// How many times the entry was delivered.
    pub delivery_count: u64,
    owner: Arc<[u8]>,
}

impl Pending {
    /// The name of the consumer the entry was last delivered to.
    pub fn owner(&self) -> &[u8] {
        &self.owner
    }
}

/// A consumer of a group.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Consumer {
    /// Unix milliseconds of the consumer's last read or claim.
    pub seen_time: i64,
    pel: BTreeSet<StreamId>,
}

impl Consumer {
    /// The IDs pending for this consumer, in order.
    pub fn pending(&self) -> impl DoubleEndedIterator<Item = StreamId> + '_ {
        self.pel.iter().copied()
    }

    /// The consumer's pending IDs from `start` on.
    pub fn pending_from(&self, start: StreamId) -> impl Iterator<Item = StreamId> + '_ {
        self.pel.range(start..).copied()
    }

    pub fn pending_len(&self) -> usize {
        self.pel.len()
    }
}

/// What [`Group::pending_summary`] reports: the count, the smallest and
/// largest pending IDs, and the pending count of each consumer that has any.
pub struct PendingSummary<'a> {
    pub count: usize,
    pub first: StreamId,
    pub last: StreamId,
    pub per_consumer: Vec<(&'a [u8], usize)>,
}

/// A consumer group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The last ID delivered to any consumer by a `>` read.
    pub last_id: StreamId,
    /// How many entries the group has read, or [`ENTRIES_READ_UNKNOWN`].
    pub entries_read: i64,
    pel: BTreeMap<StreamId, Pending>,
    consumers: BTreeMap<Arc<[u8]>, Consumer>,
}

impl Group {
    pub fn new(last_id: StreamId, entries_read: i64) -> Group {
        Group {
            last_id,
            entries_read,
            pel: BTreeMap::new(),
            consumers: BTreeMap::new(),
        }
    }

    pub fn consumer(&self, name: &[u8]) -> Option<&Consumer> {
        self.consumers.get(name)
    }

    /// The consumers in name order.
    pub fn consumers(&self) -> impl Iterator<Item = (&[u8], &Consumer)> {
        self.consumers.iter().map(|(n, c)| (&**n, c))
    }

    pub fn consumers_len(&self) -> usize {
        self.consumers.len()
    }

    /// Adds consumer `name` seen at `now` unless it exists; whether it was added.
    pub fn create_consumer(&mut self, name: &[u8], now: i64) -> bool {
        if self.consumers.contains_key(name) {
            return false;
        }
        self.consumers.insert(
            name.into(),
            Consumer {
                seen_time: now,
                pel: BTreeSet::new(),
            },
        );
        true
    }

    /// Marks consumer `name` as seen at `now`, creating it if needed;
    /// whether it was created.
    pub fn touch_consumer(&mut self, name: &[u8], now: i64) -> bool {
        match self.consumers.get_mut(name) {
            Some(c) => {
                c.seen_time = now;
                false
            }
            None => self.create_consumer(name, now),
        }
    }

    /// Removes consumer `name` and its pending entries; how many it had,
    /// or `None` when there is no such consumer.
    pub fn delete_consumer(&mut self, name: &[u8]) -> Option<usize> {
        let consumer = self.consumers.remove(name)?;
        for id in &consumer.pel {
            self.pel.remove(id);
        }
        Some(consumer.pel.len())
    }

    pub fn pel_len(&self) -> usize {
        self.pel.len()
    }

    pub fn pending(&self, id: StreamId) -> Option<&Pending> {
        self.pel.get(&id)
    }

    pub fn pending_mut(&mut self, id: StreamId) -> Option<&mut Pending> {
        self.pel.get_mut(&id)
    }

    /// The pending entries between `start` and `end` (bounds as given).
    pub fn pending_range(
        &self,
        start: Bound<StreamId>,
        end: Bound<StreamId>,
    ) -> impl Iterator<Item = (StreamId, &Pending)> {
        let empty = match (start, end) {
            (Bound::Included(s), Bound::Included(e)) => s > e,
            (Bound::Included(s) | Bound::Excluded(s), Bound::Excluded(e))
            | (Bound::Excluded(s), Bound::Included(e)) => s >= e,
            _ => false,
        };
        let range = if empty {
            None
        } else {
            Some(self.pel.range((start, end)))
        };
        range.into_iter().flatten().map(|(id, p)| (*id, p))
    }

    /// XPENDING's summary, `None` when nothing is pending.
    pub fn pending_summary(&self) -> Option<PendingSummary<'_>> {
        let (first, _) = self.pel.first_key_value()?;
        let (last, _) = self.pel.last_key_value()?;
        Some(PendingSummary {
            count: self.pel.len(),
            first: *first,
            last: *last,
            per_consumer: self
                .consumers
                .iter()
                .filter(|(_, c)| !c.pel.is_empty())
                .map(|(n, c)| (&**n, c.pel.len()))
                .collect(),
        })
    }

    /// Records `id` as delivered to `consumer` at `now` by a `>` read: a
    /// new pending entry, or, when `id` is pending already (the group was
    /// moved back by SETID), one that changes owner and starts counting
    /// again.
    pub fn deliver(&mut self, id: StreamId, consumer: &[u8], now: i64) {
        self.assign(id, consumer, now, 1);
    }

    /// Makes `id` pending for `consumer` with the given delivery time and
    /// count, moving it from its previous owner (XCLAIM, XAUTOCLAIM,
    /// loading). The consumer must exist (callers create it with the
    /// seen-time they mean); for a missing one nothing changes.
    pub fn assign(&mut self, id: StreamId, consumer: &[u8], delivery_time: i64, count: u64) {
        let Some((owner, _)) = self.consumers.get_key_value(consumer) else {
            return;
        };
        let owner = Arc::clone(owner);
        let previous = self.pel.insert(
            id,
            Pending {
                delivery_time,
                delivery_count: count,
                owner: Arc::clone(&owner),
            },
        );
        if let Some(old) = previous {
            if let Some(c) = self.consumers.get_mut(&*old.owner) {
                c.pel.remove(&id);
            }
        }
        if let Some(c) = self.consumers.get_mut(&*owner) {
            c.pel.insert(id);
        }
    }

    /// Acknowledges `id`: it leaves both PELs. Whether it was pending.
    pub fn ack(&mut self, id: StreamId) -> bool {
        let Some(p) = self.pel.remove(&id) else {
            return false;
        };
        if let Some(c) = self.consumers.get_mut(&*p.owner) {
            c.pel.remove(&id);
        }
        true
    }

    /// The group's lag behind the stream as XINFO reports it, `None`
    /// where Redis 7.0 cannot tell (nil).
    pub fn lag(&self, s: &StreamState) -> Option<i64> {
        let added = s.entries_added as i64;
        if s.entries_added == 0 {
            return Some(0);
        }
        if self.entries_read != ENTRIES_READ_UNKNOWN && !s.has_tombstones_from(self.last_id) {
            return Some(added.wrapping_sub(self.entries_read));
        }
        match s.estimate_entries_read(self.last_id) {
            ENTRIES_READ_UNKNOWN => None,
            read => Some(added.wrapping_sub(read)),
        }
    }

    /// Moves the group past `id`, delivered by a `>` read, keeping the
    /// read counter exact where it can be.
    pub fn advance(&mut self, id: StreamId, s: &StreamState) {
        if id <= self.last_id {
            return;
        }
        if self.entries_read != ENTRIES_READ_UNKNOWN && !s.has_tombstones_from(id) {
            self.entries_read = self.entries_read.wrapping_add(1);
        } else if s.entries_added != 0 {
            self.entries_read = s.estimate_entries_read(id);
        }
        self.last_id = id;
    }

    /// Heap bytes as Redis's MEMORY USAGE counts a group: its structure,
    /// its PEL (an ID and a NACK per entry) and its consumers (structure,
    /// name and PEL), each radix tree with its fixed overhead.
    pub fn memory_usage(&self) -> usize {
        let mut size =
            CG_STRUCT + tree_usage(self.pel.keys().copied()) + NACK_STRUCT * self.pel.len();
        for (name, c) in &self.consumers {
            size += CONSUMER_STRUCT + name.len() + tree_usage(c.pel.iter().copied());
        }
        size
    }
}

/// The number of nodes of the radix tree Redis would hold for the IDs
/// `ids` (in order), keyed by their 16 big-endian bytes: one per branching
/// point, per run of bytes shared below it, and per key, as a compressed
/// radix tree has them. XINFO STREAM reports it for the stream's nodes and
/// MEMORY USAGE counts it for every PEL.
pub fn rax_nodes(ids: impl Iterator<Item = StreamId>) -> usize {
    fn count(keys: &[[u8; 16]], depth: usize) -> usize {
        let (Some(first), Some(last)) = (keys.first(), keys.last()) else {
            return 1;
        };
        if depth >= 16 {
            return 1;
        }
        let shared = (depth..16).take_while(|&i| first[i] == last[i]).count();
        if shared > 0 {
            return 1 + count(keys, depth + shared);
        }
        let mut nodes = 1;
        let mut rest = keys;
        while let Some(head) = rest.first() {
            let byte = head[depth];
            let split = rest
                .iter()
                .position(|k| k[depth] != byte)
                .unwrap_or(rest.len());
            let (same, tail) = rest.split_at(split);
            nodes += count(same, depth + 1);
            rest = tail;
        }
        nodes
    }
    let keys: Vec<[u8; 16]> = ids.map(StreamId::to_be_bytes).collect();
    count(&keys, 0)
}

/// `sizeof(streamCG)`, `sizeof(streamNACK)`, `sizeof(streamConsumer)` in Redis 7.0.
const CG_STRUCT: usize = 40;
const NACK_STRUCT: usize = 24;
const CONSUMER_STRUCT: usize = 24;
/// Redis's estimate for a radix tree of stream IDs
/// (`streamRadixTreeMemoryUsage`): per element an ID, per node the node
/// header and thirty words of children and data.
const RAX_ID: usize = 16;
const RAX_NODE: usize = 4 + 8 * 30;

/// Redis's estimate for a radix tree holding `ids`.
fn tree_usage(ids: impl Iterator<Item = StreamId> + Clone) -> usize {
    ids.clone().count() * RAX_ID + rax_nodes(ids) * RAX_NODE
}

/// The groups of one stream, by name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Groups {
    by_name: BTreeMap<Box<[u8]>, Group>,
}

impl Groups {
    pub fn get(&self, name: &[u8]) -> Option<&Group> {
        self.by_name.get(name)
    }

    pub fn get_mut(&mut self, name: &[u8]) -> Option<&mut Group> {
        self.by_name.get_mut(name)
    }

    /// Adds `group` as `name` unless that name is taken; whether it was added.
    pub fn create(&mut self, name: &[u8], group: Group) -> bool {
        if self.by_name.contains_key(name) {
            return false;
        }
        self.by_name.insert(name.into(), group);
        true
    }

    /// Removes group `name`; whether it existed.
    pub fn destroy(&mut self, name: &[u8]) -> bool {
        self.by_name.remove(name).is_some()
    }

    /// The groups in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u8], &Group)> {
        self.by_name.iter().map(|(n, g)| (&**n, g))
    }

    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// Heap bytes the groups own, as MEMORY USAGE counts them.
    pub fn heap_size(&self) -> usize {
        self.by_name.values().map(Group::memory_usage).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    /// Every pending entry is in its owner's PEL, and consumers hold
    /// nothing else.
    fn consistent(g: &Group) -> bool {
        let held: usize = g.consumers.values().map(|c| c.pel.len()).sum();
        held == g.pel.len()
            && g.pel.iter().all(|(id, p)| {
                g.consumers
                    .get(&*p.owner)
                    .is_some_and(|c| c.pel.contains(id))
            })
    }

    fn state(length: u64, added: u64, first: StreamId, last: StreamId) -> StreamState {
        StreamState {
            length,
            entries_added: added,
            first_id: first,
            last_id: last,
            max_deleted_id: StreamId::default(),
        }
    }

    #[test]
    fn delivery_acks_and_owners() {
        let mut g = Group::new(StreamId::default(), 0);
        assert!(g.create_consumer(b"alice", 10));
        assert!(!g.create_consumer(b"alice", 11));
        g.deliver(id(1, 1), b"alice", 20);
        g.deliver(id(2, 1), b"alice", 20);
        assert_eq!(g.pel_len(), 2);
        assert_eq!(g.consumer(b"alice").unwrap().pending_len(), 2);
        // A claim moves the entry to the claiming consumer.
        assert!(g.touch_consumer(b"bob", 25));
        g.assign(id(1, 1), b"bob", 30, 5);
        assert_eq!(g.consumer(b"alice").unwrap().pending_len(), 1);
        assert_eq!(g.consumer(b"bob").unwrap().pending_len(), 1);
        let p = g.pending(id(1, 1)).unwrap();
        assert_eq!(
            (p.owner(), p.delivery_time, p.delivery_count),
            (&b"bob"[..], 30, 5)
        );
        // Redelivering a pending entry starts it over for the new owner.
        g.deliver(id(1, 1), b"alice", 40);
        let p = g.pending(id(1, 1)).unwrap();
        assert_eq!((p.owner(), p.delivery_count), (&b"alice"[..], 1));
        assert_eq!(g.consumer(b"bob").unwrap().pending_len(), 0);
        assert!(consistent(&g));
        assert!(g.ack(id(2, 1)));
        assert!(!g.ack(id(2, 1)));
        let summary = g.pending_summary().unwrap();
        assert_eq!(
            (summary.count, summary.first, summary.last),
            (1, id(1, 1), id(1, 1))
        );
        assert_eq!(summary.per_consumer, vec![(&b"alice"[..], 1)]);
        assert_eq!(g.delete_consumer(b"alice"), Some(1));
        assert_eq!(g.delete_consumer(b"alice"), None);
        assert_eq!(g.pel_len(), 0);
        assert!(g.pending_summary().is_none());
        let names: Vec<&[u8]> = g.consumers().map(|(n, _)| n).collect();
        assert_eq!(names, vec![&b"bob"[..]]);
    }

    #[test]
    fn pending_ranges_honour_bounds() {
        let mut g = Group::new(StreamId::default(), 0);
        g.create_consumer(b"c", 0);
        for ms in 1..=5 {
            g.deliver(id(ms, 0), b"c", 0);
        }
        let ids = |s, e| -> Vec<u64> { g.pending_range(s, e).map(|(i, _)| i.ms).collect() };
        use Bound::*;
        assert_eq!(ids(Included(id(2, 0)), Included(id(4, 0))), vec![2, 3, 4]);
        assert_eq!(ids(Excluded(id(2, 0)), Excluded(id(4, 0))), vec![3]);
        assert_eq!(
            ids(Included(id(4, 0)), Included(id(2, 0))),
            Vec::<u64>::new()
        );
        assert_eq!(
            ids(Excluded(id(3, 0)), Excluded(id(3, 0))),
            Vec::<u64>::new()
        );
        assert_eq!(ids(Unbounded, Unbounded), vec![1, 2, 3, 4, 5]);
        let c = g.consumer(b"c").unwrap();
        assert_eq!(c.pending_from(id(4, 0)).count(), 2);
    }

    /// Lag and entries-read as Redis 7.0 reports them for the states of
    /// tests/stream_group.rs's `entries_read_and_lag`.
    #[test]
    fn lag_and_counters() {
        let empty = StreamState::default();
        let mut g = Group::new(StreamId::default(), ENTRIES_READ_UNKNOWN);
        assert_eq!(g.lag(&empty), Some(0));
        let five = state(5, 5, id(1, 0), id(5, 0));
        // A group at 0-0 whose counter is unknown: before the first entry.
        assert_eq!(g.lag(&five), Some(5));
        g.advance(id(1, 0), &five);
        assert_eq!((g.entries_read, g.lag(&five)), (1, Some(4)));
        // A group created at the last ID.
        let at_end = Group::new(id(5, 0), ENTRIES_READ_UNKNOWN);
        assert_eq!(at_end.lag(&five), Some(0));
        // Past the last ID nothing can be said.
        let future = Group::new(id(9, 9), ENTRIES_READ_UNKNOWN);
        assert_eq!(future.lag(&five), None);
        g.advance(id(2, 0), &five);
        // A deletion after the group's position hides the lag.
        let holed = StreamState {
            length: 4,
            max_deleted_id: id(3, 0),
            ..five
        };
        assert_eq!(g.lag(&holed), None);
        // Once past the hole the counter is exact again.
        g.advance(id(4, 0), &holed);
        assert_eq!((g.entries_read, g.lag(&holed)), (3, Some(2)));
        // An explicit counter larger than what was added gives a negative lag.
        let ahead = Group::new(StreamId::default(), 5);
        assert_eq!(ahead.lag(&state(3, 3, id(1, 1), id(3, 1))), Some(-2));
        // In an emptied stream an ID up to the last one has read everything.
        let emptied = state(0, 6, id(0, 0), id(6, 0));
        assert_eq!(emptied.estimate_entries_read(id(2, 0)), 6);
    }

    /// Node counts XINFO STREAM reports on Redis 7.0.15 for these IDs.
    #[test]
    fn radix_tree_nodes_as_redis_counts_them() {
        let nodes = |ids: &[(u64, u64)]| rax_nodes(ids.iter().map(|&(ms, seq)| id(ms, seq)));
        assert_eq!(nodes(&[]), 1);
        assert_eq!(nodes(&[(1, 1)]), 2);
        // Two keys that differ in their last byte: a shared run, a branch, two leaves.
        assert_eq!(nodes(&[(1, 1), (1, 2)]), 4);
        // Differing in the first byte of the sequence: the run, a branch,
        // then each key's remaining run and leaf.
        assert_eq!(nodes(&[(1, 1), (1, 1 << 56)]), 6);
    }

    #[test]
    fn groups_by_name() {
        let mut gs = Groups::default();
        assert!(gs.create(b"b", Group::new(StreamId::default(), 0)));
        assert!(gs.create(b"a", Group::new(StreamId::default(), 0)));
        assert!(!gs.create(b"a", Group::new(id(1, 1), 0)));
        let names: Vec<&[u8]> = gs.iter().map(|(n, _)| n).collect();
        assert_eq!(names, vec![&b"a"[..], &b"b"[..]]);
        assert!(!gs.is_empty());
        assert!(gs.destroy(b"a"));
        assert!(!gs.destroy(b"a"));
        assert_eq!(gs.len(), 1);
        let before = gs.heap_size();
        gs.get_mut(b"b").unwrap().create_consumer(b"someone", 0);
        assert!(gs.heap_size() > before);
    }
}
