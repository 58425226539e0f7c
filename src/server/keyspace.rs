//! The keyspace as commands see it, in the spirit of Redis's `db.c`.
//!
//! Reads: lookups with lazy expiry, the keyspace hit and miss counters,
//! and the access clock behind `OBJECT IDLETIME`. Whether an expired key
//! met by a lookup is also deleted is decided here: not while clients are
//! paused, when Redis keeps the dataset as it is.
//!
//! Writes: the one way a command changes a database. Every change goes
//! through [`Server::db_add`], [`Server::set_key`], [`Server::db_delete`],
//! [`Server::modify`] and their siblings, which keep the databases and
//! their signals together: a key was modified (what WATCH will watch and
//! client tracking invalidates), a key became ready (what blocked clients will
//! wait for), and keyspace events (with Redis's event names). Commands
//! keep counting their changes in `dirty`, as Redis's do, since what counts
//! as one change is theirs to say (an LPUSH of five elements is five).

use super::Server;
use crate::commands::CmdError;
use crate::config::{NOTIFY_KEYEVENT, NOTIFY_KEYSPACE, NOTIFY_KEY_MISS};
use crate::protocol::reply::format_i64;
use crate::storage::db::Db;
use crate::storage::dict::Id;
use crate::storage::value::{Bytes, Kind, Value};

/// Keyspace event classes (`notify-keyspace-events` letters), as Redis's `NOTIFY_*` bits.
pub mod event {
    pub const GENERIC: u32 = 1 << 2;
    pub const STRING: u32 = 1 << 3;
    pub const LIST: u32 = 1 << 4;
    pub const SET: u32 = 1 << 5;
    pub const HASH: u32 = 1 << 6;
    pub const ZSET: u32 = 1 << 7;
    pub const EXPIRED: u32 = 1 << 8;
    pub const NEW: u32 = 1 << 14;
}

/// `__keyspace@<db>__:<name>` (or `__keyevent@`), rebuilt in `out`.
fn event_channel(out: &mut Vec<u8>, prefix: &[u8], db: usize, name: &[u8]) {
    let mut tmp = [0u8; 20];
    out.clear();
    out.extend_from_slice(prefix);
    out.extend_from_slice(format_i64(db as i64, &mut tmp));
    out.extend_from_slice(b"__:");
    out.extend_from_slice(name);
}

/// Resolution of the access clock, in ms (Redis's `LRU_CLOCK_RESOLUTION`).
pub const LRU_CLOCK_RESOLUTION: u64 = 1000;
/// The clock wraps at 24 bits, as Redis's does.
pub const LRU_CLOCK_MAX: u64 = (1 << 24) - 1;
/// The counter a new key starts with under an LFU policy (`LFU_INIT_VAL`).
const LFU_INIT_VAL: u32 = 5;

impl Server {
    /// The access field for a new key: the access clock, or under an LFU
    /// policy the current minute and the initial counter.
    pub fn lru_clock(&self) -> u32 {
        if self.config.maxmemory_policy.is_lfu() {
            (self.lfu_minutes() << 8) | LFU_INIT_VAL
        } else {
            self.raw_lru_clock()
        }
    }

    fn raw_lru_clock(&self) -> u32 {
        ((self.clock.now_ms / LRU_CLOCK_RESOLUTION) & LRU_CLOCK_MAX) as u32
    }

    /// Minutes, in the 16 bits the LFU field keeps of them.
    fn lfu_minutes(&self) -> u32 {
        ((self.clock.now_ms / 60_000) & 0xFFFF) as u32
    }

    /// The LFU counter of an access field after decay: one step per
    /// `lfu-decay-time` minutes since the last access (Redis's `LFUDecrAndReturn`).
    pub fn lfu_counter(&self, field: u32) -> u32 {
        let last = field >> 8;
        let counter = field & 0xFF;
        let now = self.lfu_minutes();
        let elapsed = if now >= last {
            now - last
        } else {
            0xFFFF - last + now
        };
        let decay = self.config.lfu_decay_time;
        let periods = elapsed.checked_div(decay).unwrap_or(0);
        counter.saturating_sub(periods)
    }

