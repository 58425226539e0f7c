//! `LATENCY DOCTOR`: Redis's report on the latency monitor's events
//! (`createLatencyReport`): a line of figures per event, then the advice
//! the events that occurred call for, in Redis's words and order.

use super::{Args, CmdResult};
use crate::config::AppendFsync;
use crate::server::client::Client;
use crate::server::latency_monitor::Stats;
use crate::server::{memory, Server};

/// What the report reads besides the events.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    pub threshold_ms: u64,
    pub slowlog_log_slower_than: i64,
    /// GB per second of the last fork (`stat_fork_rate`).
    pub fork_rate: f64,
    pub hz: u32,
    pub fsync_always: bool,
    /// The process holds transparent huge pages.
    pub huge_pages: bool,
}

/// One event: its name, its figures and its worst latency ever.
pub struct Event<'a> {
    pub name: &'a str,
    pub stats: Stats,
    pub max_ms: u64,
}

/// `LATENCY DOCTOR`
pub fn doctor(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    let now = srv.clock.now_ms / 1000;
    let events: Vec<Event> = srv
        .latency_monitor
        .events
        .iter()
        .map(|(name, series)| Event {
            name,
            stats: series.stats(now),
            max_ms: series.max_ms,
        })
        .collect();
    let settings = Settings {
        threshold_ms: srv.config.latency_monitor_threshold,
        slowlog_log_slower_than: srv.config.slowlog_log_slower_than,
        fork_rate: srv.persistence.fork_rate,
        hz: srv.hz,
        fsync_always: srv.config.appendfsync == AppendFsync::Always,
        huge_pages: memory::anon_huge_pages() > 0,
    };
    c.reply.verbatim(report(&events, &settings).as_bytes());
    Ok(())
}

/// Advice, in the order Redis gives it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Advice {
    BetterVm,
    SlowlogEnabled,
    SlowlogTuning,
    SlowlogInspect,
    Scheduler,
    LocalDisk,
    Ssd,
    DataWriteback,
    DiskContention,
    NoAppendfsync,
    RelaxFsyncPolicy,
    WriteLoadInfo,
    Hz,
    LargeObjects,
    MassEviction,
    DisableThp,
}

