//! Reading a whole snapshot file, any version from 1 to 10.
//!
//! The file is read in chunks into a window; each item (an opcode with its
//! operands, or a key with its value) is decoded by the same [`Reader`]
//! functions DUMP payloads use. When an item runs past the end of the
//! window, more of the file is read (the window grows if one item is
//! larger than it) and the item is decoded again from its start, so memory
//! stays at about one window plus the largest value, however big the file.
//!
//! Everything the file says is checked before it is trusted: lengths
//! against what is left, database numbers against `databases`, duplicate
//! keys, and the CRC-64 trailer. Any failure is a [`LoadError`] naming the
//! offset of the item that could not be loaded; the caller decides what
//! happens to the databases (start-up exits, DEBUG RELOAD discards them).

#![deny(clippy::indexing_slicing)]

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use super::crc64::Running;
use super::{function, length, opcode, string, value, RdbError, Reader, MAGIC, RDB_VERSION};
use crate::storage::db::Db;
use crate::storage::value::{Bytes, Value};

/// The window's initial size; it doubles for items larger than that.
const WINDOW: usize = 1 << 20;

/// Smallest encoding of one key and its value (type byte, empty key, empty
/// string), used to bound RESIZEDB's size hint by what the file can hold.
const MIN_ENTRY_LEN: u64 = 3;

/// The version from which files end with a checksum.
const CHECKSUM_SINCE: u32 = 5;

/// The settings a load follows.
pub struct LoadOptions<'a> {
    /// Unix ms; keys whose deadline is earlier are dropped (as a master does).
    pub now_ms: u64,
    /// Keep keys whose deadline has passed: an AOF's preamble, whose later
    /// commands may lift the deadline, as Redis keeps them there.
    pub keep_expired: bool,
    /// `rdbchecksum`: compare the trailer with the data.
    pub verify_checksum: bool,
    /// `DEBUG RELOAD MERGE`: a key already present is replaced, not an error.
    pub replace_duplicates: bool,
    /// A key's access field from its saved idle seconds or LFU counter.
    pub access: &'a dyn Fn(Option<u64>, Option<u8>) -> u32,
    /// The encodings loaded values get.
    pub thresholds: value::Thresholds,
}

/// What a load did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct LoadStats {
    pub keys_loaded: u64,
    /// Keys dropped because their deadline had passed.
    pub keys_expired: u64,
    /// Offset just past the snapshot (an AOF's commands may follow it).
    pub end_offset: u64,
    /// The code of each function library in the file, in order, for the
    /// caller to compile.
    pub libraries: Vec<Vec<u8>>,
    /// The `used-mem` field: the saving server's memory (0 when absent).
    pub used_mem: u64,
}

/// Called after each key with the databases as loaded so far, the offset
/// reached and the counts so far: the caller may serve clients there.
pub type Progress<'a> = dyn FnMut(&mut [Db], u64, &LoadStats) + 'a;

/// Why a file could not be loaded, and where.
#[derive(Debug)]
pub struct LoadError {
    /// Offset of the item that failed (0 for the file as a whole).
    pub offset: u64,
    pub kind: LoadErrorKind,
}

/// The reasons a load fails.
#[derive(Debug)]
pub enum LoadErrorKind {
    /// The file could not be opened or read.
    Io(io::Error),
    /// The file does not start with `REDIS`.
    WrongSignature,
    /// A version this server cannot read (newer than 10, or not a number).
    UnsupportedVersion(u32),
    /// Malformed data, or a value type ferrodis cannot hold yet.
    Rdb(RdbError),
    /// SELECTDB names a database beyond `databases`.
    DbIndexOutOfRange { index: u64, databases: usize },
    /// A key appears twice in one database.
    DuplicateKey { key: Vec<u8>, db: usize },
    /// The trailer does not match the data.
    Checksum { computed: u64, stored: u64 },
    /// A function library that does not compile; holds why.
    Library(String),
    /// Data of a Redis module, which ferrodis does not have.
    ModuleAux,
}