    /// The access field after one more access: the clock now, or the LFU
    /// counter decayed and then incremented with probability falling as it
    /// grows (Redis's `LFULogIncr`).
    fn accessed(&mut self, field: u32) -> u32 {
        if !self.config.maxmemory_policy.is_lfu() {
            return self.raw_lru_clock();
        }
        let mut counter = self.lfu_counter(field);
        if counter < 255 {
            let r = super::next_random(&mut self.random_state) as f64 / u64::MAX as f64;
            let base = f64::from(counter.saturating_sub(LFU_INIT_VAL));
            let p = 1.0 / (base * self.config.lfu_log_factor as f64 + 1.0);
            if r < p {
                counter += 1;
            }
        }
        (self.lfu_minutes() << 8) | counter
    }

    /// The options new lists get: `list-max-listpack-size` and
    /// `list-compress-depth` as configured now.
    pub fn list_options(&self) -> crate::storage::quicklist::Options {
        crate::storage::quicklist::Options {
            fill: self.config.list_max_listpack_size,
            depth: self.config.list_compress_depth,
        }
    }

    /// A database, for reading.
    pub fn db(&self, db: usize) -> &Db {
        &self.dbs[db]
    }

    /// Number of databases (`databases`).
    pub fn db_count(&self) -> usize {
        self.dbs.len()
    }

    /// Whether expired keys may be deleted now. While clients are paused
    /// Redis keeps the dataset static: expired keys are hidden, not deleted.
    pub fn may_delete_expired(&self) -> bool {
        !self.pause.active(self.clock.now_ms)
    }

    /// Whether keys expire: none does while a load runs or the AOF
    /// replays (Redis's `keyIsExpired` and `checkAlreadyExpired` during
    /// loading), since the file records the deletions that happened, and
    /// a deadline passed since may have been lifted later in it.
    pub fn keys_expire(&self) -> bool {
        !self.replaying_aof() && !self.is_loading()
    }

    /// The time lookups judge deadlines by: 0, before every deadline,
    /// while [`keys_expire`](Self::keys_expire) says no key does.
    fn expiry_now(&self) -> u64 {
        if self.keys_expire() {
            self.clock.now_ms
        } else {
            0
        }
    }

    /// A live key, expired ones hidden and deleted when that is allowed.
    fn find_live(&mut self, db: usize, key: &[u8]) -> Option<Id> {
        let (now, delete) = (self.expiry_now(), self.may_delete_expired());
        let found = self.dbs[db].find_live(key, now, delete);
        self.notify_expired(db);
        found
    }

    /// A live key for reading: counts a keyspace hit or miss and records
    /// the access.
    pub fn lookup_read(&mut self, db: usize, key: &[u8]) -> Option<Id> {
        let id = self.lookup_read_no_touch(db, key);
        if let Some(id) = id {
            self.touch(db, id);
        }
        id
    }

    /// [`lookup_read`](Self::lookup_read) leaving the access time as it
    /// was (Redis's `LOOKUP_NOTOUCH`: TYPE, EXISTS, ...).
    pub fn lookup_read_no_touch(&mut self, db: usize, key: &[u8]) -> Option<Id> {
        let id = self.lookup_untouched(db, key);
        if id.is_none() {
            self.notify_keyspace_event(NOTIFY_KEY_MISS, "keymiss", db, key);
        }
        id
    }

    /// A live key for reading, as OBJECT looks keys up: counted as a hit
    /// or miss, but neither its access time nor a `keymiss` event changes.
    pub fn lookup_untouched(&mut self, db: usize, key: &[u8]) -> Option<Id> {
        let id = self.find_live(db, key);
        if id.is_some() {
            self.stats.keyspace_hits += 1;
        } else {
            self.stats.keyspace_misses += 1;
        }
        id
    }

    /// A live key for writing: no hit/miss accounting.
    pub fn lookup_write(&mut self, db: usize, key: &[u8]) -> Option<Id> {
        let id = self.find_live(db, key)?;
        self.touch(db, id);
        Some(id)
    }

