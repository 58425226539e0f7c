//! Clients blocked on keys, in the spirit of Redis's `blocked.c`.
//!
//! A command that finds nothing to take (BLPOP on empty lists, and later
//! BZPOPMIN or XREAD BLOCK) blocks its client here instead of replying: the
//! client is listed under each key it waits for, in the order clients
//! blocked, and under its deadline in a timer heap that feeds the poll
//! timeout. The state lives in [`Blocking`], keyed by client id, so any
//! command can reach a blocked client, and a client's own slot stays free
//! to be taken out and served like a running one.
//!
//! When a write creates a key somebody waits for, the write layer marks it
//! ready ([`Server::signal_key_as_ready`]). After every command, the
//! clients waiting on ready keys are served in the order they blocked, each
//! by the callback its command left ([`Waiter`]), until the key runs out.
//! A served or timed-out client goes back to reading its pending input.

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::time::Instant;

use super::client::Client;
use super::Server;
use crate::commands::Args;
use crate::storage::quicklist::Where;

/// What a blocked command does once a key it waits on is ready: take what
/// it waited for and reply, or say it found nothing (the key went away or
/// holds another type again), so the client keeps waiting.
pub type ServeFn = fn(&mut Server, &mut Client, &Waiter, &[u8]) -> Served;

/// Whether a ready key served a blocked client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Served {
    /// Served: the command to propagate for what it did (none when it
    /// ended in an error), and whether it failed.
    Yes {
        propagate: Option<Vec<Vec<u8>>>,
        failed: bool,
    },
    /// Nothing there for this client; it stays blocked.
    No,
    /// Nothing there for this client, which stays blocked, but the key
    /// may still serve those behind it: stream readers each wait for
    /// entries after their own ID.
    Skip,
}

/// What a blocked client waits for and how to finish its command.
pub struct Waiter {
    pub db: usize,
    pub keys: Vec<Vec<u8>>,
    /// Unix ms at which it times out; `None` waits forever.
    pub deadline_ms: Option<u64>,
    /// The command's parsed options, for the serve callback.
    pub op: BlockOp,
    pub serve: ServeFn,
    /// The command that blocked, for its statistics when it finishes.
    pub cmd: crate::commands::CommandId,
    /// How long the call that blocked took, in µs: what its statistics
    /// count, with the serving, but not the wait (as Redis counts it).
    pub call_usec: u64,
}

impl Waiter {
    /// A wait of `client`'s running command on `keys` of its database.
    pub fn new(
        client: &Client,
        keys: Vec<Vec<u8>>,
        deadline_ms: Option<u64>,
        op: BlockOp,
        serve: ServeFn,
    ) -> Waiter {
        Waiter {
            db: client.db,
            keys,
            deadline_ms,
            op,
            serve,
            cmd: client.last_cmd.unwrap_or_default(),
            call_usec: 0,
        }
    }
}

/// The options of a blocked command that its serve callback needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockOp {
    /// BLPOP, BRPOP, BLMPOP: pop from the ready key's end `at`; `count`
    /// for BLMPOP.
    Pop { at: Where, count: Option<u64> },
    /// BLMOVE, BRPOPLPUSH: pop from `from`, push onto `dst` at `to`;
    /// `rpoplpush` for the reply and propagation of BRPOPLPUSH.
    Move {
        dst: Vec<u8>,
        from: Where,
        to: Where,
        rpoplpush: bool,
    },
    /// BZPOPMIN, BZPOPMAX, BZMPOP: pop the lowest or, when `max`, the
    /// highest scores; `count` for BZMPOP.
    ZPop { max: bool, count: Option<u64> },
    /// XREAD: entries after `ids[i]` of the stream `keys[i]` (the first
    /// of a key named twice), at most `count` (0: all).
    XRead {
        count: usize,
        ids: Vec<crate::storage::stream::StreamId>,
    },
    /// XREADGROUP on `>`: deliver to `consumer` of `group` at most
    /// `count` new entries (0: all), leaving none pending when `noack`.
    ReadGroup {
        group: Vec<u8>,
        consumer: Vec<u8>,
        count: u64,
        noack: bool,
    },
}

