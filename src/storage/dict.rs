//! The keyspace's hash table: chained buckets, incremental rehashing, a
//! SCAN cursor that survives resizes, and cheap random sampling.
//!
//! Why not `std::collections::HashMap`: it grows by rehashing everything at
//! once (a stall of seconds at ten million keys), offers no cursor that stays
//! valid across a resize, and no uniform random pick. This follows Redis's
//! `dict.c` instead:
//!
//! - Two bucket tables; while growing, every operation moves a bucket or so
//!   from the old table to the new one, and the timed sweep moves more. No
//!   single call pays for the whole table.
//! - Entries live in an arena of chunks and are linked by `u32` ids, not
//!   pointers: no allocation per entry, and the arena grows a chunk at a
//!   time without copying what it holds. Chunks start small and double up
//!   to a fixed size, so a dictionary of three fields (a hash's table) costs
//!   a few hundred bytes, not a full chunk.
//! - Bucket arrays hold ids with 0 meaning empty, so a new table is a zeroed
//!   allocation the OS provides lazily instead of a fill that would stall.
//! - SCAN walks bucket indexes with Redis's reverse-binary cursor, which
//!   visits every bucket of the larger table exactly once even if the table
//!   grows or shrinks between calls.
//! - Keys are hashed with aHash, keyed randomly per process: hash flooding
//!   needs the key, as with Redis's seeded SipHash, at a fraction of the cost.

/// Entries per arena chunk once the arena is big (log2).
const CHUNK_BITS: u32 = 12;
/// Entries per arena chunk once the arena is big.
const CHUNK: usize = 1 << CHUNK_BITS;
/// Entries of the first chunk (log2). Chunks 0 and 1 hold this many, and
/// each later one doubles, so chunks up to the first full-size one hold
/// exactly [`CHUNK`] entries together and an index maps to its chunk with
/// a logarithm.
const FIRST_CHUNK_BITS: u32 = 2;
/// Index of the first full-size chunk.
const FULL_CHUNKS_FROM: usize = (CHUNK_BITS - FIRST_CHUNK_BITS + 1) as usize;
/// The smallest bucket table.
const MIN_BUCKETS: usize = 4;
/// Empty buckets a rehash step may skip before giving up (`dict.c`'s `empty_visits`).
const MAX_EMPTY_VISITS: usize = 10;
/// Shrink when fewer than 1 in this many buckets is used (Redis's `HASHTABLE_MIN_FILL`).
const MIN_FILL: usize = 10;

/// An entry's id: its arena index plus one, so 0 can mean "none". Ids stay
/// valid while the entry exists, across rehashing.
pub type Id = u32;

/// The per-entry field the dictionary keeps for its owner: 32 bits, so an
/// entry of two 24-byte parts takes 56 bytes (the keyspace packs the
/// access clock and whether the key has a TTL into it).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Meta {
    pub aux: u32,
}

#[derive(Debug)]
struct Entry<K, V> {
    key: K,
    value: V,
    next: Id,
    meta: Meta,
}

#[derive(Debug)]
enum Slot<K, V> {
    Used(Entry<K, V>),
    /// A free slot, linking to the next free one.
    Free(Id),
}

/// Growable storage for entries that never moves what it already holds.
#[derive(Debug)]
struct Arena<K, V> {
    chunks: Vec<Vec<Slot<K, V>>>,
    free: Id,
    /// Slots ever handed out (used or free).
    len: usize,
}

/// The chunk and offset of arena index `i`.
fn locate(i: usize) -> (usize, usize) {
    if i >= CHUNK {
        return (FULL_CHUNKS_FROM - 1 + (i >> CHUNK_BITS), i & (CHUNK - 1));
    }
    if i < 1 << FIRST_CHUNK_BITS {
        return (0, i);
    }
    let log = i.ilog2();
    ((log - FIRST_CHUNK_BITS + 1) as usize, i - (1 << log))
}

/// Entries chunk `c` holds.
fn chunk_size(c: usize) -> usize {
    if c >= FULL_CHUNKS_FROM {
        CHUNK
    } else {
        1 << (FIRST_CHUNK_BITS as usize + c.saturating_sub(1))
    }
}

