//! The append-only file from the server's side: loading it at start-up,
//! appending every propagated write before replies go out, the timed
//! sweep's work (everysec syncs, automatic rewrites, reaping the rewrite
//! child), BGREWRITEAOF, turning the AOF on and off at runtime, and the
//! final sync at shutdown. The file formats are in `persistence/aof`.
//!
//! A rewrite follows Redis 7.0: the parent first starts a new incremental
//! file and records it in the manifest, then forks; the child writes a new
//! base from its copy-on-write image of the keyspace while the parent's
//! writes go to the new incremental file. When the child succeeds the
//! parent renames its file into the directory and swaps in a manifest
//! naming the new base and the new incremental file. A crash at any point
//! leaves a manifest whose files hold every write.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter};
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::client::{Client, Stream};
use super::persistence::wait_child;
use super::Server;
use crate::commands::{self, Args, Lookup};
use crate::config::{strerror, AppendFsync};
use crate::persistence::aof::manifest::{FileInfo, FileKind, Manifest};
use crate::persistence::aof::reader::{self, FileStatus, Replay, UnknownCommand};
use crate::persistence::aof::writer::{FlushError, FlushTimes, Writer};
use crate::persistence::aof::{self, rewrite};
use crate::persistence::rdb::load;
use crate::persistence::rdb::save::{self, SyncingFile};

/// Whether the AOF is in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AofStatus {
    Off,
    On,
    /// Turned on at runtime; on for good once the first rewrite succeeds.
    WaitRewrite,
}

/// Why a rewrite did not start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RewriteError {
    /// A snapshot or rewrite child is running (only one child at a time).
    ChildActive,
    /// The directory, the new incremental file or the fork failed (logged).
    Failed,
}

/// The child writing a new base.
#[derive(Debug, Clone, Copy)]
pub struct RewriteChild {
    pub pid: libc::pid_t,
    /// Unix seconds when it was started.
    pub started: u64,
}

/// The AOF's state and counters (`INFO persistence`).
#[derive(Debug)]
pub struct AofState {
    pub status: AofStatus,
    pub manifest: Manifest,
    /// The incremental file being appended to (none while off).
    pub writer: Option<Writer>,
    pub child: Option<RewriteChild>,
    /// A rewrite waits for another child to end.
    pub rewrite_scheduled: bool,
    /// Duration of the last rewrite, -1 before the first.
    pub last_rewrite_secs: i64,
    pub last_rewrite_ok: bool,
    pub rewrites: u64,
    pub consecutive_failures: u64,
    /// Why the last write failed, until one succeeds.
    pub write_error: Option<String>,
    /// How far the propagated stream ([`Propagator::fed`]) is written to
    /// the file: replies acknowledging writes up to here may go out.
    ///
    /// [`Propagator::fed`]: super::propagate::Propagator::fed
    pub written: u64,
    /// Bytes of the base and of the incremental files before the current one.
    settled_size: u64,
    /// The size growth is measured against (`aof_base_size`).
    pub rewrite_base_size: u64,
    /// `aof-timestamp-enabled`: `#TS:<unix secs>` annotations are written.
    pub timestamps: bool,
    /// The second the last annotation named.
    last_timestamp: u64,
    /// Minutes the next automatic rewrite waits after repeated failures
    /// (0: no wait), and the unix second it may run from.
    retry_delay_mins: u64,
    retry_at: u64,
}

impl Default for AofState {
    fn default() -> Self {
        AofState {
            status: AofStatus::Off,
            manifest: Manifest::default(),
            writer: None,
            child: None,
            rewrite_scheduled: false,
            last_rewrite_secs: -1,
            last_rewrite_ok: true,
            rewrites: 0,
            consecutive_failures: 0,
            write_error: None,
            written: 0,
            settled_size: 0,
            rewrite_base_size: 0,
            timestamps: false,
            last_timestamp: 0,
            retry_delay_mins: 0,
            retry_at: 0,
        }
    }
}

impl AofState {
    /// Bytes of every live file (`aof_current_size`).
    pub fn current_size(&self) -> u64 {
        self.settled_size + self.writer.as_ref().map_or(0, Writer::size)
    }
}

/// Replays commands through the command table with a client that has no socket.
struct Loader<'a> {
    srv: &'a mut Server,
    client: Client,
}

