//! The RDB format, version 10 (what Redis 7.0 writes).
//!
//! Each piece of the format has its own module: [`length`] (the variable
//! length prefix every count and string starts with), [`string`] (integer,
//! raw and LZF-compressed strings), [`lzf`], [`crc64`], and [`value`] (the
//! type byte and one value, forwarding to one module per data type).
//! [`payload`] wraps a value the way DUMP does. Decoding reads from a
//! [`Reader`] over bytes that may come from anyone (RESTORE takes them from
//! clients), so it returns an [`RdbError`] for anything malformed and never
//! panics or allocates more than the input can justify.

pub mod crc64;
pub mod length;
pub mod lzf;
pub mod payload;
pub mod string;
pub mod value;

use std::fmt;

/// The RDB version Redis 7.0 writes; it loads this version and every older one.
pub const RDB_VERSION: u16 = 10;

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
}

impl fmt::Display for RdbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RdbError::Truncated => write!(f, "unexpected end of RDB data"),
            RdbError::UnknownLengthEncoding(b) => write!(f, "unknown length encoding {b:#04x}"),
            RdbError::UnknownStringEncoding(e) => write!(f, "unknown string encoding {e}"),
            RdbError::BadLzf => write!(f, "invalid LZF compressed string"),
            RdbError::UnsupportedType(t) => write!(f, "unsupported value type {t}"),
        }
    }
}

impl std::error::Error for RdbError {}

/// A cursor over RDB bytes; every read checks what is left.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    pub fn u8(&mut self) -> Result<u8, RdbError> {
        Ok(self.take(1)?[0])
    }

    /// The next `N` bytes as an array, for fixed-width integers.
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], RdbError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N as u64)?);
        Ok(a)
    }

    /// The next `n` bytes. `n` comes from the input, so it is checked
    /// against what is left before anything is allocated for it.
    pub fn take(&mut self, n: u64) -> Result<&'a [u8], RdbError> {
        let left = self.buf.len() - self.pos;
        let n = usize::try_from(n)
            .ok()
            .filter(|&n| n <= left)
            .ok_or(RdbError::Truncated)?;
        let bytes = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(bytes)
    }
}
