//! Freeing big values off the loop thread, as Redis's lazy free does: a
//! thread that only receives values (or whole emptied tables) to drop and
//! shares nothing with the loop but two counters. A value goes there when
//! freeing it would take long (Redis's effort rule: more than 64
//! allocations' worth); small ones are dropped in place, where that is
//! cheaper than the hand-over.
//!
//! What is queued counts in `lazyfree_pending_objects` until the thread has
//! dropped it, then in `lazyfreed_objects` (`INFO`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::Arc;

use super::value::Value;

/// Values costing more than this many frees go to the thread (`LAZYFREE_THRESHOLD`).
const THRESHOLD: usize = 64;

/// What the thread receives.
enum Job {
    /// A value, and the heap bytes it holds when the sender counted them.
    Value(Value, u64),
    /// An emptied database's table, counted as its number of keys.
    Table(Box<dyn Send>, u64),
}

#[derive(Default)]
struct Counters {
    pending: AtomicU64,
    freed: AtomicU64,
    /// Heap bytes of queued values that were counted (eviction's).
    pending_bytes: AtomicU64,
}

/// The loop's handle on the freeing thread; cheap to clone.
#[derive(Clone)]
pub struct LazyFree {
    tx: Sender<Job>,
    counters: Arc<Counters>,
}

impl LazyFree {
    /// Starts the thread; `None` if the system refuses one, in which case
    /// everything is freed in place.
    pub fn start() -> Option<LazyFree> {
        let (tx, rx) = channel::<Job>();
        let counters = Arc::new(Counters::default());
        let seen = Arc::clone(&counters);
        std::thread::Builder::new()
            .name("lazyfree".into())
            .spawn(move || {
                for job in rx {
                    let n = match job {
                        Job::Value(v, bytes) => {
                            drop(v);
                            seen.pending_bytes.fetch_sub(bytes, Ordering::Relaxed);
                            1
                        }
                        Job::Table(t, n) => {
                            drop(t);
                            n
                        }
                    };
                    seen.pending.fetch_sub(n, Ordering::Relaxed);
                    seen.freed.fetch_add(n, Ordering::Relaxed);
                }
            })
            .ok()?;
        Some(LazyFree { tx, counters })
    }

    /// Frees `value`: on the thread if it is big, here otherwise.
    pub fn free(&self, value: Value) {
        self.hand_over(value, false);
    }

    /// [`free`](Self::free) for eviction, which must know how much memory
    /// is on its way out: the bytes of a handed-over value count in
    /// [`pending_bytes`](Self::pending_bytes) until the thread freed them.
    pub fn free_counted(&self, value: Value) {
        self.hand_over(value, true);
    }

    fn hand_over(&self, value: Value, count_bytes: bool) {
        if value.free_effort() <= THRESHOLD {
            return;
        }
        let bytes = if count_bytes {
            value.heap_size() as u64
        } else {
            0
        };
        self.counters.pending.fetch_add(1, Ordering::Relaxed);
        self.counters
            .pending_bytes
            .fetch_add(bytes, Ordering::Relaxed);
        if let Err(returned) = self.tx.send(Job::Value(value, bytes)) {
            // The thread is gone: free here after all.
            self.counters.pending.fetch_sub(1, Ordering::Relaxed);
            self.counters
                .pending_bytes
                .fetch_sub(bytes, Ordering::Relaxed);
            drop(returned);
        }
    }

    /// Heap bytes of evicted values still waiting to be freed.
    pub fn pending_bytes(&self) -> u64 {
        self.counters.pending_bytes.load(Ordering::Relaxed)
    }

    /// Frees a whole table of `keys` entries on the thread, whatever its size
    /// (FLUSHDB ASYNC).
    pub fn free_table(&self, table: Box<dyn Send>, keys: u64) {
        self.counters.pending.fetch_add(keys, Ordering::Relaxed);
        if let Err(returned) = self.tx.send(Job::Table(table, keys)) {
            self.counters.pending.fetch_sub(keys, Ordering::Relaxed);
            drop(returned);
        }
    }

    /// Objects queued and not yet freed.
    pub fn pending(&self) -> u64 {
        self.counters.pending.load(Ordering::Relaxed)
    }

    /// Objects the thread has freed since the last reset.
    pub fn freed(&self) -> u64 {
        self.counters.freed.load(Ordering::Relaxed)
    }

    /// CONFIG RESETSTAT.
    pub fn reset_stats(&self) {
        self.counters.freed.store(0, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::value::Str;

    fn wait_freed(lf: &LazyFree, n: u64) {
        for _ in 0..1000 {
            if lf.freed() == n && lf.pending() == 0 {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(2));
        }
        panic!("freed {} pending {}", lf.freed(), lf.pending());
    }

    #[test]
    fn small_values_stay_and_tables_go() {
        let lf = LazyFree::start().expect("thread");
        lf.free(Value::Str(Str::from_bytes(b"small")));
        assert_eq!((lf.pending(), lf.freed()), (0, 0));
        lf.free_table(Box::new(vec![1u8; 10]), 3);
        wait_freed(&lf, 3);
        lf.reset_stats();
        assert_eq!(lf.freed(), 0);
    }
}
