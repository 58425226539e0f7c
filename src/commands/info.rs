//! `INFO`: Redis 7.0's sections and field names, in Redis's order.
//!
//! Monitoring tools and client libraries parse these fields by name, so every
//! field Redis 7.0 prints is printed here too, with ferrodis's real values
//! where it has them and Redis's idle values (0, `ok`, -1) for subsystems
//! that have nothing to report.

use std::fmt::Write as _;

use super::{Args, CmdResult};
use crate::server::aof::AofStatus;
use crate::server::client::Client;
use crate::server::{memory, Server, REDIS_VERSION};

/// Section names in output order, and whether `INFO` with no argument shows them.
const SECTIONS: &[(&str, bool)] = &[
    ("server", true),
    ("clients", true),
    ("memory", true),
    ("persistence", true),
    ("stats", true),
    ("replication", true),
    ("cpu", true),
    ("modules", true),
    ("commandstats", false),
    ("errorstats", true),
    ("latencystats", false),
    ("cluster", true),
    ("keyspace", true),
];

/// `INFO [section ...]`
pub fn info(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let mut wanted = [false; SECTIONS.len()];
    if args.len() == 1 {
        for (i, (_, default)) in SECTIONS.iter().enumerate() {
            wanted[i] = *default;
        }
    }
    for arg in args.iter().skip(1) {
        let arg = arg.to_ascii_lowercase();
        for (i, (name, default)) in SECTIONS.iter().enumerate() {
            let hit = match arg.as_slice() {
                b"all" | b"everything" => true,
                b"default" => *default,
                other => other == name.as_bytes(),
            };
            wanted[i] |= hit;
        }
    }
    let out = sections(srv, c, &wanted);
    c.reply.verbatim(out.as_bytes());
    Ok(())
}

/// Every section's text, as `INFO ALL` gives it (for the crash report).
pub(crate) fn all_sections(srv: &Server, c: &Client) -> String {
    sections(srv, c, &[true; SECTIONS.len()])
}

fn sections(srv: &Server, c: &Client, wanted: &[bool; SECTIONS.len()]) -> String {
    let mut out = String::with_capacity(4096);
    for (i, (name, _)) in SECTIONS.iter().enumerate() {
        if !wanted[i] {
            continue;
        }
        if !out.is_empty() {
            out.push_str("\r\n");
        }
        write_section(srv, c, name, &mut out);
    }
    out
}

/// Appends `name:value\r\n` lines.
macro_rules! fields {
    ($out:expr, $($name:literal => $value:expr),* $(,)?) => {
        $( let _ = write!($out, concat!($name, ":{}\r\n"), $value); )*
    };
}

fn write_section(srv: &Server, me: &Client, name: &str, out: &mut String) {
    match name {
        "server" => server(srv, out),
        "clients" => clients(srv, me, out),
        "memory" => memory_section(srv, me, out),
        "persistence" => persistence(srv, out),
        "stats" => stats(srv, out),
        "replication" => replication(srv, out),
        "cpu" => cpu(out),
        "modules" => out.push_str("# Modules\r\n"),
        "commandstats" => commandstats(srv, out),
        "errorstats" => errorstats(srv, out),
        "latencystats" => latencystats(srv, out),
        "cluster" => out.push_str("# Cluster\r\ncluster_enabled:0\r\n"),
        _ => keyspace(srv, out),
    }
}

fn uname() -> String {
    // SAFETY: uname fills the zeroed struct we own; its fields are NUL-terminated.
    unsafe {
        let mut u: libc::utsname = std::mem::zeroed();
        if libc::uname(&mut u) != 0 {
            return String::new();
        }
        let field = |f: &[libc::c_char]| {
            std::ffi::CStr::from_ptr(f.as_ptr())
                .to_string_lossy()
                .into_owned()
        };
        format!(
            "{} {} {}",
            field(&u.sysname),
            field(&u.release),
            field(&u.machine)
        )
    }
}