    /// [`lookup_read`](Self::lookup_read) for a command that works on
    /// values of `kind`: a key of another kind is WRONGTYPE.
    pub fn lookup_read_kind(
        &mut self,
        db: usize,
        key: &[u8],
        kind: Kind,
    ) -> Result<Option<Id>, CmdError> {
        let id = self.lookup_read(db, key);
        self.check_kind(db, id, kind)
    }

    /// [`lookup_write`](Self::lookup_write) for a command that works on
    /// values of `kind`: a key of another kind is WRONGTYPE.
    pub fn lookup_write_kind(
        &mut self,
        db: usize,
        key: &[u8],
        kind: Kind,
    ) -> Result<Option<Id>, CmdError> {
        let id = self.lookup_write(db, key);
        self.check_kind(db, id, kind)
    }

    fn check_kind(&self, db: usize, id: Option<Id>, kind: Kind) -> Result<Option<Id>, CmdError> {
        match id {
            Some(id) if self.dbs[db].value(id).kind() != kind => Err(CmdError::WrongType),
            found => Ok(found),
        }
    }

    /// Whether a key is live, without counting or touching it.
    pub fn key_exists(&mut self, db: usize, key: &[u8]) -> bool {
        self.find_live(db, key).is_some()
    }

    /// A random live key (RANDOMKEY).
    pub fn random_key(&mut self, db: usize) -> Option<Id> {
        let (now, delete) = (self.expiry_now(), self.may_delete_expired());
        let state = &mut self.random_state;
        let found = self.dbs[db].random_key(now, delete, &mut || super::next_random(state));
        self.notify_expired(db);
        found
    }

    // ---- the write layer ----------------------------------------------

    /// Deletes a key a scan found past its deadline, when expired keys may
    /// be deleted now (Redis's `expireIfNeeded` on a key already in hand).
    pub fn expire_found(&mut self, db: usize, id: Id) {
        if self.may_delete_expired() {
            // The expired-key log tells the watchers, once the key is gone.
            self.dbs[db].expire_entry(id);
            self.notify_expired(db);
        }
    }

    /// Adds a key known to be absent (Redis's `dbAdd`).
    pub fn db_add(&mut self, db: usize, key: &[u8], value: Value) -> Id {
        let clock = self.lru_clock();
        let id = self.dbs[db].add(key, value, clock);
        self.signal_modified_key(db, key);
        self.signal_key_as_ready(db, key);
        self.notify_keyspace_event(event::NEW, "new", db, key);
        id
    }

    /// Stores `value` at `key`, replacing what was there; unless
    /// `keep_ttl`, any expiry goes with it (Redis's `setKey`).
    pub fn set_key(&mut self, db: usize, key: &[u8], value: Value, keep_ttl: bool) -> Id {
        let (now, clock) = (self.expiry_now(), self.lru_clock());
        // Writes never run while clients are paused, so an expired key
        // in the way may always be deleted here.
        let (id, added) = self.dbs[db].upsert(key, value, keep_ttl, now, clock);
        self.notify_expired(db);
        // Ready when added, and when replaced: a consumer blocked on a
        // stream that another value replaced is told it is gone.
        self.signal_key_as_ready(db, key);
        if added {
            self.notify_keyspace_event(event::NEW, "new", db, key);
        }
        self.signal_modified_key(db, key);
        id
    }

    /// The value of a live key, to change in place. The key counts as
    /// modified from here on.
    pub fn modify(&mut self, db: usize, id: Id) -> &mut Value {
        self.signal_modified_id(db, id);
        self.dbs[db].value_mut(id)
    }

    /// The value of a live key, for the changes Redis makes without
    /// counting the key as modified: a change of encoding alone (SORT
    /// turning a listpack sorted set into a skiplist), and a stream's
    /// consumer groups (WATCH and client tracking never see XGROUP,
    /// XREADGROUP, XACK or XCLAIM).
    pub fn reencode(&mut self, db: usize, id: Id) -> &mut Value {
        self.dbs[db].value_mut(id)
    }

    /// The bytes of a live string key, made `raw` to change in place, with
    /// no signal (Redis's `dbUnshareStringValue`). For the changes Redis
    /// makes to a string without counting the key as modified: an HLL's
    /// encoding, and the step before a change whose caller signals it
    /// (PFADD, PFCOUNT refreshing its cached cardinality).
    pub fn unshare_string(&mut self, db: usize, id: Id) -> Result<&mut Vec<u8>, CmdError> {
        match self.dbs[db].value_mut(id) {
            Value::Str(s) => Ok(s.make_raw()),
            _ => Err(CmdError::WrongType),
        }
    }