impl Replay for Loader<'_> {
    fn exec(&mut self, args: &Args) -> Result<(), UnknownCommand> {
        let id = match self.srv.commands.lookup(args) {
            Lookup::Found(id) => id,
            _ => self
                .srv
                .commands
                .lookup_original(args)
                .ok_or(UnknownCommand)?,
        };
        // As in Redis, what guards clients (MISCONF after a failed save,
        // CLIENT PAUSE, authentication) does not apply to replayed writes;
        // only a malformed command is skipped.
        if !self.srv.commands.all[id].arity_ok(args.len()) {
            return Ok(());
        }
        self.srv.clock.update();
        commands::call(self.srv, &mut self.client, id, args);
        // Replies (errors included, as in Redis) go nowhere.
        self.client.reply.discard_from(0);
        Ok(())
    }

    fn progress(&mut self, offset: u64) {
        self.srv.aof_load_progress(offset);
    }

    fn load_rdb(&mut self, file: File, len: u64) -> Result<u64, String> {
        log::info!("Reading RDB base file on AOF loading...");
        let mut dbs = self.srv.take_dbs_for_loading();
        let result = self
            .srv
            .load_rdb_with(&mut dbs, false, |dbs, opts, progress| {
                load::load_observed(file, len, dbs, opts, progress)
            });
        self.srv.dbs = dbs;
        // The error's text names the offset.
        let mut stats = result.map_err(|e| e.to_string())?;
        self.srv
            .load_libraries(&mut stats, false)
            .map_err(|e| e.to_string())?;
        let end = stats.end_offset;
        self.srv.persistence.last_load = stats;
        Ok(end)
    }
}

impl Server {
    fn aof_dir(&self) -> PathBuf {
        PathBuf::from(&self.config.appenddirname)
    }

    fn aof_prefix(&self) -> &str {
        &self.config.appendfilename
    }

    fn preamble(&self) -> bool {
        self.config.flag("aof-use-rdb-preamble") != Some(false)
    }

    /// Whether a snapshot or rewrite child is running.
    pub fn has_active_child(&self) -> bool {
        self.persistence.child.is_some() || self.aof.child.is_some()
    }

    /// Start-up: loads the AOF when it is on (RDB is then ignored, as in
    /// Redis 7.0), otherwise the snapshot; then opens the AOF for appending.
    /// The manifest is read either way, as Redis does, so turning the AOF
    /// on later continues its sequence numbers.
    pub fn load_data_at_startup(&mut self) -> Result<(), String> {
        self.aof.timestamps = self.config.flag("aof-timestamp-enabled") == Some(true);
        self.aof.manifest = self.read_manifest()?;
        if !self.config.appendonly {
            self.load_at_startup()?;
            self.delete_history_files();
            return Ok(());
        }
        self.upgrade_legacy_aof()?;
        self.load_aof(true)?;
        self.open_aof_on_start()
    }

    /// The manifest on disk, or an empty one when there is none.
    fn read_manifest(&self) -> Result<Manifest, String> {
        let path = self.aof_dir().join(aof::manifest_name(self.aof_prefix()));
        match fs::read(&path) {
            Ok(data) => Manifest::parse(&data).map_err(|e| e.to_string()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Manifest::default()),
            Err(e) => Err(format!(
                "Fatal error: can't open the AOF manifest file {} for reading: {}",
                path.display(),
                strerror(&e)
            )),
        }
    }

    /// A single `appendonly.aof` in `dir` (Redis before 7.0) becomes the
    /// base of a new directory, as Redis's `aofUpgradePrepare` does.
    fn upgrade_legacy_aof(&mut self) -> Result<(), String> {
        let legacy = PathBuf::from(self.aof_prefix());
        let m = &self.aof.manifest;
        let only_legacy_base = m.incrs.is_empty()
            && m.base.as_ref().is_some_and(|b| b.name == self.aof_prefix())
            && !self.aof_dir().join(self.aof_prefix()).exists();
        if !legacy.is_file() || !(m.base.is_none() && m.incrs.is_empty() || only_legacy_base) {
            return Ok(());
        }
        let dir = self.aof_dir();
        create_dir(&dir)?;
        let mut m = Manifest {
            base_seq: 1,
            ..Manifest::default()
        };
        m.base = Some(FileInfo {
            name: self.aof_prefix().to_string(),
            seq: 1,
            kind: FileKind::Base,
        });
        aof::persist_manifest(&dir, self.aof_prefix(), &m)
            .map_err(|e| format!("Error writing the AOF manifest: {}", strerror(&e)))?;
        fs::rename(&legacy, dir.join(self.aof_prefix()))
            .and_then(|()| aof::sync_dir(&dir))
            .map_err(|e| {
                format!(
                    "Error trying to move the old AOF file {} into dir {}: {}",
                    legacy.display(),
                    dir.display(),
                    strerror(&e)
                )
            })?;
        log::info!(
            "Successfully migrated an old-style AOF into the AOF directory {}.",
            dir.display()
        );
        self.aof.manifest = m;
        Ok(())
    }

