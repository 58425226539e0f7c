//! Reading an append-only file back: Redis's loader rules, byte for byte.
//!
//! Redis reads AOF files with its own loop rather than the client parser:
//! lines through `fgets` into a 1 KB buffer, `#` annotation lines skipped,
//! `*<argc>` then per argument `$<len>`, the payload, and two bytes that
//! are skipped unchecked. An end of file inside a command is a *truncation*
//! (loadable up to the last whole command with `aof-load-truncated yes`);
//! anything else malformed is a *format error* that stops start-up. The
//! same classification is kept here so a file behaves identically under
//! both servers, and every length is checked against what the file really
//! holds before memory is committed to it, so no file can crash the loader.
//!
//! A `MULTI` … `EXEC` block is applied when its `EXEC` is read; a block cut
//! off by the end of the file is dropped and treated as a truncation at the
//! `MULTI`, as Redis does.

#![deny(clippy::indexing_slicing)]

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::Path;

use crate::commands::Args;
use crate::config::strerror;
use crate::protocol::parser::strtoll;

/// Redis's line buffer for the loader (`AOF_ANNOTATION_LINE_MAX_LEN`);
/// `fgets` reads at most one byte less.
const LINE_MAX: usize = 1024;

/// Why reading the next command stopped.
#[derive(Debug)]
pub enum ReadError {
    /// The file ended inside a command.
    Truncated,
    /// The bytes are not a command in the AOF format.
    Format,
    Io(io::Error),
}

/// Reads commands one at a time from an AOF stream.
pub struct CommandReader<R> {
    input: R,
    /// Bytes consumed so far.
    offset: u64,
    line: Vec<u8>,
    /// The last command's arguments, as ranges into `data`.
    data: Vec<u8>,
    ranges: Vec<Range<usize>>,
}

impl<R: BufRead> CommandReader<R> {
    /// A reader whose first byte is at `offset` of the file.
    pub fn new(input: R, offset: u64) -> Self {
        CommandReader {
            input,
            offset,
            line: Vec::with_capacity(LINE_MAX),
            data: Vec::new(),
            ranges: Vec::new(),
        }
    }

    /// Offset of the first byte not consumed yet.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// The command [`read_command`](Self::read_command) last returned.
    pub fn args(&self) -> Args<'_> {
        Args::new(&self.data, &self.ranges)
    }

    /// Reads the next command: `Ok(true)` when one is ready, `Ok(false)` at
    /// a clean end of the file.
    pub fn read_command(&mut self) -> Result<bool, ReadError> {
        let argc = loop {
            if !self.read_line()? {
                return Ok(false);
            }
            match self.line.split_first() {
                Some((b'#', _)) => continue,
                // `*` alone at the very end: `fgets` stopped there.
                Some((b'*', [])) => return Err(ReadError::Truncated),
                Some((b'*', count)) => match strtoll(count, 10).0 {
                    n if n < 1 => return Err(ReadError::Format),
                    n => break n as u64,
                },
                _ => return Err(ReadError::Format),
            }
        };
        self.data.clear();
        self.ranges.clear();
        for _ in 0..argc {
            if !self.read_line()? {
                return Err(ReadError::Truncated);
            }
            let Some(len) = self.line.strip_prefix(b"$") else {
                return Err(ReadError::Format);
            };
            let len = u64::try_from(strtoll(len, 10).0).map_err(|_| ReadError::Format)?;
            let start = self.data.len();
            // `take` grows the buffer as bytes really arrive, so a corrupt
            // length cannot make the loader allocate what the file lacks.
            let got = (&mut self.input)
                .take(len)
                .read_to_end(&mut self.data)
                .map_err(ReadError::Io)?;
            self.offset += got as u64;
            if (got as u64) < len {
                return Err(ReadError::Truncated);
            }
            self.ranges.push(start..self.data.len());
            let mut crlf = [0u8; 2];
            let got = read_full(&mut self.input, &mut crlf).map_err(ReadError::Io)?;
            self.offset += got as u64;
            if got < 2 {
                return Err(ReadError::Truncated);
            }
        }
        Ok(true)
    }

    /// `fgets`: up to `LINE_MAX - 1` bytes, stopping after a newline.
    /// False when the file had nothing left.
    fn read_line(&mut self) -> Result<bool, ReadError> {
        self.line.clear();
        while self.line.len() < LINE_MAX - 1 {
            let buf = self.input.fill_buf().map_err(ReadError::Io)?;
            if buf.is_empty() {
                break;
            }
            let room = buf.get(..LINE_MAX - 1 - self.line.len()).unwrap_or(buf);
            let (piece, done) = match room.iter().position(|&b| b == b'\n') {
                Some(i) => (room.split_at(i + 1).0, true),
                None => (room, false),
            };
            let n = piece.len();
            self.line.extend_from_slice(piece);
            self.input.consume(n);
            self.offset += n as u64;
            if done {
                break;
            }
        }
        Ok(!self.line.is_empty())
    }
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn read_full(input: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match input.read(buf.get_mut(got..).unwrap_or_default()) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// A command the server does not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownCommand;

/// What loading needs from the server.
pub trait Replay {
    /// Runs one command.
    fn exec(&mut self, args: &Args) -> Result<(), UnknownCommand>;
    /// Loads the RDB image at the start of `file` (`len` bytes long) and
    /// returns the offset where it ends; `Err` carries the reason.
    fn load_rdb(&mut self, file: File, len: u64) -> Result<u64, String>;
    /// A command was read; the file's next one starts at `offset`.
    fn progress(&mut self, _offset: u64) {}
}

/// How one file loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileStatus {
    Loaded,
    /// The file has no bytes.
    Empty,
    /// The file ended inside a command and was cut back to the last whole one.
    Truncated,
}

