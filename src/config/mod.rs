//! The server configuration: every Redis 7.0.15 parameter, its live value,
//! and everything that reads or writes them.
//!
//! * `table`: the parameter table (name, alias, kind, bounds, default,
//!   flags) and the live value type.
//! * `values`: each kind of value read from its text and written back.
//! * `apply`: CONFIG GET and CONFIG SET.
//! * `fields`: the typed fields the server reads.
//! * `tokens`: Redis's line tokenizer and quoting.
//! * `load`: `redis-server` arguments and config files, with Redis's fatal
//!   error block.
//! * `rewrite`: CONFIG REWRITE.
//!
//! The generic value store is the single source of truth; the typed public
//! fields the rest of the server reads are recomputed from it after every
//! successful load or CONFIG SET, so they can never drift apart.

use std::ffi::CStr;
use std::path::{Path, PathBuf};

mod apply;
mod fields;
mod load;
mod rewrite;
mod table;
mod tokens;
mod values;

pub use table::is_sensitive;
use table::{default_value, lookup, Value, OBUF_DEFAULTS, OOM_DEFAULTS, TABLE};
pub(crate) use tokens::trim;
pub use tokens::{repr, split_args};
pub use values::expand_template;
pub(crate) use values::memtoull;

/// Keyspace notification classes, as stored in `notify_keyspace_events`.
pub const NOTIFY_KEYSPACE: u32 = 1 << 0;
pub const NOTIFY_KEYEVENT: u32 = 1 << 1;
pub const NOTIFY_GENERIC: u32 = 1 << 2;
pub const NOTIFY_STRING: u32 = 1 << 3;
pub const NOTIFY_LIST: u32 = 1 << 4;
pub const NOTIFY_SET: u32 = 1 << 5;
pub const NOTIFY_HASH: u32 = 1 << 6;
pub const NOTIFY_ZSET: u32 = 1 << 7;
pub const NOTIFY_EXPIRED: u32 = 1 << 8;
pub const NOTIFY_EVICTED: u32 = 1 << 9;
pub const NOTIFY_STREAM: u32 = 1 << 10;
pub const NOTIFY_KEY_MISS: u32 = 1 << 11;
pub const NOTIFY_MODULE: u32 = 1 << 13;
pub const NOTIFY_NEW: u32 = 1 << 14;
/// What `A` stands for (note: neither `m` nor `n`).
pub const NOTIFY_ALL: u32 = NOTIFY_GENERIC
    | NOTIFY_STRING
    | NOTIFY_LIST
    | NOTIFY_SET
    | NOTIFY_HASH
    | NOTIFY_ZSET
    | NOTIFY_EXPIRED
    | NOTIFY_EVICTED
    | NOTIFY_STREAM
    | NOTIFY_MODULE;

/// Bits of `shutdown-on-sigint` / `shutdown-on-sigterm`.
pub const SHUTDOWN_SAVE: i32 = 1;
pub const SHUTDOWN_NOSAVE: i32 = 2;
pub const SHUTDOWN_NOW: i32 = 4;
pub const SHUTDOWN_FORCE: i32 = 8;

/// Server log verbosity. Redis 7.0 accepts only the first four names;
/// `Nothing` exists for callers that want to silence logging entirely.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Debug,
    Verbose,
    Notice,
    Warning,
    Nothing,
}

/// `appendfsync` policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppendFsync {
    Always,
    Everysec,
    No,
}

/// `maxmemory-policy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaxmemoryPolicy {
    VolatileLru,
    VolatileLfu,
    VolatileRandom,
    VolatileTtl,
    AllkeysLru,
    AllkeysLfu,
    AllkeysRandom,
    NoEviction,
}

