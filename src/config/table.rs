//! The parameter table: every parameter Redis 7.0.15 knows, with its
//! alias, kind (and so how it is parsed, shown and rewritten), bounds,
//! default and flags, and the live value a parameter holds.

use super::{ClientBufferLimit, SHUTDOWN_FORCE, SHUTDOWN_NOSAVE, SHUTDOWN_NOW, SHUTDOWN_SAVE};

const INT_MIN: i64 = i32::MIN as i64;
const INT_MAX: i64 = i32::MAX as i64;
const UINT_MAX: i64 = u32::MAX as i64;
const LONG_MAX: i64 = i64::MAX;
const ULLONG_MAX: i64 = -1; // u64::MAX seen through a signed bound, as in C

/// Parameter flags.
pub(super) const IMMUTABLE: u8 = 1;
const SENSITIVE: u8 = 2;
pub(super) const HIDDEN: u8 = 4;
pub(super) const PROTECTED: u8 = 8;
pub(super) const MULTI_ARG: u8 = 16;

/// Numeric presentation flags.
pub(super) const MEM: u8 = 1;
pub(super) const PCT: u8 = 2;
pub(super) const OCT: u8 = 4;

pub(super) const OBUF_CLASSES: [&str; 3] = ["normal", "slave", "pubsub"];
pub(super) const OBUF_DEFAULTS: [ClientBufferLimit; 3] = [
    ClientBufferLimit {
        hard_limit_bytes: 0,
        soft_limit_bytes: 0,
        soft_limit_seconds: 0,
    },
    ClientBufferLimit {
        hard_limit_bytes: 256 << 20,
        soft_limit_bytes: 64 << 20,
        soft_limit_seconds: 60,
    },
    ClientBufferLimit {
        hard_limit_bytes: 32 << 20,
        soft_limit_bytes: 8 << 20,
        soft_limit_seconds: 60,
    },
];
pub(super) const OOM_DEFAULTS: [i32; 3] = [0, 200, 800];
pub(super) const BIND_DEFAULT: [&str; 2] = ["*", "-::*"];
const SAVE_DEFAULT: [(i64, i32); 3] = [(3600, 1), (300, 100), (60, 10000)];
const PERCENTILES_DEFAULT: [f64; 3] = [50.0, 99.0, 99.9];
/// Extra validation some string parameters apply.
#[derive(Clone, Copy)]
pub(super) enum StrCheck {
    None,
    DbFilename,
    AofFilename,
    AofDirname,
    Hostname,
    ProcTitle,
}

/// How a parameter is parsed, shown and rewritten.
pub(super) enum Kind {
    Bool(bool),
    /// `unsigned` means bounds are compared as unsigned, like C's unsigned
    /// types; `fmt` holds `MEM`/`PCT`/`OCT`.
    Num {
        min: i64,
        max: i64,
        default: i64,
        unsigned: bool,
        fmt: u8,
    },
    /// Several names may share a value; the first one is shown. With
    /// `MULTI_ARG` the values are bit flags.
    Enum {
        names: &'static [(&'static str, i32)],
        default: i32,
    },
    /// `None` default: an empty value means "unset" (NULL in Redis).
    Str {
        default: Option<&'static str>,
        check: StrCheck,
        binary: bool,
    },
    Dir,
    Save,
    ObufLimits,
    OomValues,
    Notify,
    Bind,
    ReplicaOf,
    Percentiles,
}

pub(super) struct Param {
    pub(super) name: &'static str,
    pub(super) alias: Option<&'static str>,
    pub(super) flags: u8,
    pub(super) kind: Kind,
}

const fn boolean(name: &'static str, alias: Option<&'static str>, flags: u8, d: bool) -> Param {
    Param {
        name,
        alias,
        flags,
        kind: Kind::Bool(d),
    }
}

#[allow(clippy::too_many_arguments)]
const fn num(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u8,
    min: i64,
    max: i64,
    default: i64,
    unsigned: bool,
    fmt: u8,
) -> Param {
    Param {
        name,
        alias,
        flags,
        kind: Kind::Num {
            min,
            max,
            default,
            unsigned,
            fmt,
        },
    }
}