impl LoadError {
    fn at(offset: u64, kind: LoadErrorKind) -> Self {
        LoadError { offset, kind }
    }

    /// The file does not exist (start-up then begins empty, as Redis does).
    pub fn is_missing_file(&self) -> bool {
        matches!(&self.kind, LoadErrorKind::Io(e) if e.kind() == io::ErrorKind::NotFound)
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            LoadErrorKind::Io(e) => write!(f, "{}", crate::config::strerror(e))?,
            LoadErrorKind::WrongSignature => write!(f, "Wrong signature (not an RDB file)")?,
            LoadErrorKind::UnsupportedVersion(v) => write!(f, "Can't handle RDB format version {v}")?,
            LoadErrorKind::Rdb(e) => write!(f, "{e}")?,
            LoadErrorKind::DbIndexOutOfRange { index, databases } => write!(
                f,
                "the file selects DB {index}, but this server is configured with {databases} databases"
            )?,
            LoadErrorKind::DuplicateKey { key, db } => write!(
                f,
                "duplicated key '{}' in DB {db}",
                String::from_utf8_lossy(key)
            )?,
            LoadErrorKind::Checksum { computed, stored } => write!(
                f,
                "Wrong RDB checksum expected: ({computed:x}) but got ({stored:x})"
            )?,
            LoadErrorKind::Library(e) => write!(f, "Failed loading library, {e}")?,
            LoadErrorKind::ModuleAux => write!(
                f,
                "the file holds data of a Redis module (opcode {}), and ferrodis has no modules",
                opcode::MODULE_AUX
            )?,
        }
        write!(f, " at offset {}", self.offset)
    }
}

impl std::error::Error for LoadError {}

/// The file's bytes, read a window at a time and checksummed as consumed.
struct Source<R> {
    input: R,
    buf: Vec<u8>,
    /// Unconsumed bytes are `buf[start..end]`.
    start: usize,
    end: usize,
    /// File offset of `buf[0]`.
    base: u64,
    eof: bool,
    crc: Option<Running>,
}

impl<R: Read> Source<R> {
    /// File offset of the next unconsumed byte.
    fn offset(&self) -> u64 {
        self.base + self.start as u64
    }

    /// Decodes the next item with `parse`, reading more of the file and
    /// starting over whenever the item runs past what has been read.
    fn next<T>(
        &mut self,
        mut parse: impl FnMut(&mut Reader) -> Result<T, RdbError>,
    ) -> Result<T, LoadError> {
        loop {
            let unread = self.buf.get(self.start..self.end).unwrap_or_default();
            let mut r = Reader::new(unread);
            match parse(&mut r) {
                Ok(item) => {
                    if let Some(crc) = &mut self.crc {
                        crc.update(r.consumed());
                    }
                    self.start += r.pos();
                    return Ok(item);
                }
                Err(RdbError::Truncated) if !self.eof => self.fill()?,
                Err(e) => return Err(LoadError::at(self.offset(), LoadErrorKind::Rdb(e))),
            }
        }
    }

    /// Reads more of the file after the unconsumed bytes.
    fn fill(&mut self) -> Result<(), LoadError> {
        self.buf.copy_within(self.start..self.end, 0);
        self.base += self.start as u64;
        self.end -= self.start;
        self.start = 0;
        if self.end == self.buf.len() {
            // One item fills the whole window: make room for more of it.
            self.buf.resize(self.buf.len() * 2, 0);
        }
        loop {
            // `end` is below the window's length here, so there is room.
            let room = self.buf.get_mut(self.end..).unwrap_or_default();
            match self.input.read(room) {
                Ok(0) => {
                    self.eof = true;
                    return Ok(());
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(());
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let at = self.base + self.end as u64;
                    return Err(LoadError::at(at, LoadErrorKind::Io(e)));
                }
            }
        }
    }
}