impl<K, V> Arena<K, V> {
    fn new() -> Self {
        Arena {
            chunks: Vec::new(),
            free: 0,
            len: 0,
        }
    }

    fn slot(&self, id: Id) -> &Slot<K, V> {
        let (c, o) = locate(id as usize - 1);
        &self.chunks[c][o]
    }

    fn slot_mut(&mut self, id: Id) -> &mut Slot<K, V> {
        let (c, o) = locate(id as usize - 1);
        &mut self.chunks[c][o]
    }

    fn get(&self, id: Id) -> &Entry<K, V> {
        match self.slot(id) {
            Slot::Used(e) => e,
            Slot::Free(_) => unreachable!("bucket chains only link used slots"),
        }
    }

    fn get_mut(&mut self, id: Id) -> &mut Entry<K, V> {
        match self.slot_mut(id) {
            Slot::Used(e) => e,
            Slot::Free(_) => unreachable!("bucket chains only link used slots"),
        }
    }

    fn alloc(&mut self, entry: Entry<K, V>) -> Id {
        if self.free != 0 {
            let id = self.free;
            let slot = self.slot_mut(id);
            if let Slot::Free(next) = *slot {
                self.free = next;
            }
            *self.slot_mut(id) = Slot::Used(entry);
            return id;
        }
        let (c, _) = locate(self.len);
        if c == self.chunks.len() {
            self.chunks.push(Vec::with_capacity(chunk_size(c)));
        }
        self.chunks[c].push(Slot::Used(entry));
        self.len += 1;
        self.len as Id
    }

    fn release(&mut self, id: Id) -> Entry<K, V> {
        let free = self.free;
        let old = std::mem::replace(self.slot_mut(id), Slot::Free(free));
        self.free = id;
        match old {
            Slot::Used(e) => e,
            Slot::Free(_) => unreachable!("released twice"),
        }
    }

    /// Slots ever handed out (used or free).
    fn capacity(&self) -> usize {
        self.len
    }
}

/// One bucket table: heads of chains, by hash masked to the table size.
#[derive(Debug, Default)]
struct Table {
    buckets: Vec<Id>,
    used: usize,
}

impl Table {
    fn with_size(n: usize) -> Self {
        Table {
            buckets: vec![0; n],
            used: 0,
        }
    }

    fn mask(&self) -> u64 {
        self.buckets.len().wrapping_sub(1) as u64
    }
}

/// Where an absent key would go: its hash, computed once by a lookup.
#[derive(Debug, Clone, Copy)]
pub struct Vacant {
    hash: u64,
}

/// Keys the dictionary can hold: hashed and compared as bytes.
pub trait DictKey {
    fn key_bytes(&self) -> &[u8];
}

/// A hash table from keys to values with incremental rehashing.
pub struct Dict<K, V> {
    tables: [Table; 2],
    /// Next bucket of `tables[0]` to move while rehashing.
    rehash_idx: Option<usize>,
    arena: Arena<K, V>,
    hasher: ahash::RandomState,
}