const fn int(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u8,
    min: i64,
    max: i64,
    d: i64,
) -> Param {
    num(name, alias, flags, min, max, d, false, 0)
}

const fn string(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u8,
    d: Option<&'static str>,
) -> Param {
    string_checked(name, alias, flags, d, StrCheck::None)
}

const fn string_checked(
    name: &'static str,
    alias: Option<&'static str>,
    flags: u8,
    default: Option<&'static str>,
    check: StrCheck,
) -> Param {
    Param {
        name,
        alias,
        flags,
        kind: Kind::Str {
            default,
            check,
            binary: false,
        },
    }
}

const fn sds(name: &'static str, flags: u8) -> Param {
    Param {
        name,
        alias: None,
        flags,
        kind: Kind::Str {
            default: None,
            check: StrCheck::None,
            binary: true,
        },
    }
}

const fn enumeration(
    name: &'static str,
    flags: u8,
    names: &'static [(&'static str, i32)],
    default: i32,
) -> Param {
    Param {
        name,
        alias: None,
        flags,
        kind: Kind::Enum { names, default },
    }
}

const fn special(name: &'static str, alias: Option<&'static str>, flags: u8, kind: Kind) -> Param {
    Param {
        name,
        alias,
        flags,
        kind,
    }
}

const PROTECTED_ACTION: &[(&str, i32)] = &[("no", 0), ("yes", 1), ("local", 2)];
const LOGLEVELS: &[(&str, i32)] = &[("debug", 0), ("verbose", 1), ("notice", 2), ("warning", 3)];
const MAXMEMORY_POLICIES: &[(&str, i32)] = &[
    ("volatile-lru", 0),
    ("volatile-lfu", 1),
    ("volatile-random", 2),
    ("volatile-ttl", 3),
    ("allkeys-lru", 4),
    ("allkeys-lfu", 5),
    ("allkeys-random", 6),
    ("noeviction", 7),
];
const APPENDFSYNC: &[(&str, i32)] = &[("everysec", 1), ("always", 0), ("no", 2)];
const SHUTDOWN_FLAGS: &[(&str, i32)] = &[
    ("default", 0),
    ("save", SHUTDOWN_SAVE),
    ("nosave", SHUTDOWN_NOSAVE),
    ("now", SHUTDOWN_NOW),
    ("force", SHUTDOWN_FORCE),
];
const SYSLOG_FACILITIES: &[(&str, i32)] = &[
    ("user", 0),
    ("local0", 1),
    ("local1", 2),
    ("local2", 3),
    ("local3", 4),
    ("local4", 5),
    ("local5", 6),
    ("local6", 7),
    ("local7", 8),
];

