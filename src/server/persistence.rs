//! Snapshots from the server's side: SAVE in the loop, BGSAVE in a forked
//! child, the save points the timed sweep checks, the final save at
//! shutdown, loading at start-up, and the MISCONF state a failed background
//! save leaves behind.
//!
//! A background save forks, as Redis does: the child gets a copy-on-write
//! image of the keyspace as it was at that instant, writes it with the same
//! code SAVE uses and leaves with `_exit`, touching nothing it shares with
//! the parent (sockets stay open in the parent; the log file is opened for
//! appending, so the child's lines land whole). The parent keeps serving
//! and reaps the child from the timed sweep with `waitpid(WNOHANG)`.

use std::os::fd::AsRawFd;
use std::path::PathBuf;
use std::time::Instant;

use super::{logging, memory, Server};
use crate::config::{SHUTDOWN_FORCE, SHUTDOWN_NOSAVE, SHUTDOWN_SAVE};
use crate::persistence::rdb::load::{self, LoadError, LoadOptions, LoadStats, Progress};
use crate::persistence::rdb::save::{self, Access, SaveOptions, Snapshot};
use crate::persistence::rdb::value::Thresholds;
use crate::scripting::functions::RestorePolicy;
use crate::storage::db::Db;

/// After a failed background save, save points wait this long before
/// trying again (Redis's `CONFIG_BGSAVE_RETRY_DELAY`).
const BGSAVE_RETRY_DELAY_SECS: u64 = 5;

/// The child writing a snapshot.
#[derive(Debug, Clone, Copy)]
pub struct SaveChild {
    pub pid: libc::pid_t,
    /// Unix seconds when it was started.
    pub started: u64,
}

/// Snapshot state and counters (`INFO persistence`, `INFO stats`).
#[derive(Debug)]
pub struct PersistenceState {
    pub child: Option<SaveChild>,
    /// Whether the last background save (or SAVE) succeeded; a failure with
    /// `stop-writes-on-bgsave-error` refuses writes until one succeeds.
    pub last_bgsave_ok: bool,
    /// Unix seconds of the last background save attempt.
    pub last_bgsave_try: u64,
    /// `dirty` when the running child was started: what its file covers.
    pub dirty_before_bgsave: u64,
    /// SAVE and BGSAVE runs (`rdb_saves`).
    pub saves: u64,
    /// Duration of the last background save, -1 before the first.
    pub last_bgsave_secs: i64,
    pub total_forks: u64,
    pub latest_fork_usec: u64,
    /// Heap copied per second by the last fork, in GB (`stat_fork_rate`),
    /// which `LATENCY DOCTOR` judges.
    pub fork_rate: f64,
    /// What the last load (start-up or DEBUG RELOAD) did.
    pub last_load: LoadStats,
    /// `BGSAVE SCHEDULE` arrived while an AOF rewrite ran; the save starts
    /// when it ends.
    pub bgsave_scheduled: bool,
    /// In a forked child: the server it works for.
    pub parent: Option<libc::pid_t>,
}

impl Default for PersistenceState {
    fn default() -> Self {
        PersistenceState {
            child: None,
            last_bgsave_ok: true,
            last_bgsave_try: 0,
            dirty_before_bgsave: 0,
            saves: 0,
            last_bgsave_secs: -1,
            total_forks: 0,
            latest_fork_usec: 0,
            fork_rate: 0.0,
            last_load: LoadStats::default(),
            bgsave_scheduled: false,
            parent: None,
        }
    }
}

/// Why BGSAVE could not start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BgsaveError {
    /// A child is already writing a snapshot.
    InProgress,
    /// An AOF rewrite child is running.
    OtherChild,
    /// `fork` failed (logged).
    Fork,
}

impl Server {
    fn now_secs(&self) -> u64 {
        self.clock.now_ms / 1000
    }

