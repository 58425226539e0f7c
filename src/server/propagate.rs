//! Command propagation: the one path every write takes to the append-only
//! file (and later to replicas and MULTI/EXEC).
//!
//! Writes are logged in a deterministic form, as Redis 7.0 logs them, so a
//! replay gives the same data whenever it happens: relative expiries become
//! absolute (`SET … PXAT`, `PEXPIREAT`), INCRBYFLOAT becomes `SET … KEEPTTL`,
//! keys deleted by expiry become `DEL`. Handlers that need such a rewrite
//! describe it with [`Propagator::rewrite_with`]; dispatch then propagates
//! either the rewrite or the request itself, and only when the command
//! changed something. The output is RESP, with a `SELECT` whenever the
//! database differs from the last one written.
//!
//! Commands run inside other commands (EXEC's queue, scripts) nest: the
//! propagator counts the depth of the running calls, and what calls below
//! the top one propagate is collected and written once the top-level call
//! ends, wrapped in `MULTI`/`EXEC` when it is more than one command, as
//! Redis 7.0's `propagatePendingCommands` does. A top-level command that
//! propagates just itself, the common case, is written at once, without
//! being collected.

use crate::protocol::reply::format_i64;

/// Collects propagated commands as RESP until the AOF writer takes them.
#[derive(Debug, Default)]
pub struct Propagator {
    enabled: bool,
    out: Vec<u8>,
    /// The database the output last selected.
    selected: Option<usize>,
    /// What the running command asked to propagate instead of itself.
    rewrite: Option<Vec<Vec<u8>>>,
    /// Bytes handed on (or dropped) before those in `out`.
    taken: u64,
    /// Calls running, the top-level one included.
    depth: u32,
    /// Commands collected for the running top-level call: (db, argv).
    pending: Vec<(usize, Vec<Vec<u8>>)>,
    /// The running command propagated other commands in its place.
    replaced: bool,
    /// The running command propagates even though it changed nothing.
    forced: bool,
    /// Nothing is propagated for now (a script's `redis.set_repl`).
    paused: bool,
}

impl Propagator {
    /// Turns propagation on or off (on while the AOF is enabled).
    pub fn set_enabled(&mut self, on: bool) {
        self.enabled = on;
        if !on {
            self.taken += self.out.len() as u64;
            self.out = Vec::new();
            self.rewrite = None;
            self.replaced = false;
            self.forced = false;
            self.selected = None;
            self.pending.clear();
        }
    }

    pub fn is_enabled(&self) -> bool {
        self.enabled
    }

    /// The bytes produced since the last call.
    pub fn take(&mut self) -> Vec<u8> {
        self.taken += self.out.len() as u64;
        std::mem::take(&mut self.out)
    }

    /// Bytes produced so far: the position in the stream of writes that a
    /// reply acknowledging the last of them depends on.
    pub fn fed(&self) -> u64 {
        self.taken + self.out.len() as u64
    }

    /// A call starts.
    pub fn enter(&mut self) {
        self.depth += 1;
    }

