//! What the server asks of the kernel for itself, as Redis does:
//! `oom-score-adj` (the OOM killer's preference, per process class),
//! `disable-thp` (no transparent huge pages, whose copy-on-write makes
//! snapshot children slow and large) and `dynamic-hz` (a faster timed
//! sweep with many clients).

use std::sync::atomic::{AtomicI32, Ordering};

use super::Server;

/// The process classes of `oom-score-adj-values`.
#[derive(Clone, Copy)]
pub enum OomClass {
    Server = 0,
    BackgroundChild = 2,
}

/// `oom_score_adj` found at start, which `relative` values add to and
/// `oom-score-adj no` restores; `i32::MIN` until the server first sets it.
static OOM_BASE: AtomicI32 = AtomicI32::new(i32::MIN);

const OOM_FILE: &str = "/proc/self/oom_score_adj";

/// Clients per timed-sweep tick before `dynamic-hz` doubles `hz`
/// (`MAX_CLIENTS_PER_CLOCK_TICK`).
const CLIENTS_PER_TICK: usize = 200;
/// Highest `hz` (`CONFIG_MAX_HZ`).
const MAX_HZ: u32 = 500;

/// Writes this process's `oom_score_adj` for `class` as `oom-score-adj`
/// says (Redis's `setOOMScoreAdj`).
pub fn set_oom_score_adj(mode: i32, values: [i32; 3], class: OomClass) {
    let base = OOM_BASE.load(Ordering::Relaxed);
    let value = if mode != 0 {
        let base = if base == i32::MIN {
            let found = std::fs::read_to_string(OOM_FILE)
                .ok()
                .and_then(|s| s.trim().parse().ok())
                .unwrap_or(0);
            OOM_BASE.store(found, Ordering::Relaxed);
            found
        } else {
            base
        };
        let v = values[class as usize];
        let v = if mode == 1 { v.saturating_add(base) } else { v };
        v.clamp(-1000, 1000)
    } else if base != i32::MIN {
        OOM_BASE.store(i32::MIN, Ordering::Relaxed);
        base
    } else {
        return;
    };
    if let Err(e) = std::fs::write(OOM_FILE, format!("{value}\n")) {
        log::warn!(
            "Unable to write oom_score_adj: {}",
            crate::config::strerror(&e)
        );
    }
}

/// `disable-thp yes`: transparent huge pages off for this process when
/// the kernel gives them to every process (`[always]`), as Redis checks;
/// with `madvise` nobody asks for them. Redis warns when it cannot.
pub fn disable_thp() {
    let always = std::fs::read_to_string("/sys/kernel/mm/transparent_hugepage/enabled")
        .is_ok_and(|s| s.contains("[always]"));
    if !always {
        return;
    }
    // SAFETY: PR_SET_THP_DISABLE takes plain integers and changes only
    // this process's memory policy.
    let failed = unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0) } != 0;
    if failed {
        log::warn!("WARNING you have Transparent Huge Pages (THP) support enabled in your kernel. This will create latency and memory usage issues with Redis. To fix this issue run the command 'echo madvise > /sys/kernel/mm/transparent_hugepage/enabled' as root, and add it to your /etc/rc.local in order to retain the setting after a reboot. Redis must be restarted after THP is disabled (set to 'madvise' or 'never').");
    }
}

impl Server {
    /// The server's own `oom_score_adj`, after start-up and CONFIG SET.
    pub(crate) fn apply_oom_score_adj(&self) {
        let (mode, values) = self.config.oom_score_adj();
        set_oom_score_adj(mode, values, OomClass::Server);
    }

    /// `dynamic-hz`: `hz` doubled while there are more than 200 clients per
    /// tick, up to 500 (Redis recomputes it at each tick of `serverCron`).
    pub(crate) fn adapt_hz(&mut self) {
        self.hz = self.config.hz;
        if self.config.flag("dynamic-hz") != Some(true) {
            return;
        }
        let clients = self.clients.len();
        while clients / self.hz.max(1) as usize > CLIENTS_PER_TICK {
            self.hz *= 2;
            if self.hz > MAX_HZ {
                self.hz = MAX_HZ;
                break;
            }
        }
    }
}
