//! Appending propagated commands to the current incremental file, synced
//! as `appendfsync` says.
//!
//! Commands collect in a buffer while the loop runs; [`Writer::flush`] is
//! called from `before_sleep`, before any reply is written, so with
//! `always` a client never sees a reply to a write that is not on disk.
//! With `everysec` the file is synced at most once a second by a helper
//! thread ([`BackgroundSync`]), and while that sync runs the buffer waits
//! (up to two seconds), as do the replies acknowledging it; with `no` the
//! kernel decides.

use std::fs::File;
use std::io::{self, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Sender};
use std::sync::Arc;
use std::time::Instant;

use crate::config::AppendFsync;

/// How long `everysec` waits for a slow background sync before writing
/// anyway (Redis's two seconds).
const MAX_POSTPONE_MS: u64 = 2000;

/// A buffer this large is given back once it has been written.
const SHRINK_ABOVE: usize = 4 * 1024 * 1024;

/// Syncs files on a helper thread, as Redis's bio thread does.
///
/// `fsync` can block for seconds on a busy disk, and the loop's one thread
/// must not; the helper only receives descriptors (duplicates of the AOF's,
/// or a retired file it then closes), syncs them and counts them done. It
/// never sees the keyspace or any other server state, so the single-
/// threaded design holds: nothing is shared but an atomic counter.
#[derive(Debug, Default)]
pub struct BackgroundSync {
    tx: Option<Sender<Job>>,
    pending: Arc<AtomicUsize>,
}

/// A file for the helper, and whether [`BackgroundSync::pending`] counts it.
#[derive(Debug)]
struct Job {
    file: File,
    counted: bool,
}

impl BackgroundSync {
    /// Syncs of the current file requested but not finished
    /// (`aof_pending_bio_fsync`).
    pub fn pending(&self) -> usize {
        self.pending.load(Ordering::Acquire)
    }

    /// Hands `file` (a duplicate of the current file) to the helper, which
    /// syncs and then closes it; counted in [`pending`](Self::pending).
    pub fn submit(&mut self, file: File) {
        self.send(Job {
            file,
            counted: true,
        });
    }

    /// Hands over a file no write goes to any more, to be synced and
    /// closed. Not counted: writes to the current file, a different one,
    /// need not wait for it (Redis's close job, not its fsync job).
    pub fn retire(&mut self, file: File) {
        self.send(Job {
            file,
            counted: false,
        });
    }

    fn send(&mut self, job: Job) {
        if self.tx.is_none() {
            self.tx = self.spawn();
        }
        if job.counted {
            self.pending.fetch_add(1, Ordering::AcqRel);
        }
        let sent = match &self.tx {
            Some(tx) => tx.send(job).map_err(|e| e.0),
            None => Err(job),
        };
        // No helper thread: sync here rather than lose the guarantee.
        if let Err(job) = sent {
            sync_logged(&job.file);
            if job.counted {
                self.pending.fetch_sub(1, Ordering::AcqRel);
            }
        }
    }

    fn spawn(&self) -> Option<Sender<Job>> {
        let (tx, rx) = mpsc::channel::<Job>();
        let pending = Arc::clone(&self.pending);
        let spawned = std::thread::Builder::new()
            .name("bio_aof_fsync".into())
            .spawn(move || {
                for job in rx {
                    sync_logged(&job.file);
                    drop(job.file);
                    if job.counted {
                        pending.fetch_sub(1, Ordering::AcqRel);
                    }
                }
            });
        match spawned {
            Ok(_) => Some(tx),
            Err(e) => {
                log::warn!("Fatal: Can't initialize Background Jobs: {e}");
                None
            }
        }
    }
}

fn sync_logged(file: &File) {
    if let Err(e) = file.sync_data() {
        log::warn!("Fsync error in the background: {e}");
    }
}

/// Why a flush failed.
#[derive(Debug)]
pub enum FlushError {
    /// Writing failed; the bytes stay buffered and are retried.
    Write(io::Error),
    /// The synchronous sync of `always` failed.
    Fsync(io::Error),
}

/// How long a flush spent writing and syncing, for the latency monitor.
#[derive(Debug, Default, Clone, Copy)]
pub struct FlushTimes {
    /// Milliseconds the write took, if one happened, and whether a
    /// background sync was running meanwhile.
    pub write: Option<(u64, bool)>,
    /// Milliseconds `always`'s sync took, if one happened.
    pub fsync_always: Option<u64>,
}

/// The incremental file being appended to, and its buffer.
#[derive(Debug)]
pub struct Writer {
    file: File,
    buf: Vec<u8>,
    pub policy: AppendFsync,
    /// Bytes in the file.
    size: u64,
    /// Bytes were written that no sync has covered.
    unsynced: bool,
    last_fsync_ms: u64,
    /// When `everysec` started waiting for a background sync to finish.
    postponed_since: Option<u64>,
    /// Writes done without waiting for a slow sync (`aof_delayed_fsync`).
    pub delayed_fsync: u64,
    pub syncer: BackgroundSync,
}

impl Writer {
    /// Appends to `file`, which holds `size` bytes already.
    pub fn new(file: File, size: u64, policy: AppendFsync, now_ms: u64) -> Self {
        Writer {
            file,
            buf: Vec::new(),
            policy,
            size,
            unsynced: false,
            last_fsync_ms: now_ms,
            postponed_since: None,
            delayed_fsync: 0,
            syncer: BackgroundSync::default(),
        }
    }

    /// Queues bytes for the next flush.
    pub fn append(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes waiting to be written (`aof_buffer_length`).
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }

    /// Bytes in the current file.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Writes the buffer and syncs as the policy says. `force` writes even
    /// while a background sync is slow (shutdown, file switches);
    /// `skip_fsync` is `no-appendfsync-on-rewrite` with a child running.
    pub fn flush(
        &mut self,
        now_ms: u64,
        force: bool,
        skip_fsync: bool,
    ) -> Result<FlushTimes, FlushError> {
        let mut times = FlushTimes::default();
        if !self.buf.is_empty() {
            if self.policy == AppendFsync::Everysec && !force && self.syncer.pending() > 0 {
                match self.postponed_since {
                    None => {
                        self.postponed_since = Some(now_ms);
                        return Ok(times);
                    }
                    Some(t) if now_ms.saturating_sub(t) < MAX_POSTPONE_MS => return Ok(times),
                    Some(_) => {
                        self.delayed_fsync += 1;
                        log::info!("Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis.");
                    }
                }
            }
            self.postponed_since = None;
            let started = Instant::now();
            self.write_buffer().map_err(FlushError::Write)?;
            let ms = started.elapsed().as_millis() as u64;
            times.write = Some((ms, self.syncer.pending() > 0));
        }
        if !self.unsynced || skip_fsync {
            return Ok(times);
        }
        match self.policy {
            AppendFsync::Always => {
                let started = Instant::now();
                self.file.sync_data().map_err(FlushError::Fsync)?;
                times.fsync_always = Some(started.elapsed().as_millis() as u64);
                self.synced(now_ms);
            }
            AppendFsync::Everysec
                if now_ms.saturating_sub(self.last_fsync_ms) >= 1000
                    && self.syncer.pending() == 0 =>
            {
                // A failed duplicate leaves the bytes unsynced; the next
                // flush tries again.
                if let Ok(dup) = self.file.try_clone() {
                    self.syncer.submit(dup);
                    self.synced(now_ms);
                }
            }
            _ => {}
        }
        Ok(times)
    }

    fn synced(&mut self, now_ms: u64) {
        self.unsynced = false;
        self.last_fsync_ms = now_ms;
    }

    /// Writes the whole buffer. On failure the file is cut back to its old
    /// size, so a retry cannot leave half a command in it.
    fn write_buffer(&mut self) -> io::Result<()> {
        if let Err(e) = self.file.write_all(&self.buf) {
            if let Err(cut) = self.file.set_len(self.size) {
                log::warn!("Could not remove short write from the append-only file. Redis may refuse to load the AOF the next time it starts. ftruncate: {cut}");
            }
            return Err(e);
        }
        self.size += self.buf.len() as u64;
        self.unsynced = true;
        if self.buf.capacity() > SHRINK_ABOVE {
            self.buf = Vec::new();
        } else {
            self.buf.clear();
        }
        Ok(())
    }

    /// Writes everything and syncs it before returning (shutdown, turning
    /// the AOF off).
    pub fn sync_all(&mut self, now_ms: u64) -> Result<(), FlushError> {
        if !self.buf.is_empty() {
            self.write_buffer().map_err(FlushError::Write)?;
        }
        self.file.sync_data().map_err(FlushError::Fsync)?;
        self.synced(now_ms);
        Ok(())
    }

    /// Continues in `file` (a new incremental file, `size` bytes long). The
    /// buffer must have been flushed; the old file is synced and closed in
    /// the background, without holding back writes to the new one.
    pub fn switch_to(&mut self, file: File, size: u64) {
        let old = std::mem::replace(&mut self.file, file);
        if self.unsynced && self.policy != AppendFsync::No {
            self.syncer.retire(old);
        }
        self.size = size;
        self.unsynced = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::OpenOptions;

    fn writer(name: &str, policy: AppendFsync) -> (Writer, std::path::PathBuf) {
        let path =
            std::env::temp_dir().join(format!("ferrodis-aof-writer-{}-{name}", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap();
        (Writer::new(file, 0, policy, 0), path)
    }

    #[test]
    fn always_writes_and_syncs_every_flush() {
        let (mut w, path) = writer("always", AppendFsync::Always);
        w.append(b"*1\r\n$4\r\nPING\r\n");
        assert_eq!(w.buffered(), 14);
        let times = w.flush(0, false, false).unwrap();
        assert!(times.write.is_some() && times.fsync_always.is_some());
        assert_eq!(w.buffered(), 0);
        assert_eq!(w.size(), 14);
        assert!(!w.unsynced);
        assert_eq!(std::fs::read(&path).unwrap(), b"*1\r\n$4\r\nPING\r\n");
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn everysec_syncs_in_the_background_once_a_second() {
        let (mut w, path) = writer("everysec", AppendFsync::Everysec);
        w.append(b"x");
        w.flush(500, false, false).unwrap();
        assert!(w.unsynced, "less than a second since the last sync");
        w.flush(1000, false, false).unwrap();
        assert!(!w.unsynced);
        for _ in 0..1000 {
            if w.syncer.pending() == 0 {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert_eq!(w.syncer.pending(), 0);
        std::fs::remove_file(path).unwrap();
    }

    #[test]
    fn skip_fsync_and_no_leave_syncing_to_the_kernel() {
        let (mut w, path) = writer("no", AppendFsync::No);
        w.append(b"abc");
        w.flush(5000, false, false).unwrap();
        assert!(w.unsynced);
        w.policy = AppendFsync::Always;
        w.append(b"d");
        w.flush(5000, false, true).unwrap();
        assert!(w.unsynced, "no-appendfsync-on-rewrite");
        w.sync_all(5000).unwrap();
        assert!(!w.unsynced);
        assert_eq!(std::fs::read(&path).unwrap(), b"abcd");
        std::fs::remove_file(path).unwrap();
    }
}
