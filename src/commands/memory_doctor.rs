//! `MEMORY DOCTOR`: Redis's reading of the memory figures
//! (`getMemoryDoctorReport`), with its thresholds and its texts.
//!
//! Redis looks at the peak, three fragmentation figures, the clients'
//! and replicas' buffers and the script cache. This server has the peak,
//! the RSS against the counted heap (Redis's total fragmentation), the
//! clients' buffers and the script cache. The C allocator gives no
//! active/resident split, so the allocator fragmentation and the two RSS
//! overheads Redis tells apart are not known here, and there are no
//! replicas: those findings never appear.

use super::{Args, CmdResult};
use crate::server::client::Client;
use crate::server::{memory, Server};

/// Below this much heap the instance counts as empty and nothing is judged.
const EMPTY_BELOW: u64 = 5 * 1024 * 1024;
/// A peak above this many times the heap in use is reported.
const PEAK_RATIO: f64 = 1.5;
/// RSS above this many times the heap, and by more than
/// [`FRAG_MIN_BYTES`], is reported.
const FRAG_RATIO: f64 = 1.4;
const FRAG_MIN_BYTES: i64 = 10 << 20;
/// Average bytes per client past which client buffers are reported.
const CLIENT_BUF_AVERAGE: u64 = 200 * 1024;
/// Cached scripts past which the cache is reported.
const MANY_SCRIPTS: usize = 1000;

/// The figures the report judges.
#[derive(Debug, Clone, Copy)]
pub struct Figures {
    pub used: u64,
    pub peak: u64,
    pub rss: u64,
    /// Memory of every normal client (`clients.normal`).
    pub clients_memory: u64,
    pub clients: u64,
    pub cached_scripts: usize,
}

/// `MEMORY DOCTOR`
pub fn doctor(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    let used = memory::used() as u64;
    let figures = Figures {
        used,
        peak: (memory::peak() as u64).max(used),
        rss: memory::rss() as u64,
        clients_memory: srv.memory_overhead(c).clients_normal,
        clients: srv.client_count() as u64,
        cached_scripts: srv.scripting.cached_count(),
    };
    c.reply.verbatim(report(&figures).as_bytes());
    Ok(())
}

/// The report's findings, each a paragraph, in Redis's order.
fn findings(f: &Figures) -> Vec<String> {
    let mut out = Vec::new();
    // Redis computes the ratios in single precision.
    let ratio = |a: u64, b: u64| f64::from(a as f32 / b as f32);
    if ratio(f.peak, f.used) > PEAK_RATIO {
        out.push(PEAK.to_string());
    }
    if ratio(f.rss, f.used) > FRAG_RATIO && f.rss as i64 - f.used as i64 > FRAG_MIN_BYTES {
        out.push(HIGH_RSS.replace("%s", memory::ALLOCATOR));
    }
    if f.clients > 0 && f.clients_memory / f.clients > CLIENT_BUF_AVERAGE {
        out.push(BIG_CLIENT_BUFFERS.to_string());
    }
    if f.cached_scripts > MANY_SCRIPTS {
        out.push(MANY_SCRIPTS_TEXT.to_string());
    }
    out
}

/// The whole report.
pub fn report(f: &Figures) -> String {
    if f.used < EMPTY_BELOW {
        return EMPTY.to_string();
    }
    let found = findings(f);
    if found.is_empty() {
        return NO_ISSUE.to_string();
    }
    let mut s = String::from(ISSUES);
    for text in found {
        s.push_str(" * ");
        s.push_str(&text);
        s.push_str("\n\n");
    }
    s.push_str(SIGN_OFF);
    s
}

const EMPTY: &str = "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.\n";

const NO_ISSUE: &str = "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.\n";

const ISSUES: &str = "Sam, I detected a few issues in this Redis instance memory implants:\n\n";

const SIGN_OFF: &str = "I'm here to keep you safe, Sam. I want to help you.\n";