    /// Runs `write` with this process's keyspace as a snapshot and the
    /// configured save settings; `aof_base` marks an AOF base file. Shared
    /// by SAVE, the BGSAVE child and the AOF rewrite child.
    pub(crate) fn with_snapshot<T>(
        &self,
        aof_base: bool,
        write: impl FnOnce(&Snapshot, &SaveOptions) -> T,
    ) -> T {
        let policy = self.config.maxmemory_policy;
        let access = |field: u32| {
            if policy.is_lfu() {
                Access::Freq(self.lfu_counter(field) as u8)
            } else if policy.uses_lru_or_lfu() {
                Access::Idle(self.idle_secs(field))
            } else {
                Access::None
            }
        };
        let libraries: Vec<&[u8]> = self
            .functions
            .libraries()
            .iter()
            .map(|lib| &lib.code[..])
            .collect();
        let snap = Snapshot {
            dbs: &self.dbs,
            now_secs: self.now_secs(),
            used_mem: memory::used() as u64,
            libraries: &libraries,
            access: &access,
        };
        let opts = SaveOptions {
            compress: self.config.rdbcompression,
            checksum: self.config.rdbchecksum,
            incremental_fsync: self.config.flag("rdb-save-incremental-fsync") == Some(true),
            key_delay_us: self.key_save_delay_us(),
            aof_base,
            parent: self.persistence.parent,
        };
        write(&snap, &opts)
    }

    /// `rdb-key-save-delay` in microseconds (tests slow saves with it).
    pub(crate) fn key_save_delay_us(&self) -> u64 {
        self.config
            .number("rdb-key-save-delay")
            .map_or(0, |d| d.max(0) as u64)
    }

    /// Writes the snapshot file from this process's keyspace; logs the
    /// outcome. Used by SAVE in the loop and by the background child.
    fn write_snapshot(&self) -> bool {
        let saved = self.with_snapshot(false, |snap, opts| {
            save::save_file(&self.config.dbfilename, snap, opts)
        });
        match saved {
            Ok(()) => {
                log::info!("DB saved on disk");
                true
            }
            Err(why) => {
                log::warn!("{why}");
                false
            }
        }
    }

    /// A blocking save (SAVE, SHUTDOWN, FLUSHALL, DEBUG RELOAD). On success
    /// the changes counter restarts and LASTSAVE moves.
    pub fn save_now(&mut self) -> bool {
        self.clock.update();
        if !self.write_snapshot() {
            return false;
        }
        self.dirty = 0;
        self.lastsave = self.now_secs();
        self.persistence.last_bgsave_ok = true;
        true
    }

    /// Starts a background save in a forked child.
    pub fn bgsave(&mut self) -> Result<(), BgsaveError> {
        if self.persistence.child.is_some() {
            return Err(BgsaveError::InProgress);
        }
        if self.aof.child.is_some() {
            return Err(BgsaveError::OtherChild);
        }
        self.clock.update();
        self.persistence.saves += 1;
        self.persistence.dirty_before_bgsave = self.dirty;
        self.persistence.last_bgsave_try = self.now_secs();
        let pid = match self.fork_child("redis-rdb-bgsave", Server::write_snapshot) {
            Ok(pid) => pid,
            Err(e) => {
                self.persistence.last_bgsave_ok = false;
                log::warn!(
                    "Can't save in background: fork: {}",
                    crate::config::strerror(&e)
                );
                return Err(BgsaveError::Fork);
            }
        };
        log::info!("Background saving started by pid {pid}");
        self.persistence.child = Some(SaveChild {
            pid,
            started: self.now_secs(),
        });
        Ok(())
    }

