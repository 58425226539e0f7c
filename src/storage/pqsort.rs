//! Partial sorting as Redis does it (`pqsort`, a Bentley-McIlroy quicksort
//! that only descends into parts overlapping the wanted range). Replies
//! built from a partial sort show its order among equal elements, which a
//! stable sort would not reproduce, so the algorithm is followed step by
//! step: the same pivots, the same swaps, the same small-part insertion sort.

use std::cmp::Ordering;

/// Below this many elements a part is insertion-sorted.
const INSERTION_BELOW: usize = 7;
/// Above this many elements the pivot is a median of three medians.
const NINTHER_ABOVE: usize = 40;

/// Sorts `v` enough that positions `lo..=hi` hold what a full sort would
/// put there (as Redis orders them), the rest partitioned around them.
pub fn partial_sort<T>(v: &mut [T], cmp: impl Fn(&T, &T) -> Ordering, lo: usize, hi: usize) {
    sort_part(v, &cmp, 0, v.len(), (lo, hi));
}

/// Whether the part `a..a + n` holds any wanted position.
fn wanted(a: usize, n: usize, (lo, hi): (usize, usize)) -> bool {
    !(hi < a || lo >= a + n)
}

fn insertion_sort<T>(v: &mut [T], cmp: &impl Fn(&T, &T) -> Ordering, a: usize, n: usize) {
    for m in a + 1..a + n {
        let mut l = m;
        while l > a && cmp(&v[l - 1], &v[l]) == Ordering::Greater {
            v.swap(l, l - 1);
            l -= 1;
        }
    }
}

fn median3<T>(v: &[T], cmp: &impl Fn(&T, &T) -> Ordering, a: usize, b: usize, c: usize) -> usize {
    let (ab, bc, ac) = (cmp(&v[a], &v[b]), cmp(&v[b], &v[c]), cmp(&v[a], &v[c]));
    if ab == Ordering::Less {
        if bc == Ordering::Less {
            b
        } else if ac == Ordering::Less {
            c
        } else {
            a
        }
    } else if bc == Ordering::Greater {
        b
    } else if ac == Ordering::Less {
        a
    } else {
        c
    }
}

/// Swaps the `n` elements from `a` with the `n` from `b`, pairwise.
fn swap_run<T>(v: &mut [T], a: usize, b: usize, n: usize) {
    for i in 0..n {
        v.swap(a + i, b + i);
    }
}

fn sort_part<T>(
    v: &mut [T],
    cmp: &impl Fn(&T, &T) -> Ordering,
    mut a: usize,
    mut n: usize,
    range: (usize, usize),
) {
    loop {
        if n < INSERTION_BELOW {
            insertion_sort(v, cmp, a, n);
            return;
        }
        let mut m = a + n / 2;
        if n > INSERTION_BELOW {
            let (mut l, mut r) = (a, a + n - 1);
            if n > NINTHER_ABOVE {
                let d = n / 8;
                l = median3(v, cmp, l, l + d, l + 2 * d);
                m = median3(v, cmp, m - d, m, m + d);
                r = median3(v, cmp, r - 2 * d, r - d, r);
            }
            m = median3(v, cmp, l, m, r);
        }
        v.swap(a, m);
        // Elements equal to the pivot gather at both ends ([a, pa) and
        // (pd, end)) and move to the middle after partitioning.
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
        // Nothing moved: the part looks sorted, which insertion sort
        // finishes cheaply.
        if !swapped {
            insertion_sort(v, cmp, a, n);
            return;
        }
        let end = a + n;
        let r = (pa - a).min(pb - pa);
        swap_run(v, a, pb - r, r);
        let r = (pd - pc).min(end - pd - 1);
        swap_run(v, pb, end - r, r);
        let left = pb - pa;
        if left > 1 && wanted(a, left, range) {
            sort_part(v, cmp, a, left, range);
        }
        let right = pd - pc;
        if right <= 1 {
            return;
        }
        a = end - right;
        n = right;
        if !wanted(a, n, range) {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wanted_range_comes_out_sorted() {
        let mut state = 12345u64;
        for len in [0usize, 1, 6, 7, 8, 41, 200, 1000] {
            let data: Vec<u64> = (0..len)
                .map(|_| {
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1);
                    (state >> 33) % 50
                })
                .collect();
            let mut sorted = data.clone();
            sorted.sort();
            for (lo, hi) in [(0, 0), (0, 9), (3, 20)] {
                if len == 0 || hi >= len {
                    continue;
                }
                let mut v = data.clone();
                partial_sort(&mut v, |a, b| a.cmp(b), lo, hi);
                assert_eq!(v[lo..=hi], sorted[lo..=hi], "len {len} range {lo}..={hi}");
            }
        }
    }
}