/// Every parameter Redis 7.0.15 knows (TLS ones included: the reference
/// build has TLS support and lists them).
pub(super) static TABLE: &[Param] = &[
    // Booleans.
    boolean("rdbchecksum", None, IMMUTABLE, true),
    boolean("daemonize", None, IMMUTABLE, false),
    boolean("io-threads-do-reads", None, IMMUTABLE, false),
    boolean("always-show-logo", None, IMMUTABLE, false),
    boolean("protected-mode", None, 0, true),
    boolean("rdbcompression", None, 0, true),
    boolean("rdb-del-sync-files", None, 0, false),
    boolean("activerehashing", None, 0, true),
    boolean("stop-writes-on-bgsave-error", None, 0, true),
    boolean("set-proc-title", None, IMMUTABLE, true),
    boolean("dynamic-hz", None, 0, true),
    boolean("lazyfree-lazy-eviction", None, 0, false),
    boolean("lazyfree-lazy-expire", None, 0, false),
    boolean("lazyfree-lazy-server-del", None, 0, false),
    boolean("lazyfree-lazy-user-del", None, 0, false),
    boolean("lazyfree-lazy-user-flush", None, 0, false),
    boolean("repl-disable-tcp-nodelay", None, 0, false),
    boolean("repl-diskless-sync", None, 0, true),
    boolean("aof-rewrite-incremental-fsync", None, 0, true),
    boolean("no-appendfsync-on-rewrite", None, 0, false),
    boolean("cluster-require-full-coverage", None, 0, true),
    boolean("rdb-save-incremental-fsync", None, 0, true),
    boolean("aof-load-truncated", None, 0, true),
    boolean("aof-use-rdb-preamble", None, 0, true),
    boolean("aof-timestamp-enabled", None, 0, false),
    boolean(
        "cluster-replica-no-failover",
        Some("cluster-slave-no-failover"),
        0,
        false,
    ),
    boolean("replica-lazy-flush", Some("slave-lazy-flush"), 0, false),
    boolean(
        "replica-serve-stale-data",
        Some("slave-serve-stale-data"),
        0,
        true,
    ),
    boolean("replica-read-only", Some("slave-read-only"), 0, true),
    boolean(
        "replica-ignore-maxmemory",
        Some("slave-ignore-maxmemory"),
        0,
        true,
    ),
    boolean("jemalloc-bg-thread", None, 0, true),
    boolean("activedefrag", None, 0, false),
    boolean("syslog-enabled", None, IMMUTABLE, false),
    boolean("cluster-enabled", None, IMMUTABLE, false),
    boolean("appendonly", None, 0, false),
    boolean("cluster-allow-reads-when-down", None, 0, false),
    boolean("cluster-allow-pubsubshard-when-down", None, 0, true),
    boolean("crash-log-enabled", None, 0, true),
    boolean("crash-memcheck-enabled", None, 0, true),
    boolean("use-exit-on-panic", None, HIDDEN, false),
    boolean("disable-thp", None, IMMUTABLE, true),
    boolean("cluster-allow-replica-migration", None, 0, true),
    boolean("replica-announced", None, 0, true),
    boolean("latency-tracking", None, 0, true),
    boolean("aof-disable-auto-gc", None, 0, false),
    boolean("replica-ignore-disk-write-errors", None, 0, false),
    // Strings.
    string("aclfile", None, IMMUTABLE, Some("")),
    string("unixsocket", None, IMMUTABLE, None),
    string("pidfile", None, IMMUTABLE, None),
    string("replica-announce-ip", Some("slave-announce-ip"), 0, None),
    string("masteruser", None, SENSITIVE, None),
    string("cluster-announce-ip", None, 0, None),
    string("cluster-config-file", None, IMMUTABLE, Some("nodes.conf")),
    string_checked(
        "cluster-announce-hostname",
        None,
        0,
        None,
        StrCheck::Hostname,
    ),
    string("syslog-ident", None, IMMUTABLE, Some("redis")),
    string_checked(
        "dbfilename",
        None,
        PROTECTED,
        Some("dump.rdb"),
        StrCheck::DbFilename,
    ),
    string_checked(
        "appendfilename",
        None,
        IMMUTABLE,
        Some("appendonly.aof"),
        StrCheck::AofFilename,
    ),
    string_checked(
        "appenddirname",
        None,
        IMMUTABLE,
        Some("appendonlydir"),
        StrCheck::AofDirname,
    ),
    string("server_cpulist", None, IMMUTABLE, None),
    string("bio_cpulist", None, IMMUTABLE, None),
    string("aof_rewrite_cpulist", None, IMMUTABLE, None),
    string("bgsave_cpulist", None, IMMUTABLE, None),
    string("ignore-warnings", None, 0, Some("")),
    string_checked(
        "proc-title-template",
        None,
        0,
        Some("{title} {listen-addr} {server-mode}"),
        StrCheck::ProcTitle,
    ),
    string("bind-source-addr", None, 0, None),
    string("logfile", None, IMMUTABLE, Some("")),
    sds("masterauth", SENSITIVE),
    sds("requirepass", SENSITIVE),
    // Enums.
    enumeration(
        "supervised",
        IMMUTABLE,
        &[("upstart", 1), ("systemd", 2), ("auto", 3), ("no", 0)],
        0,
    ),
    enumeration("syslog-facility", IMMUTABLE, SYSLOG_FACILITIES, 1),
    enumeration(
        "repl-diskless-load",
        0,
        &[("disabled", 0), ("on-empty-db", 1), ("swapdb", 2)],
        0,
    ),
    enumeration("loglevel", 0, LOGLEVELS, 2),
    enumeration("maxmemory-policy", 0, MAXMEMORY_POLICIES, 7),
    enumeration("appendfsync", 0, APPENDFSYNC, 1),
    enumeration(
        "oom-score-adj",
        0,
        &[("no", 0), ("yes", 1), ("relative", 1), ("absolute", 2)],
        0,
    ),
    enumeration(
        "acl-pubsub-default",
        0,
        &[("allchannels", 1), ("resetchannels", 0)],
        0,
    ),
    enumeration(
        "sanitize-dump-payload",
        0,
        &[("no", 0), ("yes", 1), ("clients", 2)],
        0,
    ),
    enumeration("enable-protected-configs", IMMUTABLE, PROTECTED_ACTION, 0),
    enumeration("enable-debug-command", IMMUTABLE, PROTECTED_ACTION, 0),
    enumeration("enable-module-command", IMMUTABLE, PROTECTED_ACTION, 0),
    enumeration(
        "cluster-preferred-endpoint-type",
        0,
        &[("ip", 0), ("hostname", 1), ("unknown-endpoint", 2)],
        0,
    ),
    enumeration(
        "propagation-error-behavior",
        0,
        &[("ignore", 0), ("panic", 1), ("panic-on-replicas", 2)],
        0,
    ),
    enumeration("shutdown-on-sigint", MULTI_ARG, SHUTDOWN_FLAGS, 0),
    enumeration("shutdown-on-sigterm", MULTI_ARG, SHUTDOWN_FLAGS, 0),
    // Integers (int, long, long long, time_t, off_t: signed bounds).
    int("databases", None, IMMUTABLE, 1, INT_MAX, 16),
    int("port", None, 0, 0, 65535, 6379),
    int("io-threads", None, IMMUTABLE, 1, 128, 1),
    int("auto-aof-rewrite-percentage", None, 0, 0, INT_MAX, 100),
    int(
        "cluster-replica-validity-factor",
        Some("cluster-slave-validity-factor"),
        0,
        0,
        INT_MAX,
        10,
    ),
    int(
        "list-max-listpack-size",
        Some("list-max-ziplist-size"),
        0,
        INT_MIN,
        INT_MAX,
        -2,
    ),
    int("tcp-keepalive", None, 0, 0, INT_MAX, 300),
    int("cluster-migration-barrier", None, 0, 0, INT_MAX, 1),
    int("active-defrag-cycle-min", None, 0, 1, 99, 1),
    int("active-defrag-cycle-max", None, 0, 1, 99, 25),
    int("active-defrag-threshold-lower", None, 0, 0, 1000, 10),
    int("active-defrag-threshold-upper", None, 0, 0, 1000, 100),
    int("lfu-log-factor", None, 0, 0, INT_MAX, 10),
    int("lfu-decay-time", None, 0, 0, INT_MAX, 1),
    int(
        "replica-priority",
        Some("slave-priority"),
        0,
        0,
        INT_MAX,
        100,
    ),
    int("repl-diskless-sync-delay", None, 0, 0, INT_MAX, 5),
    int("maxmemory-samples", None, 0, 1, INT_MAX, 5),
    int("maxmemory-eviction-tenacity", None, 0, 0, 100, 10),
    int("timeout", None, 0, 0, INT_MAX, 0),
    int(
        "replica-announce-port",
        Some("slave-announce-port"),
        0,
        0,
        65535,
        0,
    ),
    int("tcp-backlog", None, IMMUTABLE, 0, INT_MAX, 511),
    int("cluster-port", None, IMMUTABLE, 0, 65535, 0),
    int("cluster-announce-bus-port", None, 0, 0, 65535, 0),
    int("cluster-announce-port", None, 0, 0, 65535, 0),
    int("cluster-announce-tls-port", None, 0, 0, 65535, 0),
    int("repl-timeout", None, 0, 1, INT_MAX, 60),
    int(
        "repl-ping-replica-period",
        Some("repl-ping-slave-period"),
        0,
        1,
        INT_MAX,
        10,
    ),
    int("list-compress-depth", None, 0, 0, INT_MAX, 0),
    int("rdb-key-save-delay", None, HIDDEN, INT_MIN, INT_MAX, 0),
    int("key-load-delay", None, HIDDEN, INT_MIN, INT_MAX, 0),
    int("active-expire-effort", None, 0, 1, 10, 1),
    int("hz", None, 0, 0, INT_MAX, 10),
    int(
        "min-replicas-to-write",
        Some("min-slaves-to-write"),
        0,
        0,
        INT_MAX,
        0,
    ),
    int(
        "min-replicas-max-lag",
        Some("min-slaves-max-lag"),
        0,
        0,
        INT_MAX,
        10,
    ),
    int("watchdog-period", None, HIDDEN, 0, INT_MAX, 0),
    int("shutdown-timeout", None, 0, 0, INT_MAX, 10),
    int("repl-diskless-sync-max-replicas", None, 0, 0, INT_MAX, 0),
    int("active-defrag-max-scan-fields", None, 0, 1, LONG_MAX, 1000),
    int("slowlog-max-len", None, 0, 0, LONG_MAX, 128),
    int("acllog-max-len", None, 0, 0, LONG_MAX, 128),
    int(
        "busy-reply-threshold",
        Some("lua-time-limit"),
        0,
        0,
        LONG_MAX,
        5000,
    ),
    int("cluster-node-timeout", None, 0, 0, LONG_MAX, 15000),
    int("slowlog-log-slower-than", None, 0, -1, LONG_MAX, 10000),
    int("latency-monitor-threshold", None, 0, 0, LONG_MAX, 0),
    num(
        "proto-max-bulk-len",
        None,
        0,
        1 << 20,
        LONG_MAX,
        512 << 20,
        false,
        MEM,
    ),
    int("stream-node-max-entries", None, 0, 0, LONG_MAX, 100),
    num(
        "repl-backlog-size",
        None,
        0,
        1,
        LONG_MAX,
        1 << 20,
        false,
        MEM,
    ),
    num(
        "maxmemory-clients",
        None,
        0,
        -100,
        LONG_MAX,
        0,
        false,
        MEM | PCT,
    ),
    int("repl-backlog-ttl", None, 0, 0, LONG_MAX, 3600),
    num(
        "auto-aof-rewrite-min-size",
        None,
        0,
        0,
        LONG_MAX,
        64 << 20,
        false,
        MEM,
    ),
    int(
        "loading-process-events-interval-bytes",
        None,
        HIDDEN,
        1024,
        INT_MAX,
        2 << 20,
    ),
    // Unsigned integers (unsigned int, unsigned long long, size_t).
    num("maxclients", None, 0, 1, UINT_MAX, 10000, true, 0),
    num("unixsocketperm", None, IMMUTABLE, 0, 0o777, 0, true, OCT),
    num("socket-mark-id", None, IMMUTABLE, 0, UINT_MAX, 0, true, 0),
    num("maxmemory", None, 0, 0, ULLONG_MAX, 0, true, MEM),
    num(
        "cluster-link-sendbuf-limit",
        None,
        0,
        0,
        ULLONG_MAX,
        0,
        true,
        MEM,
    ),
    num(
        "hash-max-listpack-entries",
        Some("hash-max-ziplist-entries"),
        0,
        0,
        LONG_MAX,
        512,
        true,
        0,
    ),
    num("set-max-intset-entries", None, 0, 0, LONG_MAX, 512, true, 0),
    num(
        "zset-max-listpack-entries",
        Some("zset-max-ziplist-entries"),
        0,
        0,
        LONG_MAX,
        128,
        true,
        0,
    ),
    num(
        "active-defrag-ignore-bytes",
        None,
        0,
        1,
        LONG_MAX,
        100 << 20,
        true,
        MEM,
    ),
    num(
        "hash-max-listpack-value",
        Some("hash-max-ziplist-value"),
        0,
        0,
        LONG_MAX,
        64,
        true,
        MEM,
    ),
    num(
        "stream-node-max-bytes",
        None,
        0,
        0,
        LONG_MAX,
        4096,
        true,
        MEM,
    ),
    num(
        "zset-max-listpack-value",
        Some("zset-max-ziplist-value"),
        0,
        0,
        LONG_MAX,
        64,
        true,
        MEM,
    ),
    num(
        "hll-sparse-max-bytes",
        None,
        0,
        0,
        LONG_MAX,
        3000,
        true,
        MEM,
    ),
    num(
        "tracking-table-max-keys",
        None,
        0,
        0,
        LONG_MAX,
        1_000_000,
        true,
        0,
    ),
    num(
        "client-query-buffer-limit",
        None,
        0,
        1 << 20,
        LONG_MAX,
        1 << 30,
        true,
        MEM,
    ),
    // TLS.
    int("tls-port", None, 0, 0, 65535, 0),
    int("tls-session-cache-size", None, 0, 0, INT_MAX, 20 * 1024),
    int("tls-session-cache-timeout", None, 0, 0, INT_MAX, 300),
    boolean("tls-cluster", None, 0, false),
    boolean("tls-replication", None, 0, false),
    enumeration(
        "tls-auth-clients",
        0,
        &[("no", 0), ("yes", 1), ("optional", 2)],
        1,
    ),
    boolean("tls-prefer-server-ciphers", None, 0, false),
    boolean("tls-session-caching", None, 0, true),
    string("tls-cert-file", None, 0, None),
    string("tls-key-file", None, 0, None),
    string("tls-key-file-pass", None, SENSITIVE, None),
    string("tls-client-cert-file", None, 0, None),
    string("tls-client-key-file", None, 0, None),
    string("tls-client-key-file-pass", None, SENSITIVE, None),
    string("tls-dh-params-file", None, 0, None),
    string("tls-ca-cert-file", None, 0, None),
    string("tls-ca-cert-dir", None, 0, None),
    string("tls-protocols", None, 0, None),
    string("tls-ciphers", None, 0, None),
    string("tls-ciphersuites", None, 0, None),
    // Parameters with their own syntax.
    special("dir", None, PROTECTED, Kind::Dir),
    special("save", None, MULTI_ARG, Kind::Save),
    special(
        "client-output-buffer-limit",
        None,
        MULTI_ARG,
        Kind::ObufLimits,
    ),
    special("oom-score-adj-values", None, MULTI_ARG, Kind::OomValues),
    special("notify-keyspace-events", None, 0, Kind::Notify),
    special("bind", None, MULTI_ARG, Kind::Bind),
    special(
        "replicaof",
        Some("slaveof"),
        IMMUTABLE | MULTI_ARG,
        Kind::ReplicaOf,
    ),
    special(
        "latency-tracking-info-percentiles",
        None,
        MULTI_ARG,
        Kind::Percentiles,
    ),
];