    /// Deletes a key if it is live; true if it was (Redis's `dbDelete`).
    /// A big value is freed off the loop under `lazyfree-lazy-server-del`.
    pub fn db_delete(&mut self, db: usize, key: &[u8]) -> bool {
        self.db_delete_lazy(db, key, self.config.lazyfree_lazy_server_del)
    }

    /// [`db_delete`](Self::db_delete), freeing a big value off the loop
    /// when `lazy` (UNLINK, DEL under `lazyfree-lazy-user-del`).
    pub fn db_delete_lazy(&mut self, db: usize, key: &[u8], lazy: bool) -> bool {
        match self.find_live(db, key) {
            Some(id) => {
                let value = self.delete_id(db, id);
                self.dbs[db].free(value, lazy);
                true
            }
            None => false,
        }
    }

    /// Deletes a live key found earlier and returns its value.
    pub fn delete_id(&mut self, db: usize, id: Id) -> Value {
        // Signalled once the key is gone, as Redis does: a watch on a key
        // that had expired already tells a deletion from a change so.
        let (key, value, _) = self.dbs[db].take(id);
        self.signal_modified_key(db, key.as_slice());
        // A consumer blocked on a deleted stream is told so.
        self.signal_key_as_ready(db, key.as_slice());
        value
    }

    /// Takes a live key out with its value and deadline, to put it back
    /// under another name or in another database (RENAME, MOVE).
    pub fn take_key(&mut self, db: usize, id: Id) -> (Bytes, Value, Option<u64>) {
        let taken = self.dbs[db].take(id);
        self.signal_modified_key(db, taken.0.as_slice());
        self.signal_key_as_ready(db, taken.0.as_slice());
        taken
    }

    /// Adds a key with a deadline (`None`: persistent), as RENAME, MOVE,
    /// COPY and RESTORE create their destination.
    pub fn db_add_with_expire(
        &mut self,
        db: usize,
        key: &[u8],
        value: Value,
        expire: Option<u64>,
    ) -> Id {
        let id = self.db_add(db, key, value);
        if let Some(when) = expire {
            self.dbs[db].set_expire(id, when);
        }
        id
    }

    /// Gives a live key a deadline (unix ms).
    pub fn set_expire(&mut self, db: usize, id: Id, when_ms: u64) {
        self.signal_modified_id(db, id);
        self.dbs[db].set_expire(id, when_ms);
    }

    /// Removes a live key's deadline; true if it had one.
    pub fn persist(&mut self, db: usize, id: Id) -> bool {
        let had = self.dbs[db].persist(id);
        if had {
            self.signal_modified_id(db, id);
        }
        had
    }

    /// Empties a database, returning how many keys it held.
    pub fn flush_db(&mut self, db: usize) -> usize {
        self.flush_db_lazy(db, false)
    }

    /// [`flush_db`](Self::flush_db), the table freed off the loop when `lazy`
    /// (FLUSHDB ASYNC).
    pub fn flush_db_lazy(&mut self, db: usize, lazy: bool) -> usize {
        self.signal_flushed_db(db);
        let n = self.dbs[db].clear_with(lazy);
        self.signal_waited_keys(db);
        n
    }

    /// Gives every database the freeing thread and the `lazyfree-lazy-*`
    /// settings it applies by itself (expiry, overwrites); at start and
    /// when those settings change.
    pub fn sync_lazy_free(&mut self) {
        let (expire, server_del) = (
            self.config.lazyfree_lazy_expire,
            self.config.lazyfree_lazy_server_del,
        );
        for db in &mut self.dbs {
            db.set_lazy_free(self.lazyfree.clone(), expire, server_del);
        }
    }

