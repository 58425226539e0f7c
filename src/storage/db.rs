//! One logical database: keys, values, expiry times and access clocks.
//!
//! Keys live in a [`Dict`]. Keys with a time to live are also listed in
//! `volatile` as (entry id, unix ms); `slots` holds each such entry's
//! position there plus one, and the entry's own field a flag saying it has
//! one, so a key without a TTL is checked without leaving its entry,
//! setting, clearing and deleting a TTL is O(1), and active expiry samples
//! volatile keys uniformly by picking random positions, where Redis has to
//! probe a second hash table.
//!
//! The entry's field (the dictionary's [`Meta`]) holds the access clock in
//! its low 24 bits (Redis's LRU clock or LFU minute and counter, both 24
//! bits) and the TTL flag in its top bit.
//!
//! Expired keys are never visible: every lookup checks the deadline and
//! deletes a key whose time has come (lazy expiry); the timed sweep deletes
//! the rest by sampling (active expiry, see `active_expire`).

use super::dict::{Dict, Id, Meta, Vacant};
use super::id_map::IdMap;
use super::lazyfree::LazyFree;
use super::value::{Bytes, Value};

/// The bits of an entry's field that hold its access clock.
const ACCESS_MASK: u32 = (1 << 24) - 1;
/// The bit of an entry's field set while the key has a TTL.
const VOLATILE: u32 = 1 << 31;

/// A new entry's field: accessed at `clock`, no TTL.
fn meta(clock: u32) -> Meta {
    Meta {
        aux: clock & ACCESS_MASK,
    }
}

/// A database of keys to values.
#[derive(Default)]
pub struct Db {
    dict: Dict<Bytes, Value>,
    /// Keys with a TTL: (entry id, deadline in unix ms).
    volatile: Vec<(Id, u64)>,
    /// Each volatile entry's position in `volatile`, plus one.
    slots: IdMap,
    /// Keys this database expired (lazily or actively) since the stats were reset.
    pub expired: u64,
    /// Whether keys deleted by expiry are recorded in `expired_log`, for
    /// propagation as `DEL`.
    pub log_expired: bool,
    /// Keys deleted by expiry since the log was last drained.
    pub expired_log: Vec<Bytes>,
    /// Whether keys deleted by expiry are recorded in `expired_events`,
    /// for keyspace notifications.
    pub record_expired_events: bool,
    /// Keys deleted by expiry whose `expired` event is not raised yet.
    pub expired_events: Vec<Bytes>,
    /// Running estimate of the mean TTL left, in ms, as Redis reports `avg_ttl`.
    avg_ttl: u64,
    /// Where big values are freed, and which deletions send them there
    /// (`lazyfree-lazy-expire`, `lazyfree-lazy-server-del`).
    lazy: Option<LazyFree>,
    lazy_expire: bool,
    lazy_server_del: bool,
}

/// What one active-expiry pass over a database did.
#[derive(Debug, Default, Clone, Copy)]
pub struct ExpirePass {
    pub sampled: usize,
    pub expired: usize,
}

impl Db {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the freeing thread and the deletions that use it.
    pub fn set_lazy_free(&mut self, lazy: Option<LazyFree>, expire: bool, server_del: bool) {
        self.lazy = lazy;
        self.lazy_expire = expire;
        self.lazy_server_del = server_del;
    }

    /// Frees a value taken out of this database, on the freeing thread when
    /// `lazy` and it is big enough to be worth it.
    pub fn free(&self, value: Value, lazy: bool) {
        match &self.lazy {
            Some(lf) if lazy => lf.free(value),
            _ => drop(value),
        }
    }

    /// The freeing thread, if there is one.
    pub fn lazy_free(&self) -> Option<&LazyFree> {
        self.lazy.as_ref()
    }

    /// A deletion's value freed as `lazyfree-lazy-server-del` says.
    pub fn free_deleted(&self, value: Value) {
        self.free(value, self.lazy_server_del);
    }

    pub fn len(&self) -> usize {
        self.dict.len()
    }

    /// `DEBUG HTSTATS`: the key table's bucket statistics, then the keys
    /// with a TTL. Those are indexed by an array, not a second hash table
    /// as in Redis, so only their number is shown.
    pub fn htstats(&self) -> String {
        let mut out = String::from("[Dictionary HT]\n");
        out.push_str(&self.dict.stats_message());
        out.push_str("[Expires HT]\nHash table 0 stats (main hash table):\n");
        if self.volatile.is_empty() {
            out.push_str("No stats available for empty dictionaries\n");
        } else {
            out.push_str(&format!(" number of elements: {}\n", self.volatile.len()));
        }
        out
    }

    pub fn is_empty(&self) -> bool {
        self.dict.is_empty()
    }

    /// Number of keys with an expiry time.
    pub fn expires(&self) -> usize {
        self.volatile.len()
    }

