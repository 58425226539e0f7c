//! The manifest of a multi-part append-only file (`appendonly.aof.manifest`),
//! in Redis 7.0's text format, so a data directory moves between Redis and
//! ferrodis in either direction.
//!
//! Each line describes one file: `file <name> seq <n> type <b|h|i>`, with
//! the name quoted (`sdscatrepr`) when it holds blanks or special bytes.
//! Redis writes the base first, then history files, then the incremental
//! files in order; readers accept any order of the key/value pairs and skip
//! `#` comment lines. Parsing follows Redis's `aofLoadManifestFromFile`,
//! including its error texts, which start-up prints.

#![deny(clippy::indexing_slicing)]

use std::fmt;

use crate::config::{repr, split_args, trim};
use crate::protocol::parser::strtoll;

/// Longest manifest line Redis reads (`AOF_ANNOTATION_LINE_MAX_LEN`).
const MAX_LINE: usize = 1024;

/// What a file of the set holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// The snapshot everything else applies to (`b`).
    Base,
    /// A file a rewrite superseded, waiting to be deleted (`h`).
    History,
    /// Commands appended after the base (`i`).
    Incr,
}

impl FileKind {
    fn letter(self) -> char {
        match self {
            FileKind::Base => 'b',
            FileKind::History => 'h',
            FileKind::Incr => 'i',
        }
    }
}

/// One line of the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    pub name: String,
    pub seq: u64,
    pub kind: FileKind,
}

/// The files making up an append-only file, as the manifest lists them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    pub base: Option<FileInfo>,
    /// Files waiting to be deleted, in manifest order.
    pub history: Vec<FileInfo>,
    /// Incremental files, oldest first (strictly increasing sequence).
    pub incrs: Vec<FileInfo>,
    /// Sequence number of the current base (0 before the first).
    pub base_seq: u64,
    /// Sequence number of the newest incremental file (0 before the first).
    pub incr_seq: u64,
}

/// Why a manifest could not be read: Redis's message, with the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestError {
    /// 1-based line number, 0 when the error is about the file as a whole.
    pub line_no: usize,
    pub line: String,
    pub kind: ManifestErrorKind,
}

/// The reasons Redis refuses a manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ManifestErrorKind {
    Empty,
    LineTooLong,
    InvalidFormat,
    NotBaseName,
    DuplicateBase,
    NonMonotonicSeq,
    UnknownType,
}

impl ManifestErrorKind {
    pub fn text(self) -> &'static str {
        match self {
            ManifestErrorKind::Empty => "Found an empty AOF manifest",
            ManifestErrorKind::LineTooLong => "The AOF manifest file contains too long line",
            ManifestErrorKind::InvalidFormat => "Invalid AOF manifest file format",
            ManifestErrorKind::NotBaseName => "File can't be a path, just a filename",
            ManifestErrorKind::DuplicateBase => "Found duplicate base file information",
            ManifestErrorKind::NonMonotonicSeq => "Found a non-monotonic sequence number",
            ManifestErrorKind::UnknownType => "Unknown AOF file type",
        }
    }
}

impl fmt::Display for ManifestError {
    /// The block Redis prints before exiting.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "\n*** FATAL AOF MANIFEST FILE ERROR ***")?;
        writeln!(f, "Reading the manifest file, at line {}", self.line_no)?;
        writeln!(f, ">>> '{}'", self.line)?;
        write!(f, "{}", self.kind.text())
    }
}

impl Manifest {
    /// Parses a manifest's bytes.
    pub fn parse(data: &[u8]) -> Result<Manifest, ManifestError> {
        let mut m = Manifest::default();
        let mut line_no = 0;
        let mut rest = data;
        while !rest.is_empty() {
            // Redis reads with `fgets` into a buffer of MAX_LINE + 1 bytes,
            // so a line that long, or a last line without a newline, has
            // no newline in what was read.
            let window = rest.get(..MAX_LINE).unwrap_or(rest);
            let newline = window.iter().position(|&b| b == b'\n');
            let len = newline.map_or(window.len(), |i| i + 1);
            let (raw, after) = rest.split_at_checked(len).unwrap_or((rest, &[]));
            rest = after;
            line_no += 1;
            if raw.first() == Some(&b'#') {
                continue;
            }
            let fail = |kind| {
                Err(ManifestError {
                    line_no,
                    line: String::from_utf8_lossy(raw).trim().to_string(),
                    kind,
                })
            };
            if newline.is_none() {
                return fail(ManifestErrorKind::LineTooLong);
            }
            match parse_line(raw) {
                Ok(info) => {
                    if let Err(kind) = m.add(info) {
                        return fail(kind);
                    }
                }
                Err(kind) => return fail(kind),
            }
        }
        if line_no == 0 {
            return Err(ManifestError {
                line_no: 0,
                line: String::new(),
                kind: ManifestErrorKind::Empty,
            });
        }
        Ok(m)
    }