    /// Replays the base and every incremental file (Redis's
    /// `loadAppendOnlyFiles`). False when the manifest names no file.
    /// Loads the AOF's files; with `serve` (start-up) clients are served
    /// meanwhile.
    fn load_aof(&mut self, serve: bool) -> Result<bool, String> {
        let files: Vec<FileInfo> = self.aof.manifest.live_files().cloned().collect();
        if files.is_empty() {
            return Ok(false);
        }
        let started = Instant::now();
        let dir = self.aof_dir();
        // A file the manifest names but the disk lacks is fatal, as in Redis.
        let mut total_bytes = 0;
        for info in &files {
            match fs::metadata(dir.join(&info.name)) {
                Ok(m) => total_bytes += m.len(),
                Err(e) => {
                    return Err(format!(
                        "Unable to obtain the AOF file {} length. stat: {}",
                        info.name,
                        strerror(&e)
                    ))
                }
            }
        }
        let load_truncated = self.config.flag("aof-load-truncated") != Some(false);
        self.set_propagation(false);
        if serve {
            self.start_loading(total_bytes);
        }
        // Replayed commands go through dispatch; Redis counts none of them.
        self.start_replay();
        let result = self.replay_files(&files, &dir, load_truncated);
        self.stop_replay();
        self.stop_loading();
        let (base_size, total) = result?;
        let current = self.aof.writer.as_ref().map_or(0, Writer::size);
        self.aof.rewrite_base_size = base_size;
        self.aof.settled_size = total.saturating_sub(current);
        log::info!(
            "DB loaded from append only file: {:.3} seconds",
            started.elapsed().as_secs_f64()
        );
        Ok(true)
    }

    /// Loads `files` in order with a fake client; returns the base's size
    /// and the size of all of them.
    fn replay_files(
        &mut self,
        files: &[FileInfo],
        dir: &Path,
        load_truncated: bool,
    ) -> Result<(u64, u64), String> {
        let mut loader = Loader {
            client: Client::new(0, usize::MAX, Stream::Fake, String::new(), String::new(), 0),
            srv: self,
        };
        let (mut base_size, mut total) = (0, 0);
        for (i, info) in files.iter().enumerate() {
            let path = dir.join(&info.name);
            let file_started = Instant::now();
            let last = i + 1 == files.len();
            loader.srv.loading_next_file(total);
            match reader::load_file(&path, &info.name, last, load_truncated, &mut loader) {
                Ok(FileStatus::Loaded | FileStatus::Truncated) => {
                    let what = match info.kind {
                        FileKind::Base => "base",
                        _ => "incr",
                    };
                    log::info!(
                        "DB loaded from {what} file {}: {:.3} seconds",
                        info.name,
                        file_started.elapsed().as_secs_f64()
                    );
                }
                Ok(FileStatus::Empty) => {}
                Err(e) => {
                    if let Some(offset) = e.offset() {
                        log::warn!("AOF loading stopped in {} at offset {offset}", info.name);
                    }
                    return Err(e.to_string());
                }
            }
            let size = fs::metadata(&path).map_or(0, |m| m.len());
            total += size;
            if info.kind == FileKind::Base {
                base_size = size;
            }
        }
        Ok((base_size, total))
    }

    /// `DEBUG LOADAOF`: write out what is buffered, empty the keyspace and
    /// load the files again. Like Redis, a failure (or no files at all)
    /// ends the process: the keyspace is gone by then.
    pub fn debug_loadaof(&mut self) {
        if self.aof.status == AofStatus::On {
            self.flush_aof(true);
            if let Some(w) = self.aof.writer.as_mut() {
                if let Err(FlushError::Write(e) | FlushError::Fsync(e)) =
                    w.sync_all(self.clock.now_ms)
                {
                    log::warn!("Fail to fsync the AOF file: {}", strerror(&e));
                }
            }
        }
        for db in &mut self.dbs {
            db.clear();
        }
        let loaded = self.read_manifest().and_then(|m| {
            self.aof.manifest = m;
            self.delete_history_files();
            self.load_aof(false)
        });
        match loaded {
            Ok(true) => {}
            Ok(false) => {
                log::warn!("The AOF manifest names no file to load. Exiting...");
                std::process::exit(1);
            }
            Err(e) => {
                log::warn!("{e}");
                std::process::exit(1);
            }
        }
        self.set_propagation(self.aof.writer.is_some());
        self.dirty = 0;
        log::warn!("Append Only File loaded by DEBUG LOADAOF");
    }

