//! The latency monitor behind `LATENCY LATEST/HISTORY/RESET`: events that
//! took at least `latency-monitor-threshold` milliseconds, one sample per
//! second (the worst of that second), the last 160 kept per event, as
//! Redis's `latency.c` keeps them.
//!
//! Samples are taken where Redis takes them: `command` and `fast-command`
//! after each call, `expire-cycle` after an active expiry cycle, `fork`
//! after forking a snapshot or rewrite child, `eviction-*` around
//! evictions, the `aof-*` events around each AOF write and sync.

/// Samples kept per event (`LATENCY_TS_LEN`).
const HISTORY_LEN: usize = 160;

/// One second's worst latency of an event.
#[derive(Debug, Clone, Copy, Default)]
pub struct Sample {
    /// Unix seconds.
    pub time: u64,
    pub latency_ms: u64,
}

/// An event's samples, oldest first, and its all-time worst.
#[derive(Debug, Default)]
pub struct Series {
    pub samples: std::collections::VecDeque<Sample>,
    pub max_ms: u64,
}

/// What `LATENCY DOCTOR` says of an event (Redis's `analyzeLatencyForEvent`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    pub samples: usize,
    /// Mean latency, truncated to whole milliseconds.
    pub avg_ms: u64,
    /// Mean absolute deviation from `avg_ms`.
    pub mad_ms: u64,
    /// Seconds from the oldest sample to now, at least 1.
    pub period_secs: u64,
}

impl Series {
    /// The samples' figures at unix second `now`.
    pub fn stats(&self, now: u64) -> Stats {
        let samples = self.samples.len();
        if samples == 0 {
            return Stats {
                samples,
                avg_ms: 0,
                mad_ms: 0,
                period_secs: 0,
            };
        }
        let n = samples as u64;
        let avg_ms = self.samples.iter().map(|s| s.latency_ms).sum::<u64>() / n;
        let mad_ms = self
            .samples
            .iter()
            .map(|s| s.latency_ms.abs_diff(avg_ms))
            .sum::<u64>()
            / n;
        let oldest = self.samples.iter().map(|s| s.time).min().unwrap_or(now);
        Stats {
            samples,
            avg_ms,
            mad_ms,
            period_secs: now.saturating_sub(oldest).max(1),
        }
    }
}

/// Every event that has samples, in the order each first had one.
#[derive(Debug, Default)]
pub struct LatencyMonitor {
    pub events: Vec<(&'static str, Series)>,
}

impl LatencyMonitor {
    /// Records `latency_ms` for `event` at unix second `now` when it
    /// reaches `threshold_ms` (0 turns the monitor off).
    pub fn sample_if_needed(
        &mut self,
        threshold_ms: u64,
        event: &'static str,
        latency_ms: u64,
        now: u64,
    ) {
        if threshold_ms == 0 || latency_ms < threshold_ms {
            return;
        }
        let series = match self.events.iter().position(|(e, _)| *e == event) {
            Some(i) => &mut self.events[i].1,
            None => {
                self.events.push((event, Series::default()));
                let last = self.events.len() - 1;
                &mut self.events[last].1
            }
        };
        series.max_ms = series.max_ms.max(latency_ms);
        if let Some(last) = series.samples.back_mut() {
            if last.time == now {
                last.latency_ms = last.latency_ms.max(latency_ms);
                return;
            }
        }
        if series.samples.len() == HISTORY_LEN {
            series.samples.pop_front();
        }
        series.samples.push_back(Sample {
            time: now,
            latency_ms,
        });
    }

    pub fn series(&self, event: &[u8]) -> Option<&Series> {
        self.events
            .iter()
            .find(|(e, _)| e.as_bytes() == event)
            .map(|(_, s)| s)
    }

    /// Forgets the named events (all with `None`); how many there were.
    pub fn reset(&mut self, events: Option<&[&[u8]]>) -> usize {
        let before = self.events.len();
        match events {
            None => self.events.clear(),
            Some(names) => self.events.retain(|(e, _)| !names.contains(&e.as_bytes())),
        }
        before - self.events.len()
    }
}

impl super::Server {
    /// Records an event's latency in milliseconds if it reaches the threshold.
    pub(crate) fn latency_sample(&mut self, event: &'static str, latency_ms: u64) {
        let now = self.clock.now_ms / 1000;
        self.latency_monitor.sample_if_needed(
            self.config.latency_monitor_threshold,
            event,
            latency_ms,
            now,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_sample_per_second_keeping_the_worst() {
        let mut m = LatencyMonitor::default();
        m.sample_if_needed(100, "command", 99, 10);
        assert!(m.events.is_empty());
        m.sample_if_needed(100, "command", 200, 10);
        m.sample_if_needed(100, "command", 150, 10);
        m.sample_if_needed(100, "command", 300, 11);
        m.sample_if_needed(0, "command", 900, 12);
        let s = m.series(b"command").unwrap();
        let got: Vec<(u64, u64)> = s.samples.iter().map(|s| (s.time, s.latency_ms)).collect();
        assert_eq!(got, [(10, 200), (11, 300)]);
        assert_eq!(s.max_ms, 300);
        for t in 0..200 {
            m.sample_if_needed(1, "fork", 5, 100 + t);
        }
        assert_eq!(m.series(b"fork").unwrap().samples.len(), HISTORY_LEN);
        assert_eq!(
            m.series(b"command").unwrap().stats(13),
            Stats {
                samples: 2,
                avg_ms: 250,
                mad_ms: 50,
                period_secs: 3
            }
        );
        assert_eq!(m.series(b"command").unwrap().stats(10).period_secs, 1);
        assert_eq!(m.reset(Some(&[b"nosuch", b"fork"])), 1);
        assert_eq!(m.reset(None), 1);
    }
}