fn server(srv: &Server, out: &mut String) {
    out.push_str("# Server\r\n");
    let uptime = srv.uptime_secs();
    fields!(out,
        "redis_version" => REDIS_VERSION,
        "redis_git_sha1" => "00000000",
        "redis_git_dirty" => 0,
        "redis_build_id" => concat!("ferrodis-", env!("CARGO_PKG_VERSION")),
        "redis_mode" => "standalone",
        "os" => uname(),
        "arch_bits" => usize::BITS,
        "monotonic_clock" => "POSIX clock_gettime",
        "multiplexing_api" => "epoll",
        "atomicvar_api" => "c11-builtin",
        "gcc_version" => "0.0.0",
        "process_id" => std::process::id(),
        "process_supervised" => "no",
        "run_id" => srv.run_id,
        "tcp_port" => srv.port(),
        "server_time_usec" => srv.clock.now_us,
        "uptime_in_seconds" => uptime,
        "uptime_in_days" => uptime / 86400,
        "hz" => srv.hz,
        "configured_hz" => srv.config.hz,
        "lru_clock" => (srv.clock.now_ms / 1000) & ((1 << 24) - 1),
        "executable" => srv.executable,
        "config_file" => srv.config.config_file().map(|p| p.display().to_string()).unwrap_or_default(),
        "io_threads_active" => 0,
    );
}

fn clients(srv: &Server, me: &Client, out: &mut String) {
    out.push_str("# Clients\r\n");
    let all = || srv.other_clients().chain(std::iter::once(me));
    let max_in = all().map(|c| c.query.data.len()).max().unwrap_or(0);
    // Redis counts its reply list only, not the reply buffer proper.
    let max_out = all()
        .map(|c| c.reply.capacity().saturating_sub(c.reply.size()))
        .max()
        .unwrap_or(0);
    fields!(out,
        "connected_clients" => srv.client_count(),
        "cluster_connections" => 0,
        "maxclients" => srv.config.maxclients,
        "client_recent_max_input_buffer" => max_in,
        "client_recent_max_output_buffer" => max_out,
        "blocked_clients" => srv.blocking.len(),
        "tracking_clients" => srv.tracking.client_count(),
        "clients_in_timeout_table" => srv.blocking.with_deadline(),
    );
}

fn memory_section(srv: &Server, me: &Client, out: &mut String) {
    out.push_str("# Memory\r\n");
    let used = memory::used() as u64;
    let peak = (memory::peak() as u64).max(used);
    let rss = memory::rss() as u64;
    let total = memory::total_system();
    let o = srv.memory_overhead(me);
    let clients_mem = o.clients_normal;
    let startup = o.startup;
    let overhead = o.total.min(used);
    let dataset = used - overhead;
    let pct = |a: u64, b: u64| {
        if b == 0 {
            0.0
        } else {
            a as f64 * 100.0 / b as f64
        }
    };
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let lua = srv.scripting.lua_memory() as u64;
    let scripts = srv.scripting.cache_bytes() as u64;
    let libs = srv.functions.libraries();
    let vm_functions = srv.functions.vm_memory() as u64;
    let functions = libs.overhead() as u64;
    fields!(out,
        "used_memory" => used,
        "used_memory_human" => memory::human(used),
        "used_memory_rss" => rss,
        "used_memory_rss_human" => memory::human(rss),
        "used_memory_peak" => peak,
        "used_memory_peak_human" => memory::human(peak),
        "used_memory_peak_perc" => format!("{:.2}%", pct(used, peak)),
        "used_memory_overhead" => overhead,
        "used_memory_startup" => startup,
        "used_memory_dataset" => dataset,
        "used_memory_dataset_perc" => format!("{:.2}%", pct(dataset, used.saturating_sub(startup))),
        "allocator_allocated" => used,
        "allocator_active" => used,
        "allocator_resident" => rss,
        "total_system_memory" => total,
        "total_system_memory_human" => memory::human(total),
        "used_memory_lua" => lua,
        "used_memory_vm_eval" => lua,
        "used_memory_lua_human" => memory::human(lua),
        "used_memory_scripts_eval" => scripts,
        "number_of_cached_scripts" => srv.scripting.cached_count(),
        "number_of_functions" => libs.function_count(),
        "number_of_libraries" => libs.len(),
        "used_memory_vm_functions" => vm_functions,
        "used_memory_vm_total" => lua + vm_functions,
        "used_memory_vm_total_human" => memory::human(lua + vm_functions),
        "used_memory_functions" => functions,
        "used_memory_scripts" => scripts + functions,
        "used_memory_scripts_human" => memory::human(scripts + functions),
        "maxmemory" => srv.config.maxmemory,
        "maxmemory_human" => memory::human(srv.config.maxmemory),
        "maxmemory_policy" => srv.config.maxmemory_policy.name(),
        "allocator_frag_ratio" => "1.00",
        "allocator_frag_bytes" => 0,
        "allocator_rss_ratio" => format!("{:.2}", ratio(rss, used)),
        "allocator_rss_bytes" => rss.saturating_sub(used),
        "rss_overhead_ratio" => "1.00",
        "rss_overhead_bytes" => 0,
        "mem_fragmentation_ratio" => format!("{:.2}", ratio(rss, used)),
        "mem_fragmentation_bytes" => rss as i64 - used as i64,
        "mem_not_counted_for_evict" => srv.memory_not_counted_for_evict(),
        "mem_replication_backlog" => 0,
        "mem_total_replication_buffers" => 0,
        "mem_clients_slaves" => 0,
        "mem_clients_normal" => clients_mem,
        "mem_cluster_links" => 0,
        "mem_aof_buffer" => o.aof_buffer,
        "mem_allocator" => memory::ALLOCATOR,
        "active_defrag_running" => 0,
        "lazyfree_pending_objects" => srv.lazyfree.as_ref().map_or(0, |lf| lf.pending()),
        "lazyfreed_objects" => srv.lazyfree.as_ref().map_or(0, |lf| lf.freed()),
    );
}