/// The whole report.
pub fn report(events: &[Event], s: &Settings) -> String {
    if events.is_empty() && s.threshold_ms == 0 {
        return DISABLED.to_string();
    }
    let mut text = String::new();
    let mut wanted: Vec<Advice> = Vec::new();
    // Redis counts advice as it goes, including the kinds it later leaves
    // out (relaxing fsync when it is not `always`, hz when it is high).
    let mut advices = 0;
    let mut advise = |list: &[Advice]| {
        wanted.extend_from_slice(list);
        advices += list.len();
    };
    for (i, e) in events.iter().enumerate() {
        if i == 0 {
            text.push_str(OBSERVED);
        }
        let st = &e.stats;
        text.push_str(&format!(
            "{}. {}: {} latency spikes (average {}ms, mean deviation {}ms, period {:.2} sec). Worst all time event {}ms.",
            i + 1,
            e.name,
            st.samples,
            st.avg_ms,
            st.mad_ms,
            st.period_secs as f64 / st.samples as f64,
            e.max_ms
        ));
        match e.name {
            "fork" => {
                let quality = match s.fork_rate {
                    r if r < 10.0 => "terrible",
                    r if r < 25.0 => "poor",
                    r if r < 100.0 => "good",
                    _ => "excellent",
                };
                if s.fork_rate < 25.0 {
                    advise(&[Advice::BetterVm]);
                }
                text.push_str(&format!(
                    " Fork rate is {:.2} GB/sec ({quality}).",
                    s.fork_rate
                ));
            }
            "command" => {
                if s.slowlog_log_slower_than < 0 {
                    advise(&[Advice::SlowlogEnabled]);
                } else if s.slowlog_log_slower_than / 1000 > s.threshold_ms as i64 {
                    advise(&[Advice::SlowlogTuning]);
                }
                advise(&[Advice::SlowlogInspect, Advice::LargeObjects]);
            }
            "fast-command" => advise(&[Advice::Scheduler]),
            "aof-write-pending-fsync" => advise(&[
                Advice::LocalDisk,
                Advice::DiskContention,
                Advice::Ssd,
                Advice::DataWriteback,
            ]),
            "aof-write-active-child" => {
                advise(&[Advice::NoAppendfsync, Advice::DataWriteback, Advice::Ssd])
            }
            "aof-write-alone" => advise(&[Advice::LocalDisk, Advice::DataWriteback, Advice::Ssd]),
            "aof-fsync-always" => advise(&[Advice::RelaxFsyncPolicy]),
            "aof-fstat" | "rdb-unlink-temp-file" => {
                advise(&[Advice::DiskContention, Advice::LocalDisk])
            }
            "aof-rewrite-diff-write" | "aof-rename" => advise(&[
                Advice::WriteLoadInfo,
                Advice::DataWriteback,
                Advice::Ssd,
                Advice::LocalDisk,
            ]),
            "expire-cycle" => advise(&[Advice::Hz, Advice::LargeObjects]),
            "eviction-del" => advise(&[Advice::LargeObjects]),
            "eviction-cycle" => advise(&[Advice::MassEviction]),
            _ => {}
        }
        text.push('\n');
    }
    if s.huge_pages {
        advise(&[Advice::DisableThp]);
    }
    if events.is_empty() && advices == 0 {
        text.push_str(NO_SPIKES);
        return text;
    }
    if advices == 0 {
        text.push_str(NO_ADVICE);
        return text;
    }
    text.push_str(ADVICES);
    let threshold_us = s.threshold_ms.saturating_mul(1000);
    for &a in ALL.iter().filter(|a| wanted.contains(a)) {
        let line = match a {
            Advice::SlowlogEnabled => SLOWLOG_ENABLED.replace("%llu", &threshold_us.to_string()),
            Advice::SlowlogTuning => SLOWLOG_TUNING.replace("%llu", &threshold_us.to_string()),
            Advice::RelaxFsyncPolicy if !s.fsync_always => continue,
            Advice::Hz if s.hz >= 100 => continue,
            a => advice_text(a).to_string(),
        };
        text.push_str(&line);
    }
    text
}

/// Every [`Advice`], in order.
const ALL: [Advice; 16] = [
    Advice::BetterVm,
    Advice::SlowlogEnabled,
    Advice::SlowlogTuning,
    Advice::SlowlogInspect,
    Advice::Scheduler,
    Advice::LocalDisk,
    Advice::Ssd,
    Advice::DataWriteback,
    Advice::DiskContention,
    Advice::NoAppendfsync,
    Advice::RelaxFsyncPolicy,
    Advice::WriteLoadInfo,
    Advice::Hz,
    Advice::LargeObjects,
    Advice::MassEviction,
    Advice::DisableThp,
];

