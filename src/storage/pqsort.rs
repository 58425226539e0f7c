//! Partial sorting as Redis does it (`pqsort`, the Bentley-McIlroy
//! quicksort of BSD's `qsort` that only descends into parts overlapping
//! the wanted window). Replies built from a partial sort (SORT ... BY ...
//! LIMIT, GEO searches with COUNT) show its order among equal elements,
//! which a stable sort would not reproduce, so the algorithm is followed
//! step by step: the same pivots, the same swaps, the same small-part
//! insertion sort.

use std::cmp::Ordering;

/// Redis's `pqsort`: the Bentley–McIlroy quicksort of BSD's `qsort`,
/// which skips partitions wholly outside `lrange..=rrange`, so only that
/// window ends up in order. Followed exactly, since where it leaves tied
/// elements shows in the reply.
pub fn pqsort<T>(v: &mut [T], lrange: i64, rrange: i64, cmp: &mut impl FnMut(&T, &T) -> Ordering) {
    partial_sort(v, 0, v.len(), (lrange, rrange), cmp);
}

/// Whether the partition of `n` elements at `a` lies wholly outside the
/// window, on either side.
fn outside(a: usize, n: usize, (l, r): (i64, i64)) -> bool {
    let (first, past) = (a as i64, (a + n) as i64);
    (l < first && r < first) || (l >= past && r >= past)
}

fn partial_sort<T>(
    v: &mut [T],
    mut a: usize,
    mut n: usize,
    window: (i64, i64),
    cmp: &mut impl FnMut(&T, &T) -> Ordering,
) {
    loop {
        if n < 7 {
            insertion_sort(v, a, n, cmp);
            return;
        }
        let mut pm = a + n / 2;
        if n > 7 {
            let mut pl = a;
            let mut pn = a + n - 1;
            if n > 40 {
                let d = n / 8;
                pl = med3(v, pl, pl + d, pl + 2 * d, cmp);
                pm = med3(v, pm - d, pm, pm + d, cmp);
                pn = med3(v, pn - 2 * d, pn - d, pn, cmp);
            }
            pm = med3(v, pl, pm, pn, cmp);
        }
        v.swap(a, pm);
        let (mut pa, mut pb) = (a + 1, a + 1);
        let (mut pc, mut pd) = (a + n - 1, a + n - 1);
        let mut swapped = false;
        loop {
            while pb <= pc {
                let o = cmp(&v[pb], &v[a]);
                if o == Ordering::Greater {
                    break;
                }
                if o == Ordering::Equal {
                    swapped = true;
                    v.swap(pa, pb);
                    pa += 1;
                }
                pb += 1;
            }
            while pb <= pc {
                let o = cmp(&v[pc], &v[a]);
                if o == Ordering::Less {
                    break;
                }
                if o == Ordering::Equal {
                    swapped = true;
                    v.swap(pc, pd);
                    pd -= 1;
                }
                pc -= 1;
            }
            if pb > pc {
                break;
            }
            v.swap(pb, pc);
            swapped = true;
            pb += 1;
            pc -= 1;
        }
        if !swapped {
            insertion_sort(v, a, n, cmp);
            return;
        }
        let pn = a + n;
        let r = (pa - a).min(pb - pa);
        swap_runs(v, a, pb - r, r);
        let r = (pd - pc).min(pn - pd - 1);
        swap_runs(v, pb, pn - r, r);
        // Redis recurses into the left part and loops on the right. The
        // parts are disjoint, so the order they are sorted in changes
        // nothing; recursing into the smaller keeps the stack depth
        // logarithmic whatever a client's data does to the pivots.
        let wanted = |(at, len): (usize, usize)| len > 1 && !outside(at, len, window);
        let left = Some((a, pb - pa)).filter(|&p| wanted(p));
        let right = Some((pn - (pd - pc), pd - pc)).filter(|&p| wanted(p));
        let next = match (left, right) {
            (Some(l), Some(r)) => {
                let (small, big) = if l.1 <= r.1 { (l, r) } else { (r, l) };
                partial_sort(v, small.0, small.1, window, cmp);
                big
            }
            (Some(only), None) | (None, Some(only)) => only,
            (None, None) => return,
        };
        (a, n) = next;
    }
}

fn insertion_sort<T>(v: &mut [T], a: usize, n: usize, cmp: &mut impl FnMut(&T, &T) -> Ordering) {
    for pm in a + 1..a + n {
        let mut pl = pm;
        while pl > a && cmp(&v[pl - 1], &v[pl]) == Ordering::Greater {
            v.swap(pl, pl - 1);
            pl -= 1;
        }
    }
}

/// The index of the median of three, with BSD's choice among ties.
fn med3<T>(
    v: &[T],
    a: usize,
    b: usize,
    c: usize,
    cmp: &mut impl FnMut(&T, &T) -> Ordering,
) -> usize {
    if cmp(&v[a], &v[b]) == Ordering::Less {
        if cmp(&v[b], &v[c]) == Ordering::Less {
            b
        } else if cmp(&v[a], &v[c]) == Ordering::Less {
            c
        } else {
            a
        }
    } else if cmp(&v[b], &v[c]) == Ordering::Greater {
        b
    } else if cmp(&v[a], &v[c]) == Ordering::Less {
        a
    } else {
        c
    }
}

/// Swaps the `n` elements from `a` with the `n` from `b`, pairwise.
fn swap_runs<T>(v: &mut [T], a: usize, b: usize, n: usize) {
    for i in 0..n {
        v.swap(a + i, b + i);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sorting by key alone, the window holds what a full sort would put there.
    #[test]
    fn pqsort_orders_the_window() {
        let mut seed = 7u64;
        for n in [0usize, 1, 5, 7, 8, 40, 41, 100, 500] {
            let orig: Vec<u32> = (0..n)
                .map(|_| {
                    seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
                    (seed >> 33) as u32 % 50
                })
                .collect();
            let mut full = orig.clone();
            full.sort();
            for (l, r) in [(0i64, 3i64), (2, 9), (n as i64 / 2, n as i64 - 1), (5, 4)] {
                let mut v = orig.clone();
                pqsort(&mut v, l, r, &mut |a, b| a.cmp(b));
                let lo = l.max(0) as usize;
                let hi = (r + 1).clamp(0, n as i64) as usize;
                if lo < hi {
                    assert_eq!(v[lo..hi], full[lo..hi], "n={n} l={l} r={r}");
                }
            }
        }
    }
}