fn persistence(srv: &Server, out: &mut String) {
    out.push_str("# Persistence\r\n");
    let p = &srv.persistence;
    let now = srv.clock.now_ms / 1000;
    let current_bgsave_secs = p
        .child
        .map_or(-1, |child| now.saturating_sub(child.started) as i64);
    let a = &srv.aof;
    let current_rewrite_secs = a
        .child
        .map_or(-1, |child| now.saturating_sub(child.started) as i64);
    // Redis's AOF is on from start-up, while its files load.
    let aof_on = a.status != AofStatus::Off || (srv.is_loading() && srv.config.appendonly);
    fields!(out,
        "loading" => u8::from(srv.is_loading()),
        "async_loading" => 0,
        "current_cow_peak" => 0,
        "current_cow_size" => 0,
        "current_cow_size_age" => 0,
        "current_fork_perc" => "0.00",
        "current_save_keys_processed" => 0,
        "current_save_keys_total" => 0,
        "rdb_changes_since_last_save" => srv.dirty,
        "rdb_bgsave_in_progress" => u8::from(p.child.is_some()),
        "rdb_last_save_time" => srv.lastsave,
        "rdb_last_bgsave_status" => status(p.last_bgsave_ok),
        "rdb_last_bgsave_time_sec" => p.last_bgsave_secs,
        "rdb_current_bgsave_time_sec" => current_bgsave_secs,
        "rdb_saves" => p.saves,
        "rdb_last_cow_size" => 0,
        "rdb_last_load_keys_expired" => p.last_load.keys_expired,
        "rdb_last_load_keys_loaded" => p.last_load.keys_loaded,
        "aof_enabled" => u8::from(aof_on),
        "aof_rewrite_in_progress" => u8::from(a.child.is_some()),
        "aof_rewrite_scheduled" => u8::from(a.rewrite_scheduled),
        "aof_last_rewrite_time_sec" => a.last_rewrite_secs,
        "aof_current_rewrite_time_sec" => current_rewrite_secs,
        "aof_last_bgrewrite_status" => status(a.last_rewrite_ok),
        "aof_rewrites" => a.rewrites,
        "aof_rewrites_consecutive_failures" => a.consecutive_failures,
        "aof_last_write_status" => status(a.write_error.is_none()),
        "aof_last_cow_size" => 0,
        "module_fork_in_progress" => 0,
        "module_fork_last_cow_size" => 0,
    );
    if aof_on {
        let writer = a.writer.as_ref();
        fields!(out,
            "aof_current_size" => a.current_size(),
            "aof_base_size" => a.rewrite_base_size,
            "aof_pending_rewrite" => u8::from(a.rewrite_scheduled),
            "aof_buffer_length" => writer.map_or(0, |w| w.buffered()),
            "aof_pending_bio_fsync" => writer.map_or(0, |w| w.syncer.pending()),
            "aof_delayed_fsync" => writer.map_or(0, |w| w.delayed_fsync),
        );
    }
    if let Some(l) = &srv.loading {
        let (perc, eta) = l.progress(now);
        fields!(out,
            "loading_start_time" => l.start_secs,
            "loading_total_bytes" => l.total_bytes,
            "loading_rdb_used_mem" => l.rdb_used_mem,
            "loading_loaded_bytes" => l.loaded_bytes,
            "loading_loaded_perc" => format!("{perc:.2}"),
            "loading_eta_seconds" => eta,
        );
    }
}