/// The live value of one parameter.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Value {
    Bool(bool),
    Num(i64),
    Enum(i32),
    Str(Option<Vec<u8>>),
    /// The working directory is the value; nothing to store.
    Dir,
    Save(Vec<(i64, i32)>),
    Obuf([ClientBufferLimit; 3]),
    Oom([i32; 3]),
    Notify(u32),
    Bind(Vec<Vec<u8>>),
    ReplicaOf(Option<(Vec<u8>, i32)>),
    Percentiles(Vec<f64>),
}

pub(super) fn default_value(p: &Param) -> Value {
    match p.kind {
        Kind::Bool(d) => Value::Bool(d),
        Kind::Num { default, .. } => Value::Num(default),
        Kind::Enum { default, .. } => Value::Enum(default),
        Kind::Str { default, .. } => Value::Str(default.map(|d| d.as_bytes().to_vec())),
        Kind::Dir => Value::Dir,
        Kind::Save => Value::Save(SAVE_DEFAULT.to_vec()),
        Kind::ObufLimits => Value::Obuf(OBUF_DEFAULTS),
        Kind::OomValues => Value::Oom(OOM_DEFAULTS),
        Kind::Notify => Value::Notify(0),
        Kind::Bind => Value::Bind(BIND_DEFAULT.iter().map(|a| a.as_bytes().to_vec()).collect()),
        Kind::ReplicaOf => Value::ReplicaOf(None),
        Kind::Percentiles => Value::Percentiles(PERCENTILES_DEFAULT.to_vec()),
    }
}