    pub fn avg_ttl(&self) -> u64 {
        self.avg_ttl
    }

    /// The deadline of an entry, if it has one.
    pub fn expire_of(&self, id: Id) -> Option<u64> {
        if self.dict.meta(id).aux & VOLATILE == 0 {
            return None;
        }
        let slot = self.slots.get(id) as usize;
        self.volatile.get(slot.wrapping_sub(1)).map(|&(_, t)| t)
    }

    /// Whether an entry's deadline has passed (it is then invisible).
    pub fn is_expired(&self, id: Id, now_ms: u64) -> bool {
        self.expire_of(id).is_some_and(|t| t <= now_ms)
    }

    /// Finds a live key. A key past its deadline is deleted here and counted.
    pub fn find(&mut self, key: &[u8], now_ms: u64) -> Option<Id> {
        self.lookup(key, now_ms).ok()
    }

    /// Finds a live key; one past its deadline is hidden, and deleted and
    /// counted only when `delete_expired`.
    pub fn find_live(&mut self, key: &[u8], now_ms: u64, delete_expired: bool) -> Option<Id> {
        if delete_expired {
            self.find(key, now_ms)
        } else {
            self.peek(key, now_ms)
        }
    }

    /// Like [`find`](Self::find), but an absent key comes with the token to
    /// add it without hashing again.
    pub fn lookup(&mut self, key: &[u8], now_ms: u64) -> Result<Id, Vacant> {
        let id = self.dict.lookup(key)?;
        if self.is_expired(id, now_ms) {
            self.expire_entry(id);
            return self.dict.lookup(key);
        }
        Ok(id)
    }

    /// Deletes an entry whose time has come: counted, and logged for
    /// propagation when that is on.
    pub fn expire_entry(&mut self, id: Id) {
        let (key, value, _) = self.take(id);
        self.free(value, self.lazy_expire);
        self.expired += 1;
        if self.record_expired_events {
            self.expired_events.push(key.clone());
        }
        if self.log_expired {
            self.expired_log.push(key);
        }
    }

    /// Whether the table holds `key`, expired or not (what WATCH compares
    /// against: an expired key is still there until something deletes it).
    pub fn contains(&self, key: &[u8]) -> bool {
        self.dict.find(key).is_some()
    }

    /// Whether `key` is held but past its deadline.
    pub fn is_stale(&self, key: &[u8], now_ms: u64) -> bool {
        self.dict
            .find(key)
            .is_some_and(|id| self.is_expired(id, now_ms))
    }

    /// Bytes the tables themselves take, beyond keys and values (MEMORY
    /// STATS's `overhead.hashtable.main` and `.expires`): the entries'
    /// fixed part and the buckets, and the expiry index.
    pub fn table_overhead(&self) -> (usize, usize) {
        let main = self.dict.len() * self.dict.entry_size() + self.dict.buckets() * 4;
        let expires =
            self.volatile.capacity() * std::mem::size_of::<(Id, u64)>() + self.slots.heap_size();
        (main, expires)
    }

    /// What `key` and its value take, as `MEMORY USAGE` reports it: the
    /// table entry, the key's bytes beyond it and the value's heap. Like
    /// Redis's, it looks the key up as stored: an expired key still counts.
    pub fn usage(&self, key: &[u8]) -> Option<usize> {
        let id = self.dict.find(key)?;
        Some(self.dict.entry_size() + self.key(id).heap_size() + self.value(id).heap_size())
    }

    /// Finds a key without deleting anything, treating expired keys as absent
    /// (for read paths that only have shared access).
    pub fn peek(&self, key: &[u8], now_ms: u64) -> Option<Id> {
        let id = self.dict.find(key)?;
        if self.is_expired(id, now_ms) {
            return None;
        }
        Some(id)
    }

    pub fn key(&self, id: Id) -> &Bytes {
        self.dict.key(id)
    }

    pub fn value(&self, id: Id) -> &Value {
        self.dict.value(id)
    }

    pub fn value_mut(&mut self, id: Id) -> &mut Value {
        self.dict.value_mut(id)
    }

    /// The access clock stored with the key.
    pub fn lru(&self, id: Id) -> u32 {
        self.dict.meta(id).aux & ACCESS_MASK
    }

    /// Records an access at `clock`.
    pub fn touch(&mut self, id: Id, clock: u32) {
        let m = self.dict.meta_mut(id);
        m.aux = m.aux & !ACCESS_MASK | clock & ACCESS_MASK;
    }

    /// Adds a key known to be absent.
    pub fn add(&mut self, key: &[u8], value: Value, clock: u32) -> Id {
        self.dict.add(Bytes::new(key), value, meta(clock))
    }

