//! The timed sweep, run `hz` times a second (Redis's `serverCron`):
//! statistics sampling, idle-client timeouts, the end of `CLIENT PAUSE`,
//! active expiry, the keyspace's incremental rehashing, snapshots (reaping
//! the saving child, save points) and the AOF (the rewrite child, automatic
//! rewrites, everysec syncs).

use std::time::Duration;

use super::client::READ_CHUNK;
use super::Server;

/// A client's buffers shrink once it has sent nothing for this long (ms),
/// as Redis resizes query buffers of clients idle for 2 seconds.
const BUFFER_IDLE_MS: u64 = 2000;

/// Rehashing time per database per tick (Redis's `dictRehashMilliseconds(1)`).
const REHASH_BUDGET: Duration = Duration::from_millis(1);

impl Server {
    pub(crate) fn cron(&mut self) {
        if self.debug.cron_paused {
            return;
        }
        self.adapt_hz();
        let now = self.clock.now_ms;
        self.stats.sample(now);
        self.close_idle_clients(now);
        self.enforce_output_limits_of_all();
        if self.pause.kind.is_some() && now >= self.pause.until_ms {
            self.pause.kind = None;
            self.resume_paused();
        }
        self.active_expire_cycle(false);
        self.tracking_limit_keys();
        self.shrink_idle_buffers();
        self.persistence_cron();
        self.migrate.close_idle(now / 1000);
        self.aof_cron();
        if self.config.activerehashing {
            for db in &mut self.dbs {
                db.maintain(REHASH_BUDGET);
            }
        }
    }

    /// Gives back buffer memory a burst of large requests or replies left
    /// behind. Done here, as Redis's clientsCron does, not after every
    /// request: shrinking at once would make a client that keeps sending
    /// large values reallocate (and fault in fresh pages) for each one.
    fn shrink_idle_buffers(&mut self) {
        let now = self.clock.now_ms;
        for (_, slot) in self.clients.iter_mut() {
            if let Some(c) = slot.as_deref_mut() {
                if now.saturating_sub(c.last_interaction) >= BUFFER_IDLE_MS {
                    c.query.shrink_if_idle();
                    c.reply.shrink_if_idle(READ_CHUNK);
                }
            }
        }
    }

    /// `timeout`: drops clients silent for longer than that many seconds.
    fn close_idle_clients(&mut self, now: u64) {
        let limit_ms = self.config.timeout.saturating_mul(1000);
        if limit_ms == 0 {
            return;
        }
        let idle: Vec<usize> = self
            .clients
            .iter()
            .filter_map(|(token, c)| c.as_deref().map(|c| (token, c)))
            .filter(|(_, c)| {
                // Blocked clients wait as long as their command says;
                // monitors (replicas to Redis) only listen.
                !c.paused
                    && !c.blocked
                    && !c.monitor
                    && now.saturating_sub(c.last_interaction) > limit_ms
            })
            .map(|(token, _)| token)
            .collect();
        for token in idle {
            log::debug!("Closing idle client");
            self.schedule_close(token);
        }
    }
}