/// Every blocked client, and the keys and deadlines they wait on.
#[derive(Default)]
pub struct Blocking {
    /// By client id.
    waiters: HashMap<u64, (usize, Waiter)>,
    /// Client ids waiting on each (db, key), in the order they blocked.
    by_key: HashMap<(usize, Vec<u8>), VecDeque<u64>>,
    /// Keys written since the last serving pass that someone waits on.
    ready: Vec<(usize, Vec<u8>)>,
    ready_set: HashSet<(usize, Vec<u8>)>,
    /// (deadline, client id) of every blocked client that has one.
    timers: BTreeSet<(u64, u64)>,
    /// Clients just unblocked whose pending input must be processed.
    pub(crate) unblocked: Vec<usize>,
}

impl Blocking {
    /// Number of blocked clients (`blocked_clients`).
    pub fn len(&self) -> usize {
        self.waiters.len()
    }

    pub fn is_empty(&self) -> bool {
        self.waiters.is_empty()
    }

    /// Whether anyone waits on a key.
    pub fn watched(&self, db: usize, key: &[u8]) -> bool {
        !self.by_key.is_empty() && self.by_key.contains_key(&(db, key.to_vec()))
    }

    /// Whether there are ready keys to serve.
    pub fn has_ready(&self) -> bool {
        !self.ready.is_empty()
    }

    /// Number of clients with a deadline (`clients_in_timeout_table`).
    pub fn with_deadline(&self) -> usize {
        self.timers.len()
    }

    /// The earliest deadline, for the poll timeout.
    pub fn next_deadline(&self) -> Option<u64> {
        self.timers.first().map(|&(when, _)| when)
    }

    /// Keys of database `db` that someone waits on.
    fn waited_keys(&self, db: usize) -> Vec<Vec<u8>> {
        self.by_key
            .keys()
            .filter(|(d, _)| *d == db)
            .map(|(_, key)| key.clone())
            .collect()
    }

    fn forget(&mut self, id: u64) -> Option<(usize, Waiter)> {
        let (token, waiter) = self.waiters.remove(&id)?;
        self.unlink(id, &waiter);
        Some((token, waiter))
    }

    /// Takes `id` off the queues of the keys it waits on, and its deadline.
    fn unlink(&mut self, id: u64, waiter: &Waiter) {
        if let Some(when) = waiter.deadline_ms {
            self.timers.remove(&(when, id));
        }
        for key in &waiter.keys {
            let slot = (waiter.db, key.clone());
            if let Some(queue) = self.by_key.get_mut(&slot) {
                queue.retain(|&c| c != id);
                if queue.is_empty() {
                    self.by_key.remove(&slot);
                }
            }
        }
    }
}

impl Server {
    /// The end of a blocking pop that found nothing to pop: a client that
    /// may not block (in MULTI, in a script) gets a null array at once, as
    /// Redis answers it; any other waits on the keys `args` names at `keys`.
    pub fn block_or_null_array(
        &mut self,
        client: &mut Client,
        args: &Args,
        keys: std::ops::Range<usize>,
        deadline_ms: Option<u64>,
        (op, serve): (BlockOp, ServeFn),
    ) {
        if client.denies_blocking() {
            client.reply.null_array();
            return;
        }
        let keys = keys.map(|i| args.get(i).to_vec()).collect();
        let waiter = Waiter::new(client, keys, deadline_ms, op, serve);
        self.block_client(client, waiter);
    }

