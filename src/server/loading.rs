//! Loading the dataset at start-up while the loop keeps answering, as
//! Redis does between `startLoading` and `stopLoading`. The RDB loader
//! reports after each key and the AOF replay after each command; every
//! `loading-process-events-interval-bytes` of file (every 1,024 commands
//! of an AOF) the server accepts, reads and answers clients. Dispatch
//! refuses their commands with `-LOADING` unless the table flags them
//! `loading`, so none of them sees or changes the partial dataset except
//! through INFO, DEBUG and the like, as in Redis. A shutdown asked for
//! meanwhile ends the process there, without saving: a partial dataset
//! must never replace the file it came from.

use super::stats::Stats;
use super::{signals, Server, ShutdownRequest};
use crate::config::SHUTDOWN_NOSAVE;
use crate::persistence::rdb::load::LoadStats;
use crate::storage::db::Db;

/// The AOF replay serves clients once per this many commands, as Redis does.
const AOF_COMMANDS_PER_TURN: u64 = 1024;

/// What a load in progress has done (`INFO persistence`'s `loading_*`).
#[derive(Debug)]
pub struct Loading {
    /// Unix seconds when it started.
    pub start_secs: u64,
    /// Bytes of all the files to load.
    pub total_bytes: u64,
    /// Bytes loaded, as of the last time clients were served.
    pub loaded_bytes: u64,
    /// The memory the RDB's saving server used (its `used-mem` field).
    pub rdb_used_mem: u64,
    /// Where the file now loading starts among all the files' bytes.
    file_base: u64,
    /// `loading-process-events-interval-bytes`.
    interval: u64,
    /// `key-load-delay`: microseconds to sleep per key (tests slow loads with it).
    key_delay: i64,
    /// Commands an AOF replay has run.
    commands: u64,
    random_state: u64,
}

impl Loading {
    /// `loading_loaded_perc` and `loading_eta_seconds`, computed as Redis does.
    pub fn progress(&self, now_secs: u64) -> (f64, i64) {
        let (loaded, total) = (self.loaded_bytes as i64, self.total_bytes as i64);
        let (perc, remaining) = if total > 0 {
            (loaded as f64 / total as f64 * 100.0, total - loaded)
        } else if loaded > 0 {
            (100.0, 0)
        } else {
            (0.0, 1)
        };
        let elapsed = now_secs.saturating_sub(self.start_secs) as i64;
        let eta = if elapsed == 0 {
            1
        } else {
            elapsed * remaining / (loaded + 1)
        };
        (perc, eta)
    }

    /// Sleeps as `key-load-delay` asks, the way Redis's `debugDelay` does:
    /// a negative value -N sleeps one microsecond once in N keys.
    fn delay(&mut self) {
        let us = match self.key_delay {
            0 => return,
            n if n < 0 => {
                let n = n.unsigned_abs();
                u64::from(super::next_random(&mut self.random_state).is_multiple_of(n))
            }
            n => n as u64,
        };
        if us > 0 {
            std::thread::sleep(std::time::Duration::from_micros(us));
        }
    }
}

impl Server {
    /// Whether the start-up load is under way.
    pub fn is_loading(&self) -> bool {
        self.loading.is_some()
    }

    /// A load of `total_bytes` begins (Redis's `startLoading`).
    pub(crate) fn start_loading(&mut self, total_bytes: u64) {
        self.loading = Some(Loading {
            start_secs: self.clock.now_ms / 1000,
            total_bytes,
            loaded_bytes: 0,
            rdb_used_mem: 0,
            file_base: 0,
            interval: 1,
            key_delay: 0,
            commands: 0,
            random_state: self.random_state | 1,
        });
        self.read_loading_settings();
        signals::set_loading(true);
    }