    /// A call ends; when it was the top-level one, what was collected
    /// during it is written.
    pub fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
        if self.depth == 0 && !self.pending.is_empty() {
            let pending = std::mem::take(&mut self.pending);
            let wrap = pending.len() > 1;
            if wrap {
                // MULTI runs in the first command's database, so the
                // SELECT goes before it, as in Redis's output.
                self.select(pending[0].0);
                write_command(&mut self.out, [&b"MULTI"[..]].into_iter());
            }
            for (db, argv) in &pending {
                self.feed(*db, argv.iter().map(Vec::as_slice));
            }
            if wrap {
                write_command(&mut self.out, [&b"EXEC"[..]].into_iter());
            }
        }
    }

    /// Propagates a running call's command: written at once from a
    /// top-level call with nothing collected, collected otherwise.
    pub fn propagate<'a>(&mut self, db: usize, argv: impl ExactSizeIterator<Item = &'a [u8]>) {
        if !self.enabled || self.paused {
            return;
        }
        if self.depth <= 1 && self.pending.is_empty() {
            self.feed(db, argv);
        } else {
            self.also_propagate(db, argv.map(<[u8]>::to_vec).collect());
        }
    }

    /// Propagates the deletion of a key by expiry: written at once outside
    /// any call (active expiry), otherwise collected with the running
    /// call's commands, so a call that also writes is wrapped with its
    /// deletions in MULTI/EXEC, as Redis 7.0 wraps them.
    pub fn propagate_deletion(&mut self, db: usize, verb: &[u8], key: &[u8]) {
        if self.depth == 0 {
            self.feed(db, [verb, key].into_iter());
        } else {
            self.also_propagate(db, vec![verb.to_vec(), key.to_vec()]);
        }
    }

    /// Adds a command to what the running call propagates, after what it
    /// added before (Redis's `alsoPropagate`).
    pub fn also_propagate(&mut self, db: usize, argv: Vec<Vec<u8>>) {
        if self.enabled && !self.paused {
            self.pending.push((db, argv));
        }
    }

    /// Propagates `argv` as one of the commands that stand for the running
    /// one, which is then not propagated itself (Redis's `alsoPropagate`
    /// followed by `preventCommandPropagation`): SPOP with a count becomes
    /// one SREM per member, in MULTI/EXEC when more than one.
    pub fn propagate_instead(&mut self, db: usize, argv: Vec<Vec<u8>>) {
        if self.enabled {
            self.replaced = true;
        }
        if self.enabled && !self.paused {
            self.pending.push((db, argv));
        }
    }

    /// The running command propagated what it did through the commands
    /// it ran (a script), so it is not propagated itself.
    pub fn replaced_by_nested(&mut self) {
        self.replaced = self.enabled;
    }

    /// Stops propagating until [`resume`](Self::resume): commands a script
    /// runs after `redis.set_repl(redis.REPL_NONE)`.
    pub fn pause(&mut self) {
        self.paused = true;
    }

    pub fn resume(&mut self) {
        self.paused = false;
    }

    /// The running command is not propagated as received, whatever it
    /// changed (Redis's `preventCommandPropagation`): a read through a
    /// consumer group propagates only the XCLAIMs it adds.
    pub fn prevent(&mut self) {
        if self.enabled {
            self.replaced = true;
        }
    }

    /// Whether the running command was replaced by
    /// [`propagate_instead`](Self::propagate_instead); resets it.
    pub(crate) fn take_replaced(&mut self) -> bool {
        std::mem::take(&mut self.replaced)
    }

    /// Propagates the running command whether or not it changed data
    /// (Redis's `forceCommandPropagation`: FLUSHDB and FLUSHALL on empty
    /// databases still reach the AOF).
    pub fn force(&mut self) {
        self.forced = self.enabled;
    }

    /// Whether the running command was forced; resets it.
    pub(crate) fn take_forced(&mut self) -> bool {
        std::mem::take(&mut self.forced)
    }

    /// Makes the next command start with a `SELECT` (a new file begins).
    pub fn forget_db(&mut self) {
        self.selected = None;
    }

    /// Asks that the running command be propagated as the vector `make`
    /// builds, instead of as it was received. `make` only runs when
    /// propagation is on, so handlers pay nothing otherwise.
    pub fn rewrite_with(&mut self, make: impl FnOnce() -> Vec<Vec<u8>>) {
        if self.enabled {
            self.rewrite = Some(make());
        }
    }

    /// The rewrite the running command asked for, if any.
    pub(crate) fn take_rewrite(&mut self) -> Option<Vec<Vec<u8>>> {
        self.rewrite.take()
    }

    /// Appends one command, run in database `db`.
    pub fn feed<'a>(&mut self, db: usize, argv: impl ExactSizeIterator<Item = &'a [u8]>) {
        if !self.enabled {
            return;
        }
        self.select(db);
        write_command(&mut self.out, argv);
    }

    /// Writes a `SELECT` unless `db` is the one selected last.
    fn select(&mut self, db: usize) {
        if self.selected != Some(db) {
            let mut tmp = [0u8; 20];
            let n = format_i64(db as i64, &mut tmp);
            write_command(&mut self.out, [&b"SELECT"[..], n].into_iter());
            self.selected = Some(db);
        }
    }
}