/// One decoded item of the file body.
enum Item {
    Expire(i64),
    Idle(u64),
    Freq(u8),
    Aux(Vec<u8>, Vec<u8>),
    SelectDb(u64),
    ResizeDb(u64),
    Key(Bytes, Value),
    /// A key whose collection was empty: skipped, as Redis skips it.
    EmptyKey(Bytes),
    Library(Vec<u8>),
    ModuleAux,
    Eof,
}

fn parse_item(r: &mut Reader, limits: &value::Thresholds) -> Result<Item, RdbError> {
    let t = r.u8()?;
    Ok(match t {
        opcode::EXPIRETIME_MS => Item::Expire(i64::from_le_bytes(r.array()?)),
        opcode::EXPIRETIME => Item::Expire(i64::from(i32::from_le_bytes(r.array()?)) * 1000),
        opcode::IDLE => Item::Idle(length::read_len(r)?),
        opcode::FREQ => Item::Freq(r.u8()?),
        opcode::AUX => {
            let name = string::read(r)?.into_owned();
            Item::Aux(name, string::read(r)?.into_owned())
        }
        opcode::SELECTDB => Item::SelectDb(length::read_len(r)?),
        opcode::RESIZEDB => {
            let size = length::read_len(r)?;
            length::read_len(r)?;
            Item::ResizeDb(size)
        }
        opcode::FUNCTION2 => Item::Library(function::read_library(r)?),
        opcode::FUNCTION_PRE_GA => {
            Item::Library(function::read_pre_ga_library(r).map_err(|(_, e)| e)?)
        }
        opcode::MODULE_AUX => Item::ModuleAux,
        opcode::EOF => Item::Eof,
        t => {
            let key = Bytes::new(&string::read(r)?);
            match value::read_body(t, r, limits) {
                Err(RdbError::EmptyKey) => Item::EmptyKey(key),
                Err(RdbError::Corrupt(what)) => {
                    return Err(RdbError::Corrupt(format!("{what} (key {:?})", key)))
                }
                v => Item::Key(key, v?),
            }
        }
    })
}

/// The version in a header, read as Redis's `atoi` does (0 if no digits).
fn header_version(digits: &[u8]) -> u32 {
    digits
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .fold(0, |v, &b| v * 10 + u32::from(b - b'0'))
}

/// Logs what Redis logs about the AUX fields it knows.
fn log_aux(name: &[u8], value: &[u8], now_ms: u64, stats: &mut LoadStats) {
    let text = String::from_utf8_lossy(value);
    let number = || text.parse::<i64>().unwrap_or(0);
    match name {
        b"redis-ver" => log::info!("Loading RDB produced by version {text}"),
        b"aof-base" if number() != 0 => log::info!("RDB is base AOF"),
        b"ctime" => {
            let age = (now_ms / 1000) as i64 - number();
            log::info!("RDB age {} seconds", age.max(0));
        }
        b"used-mem" => {
            stats.used_mem = number().max(0) as u64;
            log::info!(
                "RDB memory usage when created {:.2} Mb",
                number() as f64 / (1024.0 * 1024.0)
            )
        }
        _ => log::trace!(
            "Unrecognized RDB AUX field: '{}'",
            String::from_utf8_lossy(name)
        ),
    }
}

/// Loads a snapshot from `input` (`len` bytes long) into `dbs`.
pub fn load<R: Read>(
    input: R,
    len: u64,
    dbs: &mut [Db],
    opts: &LoadOptions,
) -> Result<LoadStats, LoadError> {
    load_observed(input, len, dbs, opts, &mut |_, _, _| {})
}

