//! Per-command latency histograms behind `INFO latencystats`.
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

    /// The value at `pct` percent, in nanoseconds: the highest value
    /// equivalent to the bucket where the cumulative count reaches it.
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
                let (_, next) = range_of(i);
                return next - 1;
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
