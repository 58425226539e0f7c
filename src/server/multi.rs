//! Transactions: the commands a client queued after MULTI, and the keys
//! clients WATCH, in the spirit of Redis's `multi.c`.
//!
//! A client's queue lives in the client ([`MultiState`]); the watched keys
//! live in the server ([`Watches`]), keyed by client id, because the write
//! that invalidates a watch may come from any client, including the one
//! whose command is running and so is out of its slab slot. Invalidation
//! only records the client id in a dirty set; EXEC looks there.
//!
//! Redis 7.0 treats a key that had already expired when it was watched
//! apart: the watch remembers that, so the key's deletion by expiry (lazy,
//! active, or by a flush) is no logical change and does not fail EXEC;
//! anything that makes the key exist again does. A key that expires after
//! being watched fails EXEC even before anything deletes it.

use std::collections::{HashMap, HashSet};

use super::Server;
use crate::commands::{Args, CommandId, OwnedArgs};

/// Bytes Redis counts per queued argument besides its own bytes (the
/// argument vector's pointer), in `multi-mem`.
const ARG_POINTER_BYTES: usize = 8;

/// What a client in a transaction has queued.
#[derive(Debug, Default)]
pub struct MultiState {
    pub commands: Vec<(CommandId, OwnedArgs)>,
    /// Union of the queued commands' flags: EXEC counts as a write (for
    /// MISCONF and CLIENT PAUSE) when any queued command is one.
    pub flags: u32,
    /// A command was refused while queueing: EXEC answers EXECABORT.
    pub aborted: bool,
    /// Queued commands (Redis counts them even when it stopped storing them).
    pub count: usize,
    /// Bytes held by the queue, as `multi-mem` reports them.
    pub mem: usize,
}

impl MultiState {
    /// Queues a command; once the transaction can no longer run (aborted,
    /// or a watched key changed) it is only counted, as Redis does.
    pub fn queue(&mut self, id: CommandId, args: &Args, flags: u32, keep: bool) {
        self.count += 1;
        if keep {
            self.mem += args.bytes() + args.len() * ARG_POINTER_BYTES;
            self.flags |= flags;
            self.commands.push((id, OwnedArgs::new(args)));
        }
    }
}

/// One client watching one key.
#[derive(Debug)]
struct Watcher {
    client: u64,
    db: usize,
    /// The key had already expired when it was watched.
    expired: bool,
}

/// Every watched key and who watches it.
#[derive(Debug, Default)]
pub struct Watches {
    /// Watchers by key name, across databases.
    by_key: HashMap<Vec<u8>, Vec<Watcher>>,
    /// Keys each client watches: (db, key).
    by_client: HashMap<u64, Vec<(usize, Vec<u8>)>>,
    /// Clients a watched key of which changed since they watched it.
    dirty: HashSet<u64>,
}

impl Watches {
    /// Whether nobody watches anything (checked by every write first).
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// Whether anybody watches a key of this name, in any database.
    pub fn watches_key(&self, key: &[u8]) -> bool {
        self.by_key.contains_key(key)
    }

    /// Whether a watched key of `client` changed (`d` in `CLIENT LIST`).
    pub fn is_dirty(&self, client: u64) -> bool {
        !self.dirty.is_empty() && self.dirty.contains(&client)
    }
}

impl Server {
    /// WATCH: `client` watches `key` of `db` (once however often it asks).
    pub fn watch_key(&mut self, client: u64, db: usize, key: &[u8]) {
        let keys = self.watches.by_client.entry(client).or_default();
        if keys.iter().any(|(d, k)| *d == db && k == key) {
            return;
        }
        keys.push((db, key.to_vec()));
        let was_empty = self.watches.by_key.is_empty();
        let expired = self.dbs[db].is_stale(key, self.clock.now_ms);
        self.watches
            .by_key
            .entry(key.to_vec())
            .or_default()
            .push(Watcher {
                client,
                db,
                expired,
            });
        if was_empty {
            self.sync_expired_log();
        }
    }