    /// Replaces the value of an existing entry; unless `keep_ttl`, its
    /// expiry is removed, as SET does.
    pub fn overwrite(&mut self, id: Id, value: Value, keep_ttl: bool, clock: u32) {
        let old = std::mem::replace(self.dict.value_mut(id), value);
        self.free_deleted(old);
        if !keep_ttl {
            self.persist(id);
        }
        self.touch(id, clock);
    }

    /// Stores `value` at `key`, replacing a live entry's value (and,
    /// unless `keep_ttl`, its expiry) or adding one; hashes the key once.
    /// Returns the entry and whether it was added.
    pub fn upsert(
        &mut self,
        key: &[u8],
        value: Value,
        keep_ttl: bool,
        now_ms: u64,
        clock: u32,
    ) -> (Id, bool) {
        match self.lookup(key, now_ms) {
            Ok(id) => {
                self.overwrite(id, value, keep_ttl, clock);
                (id, false)
            }
            Err(vacant) => {
                let id = self
                    .dict
                    .add_vacant(vacant, Bytes::new(key), value, meta(clock));
                (id, true)
            }
        }
    }

    /// Deletes an entry by id and returns its value.
    pub fn remove_id(&mut self, id: Id) -> Value {
        self.persist(id);
        let (_, value, _) = self.dict.remove_id(id);
        value
    }

    /// Takes a key out with its value and deadline (RENAME, MOVE).
    pub fn take(&mut self, id: Id) -> (Bytes, Value, Option<u64>) {
        let expire = self.expire_of(id);
        self.persist(id);
        let (key, value, _) = self.dict.remove_id(id);
        (key, value, expire)
    }

    /// Sets the deadline of an entry.
    pub fn set_expire(&mut self, id: Id, when_ms: u64) {
        if self.dict.meta(id).aux & VOLATILE != 0 {
            let slot = self.slots.get(id) as usize;
            if let Some(entry) = self.volatile.get_mut(slot.wrapping_sub(1)) {
                entry.1 = when_ms;
            }
            return;
        }
        self.volatile.push((id, when_ms));
        self.slots.set(id, self.volatile.len() as u32);
        self.dict.meta_mut(id).aux |= VOLATILE;
    }

    /// Removes an entry's deadline; true if it had one.
    pub fn persist(&mut self, id: Id) -> bool {
        if self.dict.meta(id).aux & VOLATILE == 0 {
            return false;
        }
        let slot = self.slots.get(id);
        let idx = (slot as usize).wrapping_sub(1);
        if idx < self.volatile.len() {
            self.volatile.swap_remove(idx);
            if let Some(&(moved, _)) = self.volatile.get(idx) {
                self.slots.set(moved, slot);
            }
        }
        self.slots.set(id, 0);
        self.dict.meta_mut(id).aux &= !VOLATILE;
        true
    }

    /// Makes room for `n` keys in one step (see [`Dict::reserve`]).
    pub fn reserve(&mut self, n: usize) {
        self.dict.reserve(n);
    }

    /// Removes every key, returning how many there were; with `lazy` and a
    /// freeing thread, the table is freed there, whatever its size.
    pub fn clear_with(&mut self, lazy: bool) -> usize {
        match &self.lazy {
            Some(lf) if lazy => {
                let n = self.dict.len();
                let table = std::mem::take(&mut self.dict);
                lf.free_table(Box::new(table), n as u64);
                // The rest of the state is reset as for an empty table.
                self.clear();
                n
            }
            _ => self.clear(),
        }
    }

    /// Removes every key, returning how many there were.
    pub fn clear(&mut self) -> usize {
        let n = self.dict.len();
        self.dict.clear();
        self.volatile = Vec::new();
        self.slots.clear();
        self.avg_ttl = 0;
        n
    }

    /// A random live key. Expired keys met on the way are deleted; if every
    /// key is volatile and the picks keep hitting expired ones, gives up
    /// after 100 tries, as Redis does, rather than loop.
    ///
    /// When expired keys may not be deleted (clients are paused), the picks
    /// keep hitting the same ones, so it gives up the same way; Redis loops
    /// there until the pause ends, holding up every client.
    pub fn random_key(
        &mut self,
        now_ms: u64,
        delete_expired: bool,
        rand: &mut impl FnMut() -> u64,
    ) -> Option<Id> {
        let mut tries = 0;
        loop {
            let id = self.dict.random(&mut *rand)?;
            match self.expire_of(id) {
                Some(t) if t <= now_ms => {
                    if !delete_expired || self.volatile.len() == self.dict.len() {
                        tries += 1;
                        if tries > 100 {
                            return Some(id);
                        }
                    }
                    if delete_expired {
                        self.expire_entry(id);
                    }
                }
                _ => return Some(id),
            }
        }
    }

    /// The entry holding `key`, expired or not.
    pub fn id_of(&self, key: &[u8]) -> Option<Id> {
        self.dict.find(key)
    }