impl MaxmemoryPolicy {
    /// The policy's name, as `maxmemory-policy` spells it.
    pub fn name(self) -> &'static str {
        match self {
            MaxmemoryPolicy::VolatileLru => "volatile-lru",
            MaxmemoryPolicy::VolatileLfu => "volatile-lfu",
            MaxmemoryPolicy::VolatileRandom => "volatile-random",
            MaxmemoryPolicy::VolatileTtl => "volatile-ttl",
            MaxmemoryPolicy::AllkeysLru => "allkeys-lru",
            MaxmemoryPolicy::AllkeysLfu => "allkeys-lfu",
            MaxmemoryPolicy::AllkeysRandom => "allkeys-random",
            MaxmemoryPolicy::NoEviction => "noeviction",
        }
    }

    /// Whether keys carry an LFU counter instead of an access time.
    pub fn is_lfu(self) -> bool {
        matches!(
            self,
            MaxmemoryPolicy::VolatileLfu | MaxmemoryPolicy::AllkeysLfu
        )
    }

    /// Whether the policy evicts by recency or frequency, which stops Redis
    /// from sharing small integer objects (`MAXMEMORY_FLAG_NO_SHARED_INTEGERS`).
    pub fn uses_lru_or_lfu(self) -> bool {
        self.is_lfu()
            || matches!(
                self,
                MaxmemoryPolicy::VolatileLru | MaxmemoryPolicy::AllkeysLru
            )
    }
}

/// One class of `client-output-buffer-limit` (normal, replica, pubsub).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientBufferLimit {
    pub hard_limit_bytes: u64,
    pub soft_limit_bytes: u64,
    pub soft_limit_seconds: i64,
}

/// The `supervised` modes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Supervised {
    No,
    Upstart,
    Systemd,
    Auto,
}

/// The whole server configuration.
#[derive(Clone, Debug)]
pub struct Config {
    values: Vec<Value>,
    config_file: Option<PathBuf>,
    /// `rename-command old new` directives, in file order; the server checks
    /// the command names and applies them (an empty `new` removes it).
    pub rename_commands: Vec<(Vec<u8>, Vec<u8>)>,
    /// Arguments of each `user` directive (without the word `user`).
    pub users: Vec<Vec<Vec<u8>>>,
    /// Arguments of each `loadmodule` directive (path first).
    pub loadmodules: Vec<Vec<Vec<u8>>>,

    pub port: u16,
    pub bind: Vec<String>,
    pub tcp_backlog: i32,
    pub tcp_keepalive: u32,
    /// Client idle timeout in seconds, 0 = never.
    pub timeout: u64,
    /// Empty = no unix socket.
    pub unixsocket: String,
    pub unixsocketperm: u32,
    pub protected_mode: bool,
    pub databases: usize,
    pub maxclients: usize,
    /// Already clamped to 1..=500 as Redis does.
    pub hz: u32,
    pub dynamic_hz: bool,
    pub requirepass: Option<Vec<u8>>,
    pub masterauth: Option<Vec<u8>>,
    pub proto_max_bulk_len: i64,
    pub client_query_buffer_limit: u64,
    /// Empty = no pidfile.
    pub pidfile: String,
    /// Empty = log to stdout.
    pub logfile: String,
    pub loglevel: LogLevel,
    pub daemonize: bool,
    pub always_show_logo: bool,
    /// `supervised`: how to tell a supervisor the server is ready.
    pub supervised: Supervised,
    /// Absolute working directory.
    pub dir: String,
    pub dbfilename: String,
    pub save_params: Vec<(u64, u64)>,
    pub appendonly: bool,
    pub appendfilename: String,
    pub appenddirname: String,
    pub appendfsync: AppendFsync,
    pub maxmemory: u64,
    /// `maxmemory-clients`: bytes, or a percentage of maxmemory when
    /// negative, as Redis stores it; 0 is off.
    pub maxmemory_clients: i64,
    pub maxmemory_policy: MaxmemoryPolicy,
    pub maxmemory_samples: u32,
    pub maxmemory_eviction_tenacity: u32,
    /// `busy-reply-threshold`, in milliseconds.
    pub lua_time_limit: i64,
    pub slowlog_log_slower_than: i64,
    pub slowlog_max_len: u64,
    pub latency_monitor_threshold: u64,
    pub io_threads: u32,
    pub rdbcompression: bool,
    pub rdbchecksum: bool,
    pub stop_writes_on_bgsave_error: bool,
    /// `NOTIFY_*` bits.
    pub notify_keyspace_events: u32,
    /// Indexed normal, replica, pubsub.
    pub client_output_buffer_limits: [ClientBufferLimit; 3],
    pub replicaof: Option<(String, u16)>,
    pub hash_max_listpack_entries: usize,
    pub hash_max_listpack_value: usize,
    pub set_max_intset_entries: usize,
    pub zset_max_listpack_entries: usize,
    pub zset_max_listpack_value: usize,
    /// Longest sparse HyperLogLog string before it turns dense.
    pub hll_sparse_max_bytes: usize,
    pub list_max_listpack_size: i32,
    pub list_compress_depth: u32,
    pub stream_node_max_bytes: usize,
    pub stream_node_max_entries: i64,
    pub lfu_log_factor: u32,
    pub lfu_decay_time: u32,
    pub active_expire_effort: u32,
    pub activerehashing: bool,
    pub lazyfree_lazy_eviction: bool,
    pub lazyfree_lazy_expire: bool,
    pub lazyfree_lazy_server_del: bool,
    pub lazyfree_lazy_user_del: bool,
    pub lazyfree_lazy_user_flush: bool,
    pub replica_read_only: bool,
    pub acllog_max_len: u64,
    pub tracking_table_max_keys: u64,
    pub latency_tracking: bool,
    pub latency_tracking_info_percentiles: Vec<f64>,
    pub shutdown_timeout: u32,
    /// `SHUTDOWN_*` bits.
    pub shutdown_on_sigint: i32,
    pub shutdown_on_sigterm: i32,
    pub cluster_enabled: bool,
    pub aclfile: String,
    pub acl_pubsub_default_allchannels: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config::new()
    }
}

