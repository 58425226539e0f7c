//! The server: all state the event loop owns, and start-up.
//!
//! One [`Server`] value holds the configuration, the databases, every client
//! and the statistics. Only the loop's thread touches it, so nothing here is
//! locked. Submodules hold the pieces of the loop: networking, clients, the
//! timed sweep, signals, logging and memory accounting.

pub mod acl;
pub mod aof;
pub mod blocking;
pub mod client;
pub mod client_evict;
pub mod crash;
pub mod cron;
pub mod event_loop;
pub mod evict;
pub mod expire;
pub mod keyspace;
pub mod latency;
pub mod latency_monitor;
pub mod loading;
pub mod logging;
pub mod memory;
pub mod migrate;
pub mod monitor;
pub mod multi;
pub mod net;
pub mod os_tuning;
pub mod output_limits;
pub mod persistence;
pub mod proctitle;
pub mod propagate;
pub mod pubsub;
pub mod signals;
pub mod slowlog;
pub mod sparkline;
pub mod startup;
pub mod stats;
pub mod tracking;

pub use startup::start;

use std::io;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use mio::Poll;
use slab::Slab;

use crate::commands::{flags, CommandTable};
use crate::config::Config;
use crate::scripting::functions::Functions;
use crate::storage::db::Db;
use client::Client;
use net::Listeners;
use stats::Stats;

/// Redis version ferrodis behaves as; clients choose features by it.
pub const REDIS_VERSION: &str = "7.0.15";

/// Cached wall-clock time, refreshed once per loop iteration like Redis's `mstime` cache.
#[derive(Debug, Clone, Copy, Default)]
pub struct Clock {
    pub now_ms: u64,
    pub now_us: u64,
}

impl Clock {
    pub fn update(&mut self) {
        let d = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        self.now_us = d.as_micros() as u64;
        self.now_ms = self.now_us / 1000;
    }
}

/// What `CLIENT PAUSE` holds back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PauseKind {
    Write,
    All,
}

/// The state of `CLIENT PAUSE`.
#[derive(Debug, Default, Clone, Copy)]
pub struct Pause {
    pub kind: Option<PauseKind>,
    /// Unix milliseconds at which the pause ends.
    pub until_ms: u64,
}

impl Pause {
    /// Whether a pause is in force at `now_ms`.
    pub fn active(&self, now_ms: u64) -> bool {
        self.kind.is_some() && now_ms < self.until_ms
    }

    /// Whether a command with `cmd_flags` must wait (an EXEC has those of
    /// what it queued). Reads go through a WRITE pause.
    pub fn blocks(&self, cmd_flags: u32, now_ms: u64) -> bool {
        match self.kind {
            None => false,
            Some(_) if now_ms >= self.until_ms => false,
            Some(PauseKind::All) => true,
            Some(PauseKind::Write) => cmd_flags & (flags::WRITE | flags::MAY_REPLICATE) != 0,
        }
    }
}

/// Why and how the server is stopping.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShutdownRequest {
    Signal(i32),
    Command,
}

/// Behaviours `DEBUG` changes so tests can provoke what is otherwise rare.
#[derive(Debug)]
pub struct DebugSwitches {
    /// `SET-SKIP-CHECKSUM-VALIDATION`: RDB files and DUMP payloads load
    /// without their checksum compared.
    pub skip_checksum_validation: bool,
    /// `AOF-FLUSH-SLEEP`: microseconds to wait before each AOF write.
    pub aof_flush_sleep_us: u64,
    /// `PAUSE-CRON`: the timed sweep does nothing.
    pub cron_paused: bool,
    /// `REPLYBUFFER PEAK-RESET-TIME`: milliseconds between resets of each
    /// reply buffer's peak; negative for never.
    pub reply_peak_reset_ms: i64,
    /// `REPLYBUFFER RESIZING`: the timed sweep resizes reply buffers.
    pub reply_resizing: bool,
}

/// How often a reply buffer's peak is reset by default, in ms
/// (`REPLY_BUFFER_DEFAULT_PEAK_RESET_TIME`).
pub const REPLY_PEAK_RESET_MS: i64 = 5000;

impl Default for DebugSwitches {
    fn default() -> Self {
        DebugSwitches {
            skip_checksum_validation: false,
            aof_flush_sleep_us: 0,
            cron_paused: false,
            reply_peak_reset_ms: REPLY_PEAK_RESET_MS,
            reply_resizing: true,
        }
    }
}