impl<K: DictKey, V> Default for Dict<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: DictKey, V> Dict<K, V> {
    pub fn new() -> Self {
        Dict {
            tables: [Table::default(), Table::default()],
            rehash_idx: None,
            arena: Arena::new(),
            hasher: ahash::RandomState::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.tables[0].used + self.tables[1].used
    }

    /// Bytes one entry takes in the arena.
    pub fn entry_size(&self) -> usize {
        std::mem::size_of::<Slot<K, V>>()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of buckets over both tables (for `DEBUG HTSTATS`-like reports).
    pub fn buckets(&self) -> usize {
        self.tables[0].buckets.len() + self.tables[1].buckets.len()
    }

    pub fn is_rehashing(&self) -> bool {
        self.rehash_idx.is_some()
    }

    /// The bucket-table report of `DEBUG HTSTATS`, in Redis's layout: each
    /// table's size, fill and chain-length distribution.
    pub fn stats_message(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let last = if self.is_rehashing() { 2 } else { 1 };
        for (i, table) in self.tables.iter().take(last).enumerate() {
            let role = if i == 0 {
                "main hash table"
            } else {
                "rehashing target"
            };
            let _ = writeln!(out, "Hash table {i} stats ({role}):");
            if table.used == 0 {
                out.push_str("No stats available for empty dictionaries\n");
                continue;
            }
            // Chains of this length or more share the last counter, as in Redis.
            const VECTLEN: usize = 50;
            let mut lengths = [0usize; VECTLEN];
            let (mut slots, mut max, mut total) = (0usize, 0usize, 0usize);
            for &head in &table.buckets {
                let mut len = 0;
                let mut id = head;
                while id != 0 {
                    len += 1;
                    id = self.arena.get(id).next;
                }
                lengths[len.min(VECTLEN - 1)] += 1;
                if len > 0 {
                    slots += 1;
                    max = max.max(len);
                    total += len;
                }
            }
            let size = table.buckets.len();
            let _ = write!(
                out,
                " table size: {size}\n number of elements: {}\n different slots: {slots}\n \
                 max chain length: {max}\n avg chain length (counted): {:.2}\n \
                 avg chain length (computed): {:.2}\n Chain length distribution:\n",
                table.used,
                total as f32 / slots as f32,
                table.used as f32 / slots as f32,
            );
            for (len, &count) in lengths.iter().enumerate().take(VECTLEN - 1) {
                if count > 0 {
                    let pct = count as f32 / size as f32 * 100.0;
                    let _ = writeln!(out, "   {len}: {count} ({pct:.2}%)");
                }
            }
        }
        out
    }

    fn hash(&self, key: &[u8]) -> u64 {
        self.hasher.hash_one(key)
    }

    /// Moves up to `n` buckets from the old table to the new one.
    /// Returns true while there is more to move.
    pub fn rehash(&mut self, n: usize) -> bool {
        let Some(mut idx) = self.rehash_idx else {
            return false;
        };
        let mut empty_visits = n * MAX_EMPTY_VISITS;
        let mut left = n;
        while left > 0 && self.tables[0].used > 0 {
            while self.tables[0].buckets[idx] == 0 {
                idx += 1;
                empty_visits -= 1;
                if empty_visits == 0 {
                    self.rehash_idx = Some(idx);
                    return true;
                }
            }
            let mut id = std::mem::take(&mut self.tables[0].buckets[idx]);
            while id != 0 {
                let next = self.arena.get(id).next;
                let h = self.hash(self.arena.get(id).key.key_bytes());
                let b = (h & self.tables[1].mask()) as usize;
                self.arena.get_mut(id).next = self.tables[1].buckets[b];
                self.tables[1].buckets[b] = id;
                self.tables[0].used -= 1;
                self.tables[1].used += 1;
                id = next;
            }
            idx += 1;
            left -= 1;
        }
        if self.tables[0].used == 0 {
            self.tables[0] = std::mem::take(&mut self.tables[1]);
            self.rehash_idx = None;
            return false;
        }
        self.rehash_idx = Some(idx);
        true
    }

    /// Rehashes for about `budget`; the timed sweep calls this so an idle
    /// server still finishes a resize.
    pub fn rehash_for(&mut self, budget: std::time::Duration) {
        let start = std::time::Instant::now();
        while self.rehash(100) {
            if start.elapsed() >= budget {
                break;
            }
        }
    }

    /// One step of an ongoing rehash, done by every lookup and update.
    fn step(&mut self) {
        if self.rehash_idx.is_some() {
            self.rehash(1);
        }
    }

    /// Starts a resize to the smallest power of two holding `size` entries.
    fn resize_to(&mut self, size: usize) {
        if self.is_rehashing() {
            return;
        }
        let n = size.max(MIN_BUCKETS).next_power_of_two();
        if n == self.tables[0].buckets.len() {
            return;
        }
        if self.tables[0].buckets.is_empty() {
            self.tables[0] = Table::with_size(n);
            return;
        }
        self.tables[1] = Table::with_size(n);
        self.rehash_idx = Some(0);
    }

    fn grow_if_needed(&mut self) {
        if self.is_rehashing() {
            return;
        }
        let size = self.tables[0].buckets.len();
        if size == 0 {
            self.resize_to(MIN_BUCKETS);
        } else if self.tables[0].used >= size {
            self.resize_to(self.tables[0].used + 1);
        }
    }

    /// Sizes the table for `n` entries at once, so adding them never
    /// resizes on the way (RDB loading's RESIZEDB hint).
    pub fn reserve(&mut self, n: usize) {
        if n > self.tables[0].buckets.len() {
            self.resize_to(n);
        }
    }

    /// Shrinks the table when it is mostly empty (called from the timed sweep).
    pub fn shrink_if_sparse(&mut self) {
        let size = self.tables[0].buckets.len();
        if !self.is_rehashing() && size > MIN_BUCKETS && self.len() * 100 / size < 100 / MIN_FILL {
            self.resize_to(self.len());
        }
    }

    /// Finds the id of `key`, looking in both tables while rehashing.
    fn find_id(&self, key: &[u8], h: u64) -> Id {
        for t in 0..2 {
            let table = &self.tables[t];
            if table.buckets.is_empty() {
                continue;
            }
            let mut id = table.buckets[(h & table.mask()) as usize];
            while id != 0 {
                let e = self.arena.get(id);
                if e.key.key_bytes() == key {
                    return id;
                }
                id = e.next;
            }
            if !self.is_rehashing() {
                break;
            }
        }
        0
    }

    /// The id of `key`, without advancing a rehash (for read-only callers).
    pub fn find(&self, key: &[u8]) -> Option<Id> {
        if self.is_empty() {
            return None;
        }
        let id = self.find_id(key, self.hash(key));
        (id != 0).then_some(id)
    }

    /// The id of `key`, advancing a rehash in progress by one step.
    pub fn find_mut(&mut self, key: &[u8]) -> Option<Id> {
        if self.is_empty() {
            return None;
        }
        self.step();
        self.find(key)
    }

    pub fn key(&self, id: Id) -> &K {
        &self.arena.get(id).key
    }

    pub fn value(&self, id: Id) -> &V {
        &self.arena.get(id).value
    }

    pub fn value_mut(&mut self, id: Id) -> &mut V {
        &mut self.arena.get_mut(id).value
    }

    pub fn meta(&self, id: Id) -> Meta {
        self.arena.get(id).meta
    }

    pub fn meta_mut(&mut self, id: Id) -> &mut Meta {
        &mut self.arena.get_mut(id).meta
    }

    pub fn get(&self, key: &[u8]) -> Option<&V> {
        self.find(key).map(|id| self.value(id))
    }

    /// The id of `key` if present, else a token for adding it without
    /// hashing again. Advances a rehash in progress by one step.
    pub fn lookup(&mut self, key: &[u8]) -> Result<Id, Vacant> {
        self.step();
        let hash = self.hash(key);
        match self.find_id(key, hash) {
            0 => Err(Vacant { hash }),
            id => Ok(id),
        }
    }

    /// Adds a key that is not present; returns its id.
    pub fn add(&mut self, key: K, value: V, meta: Meta) -> Id {
        self.step();
        let hash = self.hash(key.key_bytes());
        self.add_vacant(Vacant { hash }, key, value, meta)
    }

    /// Adds the key a [`lookup`](Self::lookup) found absent. No other change
    /// may happen to the dictionary in between.
    pub fn add_vacant(&mut self, vacant: Vacant, key: K, value: V, meta: Meta) -> Id {
        let h = vacant.hash;
        debug_assert_eq!(self.find_id(key.key_bytes(), h), 0);
        self.grow_if_needed();
        let t = usize::from(self.is_rehashing());
        let b = (h & self.tables[t].mask()) as usize;
        let head = self.tables[t].buckets[b];
        let id = self.arena.alloc(Entry {
            key,
            value,
            next: head,
            meta,
        });
        self.tables[t].buckets[b] = id;
        self.tables[t].used += 1;
        id
    }

    /// Inserts or replaces; returns the previous value.
    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        match self.find_mut(key.key_bytes()) {
            Some(id) => Some(std::mem::replace(self.value_mut(id), value)),
            None => {
                self.add(key, value, Meta::default());
                None
            }
        }
    }

    /// Removes `key`, returning its key, value and metadata.
    pub fn remove(&mut self, key: &[u8]) -> Option<(K, V, Meta)> {
        let id = self.find_mut(key)?;
        Some(self.remove_id(id))
    }

    /// Removes the entry `id`, returning its key, value and metadata.
    pub fn remove_id(&mut self, id: Id) -> (K, V, Meta) {
        let h = self.hash(self.arena.get(id).key.key_bytes());
        for t in 0..2 {
            if self.tables[t].buckets.is_empty() {
                continue;
            }
            let b = (h & self.tables[t].mask()) as usize;
            let mut prev: Id = 0;
            let mut cur = self.tables[t].buckets[b];
            while cur != 0 && cur != id {
                prev = cur;
                cur = self.arena.get(cur).next;
            }
            if cur == 0 {
                continue;
            }
            let next = self.arena.get(id).next;
            if prev == 0 {
                self.tables[t].buckets[b] = next;
            } else {
                self.arena.get_mut(prev).next = next;
            }
            self.tables[t].used -= 1;
            break;
        }
        let e = self.arena.release(id);
        if self.is_empty() {
            self.clear();
        }
        (e.key, e.value, e.meta)
    }

    /// Removes everything and gives the memory back.
    pub fn clear(&mut self) {
        *self = Dict {
            tables: [Table::default(), Table::default()],
            rehash_idx: None,
            arena: Arena::new(),
            hasher: std::mem::take(&mut self.hasher),
        };
    }

    /// Every entry, in arena order.
    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.arena.chunks.iter().flatten().filter_map(|s| match s {
            Slot::Used(e) => Some((&e.key, &e.value)),
            Slot::Free(_) => None,
        })
    }