    /// Blocks `client` until one of `waiter.keys` is ready or its deadline.
    pub fn block_client(&mut self, client: &mut Client, waiter: Waiter) {
        client.blocked = true;
        let id = client.id;
        for key in &waiter.keys {
            let queue = self
                .blocking
                .by_key
                .entry((waiter.db, key.clone()))
                .or_default();
            // A key named twice waits once, as Redis's per-client key set does.
            if !queue.contains(&id) {
                queue.push_back(id);
            }
        }
        if let Some(when) = waiter.deadline_ms {
            self.blocking.timers.insert((when, id));
        }
        self.blocking.waiters.insert(id, (client.token, waiter));
        if self.blocking.len() == 1 {
            self.sync_expired_log();
        }
    }

    /// Marks a key as ready when someone waits on it (Redis's `signalKeyAsReady`).
    pub fn signal_key_as_ready(&mut self, db: usize, key: &[u8]) {
        if !self.blocking.watched(db, key) {
            return;
        }
        let slot = (db, key.to_vec());
        if self.blocking.ready_set.insert(slot.clone()) {
            self.blocking.ready.push(slot);
        }
    }

    /// Serves clients blocked on keys made ready by the last command, in
    /// the order the keys became ready and, per key, the order the clients
    /// blocked (Redis's `handleClientsBlockedOnKeys`). Serving may make more
    /// keys ready (BLMOVE pushes), which are served in the same pass.
    pub(crate) fn serve_ready_keys(&mut self) {
        while !self.blocking.ready.is_empty() {
            let ready = std::mem::take(&mut self.blocking.ready);
            self.blocking.ready_set.clear();
            for (db, key) in ready {
                self.serve_key(db, &key);
            }
        }
    }

    fn serve_key(&mut self, db: usize, key: &[u8]) {
        let waiting: Vec<u64> = match self.blocking.by_key.get(&(db, key.to_vec())) {
            Some(queue) => queue.iter().copied().collect(),
            None => return,
        };
        for id in waiting {
            let Some((token, waiter)) = self.blocking.waiters.remove(&id) else {
                continue;
            };
            // A client about to be closed (CLIENT KILL, output limits) is
            // sent nothing more, so it must take nothing either.
            let Some(mut client) = self
                .clients
                .get_mut(token)
                .and_then(|slot| slot.take_if(|c| !c.close_asap))
            else {
                self.blocking.waiters.insert(id, (token, waiter));
                continue;
            };
            let mark = client.reply.mark();
            let started = Instant::now();
            // The serving is a call of its own: what it propagates, with
            // the deletions by expiry it caused first, is written together
            // (in MULTI/EXEC when more than one), as Redis does.
            self.propagator.enter();
            let served = (waiter.serve)(self, &mut client, &waiter, key);
            self.propagate_expired();
            let fed_before = self.propagator.fed();
            if let Served::Yes {
                propagate: Some(argv),
                ..
            } = &served
            {
                self.propagator
                    .propagate(waiter.db, argv.iter().map(Vec::as_slice));
            }
            self.propagator.leave();
            if let Served::Yes { propagate, failed } = served {
                if propagate.is_some() || self.propagator.fed() != fed_before {
                    // Its reply acknowledges the write it propagated.
                    client.aof_needed = self.propagator.fed();
                }
                self.blocking.unlink(id, &waiter);
                let usec = started.elapsed().as_micros() as u64;
                if failed {
                    self.stats.commands[waiter.cmd].failed_calls += 1;
                }
                self.finish_blocked(&mut client, &waiter, Some(usec));
                self.finish_reply(&mut client, mark);
                self.after_processing(token, client);
            } else {
                // Nothing there for it: it waits on where it was, and so
                // does everyone behind it, unless each waits for its own.
                self.blocking.waiters.insert(id, (token, waiter));
                self.after_processing(token, client);
                if served == Served::No {
                    return;
                }
            }
        }
    }

    /// After a flush: every key waited on in `db` is ready, so consumers
    /// blocked on streams learn they are gone (Redis's
    /// `scanDatabaseForDeletedKeys`); others keep waiting.
    pub(crate) fn signal_waited_keys(&mut self, db: usize) {
        for key in self.blocking.waited_keys(db) {
            self.signal_key_as_ready(db, &key);
        }
    }

