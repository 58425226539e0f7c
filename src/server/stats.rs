//! Counters behind `INFO stats`, `INFO commandstats` and `INFO errorstats`,
//! and the sampled instantaneous rates.

use std::collections::BTreeMap;

use super::latency::Histogram;

/// Samples kept for the instantaneous rates (Redis's `STATS_METRIC_SAMPLES`).
const SAMPLES: usize = 16;
/// Milliseconds between samples.
pub const SAMPLE_PERIOD_MS: u64 = 100;

/// Per-command counters (`cmdstat_<name>`).
#[derive(Debug, Default, Clone, Copy)]
pub struct CmdStats {
    pub calls: u64,
    pub usec: u64,
    pub rejected_calls: u64,
    pub failed_calls: u64,
}

/// A rate averaged over the last samples, as `instantaneous_*` fields show.
#[derive(Debug, Default, Clone)]
pub struct Rate {
    samples: [f64; SAMPLES],
    idx: usize,
    last_ms: u64,
    last_value: u64,
}

impl Rate {
    fn sample(&mut self, now_ms: u64, value: u64) {
        if self.last_ms != 0 && now_ms > self.last_ms {
            let per_sec = (value.saturating_sub(self.last_value)) as f64 * 1000.0
                / (now_ms - self.last_ms) as f64;
            self.samples[self.idx] = per_sec;
            self.idx = (self.idx + 1) % SAMPLES;
        }
        self.last_ms = now_ms;
        self.last_value = value;
    }

    /// The mean of the samples, per second.
    pub fn per_sec(&self) -> f64 {
        self.samples.iter().sum::<f64>() / SAMPLES as f64
    }
}

/// Server-wide statistics.
#[derive(Debug, Default)]
pub struct Stats {
    /// Indexed by command id.
    pub commands: Vec<CmdStats>,
    /// Call durations by command id (`INFO latencystats`).
    pub latency: Vec<Histogram>,
    /// Error replies by error code (`errorstat_<code>`), in Redis's sorted order.
    pub errors: BTreeMap<Vec<u8>, u64>,
    pub total_error_replies: u64,
    pub total_connections_received: u64,
    pub total_commands_processed: u64,
    pub rejected_connections: u64,
    /// Clients closed by `maxmemory-clients`.
    pub evicted_clients: u64,
    /// Reply buffers the timed sweep shrank and grew.
    pub reply_buffer_shrinks: u64,
    pub reply_buffer_expands: u64,
    pub net_input_bytes: u64,
    pub net_output_bytes: u64,
    pub total_reads_processed: u64,
    pub total_writes_processed: u64,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub ops: Rate,
    pub input: Rate,
    pub output: Rate,
    last_sample_ms: u64,
}

impl Stats {
    pub fn new(commands: usize) -> Self {
        Stats {
            commands: vec![CmdStats::default(); commands],
            latency: vec![Histogram::default(); commands],
            ..Stats::default()
        }
    }

    /// Counts an error reply under its code: the text before the first space
    /// within 32 bytes, else `ERR`, as Redis does.
    pub fn count_error(&mut self, text: &[u8]) {
        self.total_error_replies += 1;
        let head = &text[..text.len().min(32)];
        let code = match head.iter().position(|&b| b == b' ') {
            Some(i) => &text[..i],
            None => b"ERR",
        };
        match self.errors.get_mut(code) {
            Some(n) => *n += 1,
            None => {
                self.errors.insert(code.to_vec(), 1);
            }
        }
    }

    /// Takes a sample of the rates when one is due.
    pub fn sample(&mut self, now_ms: u64) {
        if now_ms < self.last_sample_ms + SAMPLE_PERIOD_MS {
            return;
        }
        self.last_sample_ms = now_ms;
        self.ops.sample(now_ms, self.total_commands_processed);
        self.input.sample(now_ms, self.net_input_bytes);
        self.output.sample(now_ms, self.net_output_bytes);
    }

    /// `CONFIG RESETSTAT`: zero the counters Redis zeroes.
    pub fn reset(&mut self) {
        let n = self.commands.len();
        *self = Stats::new(n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes() {
        let mut s = Stats::new(0);
        s.count_error(b"ERR syntax error");
        s.count_error(b"WRONGTYPE Operation against a key");
        s.count_error(b"NOSPACEINTHISVERYLONGERRORMESSAGETEXT");
        assert_eq!(s.errors.get(&b"ERR"[..]), Some(&2));
        assert_eq!(s.errors.get(&b"WRONGTYPE"[..]), Some(&1));
        assert_eq!(s.total_error_replies, 3);
    }
}