/// [`load`], reporting to `progress` after each key.
pub fn load_observed<R: Read>(
    input: R,
    len: u64,
    dbs: &mut [Db],
    opts: &LoadOptions,
    progress: &mut Progress,
) -> Result<LoadStats, LoadError> {
    let mut src = Source {
        input,
        // Small files get a small window (the fuzz tests load thousands).
        buf: vec![0; usize::try_from(len).unwrap_or(WINDOW).clamp(64, WINDOW)],
        start: 0,
        end: 0,
        base: 0,
        eof: false,
        crc: opts.verify_checksum.then(Running::new),
    };
    let header: [u8; 9] = src.next(|r| r.array())?;
    let (magic, digits) = header.split_at(MAGIC.len());
    if magic != MAGIC {
        return Err(LoadError::at(0, LoadErrorKind::WrongSignature));
    }
    let version = header_version(digits);
    if version < 1 || version > u32::from(RDB_VERSION) {
        return Err(LoadError::at(5, LoadErrorKind::UnsupportedVersion(version)));
    }
    let mut stats = LoadStats::default();
    let mut db = 0usize;
    let expiry_clock = if opts.keep_expired { 0 } else { opts.now_ms };
    let (mut expire, mut idle, mut freq) = (None, None, None);
    loop {
        let at = src.offset();
        let fail = |kind| Err(LoadError::at(at, kind));
        match src.next(|r| parse_item(r, &opts.thresholds))? {
            Item::Expire(t) => expire = Some(t),
            Item::Idle(secs) => idle = Some(secs),
            Item::Freq(counter) => freq = Some(counter),
            Item::Aux(name, value) => log_aux(&name, &value, opts.now_ms, &mut stats),
            Item::SelectDb(index) => match usize::try_from(index) {
                Ok(i) if i < dbs.len() => db = i,
                _ => {
                    let databases = dbs.len();
                    return fail(LoadErrorKind::DbIndexOutOfRange { index, databases });
                }
            },
            Item::ResizeDb(size) => {
                // A hint only, and one a corrupt file could make huge: never
                // more keys than the rest of the file could hold.
                let possible = len.saturating_sub(at) / MIN_ENTRY_LEN;
                if let Some(target) = dbs.get_mut(db) {
                    target.reserve(size.min(possible) as usize);
                }
            }
            Item::Library(code) => stats.libraries.push(code),
            Item::ModuleAux => return fail(LoadErrorKind::ModuleAux),
            Item::Eof => break,
            Item::EmptyKey(key) => {
                expire = None;
                idle = None;
                freq = None;
                log::info!("rdbLoadObject skipping empty key: {:?}", key);
            }
            Item::Key(key, value) => {
                let deadline = expire.take();
                let access = (opts.access)(idle.take(), freq.take());
                if !opts.keep_expired && deadline.is_some_and(|t| t < opts.now_ms as i64) {
                    stats.keys_expired += 1;
                    progress(dbs, src.offset(), &stats);
                    continue;
                }
                // Only a server with no databases at all has no database 0.
                let databases = dbs.len();
                let Some(target) = dbs.get_mut(db) else {
                    let index = db as u64;
                    return fail(LoadErrorKind::DbIndexOutOfRange { index, databases });
                };
                if let Some(old) = target.find(key.as_slice(), expiry_clock) {
                    if !opts.replace_duplicates {
                        let key = key.as_slice().to_vec();
                        return fail(LoadErrorKind::DuplicateKey { key, db });
                    }
                    target.remove_id(old);
                }
                let id = target.add(key.as_slice(), value, access);
                if let Some(t) = deadline {
                    target.set_expire(id, t as u64);
                }
                stats.keys_loaded += 1;
                progress(dbs, src.offset(), &stats);
            }
        }
    }
    if version >= CHECKSUM_SINCE {
        let computed = src.crc.take().map(|c| c.value());
        let at = src.offset();
        let stored = u64::from_le_bytes(src.next(|r| r.array())?);
        match computed {
            Some(_) if stored == 0 => {
                log::warn!("RDB file was saved with checksum disabled: no check performed.")
            }
            Some(computed) if computed != stored => {
                return Err(LoadError::at(
                    at,
                    LoadErrorKind::Checksum { computed, stored },
                ))
            }
            _ => {}
        }
    }
    stats.end_offset = src.offset();
    Ok(stats)
}

