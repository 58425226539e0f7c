//! Key lookups as commands need them, in the spirit of Redis's
//! `lookupKeyRead`/`lookupKeyWrite`: lazy expiry, the keyspace hit and miss
//! counters, and the access clock behind `OBJECT IDLETIME`.

use super::Server;
use crate::storage::dict::Id;

/// Resolution of the access clock, in ms (Redis's `LRU_CLOCK_RESOLUTION`).
pub const LRU_CLOCK_RESOLUTION: u64 = 1000;
/// The clock wraps at 24 bits, as Redis's does.
pub const LRU_CLOCK_MAX: u64 = (1 << 24) - 1;

impl Server {
    /// The access clock now.
    pub fn lru_clock(&self) -> u32 {
        ((self.clock.now_ms / LRU_CLOCK_RESOLUTION) & LRU_CLOCK_MAX) as u32
    }

    /// A live key for reading: counts a keyspace hit or miss and, unless the
    /// client asked for `CLIENT NO-TOUCH`, records the access.
    pub fn lookup_read(&mut self, db: usize, key: &[u8], no_touch: bool) -> Option<Id> {
        let now = self.clock.now_ms;
        let clock = self.lru_clock();
        let d = &mut self.dbs[db];
        match d.find(key, now) {
            Some(id) => {
                if !no_touch {
                    d.touch(id, clock);
                }
                self.stats.keyspace_hits += 1;
                Some(id)
            }
            None => {
                self.stats.keyspace_misses += 1;
                None
            }
        }
    }

    /// A live key for writing: no hit/miss accounting.
    pub fn lookup_write(&mut self, db: usize, key: &[u8]) -> Option<Id> {
        let now = self.clock.now_ms;
        let clock = self.lru_clock();
        let d = &mut self.dbs[db];
        let id = d.find(key, now)?;
        d.touch(id, clock);
        Some(id)
    }

    /// Seconds since the access clock value `lru`, allowing for wrap-around.
    pub fn idle_secs(&self, lru: u32) -> u64 {
        let now = u64::from(self.lru_clock());
        let lru = u64::from(lru);
        let ticks = if now >= lru {
            now - lru
        } else {
            (LRU_CLOCK_MAX - lru) + now
        };
        ticks * LRU_CLOCK_RESOLUTION / 1000
    }
}
