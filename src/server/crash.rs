//! The bug report a panic leaves in the log, in the shape of Redis's
//! (`debug.c`): the failure and a stack trace from the panic hook, then,
//! when the panic came from a command, INFO, the client list and the
//! command being run, and the process exits with status 1.
//!
//! Fatal signals (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT) leave the same
//! report's start when `crash-log-enabled` is on, then end the process by
//! the signal itself, so a core dump still happens where enabled.
//!
//! A panic is a bug. The report is what makes one fixable, and exiting at
//! once (rather than serving on from a half-applied command) keeps the
//! files sound: the panicking command's writes were never propagated, and
//! what earlier commands propagated is flushed to the AOF first.

use std::backtrace::Backtrace;
use std::fmt::Write as _;

use super::client::Client;
use super::logging::RAW;
use super::Server;
use crate::commands::Args;

/// The panic payload of a failed assertion (`DEBUG ASSERT`), reported as
/// Redis reports `serverAssert`.
pub struct Assertion(pub &'static str);

/// Logs the start of the report on every panic, wherever it happens.
pub fn install_hook() {
    std::panic::set_hook(Box::new(|info| {
        let at = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_default();
        if let Some(Assertion(expr)) = info.payload().downcast_ref::<Assertion>() {
            log::warn!(target: RAW, "\n\n=== REDIS BUG REPORT START: Cut & paste starting from here ===");
            log::warn!("=== ASSERTION FAILED ===");
            log::warn!("==> {at} '{expr}' is not true");
            log::warn!(
                target: RAW,
                "------ STACK TRACE ------\n{}",
                Backtrace::force_capture()
            );
            return;
        }
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".to_string());
        let at = if at.is_empty() { at } else { format!(" #{at}") };
        log::warn!(target: RAW, "\n\n=== REDIS BUG REPORT START: Cut & paste starting from here ===");
        log::warn!("------------------------------------------------");
        log::warn!("!!! Software Failure. Press left mouse button to continue");
        log::warn!("Guru Meditation: {message}{at}");
        log::warn!(
            target: RAW,
            "------ STACK TRACE ------\n{}",
            Backtrace::force_capture()
        );
    }));
}

impl Server {
    /// Ends the report of a panic while `client` ran `args`, then exits.
    pub(crate) fn crash_report(&mut self, client: &Client, args: &Args) -> ! {
        let mut report = String::from("------ INFO OUTPUT ------\n");
        report.push_str(&crate::commands::info::all_sections(self, client).replace("\r\n", "\n"));
        report.push_str("\n------ CLIENT LIST OUTPUT ------\n");
        for other in self.clients.iter().filter_map(|(_, c)| c.as_deref()) {
            report.push_str(&self.client_info(other));
            report.push('\n');
        }
        report.push_str(&self.client_info(client));
        report.push_str("\n\n------ CURRENT CLIENT INFO ------\n");
        report.push_str(&self.client_info(client));
        report.push('\n');
        for (i, arg) in args.iter().enumerate() {
            let shown = crate::config::repr(arg);
            let _ = writeln!(report, "argv[{i}]: '{}'", String::from_utf8_lossy(&shown));
        }
        report.push_str(
            "\n=== REDIS BUG REPORT END. Make sure to include from START to END. ===\n\n\
             \x20      Please report the crash by opening an issue on github:\n\n\
             \x20          http://github.com/redis/redis/issues\n",
        );
        log::warn!(target: RAW, "{report}");
        self.flush_aof(true);
        if self.config.daemonize && !self.config.pidfile.is_empty() {
            let _ = std::fs::remove_file(&self.config.pidfile);
        }
        std::process::exit(1);
    }
}

const FATAL_SIGNALS: [libc::c_int; 5] = [
    libc::SIGSEGV,
    libc::SIGBUS,
    libc::SIGFPE,
    libc::SIGILL,
    libc::SIGABRT,
];

/// Installs (`enabled`) or removes the fatal-signal report, as
/// `crash-log-enabled` says; called at start and on CONFIG SET.
pub fn set_fatal_handlers(enabled: bool) {
    for sig in FATAL_SIGNALS {
        // SAFETY: the sigaction struct is fully initialised; the handler is
        // an `extern "C"` function of the SA_SIGINFO signature.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            libc::sigemptyset(&mut action.sa_mask);
            if enabled {
                action.sa_sigaction = on_fatal as *const () as usize;
                action.sa_flags = libc::SA_SIGINFO | libc::SA_NODEFER | libc::SA_RESETHAND;
            } else {
                action.sa_sigaction = libc::SIG_DFL;
            }
            libc::sigaction(sig, &action, std::ptr::null_mut());
        }
    }
}

/// Redis's `sigsegvHandler`: the signal, the faulting address or the
/// sender, a stack trace, then the signal again with its default action
/// (SA_RESETHAND restored it), which ends the process. Logging allocates,
/// which a signal handler should not; as in Redis, a crash is the one
/// place where that risk is worth the information.
extern "C" fn on_fatal(sig: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo_t to an SA_SIGINFO handler.
    let (code, addr, pid, uid) = unsafe {
        let i = &*info;
        (i.si_code, i.si_addr() as usize, i.si_pid(), i.si_uid())
    };
    log::warn!(target: RAW, "\n\n=== REDIS BUG REPORT START: Cut & paste starting from here ===");
    log::warn!(
        "Redis {} crashed by signal: {sig}, si_code: {code}",
        super::REDIS_VERSION
    );
    if sig == libc::SIGSEGV || sig == libc::SIGBUS {
        log::warn!("Accessing address: {addr:#x}");
    }
    if code == libc::SI_USER && pid != -1 {
        log::warn!("Killed by PID: {pid}, UID: {uid}");
    }
    log::warn!(
        target: RAW,
        "------ STACK TRACE ------\n{}",
        Backtrace::force_capture()
    );
    log::warn!(
        target: RAW,
        "\n=== REDIS BUG REPORT END. Make sure to include from START to END. ===\n"
    );
    // SAFETY: raise has no preconditions; the disposition is the default now.
    unsafe { libc::raise(sig) };
}

/// `DEBUG SEGFAULT` and friends: delivers `sig` to this process.
pub fn raise_fatal(sig: libc::c_int) -> ! {
    // SAFETY: raise has no preconditions.
    unsafe { libc::raise(sig) };
    std::process::abort()
}

/// `DEBUG OOM`: the failed allocation of `size` bytes, logged as Redis's
/// allocator logs it before aborting.
pub fn out_of_memory(size: usize) -> ! {
    log::warn!("Out Of Memory allocating {size} bytes!");
    std::process::abort()
}