fn advice_text(a: Advice) -> &'static str {
    match a {
        Advice::BetterVm => "- If you are using a virtual machine, consider upgrading it with a faster one using a hypervisior that provides less latency during fork() calls. Xen is known to have poor fork() performance. Even in the context of the same VM provider, certain kinds of instances can execute fork faster than others.\n",
        Advice::SlowlogEnabled => SLOWLOG_ENABLED,
        Advice::SlowlogTuning => SLOWLOG_TUNING,
        Advice::SlowlogInspect => "- Check your Slow Log to understand what are the commands you are running which are too slow to execute. Please check https://redis.io/commands/slowlog for more information.\n",
        Advice::Scheduler => "- The system is slow to execute Redis code paths not containing system calls. This usually means the system does not provide Redis CPU time to run for long periods. You should try to:\n  1) Lower the system load.\n  2) Use a computer / VM just for Redis if you are running other software in the same system.\n  3) Check if you have a \"noisy neighbour\" problem.\n  4) Check with 'redis-cli --intrinsic-latency 100' what is the intrinsic latency in your system.\n  5) Check if the problem is allocator-related by recompiling Redis with MALLOC=libc, if you are using Jemalloc. However this may create fragmentation problems.\n",
        Advice::LocalDisk => "- It is strongly advised to use local disks for persistence, especially if you are using AOF. Remote disks provided by platform-as-a-service providers are known to be slow.\n",
        Advice::Ssd => "- SSD disks are able to reduce fsync latency, and total time needed for snapshotting and AOF log rewriting (resulting in smaller memory usage). With extremely high write load SSD disks can be a good option. However Redis should perform reasonably with high load using normal disks. Use this advice as a last resort.\n",
        Advice::DataWriteback => "- Mounting ext3/4 filesystems with data=writeback can provide a performance boost compared to data=ordered, however this mode of operation provides less guarantees, and sometimes it can happen that after a hard crash the AOF file will have a half-written command at the end and will require to be repaired before Redis restarts.\n",
        Advice::DiskContention => "- Try to lower the disk contention. This is often caused by other disk intensive processes running in the same computer (including other Redis instances).\n",
        Advice::NoAppendfsync => "- Assuming from the point of view of data safety this is viable in your environment, you could try to enable the 'no-appendfsync-on-rewrite' option, so that fsync will not be performed while there is a child rewriting the AOF file or producing an RDB file (the moment where there is high disk contention).\n",
        Advice::RelaxFsyncPolicy => "- Your fsync policy is set to 'always'. It is very hard to get good performances with such a setup, if possible try to relax the fsync policy to 'onesec'.\n",
        Advice::WriteLoadInfo => "- Latency during the AOF atomic rename operation or when the final difference is flushed to the AOF file at the end of the rewrite, sometimes is caused by very high write load, causing the AOF buffer to get very large. If possible try to send less commands to accomplish the same work, or use Lua scripts to group multiple operations into a single EVALSHA call.\n",
        Advice::Hz => "- In order to make the Redis keys expiring process more incremental, try to set the 'hz' configuration parameter to 100 using 'CONFIG SET hz 100'.\n",
        Advice::LargeObjects => "- Deleting, expiring or evicting (because of maxmemory policy) large objects is a blocking operation. If you have very large objects that are often deleted, expired, or evicted, try to fragment those objects into multiple smaller objects.\n",
        Advice::MassEviction => "- Sudden changes to the 'maxmemory' setting via 'CONFIG SET', or allocation of large objects via sets or sorted sets intersections, STORE option of SORT, Redis Cluster large keys migrations (RESTORE command), may create sudden memory pressure forcing the server to block trying to evict keys. \n",
        Advice::DisableThp => "- I detected a non zero amount of anonymous huge pages used by your process. This creates very serious latency events in different conditions, especially when Redis is persisting on disk. To disable THP support use the command 'echo never > /sys/kernel/mm/transparent_hugepage/enabled', make sure to also add it into /etc/rc.local so that the command will be executed again after a reboot. Note that even if you have already disabled THP, you still need to restart the Redis process to get rid of the huge pages already created.\n",
    }
}

const DISABLED: &str = "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in this Redis instance. You may use \"CONFIG SET latency-monitor-threshold <milliseconds>.\" in order to enable it. If we weren't in a deep space mission I'd suggest to take a look at https://redis.io/topics/latency-monitor.\n";

const OBSERVED: &str = "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?\n\n";

const NO_SPIKES: &str = "Dave, no latency spike was observed during the lifetime of this Redis instance, not in the slightest bit. I honestly think you ought to sit down calmly, take a stress pill, and think things over.\n";

