//! Signals, as Redis handles them. SIGTERM and SIGINT schedule a shutdown:
//! the handler logs and records the signal, and the loop sees it when
//! `epoll_wait` returns (interrupted) and shuts down cleanly from there. A
//! second SIGINT while that shutdown is under way (a final save taking
//! long) means "now": the handler removes the save's temp file and exits
//! at once with status 1. SIGHUP is ignored, so a closed terminal does not
//! stop the server.

use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

use super::logging;
use crate::protocol::reply::format_i64;

static PENDING: AtomicI32 = AtomicI32::new(0);

/// A shutdown signal arrived and that shutdown has not been given up.
static SHUTDOWN_ASAP: AtomicBool = AtomicBool::new(false);

/// The start-up load is under way (the handler words its line for it).
static LOADING: AtomicBool = AtomicBool::new(false);

/// Runs in signal context: only atomics, `write`, `unlink` and `_exit`;
/// `errno` is kept for the code the signal interrupted.
extern "C" fn on_signal(sig: libc::c_int) {
    // SAFETY: __errno_location returns this thread's errno, valid for reads
    // and writes for the thread's lifetime.
    let errno = unsafe { libc::__errno_location() };
    // SAFETY: as above.
    let saved = unsafe { *errno };
    handle(sig);
    // SAFETY: as above.
    unsafe { *errno = saved };
}

fn handle(sig: libc::c_int) {
    if sig == libc::SIGINT && SHUTDOWN_ASAP.load(Ordering::SeqCst) {
        logging::log_from_handler(b"You insist... exiting now.");
        remove_own_temp_rdb();
        // SAFETY: _exit is async-signal-safe and ends the process at once.
        unsafe { libc::_exit(1) };
    }
    let msg: &[u8] = match sig {
        _ if LOADING.load(Ordering::SeqCst) => {
            b"Received shutdown signal during loading, scheduling shutdown."
        }
        libc::SIGINT => b"Received SIGINT scheduling shutdown...",
        libc::SIGTERM => b"Received SIGTERM scheduling shutdown...",
        _ => b"Received shutdown signal, scheduling shutdown...",
    };
    logging::log_from_handler(msg);
    SHUTDOWN_ASAP.store(true, Ordering::SeqCst);
    PENDING.store(sig, Ordering::SeqCst);
}

/// Unlinks `temp-<pid>.rdb` in the working directory (which is `dir`),
/// the file a final save of this process writes, without allocating.
fn remove_own_temp_rdb() {
    let mut path = [0u8; 32];
    let mut len = 0;
    let mut digits = [0u8; 20];
    for part in [
        b"temp-",
        format_i64(i64::from(getpid()), &mut digits),
        b".rdb",
    ] {
        path[len..len + part.len()].copy_from_slice(part);
        len += part.len();
    }
    // SAFETY: `path` is NUL-terminated (zero-filled past `len`, which is
    // at most 5 + 20 + 4 bytes of its 32).
    unsafe { libc::unlink(path.as_ptr().cast()) };
}

fn getpid() -> libc::pid_t {
    // SAFETY: getpid has no preconditions and is async-signal-safe.
    unsafe { libc::getpid() }
}

/// Installs the handlers. Called once at start-up.
pub fn install() {
    for sig in [libc::SIGTERM, libc::SIGINT] {
        // SAFETY: the handler only touches atomics and async-signal-safe
        // calls; the sigaction struct is fully initialised.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as *const () as usize;
            libc::sigemptyset(&mut action.sa_mask);
            action.sa_flags = 0;
            libc::sigaction(sig, &action, std::ptr::null_mut());
        }
    }
    // SAFETY: setting a signal's disposition to SIG_IGN has no preconditions.
    unsafe { libc::signal(libc::SIGHUP, libc::SIG_IGN) };
}

/// The last signal received since the previous call, if any.
pub fn take_pending() -> Option<i32> {
    match PENDING.swap(0, Ordering::SeqCst) {
        0 => None,
        sig => Some(sig),
    }
}

/// Tells the handler whether the start-up load is under way.
pub fn set_loading(on: bool) {
    LOADING.store(on, Ordering::SeqCst);
}

/// The shutdown a signal asked for failed and the server keeps running:
/// a later SIGINT schedules a new one instead of exiting at once.
pub fn shutdown_abandoned() {
    SHUTDOWN_ASAP.store(false, Ordering::SeqCst);
}