    /// Forks a child whose whole life is `work`, reported through its exit
    /// code (0 when `work` succeeds); counts the fork for `INFO`.
    pub(crate) fn fork_child(
        &mut self,
        title: &str,
        work: fn(&Server) -> bool,
    ) -> std::io::Result<libc::pid_t> {
        let started = Instant::now();
        // SAFETY: getpid cannot fail.
        let parent = unsafe { libc::getpid() };
        // SAFETY: the child gets a copy of the loop's thread only. The other
        // threads (the AOF's background fsync, lazy free) hold no lock the
        // child takes but the allocator's, which glibc resets across fork:
        // the child only reads the keyspace, writes its own file and leaves
        // with `_exit`, running no destructors.
        let pid = unsafe { libc::fork() };
        if pid == 0 {
            die_with_parent(parent);
            self.persistence.parent = Some(parent);
            self.enter_child();
            if self.config.flag("set-proc-title") == Some(true) {
                super::proctitle::set(&self.config, Some(title));
            }
            let code = if work(self) { 0 } else { 1 };
            // SAFETY: `_exit` ends the process without unwinding or running
            // the parent's destructors (which would flush or close shared state).
            unsafe { libc::_exit(code) }
        }
        if pid < 0 {
            return Err(std::io::Error::last_os_error());
        }
        self.persistence.latest_fork_usec = started.elapsed().as_micros() as u64;
        self.persistence.fork_rate = super::memory::used() as f64 * 1e6
            / self.persistence.latest_fork_usec.max(1) as f64
            / (1024.0 * 1024.0 * 1024.0);
        self.latency_sample("fork", self.persistence.latest_fork_usec / 1000);
        self.persistence.total_forks += 1;
        Ok(pid)
    }

    /// What a forked child does first: default signal handling, and the
    /// parent's listening sockets closed.
    fn enter_child(&self) {
        logging::mark_child();
        let (mode, values) = self.config.oom_score_adj();
        super::os_tuning::set_oom_score_adj(
            mode,
            values,
            super::os_tuning::OomClass::BackgroundChild,
        );
        // The parent's handlers only raise a flag this process never reads;
        // a signal must stop the child instead.
        // SAFETY: restoring default dispositions is always sound.
        unsafe {
            libc::signal(libc::SIGTERM, libc::SIG_DFL);
            libc::signal(libc::SIGINT, libc::SIG_DFL);
        }
        // Listening sockets are closed here, so the parent can bind the same
        // address again (CONFIG SET port) while the save runs. Only the
        // descriptors go: the poll registration belongs to the parent too
        // and must not be touched.
        let tcp = self.listeners.tcp.iter().map(|(_, l)| l.as_raw_fd());
        let unix = self.listeners.unix.iter().map(|(l, _)| l.as_raw_fd());
        for fd in tcp.chain(unix) {
            // SAFETY: closing this process's copy of a descriptor it never
            // uses again; `_exit` below runs no destructor that would close
            // it a second time.
            unsafe {
                libc::close(fd);
            }
        }
    }

    /// From the timed sweep: reaps a finished child, or starts a background
    /// save when a save point is reached.
    pub(crate) fn persistence_cron(&mut self) {
        if self.persistence.child.is_some() {
            self.reap_child(false);
            return;
        }
        // One child at a time: save points wait for an AOF rewrite.
        if self.aof.child.is_some() {
            return;
        }
        let now = self.now_secs();
        let p = &self.persistence;
        let may_retry =
            p.last_bgsave_ok || now.saturating_sub(p.last_bgsave_try) > BGSAVE_RETRY_DELAY_SECS;
        if p.bgsave_scheduled && may_retry && self.bgsave().is_ok() {
            self.persistence.bgsave_scheduled = false;
            return;
        }
        let due = self.config.save_params.iter().find(|&&(secs, changes)| {
            self.dirty >= changes && now.saturating_sub(self.lastsave) > secs && may_retry
        });
        if let Some(&(secs, changes)) = due {
            log::info!("{changes} changes in {secs} seconds. Saving...");
            // A failed fork is logged and recorded; nothing more to do here.
            let _ = self.bgsave();
        }
    }

