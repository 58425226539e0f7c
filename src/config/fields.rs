//! The typed fields the rest of the server reads, recomputed from the
//! value store after every load and CONFIG SET.

use super::table::Value;
use super::values::current_dir_string;
use super::{AppendFsync, Config, LogLevel, MaxmemoryPolicy, Supervised};

impl Config {
    /// Recompute the typed fields from the value store.
    pub(super) fn sync(&mut self) {
        let clamp_u32 = |v: i64| u32::try_from(v.max(0)).unwrap_or(u32::MAX);
        self.port = u16::try_from(self.num_or("port", 6379)).unwrap_or(6379);
        self.bind = match self.value("bind") {
            Some(Value::Bind(a)) => a
                .iter()
                .map(|x| String::from_utf8_lossy(x).into_owned())
                .collect(),
            _ => Vec::new(),
        };
        self.tcp_backlog = i32::try_from(self.num_or("tcp-backlog", 511)).unwrap_or(i32::MAX);
        self.tcp_keepalive = clamp_u32(self.num_or("tcp-keepalive", 300));
        self.timeout = self.num_or("timeout", 0).max(0) as u64;
        self.unixsocket = self.text("unixsocket");
        self.unixsocketperm = clamp_u32(self.num_or("unixsocketperm", 0));
        self.protected_mode = self.flag_or("protected-mode");
        self.databases = self.num_or("databases", 16).max(1) as usize;
        self.maxclients = self.num_or("maxclients", 10000).max(1) as usize;
        self.hz = clamp_u32(self.num_or("hz", 10));
        self.dynamic_hz = self.flag_or("dynamic-hz");
        self.requirepass = self.bytes("requirepass");
        self.masterauth = self.bytes("masterauth");
        self.proto_max_bulk_len = self.num_or("proto-max-bulk-len", 512 << 20);
        self.client_query_buffer_limit = self.num_or("client-query-buffer-limit", 1 << 30) as u64;
        self.pidfile = self.text("pidfile");
        self.logfile = self.text("logfile");
        self.loglevel = match self.enum_value("loglevel") {
            0 => LogLevel::Debug,
            1 => LogLevel::Verbose,
            3 => LogLevel::Warning,
            _ => LogLevel::Notice,
        };
        self.daemonize = self.flag_or("daemonize");
        self.always_show_logo = self.flag_or("always-show-logo");
        self.supervised = match self.enum_value("supervised") {
            1 => Supervised::Upstart,
            2 => Supervised::Systemd,
            3 => Supervised::Auto,
            _ => Supervised::No,
        };
        self.dir = current_dir_string();
        self.dbfilename = self.text("dbfilename");
        self.save_params = match self.value("save") {
            Some(Value::Save(v)) => v
                .iter()
                .map(|&(s, c)| (s.max(0) as u64, c.max(0) as u64))
                .collect(),
            _ => Vec::new(),
        };
        self.appendonly = self.flag_or("appendonly");
        self.appendfilename = self.text("appendfilename");
        self.appenddirname = self.text("appenddirname");
        self.appendfsync = match self.enum_value("appendfsync") {
            0 => AppendFsync::Always,
            2 => AppendFsync::No,
            _ => AppendFsync::Everysec,
        };
        self.maxmemory = self.num_or("maxmemory", 0) as u64;
        self.maxmemory_clients = self.num_or("maxmemory-clients", 0);
        self.maxmemory_policy = match self.enum_value("maxmemory-policy") {
            0 => MaxmemoryPolicy::VolatileLru,
            1 => MaxmemoryPolicy::VolatileLfu,
            2 => MaxmemoryPolicy::VolatileRandom,
            3 => MaxmemoryPolicy::VolatileTtl,
            4 => MaxmemoryPolicy::AllkeysLru,
            5 => MaxmemoryPolicy::AllkeysLfu,
            6 => MaxmemoryPolicy::AllkeysRandom,
            _ => MaxmemoryPolicy::NoEviction,
        };
        self.maxmemory_samples = clamp_u32(self.num_or("maxmemory-samples", 5));
        self.maxmemory_eviction_tenacity =
            clamp_u32(self.num_or("maxmemory-eviction-tenacity", 10));
        self.lua_time_limit = self.num_or("busy-reply-threshold", 5000);
        self.slowlog_log_slower_than = self.num_or("slowlog-log-slower-than", 10000);
        self.slowlog_max_len = self.num_or("slowlog-max-len", 128).max(0) as u64;
        self.latency_monitor_threshold = self.num_or("latency-monitor-threshold", 0).max(0) as u64;
        self.io_threads = clamp_u32(self.num_or("io-threads", 1));
        self.rdbcompression = self.flag_or("rdbcompression");
        self.rdbchecksum = self.flag_or("rdbchecksum");
        self.stop_writes_on_bgsave_error = self.flag_or("stop-writes-on-bgsave-error");
        self.notify_keyspace_events = match self.value("notify-keyspace-events") {
            Some(Value::Notify(f)) => *f,
            _ => 0,
        };
        if let Some(Value::Obuf(o)) = self.value("client-output-buffer-limit") {
            self.client_output_buffer_limits = *o;
        }
        self.replicaof = match self.value("replicaof") {
            Some(Value::ReplicaOf(Some((h, p)))) => Some((
                String::from_utf8_lossy(h).into_owned(),
                u16::try_from(*p).unwrap_or(0),
            )),
            _ => None,
        };
        self.hash_max_listpack_entries = self.num_or("hash-max-listpack-entries", 512) as usize;
        self.hash_max_listpack_value = self.num_or("hash-max-listpack-value", 64) as usize;
        self.set_max_intset_entries = self.num_or("set-max-intset-entries", 512) as usize;
        self.zset_max_listpack_entries = self.num_or("zset-max-listpack-entries", 128) as usize;
        self.zset_max_listpack_value = self.num_or("zset-max-listpack-value", 64) as usize;
        self.hll_sparse_max_bytes = self.num_or("hll-sparse-max-bytes", 3000) as usize;
        self.list_max_listpack_size =
            i32::try_from(self.num_or("list-max-listpack-size", -2)).unwrap_or(-2);
        self.list_compress_depth = clamp_u32(self.num_or("list-compress-depth", 0));
        self.stream_node_max_bytes = self.num_or("stream-node-max-bytes", 4096) as usize;
        self.stream_node_max_entries = self.num_or("stream-node-max-entries", 100);
        self.lfu_log_factor = clamp_u32(self.num_or("lfu-log-factor", 10));
        self.lfu_decay_time = clamp_u32(self.num_or("lfu-decay-time", 1));
        self.active_expire_effort = clamp_u32(self.num_or("active-expire-effort", 1));
        self.activerehashing = self.flag_or("activerehashing");
        self.lazyfree_lazy_eviction = self.flag_or("lazyfree-lazy-eviction");
        self.lazyfree_lazy_expire = self.flag_or("lazyfree-lazy-expire");
        self.lazyfree_lazy_server_del = self.flag_or("lazyfree-lazy-server-del");
        self.lazyfree_lazy_user_del = self.flag_or("lazyfree-lazy-user-del");
        self.lazyfree_lazy_user_flush = self.flag_or("lazyfree-lazy-user-flush");
        self.replica_read_only = self.flag_or("replica-read-only");
        self.acllog_max_len = self.num_or("acllog-max-len", 128).max(0) as u64;
        self.tracking_table_max_keys = self.num_or("tracking-table-max-keys", 1_000_000) as u64;
        self.latency_tracking = self.flag_or("latency-tracking");
        self.latency_tracking_info_percentiles =
            match self.value("latency-tracking-info-percentiles") {
                Some(Value::Percentiles(p)) => p.clone(),
                _ => Vec::new(),
            };
        self.shutdown_timeout = clamp_u32(self.num_or("shutdown-timeout", 10));
        self.shutdown_on_sigint = self.enum_value("shutdown-on-sigint");
        self.shutdown_on_sigterm = self.enum_value("shutdown-on-sigterm");
        self.cluster_enabled = self.flag_or("cluster-enabled");
        self.aclfile = self.text("aclfile");
        self.acl_pubsub_default_allchannels = self.enum_value("acl-pubsub-default") == 1;
    }
}