/// A name a parameter answers to: its own, or its alias (Redis registers the
/// alias as a separate entry, which shows in CONFIG GET and CONFIG SET).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) struct Entry {
    pub(super) idx: usize,
    pub(super) alias: bool,
}

impl Entry {
    pub(super) fn param(self) -> &'static Param {
        &TABLE[self.idx]
    }

    pub(super) fn name(self) -> &'static str {
        let p = self.param();
        match (self.alias, p.alias) {
            (true, Some(a)) => a,
            _ => p.name,
        }
    }
}

pub(super) fn entries() -> impl Iterator<Item = Entry> {
    TABLE.iter().enumerate().flat_map(|(idx, p)| {
        let alias = p.alias.map(|_| Entry { idx, alias: true });
        std::iter::once(Entry { idx, alias: false }).chain(alias)
    })
}

pub(super) fn lookup(name: &[u8]) -> Option<Entry> {
    entries().find(|e| e.name().as_bytes().eq_ignore_ascii_case(name))
}

/// Whether a parameter's value must be hidden from logs, SLOWLOG and MONITOR.
pub fn is_sensitive(name: &[u8]) -> bool {
    lookup(name).is_some_and(|e| e.param().flags & SENSITIVE != 0)
}

#[cfg(test)]
mod tests {
    use crate::config::test_util::*;
    use crate::config::{AppendFsync, Config, LogLevel};

