//! Writing a whole snapshot (`dump.rdb`) as Redis 7.0 writes it.
//!
//! The file is `REDIS0010`, the AUX fields Redis writes (`redis-ver`,
//! `redis-bits`, `ctime`, `used-mem`, `aof-base`), one FUNCTION2 entry per
//! function library, then for each non-empty database SELECTDB, RESIZEDB
//! and its keys (each preceded by its expiry and, under an LRU or LFU
//! policy, its idle time or counter), then EOF and the CRC-64 of
//! everything before it (zero when `rdbchecksum` is off).
//!
//! Entries are encoded into a buffer that is checksummed and written out
//! whenever it passes [`CHUNK`] bytes, so a snapshot never exists whole in
//! memory. [`save_file`] writes to `temp-<pid>.rdb`, syncs it and renames
//! it over the target, so the target is always either the old file or the
//! complete new one.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;

use super::crc64::Running;
use super::{function, length, opcode, string, value, MAGIC, RDB_VERSION};
use crate::config::strerror;
use crate::server::REDIS_VERSION;
use crate::storage::db::Db;

/// Encoded bytes gathered before they are checksummed and written.
const CHUNK: usize = 64 * 1024;

/// With `rdb-save-incremental-fsync`, data is synced every this many bytes
/// (Redis's `REDIS_AUTOSYNC_BYTES`), so the kernel never holds a huge
/// backlog of dirty pages that would stall the final sync.
const AUTOSYNC_BYTES: u64 = 4 * 1024 * 1024;

/// How a key's access field is saved, depending on the eviction policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No policy that uses it: nothing is saved.
    None,
    /// An LRU policy: seconds since the last access.
    Idle(u64),
    /// An LFU policy: the decayed counter.
    Freq(u8),
}

/// The settings a save follows.
#[derive(Debug, Clone, Copy)]
pub struct SaveOptions {
    /// `rdbcompression`: LZF-compress long strings.
    pub compress: bool,
    /// `rdbchecksum`: write the CRC-64 (zeros otherwise).
    pub checksum: bool,
    /// `rdb-save-incremental-fsync`.
    pub incremental_fsync: bool,
    /// `rdb-key-save-delay`: microseconds to sleep after each key (tests
    /// use it to keep a save running).
    pub key_delay_us: u64,
    /// The file is the base of an append-only file (the `aof-base` field).
    pub aof_base: bool,
    /// The server a forked child saves for. Once it is gone the file must
    /// not replace the target: a newer server may have saved since.
    pub parent: Option<libc::pid_t>,
}

/// What is saved: the databases and what the header reports.
pub struct Snapshot<'a> {
    pub dbs: &'a [Db],
    /// Unix seconds, the `ctime` field.
    pub now_secs: u64,
    /// Heap bytes in use, the `used-mem` field.
    pub used_mem: u64,
    /// The code of each function library, saved before the databases.
    pub libraries: &'a [&'a [u8]],
    /// Maps a key's access field to what is saved for it.
    pub access: &'a dyn Fn(u32) -> Access,
}

/// Encoded bytes on their way out, checksummed as they go.
struct Sink<W: Write> {
    out: W,
    crc: Option<Running>,
    buf: Vec<u8>,
}