    /// After SWAPDB: keys waited on in `db` that exist there now are ready
    /// (Redis's `scanDatabaseForReadyKeys`).
    pub(crate) fn scan_for_ready_keys(&mut self, db: usize) {
        for key in self.blocking.waited_keys(db) {
            if self.key_exists(db, &key) {
                self.signal_key_as_ready(db, &key);
            }
        }
    }

    /// A blocked command finished: its statistics count it once, as Redis
    /// 7.0 does, with the time of the call that blocked plus, when it was
    /// served, the time serving took (`served_usec`), which alone also goes
    /// to its latency histogram; the wait is not counted. The client then
    /// goes back to its pending input.
    fn finish_blocked(&mut self, client: &mut Client, waiter: &Waiter, served_usec: Option<u64>) {
        client.blocked = false;
        let usec = waiter.call_usec + served_usec.unwrap_or(0);
        let stats = &mut self.stats.commands[waiter.cmd];
        stats.calls += 1;
        stats.usec += usec;
        if served_usec.is_some() && self.config.latency_tracking {
            self.stats.latency[waiter.cmd].record(usec * 1000);
        }
        self.slowlog_unblocked(client.id, Some(usec));
        self.blocking.unblocked.push(client.token);
    }

    /// Records how long the call that just blocked `id` took.
    pub(crate) fn blocked_call_took(&mut self, id: u64, usec: u64) {
        if let Some((_, waiter)) = self.blocking.waiters.get_mut(&id) {
            waiter.call_usec = usec;
        }
    }

    /// What every command's reply gets once written: `CLIENT REPLY` modes,
    /// and the output buffer limits.
    fn finish_reply(&mut self, client: &mut Client, mark: usize) {
        crate::commands::apply_reply_mode(client, mark);
        if client.reply.overflow_len() > 0 {
            self.enforce_output_limit(client);
        }
    }

    /// Times out blocked clients whose deadline has passed.
    pub(crate) fn expire_blocked(&mut self) {
        let now = self.clock.now_ms;
        while let Some(&(when, id)) = self.blocking.timers.first() {
            if when > now {
                break;
            }
            if !self.unblock(id, Unblock::Timeout) {
                self.blocking.timers.remove(&(when, id));
            }
        }
    }

    /// Ends a client's wait without serving it: its command's timeout
    /// reply, or the `-UNBLOCKED` error (CLIENT UNBLOCK … ERROR). Returns
    /// whether the client was blocked.
    pub fn unblock(&mut self, id: u64, how: Unblock) -> bool {
        let Some((token, waiter)) = self.blocking.forget(id) else {
            return false;
        };
        // A blocked client is never the one running a command, so it is
        // in its slot.
        if let Some(mut client) = self.clients.get_mut(token).and_then(Option::take) {
            let mark = client.reply.mark();
            self.reply_unblocked(&mut client, how);
            if how == Unblock::Error {
                self.stats.commands[waiter.cmd].failed_calls += 1;
            }
            self.finish_blocked(&mut client, &waiter, None);
            self.finish_reply(&mut client, mark);
            self.after_processing(token, client);
        }
        true
    }

    /// The reply to a wait that ended unserved: for keys, the null array
    /// (Redis's timeout reply for every type blocked on keys).
    fn reply_unblocked(&mut self, client: &mut Client, how: Unblock) {
        match how {
            Unblock::Timeout => client.reply.null_array(),
            Unblock::Error => {
                let text = b"UNBLOCKED client unblocked via CLIENT UNBLOCK";
                client.reply.error_line(text);
                self.stats.count_error(text);
            }
        }
    }

    /// Forgets a disconnecting client's wait, leaving nothing behind.
    pub(crate) fn forget_blocked(&mut self, id: u64) {
        self.blocking.forget(id);
        self.slowlog_unblocked(id, None);
    }
}

/// How a wait ends without being served.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unblock {
    Timeout,
    Error,
}