    /// Creates the directory, a base when there is none, and the
    /// incremental file to append to (Redis's `aofOpenIfNeededOnServerStart`),
    /// then deletes files a finished rewrite left as history.
    fn open_aof_on_start(&mut self) -> Result<(), String> {
        let dir = self.aof_dir();
        create_dir(&dir)?;
        let prefix = self.aof_prefix().to_string();
        // As in Redis, the size starts as what was loaded: a base created
        // here for an empty keyspace is not counted.
        let last_incr = self.aof.manifest.incrs.last().map(|f| f.name.clone());
        self.aof.settled_size = self
            .aof
            .manifest
            .live_files()
            .filter(|f| Some(&f.name) != last_incr.as_ref())
            .map(|f| fs::metadata(dir.join(&f.name)).map_or(0, |m| m.len()))
            .sum();
        if self.aof.manifest.base.is_none() && self.aof.manifest.incrs.is_empty() {
            let name = self.aof.manifest.new_base(&prefix, self.preamble());
            let tmp = PathBuf::from(aof::start_temp_name(std::process::id()));
            self.write_base(&tmp)
                .and_then(|()| fs::rename(&tmp, dir.join(&name)))
                .map_err(|e| {
                    let _ = fs::remove_file(&tmp);
                    format!("Error writing the AOF base file {name}: {}", strerror(&e))
                })?;
            log::info!("Creating AOF base file {name} on server start");
            // An AOF base's annotation covers writes in the same second; an
            // RDB base has none, so the first write is annotated.
            if !self.preamble() {
                self.aof.last_timestamp = self.clock.now_ms / 1000;
            }
        }
        let (name, verb) = match self.aof.manifest.incrs.last() {
            Some(last) => (last.name.clone(), "Opening"),
            None => (self.aof.manifest.new_incr(&prefix), "Creating"),
        };
        let path = dir.join(&name);
        let file = open_append(&path, false)
            .map_err(|e| format!("Can't open the append-only file {name}: {}", strerror(&e)))?;
        aof::persist_manifest(&dir, &prefix, &self.aof.manifest)
            .map_err(|e| format!("Can't persist the AOF manifest: {}", strerror(&e)))?;
        log::info!("{verb} AOF incr file {name} on server start");
        let size = file.metadata().map_or(0, |m| m.len());
        self.aof.writer = Some(Writer::new(
            file,
            size,
            self.config.appendfsync,
            self.clock.now_ms,
        ));
        self.aof.status = AofStatus::On;
        self.set_propagation(true);
        self.delete_history_files();
        Ok(())
    }

    /// Writes a complete base file from this process's keyspace to `path`
    /// and syncs it: RDB with `aof-use-rdb-preamble`, commands otherwise;
    /// with `aof-rewrite-incremental-fsync` every 4 MB as it goes.
    fn write_base(&self, path: &Path) -> io::Result<()> {
        let autosync = self.config.flag("aof-rewrite-incremental-fsync") != Some(false);
        let file = SyncingFile::new(File::create(path)?, autosync);
        let file = if self.preamble() {
            self.with_snapshot(true, |snap, opts| save::write(file, snap, opts))?
        } else {
            let mut out = BufWriter::new(file);
            if self.aof.timestamps {
                let secs = self.clock.now_ms / 1000;
                io::Write::write_all(&mut out, rewrite::timestamp_annotation(secs).as_bytes())?;
            }
            let libraries = self.functions.libraries().iter();
            rewrite::write_functions(&mut out, libraries.map(|lib| &lib.code[..]))?;
            let delay = self.key_save_delay_us();
            rewrite::write_commands(out, &self.dbs, self.clock.now_ms, delay)?
                .into_inner()
                .map_err(|e| e.into_error())?
        };
        file.sync_all().map(drop)
    }

    /// The rewrite child's work: the base into `temp-rewriteaof-bg-<pid>.aof`.
    fn write_rewrite_file(&self) -> bool {
        let tmp = aof::rewrite_temp_name(std::process::id());
        match self.write_base(Path::new(&tmp)) {
            Ok(()) => {
                log::info!("Successfully created the temporary AOF base file {tmp}");
                true
            }
            Err(e) => {
                log::warn!(
                    "Write error writing append only file on disk: {}",
                    strerror(&e)
                );
                let _ = fs::remove_file(&tmp);
                false
            }
        }
    }

