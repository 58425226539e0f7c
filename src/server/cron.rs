//! The timed sweep, run `hz` times a second (Redis's `serverCron`):
//! statistics sampling, idle-client timeouts, the end of `CLIENT PAUSE`,
//! active expiry, the keyspace's incremental rehashing, snapshots (reaping
//! the saving child, save points) and the AOF (the rewrite child, automatic
//! rewrites, everysec syncs).

use std::time::Duration;

use super::client::Client;
use super::Server;
use crate::protocol::reply::Resized;

/// A client's buffers shrink once it has sent nothing for this long (ms),
/// as Redis resizes query buffers of clients idle for 2 seconds.
const BUFFER_IDLE_MS: u64 = 2000;

/// Clients the client pass looks at per tick at least
/// (`CLIENTS_CRON_MIN_ITERATIONS`).
const CLIENTS_PER_TICK_MIN: usize = 5;

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
        self.clients_cron();
        self.persistence_cron();
        self.migrate.close_idle(now / 1000);
        self.aof_cron();
        if self.config.activerehashing {
            for db in &mut self.dbs {
                db.maintain(REHASH_BUDGET);
            }
        }
    }

    /// Redis's clientsCron for buffers: a share of the clients per tick,
    /// so that each is seen about once a second (all of them each tick
    /// while there are few), gets its reply buffer resized to its peak
    /// and, once idle, the memory a burst of large requests or replies
    /// left behind given back. Done here, not after every request:
    /// shrinking at once would make a client that keeps sending large
    /// values reallocate (and fault in fresh pages) for each one.
    fn clients_cron(&mut self) {
        let n = self.clients.len();
        let mut budget = (n / self.hz.max(1) as usize).max(CLIENTS_PER_TICK_MIN.min(n));
        let pass = ClientPass {
            now: self.clock.now_ms,
            peak_reset_ms: u64::try_from(self.debug.reply_peak_reset_ms).ok(),
            resizing: self.debug.reply_resizing,
        };
        let (mut shrinks, mut expands) = (0, 0);
        // On from where the last pass stopped, round the slots once at most.
        let slots = self.clients.capacity();
        let mut token = self.clients_cron_next;
        for _ in 0..slots {
            if budget == 0 {
                break;
            }
            if token >= slots {
                token = 0;
            }
            if let Some(slot) = self.clients.get_mut(token) {
                budget -= 1;
                if let Some(c) = slot.as_deref_mut() {
                    match pass.visit(c) {
                        Resized::Shrunk => shrinks += 1,
                        Resized::Grown => expands += 1,
                        Resized::Kept => {}
                    }
                }
            }
            token += 1;
        }
        self.clients_cron_next = token;
        self.stats.reply_buffer_shrinks += shrinks;
        self.stats.reply_buffer_expands += expands;
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

/// What the client pass needs to know for each client.
struct ClientPass {
    now: u64,
    peak_reset_ms: Option<u64>,
    resizing: bool,
}

impl ClientPass {
    fn visit(&self, c: &mut Client) -> Resized {
        let resized = if self.resizing {
            c.reply.resize(self.now, self.peak_reset_ms)
        } else {
            Resized::Kept
        };
        if self.now.saturating_sub(c.last_interaction) >= BUFFER_IDLE_MS {
            c.query.shrink_if_idle();
            c.reply.shrink_if_idle();
        }
        resized
    }
}
