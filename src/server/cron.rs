//! The timed sweep, run `hz` times a second (Redis's `serverCron`):
//! statistics sampling, idle-client timeouts, the end of `CLIENT PAUSE`,
//! active expiry, the keyspace's incremental rehashing, snapshots (reaping
//! the saving child, save points) and the AOF (the rewrite child, automatic
//! rewrites, everysec syncs).

use std::time::Duration;

use super::Server;

/// Rehashing time per database per tick (Redis's `dictRehashMilliseconds(1)`).
const REHASH_BUDGET: Duration = Duration::from_millis(1);

impl Server {
    pub(crate) fn cron(&mut self) {
        let now = self.clock.now_ms;
        self.stats.sample(now);
        self.close_idle_clients(now);
        if self.pause.kind.is_some() && now >= self.pause.until_ms {
            self.pause.kind = None;
            self.resume_paused();
        }
        self.active_expire_cycle(false);
        self.persistence_cron();
        self.aof_cron();
        if self.config.activerehashing {
            for db in &mut self.dbs {
                db.maintain(REHASH_BUDGET);
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
            .filter(|(_, c)| !c.paused && now.saturating_sub(c.last_interaction) > limit_ms)
            .map(|(token, _)| token)
            .collect();
        for token in idle {
            log::debug!("Closing idle client");
            self.schedule_close(token);
        }
    }
}