    /// Forgets every key `client` watches, and whether one changed
    /// (UNWATCH, EXEC, DISCARD, RESET, disconnection).
    pub fn unwatch_all(&mut self, client: u64) {
        let Some(keys) = self.watches.by_client.remove(&client) else {
            return;
        };
        self.watches.dirty.remove(&client);
        for (db, key) in keys {
            if let Some(list) = self.watches.by_key.get_mut(&key) {
                list.retain(|w| !(w.client == client && w.db == db));
                if list.is_empty() {
                    self.watches.by_key.remove(&key);
                }
            }
        }
        if self.watches.by_key.is_empty() {
            self.sync_expired_log();
        }
    }

    /// A watched key may have changed: its watchers' transactions fail,
    /// except that the deletion of a key that was already expired when
    /// watched is no change (Redis's `touchWatchedKey`).
    pub(crate) fn touch_watched_key(&mut self, db: usize, key: &[u8]) {
        let Watches { by_key, dirty, .. } = &mut self.watches;
        let Some(list) = by_key.get_mut(key) else {
            return;
        };
        let present = self.dbs[db].contains(key);
        for w in list.iter_mut().filter(|w| w.db == db) {
            if w.expired && !present {
                w.expired = false;
            } else {
                dirty.insert(w.client);
            }
        }
    }

    /// Every watched key of `db` that exists there, or in `replaced_with`
    /// that takes its place (SWAPDB), changed; stale keys that stay stale
    /// or vanish do not count (Redis's `touchAllWatchedKeysInDb`).
    pub(crate) fn touch_watched_db(&mut self, db: usize, replaced_with: Option<usize>) {
        let now = self.clock.now_ms;
        let Watches { by_key, dirty, .. } = &mut self.watches;
        for (key, list) in by_key.iter_mut() {
            for w in list.iter_mut().filter(|w| w.db == db) {
                let in_emptied = self.dbs[db].contains(key);
                let in_new = replaced_with.is_some_and(|r| self.dbs[r].contains(key));
                if !in_emptied && !in_new {
                    continue;
                }
                let new_stale = replaced_with.is_some_and(|r| self.dbs[r].is_stale(key, now));
                if w.expired {
                    if !in_new {
                        w.expired = false;
                        continue;
                    }
                    if new_stale {
                        continue;
                    }
                } else if !in_emptied && new_stale {
                    w.expired = true;
                    continue;
                }
                dirty.insert(w.client);
            }
        }
    }

    /// Whether a key `client` watches expired since it was watched: EXEC
    /// then fails even though nothing deleted the key yet.
    pub(crate) fn watched_key_expired(&self, client: u64) -> bool {
        let Some(keys) = self.watches.by_client.get(&client) else {
            return false;
        };
        let now = self.clock.now_ms;
        keys.iter().any(|(db, key)| {
            let flagged = self.watches.by_key.get(key).is_some_and(|list| {
                list.iter()
                    .any(|w| w.client == client && w.db == *db && w.expired)
            });
            !flagged && self.dbs[*db].is_stale(key, now)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::args_of;

    /// `multi-mem` as redis-server 7.0.15 reports it: 29 bytes for a
    /// queued `SET a b`; nothing is stored once the transaction is doomed,
    /// but it is still counted.
    #[test]
    fn queue_counts_memory_as_redis() {
        let (data, ranges) = args_of(&[b"SET", b"a", b"b"]);
        let args = Args::new(&data, &ranges);
        let mut m = MultiState::default();
        m.queue(7, &args, 1, true);
        assert_eq!((m.count, m.mem, m.flags), (1, 29, 1));
        let (id, owned) = &m.commands[0];
        assert_eq!(*id, 7);
        assert_eq!(owned.args().to_vecs(), args.to_vecs());
        m.queue(7, &args, 2, false);
        assert_eq!((m.count, m.mem, m.flags, m.commands.len()), (2, 29, 1, 1));
    }
}