    #[test]
    fn defaults_match_redis() {
        let c = Config::new();
        let all = c.get(&[b"*"]);
        assert_eq!(all.len(), 192);
        assert_eq!(get1(&c, "bind"), "* -::*");
        assert_eq!(get1(&c, "save"), "3600 1 300 100 60 10000");
        assert_eq!(
            get1(&c, "client-output-buffer-limit"),
            "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"
        );
        assert_eq!(get1(&c, "maxclients"), "10000");
        assert_eq!(get1(&c, "proto-max-bulk-len"), "536870912");
        assert_eq!(get1(&c, "oom-score-adj-values"), "0 200 800");
        assert_eq!(get1(&c, "latency-tracking-info-percentiles"), "50 99 99.9");
        assert_eq!(
            get1(&c, "proc-title-template"),
            "{title} {listen-addr} {server-mode}"
        );
        assert_eq!(get1(&c, "unixsocketperm"), "0");
        assert_eq!(get1(&c, "appendfsync"), "everysec");
        assert_eq!(get1(&c, "slaveof"), "");
        assert_eq!(get1(&c, "requirepass"), "");
        assert!(get1(&c, "dir").starts_with('/'));
        assert_eq!(c.port, 6379);
        assert_eq!(c.bind, vec!["*".to_string(), "-::*".to_string()]);
        assert_eq!(c.save_params, vec![(3600, 1), (300, 100), (60, 10000)]);
        assert_eq!(c.loglevel, LogLevel::Notice);
        assert_eq!(c.appendfsync, AppendFsync::Everysec);
        assert_eq!(c.databases, 16);
        assert_eq!(c.hz, 10);
        assert_eq!(c.tcp_backlog, 511);
        assert_eq!(c.requirepass, None);
        assert!(c.config_file().is_none());
    }
}
