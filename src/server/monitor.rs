//! MONITOR: every command executed is copied, as one status line, to the
//! clients in MONITOR mode (Redis's `replicationFeedMonitors`).
//!
//! A line is written after its command ran, so the commands EXEC runs
//! come between MULTI and EXEC, and a SELECT shows the database it chose.
//! Monitors are idle readers, so their output is queued for writing here,
//! and checked against the output limits of the `normal` class, as Redis
//! counts a monitor as a normal client.

use std::fmt::Write as _;

use super::client::Client;
use super::Server;
use crate::commands::{flags, Args, CommandSpec};

/// What Redis shows instead of a secret argument.
const REDACTED: &[u8] = b"(redacted)";

impl Server {
    /// Starts copying commands to `client`.
    pub fn add_monitor(&mut self, client: &mut Client) {
        client.monitor = true;
        self.monitors.push(client.token);
    }

    /// A disconnecting or reset client stops being a monitor.
    pub(crate) fn remove_monitor(&mut self, client: &mut Client) {
        if client.monitor {
            client.monitor = false;
            self.monitors.retain(|&t| t != client.token);
        }
    }

    /// Copies a command `client` just ran to the monitors, unless it is
    /// one Redis hides (administrative ones, and those flagged so).
    pub(crate) fn feed_monitors(&mut self, client: &mut Client, spec: &CommandSpec, args: &Args) {
        if spec.has(flags::ADMIN | flags::SKIP_MONITOR) {
            return;
        }
        self.feed_monitors_unfiltered(client, spec, args);
    }

    /// Copies a command to the monitors whatever its flags say: EVAL and
    /// its siblings show themselves before the commands their script runs.
    pub(crate) fn feed_monitors_unfiltered(
        &mut self,
        client: &mut Client,
        spec: &CommandSpec,
        args: &Args,
    ) {
        // Redis feeds no monitor while a load runs, neither the replayed
        // file's commands nor those of the clients it serves meanwhile.
        if self.monitors.is_empty() || self.is_loading() || client.replays_aof() {
            return;
        }
        let line = monitor_line(self.clock.now_us, client, spec, args);
        for i in 0..self.monitors.len() {
            let token = self.monitors[i];
            let Some(mut m) = self.clients.get_mut(token).and_then(Option::take) else {
                continue;
            };
            if !m.close_asap {
                m.reply.simple(&line);
                if m.reply.overflow_len() > 0 {
                    self.enforce_output_limit(&mut m);
                }
            }
            super::event_loop::enqueue_write(&mut self.pending_writes, &mut m);
            if let Some(slot) = self.clients.get_mut(token) {
                *slot = Some(m);
            }
        }
        // The running client is out of its slot; a monitor sees its own
        // commands too.
        if client.monitor {
            client.reply.simple(&line);
        }
    }
}

/// `1339518083.107412 [0 127.0.0.1:60866] "keys" "*"`: time, database,
/// origin, then the arguments quoted as Redis's `sdscatrepr` quotes them.
fn monitor_line(now_us: u64, client: &Client, spec: &CommandSpec, args: &Args) -> Vec<u8> {
    let mut head = String::new();
    let _ = write!(
        head,
        "{}.{:06} [{} ",
        now_us / 1_000_000,
        now_us % 1_000_000,
        client.db
    );
    if client.script {
        head.push_str("lua]");
    } else if client.stream.is_unix() {
        let _ = write!(head, "unix:{}]", client.laddr);
    } else {
        let _ = write!(head, "{}]", client.addr);
    }
    let mut line = head.into_bytes();
    for (i, arg) in args.iter().enumerate() {
        line.push(b' ');
        let shown = if redacted(spec, args, i) {
            REDACTED
        } else {
            arg
        };
        line.extend_from_slice(&crate::config::repr(shown));
    }
    line
}

/// Whether argument `i` is a password Redis 7.0 hides: AUTH's arguments
/// (unless AUTH had too many to look at them), and the user and password
/// after HELLO's AUTH, as far as HELLO's options parse, and MIGRATE's AUTH
/// and AUTH2 credentials.
pub(crate) fn redacted(spec: &CommandSpec, args: &Args, i: usize) -> bool {
    match spec.name {
        "auth" => i > 0 && args.len() <= 3,
        "hello" => {
            let mut j = 2;
            while j < args.len() {
                let more = args.len() - 1 - j;
                if args.is(j, "auth") && more >= 2 {
                    if i == j + 1 || i == j + 2 {
                        return true;
                    }
                    j += 3;
                } else if args.is(j, "setname") && more >= 1 {
                    j += 2;
                } else {
                    break;
                }
            }
            false
        }
        "migrate" => {
            let mut j = 6;
            while j < args.len() {
                let more = args.len() - 1 - j;
                if args.is(j, "copy") || args.is(j, "replace") {
                    j += 1;
                } else if args.is(j, "auth") && more >= 1 {
                    if i == j + 1 {
                        return true;
                    }
                    j += 2;
                } else if args.is(j, "auth2") && more >= 2 {
                    if i == j + 1 || i == j + 2 {
                        return true;
                    }
                    j += 3;
                } else {
                    break;
                }
            }
            false
        }
        _ => false,
    }
}