    /// Collects the child if it has finished (or, with `wait`, once it
    /// has), as Redis's `backgroundSaveDoneHandler` does.
    fn reap_child(&mut self, wait: bool) {
        let Some(child) = self.persistence.child else {
            return;
        };
        let Some((rc, status)) = wait_child(child.pid, wait) else {
            return;
        };
        self.clock.update();
        let now = self.now_secs();
        if rc < 0 {
            // The child is gone without a status (reaped elsewhere): its
            // result is unknown, so it counts as a failure.
            log::warn!("Background saving error");
            self.persistence.last_bgsave_ok = false;
        } else if libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0 {
            log::info!("Background saving terminated with success");
            self.dirty = self
                .dirty
                .saturating_sub(self.persistence.dirty_before_bgsave);
            self.lastsave = now;
            self.persistence.last_bgsave_ok = true;
        } else if libc::WIFEXITED(status) {
            log::warn!("Background saving error");
            self.persistence.last_bgsave_ok = false;
        } else {
            let sig = libc::WTERMSIG(status);
            log::warn!("Background saving terminated by signal {sig}");
            let _ = std::fs::remove_file(save::temp_name(child.pid as u32));
            // SIGUSR1 is how the server itself stops a save it no longer wants.
            if sig != libc::SIGUSR1 {
                self.persistence.last_bgsave_ok = false;
            }
        }
        self.persistence.last_bgsave_secs = now.saturating_sub(child.started) as i64;
        self.persistence.child = None;
    }

    /// Stops a running background save (FLUSHALL, shutdown) and waits for
    /// it, so it can never rename its stale file over a newer one. A save
    /// stopped this way is not an error.
    pub fn kill_save_child(&mut self) {
        if let Some(child) = self.persistence.child {
            // SAFETY: signalling our own child.
            unsafe {
                libc::kill(child.pid, libc::SIGUSR1);
            }
            self.reap_child(true);
        }
    }

    /// Whether writes are refused with MISCONF: the last background save
    /// failed while save points exist and `stop-writes-on-bgsave-error` is on.
    pub fn writes_denied(&self) -> bool {
        !self.persistence.last_bgsave_ok
            && self.config.stop_writes_on_bgsave_error
            && !self.config.save_params.is_empty()
    }

    /// The first half of shutting down (Redis's `finishShutdown` up to the
    /// final save): stop a running child, then save if save points exist
    /// or `flags` ask for it. False means the server must keep running.
    pub fn shutdown_save(&mut self, flags: i32) -> bool {
        log::warn!("User requested shutdown...");
        if self.persistence.child.is_some() {
            log::warn!("There is a child saving an .rdb. Killing it!");
            self.kill_save_child();
        }
        if !self.aof_shutdown(flags & SHUTDOWN_FORCE != 0) {
            log::warn!(
                "Errors trying to shut down the server. Check the logs for more information."
            );
            return false;
        }
        let wanted = (!self.config.save_params.is_empty() && flags & SHUTDOWN_NOSAVE == 0)
            || flags & SHUTDOWN_SAVE != 0;
        if wanted {
            log::info!("Saving the final RDB snapshot before exiting.");
            if !self.save_now() {
                if flags & SHUTDOWN_FORCE != 0 {
                    log::warn!("Error trying to save the DB. Exit anyway.");
                } else {
                    log::warn!("Error trying to save the DB, can't exit.");
                    log::warn!("Errors trying to shut down the server. Check the logs for more information.");
                    return false;
                }
            }
        }
        true
    }

    /// Loads an RDB image into `dbs` with the server's settings, logging
    /// the result line Redis logs; `read` reads it from wherever it is (the
    /// snapshot file, an AOF base).
    pub(crate) fn load_rdb_with(
        &mut self,
        dbs: &mut [Db],
        merge: bool,
        read: impl FnOnce(&mut [Db], &LoadOptions, &mut Progress) -> Result<LoadStats, LoadError>,
    ) -> Result<LoadStats, LoadError> {
        let (clock, lfu) = (self.lru_clock(), self.config.maxmemory_policy.is_lfu());
        let access = move |idle: Option<u64>, freq| {
            super::keyspace::access_field_at(clock, lfu, idle.map(|i| i as i64), freq)
        };
        let opts = LoadOptions {
            now_ms: self.clock.now_ms,
            keep_expired: self.replaying_aof(),
            verify_checksum: self.config.rdbchecksum && !self.debug.skip_checksum_validation,
            replace_duplicates: merge,
            access: &access,
            thresholds: Thresholds::of(&self.config),
        };
        let stats = read(dbs, &opts, &mut |dbs, offset, stats| {
            self.rdb_load_progress(dbs, offset, stats)
        })?;
        log::info!(
            "Done loading RDB, keys loaded: {}, keys expired: {}.",
            stats.keys_loaded,
            stats.keys_expired
        );
        Ok(stats)
    }