    /// Moves propagated writes into the buffer and writes them out, syncing
    /// as `appendfsync` says. Runs in `before_sleep` before replies are
    /// written, so `always` replies only after the data is on disk.
    pub(crate) fn flush_aof(&mut self, force: bool) {
        let fed = self.propagator.fed();
        let bytes = self.propagator.take();
        // The child test first: it is cheaper than the parameter's lookup.
        let skip_fsync =
            self.has_active_child() && self.config.flag("no-appendfsync-on-rewrite") == Some(true);
        let now = self.clock.now_ms;
        let Some(writer) = self.aof.writer.as_mut() else {
            // No file: no reply can wait for one.
            self.aof.written = fed;
            return;
        };
        let secs = now / 1000;
        if self.aof.timestamps && !bytes.is_empty() && secs > self.aof.last_timestamp {
            // Redis's annotation of the second the following writes ran in.
            writer.append(rewrite::timestamp_annotation(secs).as_bytes());
            self.aof.last_timestamp = secs;
        }
        if self.debug.aof_flush_sleep_us > 0 && !bytes.is_empty() {
            std::thread::sleep(std::time::Duration::from_micros(
                self.debug.aof_flush_sleep_us,
            ));
        }
        writer.append(&bytes);
        match writer.flush(now, force, skip_fsync) {
            Ok(times) => {
                // `everysec` may postpone the write while a sync runs.
                if writer.buffered() == 0 {
                    self.aof.written = fed;
                }
                if self.aof.write_error.take().is_some() {
                    log::warn!("AOF write error looks solved, Redis can write again.");
                }
                self.sample_flush_latency(times);
            }
            Err(FlushError::Write(e)) if writer.policy != AppendFsync::Always => {
                if self.aof.write_error.is_none() {
                    log::warn!("Error writing to the AOF file: {}", strerror(&e));
                }
                self.aof.write_error = Some(strerror(&e));
            }
            Err(FlushError::Write(e) | FlushError::Fsync(e)) => {
                // A reply must never acknowledge a write that is not on
                // disk, and with `always` there is no later chance.
                log::warn!(
                    "Can't persist AOF for fsync error when the AOF fsync policy is 'always': {}. Exiting...",
                    strerror(&e)
                );
                std::process::exit(1);
            }
        }
    }

    /// The latency events of one flush, named as Redis names them: the
    /// write by what it may have waited for, and `always`'s sync.
    fn sample_flush_latency(&mut self, times: FlushTimes) {
        if let Some((ms, pending_fsync)) = times.write {
            let event = if pending_fsync {
                "aof-write-pending-fsync"
            } else if self.has_active_child() {
                "aof-write-active-child"
            } else {
                "aof-write-alone"
            };
            self.latency_sample(event, ms);
            self.latency_sample("aof-write", ms);
        }
        if let Some(ms) = times.fsync_always {
            self.latency_sample("aof-fsync-always", ms);
        }
    }

    /// Whether `client`'s replies may be written: they acknowledge no
    /// write the AOF has not written yet (a client being closed gets none).
    pub(crate) fn replies_may_go(&self, client: &Client) -> bool {
        client.close_asap || client.aof_needed <= self.aof.written
    }

    /// Whether propagated writes wait only for a background sync to end
    /// (not for a failing disk), so the loop should come back for them soon.
    pub(crate) fn aof_write_postponed(&self) -> bool {
        self.aof.write_error.is_none() && self.aof.written < self.propagator.fed()
    }

    /// From the timed sweep: reap the rewrite child, start a scheduled or
    /// automatic rewrite, retry failed writes and due syncs.
    pub(crate) fn aof_cron(&mut self) {
        if self.aof.child.is_some() {
            self.reap_rewrite_child(false);
        } else if self.persistence.child.is_none() {
            if self.aof.rewrite_scheduled {
                if !self.rewrite_limited() {
                    let _ = self.rewrite_background();
                }
            } else if self.rewrite_due() && !self.rewrite_limited() {
                let growth = self.growth_percent();
                log::info!("Starting automatic rewriting of AOF on {growth}% growth");
                let _ = self.rewrite_background();
            }
        }
        self.flush_aof(false);
    }

