//! The CRC-64 that closes RDB files and DUMP payloads: Redis's variant
//! (Jones polynomial, reflected, no final xor), from the `crc` crate's
//! catalogue, with its 16-table (slice-by-16) implementation, which keeps
//! checksumming a large snapshot cheap. A snapshot is checksummed as it streams through
//! ([`Running`]), never held whole in memory.

#![deny(clippy::indexing_slicing)]

use crc::{Crc, Digest, Table, CRC_64_REDIS};

static REDIS: Crc<u64, Table<16>> = Crc::<u64, Table<16>>::new(&CRC_64_REDIS);

/// The checksum of `data`, as Redis's `crc64(0, data, len)` computes it.
pub fn crc64(data: &[u8]) -> u64 {
    REDIS.checksum(data)
}

/// A checksum fed piece by piece; equals [`crc64`] of the concatenation.
pub struct Running(Digest<'static, u64, Table<16>>);

impl Running {
    pub fn new() -> Self {
        Running(REDIS.digest())
    }

    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    /// The checksum of everything fed so far.
    pub fn value(&self) -> u64 {
        self.0.clone().finalize()
    }
}

impl Default for Running {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_values() {
        assert_eq!(crc64(b"123456789"), 0xe9c6d914c4b8d9ca);
        assert_eq!(crc64(b""), 0);
        // The trailer of DUMP "hello" captured from redis-server 7.0.15.
        let body = b"\x00\x05hello\x0a\x00";
        assert_eq!(crc64(body).to_le_bytes(), *b"cr\xdfve4 \n");
    }

    #[test]
    fn running_matches_one_shot() {
        let mut r = Running::new();
        r.update(b"1234");
        r.update(b"");
        r.update(b"56789");
        assert_eq!(r.value(), 0xe9c6d914c4b8d9ca);
    }
}