    fn add(&mut self, info: FileInfo) -> Result<(), ManifestErrorKind> {
        match info.kind {
            FileKind::Base => {
                if self.base.is_some() {
                    return Err(ManifestErrorKind::DuplicateBase);
                }
                self.base_seq = info.seq;
                self.base = Some(info);
            }
            FileKind::History => self.history.push(info),
            FileKind::Incr => {
                if self.incrs.last().is_some_and(|last| info.seq <= last.seq) {
                    return Err(ManifestErrorKind::NonMonotonicSeq);
                }
                self.incr_seq = info.seq;
                self.incrs.push(info);
            }
        }
        Ok(())
    }

    /// The manifest's text as Redis writes it: base, history, incrementals.
    pub fn render(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for info in self.base.iter().chain(&self.history).chain(&self.incrs) {
            out.extend_from_slice(b"file ");
            let name = info.name.as_bytes();
            if needs_repr(name) {
                out.extend_from_slice(&repr(name));
            } else {
                out.extend_from_slice(name);
            }
            out.extend_from_slice(
                format!(" seq {} type {}\n", info.seq, info.kind.letter()).as_bytes(),
            );
        }
        out
    }

    /// Base and incremental files, in the order they are loaded.
    pub fn live_files(&self) -> impl Iterator<Item = &FileInfo> {
        self.base.iter().chain(&self.incrs)
    }

    /// Names a new base with the next sequence number and turns the old
    /// base into history (Redis's `getNewBaseFileNameAndMarkPreAsHistory`).
    pub fn new_base(&mut self, prefix: &str, rdb: bool) -> String {
        if let Some(mut old) = self.base.take() {
            old.kind = FileKind::History;
            self.history.push(old);
        }
        self.base_seq += 1;
        let name = super::base_name(prefix, self.base_seq, rdb);
        self.base = Some(FileInfo {
            name: name.clone(),
            seq: self.base_seq,
            kind: FileKind::Base,
        });
        name
    }

    /// Appends a new incremental file with the next sequence number.
    pub fn new_incr(&mut self, prefix: &str) -> String {
        self.incr_seq += 1;
        let name = super::incr_name(prefix, self.incr_seq);
        self.incrs.push(FileInfo {
            name: name.clone(),
            seq: self.incr_seq,
            kind: FileKind::Incr,
        });
        name
    }

    /// After a rewrite: every incremental file but the newest `keep` ones
    /// is covered by the new base and becomes history.
    pub fn retire_incrs(&mut self, keep: usize) {
        let retire = self.incrs.len().saturating_sub(keep);
        for mut info in self.incrs.drain(..retire) {
            info.kind = FileKind::History;
            self.history.push(info);
        }
    }
}

/// Parses one manifest line into a file description.
fn parse_line(raw: &[u8]) -> Result<FileInfo, ManifestErrorKind> {
    let line = trim(raw);
    if line.is_empty() {
        return Err(ManifestErrorKind::InvalidFormat);
    }
    let argv = split_args(line).ok_or(ManifestErrorKind::InvalidFormat)?;
    // More pairs than Redis 7.0 knows are allowed, for forward compatibility.
    if argv.len() < 6 || argv.len() % 2 != 0 {
        return Err(ManifestErrorKind::InvalidFormat);
    }
    let (mut name, mut seq, mut kind) = (None, None, None);
    let (pairs, _) = argv.as_chunks::<2>();
    for [key, value] in pairs {
        if key.eq_ignore_ascii_case(b"file") {
            if value.contains(&b'/') {
                return Err(ManifestErrorKind::NotBaseName);
            }
            name = Some(String::from_utf8_lossy(value).into_owned());
        } else if key.eq_ignore_ascii_case(b"seq") {
            seq = Some(u64::try_from(strtoll(value, 10).0).unwrap_or(0));
        } else if key.eq_ignore_ascii_case(b"type") {
            kind = Some(match value.first() {
                Some(b'b') => FileKind::Base,
                Some(b'h') => FileKind::History,
                Some(b'i') => FileKind::Incr,
                _ => return Err(ManifestErrorKind::UnknownType),
            });
        }
    }
    match (name, seq, kind) {
        (Some(name), Some(seq), Some(kind)) if seq > 0 => Ok(FileInfo { name, seq, kind }),
        _ => Err(ManifestErrorKind::InvalidFormat),
    }
}

