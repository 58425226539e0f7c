//! The bug report a panic leaves in the log, in the shape of Redis's
//! (`debug.c`): the failure and a stack trace from the panic hook, then,
//! when the panic came from a command, INFO, the client list and the
//! command being run, and the process exits with status 1.
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

/// Logs the start of the report on every panic, wherever it happens.
pub fn install_hook() {
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic".to_string());
        let at = info
            .location()
            .map(|l| format!(" #{}:{}", l.file(), l.line()))
            .unwrap_or_default();
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