/// Loads the snapshot at `path` into `dbs`, reporting to `progress`.
pub fn load_file(
    path: &Path,
    dbs: &mut [Db],
    opts: &LoadOptions,
    progress: &mut Progress,
) -> Result<LoadStats, LoadError> {
    let io_error = |e| LoadError::at(0, LoadErrorKind::Io(e));
    let file = File::open(path).map_err(io_error)?;
    let len = file.metadata().map_err(io_error)?.len();
    load_observed(file, len, dbs, opts, progress)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::super::save::{self, Access, SaveOptions, Snapshot};
    use super::*;
    use crate::storage::value::Str;

    fn s(v: &[u8]) -> Value {
        Value::Str(Str::from_bytes(v))
    }

    const NOW: u64 = 1_700_000_000_000;

    fn no_access(_: Option<u64>, _: Option<u8>) -> u32 {
        0
    }

    fn save(dbs: &[Db], compress: bool, checksum: bool) -> Vec<u8> {
        let snap = Snapshot {
            dbs,
            now_secs: NOW / 1000,
            used_mem: 12345,
            libraries: &[],
            access: &|_| Access::None,
        };
        let opts = SaveOptions {
            compress,
            checksum,
            incremental_fsync: false,
            key_delay_us: 0,
            aof_base: false,
            parent: None,
        };
        save::write(Vec::new(), &snap, &opts).unwrap()
    }

    fn load_bytes(bytes: &[u8], n: usize) -> Result<(Vec<Db>, LoadStats), LoadError> {
        let mut dbs: Vec<Db> = (0..n).map(|_| Db::new()).collect();
        let opts = LoadOptions {
            now_ms: NOW,
            keep_expired: false,
            verify_checksum: true,
            replace_duplicates: false,
            access: &no_access,
            thresholds: value::Thresholds::DEFAULT,
        };
        let stats = load(bytes, bytes.len() as u64, &mut dbs, &opts)?;
        Ok((dbs, stats))
    }

    /// Every key of every database with its value and deadline, sorted.
    fn contents(dbs: &[Db]) -> Vec<(usize, Vec<u8>, Value, Option<u64>)> {
        let mut all = Vec::new();
        for (i, db) in dbs.iter().enumerate() {
            for id in db.ids() {
                all.push((
                    i,
                    db.key(id).as_slice().to_vec(),
                    db.value(id).clone(),
                    db.expire_of(id),
                ));
            }
        }
        all.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
        all
    }

    fn sample() -> Vec<Db> {
        let mut dbs: Vec<Db> = (0..16).map(|_| Db::new()).collect();
        let mut values: Vec<Vec<u8>> = Vec::new();
        for v in [
            0i64,
            -1,
            127,
            128,
            -128,
            -129,
            32767,
            32768,
            -32768,
            -32769,
            i32::MAX as i64,
            i32::MAX as i64 + 1,
            i32::MIN as i64,
            i32::MIN as i64 - 1,
            i64::MAX,
            i64::MIN,
        ] {
            values.push(v.to_string().into_bytes());
        }
        values.push(Vec::new());
        values.push(b"007".to_vec());
        values.push(vec![b'a'; 5000]);
        values.push(
            (0..3000u32)
                .map(|i| (i.wrapping_mul(2654435761) >> 7) as u8)
                .collect(),
        );
        values.push((0..=255u8).collect());
        for (i, v) in values.iter().enumerate() {
            let db = &mut dbs[i % 3 * 7];
            let mut key = vec![0u8, b'\r', b'\n', 0xff];
            key.extend_from_slice(format!("k{i}").as_bytes());
            let id = db.add(&key, s(v), 0);
            if i % 2 == 0 {
                db.set_expire(id, NOW + 1000 * i as u64);
            }
            db.add(v, s(b"value is the key"), 0);
        }
        dbs
    }

    #[test]
    fn round_trips() {
        let dbs = sample();
        for (compress, checksum) in [(true, true), (false, true), (true, false)] {
            let bytes = save(&dbs, compress, checksum);
            assert_eq!(&bytes[..9], b"REDIS0010");
            let (loaded, stats) = load_bytes(&bytes, 16).unwrap();
            assert_eq!(contents(&loaded), contents(&dbs));
            assert_eq!(stats.keys_loaded as usize, contents(&dbs).len());
            if !checksum {
                assert_eq!(&bytes[bytes.len() - 8..], &[0; 8]);
            }
        }
        let empty: Vec<Db> = (0..16).map(|_| Db::new()).collect();
        let bytes = save(&empty, true, true);
        let (loaded, stats) = load_bytes(&bytes, 16).unwrap();
        assert!(loaded.iter().all(Db::is_empty));
        assert_eq!(
            stats,
            LoadStats {
                end_offset: bytes.len() as u64,
                // The saving side's figure, from its `used-mem` field.
                used_mem: 12345,
                ..LoadStats::default()
            }
        );
    }

    #[test]
    fn libraries_round_trip_before_the_keys() {
        let mut dbs = vec![Db::new()];
        dbs[0].add(b"k", s(b"v"), 0);
        let long = vec![b'x'; 3000];
        let codes: [&[u8]; 2] = [b"#!lua name=a\n", &long];
        let snap = Snapshot {
            dbs: &dbs,
            now_secs: NOW / 1000,
            used_mem: 0,
            libraries: &codes,
            access: &|_| Access::None,
        };
        let opts = SaveOptions {
            compress: true,
            checksum: true,
            incremental_fsync: false,
            key_delay_us: 0,
            aof_base: false,
            parent: None,
        };
        let bytes = save::write(Vec::new(), &snap, &opts).unwrap();
        let first = bytes.iter().position(|&b| b == opcode::FUNCTION2).unwrap();
        let select = bytes.iter().position(|&b| b == opcode::SELECTDB).unwrap();
        assert!(first < select);
        let (loaded, stats) = load_bytes(&bytes, 1).unwrap();
        assert_eq!(stats.libraries, [codes[0].to_vec(), long]);
        assert_eq!(contents(&loaded), contents(&dbs));
    }

    #[test]
    fn values_larger_than_the_window() {
        let mut dbs = vec![Db::new()];
        let big: Vec<u8> = (0..3 * WINDOW as u32).map(|i| (i % 251) as u8).collect();
        dbs[0].add(b"big", s(&big), 0);
        dbs[0].add(b"small", s(b"x"), 0);
        let bytes = save(&dbs, false, true);
        assert_eq!(contents(&load_bytes(&bytes, 1).unwrap().0), contents(&dbs));
    }

    #[test]
    fn expired_keys_are_dropped() {
        let mut dbs = vec![Db::new()];
        let id = dbs[0].add(b"gone", s(b"v"), 0);
        dbs[0].set_expire(id, NOW - 1);
        let id = dbs[0].add(b"stays", s(b"v"), 0);
        dbs[0].set_expire(id, NOW);
        let (loaded, stats) = load_bytes(&save(&dbs, true, true), 1).unwrap();
        assert_eq!(
            stats,
            LoadStats {
                keys_loaded: 1,
                keys_expired: 1,
                end_offset: stats.end_offset,
                libraries: Vec::new(),
                used_mem: stats.used_mem,
            }
        );
        assert_eq!(contents(&loaded)[0].1, b"stays");
    }

    #[test]
    fn header_and_structure_errors() {
        let dbs = sample();
        let good = save(&dbs, true, true);
        let kind = |bytes: &[u8], n| load_bytes(bytes, n).err().map(|e| (e.offset, e.kind));
        assert!(matches!(
            kind(b"RADIS0010\xff", 16),
            Some((0, LoadErrorKind::WrongSignature))
        ));
        assert!(matches!(
            kind(b"REDIS0011\xff", 16),
            Some((5, LoadErrorKind::UnsupportedVersion(11)))
        ));
        assert!(matches!(
            kind(b"REDISxxxx\xff", 16),
            Some((5, LoadErrorKind::UnsupportedVersion(0)))
        ));
        // Version 4 has no checksum; 9 and 10 do.
        assert!(load_bytes(b"REDIS0004\xff", 16).is_ok());
        assert!(matches!(
            kind(b"REDIS0009\xff", 16),
            Some((10, LoadErrorKind::Rdb(RdbError::Truncated)))
        ));
        assert!(matches!(
            kind(&good, 14),
            Some((
                _,
                LoadErrorKind::DbIndexOutOfRange {
                    index: 14,
                    databases: 14
                }
            ))
        ));
        // A key before any SELECTDB goes to database 0, which a server
        // without databases lacks: an error, not an index out of bounds.
        assert!(matches!(
            kind(b"REDIS0004\x00\x01k\x01v\xff", 0),
            Some((
                9,
                LoadErrorKind::DbIndexOutOfRange {
                    index: 0,
                    databases: 0
                }
            ))
        ));
        let mut bad_sum = good.clone();
        let last = bad_sum.len() - 1;
        bad_sum[last] ^= 1;
        assert!(matches!(
            kind(&bad_sum, 16),
            Some((_, LoadErrorKind::Checksum { .. }))
        ));
        // A module value (type 7) and a function library are refused by name.
        let module = b"REDIS0010\xfe\x00\x07\x01k\x00\xff";
        let err = load_bytes(module, 16).err().unwrap();
        assert_eq!(err.offset, 11);
        assert_eq!(
            err.to_string(),
            "unsupported value type 7 (module value) at offset 11"
        );
        let pre_ga = b"REDIS0010\xf6\x01x\x03lua\x00\x02ab\xff\0\0\0\0\0\0\0\0";
        assert_eq!(
            load_bytes(pre_ga, 16).unwrap().1.libraries,
            [b"#!lua name=x\nab"]
        );
        assert!(matches!(
            kind(b"REDIS0010\xf7", 16),
            Some((9, LoadErrorKind::ModuleAux))
        ));
        let dup = b"REDIS0010\x00\x01k\x01v\x00\x01k\x01w\xff\0\0\0\0\0\0\0\0";
        assert!(matches!(
            kind(dup, 16),
            Some((14, LoadErrorKind::DuplicateKey { .. }))
        ));
    }

    #[test]
    fn corrupt_files_never_panic() {
        let bytes = save(&sample(), true, true);
        let mut seed = 0x9e3779b97f4a7c15u64;
        let mut rand = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let tail = bytes.len().saturating_sub(64);
        for cut in (0..bytes.len()).step_by(13).chain(tail..bytes.len()) {
            assert!(load_bytes(&bytes[..cut], 16).is_err(), "truncated at {cut}");
        }
        for _ in 0..2000 {
            let mut bad = bytes.clone();
            for _ in 0..1 + rand() % 4 {
                let at = (rand() % bad.len() as u64) as usize;
                bad[at] = rand() as u8;
            }
            // Without the checksum most flips reach the decoders.
            let mut dbs: Vec<Db> = (0..16).map(|_| Db::new()).collect();
            let opts = LoadOptions {
                now_ms: NOW,
                keep_expired: false,
                verify_checksum: false,
                replace_duplicates: false,
                access: &no_access,
                thresholds: value::Thresholds::DEFAULT,
            };
            let _ = load(&bad[..], bad.len() as u64, &mut dbs, &opts);
            let _ = load_bytes(&bad, 16);
        }
    }
}