/// Whether a name must be quoted to survive `sdssplitargs`: Redis's
/// `sdsneedsrepr`, plus two cases it misses, after which it cannot read
/// back its own manifest: a single quote (`sdssplitargs` starts a quoted
/// string at a `'` inside a word) and the empty name (which a manifest
/// may hold as `""`). Quoted, both read back in either server.
fn needs_repr(s: &[u8]) -> bool {
    s.is_empty()
        || s.iter().any(|&c| {
            matches!(
                c,
                b'\\' | b'"' | b'\'' | b'\n' | b'\r' | b'\t' | 0x07 | 0x08
            ) || !(0x21..=0x7e).contains(&c)
        })
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// What Redis 7.0.15 writes after two rewrites, byte for byte.
    const REDIS: &[u8] = b"file appendonly.aof.3.base.rdb seq 3 type b\nfile appendonly.aof.3.incr.aof seq 3 type i\n";

    #[test]
    fn round_trips_redis_output() {
        let m = Manifest::parse(REDIS).unwrap();
        assert_eq!(m.base_seq, 3);
        assert_eq!(m.incr_seq, 3);
        assert_eq!(m.base.as_ref().unwrap().name, "appendonly.aof.3.base.rdb");
        assert_eq!(m.incrs.len(), 1);
        assert_eq!(m.render(), REDIS);
    }

    #[test]
    fn quotes_names_that_need_it() {
        let mut m = Manifest::default();
        m.new_base("my file\"x", false);
        m.new_incr("my file\"x");
        let text = m.render();
        assert_eq!(
            text,
            b"file \"my file\\\"x.1.base.aof\" seq 1 type b\nfile \"my file\\\"x.1.incr.aof\" seq 1 type i\n"
        );
        assert_eq!(Manifest::parse(&text).unwrap(), m);
        // Found by the fuzz tests: Redis writes these bare, and cannot
        // read them back.
        let mut m = Manifest::default();
        m.new_base("b'", true);
        let text = m.render();
        assert_eq!(text, b"file \"b'.1.base.rdb\" seq 1 type b\n");
        assert_eq!(Manifest::parse(&text).unwrap(), m);
        let m = Manifest::parse(b"file \"\" seq 1 type b\n").unwrap();
        assert_eq!(m.render(), b"file \"\" seq 1 type b\n");
    }

    #[test]
    fn rotation_moves_files_to_history() {
        let mut m = Manifest::default();
        m.new_base("a", true);
        m.new_incr("a");
        m.new_incr("a");
        m.new_base("a", true);
        m.retire_incrs(1);
        let text = String::from_utf8(m.render()).unwrap();
        assert_eq!(
            text,
            "file a.2.base.rdb seq 2 type b\nfile a.1.base.rdb seq 1 type h\nfile a.1.incr.aof seq 1 type h\nfile a.2.incr.aof seq 2 type i\n"
        );
        assert_eq!(Manifest::parse(text.as_bytes()).unwrap(), m);
    }

    #[test]
    fn refuses_what_redis_refuses() {
        let err = |text: &[u8]| Manifest::parse(text).unwrap_err().kind;
        assert_eq!(err(b""), ManifestErrorKind::Empty);
        assert_eq!(err(b"file a seq 1 type b"), ManifestErrorKind::LineTooLong);
        assert_eq!(err(b"\n"), ManifestErrorKind::InvalidFormat);
        assert_eq!(err(b"file a seq 1\n"), ManifestErrorKind::InvalidFormat);
        assert_eq!(
            err(b"file \"a seq 1 type b\n"),
            ManifestErrorKind::InvalidFormat
        );
        assert_eq!(
            err(b"file d/a seq 1 type b\n"),
            ManifestErrorKind::NotBaseName
        );
        assert_eq!(
            err(b"file a seq 1 type x\n"),
            ManifestErrorKind::UnknownType
        );
        assert_eq!(
            err(b"file a seq 1 type b\nfile b seq 2 type b\n"),
            ManifestErrorKind::DuplicateBase
        );
        assert_eq!(
            err(b"file a seq 2 type i\nfile b seq 2 type i\n"),
            ManifestErrorKind::NonMonotonicSeq
        );
        let long = format!("file {} seq 1 type b\n", "x".repeat(MAX_LINE));
        assert_eq!(err(long.as_bytes()), ManifestErrorKind::LineTooLong);
        let e = Manifest::parse(b"# c\nfile a seq 1 type q\n").unwrap_err();
        assert_eq!(e.line_no, 2);
        assert_eq!(
            e.to_string(),
            "\n*** FATAL AOF MANIFEST FILE ERROR ***\nReading the manifest file, at line 2\n>>> 'file a seq 1 type q'\nUnknown AOF file type"
        );
    }

    #[test]
    fn accepts_extra_pairs_and_comments() {
        let m =
            Manifest::parse(b"# hello\nfile a seq 1 type b startoffset 0 endoffset 9\n").unwrap();
        assert_eq!(m.base.unwrap().name, "a");
    }
}