/// Everything the event loop owns.
pub struct Server {
    pub config: Config,
    /// Only the write layer (`keyspace.rs`) and the server's own upkeep
    /// change databases; commands go through the layer.
    pub(in crate::server) dbs: Vec<Db>,
    /// Connected clients by token; the client running a command is taken out
    /// of its slot for the duration, so handlers get it and the rest apart.
    pub clients: Slab<Option<Box<Client>>>,
    pub commands: CommandTable,
    pub stats: Stats,
    pub clock: Clock,
    /// When the innermost command in progress started (`commands::call`
    /// reads the clock once for it); a script's run starts with its EVAL's.
    pub command_started: Instant,
    pub pause: Pause,
    pub next_client_id: u64,
    pub run_id: String,
    pub master_replid: String,
    pub start_ms: u64,
    /// Unix seconds of the last successful save (start time until one happens).
    pub lastsave: u64,
    /// Writes since the last save.
    pub dirty: u64,
    /// Snapshot state: the saving child, last results, counters.
    pub persistence: persistence::PersistenceState,
    /// The start-up load under way, if any.
    pub loading: Option<loading::Loading>,
    /// While the AOF's commands replay (start-up, DEBUG LOADAOF): the
    /// server's own statistics, set aside, since the replayed commands
    /// count into statistics that are then dropped (Redis counts none).
    pub(crate) aof_replay: Option<stats::Stats>,
    pub shutdown: Option<ShutdownRequest>,
    /// Absolute path of the running executable, for `INFO server`.
    pub executable: String,
    /// The `hz` in force (differs from the configured one with `dynamic-hz`).
    pub hz: u32,
    /// The client slot the timed sweep's client pass looks at next.
    pub(crate) clients_cron_next: usize,
    /// Where writes go on their way to the append-only file.
    pub propagator: propagate::Propagator,
    /// The append-only file: its files, writer, rewrite child and counters.
    pub aof: aof::AofState,
    /// Active expiry's state and counters.
    pub expire: expire::ExpireState,
    /// Eviction under `maxmemory`: the candidate pool and its counters.
    pub evict: evict::EvictState,
    /// Clients blocked on keys, and the keys and deadlines they wait on.
    pub blocking: blocking::Blocking,
    /// Pub/sub subscriptions of every client.
    pub pubsub: pubsub::PubSub,
    /// SLOWLOG's entries.
    pub slowlog: slowlog::Slowlog,
    /// LATENCY's event samples.
    pub latency_monitor: latency_monitor::LatencyMonitor,
    /// Watched keys (WATCH) and the clients whose watch a write broke.
    pub watches: multi::Watches,
    /// Tokens of the clients in MONITOR mode, in the order they asked.
    pub monitors: Vec<usize>,
    /// Client-side caching: tracked keys, BCAST prefixes, tracking clients.
    pub tracking: tracking::Tracking,
    /// ACL users and the ACL LOG.
    pub acl: acl::Acl,
    /// State of the sampling random generator (RANDOMKEY, expiry, LFU).
    pub random_state: u64,
    /// The Lua interpreter, the EVAL script cache and the running script.
    pub scripting: crate::scripting::Scripting,
    /// Heap bytes in use once start-up finished (`used_memory_startup`).
    pub startup_memory: usize,
    /// Switches DEBUG sets for tests.
    pub debug: DebugSwitches,
    /// MIGRATE's open connections to other servers.
    pub migrate: migrate::MigrateCache,
    /// The thread big values are freed on (none if it could not start).
    pub lazyfree: Option<crate::storage::lazyfree::LazyFree>,
    /// The function libraries (FUNCTION LOAD) and their Lua state.
    pub functions: Functions,
    pub(crate) poll: Poll,
    pub(crate) listeners: Listeners,
    /// Clients with output to flush before the next poll.
    pub(crate) pending_writes: Vec<usize>,
    /// Clients whose socket may hold more input than their last turn read.
    pub(crate) unfinished_reads: Vec<usize>,
    /// Clients holding a request back because of `CLIENT PAUSE`.
    pub(crate) paused_clients: Vec<usize>,
}