impl Config {
    /// Redis 7.0 defaults.
    pub fn new() -> Config {
        let mut c = Config {
            values: TABLE.iter().map(default_value).collect(),
            config_file: None,
            rename_commands: Vec::new(),
            users: Vec::new(),
            loadmodules: Vec::new(),
            port: 0,
            bind: Vec::new(),
            tcp_backlog: 0,
            tcp_keepalive: 0,
            timeout: 0,
            unixsocket: String::new(),
            unixsocketperm: 0,
            protected_mode: false,
            databases: 0,
            maxclients: 0,
            hz: 0,
            dynamic_hz: false,
            requirepass: None,
            masterauth: None,
            proto_max_bulk_len: 0,
            client_query_buffer_limit: 0,
            pidfile: String::new(),
            logfile: String::new(),
            loglevel: LogLevel::Notice,
            daemonize: false,
            always_show_logo: false,
            supervised: Supervised::No,
            dir: String::new(),
            dbfilename: String::new(),
            save_params: Vec::new(),
            appendonly: false,
            appendfilename: String::new(),
            appenddirname: String::new(),
            appendfsync: AppendFsync::Everysec,
            maxmemory: 0,
            maxmemory_clients: 0,
            maxmemory_policy: MaxmemoryPolicy::NoEviction,
            maxmemory_samples: 0,
            maxmemory_eviction_tenacity: 0,
            lua_time_limit: 0,
            slowlog_log_slower_than: 0,
            slowlog_max_len: 0,
            latency_monitor_threshold: 0,
            io_threads: 0,
            rdbcompression: false,
            rdbchecksum: false,
            stop_writes_on_bgsave_error: false,
            notify_keyspace_events: 0,
            client_output_buffer_limits: OBUF_DEFAULTS,
            replicaof: None,
            hash_max_listpack_entries: 0,
            hash_max_listpack_value: 0,
            set_max_intset_entries: 0,
            zset_max_listpack_entries: 0,
            zset_max_listpack_value: 0,
            hll_sparse_max_bytes: 0,
            list_max_listpack_size: 0,
            list_compress_depth: 0,
            stream_node_max_bytes: 0,
            stream_node_max_entries: 0,
            lfu_log_factor: 0,
            lfu_decay_time: 0,
            active_expire_effort: 0,
            activerehashing: false,
            lazyfree_lazy_eviction: false,
            lazyfree_lazy_expire: false,
            lazyfree_lazy_server_del: false,
            lazyfree_lazy_user_del: false,
            lazyfree_lazy_user_flush: false,
            replica_read_only: false,
            acllog_max_len: 0,
            tracking_table_max_keys: 0,
            latency_tracking: false,
            latency_tracking_info_percentiles: Vec::new(),
            shutdown_timeout: 0,
            shutdown_on_sigint: 0,
            shutdown_on_sigterm: 0,
            cluster_enabled: false,
            aclfile: String::new(),
            acl_pubsub_default_allchannels: false,
        };
        c.sync();
        c
    }