/// `ok` or `err`, as Redis reports the last outcome of an operation.
fn status(ok: bool) -> &'static str {
    if ok {
        "ok"
    } else {
        "err"
    }
}

fn stats(srv: &Server, out: &mut String) {
    out.push_str("# Stats\r\n");
    let s = &srv.stats;
    let exceeded = srv.evict.exceeded_ms();
    fields!(out,
        "total_connections_received" => s.total_connections_received,
        "total_commands_processed" => s.total_commands_processed,
        "instantaneous_ops_per_sec" => s.ops.per_sec() as u64,
        "total_net_input_bytes" => s.net_input_bytes,
        "total_net_output_bytes" => s.net_output_bytes,
        "total_net_repl_input_bytes" => 0,
        "total_net_repl_output_bytes" => 0,
        "instantaneous_input_kbps" => format!("{:.2}", s.input.per_sec() / 1024.0),
        "instantaneous_output_kbps" => format!("{:.2}", s.output.per_sec() / 1024.0),
        "instantaneous_input_repl_kbps" => "0.00",
        "instantaneous_output_repl_kbps" => "0.00",
        "rejected_connections" => s.rejected_connections,
        "sync_full" => 0,
        "sync_partial_ok" => 0,
        "sync_partial_err" => 0,
        "expired_keys" => srv.expired_keys(),
        "expired_stale_perc" => format!("{:.2}", srv.expire.stale_perc * 100.0),
        "expired_time_cap_reached_count" => srv.expire.time_cap_reached,
        "expire_cycle_cpu_milliseconds" => srv.expire.cpu_us / 1000,
        "evicted_keys" => srv.evict.evicted_keys,
        "evicted_clients" => s.evicted_clients,
        "total_eviction_exceeded_time" => exceeded.0,
        "current_eviction_exceeded_time" => exceeded.1,
        "keyspace_hits" => s.keyspace_hits,
        "keyspace_misses" => s.keyspace_misses,
        "pubsub_channels" => srv.pubsub.channel_count(),
        "pubsub_patterns" => srv.pubsub.pattern_count(),
        "pubsubshard_channels" => srv.pubsub.shard_channel_count(),
        "latest_fork_usec" => srv.persistence.latest_fork_usec,
        "total_forks" => srv.persistence.total_forks,
        "migrate_cached_sockets" => 0,
        "slave_expires_tracked_keys" => 0,
        "active_defrag_hits" => 0,
        "active_defrag_misses" => 0,
        "active_defrag_key_hits" => 0,
        "active_defrag_key_misses" => 0,
        "total_active_defrag_time" => 0,
        "current_active_defrag_time" => 0,
        "tracking_total_keys" => srv.tracking.key_count(),
        "tracking_total_items" => srv.tracking.item_count(),
        "tracking_total_prefixes" => srv.tracking.prefix_count(),
        "unexpected_error_replies" => 0,
        "total_error_replies" => s.total_error_replies,
        "dump_payload_sanitizations" => 0,
        "total_reads_processed" => s.total_reads_processed,
        "total_writes_processed" => s.total_writes_processed,
        "io_threaded_reads_processed" => 0,
        "io_threaded_writes_processed" => 0,
        "reply_buffer_shrinks" => s.reply_buffer_shrinks,
        "reply_buffer_expands" => s.reply_buffer_expands,
    );
}