/// What stops loading, with the text Redis logs for it.
#[derive(Debug)]
pub enum AofError {
    Open {
        file: String,
        err: io::Error,
    },
    Read {
        file: String,
        err: io::Error,
    },
    /// A truncated file while `aof-load-truncated` is off.
    Truncated {
        file: String,
        offset: u64,
    },
    /// A truncated file that is not the last one (cutting it would lose what follows).
    TruncatedNotLast {
        file: String,
        offset: u64,
    },
    /// Truncating a file failed.
    Truncate {
        file: String,
        err: io::Error,
    },
    Format {
        file: String,
        offset: u64,
    },
    UnknownCommand {
        file: String,
        name: Vec<u8>,
    },
    Rdb {
        file: String,
        reason: String,
    },
}

impl AofError {
    /// Offset in the file where loading stopped, when one applies.
    pub fn offset(&self) -> Option<u64> {
        match self {
            AofError::Truncated { offset, .. }
            | AofError::TruncatedNotLast { offset, .. }
            | AofError::Format { offset, .. } => Some(*offset),
            _ => None,
        }
    }
}

impl fmt::Display for AofError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AofError::Open { file, err } => write!(
                f,
                "Fatal error: can't open the append log file {file} for reading: {}",
                strerror(err)
            ),
            AofError::Read { file, err } => write!(
                f,
                "Unrecoverable error reading the append only file {file}: {}",
                strerror(err)
            ),
            AofError::Truncated { file, .. } => write!(
                f,
                "Unexpected end of file reading the append only file {file}. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server."
            ),
            AofError::TruncatedNotLast { .. } => {
                write!(f, "Fatal error: the truncated file is not the last file")
            }
            AofError::Truncate { file, err } => write!(
                f,
                "Error truncating the AOF file {file}: {}",
                strerror(err)
            ),
            AofError::Format { file, .. } => write!(
                f,
                "Bad file format reading the append only file {file}: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>"
            ),
            AofError::UnknownCommand { file, name } => write!(
                f,
                "Unknown command '{}' reading the append only file {file}",
                String::from_utf8_lossy(name)
            ),
            AofError::Rdb { file, reason } => write!(
                f,
                "Error reading the RDB base file {file}, AOF loading aborted: {reason}"
            ),
        }
    }
}

/// A `MULTI` block read but not yet applied.
struct Transaction {
    /// Offset of the `MULTI`: where the file is cut if the block never ends.
    start: u64,
    commands: Vec<(Vec<u8>, Vec<Range<usize>>)>,
}