const PEAK: &str = "Peak memory: In the past this instance used more than 150% the memory that is currently using. The allocator is normally not able to release memory after a peak, so you can expect to see a big fragmentation ratio, however this is actually harmless and is only due to the memory peak, and if the Redis instance Resident Set Size (RSS) is currently bigger than expected, the memory will be used as soon as you fill the Redis instance with more data. If the memory peak was only occasional and you want to try to reclaim memory, please try the MEMORY PURGE command, otherwise the only other option is to shutdown and restart the instance.";

const HIGH_RSS: &str = "High total RSS: This instance has a memory fragmentation and RSS overhead greater than 1.4 (this means that the Resident Set Size of the Redis process is much larger than the sum of the logical allocations Redis performed). This problem is usually due either to a large peak memory (check if there is a peak memory entry above in the report) or may result from a workload that causes the allocator to fragment memory a lot. If the problem is a large peak memory, then there is no issue. Otherwise, make sure you are using the Jemalloc allocator and not the default libc malloc. Note: The currently used allocator is \"%s\".";

const BIG_CLIENT_BUFFERS: &str = "Big client buffers: The clients output buffers in this instance are greater than 200K per client (on average). This may result from different causes, like Pub/Sub clients subscribed to channels bot not receiving data fast enough, so that data piles on the Redis instance output buffer, or clients sending commands with large replies or very large sequences of commands in the same pipeline. Please use the CLIENT LIST command in order to investigate the issue if it causes problems in your instance, or to understand better why certain clients are using a big amount of memory.";

const MANY_SCRIPTS_TEXT: &str = "Many scripts: There seem to be many cached scripts in this instance (more than 1000). This may be because scripts are generated and `EVAL`ed, instead of being parameterized (with KEYS and ARGV), `SCRIPT LOAD`ed and `EVALSHA`ed. Unless `SCRIPT FLUSH` is called periodically, the scripts' caches may end up consuming most of your memory.";

#[cfg(test)]
mod tests {
    use super::*;

    const MB: u64 = 1024 * 1024;

    fn healthy() -> Figures {
        Figures {
            used: 50 * MB,
            peak: 50 * MB,
            rss: 60 * MB,
            clients_memory: 40_000,
            clients: 2,
            cached_scripts: 0,
        }
    }

    #[test]
    fn empty_instance_is_not_judged() {
        let f = Figures {
            used: 4 * MB,
            peak: 100 * MB,
            ..healthy()
        };
        assert!(report(&f).starts_with("Hi Sam, this instance is empty"));
        assert!(report(&healthy()).starts_with("Hi Sam, I can't find any memory issue"));
    }

    #[test]
    fn each_finding_at_its_threshold() {
        let peak = Figures {
            peak: 76 * MB,
            ..healthy()
        };
        let rss = Figures {
            rss: 71 * MB,
            ..healthy()
        };
        let rss_few_bytes = Figures {
            used: 6 * MB,
            peak: 6 * MB,
            rss: 15 * MB,
            ..healthy()
        };
        let clients = Figures {
            clients_memory: 2 * 200 * 1024 + 2,
            ..healthy()
        };
        let scripts = Figures {
            cached_scripts: 1001,
            ..healthy()
        };
        assert_eq!(
            findings(&Figures {
                peak: 75 * MB,
                ..healthy()
            })
            .len(),
            0
        );
        assert!(findings(&peak)[0].starts_with("Peak memory:"));
        assert_eq!(
            findings(&Figures {
                rss: 70 * MB,
                ..healthy()
            })
            .len(),
            0
        );
        assert!(findings(&rss)[0].ends_with("is \"libc\"."));
        assert_eq!(
            findings(&rss_few_bytes).len(),
            0,
            "ratio alone is not enough"
        );
        assert!(findings(&clients)[0].starts_with("Big client buffers:"));
        assert_eq!(
            findings(&Figures {
                cached_scripts: 1000,
                ..healthy()
            })
            .len(),
            0
        );
        assert!(findings(&scripts)[0].starts_with("Many scripts:"));
        let all = Figures {
            peak: 100 * MB,
            rss: 100 * MB,
            ..scripts
        };
        let text = report(&all);
        assert!(text.starts_with(ISSUES));
        assert!(text.contains("instance.\n\n * High total RSS:"));
        assert!(
            text.ends_with("your memory.\n\nI'm here to keep you safe, Sam. I want to help you.\n")
        );
    }
}