    /// After three failed rewrites in a row, automatic and scheduled ones
    /// wait a minute, then twice as long each time up to an hour (Redis's
    /// `aofRewriteLimited`), so a full disk does not mean a fork per tick.
    fn rewrite_limited(&mut self) -> bool {
        const THRESHOLD: u64 = 3;
        const MAX_DELAY_MINS: u64 = 60;
        let a = &mut self.aof;
        if a.consecutive_failures < THRESHOLD {
            a.retry_delay_mins = 0;
            a.retry_at = 0;
            return false;
        }
        let now = self.clock.now_ms / 1000;
        if a.retry_at != 0 {
            if now < a.retry_at {
                return true;
            }
            a.retry_at = 0;
            return false;
        }
        a.retry_delay_mins = (a.retry_delay_mins * 2).clamp(1, MAX_DELAY_MINS);
        a.retry_at = now + a.retry_delay_mins * 60;
        log::warn!(
            "Background AOF rewrite has repeatedly failed and triggered the limit, will retry in {} minutes",
            a.retry_delay_mins
        );
        true
    }

    /// How much the AOF grew since the last rewrite or load, in percent.
    fn growth_percent(&self) -> u64 {
        let base = self.aof.rewrite_base_size.max(1);
        (self.aof.current_size() * 100 / base).saturating_sub(100)
    }

    /// `auto-aof-rewrite-percentage` and `auto-aof-rewrite-min-size`.
    fn rewrite_due(&self) -> bool {
        let percent = self
            .config
            .number("auto-aof-rewrite-percentage")
            .unwrap_or(0);
        let min_size = self.config.number("auto-aof-rewrite-min-size").unwrap_or(0);
        self.aof.status == AofStatus::On
            && percent > 0
            && self.aof.current_size() > min_size.max(0) as u64
            && self.growth_percent() >= percent as u64
    }

    /// BGREWRITEAOF's work (Redis's `rewriteAppendOnlyFileBackground`).
    pub fn rewrite_background(&mut self) -> Result<(), RewriteError> {
        if self.has_active_child() {
            return Err(RewriteError::ChildActive);
        }
        let dir = self.aof_dir();
        if let Err(e) = create_dir(&dir) {
            log::warn!("{e}");
            self.aof.last_rewrite_ok = false;
            return Err(RewriteError::Failed);
        }
        self.clock.update();
        self.flush_aof(true);
        if let Err(e) = self.open_new_incr(&dir) {
            log::warn!("{e}");
            self.aof.last_rewrite_ok = false;
            return Err(RewriteError::Failed);
        }
        self.aof.rewrites += 1;
        let pid = match self.fork_child("redis-aof-rewrite", Server::write_rewrite_file) {
            Ok(pid) => pid,
            Err(e) => {
                log::warn!(
                    "Can't rewrite append only file in background: fork: {}",
                    strerror(&e)
                );
                self.aof.last_rewrite_ok = false;
                return Err(RewriteError::Failed);
            }
        };
        log::info!("Background append only file rewriting started by pid {pid}");
        self.aof.rewrite_scheduled = false;
        self.aof.child = Some(RewriteChild {
            pid,
            started: self.clock.now_ms / 1000,
        });
        Ok(())
    }

    /// Starts the incremental file a rewrite's concurrent writes go to.
    /// While waiting for the first rewrite it is a temporary file; when on,
    /// it is recorded in the manifest at once, so a crash during the
    /// rewrite still finds it.
    fn open_new_incr(&mut self, dir: &Path) -> Result<(), String> {
        let prefix = self.aof_prefix().to_string();
        let (name, manifest) = match self.aof.status {
            AofStatus::Off => return Ok(()),
            AofStatus::WaitRewrite => (aof::temp_incr_name(&prefix), None),
            AofStatus::On => {
                let mut m = self.aof.manifest.clone();
                (m.new_incr(&prefix), Some(m))
            }
        };
        let file = open_append(&dir.join(&name), true)
            .map_err(|e| format!("Can't open the append-only file {name}: {}", strerror(&e)))?;
        if let Some(m) = manifest {
            aof::persist_manifest(dir, &prefix, &m)
                .map_err(|e| format!("Can't persist the AOF manifest: {}", strerror(&e)))?;
            self.aof.manifest = m;
        }
        log::info!("Creating AOF incr file {name} on background rewrite");
        match self.aof.writer.as_mut() {
            Some(w) => {
                self.aof.settled_size += w.size();
                w.switch_to(file, 0);
            }
            None => {
                let w = Writer::new(file, 0, self.config.appendfsync, self.clock.now_ms);
                self.aof.writer = Some(w);
                self.set_propagation(true);
            }
        }
        // The new file must begin with a SELECT of its own.
        self.propagator.forget_db();
        Ok(())
    }

