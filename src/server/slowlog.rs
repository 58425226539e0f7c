//! SLOWLOG: the commands whose execution took at least
//! `slowlog-log-slower-than` microseconds, newest first, at most
//! `slowlog-max-len` of them (Redis's `slowlog.c`).
//!
//! An entry keeps a bounded copy of the arguments, as Redis does: 32 at
//! most (the last slot saying how many more there were), each cut at 128
//! bytes, passwords redacted. A command that blocks is logged when it is
//! served or times out, with the time its calls took, not the wait.

use std::collections::{HashMap, VecDeque};

use super::client::Client;
use super::Server;
use crate::commands::{flags, Args, CommandSpec};

/// Arguments kept per entry (`SLOWLOG_ENTRY_MAX_ARGC`).
const MAX_ARGC: usize = 32;
/// Bytes kept per argument (`SLOWLOG_ENTRY_MAX_STRING`).
const MAX_STRING: usize = 128;

/// One logged command.
pub struct Entry {
    pub id: u64,
    /// Unix time in seconds when it was logged.
    pub time: u64,
    pub duration_us: u64,
    pub argv: Vec<Vec<u8>>,
    pub peer: String,
    pub name: Vec<u8>,
}

#[derive(Default)]
pub struct Slowlog {
    /// Newest first.
    pub entries: VecDeque<Entry>,
    next_id: u64,
    /// Entries of blocked commands, by client id, waiting for their duration.
    pending: HashMap<u64, Entry>,
}

impl Slowlog {
    pub fn reset(&mut self) {
        self.entries.clear();
    }
}

impl Server {
    /// Logs a command `client` just ran in `usec`, if slow enough; a
    /// command that blocked waits for [`Server::slowlog_unblocked`].
    pub(crate) fn slowlog_command(
        &mut self,
        client: &Client,
        spec: &CommandSpec,
        args: &Args,
        usec: u64,
    ) {
        let threshold = self.config.slowlog_log_slower_than;
        // Replaying the append-only file is not a client's command.
        if threshold < 0 || spec.has(flags::SKIP_SLOWLOG) || client.replays_aof() {
            return;
        }
        if client.blocked {
            let entry = self.slowlog_entry(client, spec, args, 0);
            self.slowlog.pending.insert(client.id, entry);
        } else if usec >= threshold as u64 {
            let entry = self.slowlog_entry(client, spec, args, usec);
            self.slowlog_push(entry);
        }
    }

    /// A blocked command finished after its calls took `usec` in all
    /// (`None`: the client went away and the entry is dropped).
    pub(crate) fn slowlog_unblocked(&mut self, client_id: u64, usec: Option<u64>) {
        let Some(mut entry) = self.slowlog.pending.remove(&client_id) else {
            return;
        };
        let threshold = self.config.slowlog_log_slower_than;
        match usec {
            Some(usec) if threshold >= 0 && usec >= threshold as u64 => {
                entry.duration_us = usec;
                entry.time = self.clock.now_ms / 1000;
                self.slowlog_push(entry);
            }
            _ => {}
        }
    }

    fn slowlog_entry(&self, client: &Client, spec: &CommandSpec, args: &Args, usec: u64) -> Entry {
        let argc = args.len().min(MAX_ARGC);
        let mut argv = Vec::with_capacity(argc);
        for (i, arg) in args.iter().enumerate().take(argc) {
            if i == argc - 1 && argc != args.len() {
                let more = args.len() - argc + 1;
                argv.push(format!("... ({more} more arguments)").into_bytes());
            } else if super::monitor::redacted(spec, args, i) {
                argv.push(b"(redacted)".to_vec());
            } else if arg.len() > MAX_STRING {
                let mut cut = arg[..MAX_STRING].to_vec();
                cut.extend_from_slice(
                    format!("... ({} more bytes)", arg.len() - MAX_STRING).as_bytes(),
                );
                argv.push(cut);
            } else {
                argv.push(arg.to_vec());
            }
        }
        Entry {
            id: 0,
            time: self.clock.now_ms / 1000,
            duration_us: usec,
            argv,
            peer: client.addr.clone(),
            name: client.name.clone().unwrap_or_default(),
        }
    }

    fn slowlog_push(&mut self, mut entry: Entry) {
        entry.id = self.slowlog.next_id;
        self.slowlog.next_id += 1;
        self.slowlog.entries.push_front(entry);
        let max = usize::try_from(self.config.slowlog_max_len).unwrap_or(usize::MAX);
        self.slowlog.entries.truncate(max);
    }
}
