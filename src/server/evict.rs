//! Eviction under `maxmemory`, in the spirit of Redis's `evict.c`.
//!
//! Before a command runs (and when `CONFIG SET maxmemory` lowers the
//! limit) memory used beyond the limit is freed by deleting keys the
//! `maxmemory-policy` picks. The LRU, LFU and TTL policies approximate
//! their ideal order cheaply: each round samples `maxmemory-samples` keys
//! per database into a pool of the best candidates seen so far, which
//! outlives the round, and evicts the best of the pool. The random
//! policies take any key. A call stops after a time set by
//! `maxmemory-eviction-tenacity` and leaves the rest to the loop's next
//! turns, so a sudden large excess cannot stall every client.
//!
//! Each eviction goes through the write layer (WATCH, tracking), raises the
//! `evicted` keyspace event and is propagated as `DEL` (or `UNLINK` with
//! `lazyfree-lazy-eviction`).

use std::time::Instant;

use super::{memory, next_random, Server};
use crate::config::{MaxmemoryPolicy, NOTIFY_EVICTED};
use crate::storage::dict::Id;
use crate::storage::value::Bytes;

/// Candidates the pool keeps (Redis's `EVPOOL_SIZE`).
const POOL_SIZE: usize = 16;
/// Keys evicted between clock checks, as Redis checks every 16.
const KEYS_PER_CLOCK_CHECK: u64 = 16;

/// The reply Redis gives a command refused for lack of memory.
pub const OOM_ERROR: &str = "OOM command not allowed when used memory > 'maxmemory'.";

/// A key worth evicting: higher `score` is evicted first.
#[derive(Debug)]
struct Candidate {
    score: u64,
    db: usize,
    key: Bytes,
}

/// Eviction state kept between calls.
#[derive(Debug, Default)]
pub struct EvictState {
    /// Best candidates so far, in increasing score.
    pool: Vec<Candidate>,
    /// Where the random policies look next, so databases take turns.
    next_db: usize,
    /// Keys evicted since the stats were reset (`evicted_keys`).
    pub evicted_keys: u64,
    /// The last call stopped on its time limit with memory still over.
    pub pending: bool,
    /// Since when memory has been over the limit, while it is.
    exceeded_since: Option<Instant>,
    /// Time spent over the limit in finished spells, µs.
    exceeded_total_us: u64,
}

impl EvictState {
    /// `total_eviction_exceeded_time` and `current_eviction_exceeded_time`, ms.
    pub fn exceeded_ms(&self) -> (u64, u64) {
        let current = self
            .exceeded_since
            .map_or(0, |t| t.elapsed().as_micros() as u64);
        ((self.exceeded_total_us + current) / 1000, current / 1000)
    }

    /// `CONFIG RESETSTAT`.
    pub fn reset_stats(&mut self) {
        self.evicted_keys = 0;
        self.exceeded_total_us = 0;
        // Redis forgets the spell too; the next failing check starts another.
        self.exceeded_since = None;
    }
}

/// What an eviction call achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evicted {
    /// Memory is within the limit.
    Ok,
    /// Still over, but the next turns of the loop carry on.
    Running,
    /// Still over, with nothing left that the policy may evict.
    Fail,
}

impl Server {
    /// Bytes over `maxmemory`, not counting the AOF buffer (Redis's
    /// `getMaxmemoryState`); zero without a limit.
    pub fn memory_to_free(&self) -> usize {
        let limit = self.config.maxmemory;
        if limit == 0 {
            return 0;
        }
        let used = memory::used().saturating_sub(self.memory_not_counted_for_evict());
        (used as u64).saturating_sub(limit) as usize
    }

    /// Memory the limit ignores: what waits in the AOF buffer.
    pub fn memory_not_counted_for_evict(&self) -> usize {
        // Evicted values still being freed are gone as far as the limit
        // goes: counting them would evict more keys for the same bytes.
        let freeing = self.lazyfree.as_ref().map_or(0, |lf| lf.pending_bytes());
        self.aof.writer.as_ref().map_or(0, |w| w.buffered()) + freeing as usize
    }

