//! Active expiry: deleting keys whose time has passed even when nobody
//! touches them, in the spirit of Redis's `activeExpireCycle`.
//!
//! Lazy expiry alone would leave a key that is never read again in memory
//! forever, so each database's volatile keys are sampled at random and the
//! expired ones deleted, repeating while a sample finds many of them stale.
//! The work is bounded in time so a flood of expiring keys cannot stall the
//! loop: the slow cycle runs from the timed sweep with a quarter of each
//! tick as budget, the fast cycle from `before_sleep` with one millisecond,
//! and only when the previous cycle suggests there is more to do.

use std::time::{Duration, Instant};

use super::{next_random, Server};

/// Volatile keys sampled per database per round (`ACTIVE_EXPIRE_CYCLE_KEYS_PER_LOOP`).
const KEYS_PER_LOOP: usize = 20;
/// Budget of a fast cycle (`ACTIVE_EXPIRE_CYCLE_FAST_DURATION`, µs).
const FAST_DURATION_US: u64 = 1000;
/// Share of each sweep tick the slow cycle may use (`ACTIVE_EXPIRE_CYCLE_SLOW_TIME_PERC`).
const SLOW_TIME_PERC: u64 = 25;
/// A round finding more than this share of stale keys is repeated (`ACTIVE_EXPIRE_CYCLE_ACCEPTABLE_STALE`).
const ACCEPTABLE_STALE_PERC: usize = 10;
/// Rounds between clock checks, as Redis checks every 16 iterations.
const ROUNDS_PER_CLOCK_CHECK: u32 = 16;

/// What the last cycles learnt, to decide whether a fast cycle is worth it.
#[derive(Debug, Default)]
pub struct ExpireState {
    /// Turned off by `DEBUG SET-ACTIVE-EXPIRE 0`.
    pub disabled: bool,
    /// The database the next cycle starts with.
    next_db: usize,
    /// The last cycle stopped on its time limit.
    timelimit_exit: bool,
    /// Running estimate of the share of stale keys met (`expired_stale_perc`).
    pub stale_perc: f64,
    /// Cycles that stopped on their time limit (`expired_time_cap_reached_count`).
    pub time_cap_reached: u64,
    /// Time spent expiring (`expire_cycle_cpu_milliseconds`), in µs.
    pub cpu_us: u64,
    /// When the last fast cycle started, unix µs.
    last_fast_us: u64,
}

impl Server {
    /// One expiry cycle: `fast` from `before_sleep`, slow from the sweep.
    pub(crate) fn active_expire_cycle(&mut self, fast: bool) {
        if self.expire.disabled || !self.may_delete_expired() {
            return;
        }
        let effort = u64::from(self.config.active_expire_effort.saturating_sub(1));
        let keys_per_loop = KEYS_PER_LOOP + KEYS_PER_LOOP / 4 * effort as usize;
        let acceptable = ACCEPTABLE_STALE_PERC.saturating_sub(effort as usize);
        let budget_us = if fast {
            let fast_us = FAST_DURATION_US + FAST_DURATION_US / 4 * effort;
            let now = self.clock.now_us;
            let worth_it = self.expire.timelimit_exit || self.expire.stale_perc > acceptable as f64;
            if !worth_it || now < self.expire.last_fast_us + fast_us * 2 {
                return;
            }
            self.expire.last_fast_us = now;
            fast_us
        } else {
            let perc = SLOW_TIME_PERC + 2 * effort;
            1_000_000 * perc / u64::from(self.hz.max(1)) / 100
        };
        let started = Instant::now();
        let budget = Duration::from_micros(budget_us);
        let dbs = self.dbs.len();
        let (mut sampled_total, mut expired_total) = (0usize, 0usize);
        self.expire.timelimit_exit = false;
        let mut rounds = 0u32;
        'dbs: for _ in 0..dbs {
            let db = self.expire.next_db % dbs;
            self.expire.next_db = (db + 1) % dbs;
            loop {
                if self.dbs[db].expires() == 0 {
                    break;
                }
                let now = self.clock.now_ms;
                let state = &mut self.random_state;
                let pass =
                    self.dbs[db].active_expire(now, keys_per_loop, &mut || next_random(state));
                self.notify_expired(db);
                sampled_total += pass.sampled;
                expired_total += pass.expired;
                rounds += 1;
                if rounds.is_multiple_of(ROUNDS_PER_CLOCK_CHECK) && started.elapsed() > budget {
                    self.expire.timelimit_exit = true;
                    self.expire.time_cap_reached += 1;
                    break 'dbs;
                }
                if pass.sampled == 0 || pass.expired * 100 / pass.sampled <= acceptable {
                    break;
                }
            }
        }
        let elapsed_us = started.elapsed().as_micros() as u64;
        self.expire.cpu_us += elapsed_us;
        self.latency_sample("expire-cycle", elapsed_us / 1000);
        let current = if sampled_total > 0 {
            expired_total as f64 / sampled_total as f64
        } else {
            0.0
        };
        // The same smoothing Redis applies to expired_stale_perc.
        self.expire.stale_perc = current * 0.05 + self.expire.stale_perc * 0.95;
        self.propagate_expired();
    }
}