    /// Absolute path of the config file, if one was given.
    pub fn config_file(&self) -> Option<&Path> {
        self.config_file.as_deref()
    }

    fn index(name: &str) -> usize {
        TABLE
            .iter()
            .position(|p| p.name == name)
            .unwrap_or(usize::MAX)
    }

    fn value(&self, name: &str) -> Option<&Value> {
        self.values.get(Config::index(name))
    }

    /// The numeric value of a numeric parameter (percentages are negative,
    /// as Redis stores them), or `None` for other kinds or unknown names.
    pub fn number(&self, name: &str) -> Option<i64> {
        match self.value(name) {
            Some(Value::Num(n)) => Some(*n),
            _ => None,
        }
    }

    /// The value of a yes/no parameter.
    /// `oom-score-adj` (0 no, 1 relative, 2 absolute) and the values of
    /// `oom-score-adj-values` (server, replica, background child).
    pub fn oom_score_adj(&self) -> (i32, [i32; 3]) {
        let values = match self.value("oom-score-adj-values") {
            Some(Value::Oom(v)) => *v,
            _ => OOM_DEFAULTS,
        };
        (self.enum_value("oom-score-adj"), values)
    }

    pub fn flag(&self, name: &str) -> Option<bool> {
        match self.value(name) {
            Some(Value::Bool(b)) => Some(*b),
            _ => None,
        }
    }

    /// CONFIG GET's rendering of one parameter (canonical or alias name).
    pub fn value_of(&self, name: &[u8]) -> Option<Vec<u8>> {
        lookup(name).map(|e| self.value_bytes(e.idx))
    }

    fn num_or(&self, name: &str, fallback: i64) -> i64 {
        self.number(name).unwrap_or(fallback)
    }

    fn flag_or(&self, name: &str) -> bool {
        self.flag(name).unwrap_or(false)
    }

    fn enum_value(&self, name: &str) -> i32 {
        match self.value(name) {
            Some(Value::Enum(v)) => *v,
            _ => 0,
        }
    }

    /// A string parameter's value (empty when unset).
    pub fn text(&self, name: &str) -> String {
        match self.value(name) {
            Some(Value::Str(Some(s))) => String::from_utf8_lossy(s).into_owned(),
            _ => String::new(),
        }
    }

    fn bytes(&self, name: &str) -> Option<Vec<u8>> {
        match self.value(name) {
            Some(Value::Str(s)) => s.clone(),
            _ => None,
        }
    }
}

/// The C library's message for an OS error, without Rust's "(os error N)".
pub fn strerror(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(code) => {
            // SAFETY: strerror returns a pointer to a NUL-terminated static
            // (or thread-local) message; we copy it out immediately.
            let msg = unsafe { CStr::from_ptr(libc::strerror(code)) };
            msg.to_string_lossy().into_owned()
        }
        None => e.to_string(),
    }
}

/// Helpers the configuration's unit tests share.
#[cfg(test)]
mod test_util {
    use super::*;
    use std::fs;

    pub(super) fn set(c: &mut Config, args: &[&str]) -> Result<Vec<&'static str>, String> {
        let a: Vec<&[u8]> = args.iter().map(|s| s.as_bytes()).collect();
        c.set(&a)
    }

    pub(super) fn get1(c: &Config, name: &str) -> String {
        let v = c.get(&[name.as_bytes()]);
        assert_eq!(v.len(), 1, "{name}");
        String::from_utf8(v[0].1.clone()).unwrap_or_default()
    }

    pub(super) fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    /// A scratch file under the system temp dir, unique per test.
    pub(super) fn temp_file(tag: &str, content: &str) -> PathBuf {
        let p =
            std::env::temp_dir().join(format!("ferrodis-cfg-{}-{tag}.conf", std::process::id()));
        fs::write(&p, content).expect("write temp config");
        p
    }

    pub(super) fn set_err(c: &mut Config, name: &str, value: &str) -> String {
        set(c, &[name, value]).expect_err("should fail")
    }
}