    /// Evicts keys until memory is within the limit, the policy finds
    /// nothing more, or the time `maxmemory-eviction-tenacity` allows runs
    /// out (Redis's `performEvictions`).
    pub fn perform_evictions(&mut self) -> Evicted {
        self.evict.pending = false;
        // Not while clients are paused: Redis keeps the dataset static then.
        if !self.may_delete_expired() {
            return Evicted::Ok;
        }
        let to_free = self.memory_to_free();
        let result = if to_free == 0 {
            Evicted::Ok
        } else if self.config.maxmemory_policy == MaxmemoryPolicy::NoEviction {
            Evicted::Fail
        } else {
            self.evict_until(to_free)
        };
        match (result, self.evict.exceeded_since) {
            (Evicted::Ok, Some(since)) => {
                self.evict.exceeded_total_us += since.elapsed().as_micros() as u64;
                self.evict.exceeded_since = None;
            }
            (Evicted::Running | Evicted::Fail, None) => {
                self.evict.exceeded_since = Some(Instant::now());
            }
            _ => {}
        }
        result
    }

    fn evict_until(&mut self, to_free: usize) -> Evicted {
        let started = Instant::now();
        let limit_us = time_limit_us(self.config.maxmemory_eviction_tenacity);
        let (mut freed, mut keys) = (0usize, 0u64);
        let mut result = Evicted::Ok;
        while freed < to_free {
            let Some((db, id)) = self.pick_victim() else {
                result = Evicted::Fail;
                break;
            };
            let before = memory::used();
            self.evict_key(db, id);
            freed += before.saturating_sub(memory::used());
            keys += 1;
            if keys.is_multiple_of(KEYS_PER_CLOCK_CHECK)
                && started.elapsed().as_micros() as u64 > limit_us
            {
                self.evict.pending = true;
                result = Evicted::Running;
                break;
            }
        }
        self.latency_sample("eviction-cycle", started.elapsed().as_millis() as u64);
        result
    }

    /// Deletes an evicted key through the write layer, with its event and
    /// propagation.
    fn evict_key(&mut self, db: usize, id: Id) {
        let key = self.dbs[db].key(id).clone();
        let started = Instant::now();
        let value = self.delete_id(db, id);
        match &self.lazyfree {
            Some(lf) if self.config.lazyfree_lazy_eviction => lf.free_counted(value),
            _ => drop(value),
        }
        self.latency_sample("eviction-del", started.elapsed().as_millis() as u64);
        self.evict.evicted_keys += 1;
        self.notify_keyspace_event(NOTIFY_EVICTED, "evicted", db, key.as_slice());
        let verb: &[u8] = if self.config.lazyfree_lazy_eviction {
            b"UNLINK"
        } else {
            b"DEL"
        };
        // Written on its own even inside a call (CONFIG SET), as Redis
        // does: never wrapped in MULTI with what the call propagates.
        self.propagator.feed(db, [verb, key.as_slice()].into_iter());
    }

    /// The next key to evict under the policy, if any may be.
    fn pick_victim(&mut self) -> Option<(usize, Id)> {
        let policy = self.config.maxmemory_policy;
        let volatile = matches!(
            policy,
            MaxmemoryPolicy::VolatileLru
                | MaxmemoryPolicy::VolatileLfu
                | MaxmemoryPolicy::VolatileRandom
                | MaxmemoryPolicy::VolatileTtl
        );
        if matches!(
            policy,
            MaxmemoryPolicy::AllkeysRandom | MaxmemoryPolicy::VolatileRandom
        ) {
            return self.random_victim(volatile);
        }
        loop {
            let mut candidates = 0;
            for db in 0..self.dbs.len() {
                let n = if volatile {
                    self.dbs[db].expires()
                } else {
                    self.dbs[db].len()
                };
                if n > 0 {
                    candidates += n;
                    self.populate_pool(db, volatile, policy);
                }
            }
            if candidates == 0 {
                return None;
            }
            // The best first; a candidate deleted since it was pooled is skipped.
            while let Some(c) = self.evict.pool.pop() {
                let db = &self.dbs[c.db];
                if let Some(id) = db.id_of(c.key.as_slice()) {
                    if !volatile || db.expire_of(id).is_some() {
                        return Some((c.db, id));
                    }
                }
            }
        }
    }