/// Loads one file of the set. `name` is how messages call it; `last`
/// says whether it is the last file (only that one may be truncated).
pub fn load_file(
    path: &Path,
    name: &str,
    last: bool,
    load_truncated: bool,
    replay: &mut dyn Replay,
) -> Result<FileStatus, AofError> {
    let open_err = |err| AofError::Open {
        file: name.to_string(),
        err,
    };
    let read_err = |err| AofError::Read {
        file: name.to_string(),
        err,
    };
    let mut file = File::open(path).map_err(open_err)?;
    let len = file.metadata().map_err(read_err)?.len();
    if len == 0 {
        return Ok(FileStatus::Empty);
    }
    let mut head = [0u8; 5];
    let got = read_full(&mut file, &mut head).map_err(read_err)?;
    let mut start = 0;
    if super::starts_with_rdb(head.get(..got).unwrap_or_default()) {
        file.seek(SeekFrom::Start(0)).map_err(read_err)?;
        let copy = file.try_clone().map_err(read_err)?;
        start = replay.load_rdb(copy, len).map_err(|reason| AofError::Rdb {
            file: name.to_string(),
            reason,
        })?;
    }
    file.seek(SeekFrom::Start(start)).map_err(read_err)?;
    let mut reader = CommandReader::new(BufReader::with_capacity(64 * 1024, file), start);
    let mut valid_up_to = start;
    let mut multi: Option<Transaction> = None;
    let cut_at = loop {
        match reader.read_command() {
            Ok(true) => {}
            Ok(false) => match &multi {
                // Redis drops a block the file ends inside, as a truncation.
                Some(t) => {
                    log::warn!("Revert incomplete MULTI/EXEC transaction in AOF file {name}");
                    break t.start;
                }
                None => return Ok(FileStatus::Loaded),
            },
            Err(ReadError::Truncated) => break multi.as_ref().map_or(valid_up_to, |t| t.start),
            Err(ReadError::Format) => {
                return Err(AofError::Format {
                    file: name.to_string(),
                    offset: valid_up_to,
                })
            }
            Err(ReadError::Io(err)) => return Err(read_err(err)),
        }
        let args = reader.args();
        if args.is(0, "multi") {
            multi = Some(Transaction {
                start: valid_up_to,
                commands: Vec::new(),
            });
        } else if args.is(0, "exec") && multi.is_some() {
            for (data, ranges) in multi.take().map(|t| t.commands).unwrap_or_default() {
                run(replay, &Args::new(&data, &ranges), name)?;
            }
        } else if let Some(t) = &mut multi {
            t.commands
                .push((reader.data.clone(), reader.ranges.clone()));
        } else {
            run(replay, &args, name)?;
        }
        valid_up_to = reader.offset();
        replay.progress(valid_up_to);
    };
    if !load_truncated {
        return Err(AofError::Truncated {
            file: name.to_string(),
            offset: cut_at,
        });
    }
    if !last {
        return Err(AofError::TruncatedNotLast {
            file: name.to_string(),
            offset: cut_at,
        });
    }
    log::warn!("!!! Warning: short read while loading the AOF file {name}!!!");
    log::warn!("!!! Truncating the AOF {name} at offset {cut_at} !!!");
    OpenOptions::new()
        .write(true)
        .open(path)
        .and_then(|f| f.set_len(cut_at))
        .map_err(|err| AofError::Truncate {
            file: name.to_string(),
            err,
        })?;
    log::warn!("AOF {name} loaded anyway because aof-load-truncated is enabled");
    Ok(FileStatus::Truncated)
}