    /// Ids of every entry, in arena order.
    pub fn ids(&self) -> impl Iterator<Item = Id> + '_ {
        self.arena
            .chunks
            .iter()
            .flatten()
            .enumerate()
            .filter(|(_, s)| matches!(s, Slot::Used(_)))
            .map(|(i, _)| i as Id + 1)
    }

    /// A uniformly random entry: arena slots are picked at random until a
    /// used one turns up. `rand` yields random numbers.
    pub fn random(&self, mut rand: impl FnMut() -> u64) -> Option<Id> {
        if self.is_empty() {
            return None;
        }
        let cap = self.arena.capacity();
        // Sparse arenas (after mass deletion) fall back to a walk from a random start.
        for _ in 0..64 {
            let id = (rand() % cap as u64) as Id + 1;
            if let Slot::Used(_) = self.arena.slot(id) {
                return Some(id);
            }
        }
        let start = (rand() % cap as u64) as usize;
        (0..cap)
            .map(|i| ((start + i) % cap) as Id + 1)
            .find(|&id| matches!(self.arena.slot(id), Slot::Used(_)))
    }

    /// One SCAN step: calls `visit` for every entry of the bucket(s) the
    /// cursor names and returns the next cursor (0 when the scan is done).
    pub fn scan(&self, cursor: u64, mut visit: impl FnMut(Id)) -> u64 {
        if self.is_empty() {
            return 0;
        }
        let mut v = cursor;
        let emit = |table: &Table, idx: usize, visit: &mut dyn FnMut(Id)| {
            let mut id = table.buckets[idx];
            while id != 0 {
                let next = self.arena.get(id).next;
                visit(id);
                id = next;
            }
        };
        if !self.is_rehashing() {
            let t = &self.tables[0];
            let m = t.mask();
            emit(t, (v & m) as usize, &mut visit);
            v |= !m;
            v = v.reverse_bits().wrapping_add(1).reverse_bits();
        } else {
            let (small, large) = if self.tables[0].buckets.len() <= self.tables[1].buckets.len() {
                (&self.tables[0], &self.tables[1])
            } else {
                (&self.tables[1], &self.tables[0])
            };
            let (m0, m1) = (small.mask(), large.mask());
            emit(small, (v & m0) as usize, &mut visit);
            // Then every bucket of the larger table that expands the small one's bucket.
            loop {
                emit(large, (v & m1) as usize, &mut visit);
                v |= !m1;
                v = v.reverse_bits().wrapping_add(1).reverse_bits();
                if v & (m0 ^ m1) == 0 {
                    break;
                }
            }
        }
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    impl DictKey for Vec<u8> {
        fn key_bytes(&self) -> &[u8] {
            self
        }
    }

    fn key(i: usize) -> Vec<u8> {
        format!("key:{i}").into_bytes()
    }

    #[test]
    fn insert_get_remove_through_resizes() {
        let mut d: Dict<Vec<u8>, usize> = Dict::new();
        for i in 0..10_000 {
            assert!(d.insert(key(i), i).is_none());
        }
        assert_eq!(d.len(), 10_000);
        for i in 0..10_000 {
            assert_eq!(d.get(&key(i)), Some(&i));
        }
        assert_eq!(d.insert(key(5), 50), Some(5));
        for i in (0..10_000).step_by(2) {
            assert_eq!(
                d.remove(&key(i)).map(|(_, v, _)| v),
                Some(if i == 5 { 50 } else { i })
            );
        }
        assert_eq!(d.len(), 5_000);
        assert!(d.get(&key(2)).is_none() && d.get(&key(3)) == Some(&3));
        while d.rehash(100) {}
        d.shrink_if_sparse();
        for i in 0..20_000 {
            d.remove(&key(i));
        }
        assert!(d.is_empty());
    }

    #[test]
    fn freed_slots_are_reused() {
        let mut d: Dict<Vec<u8>, usize> = Dict::new();
        for i in 0..100 {
            d.insert(key(i), i);
        }
        for i in 0..50 {
            d.remove(&key(i));
        }
        for i in 100..150 {
            d.insert(key(i), i);
        }
        assert_eq!(d.arena.capacity(), 100);
        assert_eq!(d.iter().count(), 100);
    }

    /// Every key present for a whole scan is returned, even when the table
    /// grows and shrinks between the calls.
    #[test]
    fn scan_survives_resizes() {
        let mut d: Dict<Vec<u8>, usize> = Dict::new();
        for i in 0..1000 {
            d.insert(key(i), i);
        }
        let mut seen = HashSet::new();
        let mut cursor = 0;
        let mut step = 0;
        loop {
            cursor = d.scan(cursor, |id| {
                seen.insert(d.key(id).clone());
            });
            step += 1;
            // Grow with extra keys, then remove them again to force a shrink.
            if step == 10 {
                for i in 1000..20_000 {
                    d.insert(key(i), i);
                }
            }
            if step == 40 {
                for i in 1000..20_000 {
                    d.remove(&key(i));
                }
                d.shrink_if_sparse();
            }
            d.rehash(3);
            if cursor == 0 {
                break;
            }
        }
        for i in 0..1000 {
            assert!(seen.contains(&key(i)), "missed {i}");
        }
    }

    #[test]
    fn random_picks_only_live_entries() {
        let mut d: Dict<Vec<u8>, usize> = Dict::new();
        for i in 0..1000 {
            d.insert(key(i), i);
        }
        for i in 0..990 {
            d.remove(&key(i));
        }
        let mut x = 12345u64;
        let mut rand = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut hits = HashSet::new();
        for _ in 0..1000 {
            let v = *d.value(d.random(&mut rand).expect("non-empty"));
            assert!(v >= 990);
            hits.insert(v);
        }
        assert_eq!(hits.len(), 10);
    }

    /// Indexes map onto consecutive chunks of the sizes the arena allocates.
    #[test]
    fn chunks_tile_the_index_space() {
        let mut expect = (0, 0);
        for i in 0..5 * CHUNK {
            assert_eq!(locate(i), expect, "index {i}");
            expect.1 += 1;
            if expect.1 == chunk_size(expect.0) {
                expect = (expect.0 + 1, 0);
            }
        }
        let mut d: Dict<Vec<u8>, usize> = Dict::new();
        d.insert(key(0), 0);
        assert_eq!(d.arena.chunks[0].capacity(), 1 << FIRST_CHUNK_BITS);
    }
}