    /// A random key from the next database that has one.
    fn random_victim(&mut self, volatile: bool) -> Option<(usize, Id)> {
        let dbs = self.dbs.len();
        for _ in 0..dbs {
            self.evict.next_db = (self.evict.next_db + 1) % dbs;
            let db = self.evict.next_db;
            let state = &mut self.random_state;
            let mut rand = || next_random(state);
            let found = if volatile {
                self.dbs[db].random_volatile(&mut rand).map(|(id, _)| id)
            } else {
                self.dbs[db].random_entry(&mut rand)
            };
            if let Some(id) = found {
                return Some((db, id));
            }
        }
        None
    }

    /// Samples keys of `db` into the pool (Redis's `evictionPoolPopulate`).
    fn populate_pool(&mut self, db: usize, volatile: bool, policy: MaxmemoryPolicy) {
        for _ in 0..self.config.maxmemory_samples.max(1) {
            let state = &mut self.random_state;
            let mut rand = || next_random(state);
            let sampled = if volatile {
                self.dbs[db].random_volatile(&mut rand)
            } else {
                self.dbs[db]
                    .random_entry(&mut rand)
                    .map(|id| (id, self.dbs[db].expire_of(id).unwrap_or(u64::MAX)))
            };
            let Some((id, deadline)) = sampled else {
                return;
            };
            let score = match policy {
                MaxmemoryPolicy::VolatileTtl => u64::MAX - deadline,
                _ if policy.is_lfu() => 255 - u64::from(self.lfu_counter(self.dbs[db].lru(id))),
                _ => self.idle_secs(self.dbs[db].lru(id)) * 1000,
            };
            let key = self.dbs[db].key(id);
            offer(&mut self.evict.pool, score, db, key);
        }
    }
}

/// Puts a sampled key in its place in the pool, unless the pool is full of
/// better ones; a full pool drops its worst.
fn offer(pool: &mut Vec<Candidate>, score: u64, db: usize, key: &Bytes) {
    let at = pool.partition_point(|c| c.score < score);
    if pool.len() >= POOL_SIZE {
        if at == 0 {
            return;
        }
        pool.remove(0);
        pool.insert(
            at - 1,
            Candidate {
                score,
                db,
                key: key.clone(),
            },
        );
    } else {
        pool.insert(
            at,
            Candidate {
                score,
                db,
                key: key.clone(),
            },
        );
    }
}

/// How long one eviction call may run, µs: 50 per tenacity step up to 10,
/// then 15% more per step, unbounded at 100 (Redis's `evictionTimeLimitUs`).
fn time_limit_us(tenacity: u32) -> u64 {
    match tenacity {
        0..=10 => 50 * u64::from(tenacity),
        11..=99 => (500.0 * 1.15f64.powi(tenacity as i32 - 10)) as u64,
        _ => u64::MAX,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn time_limits() {
        assert_eq!(time_limit_us(0), 0);
        assert_eq!(time_limit_us(10), 500);
        assert_eq!(time_limit_us(11), 575);
        assert_eq!(time_limit_us(100), u64::MAX);
    }

    #[test]
    fn pool_keeps_the_best() {
        let mut pool = Vec::new();
        for score in [5u64, 1, 9, 3] {
            offer(
                &mut pool,
                score,
                0,
                &Bytes::new(format!("k{score}").as_bytes()),
            );
        }
        let scores: Vec<u64> = pool.iter().map(|c| c.score).collect();
        assert_eq!(scores, [1, 3, 5, 9]);
        for score in 10..30 {
            offer(&mut pool, score, 0, &Bytes::new(b"x"));
        }
        assert_eq!(pool.len(), POOL_SIZE);
        assert_eq!(pool.first().map(|c| c.score), Some(14));
        assert_eq!(pool.last().map(|c| c.score), Some(29));
        offer(&mut pool, 2, 0, &Bytes::new(b"low"));
        assert_eq!(pool.first().map(|c| c.score), Some(14));
    }
}
