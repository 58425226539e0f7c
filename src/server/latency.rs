//! Per-command latency histograms behind `INFO latencystats` and
//! `LATENCY HISTOGRAM`.
//!
//! Redis records each call's duration in nanoseconds into an HDR histogram
//! with two significant digits and prints percentiles in microseconds, each
//! the highest value its bucket stands for (hence figures like `4.015`).
//! This is the same log-linear bucketing: 256 sub-buckets per power of two,
//! half of them reused by the next power, so relative error stays under 1%.

/// Sub-buckets per bucket: the power of two at or above 2 × 10^precision (precision 2).
const SUB_BUCKETS: usize = 256;
const SUB_HALF: usize = SUB_BUCKETS / 2;
const SUB_BITS: u32 = SUB_BUCKETS.trailing_zeros();
/// Largest value tracked, in nanoseconds (Redis's `LATENCY_HISTOGRAM_MAX_VALUE`: 1000 s).
const MAX_VALUE: u64 = 1_000_000_000_000;

/// Counts of values by bucket, allocated on first use.
#[derive(Debug, Default, Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
}

/// Index of the bucket and sub-bucket holding `v`.
fn index_of(v: u64) -> usize {
    let bucket =
        (63 - (v | (SUB_BUCKETS as u64 - 1)).leading_zeros()).saturating_sub(SUB_BITS - 1) as usize;
    let sub = (v >> bucket) as usize;
    // Buckets after the first only use their upper half (the lower half
    // would repeat the previous bucket), so each adds SUB_HALF slots.
    bucket * SUB_HALF + sub
}

/// Smallest and next-after-largest value of the slot at `index`.
fn range_of(index: usize) -> (u64, u64) {
    let mut bucket = (index / SUB_HALF) as i64 - 1;
    let mut sub = index % SUB_HALF + SUB_HALF;
    if bucket < 0 {
        sub -= SUB_HALF;
        bucket = 0;
    }
    let low = (sub as u64) << bucket;
    (low, low + (1u64 << bucket))
}

impl Histogram {
    /// Records one duration in nanoseconds (clamped to the tracked range).
    pub fn record(&mut self, nanos: u64) {
        let v = nanos.clamp(1, MAX_VALUE);
        let i = index_of(v);
        if self.counts.len() <= i {
            self.counts.resize(index_of(MAX_VALUE) + 1, 0);
        }
        self.counts[i] += 1;
        self.total += 1;
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    pub fn total(&self) -> u64 {
        self.total
    }

    /// `LATENCY HISTOGRAM`'s buckets: at 1024 ns and each power of two
    /// after it, the highest value equivalent to that level in whole µs
    /// and how many calls took at most that long, where the count grew
    /// (Redis's `fillCommandCDF` over a logarithmic HDR iteration).
    pub fn cumulative_usec(&self) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        let (mut seen, mut upto, mut previous) = (0u64, 0usize, 0u64);
        let mut level = 1024u64;
        while seen < self.total && level <= MAX_VALUE {
            let index = index_of(level);
            while upto <= index {
                seen += self.counts.get(upto).copied().unwrap_or(0);
                upto += 1;
            }
            if seen > previous {
                let (_, next) = range_of(index);
                out.push(((next - 1) / 1000, seen));
                previous = seen;
            }
            level *= 2;
        }
        out
    }

    /// The value at `pct` percent, in nanoseconds: the highest value
    /// equivalent to the bucket where the cumulative count reaches it (the
    /// lowest for percentile 0, as HdrHistogram answers).
    pub fn percentile(&self, pct: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let target = ((pct.min(100.0) / 100.0) * self.total as f64 + 0.5) as u64;
        let target = target.max(1);
        let mut seen = 0;
        for (i, &n) in self.counts.iter().enumerate() {
            seen += n;
            if seen >= target {
                let (low, next) = range_of(i);
                return if pct == 0.0 { low } else { next - 1 };
            }
        }
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_redis_bucket_edges() {
        // Values Redis 7.0 printed for calls of 4, 8 and 212 microseconds.
        for (nanos, shown) in [
            (4_000, 4_015),
            (8_000, 8_031),
            (212_000, 212_991),
            (18_000, 18_047),
        ] {
            let mut h = Histogram::default();
            h.record(nanos);
            assert_eq!(h.percentile(50.0), shown, "{nanos}");
        }
    }

    /// LATENCY HISTOGRAM's levels: redis-server 7.0.15 answered
    /// `264 1 2113 2 33816 3 541065 4` after DEBUG SLEEP calls of about
    /// 0.2, 1.5, 20 and 300 ms.
    #[test]
    fn cumulative_buckets_match_redis() {
        let mut h = Histogram::default();
        for nanos in [200_000, 1_500_000, 20_000_000, 300_000_000] {
            h.record(nanos);
        }
        assert_eq!(
            h.cumulative_usec(),
            [(264, 1), (2113, 2), (33816, 3), (541065, 4)]
        );
        let mut h = Histogram::default();
        for nanos in [3_000, 5_000, 5_000] {
            h.record(nanos);
        }
        assert_eq!(h.cumulative_usec(), [(4, 1), (8, 3)]);
    }

    /// redis-server 7.0.15 printed `p0=2.992,p50=3.007` for one 3 µs call.
    #[test]
    fn percentile_zero_is_the_lowest_equivalent() {
        let mut h = Histogram::default();
        h.record(3_000);
        assert_eq!((h.percentile(0.0), h.percentile(50.0)), (2_992, 3_007));
    }

    #[test]
    fn small_values_are_exact() {
        let mut h = Histogram::default();
        for v in 1..=100 {
            h.record(v);
        }
        assert_eq!(h.percentile(50.0), 50);
        assert_eq!(h.percentile(99.0), 99);
        assert_eq!(h.percentile(100.0), 100);
    }

    #[test]
    fn index_and_range_agree() {
        for v in [
            1u64,
            127,
            128,
            255,
            256,
            257,
            1023,
            4000,
            65_535,
            1 << 40,
            MAX_VALUE,
        ] {
            let (low, next) = range_of(index_of(v));
            assert!(low <= v && v < next, "{v}: {low}..{next}");
        }
    }
}