impl<W: Write> Sink<W> {
    fn flush_if_full(&mut self) -> io::Result<()> {
        if self.buf.len() >= CHUNK {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        if let Some(crc) = &mut self.crc {
            crc.update(&self.buf);
        }
        self.out.write_all(&self.buf)?;
        self.buf.clear();
        Ok(())
    }

    /// An AUX field. Values go through the string encoding, so numbers are
    /// integer-encoded as Redis's `rdbSaveAuxFieldStrInt` writes them.
    fn aux(&mut self, name: &str, value: &str, compress: bool) {
        self.buf.push(opcode::AUX);
        string::write(&mut self.buf, name.as_bytes(), compress);
        string::write(&mut self.buf, value.as_bytes(), compress);
    }
}

/// Streams `snap` into `out` in RDB version 10, returning `out`.
pub fn write<W: Write>(out: W, snap: &Snapshot, opts: &SaveOptions) -> io::Result<W> {
    let compress = opts.compress;
    let mut sink = Sink {
        out,
        crc: opts.checksum.then(Running::new),
        buf: Vec::with_capacity(CHUNK + 1024),
    };
    sink.buf.extend_from_slice(MAGIC);
    sink.buf
        .extend_from_slice(format!("{RDB_VERSION:04}").as_bytes());
    sink.aux("redis-ver", REDIS_VERSION, compress);
    sink.aux("redis-bits", &usize::BITS.to_string(), compress);
    sink.aux("ctime", &snap.now_secs.to_string(), compress);
    sink.aux("used-mem", &snap.used_mem.to_string(), compress);
    sink.aux("aof-base", if opts.aof_base { "1" } else { "0" }, compress);
    for code in snap.libraries {
        function::write_library(&mut sink.buf, code, compress);
        sink.flush_if_full()?;
    }
    for (index, db) in snap.dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        sink.buf.push(opcode::SELECTDB);
        length::write_len(&mut sink.buf, index as u64);
        sink.buf.push(opcode::RESIZEDB);
        length::write_len(&mut sink.buf, db.len() as u64);
        length::write_len(&mut sink.buf, db.expires() as u64);
        for id in db.ids() {
            if let Some(when) = db.expire_of(id) {
                sink.buf.push(opcode::EXPIRETIME_MS);
                sink.buf.extend_from_slice(&when.to_le_bytes());
            }
            match (snap.access)(db.lru(id)) {
                Access::None => {}
                Access::Idle(secs) => {
                    sink.buf.push(opcode::IDLE);
                    length::write_len(&mut sink.buf, secs);
                }
                Access::Freq(counter) => {
                    sink.buf.extend_from_slice(&[opcode::FREQ, counter]);
                }
            }
            let v = db.value(id);
            sink.buf.push(value::type_of(v));
            string::write(&mut sink.buf, db.key(id).as_slice(), compress);
            value::write_body(&mut sink.buf, v, compress);
            sink.flush_if_full()?;
            if opts.key_delay_us > 0 {
                std::thread::sleep(std::time::Duration::from_micros(opts.key_delay_us));
            }
        }
    }
    sink.buf.push(opcode::EOF);
    sink.flush()?;
    let crc = sink.crc.as_ref().map_or(0, Running::value);
    sink.out.write_all(&crc.to_le_bytes())?;
    Ok(sink.out)
}

/// A file that syncs its data every [`AUTOSYNC_BYTES`] when asked to
/// (snapshots, and AOF rewrites with `aof-rewrite-incremental-fsync`).
pub struct SyncingFile {
    file: File,
    autosync: bool,
    unsynced: u64,
}

impl SyncingFile {
    pub fn new(file: File, autosync: bool) -> Self {
        SyncingFile {
            file,
            autosync,
            unsynced: 0,
        }
    }

    /// Syncs everything written and gives the file back.
    pub fn sync_all(self) -> io::Result<File> {
        self.file.sync_all()?;
        Ok(self.file)
    }
}

impl Write for SyncingFile {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let n = self.file.write(data)?;
        self.unsynced += n as u64;
        if self.autosync && self.unsynced >= AUTOSYNC_BYTES {
            self.file.sync_data()?;
            self.unsynced = 0;
        }
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

/// Whether `parent` (none outside a forked child) is still this process's
/// parent: an orphan is adopted by another process.
pub fn parent_alive(parent: Option<libc::pid_t>) -> bool {
    // SAFETY: getppid cannot fail.
    parent.is_none_or(|p| unsafe { libc::getppid() } == p)
}

/// The temporary file a save by process `pid` writes (Redis's name, so
/// leftovers look the same in `dir`).
pub fn temp_name(pid: u32) -> String {
    format!("temp-{pid}.rdb")
}

/// Saves `snap` to `filename` in the working directory (`dir`) atomically.
/// `Err` carries the log line Redis writes for the failure.
pub fn save_file(filename: &str, snap: &Snapshot, opts: &SaveOptions) -> Result<(), String> {
    let tmp = temp_name(std::process::id());
    let cwd = || {
        std::env::current_dir()
            .map(|d| d.display().to_string())
            .unwrap_or_else(|_| "unknown".into())
    };
    let file = File::create(&tmp).map_err(|e| {
        format!(
            "Failed opening the temp RDB file {tmp} (in server root dir {}) for saving: {}",
            cwd(),
            strerror(&e)
        )
    })?;
    let target = SyncingFile::new(file, opts.incremental_fsync);
    let written = write(target, snap, opts).and_then(SyncingFile::sync_all);
    if let Err(e) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!("Write error saving DB on disk: {}", strerror(&e)));
    }
    if !parent_alive(opts.parent) {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!(
            "The server is gone: not moving temp DB file {tmp} on the final destination {filename}"
        ));
    }
    if let Err(e) = std::fs::rename(&tmp, filename) {
        let _ = std::fs::remove_file(&tmp);
        return Err(format!(
            "Error moving temp DB file {tmp} on the final destination {filename} (in server root dir {}): {}",
            cwd(),
            strerror(&e)
        ));
    }
    // The rename itself must reach the disk too.
    let dir = Path::new(filename)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| format!("Write error saving DB on disk: {}", strerror(&e)))
}