impl Server {
    /// Binds the listeners and builds the initial state.
    pub fn new(config: Config) -> io::Result<Server> {
        let poll = Poll::new()?;
        let listeners = Listeners::bind(&config, poll.registry())?;
        let commands = CommandTable::with_renames(&config.rename_commands);
        let mut clock = Clock::default();
        clock.update();
        let dbs = (0..config.databases).map(|_| Db::new()).collect();
        let stats = Stats::new(commands.all.len());
        let hz = config.hz;
        let mut server = Server {
            dbs,
            clients: Slab::new(),
            stats,
            clock,
            command_started: Instant::now(),
            pause: Pause::default(),
            next_client_id: 1,
            run_id: random_hex40(),
            master_replid: random_hex40(),
            start_ms: clock.now_ms,
            lastsave: clock.now_ms / 1000,
            dirty: 0,
            persistence: persistence::PersistenceState::default(),
            loading: None,
            aof_replay: None,
            shutdown: None,
            executable: executable_path(),
            hz,
            clients_cron_next: 0,
            propagator: propagate::Propagator::default(),
            aof: aof::AofState::default(),
            expire: expire::ExpireState::default(),
            evict: evict::EvictState::default(),
            blocking: blocking::Blocking::default(),
            pubsub: pubsub::PubSub::default(),
            slowlog: slowlog::Slowlog::default(),
            latency_monitor: latency_monitor::LatencyMonitor::default(),
            watches: multi::Watches::default(),
            monitors: Vec::new(),
            tracking: tracking::Tracking::default(),
            acl: acl::Acl::new(&commands, &config),
            random_state: (clock.now_us | 1) ^ u64::from(std::process::id()).rotate_left(32),
            scripting: crate::scripting::Scripting::new()
                .map_err(|e| io::Error::other(format!("Failed creating the Lua VM: {e}")))?,
            startup_memory: memory::used(),
            debug: DebugSwitches::default(),
            migrate: migrate::MigrateCache::default(),
            lazyfree: crate::storage::lazyfree::LazyFree::start(),
            functions: Functions::new().map_err(|e| io::Error::other(e.to_string()))?,
            poll,
            listeners,
            pending_writes: Vec::new(),
            unfinished_reads: Vec::new(),
            paused_clients: Vec::new(),
            commands,
            config,
        };
        server.sync_expired_events();
        server.sync_lazy_free();
        Ok(server)
    }

    /// Whether clients must authenticate before running commands.
    pub fn auth_required(&self) -> bool {
        self.acl.auth_required()
    }

    /// The TCP port actually listened on (differs from the config when it is 0).
    pub fn port(&self) -> u16 {
        self.listeners.port().unwrap_or(self.config.port)
    }

    /// Number of connected clients.
    pub fn client_count(&self) -> usize {
        self.clients.len()
    }

    /// Every other client (the one running a command is not in the slab).
    pub fn other_clients(&self) -> impl Iterator<Item = &Client> {
        self.clients.iter().filter_map(|(_, c)| c.as_deref())
    }