    /// Collects the rewrite child if it has finished (Redis's
    /// `backgroundRewriteDoneHandler`).
    fn reap_rewrite_child(&mut self, wait: bool) {
        let Some(child) = self.aof.child else {
            return;
        };
        let Some((rc, status)) = wait_child(child.pid, wait) else {
            return;
        };
        self.clock.update();
        let tmp = aof::rewrite_temp_name(child.pid as u32);
        let ok = if rc > 0 && libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0 {
            log::info!("Background AOF rewrite terminated with success");
            match self.install_rewrite(&tmp) {
                Ok(()) => true,
                Err(e) => {
                    log::warn!("{e}");
                    false
                }
            }
        } else if rc > 0 && libc::WIFSIGNALED(status) {
            let sig = libc::WTERMSIG(status);
            log::warn!("Background AOF rewrite terminated by signal {sig}");
            // SIGUSR1 is how the server itself stops a rewrite it no longer wants.
            sig == libc::SIGUSR1
        } else {
            log::warn!("Background AOF rewrite terminated with error");
            false
        };
        let _ = fs::remove_file(&tmp);
        if ok {
            self.aof.last_rewrite_ok = true;
            self.aof.consecutive_failures = 0;
        } else {
            self.aof.last_rewrite_ok = false;
            self.aof.consecutive_failures += 1;
        }
        let now = self.clock.now_ms / 1000;
        self.aof.last_rewrite_secs = now.saturating_sub(child.started) as i64;
        self.aof.child = None;
        // Turning the AOF on waits for a successful rewrite: try again.
        if self.aof.status == AofStatus::WaitRewrite {
            self.aof.rewrite_scheduled = true;
        }
    }

    /// Puts a finished rewrite in place: the child's file becomes the new
    /// base, the incremental files it covers become history, and the new
    /// manifest replaces the old one in one rename.
    fn install_rewrite(&mut self, tmp: &str) -> Result<(), String> {
        let dir = self.aof_dir();
        let prefix = self.aof_prefix().to_string();
        let mut m = self.aof.manifest.clone();
        let base = m.new_base(&prefix, self.preamble());
        fs::rename(tmp, dir.join(&base)).map_err(|e| {
            format!(
                "Error trying to rename the temporary AOF base file {tmp} into {base}: {}",
                strerror(&e)
            )
        })?;
        if self.aof.status == AofStatus::WaitRewrite {
            let temp_incr = aof::temp_incr_name(&prefix);
            let incr = m.new_incr(&prefix);
            fs::rename(dir.join(&temp_incr), dir.join(&incr)).map_err(|e| {
                format!(
                    "Error trying to rename the temporary AOF incr file {temp_incr} into {incr}: {}",
                    strerror(&e)
                )
            })?;
            log::info!("Successfully renamed the temporary AOF incr file {temp_incr} into {incr}");
        }
        // The incremental file opened when the rewrite began holds writes
        // the new base lacks; every older one is covered by it.
        m.retire_incrs(usize::from(self.aof.writer.is_some()));
        aof::persist_manifest(&dir, &prefix, &m)
            .map_err(|e| format!("Can't persist the AOF manifest: {}", strerror(&e)))?;
        self.aof.manifest = m;
        log::info!("Successfully renamed the temporary AOF base file {tmp} into {base}");
        self.aof.settled_size = fs::metadata(dir.join(&base)).map_or(0, |md| md.len());
        self.aof.rewrite_base_size = self.aof.current_size();
        if self.aof.status == AofStatus::WaitRewrite {
            self.aof.status = AofStatus::On;
        }
        self.delete_history_files();
        log::info!("Background AOF rewrite finished successfully");
        Ok(())
    }

    /// Deletes the files the manifest lists as history and records that,
    /// unless `aof-disable-auto-gc` keeps them.
    pub(crate) fn delete_history_files(&mut self) {
        if self.aof.manifest.history.is_empty()
            || self.config.flag("aof-disable-auto-gc") == Some(true)
        {
            return;
        }
        let dir = self.aof_dir();
        for info in std::mem::take(&mut self.aof.manifest.history) {
            log::info!("Removing the history file {} in the background", info.name);
            let _ = fs::remove_file(dir.join(&info.name));
        }
        if let Err(e) = aof::persist_manifest(&dir, self.aof_prefix(), &self.aof.manifest) {
            log::warn!("Can't persist the AOF manifest: {}", strerror(&e));
        }
    }