const NO_ADVICE: &str = "\nWhile there are latency events logged, I'm not able to suggest any easy fix. Please use the Redis community to get some help, providing this report in your help request.\n";

const ADVICES: &str = "\nI have a few advices for you:\n\n";

const SLOWLOG_ENABLED: &str = "- There are latency issues with potentially slow commands you are using. Try to enable the Slow Log Redis feature using the command 'CONFIG SET slowlog-log-slower-than %llu'. If the Slow log is disabled Redis is not able to log slow commands execution for you.\n";

const SLOWLOG_TUNING: &str = "- Your current Slow Log configuration only logs events that are slower than your configured latency monitor threshold. Please use 'CONFIG SET slowlog-log-slower-than %llu'.\n";

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings {
            threshold_ms: 100,
            slowlog_log_slower_than: 10_000,
            fork_rate: 50.0,
            hz: 10,
            fsync_always: false,
            huge_pages: false,
        }
    }

    fn event(name: &str) -> Event<'_> {
        Event {
            name,
            stats: Stats {
                samples: 3,
                avg_ms: 120,
                mad_ms: 7,
                period_secs: 10,
            },
            max_ms: 130,
        }
    }

    #[test]
    fn disabled_and_quiet() {
        let off = Settings {
            threshold_ms: 0,
            ..settings()
        };
        assert!(report(&[], &off).starts_with("I'm sorry, Dave"));
        assert!(report(&[event("command")], &off).starts_with("Dave, I have observed"));
        assert_eq!(report(&[], &settings()), NO_SPIKES);
        let thp = Settings {
            huge_pages: true,
            ..settings()
        };
        let text = report(&[], &thp);
        assert!(text.starts_with("\nI have a few advices for you:\n\n- I detected"));
        let text = report(&[event("aof-write")], &settings());
        assert!(text.ends_with(NO_ADVICE), "{text}");
    }

    #[test]
    fn event_lines_and_their_advice() {
        let text = report(&[event("command"), event("fork")], &settings());
        assert_eq!(
            text.lines().take(4).collect::<Vec<_>>(),
            [
                "Dave, I have observed latency spikes in this Redis instance. You don't mind talking about it, do you Dave?",
                "",
                "1. command: 3 latency spikes (average 120ms, mean deviation 7ms, period 3.33 sec). Worst all time event 130ms.",
                "2. fork: 3 latency spikes (average 120ms, mean deviation 7ms, period 3.33 sec). Worst all time event 130ms. Fork rate is 50.00 GB/sec (good).",
            ]
        );
        assert!(
            !text.contains("slowlog-log-slower-than"),
            "10 ms logs all past 100 ms"
        );
        assert!(text.contains("- Check your Slow Log"));
        let slow = Settings {
            fork_rate: 9.5,
            slowlog_log_slower_than: -1,
            ..settings()
        };
        let text = report(&[event("fork"), event("command")], &slow);
        assert!(text.contains("(terrible).\n"));
        let vm = text.find("- If you are using a virtual machine").unwrap();
        let enable = text
            .find("'CONFIG SET slowlog-log-slower-than 100000'. If")
            .unwrap();
        assert!(vm < enable, "advice in Redis's order, not the events'");
    }

    #[test]
    fn advice_that_depends_on_settings() {
        let text = report(&[event("expire-cycle")], &settings());
        assert!(text.contains("'CONFIG SET hz 100'"));
        let fast = Settings {
            hz: 100,
            ..settings()
        };
        let text = report(&[event("expire-cycle")], &fast);
        assert!(!text.contains("'CONFIG SET hz 100'") && text.contains("- Deleting"));
        let text = report(&[event("aof-fsync-always")], &settings());
        assert!(text.ends_with(ADVICES), "counted, then left out: {text}");
        let always = Settings {
            fsync_always: true,
            ..settings()
        };
        assert!(report(&[event("aof-fsync-always")], &always).contains("set to 'always'"));
    }
}
