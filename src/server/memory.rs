//! Memory accounting: a global allocator that counts live heap bytes, so
//! `INFO memory`'s `used_memory` reports what the server really holds, and
//! the process's resident set size from `/proc`.
//!
//! Also the allocator of the small byte blocks values are kept in by the
//! million ([`alloc_bytes`]): the C library's malloc puts an 8-byte header
//! before every block and rounds to 16 bytes (a 40-byte block takes 48),
//! where mimalloc keeps blocks of one size together in pages, without
//! headers, in sizes 8 bytes apart up to 64 (built with 8-byte alignment,
//! see `.cargo/config.toml`) and 16 apart up to 128: a 40-byte block takes
//! 40. Above that its sizes grow a quarter apart and the C library's
//! rounding is the tighter, so larger blocks stay there.

use std::alloc::{GlobalAlloc, Layout, System};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The allocator's name, as `INFO memory`'s `mem_allocator` gives it.
pub const ALLOCATOR: &str = "libc";

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

/// Largest block [`alloc_bytes`] takes from mimalloc.
const SMALL_BLOCK_MAX: usize = 128;

/// A block of `len` bytes (`len` > 0), counted in `used_memory`: from
/// mimalloc when small, through the global allocator otherwise. Aborts
/// when memory is exhausted, as the global allocator's users do.
pub fn alloc_bytes(len: usize) -> NonNull<u8> {
    let layout = Layout::array::<u8>(len).unwrap_or(Layout::new::<u8>());
    let raw = if len <= SMALL_BLOCK_MAX {
        // SAFETY: mi_malloc takes any size.
        let p = unsafe { libmimalloc_sys::mi_malloc(len) }.cast::<u8>();
        if !p.is_null() {
            add(len);
        }
        p
    } else {
        // SAFETY: the layout has a non-zero size.
        unsafe { std::alloc::alloc(layout) }
    };
    NonNull::new(raw).unwrap_or_else(|| std::alloc::handle_alloc_error(layout))
}

/// Frees a block of [`alloc_bytes`].
///
/// # Safety
/// `ptr` came from `alloc_bytes(len)` with this `len` and is not used again.
pub unsafe fn free_bytes(ptr: NonNull<u8>, len: usize) {
    if len <= SMALL_BLOCK_MAX {
        libmimalloc_sys::mi_free(ptr.as_ptr().cast());
        USED.fetch_sub(len, Ordering::Relaxed);
    } else {
        let layout = Layout::array::<u8>(len).unwrap_or(Layout::new::<u8>());
        std::alloc::dealloc(ptr.as_ptr(), layout);
    }
}

/// Gives the allocators' free pages back to the system (`MEMORY PURGE`).
pub fn purge() {
    // SAFETY: both only walk their allocator's own free lists.
    unsafe {
        libc::malloc_trim(0);
        libmimalloc_sys::mi_collect(true);
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

/// Bytes of this process in transparent huge pages, the sum of the
/// `AnonHugePages` lines of `/proc/self/smaps` (0 when unreadable).
pub fn anon_huge_pages() -> u64 {
    let Ok(text) = std::fs::read_to_string("/proc/self/smaps") else {
        return 0;
    };
    text.lines()
        .filter_map(|l| l.strip_prefix("AnonHugePages:"))
        .filter_map(|rest| rest.trim().strip_suffix("kB"))
        .filter_map(|kb| kb.trim().parse::<u64>().ok())
        .sum::<u64>()
        * 1024
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
    use super::*;

    /// mimalloc is built with 8-byte alignment (`.cargo/config.toml`), so
    /// its blocks up to 64 bytes are 8 bytes apart, then 16.
    #[test]
    fn small_blocks_are_exact() {
        for (len, size) in [(8, 8), (40, 40), (47, 48), (64, 64), (72, 80), (120, 128)] {
            let p = alloc_bytes(len);
            // SAFETY: p is a live mimalloc block.
            let usable = unsafe { libmimalloc_sys::mi_usable_size(p.as_ptr().cast()) };
            // SAFETY: allocated just above with this length.
            unsafe { free_bytes(p, len) };
            assert_eq!(usable, size, "{len}-byte block");
        }
    }

    #[test]
    fn human_sizes() {
        assert_eq!(super::human(0), "0B");
        assert_eq!(super::human(1023), "1023B");
        assert_eq!(super::human(941128), "919.07K");
        assert_eq!(super::human(6692864), "6.38M");
    }
}