    /// Stops a running rewrite and waits for it (turning the AOF off or on,
    /// shutdown). Its files are removed; it does not count as a failure.
    pub fn kill_rewrite_child(&mut self) {
        let Some(child) = self.aof.child.take() else {
            return;
        };
        log::info!("Killing running AOF rewrite child: {}", child.pid);
        // SAFETY: signalling and reaping our own child.
        unsafe {
            libc::kill(child.pid, libc::SIGUSR1);
        }
        let _ = wait_child(child.pid, true);
        let _ = fs::remove_file(aof::rewrite_temp_name(child.pid as u32));
    }

    /// `CONFIG SET appendonly yes` (Redis's `startAppendOnly`): the AOF is
    /// on once a rewrite has written a base of the current data.
    pub fn start_aof(&mut self) -> Result<(), RewriteError> {
        if self.aof.status != AofStatus::Off {
            return Ok(());
        }
        self.aof.status = AofStatus::WaitRewrite;
        // A rewrite now would write a base of a partial dataset.
        if self.is_loading() {
            self.aof.rewrite_scheduled = true;
            return Ok(());
        }
        if self.persistence.child.is_some() {
            self.aof.rewrite_scheduled = true;
            log::warn!("AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.");
            return Ok(());
        }
        if self.aof.child.is_some() {
            log::warn!("AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now.");
            self.kill_rewrite_child();
        }
        if let Err(e) = self.rewrite_background() {
            self.stop_aof();
            log::warn!("Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.");
            return Err(e);
        }
        Ok(())
    }

    /// `CONFIG SET appendonly no` (Redis's `stopAppendOnly`): sync what was
    /// written, close the file, stop a rewrite.
    pub fn stop_aof(&mut self) {
        let waiting = self.aof.status == AofStatus::WaitRewrite;
        self.flush_aof(true);
        if let Some(mut w) = self.aof.writer.take() {
            if let Err(FlushError::Write(e) | FlushError::Fsync(e)) = w.sync_all(self.clock.now_ms)
            {
                log::warn!("Fail to fsync the AOF file: {}", strerror(&e));
            }
        }
        self.kill_rewrite_child();
        if waiting {
            let _ = fs::remove_file(self.aof_dir().join(aof::temp_incr_name(self.aof_prefix())));
        }
        self.aof.status = AofStatus::Off;
        self.aof.rewrite_scheduled = false;
        self.aof.settled_size = 0;
        self.aof.write_error = None;
        self.set_propagation(false);
    }

    /// `CONFIG SET appendfsync`.
    pub fn set_aof_fsync(&mut self, policy: AppendFsync) {
        if let Some(w) = self.aof.writer.as_mut() {
            w.policy = policy;
        }
    }

    /// Shutdown's part (Redis's `prepareForShutdown`): stop a rewrite and
    /// make every write durable. False when the AOF is still being created
    /// and the shutdown is not forced.
    pub fn aof_shutdown(&mut self, force: bool) -> bool {
        if self.aof.child.is_some() {
            if self.aof.status == AofStatus::WaitRewrite {
                if !force {
                    log::warn!("Writing initial AOF, can't exit.");
                    return false;
                }
                log::warn!("Writing initial AOF. Exit anyway.");
            }
            log::warn!("There is a child rewriting the AOF. Killing it!");
            self.kill_rewrite_child();
        }
        if self.aof.status != AofStatus::Off {
            log::info!("Calling fsync() on the AOF file.");
            self.flush_aof(true);
            if let Some(w) = self.aof.writer.as_mut() {
                if let Err(FlushError::Write(e) | FlushError::Fsync(e)) =
                    w.sync_all(self.clock.now_ms)
                {
                    log::warn!("Fail to fsync the AOF file: {}", strerror(&e));
                }
            }
        }
        true
    }
}

/// Creates the AOF directory if needed, with Redis's message on failure.
fn create_dir(dir: &Path) -> Result<(), String> {
    match fs::create_dir(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
        Err(e) => Err(format!(
            "Can't open or create append-only dir {}: {}",
            dir.display(),
            strerror(&e)
        )),
    }
}

/// Opens a file for appending, creating it; `truncate` empties it first
/// (a temporary file left by an earlier attempt).
fn open_append(path: &Path, truncate: bool) -> io::Result<File> {
    let file = OpenOptions::new().create(true).append(true).open(path)?;
    if truncate {
        file.set_len(0)?;
    }
    Ok(file)
}