fn replication(srv: &Server, out: &mut String) {
    out.push_str("# Replication\r\n");
    fields!(out,
        "role" => "master",
        "connected_slaves" => 0,
        "master_failover_state" => "no-failover",
        "master_replid" => srv.master_replid,
        "master_replid2" => "0000000000000000000000000000000000000000",
        "master_repl_offset" => 0,
        "second_repl_offset" => -1,
        "repl_backlog_active" => 0,
        "repl_backlog_size" => 1048576,
        "repl_backlog_first_byte_offset" => 0,
        "repl_backlog_histlen" => 0,
    );
}

/// `sys` and `user` CPU seconds for a `getrusage` target, as `%ld.%06ld`.
fn rusage(who: libc::c_int) -> (String, String) {
    // SAFETY: getrusage fills the zeroed struct we own.
    let ru = unsafe {
        let mut ru: libc::rusage = std::mem::zeroed();
        libc::getrusage(who, &mut ru);
        ru
    };
    let fmt = |t: libc::timeval| format!("{}.{:06}", t.tv_sec, t.tv_usec);
    (fmt(ru.ru_stime), fmt(ru.ru_utime))
}

fn cpu(out: &mut String) {
    out.push_str("# CPU\r\n");
    let (sys, user) = rusage(libc::RUSAGE_SELF);
    let (csys, cuser) = rusage(libc::RUSAGE_CHILDREN);
    let (tsys, tuser) = rusage(libc::RUSAGE_THREAD);
    fields!(out,
        "used_cpu_sys" => sys,
        "used_cpu_user" => user,
        "used_cpu_sys_children" => csys,
        "used_cpu_user_children" => cuser,
        "used_cpu_sys_main_thread" => tsys,
        "used_cpu_user_main_thread" => tuser,
    );
}

fn commandstats(srv: &Server, out: &mut String) {
    out.push_str("# Commandstats\r\n");
    for (id, st) in srv.stats.commands.iter().enumerate() {
        if st.calls == 0 && st.rejected_calls == 0 && st.failed_calls == 0 {
            continue;
        }
        let per_call = if st.calls == 0 {
            0.0
        } else {
            st.usec as f64 / st.calls as f64
        };
        let _ = write!(
            out,
            "cmdstat_{}:calls={},usec={},usec_per_call={:.2},rejected_calls={},failed_calls={}\r\n",
            srv.commands.all[id].name,
            st.calls,
            st.usec,
            per_call,
            st.rejected_calls,
            st.failed_calls
        );
    }
}

fn latencystats(srv: &Server, out: &mut String) {
    out.push_str("# Latencystats\r\n");
    // With `latency-tracking no` Redis keeps the section, empty.
    if !srv.config.latency_tracking {
        return;
    }
    let percentiles = &srv.config.latency_tracking_info_percentiles;
    for (id, h) in srv.stats.latency.iter().enumerate() {
        if h.is_empty() {
            continue;
        }
        let _ = write!(
            out,
            "latency_percentiles_usec_{}:",
            srv.commands.all[id].name
        );
        for (i, pct) in percentiles.iter().enumerate() {
            let sep = if i == 0 { "" } else { "," };
            // Redis prints the percentile with `%f`, trailing zeros trimmed.
            let label = format!("{pct:.6}");
            let label = label.trim_end_matches('0').trim_end_matches('.');
            let _ = write!(
                out,
                "{sep}p{label}={:.3}",
                h.percentile(*pct) as f64 / 1000.0
            );
        }
        out.push_str("\r\n");
    }
}

fn errorstats(srv: &Server, out: &mut String) {
    out.push_str("# Errorstats\r\n");
    for (code, count) in &srv.stats.errors {
        let _ = write!(
            out,
            "errorstat_{}:count={count}\r\n",
            String::from_utf8_lossy(code)
        );
    }
}

fn keyspace(srv: &Server, out: &mut String) {
    out.push_str("# Keyspace\r\n");
    for (i, db) in (0..srv.db_count()).map(|i| (i, srv.db(i))) {
        if db.is_empty() {
            continue;
        }
        let _ = write!(
            out,
            "db{i}:keys={},expires={},avg_ttl={}\r\n",
            db.len(),
            db.expires(),
            db.avg_ttl()
        );
    }
}