    /// A uniformly random entry, expired or not (eviction samples these).
    pub fn random_entry(&self, rand: &mut impl FnMut() -> u64) -> Option<Id> {
        self.dict.random(rand)
    }

    /// A uniformly random key with a TTL, with its deadline.
    pub fn random_volatile(&self, rand: &mut impl FnMut() -> u64) -> Option<(Id, u64)> {
        if self.volatile.is_empty() {
            return None;
        }
        let idx = (rand() % self.volatile.len() as u64) as usize;
        self.volatile.get(idx).copied()
    }

    /// One SCAN step over the table; `visit` gets each entry id found.
    pub fn scan(&self, cursor: u64, visit: impl FnMut(Id)) -> u64 {
        self.dict.scan(cursor, visit)
    }

    /// Ids of every entry (expired ones included; callers check).
    pub fn ids(&self) -> impl Iterator<Item = Id> + '_ {
        self.dict.ids()
    }

    /// Samples up to `samples` volatile keys at random and deletes the
    /// expired ones.
    pub fn active_expire(
        &mut self,
        now_ms: u64,
        samples: usize,
        rand: &mut impl FnMut() -> u64,
    ) -> ExpirePass {
        let mut pass = ExpirePass::default();
        let mut ttl_sum = 0u64;
        let mut ttl_n = 0u64;
        for _ in 0..samples {
            if self.volatile.is_empty() {
                break;
            }
            let idx = (rand() % self.volatile.len() as u64) as usize;
            let (id, when) = self.volatile[idx];
            pass.sampled += 1;
            if when <= now_ms {
                self.expire_entry(id);
                pass.expired += 1;
            } else {
                ttl_sum += when - now_ms;
                ttl_n += 1;
            }
        }
        if let Some(sample) = ttl_sum.checked_div(ttl_n) {
            // The same smoothing as Redis: the new sample weighs 2%.
            self.avg_ttl = if self.avg_ttl == 0 {
                sample
            } else {
                (self.avg_ttl * 49 + sample) / 50
            };
        }
        if self.volatile.is_empty() {
            self.avg_ttl = 0;
        }
        pass
    }

    /// Background upkeep from the timed sweep: finish resizes, shrink when sparse.
    pub fn maintain(&mut self, budget: std::time::Duration) {
        self.dict.shrink_if_sparse();
        self.dict.rehash_for(budget);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::value::Str;

    fn s(v: &str) -> Value {
        Value::Str(Str::from_bytes(v.as_bytes()))
    }

    fn set(db: &mut Db, key: &[u8], value: Value, keep_ttl: bool) -> Id {
        db.upsert(key, value, keep_ttl, 0, 0).0
    }

    #[test]
    fn lazy_expiry_and_persist() {
        let mut db = Db::new();
        let id = set(&mut db, b"a", s("1"), false);
        db.set_expire(id, 100);
        set(&mut db, b"b", s("2"), false);
        assert_eq!(db.expires(), 1);
        assert!(db.find(b"a", 99).is_some());
        assert!(db.find(b"a", 100).is_none());
        assert_eq!((db.len(), db.expires(), db.expired), (1, 0, 1));
        let id = db.find(b"b", 0).unwrap();
        db.set_expire(id, 10);
        assert!(db.persist(id));
        assert!(db.find(b"b", 1000).is_some());
    }

    #[test]
    fn set_clears_ttl_unless_kept() {
        let mut db = Db::new();
        let id = set(&mut db, b"k", s("v"), false);
        db.set_expire(id, 50);
        let id = set(&mut db, b"k", s("w"), true);
        assert_eq!(db.expire_of(id), Some(50));
        let id = set(&mut db, b"k", s("x"), false);
        assert_eq!(db.expire_of(id), None);
    }

    #[test]
    fn volatile_index_stays_consistent() {
        let mut db = Db::new();
        for i in 0..100 {
            let k = format!("k{i}");
            let id = set(&mut db, k.as_bytes(), s("v"), false);
            db.set_expire(id, 1000 + i);
        }
        for i in (0..100).step_by(3) {
            let id = db.find(format!("k{i}").as_bytes(), 0).unwrap();
            db.remove_id(id);
        }
        for i in 0..100u64 {
            let k = format!("k{i}");
            match db.find(k.as_bytes(), 0) {
                Some(id) => assert_eq!(db.expire_of(id), Some(1000 + i)),
                None => assert_eq!(i % 3, 0),
            }
        }
        let mut x = 7u64;
        let mut rand = || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            x >> 33
        };
        let mut total = 0;
        while db.expires() > 0 {
            total += db.active_expire(5000, 20, &mut rand).expired;
        }
        assert_eq!(total, 66);
        assert!(db.is_empty());
    }
}