    /// Exchanges two databases (SWAPDB).
    pub fn swap_dbs(&mut self, a: usize, b: usize) {
        // Watches stay with the database number, so each side's watched
        // keys meet what the other side brings.
        self.touch_watched_db(a, Some(b));
        self.touch_watched_db(b, Some(a));
        self.dbs.swap(a, b);
        self.scan_for_ready_keys(a);
        self.scan_for_ready_keys(b);
        // Keys gone in the swap end the waits of consumers blocked on them.
        self.signal_waited_keys(a);
        self.signal_waited_keys(b);
    }

    /// Records an access to a live key (the `touch` of reads).
    pub fn set_access(&mut self, db: usize, id: Id, field: u32) {
        self.dbs[db].touch(id, field);
    }

    // ---- signals --------------------------------------------------------
    //
    // Each is the one place its subscribers will hang off, called by every
    // write above. Ready keys feed blocked clients (`blocking.rs`),
    // modified keys client tracking (`tracking.rs`), events keyspace
    // notifications; WATCH arrives with its commands.

    /// A key's value changed or the key went away (Redis's `signalModifiedKey`).
    pub fn signal_modified_key(&mut self, db: usize, key: &[u8]) {
        if !self.watches.is_empty() {
            self.touch_watched_key(db, key);
        }
        self.tracking_invalidate_key(key, self.tracking_current_id());
    }

    fn signal_modified_id(&mut self, db: usize, id: Id) {
        if self.tracking.is_active() {
            // Inline for short keys, so no allocation in the common case.
            let key = self.dbs[db].key(id).clone();
            self.signal_modified_key(db, key.as_slice());
            return;
        }
        if self.watches.is_empty() {
            return;
        }
        // The key is copied only when somebody watches that very name.
        let key = self.dbs[db].key(id).as_slice();
        if self.watches.watches_key(key) {
            let key = key.to_vec();
            self.touch_watched_key(db, &key);
        }
    }

    /// Every key of a database may have changed (FLUSHDB, FLUSHALL, DEBUG
    /// RELOAD); SWAPDB tells the watches itself, as Redis does.
    pub fn signal_flushed_db(&mut self, db: usize) {
        if !self.watches.is_empty() {
            self.touch_watched_db(db, None);
        }
    }

    /// A keyspace event of `class` named `event` happened to `key`
    /// (Redis's `notifyKeyspaceEvent`): published as the event to
    /// `__keyspace@<db>__:<key>`, then as the key to
    /// `__keyevent@<db>__:<event>`, as the configured classes ask. Every
    /// write calls it, so the configured-off case is one test.
    pub fn notify_keyspace_event(
        &mut self,
        class: u32,
        event: &'static str,
        db: usize,
        key: &[u8],
    ) {
        let flags = self.config.notify_keyspace_events;
        if flags & class == 0 {
            return;
        }
        let mut channel = std::mem::take(&mut self.pubsub.event_channel);
        if flags & NOTIFY_KEYSPACE != 0 {
            event_channel(&mut channel, b"__keyspace@", db, key);
            self.publish(false, &channel, event.as_bytes());
        }
        if flags & NOTIFY_KEYEVENT != 0 {
            event_channel(&mut channel, b"__keyevent@", db, event.as_bytes());
            self.publish(false, &channel, key);
        }
        self.pubsub.event_channel = channel;
    }

    /// Raises `expired` for the keys expiry deleted since the last call,
    /// and invalidates them for client tracking. Storage records them only
    /// while the class is on or tracking may care (see
    /// [`sync_expired_events`](Self::sync_expired_events)), so this is one
    /// test of an empty list otherwise.
    pub(super) fn notify_expired(&mut self, db: usize) {
        if self.dbs[db].expired_events.is_empty() {
            return;
        }
        for key in std::mem::take(&mut self.dbs[db].expired_events) {
            self.notify_keyspace_event(event::EXPIRED, "expired", db, key.as_slice());
            // Expiry is nobody's write: NOLOOP clients hear of it too.
            self.tracking_invalidate_key(key.as_slice(), 0);
        }
    }

    /// Tells every database whether to record the keys expiry deletes,
    /// for `expired` events or client tracking, after
    /// `notify-keyspace-events` changed or tracking started to care.
    pub fn sync_expired_events(&mut self) {
        let flags = self.config.notify_keyspace_events;
        let on = (flags & event::EXPIRED != 0 && flags & (NOTIFY_KEYSPACE | NOTIFY_KEYEVENT) != 0)
            || self.tracking.is_active();
        for db in &mut self.dbs {
            db.record_expired_events = on;
            if !on {
                db.expired_events.clear();
            }
        }
    }

