//! The RDB format, version 10 (what Redis 7.0 writes).
//!
//! Each piece of the format has its own module: [`length`] (the variable
//! length prefix every count and string starts with), [`string`] (integer,
//! raw and LZF-compressed strings), [`lzf`], [`crc64`], and [`value`] (the
//! type byte and one value, forwarding to one module per data type).
//! [`payload`] wraps a value the way DUMP does; [`save`] and [`load`] write
//! and read whole snapshot files (`dump.rdb`). Decoding reads from a
//! [`Reader`] over bytes that may come from anyone (RESTORE takes them from
//! clients), so it returns an [`RdbError`] for anything malformed and never
//! panics or allocates more than the input can justify.

pub mod crc64;
pub mod hash;
pub mod length;
pub mod list;
pub mod load;
pub mod lzf;
pub mod payload;
pub mod save;
pub mod set;
pub mod stream;
pub mod stream_group;
pub mod string;
pub mod value;
pub mod zset;

use std::fmt;

/// The RDB version Redis 7.0 writes; it loads this version and every older one.
pub const RDB_VERSION: u16 = 10;

/// What a snapshot file starts with, before the four-digit version.
pub const MAGIC: &[u8; 5] = b"REDIS";

/// The bytes in a snapshot that are not values: each announces what follows
/// it (Redis's `RDB_OPCODE_*`). They share the type byte's position, so
/// they are numbered down from 255, away from the value types.
pub mod opcode {
    /// A Redis function library (Redis 7.0's format).
    pub const FUNCTION2: u8 = 245;
    /// A function library in the format of Redis 7.0's release candidates.
    pub const FUNCTION_PRE_GA: u8 = 246;
    /// Data a module saves for itself, outside any key.
    pub const MODULE_AUX: u8 = 247;
    /// The next key's idle time in seconds (saved under an LRU policy).
    pub const IDLE: u8 = 248;
    /// The next key's LFU counter, one byte (saved under an LFU policy).
    pub const FREQ: u8 = 249;
    /// A name and a value describing the file (`redis-ver`, `ctime`...).
    pub const AUX: u8 = 250;
    /// How many keys and keys with a TTL the current database holds.
    pub const RESIZEDB: u8 = 251;
    /// The next key's expiry, unix milliseconds, 8 bytes little-endian.
    pub const EXPIRETIME_MS: u8 = 252;
    /// The next key's expiry, unix seconds, 4 bytes (files before version 3).
    pub const EXPIRETIME: u8 = 253;
    /// The database the following keys belong to.
    pub const SELECTDB: u8 = 254;
    /// The end of the data; the checksum follows.
    pub const EOF: u8 = 255;
}

/// Why RDB bytes could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RdbError {
    /// The input ended in the middle of a value.
    Truncated,
    /// A length prefix whose first byte is none of the defined forms.
    UnknownLengthEncoding(u8),
    /// A string marked as specially encoded with an encoding that does not exist.
    UnknownStringEncoding(u8),
    /// LZF data that does not decompress to the length it claims.
    BadLzf,
    /// A type byte this server cannot load.
    UnsupportedType(u8),
    /// A value whose encoding is damaged or inconsistent; says what and where.
    Corrupt(String),
    /// A collection with no elements, which Redis never saves: a snapshot
    /// skips the key, RESTORE refuses it.
    EmptyKey,
    /// A quicklist node whose container is neither plain nor packed;
    /// holds the offset of the node in the value's input.
    BadContainer(usize, u64),
    /// A listpack or ziplist that does not validate; holds the offset of
    /// its string in the value's input and what is wrong inside it.
    BadEncoding(usize, crate::storage::listpack::Corrupt),
}

impl fmt::Display for RdbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RdbError::Truncated => write!(f, "unexpected end of RDB data"),
            RdbError::UnknownLengthEncoding(b) => write!(f, "unknown length encoding {b:#04x}"),
            RdbError::UnknownStringEncoding(e) => write!(f, "unknown string encoding {e}"),
            RdbError::BadLzf => write!(f, "invalid LZF compressed string"),
            RdbError::EmptyKey => write!(f, "empty collection"),
            RdbError::BadContainer(at, c) => {
                write!(
                    f,
                    "list node at byte {at} of the value: unknown container {c}"
                )
            }
            RdbError::BadEncoding(at, e) => write!(f, "list node at byte {at} of the value: {e}"),
            RdbError::UnsupportedType(t) => match value::type_name(*t) {
                Some(name) => write!(f, "unsupported value type {t} ({name})"),
                None => write!(f, "unknown value type {t}"),
            },
            RdbError::Corrupt(what) => write!(f, "{what}"),
        }
    }
}

impl std::error::Error for RdbError {}

/// A cursor over RDB bytes; every read checks what is left.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

// The bytes come from files and clients, so no read may index past them.
#[deny(clippy::indexing_slicing)]
impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    /// How many bytes have been read so far.
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// The bytes read so far.
    pub fn consumed(&self) -> &'a [u8] {
        self.buf.get(..self.pos).unwrap_or_default()
    }

    pub fn u8(&mut self) -> Result<u8, RdbError> {
        let [b] = self.array()?;
        Ok(b)
    }

    /// The next `N` bytes as an array, for fixed-width integers.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], RdbError> {
        self.take(N as u64)?
            .try_into()
            .map_err(|_| RdbError::Truncated)
    }

    /// The next `n` bytes. `n` comes from the input, so it is checked
    /// against what is left before anything is allocated for it.
    pub fn take(&mut self, n: u64) -> Result<&'a [u8], RdbError> {
        let end = usize::try_from(n)
            .ok()
            .and_then(|n| self.pos.checked_add(n))
            .ok_or(RdbError::Truncated)?;
        let bytes = self.buf.get(self.pos..end).ok_or(RdbError::Truncated)?;
        self.pos = end;
        Ok(bytes)
    }
}