/// Appends `argv` as a RESP multibulk.
pub fn write_command<'a>(out: &mut Vec<u8>, argv: impl ExactSizeIterator<Item = &'a [u8]>) {
    let mut tmp = [0u8; 20];
    out.push(b'*');
    out.extend_from_slice(format_i64(argv.len() as i64, &mut tmp));
    out.extend_from_slice(b"\r\n");
    for arg in argv {
        out.push(b'$');
        out.extend_from_slice(format_i64(arg.len() as i64, &mut tmp));
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
}

/// Bytes of an integer argument, as propagated rewrites spell numbers.
pub fn int_arg(v: i64) -> Vec<u8> {
    let mut tmp = [0u8; 20];
    format_i64(v, &mut tmp).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selects_once_per_database_change() {
        let mut p = Propagator::default();
        p.feed(0, [&b"SET"[..], b"a", b"1"].into_iter());
        assert!(p.take().is_empty(), "nothing is kept while disabled");
        p.set_enabled(true);
        p.feed(0, [&b"SET"[..], b"a", b"1"].into_iter());
        p.feed(0, [&b"DEL"[..], b"a"].into_iter());
        p.feed(3, [&b"INCR"[..], b"n"].into_iter());
        assert_eq!(
            p.take(),
            b"*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n\
              *2\r\n$3\r\nDEL\r\n$1\r\na\r\n*2\r\n$6\r\nSELECT\r\n$1\r\n3\r\n*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n"
        );
        p.forget_db();
        p.feed(3, [&b"INCR"[..], b"n"].into_iter());
        assert!(p.take().starts_with(b"*2\r\n$6\r\nSELECT"));
    }

    #[test]
    fn nested_calls_are_written_together_wrapped_when_several() {
        let mut p = Propagator::default();
        p.set_enabled(true);
        p.enter();
        p.propagate(0, [&b"SET"[..], b"a", b"1"].into_iter());
        p.leave();
        assert!(p
            .take()
            .ends_with(b"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n"));
        p.enter();
        p.enter();
        p.propagate(0, [&b"INCR"[..], b"n"].into_iter());
        p.leave();
        assert!(p.take().is_empty(), "held until the top-level call ends");
        p.propagate(1, [&b"DEL"[..], b"k"].into_iter());
        p.leave();
        assert_eq!(
            p.take(),
            b"*1\r\n$5\r\nMULTI\r\n*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n\
              *2\r\n$6\r\nSELECT\r\n$1\r\n1\r\n*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n*1\r\n$4\r\nEXEC\r\n"
        );
        // A block starting in another database selects it before MULTI.
        p.enter();
        p.enter();
        p.propagate(2, [&b"INCR"[..], b"n"].into_iter());
        p.propagate(2, [&b"INCR"[..], b"n"].into_iter());
        p.leave();
        p.leave();
        assert!(p
            .take()
            .starts_with(b"*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n*1\r\n$5\r\nMULTI\r\n"));
    }

    #[test]
    fn rewrites_only_when_enabled() {
        let mut p = Propagator::default();
        p.rewrite_with(|| panic!("built while disabled"));
        assert!(p.take_rewrite().is_none());
        p.set_enabled(true);
        p.rewrite_with(|| vec![b"DEL".to_vec(), b"k".to_vec()]);
        assert_eq!(p.take_rewrite(), Some(vec![b"DEL".to_vec(), b"k".to_vec()]));
    }
}