    /// Compiles the libraries a load found into the current ones; with
    /// `replace` they replace libraries of the same names. A library that
    /// fails leaves the current ones as they were.
    pub(crate) fn load_libraries(
        &mut self,
        stats: &mut LoadStats,
        replace: bool,
    ) -> Result<(), LoadError> {
        let codes = std::mem::take(&mut stats.libraries);
        if codes.is_empty() {
            return Ok(());
        }
        let policy = if replace {
            RestorePolicy::Replace
        } else {
            RestorePolicy::Append
        };
        self.functions.restore(&codes, policy).map_err(|e| {
            log::warn!("Failed loading library, {e}");
            LoadError {
                offset: 0,
                kind: load::LoadErrorKind::Library(e),
            }
        })
    }

    /// Start-up: removes the temp files in `dir` that a process now dead
    /// was writing (a child killed with its server), which nothing else
    /// would ever remove. Files of live processes may still be written.
    pub fn remove_dead_temp_files(&self) {
        let Ok(entries) = std::fs::read_dir(".") else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(name) = name.to_str() else {
                continue;
            };
            let Some(pid) = temp_file_pid(name) else {
                continue;
            };
            if !process_running(pid) {
                log::debug!("Removing {name}, left by the dead process {pid}");
                let _ = std::fs::remove_file(name);
            }
        }
    }

    /// Loads `dbfilename` into `dbs`.
    fn load_into(&mut self, dbs: &mut [Db], merge: bool) -> Result<LoadStats, LoadError> {
        let path = PathBuf::from(&self.config.dbfilename);
        self.load_rdb_with(dbs, merge, |dbs, opts, progress| {
            load::load_file(&path, dbs, opts, progress)
        })
    }

    /// The databases, for a load to fill; empty ones stand in for them
    /// meanwhile, so that clients served during the load find every
    /// database they may SELECT.
    pub(crate) fn take_dbs_for_loading(&mut self) -> Vec<Db> {
        let standins = (0..self.dbs.len()).map(|_| Db::new()).collect();
        std::mem::replace(&mut self.dbs, standins)
    }

    /// Loads the snapshot at start-up, serving clients meanwhile. A
    /// missing file starts the server empty; any other failure stops
    /// start-up with the file and offset.
    pub fn load_at_startup(&mut self) -> Result<(), String> {
        let started = Instant::now();
        if let Ok(meta) = std::fs::metadata(&self.config.dbfilename) {
            self.start_loading(meta.len());
        }
        let mut dbs = self.take_dbs_for_loading();
        let result = self.load_into(&mut dbs, false);
        self.stop_loading();
        self.dbs = dbs;
        let result = result.and_then(|mut stats| {
            self.load_libraries(&mut stats, false)?;
            Ok(stats)
        });
        match result {
            Ok(stats) => {
                self.persistence.last_load = stats;
                log::info!(
                    "DB loaded from disk: {:.3} seconds",
                    started.elapsed().as_secs_f64()
                );
                Ok(())
            }
            Err(e) if e.is_missing_file() => Ok(()),
            Err(e) => Err(format!(
                "Fatal error loading the DB from {}/{}: {e}. Exiting.",
                self.config.dir, self.config.dbfilename
            )),
        }
    }

    /// DEBUG RELOAD's load: with `flush` the file replaces the keyspace,
    /// otherwise its keys are added (`merge` lets them replace existing
    /// ones). Nothing of a file that fails to load is kept.
    pub fn reload(&mut self, flush: bool, merge: bool) -> Result<(), LoadError> {
        self.clock.update();
        let stats = if flush {
            for db in 0..self.dbs.len() {
                self.flush_db(db);
            }
            self.functions.flush();
            let mut dbs = std::mem::take(&mut self.dbs);
            let result = self.load_into(&mut dbs, merge).and_then(|mut stats| {
                self.load_libraries(&mut stats, merge)?;
                Ok(stats)
            });
            if result.is_err() {
                for db in &mut dbs {
                    db.clear();
                }
            }
            self.dbs = dbs;
            result?
        } else {
            let mut loaded: Vec<Db> = (0..self.dbs.len()).map(|_| Db::new()).collect();
            let mut stats = self.load_into(&mut loaded, merge)?;
            self.load_libraries(&mut stats, merge)?;
            self.merge_loaded(loaded, merge)?;
            stats
        };
        self.persistence.last_load = stats;
        Ok(())
    }

    /// Adds the keys of freshly loaded databases to the live ones. Without
    /// `replace` a key present on both sides refuses the whole merge.
    fn merge_loaded(&mut self, loaded: Vec<Db>, replace: bool) -> Result<(), LoadError> {
        let now = self.clock.now_ms;
        if !replace {
            for (index, src) in loaded.iter().enumerate() {
                if let Some(id) = src
                    .ids()
                    .find(|&id| self.dbs[index].peek(src.key(id).as_slice(), now).is_some())
                {
                    let key = src.key(id).as_slice().to_vec();
                    let kind = load::LoadErrorKind::DuplicateKey { key, db: index };
                    return Err(LoadError { offset: 0, kind });
                }
            }
        }
        for (index, mut src) in loaded.into_iter().enumerate() {
            let ids: Vec<_> = src.ids().collect();
            for id in ids {
                let lru = src.lru(id);
                let (key, value, expire) = src.take(id);
                let db = &mut self.dbs[index];
                if let Some(old) = db.find(key.as_slice(), now) {
                    db.remove_id(old);
                }
                let id = db.add(key.as_slice(), value, lru);
                if let Some(t) = expire {
                    db.set_expire(id, t);
                }
            }
        }
        Ok(())
    }
}