    /// Applies what a `CONFIG SET` of `name` changes outside the table
    /// itself. `Err` carries Redis's reason; the caller restores the old
    /// configuration and reports it.
    pub fn apply_config_change(&mut self, name: &str, old: &Config) -> Result<(), &'static str> {
        match name {
            "requirepass" => self
                .acl
                .set_default_password(&self.commands, self.config.requirepass.as_deref()),
            "loglevel" => log::set_max_level(logging::filter(self.config.loglevel)),
            "hz" | "dynamic-hz" => self.adapt_hz(),
            "lazyfree-lazy-expire" | "lazyfree-lazy-server-del" => self.sync_lazy_free(),
            // As Redis: a new template applies at once, whatever set-proc-title says.
            "proc-title-template" => proctitle::set(&self.config, None),
            "crash-log-enabled" => {
                crash::set_fatal_handlers(self.config.flag(name) == Some(true));
            }
            "oom-score-adj" | "oom-score-adj-values" => self.apply_oom_score_adj(),
            "notify-keyspace-events" => self.sync_expired_events(),
            "appendfsync" => self.set_aof_fsync(self.config.appendfsync),
            "aof-disable-auto-gc" if self.config.flag(name) == Some(false) => {
                self.delete_history_files();
            }
            "aof-timestamp-enabled" => {
                self.aof.timestamps = self.config.flag(name) == Some(true);
            }
            "appendonly" if self.config.appendonly && !old.appendonly => self
                .start_aof()
                .map_err(|_| "Unable to turn on AOF. Check server logs.")?,
            "appendonly" if !self.config.appendonly && old.appendonly => self.stop_aof(),
            "maxclients" => startup::adjust_open_files(&mut self.config),
            // Redis frees memory at once when the limit drops below what is
            // used, and checks any new limit to keep the eviction stats right.
            "maxmemory" if self.config.maxmemory > 0 => {
                let used = memory::used().saturating_sub(self.memory_not_counted_for_evict());
                if (used as u64) > self.config.maxmemory {
                    log::warn!("WARNING: the new maxmemory value set via CONFIG SET ({}) is smaller than the current memory usage ({used}). This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy.", self.config.maxmemory);
                }
                self.perform_evictions();
            }
            "port" | "bind" if self.config.port != old.port || self.config.bind != old.bind => {
                let reason = if name == "port" {
                    "Unable to listen on this port. Check server logs."
                } else {
                    "Failed to bind to specified addresses."
                };
                // The old sockets may hold the very address wanted, so they
                // go first; on failure the old ones are bound again.
                self.listeners.close_tcp(self.poll.registry());
                if let Err(e) = self.listeners.bind_tcp(&self.config, self.poll.registry()) {
                    log::warn!("{e}");
                    let _ = self.listeners.bind_tcp(old, self.poll.registry());
                    return Err(reason);
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Turns propagation of writes on or off (with the append-only file).
    pub fn set_propagation(&mut self, on: bool) {
        self.propagator.set_enabled(on);
        self.sync_expired_log();
    }

    /// Keys deleted by expiry are logged while something reads the log:
    /// propagation, WATCH, which such a deletion may break, or a blocked
    /// client (a consumer blocked on a stream that expired is told so).
    pub(crate) fn sync_expired_log(&mut self) {
        let on =
            self.propagator.is_enabled() || !self.watches.is_empty() || !self.blocking.is_empty();
        for db in &mut self.dbs {
            db.log_expired = on;
            if !on {
                db.expired_log.clear();
            }
        }
    }

    /// Handles the keys expiry deleted since the last call: each touches
    /// its watchers and is propagated as a `DEL` in its database (Redis's
    /// `propagateDeletion` with lazyfree off), with the running call's
    /// propagation when there is one.
    pub fn propagate_expired(&mut self) {
        if self.dbs.iter().all(|db| db.expired_log.is_empty()) {
            return;
        }
        let verb = self.expiry_deletion();
        for db in 0..self.dbs.len() {
            if self.dbs[db].expired_log.is_empty() {
                continue;
            }
            let mut keys = std::mem::take(&mut self.dbs[db].expired_log);
            for key in keys.drain(..) {
                self.touch_watched_key(db, key.as_slice());
                self.signal_key_as_ready(db, key.as_slice());
                self.propagator.propagate_deletion(db, verb, key.as_slice());
            }
            // Keep the allocation for the next deletions.
            if self.dbs[db].expired_log.is_empty() {
                self.dbs[db].expired_log = keys;
            }
        }
    }

    /// How a deletion caused by expiry is propagated (`lazyfree-lazy-expire`).
    pub fn expiry_deletion(&self) -> &'static [u8] {
        if self.config.lazyfree_lazy_expire {
            b"UNLINK"
        } else {
            b"DEL"
        }
    }

    /// Keys deleted because their time passed, since the stats were reset.
    pub fn expired_keys(&self) -> u64 {
        self.dbs.iter().map(|db| db.expired).sum()
    }

    /// `CONFIG RESETSTAT`: zero every counter Redis zeroes.
    pub fn reset_stats(&mut self) {
        self.stats.reset();
        for db in &mut self.dbs {
            db.expired = 0;
        }
        self.expire.time_cap_reached = 0;
        self.expire.cpu_us = 0;
        self.expire.stale_perc = 0.0;
        if let Some(lf) = &self.lazyfree {
            lf.reset_stats();
        }
        self.evict.reset_stats();
    }

    /// Seconds since start.
    pub fn uptime_secs(&self) -> u64 {
        (self.clock.now_ms.saturating_sub(self.start_ms)) / 1000
    }
}

/// A small, fast random number generator for sampling (xorshift64*): keys
/// for RANDOMKEY, active expiry and the LFU counter's coin flips.
pub fn next_random(state: &mut u64) -> u64 {
    let mut x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    x.wrapping_mul(0x2545_F491_4F6C_DD1D)
}

/// 40 random hex digits, as Redis's run id and replication id.
pub(crate) fn random_hex40() -> String {
    let mut bytes = [0u8; 20];
    if std::fs::File::open("/dev/urandom")
        .and_then(|mut f| io::Read::read_exact(&mut f, &mut bytes))
        .is_err()
    {
        // No /dev/urandom: the id only has to differ between runs.
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        for (i, b) in bytes.iter_mut().enumerate() {
            *b = (seed >> ((i % 16) * 8)) as u8 ^ (std::process::id() as u8).wrapping_mul(i as u8);
        }
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn executable_path() -> String {
    std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}