    /// Records an access to an entry.
    pub fn touch(&mut self, db: usize, id: Id) {
        let field = self.accessed(self.dbs[db].lru(id));
        self.dbs[db].touch(id, field);
    }

    /// The access field of a key arriving with a saved idle time or LFU
    /// counter (RESTORE's IDLETIME/FREQ, a snapshot's IDLE/FREQ): Redis's
    /// `objectSetLRUOrLFU` applies whichever fits the policy and ignores the
    /// other; without one the key counts as accessed now. A negative idle
    /// time (a huge saved one, read as C reads it) is ignored as Redis does.
    pub fn access_field(&self, idle: Option<i64>, freq: Option<u8>) -> u32 {
        access_field_at(
            self.lru_clock(),
            self.config.maxmemory_policy.is_lfu(),
            idle,
            freq,
        )
    }

    /// Seconds since the access clock value `lru`, allowing for wrap-around.
    pub fn idle_secs(&self, lru: u32) -> u64 {
        let now = u64::from(self.raw_lru_clock());
        let lru = u64::from(lru);
        let ticks = if now >= lru {
            now - lru
        } else {
            (LRU_CLOCK_MAX - lru) + now
        };
        ticks * LRU_CLOCK_RESOLUTION / 1000
    }
}

/// [`Server::access_field`] from an access clock read beforehand, so that
/// a load can compute it without holding the server (Redis's clock stands
/// still during a load too: the timed sweep that advances it does not run).
pub fn access_field_at(clock: u32, lfu: bool, idle: Option<i64>, freq: Option<u8>) -> u32 {
    match (lfu, idle, freq) {
        (false, Some(idle), _) if idle >= 0 => clock_after_idle(clock, idle),
        // Under LFU `lru_clock` gives the minute and the initial counter.
        (true, _, Some(freq)) => clock & !0xff | u32::from(freq),
        _ => clock,
    }
}

/// The access clock of a key last used `idle` seconds before `clock`, with
/// Redis's arithmetic (`objectSetLRUOrLFU`): the seconds are scaled to ms
/// and back with wrapping 64-bit multiplication, an underflow adds one
/// clock period, and the result keeps its low 24 bits, so `OBJECT
/// IDLETIME` reports what Redis would for any IDLETIME given.
fn clock_after_idle(clock: u32, idle: i64) -> u32 {
    let idle = idle.wrapping_mul(1000) / 1000;
    let mut at = i64::from(clock).wrapping_sub(idle);
    if at < 0 {
        at += LRU_CLOCK_MAX as i64;
    }
    (at as u64 & LRU_CLOCK_MAX) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `OBJECT IDLETIME` as Redis computes it from the stored clock.
    fn reported(clock: u32, lru: u32) -> u64 {
        let (now, lru) = (u64::from(clock), u64::from(lru));
        if now >= lru {
            now - lru
        } else {
            now + (LRU_CLOCK_MAX - lru)
        }
    }

    #[test]
    fn event_channels() {
        let mut out = b"left over".to_vec();
        event_channel(&mut out, b"__keyspace@", 12, b"my key");
        assert_eq!(out, b"__keyspace@12__:my key");
        event_channel(&mut out, b"__keyevent@", 0, b"del");
        assert_eq!(out, b"__keyevent@0__:del");
    }

    /// Values observed on redis-server 7.0.15 with its clock at 77340.
    #[test]
    fn idle_time_matches_redis() {
        let clock = 77340;
        for (idle, want) in [
            (0, 0),
            (1000, 1000),
            (77341, 77341),
            (16777214, 16777214),
            (16777215, 0),
            (16777216, 1),
            (100000000, 16113920),
            (9223372036854775, 14898167),
            (9223372036854776, 1879048),
            (i64::MAX, 16777214),
        ] {
            assert_eq!(
                reported(clock, clock_after_idle(clock, idle)),
                want,
                "{idle}"
            );
        }
    }
}
