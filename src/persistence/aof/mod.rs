//! The append-only file, in Redis 7.0's multi-part layout.
//!
//! A directory (`appenddirname`) holds one base file (a snapshot, RDB or
//! commands), the incremental files of commands written since, and the
//! manifest naming them ([`manifest`]). Loading replays the base and then
//! each incremental file in order ([`reader`]); the writer appends the
//! propagated commands to the newest incremental file and syncs them as
//! `appendfsync` says ([`writer`]); a rewrite writes a fresh base from the
//! keyspace ([`rewrite`]) while new writes go to a new incremental file, and
//! the manifest is swapped atomically when it is done. These modules only
//! know files; `server/aof.rs` ties them to the event loop.

pub mod manifest;
pub mod reader;
pub mod rewrite;
pub mod writer;

use std::fs::File;
use std::io;
use std::path::Path;

/// A base file written as RDB (`aof-use-rdb-preamble yes`).
pub fn base_name(prefix: &str, seq: u64, rdb: bool) -> String {
    let ext = if rdb { "rdb" } else { "aof" };
    format!("{prefix}.{seq}.base.{ext}")
}

/// An incremental file.
pub fn incr_name(prefix: &str, seq: u64) -> String {
    format!("{prefix}.{seq}.incr.aof")
}

/// The manifest's name.
pub fn manifest_name(prefix: &str) -> String {
    format!("{prefix}.manifest")
}

/// Where a new manifest is written before it is renamed over the old one.
pub fn temp_manifest_name(prefix: &str) -> String {
    format!("temp-{prefix}.manifest")
}

/// The incremental file used while `CONFIG SET appendonly yes` waits for
/// its first rewrite (it gets a real name when the rewrite ends).
pub fn temp_incr_name(prefix: &str) -> String {
    format!("temp-{prefix}.incr")
}

/// The file a rewrite child writes in `dir` before the parent renames it
/// into the directory.
pub fn rewrite_temp_name(pid: u32) -> String {
    format!("temp-rewriteaof-bg-{pid}.aof")
}

/// The file the base created at start-up by process `pid` is written to
/// in `dir` before it is renamed into the directory.
pub fn start_temp_name(pid: u32) -> String {
    format!("temp-rewriteaof-{pid}.aof")
}

/// Makes a rename or a new file in `dir` durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Writes `manifest` atomically into `dir`: a temporary file, synced,
/// renamed over the old one, then the directory synced, so a crash leaves
/// either the old manifest or the new one, never a torn one.
pub fn persist_manifest(dir: &Path, prefix: &str, m: &manifest::Manifest) -> io::Result<()> {
    let tmp = dir.join(temp_manifest_name(prefix));
    let result = (|| {
        let mut f = File::create(&tmp)?;
        io::Write::write_all(&mut f, &m.render())?;
        f.sync_all()?;
        std::fs::rename(&tmp, dir.join(manifest_name(prefix)))?;
        sync_dir(dir)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Whether a file starts as an RDB file does, so it is loaded as a preamble.
pub fn starts_with_rdb(head: &[u8]) -> bool {
    head.starts_with(crate::persistence::rdb::MAGIC)
}
