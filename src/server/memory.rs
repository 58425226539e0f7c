//! Memory accounting: a global allocator that counts live heap bytes, so
//! `INFO memory`'s `used_memory` reports what the server really holds, and
//! the process's resident set size from `/proc`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

static USED: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

/// The system allocator, counting bytes in use.
pub struct CountingAlloc;

// SAFETY: every call forwards to the system allocator unchanged; the
// counters are only bookkeeping.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc(layout);
        if !p.is_null() {
            add(layout.size());
        }
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = System.alloc_zeroed(layout);
        if !p.is_null() {
            add(layout.size());
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout);
        USED.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = System.realloc(ptr, layout, new_size);
        if !p.is_null() {
            USED.fetch_sub(layout.size(), Ordering::Relaxed);
            add(new_size);
        }
        p
    }
}

fn add(n: usize) {
    let now = USED.fetch_add(n, Ordering::Relaxed) + n;
    if now > PEAK.load(Ordering::Relaxed) {
        PEAK.store(now, Ordering::Relaxed);
    }
}

/// Takes `n` bytes off the count: blocks that will be freed behind the
/// counting allocator's back (the Lua interpreters' heap).
pub fn forget(n: usize) {
    let _ = USED.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |u| {
        Some(u.saturating_sub(n))
    });
}

/// Heap bytes in use (zero when the counting allocator is not installed).
pub fn used() -> usize {
    USED.load(Ordering::Relaxed)
}

/// The highest `used()` seen.
pub fn peak() -> usize {
    PEAK.load(Ordering::Relaxed)
}

/// Resident set size in bytes, from `/proc/self/statm`.
pub fn rss() -> usize {
    let Ok(text) = std::fs::read_to_string("/proc/self/statm") else {
        return 0;
    };
    let pages: usize = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    pages * usize::try_from(page).unwrap_or(4096)
}

/// Total physical memory in bytes.
pub fn total_system() -> u64 {
    // SAFETY: sysconf has no preconditions.
    let (pages, page) = unsafe {
        (
            libc::sysconf(libc::_SC_PHYS_PAGES),
            libc::sysconf(libc::_SC_PAGESIZE),
        )
    };
    u64::try_from(pages).unwrap_or(0) * u64::try_from(page).unwrap_or(0)
}

/// Bytes in Redis's human form: `919.07K`, `6.38M`, `0B`.
pub fn human(n: u64) -> String {
    let n = n as f64;
    const UNITS: [(f64, &str); 6] = [
        (1024f64 * 1024.0 * 1024.0 * 1024.0 * 1024.0 * 1024.0, "E"),
        (1024f64 * 1024.0 * 1024.0 * 1024.0 * 1024.0, "P"),
        (1024f64 * 1024.0 * 1024.0 * 1024.0, "T"),
        (1024f64 * 1024.0 * 1024.0, "G"),
        (1024f64 * 1024.0, "M"),
        (1024f64, "K"),
    ];
    for (size, unit) in UNITS {
        if n >= size {
            return format!("{:.2}{unit}", n / size);
        }
    }
    format!("{}B", n as u64)
}

/// Where the heap goes apart from the dataset, as `INFO memory` and
/// `MEMORY STATS` report it (Redis's `getMemoryOverheadData`).
pub struct Overhead {
    pub startup: u64,
    pub clients_normal: u64,
    pub aof_buffer: u64,
    /// The function libraries' structures (`functions.caches`).
    pub functions_caches: u64,
    /// Per database with keys: its index and its tables' overhead.
    pub dbs: Vec<(usize, u64, u64)>,
    pub total: u64,
}

impl super::Server {
    /// The overhead now; `me` is the running client, out of its slot.
    pub(crate) fn memory_overhead(&self, me: &super::client::Client) -> Overhead {
        let clients_normal: u64 = self
            .other_clients()
            .chain(std::iter::once(me))
            .map(|c| {
                (c.query.data.len()
                    + c.reply.capacity()
                    + std::mem::size_of::<super::client::Client>()) as u64
            })
            .sum();
        let aof_buffer = self.aof.writer.as_ref().map_or(0, |w| w.buffered()) as u64;
        let dbs: Vec<(usize, u64, u64)> = (0..self.db_count())
            .filter(|&i| !self.db(i).is_empty())
            .map(|i| {
                let (main, expires) = self.db(i).table_overhead();
                (i, main as u64, expires as u64)
            })
            .collect();
        let startup = self.startup_memory as u64;
        let functions_caches = self.functions.libraries().overhead() as u64;
        let total = startup
            + clients_normal
            + aof_buffer
            + functions_caches
            + dbs.iter().map(|(_, m, e)| m + e).sum::<u64>();
        Overhead {
            startup,
            clients_normal,
            aof_buffer,
            functions_caches,
            dbs,
            total: total.min(used() as u64),
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn human_sizes() {
        assert_eq!(super::human(0), "0B");
        assert_eq!(super::human(1023), "1023B");
        assert_eq!(super::human(941128), "919.07K");
        assert_eq!(super::human(6692864), "6.38M");
    }
}