    /// The two settings a load follows, which CONFIG SET may change
    /// while it runs.
    fn read_loading_settings(&mut self) {
        let interval = self
            .config
            .number("loading-process-events-interval-bytes")
            .map_or(2 << 20, |n| n.max(1) as u64);
        let key_delay = self.config.number("key-load-delay").unwrap_or(0);
        if let Some(l) = self.loading.as_mut() {
            l.interval = interval;
            l.key_delay = key_delay;
        }
    }

    /// The load is over, whatever its outcome.
    pub(crate) fn stop_loading(&mut self) {
        self.loading = None;
        signals::set_loading(false);
    }

    /// The next file of an AOF set starts `base` bytes into the whole.
    pub(crate) fn loading_next_file(&mut self, base: u64) {
        if let Some(l) = self.loading.as_mut() {
            l.file_base = base;
        }
    }

    /// Whether the AOF's commands are replaying.
    pub fn replaying_aof(&self) -> bool {
        self.aof_replay.is_some()
    }

    /// The AOF replay begins: its commands count into statistics of their
    /// own, the server's are set aside.
    pub(crate) fn start_replay(&mut self) {
        let replay = Stats::new(self.commands.all.len());
        self.aof_replay = Some(std::mem::replace(&mut self.stats, replay));
    }

    /// The replay is over: the server's statistics are back in force.
    pub(crate) fn stop_replay(&mut self) {
        if let Some(stats) = self.aof_replay.take() {
            self.stats = stats;
        }
    }

    /// After each key of an RDB load. `dbs` are the databases being
    /// filled; while clients are served they stand in for the server's.
    pub(crate) fn rdb_load_progress(&mut self, dbs: &mut [Db], offset: u64, stats: &LoadStats) {
        let Some(l) = self.loading.as_mut() else {
            return;
        };
        l.delay();
        l.rdb_used_mem = stats.used_mem;
        let at = l.file_base + offset;
        if at / l.interval == l.loaded_bytes / l.interval {
            return;
        }
        l.loaded_bytes = at;
        self.persistence.last_load.keys_loaded = stats.keys_loaded;
        self.persistence.last_load.keys_expired = stats.keys_expired;
        if self.dbs.len() != dbs.len() {
            return;
        }
        self.dbs.swap_with_slice(dbs);
        self.serve_while_loading();
        self.dbs.swap_with_slice(dbs);
    }

    /// After each command an AOF replay ran; `offset` is where the file's
    /// next command starts.
    pub(crate) fn aof_load_progress(&mut self, offset: u64) {
        let Some(l) = self.loading.as_mut() else {
            return;
        };
        l.delay();
        l.commands += 1;
        if l.commands % AOF_COMMANDS_PER_TURN != 0 {
            return;
        }
        l.loaded_bytes = l.file_base + offset;
        self.serve_while_loading();
    }

    /// Serves clients once; a shutdown they or a signal asked for ends the
    /// process here.
    fn serve_while_loading(&mut self) {
        // The clients' commands count into the server's statistics.
        if let Some(server_stats) = self.aof_replay.as_mut() {
            std::mem::swap(&mut self.stats, server_stats);
        }
        self.process_events_while_blocked(false);
        if let Some(replay_stats) = self.aof_replay.as_mut() {
            std::mem::swap(&mut self.stats, replay_stats);
        }
        self.read_loading_settings();
        if self.shutdown.is_some() {
            self.shutdown_while_loading();
        }
    }

    /// Redis's shutdown during loading: never a save, and the process
    /// ends at once. SHUTDOWN has done its part already; a signal's
    /// shutdown starts here.
    fn shutdown_while_loading(&mut self) {
        if let Some(ShutdownRequest::Signal(_)) = self.shutdown {
            if !self.shutdown_save(SHUTDOWN_NOSAVE) {
                log::warn!("SIGTERM received but errors trying to shut down the server, check the logs for more information");
                self.shutdown = None;
                signals::shutdown_abandoned();
                return;
            }
        }
        self.leave();
        std::process::exit(0);
    }
}