fn run(replay: &mut dyn Replay, args: &Args, file: &str) -> Result<(), AofError> {
    replay
        .exec(args)
        .map_err(|UnknownCommand| AofError::UnknownCommand {
            file: file.to_string(),
            name: args.get(0).to_vec(),
        })
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// Records what it is asked to run; `nosuch` is unknown.
    #[derive(Default)]
    struct Recorder {
        commands: Vec<Vec<Vec<u8>>>,
    }

    impl Replay for Recorder {
        fn exec(&mut self, args: &Args) -> Result<(), UnknownCommand> {
            if args.is(0, "nosuch") {
                return Err(UnknownCommand);
            }
            self.commands.push(args.to_vecs());
            Ok(())
        }

        fn load_rdb(&mut self, _: File, _: u64) -> Result<u64, String> {
            Err("no RDB here".into())
        }
    }

    fn cmd(args: &[&str]) -> Vec<u8> {
        let mut out = format!("*{}\r\n", args.len()).into_bytes();
        for a in args {
            out.extend_from_slice(format!("${}\r\n{a}\r\n", a.len()).as_bytes());
        }
        out
    }

    /// A file of its own in the temp dir; each test removes it.
    fn temp(name: &str, data: &[u8]) -> std::path::PathBuf {
        let file = format!("ferrodis-aof-reader-{}-{name}", std::process::id());
        let path = std::env::temp_dir().join(file);
        std::fs::write(&path, data).unwrap();
        path
    }

    fn load(
        name: &str,
        data: &[u8],
        truncated_ok: bool,
    ) -> (Result<FileStatus, AofError>, Recorder, Vec<u8>) {
        let path = temp(name, data);
        let mut r = Recorder::default();
        let result = load_file(&path, name, true, truncated_ok, &mut r);
        let after = std::fs::read(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        (result, r, after)
    }

    #[test]
    fn replays_commands_and_skips_annotations() {
        let mut data = cmd(&["SELECT", "0"]);
        data.extend_from_slice(b"#TS:1700000000\r\n");
        data.extend_from_slice(&cmd(&["set", "a b", ""]));
        let (result, r, _) = load("plain", &data, false);
        assert_eq!(result.unwrap(), FileStatus::Loaded);
        assert_eq!(r.commands.len(), 2);
        assert_eq!(
            r.commands[1],
            vec![b"set".to_vec(), b"a b".to_vec(), b"".to_vec()]
        );
        assert_eq!(load("empty", b"", false).0.unwrap(), FileStatus::Empty);
    }

    /// Every proper prefix of a file is a truncation (or a clean end at a
    /// command boundary), never a format error or a panic; with
    /// `aof-load-truncated` the file is cut at the last whole command.
    #[test]
    fn every_prefix_is_a_truncation() {
        let mut data = cmd(&["SET", "k", "v"]);
        let first = data.len();
        data.extend_from_slice(&cmd(&["SET", "key2", "value2"]));
        for cut in 1..data.len() {
            let (refused, _, _) = load("prefix", &data[..cut], false);
            if cut == first {
                assert_eq!(refused.unwrap(), FileStatus::Loaded);
                continue;
            }
            let err = refused.unwrap_err();
            assert!(matches!(err, AofError::Truncated { .. }), "{cut}: {err:?}");
            let (loaded, r, after) = load("prefix", &data[..cut], true);
            assert_eq!(loaded.unwrap(), FileStatus::Truncated, "{cut}");
            let whole = usize::from(cut > first);
            assert_eq!(r.commands.len(), whole, "{cut}");
            assert_eq!(after.len(), if whole == 1 { first } else { 0 }, "{cut}");
        }
    }

    #[test]
    fn corruption_is_a_format_error_at_the_last_good_offset() {
        let mut data = cmd(&["SET", "k", "v"]);
        let good = data.len() as u64;
        data.extend_from_slice(b"*3\r\n$3\r\nSET\r\nXX\r\n");
        data.extend_from_slice(&cmd(&["PING"]));
        let err = load("corrupt", &data, true).0.unwrap_err();
        assert!(
            matches!(err, AofError::Format { offset, .. } if offset == good),
            "{err:?}"
        );
        assert!(err
            .to_string()
            .starts_with("Bad file format reading the append only file corrupt"));
        for bad in [&b"+OK\r\n"[..], b"*0\r\n", b"*-1\r\n", b"*1\r\n$-5\r\n"] {
            let err = load("corrupt", bad, true).0.unwrap_err();
            assert!(matches!(err, AofError::Format { offset: 0, .. }), "{err:?}");
        }
    }

    #[test]
    fn huge_lengths_do_not_allocate() {
        let (result, _, after) = load("huge", b"*2147483647\r\n$9223372036854775807\r\nab", true);
        assert_eq!(result.unwrap(), FileStatus::Truncated);
        assert!(after.is_empty());
    }

    #[test]
    fn transactions_apply_at_exec_and_incomplete_ones_are_dropped() {
        let mut data = cmd(&["MULTI"]);
        data.extend_from_slice(&cmd(&["SET", "a", "1"]));
        data.extend_from_slice(&cmd(&["EXEC"]));
        let whole = data.len();
        data.extend_from_slice(&cmd(&["MULTI"]));
        data.extend_from_slice(&cmd(&["SET", "b", "2"]));
        let (result, r, after) = load("multi", &data, true);
        assert_eq!(result.unwrap(), FileStatus::Truncated);
        assert_eq!(
            r.commands,
            vec![vec![b"SET".to_vec(), b"a".to_vec(), b"1".to_vec()]]
        );
        assert_eq!(after.len(), whole);
    }

    #[test]
    fn unknown_commands_and_rdb_errors_stop_loading() {
        let err = load("unknown", &cmd(&["nosuch", "x"]), true).0.unwrap_err();
        assert_eq!(
            err.to_string(),
            "Unknown command 'nosuch' reading the append only file unknown"
        );
        let err = load("rdb", b"REDIS0010garbage", true).0.unwrap_err();
        assert!(matches!(err, AofError::Rdb { .. }));
    }

    #[test]
    fn a_truncated_file_that_is_not_last_is_refused() {
        let path = temp("notlast", b"*1\r\n$4\r\nPI");
        let err = load_file(&path, "notlast", false, true, &mut Recorder::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "Fatal error: the truncated file is not the last file"
        );
        assert_eq!(std::fs::read(&path).unwrap().len(), 10, "left untouched");
        std::fs::remove_file(&path).unwrap();
    }
}