/// Makes this forked child end when `parent` does. An orphan must not
/// finish its work: a newer server may have saved since, and the
/// orphan's stale file would replace that one.
fn die_with_parent(parent: libc::pid_t) {
    // SAFETY: prctl with an option and a signal number touches no memory.
    #[cfg(target_os = "linux")]
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL as libc::c_ulong);
    }
    // The parent may have died before the request took effect.
    if !save::parent_alive(Some(parent)) {
        // SAFETY: `_exit` ends the process without running the parent's
        // destructors.
        unsafe { libc::_exit(1) }
    }
}

/// The pid a snapshot or rewrite temp file is named after.
fn temp_file_pid(name: &str) -> Option<u32> {
    let start = name.find(|c: char| c.is_ascii_digit())?;
    let digits = &name[start..];
    let end = digits
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(digits.len());
    let pid = digits[..end].parse().ok()?;
    let names = [
        save::temp_name(pid),
        crate::persistence::aof::rewrite_temp_name(pid),
        crate::persistence::aof::start_temp_name(pid),
    ];
    names.contains(&name.to_string()).then_some(pid)
}

/// Whether process `pid` exists and can still run: a zombie writes no more.
fn process_running(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks that the process exists.
    let exists = pid > 0
        && (unsafe { libc::kill(pid, 0) } == 0
            || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM));
    if !exists {
        return false;
    }
    // Where /proc cannot tell, the process counts as running.
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let state = stat.rsplit(") ").next().and_then(|s| s.chars().next());
    !matches!(state, Some('Z' | 'X'))
}

/// Collects child `pid` if it has ended (with `wait`, once it has).
/// `None` while it runs; otherwise `waitpid`'s result and the status
/// (a negative result: the child is gone without one).
pub(crate) fn wait_child(pid: libc::pid_t, wait: bool) -> Option<(i32, i32)> {
    let mut status = 0;
    let options = if wait { 0 } else { libc::WNOHANG };
    let rc = loop {
        // SAFETY: waitpid on our own child, writing the status we own.
        let rc = unsafe { libc::waitpid(pid, &mut status, options) };
        let interrupted =
            rc < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted;
        if !interrupted {
            break rc;
        }
    };
    (rc != 0).then_some((rc, status))
}
