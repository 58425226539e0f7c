//! Hashes: `RDB_TYPE_HASH_LISTPACK` (16), the listpack as one string, for
//! a listpack-encoded hash, and `RDB_TYPE_HASH` (4), a count and then each
//! field and value as a string, for a table, as Redis 7.0 writes them.

use super::string;
use crate::storage::hash::Hash;

/// Type byte of a hash saved field by field (`RDB_TYPE_HASH`).
pub const TYPE_HASH: u8 = 4;
/// Type byte of a hash saved as its listpack (`RDB_TYPE_HASH_LISTPACK`).
pub const TYPE_HASH_LISTPACK: u8 = 16;

/// The type byte `h` is saved with.
pub fn type_of(h: &Hash) -> u8 {
    match h {
        Hash::Listpack(_) => TYPE_HASH_LISTPACK,
        Hash::Table(_) => TYPE_HASH,
    }
}

/// Appends the encoded hash without its type byte.
pub fn write(out: &mut Vec<u8>, h: &Hash, compress: bool) {
    match h {
        Hash::Listpack(lp) => string::write(out, lp.as_bytes(), compress),
        Hash::Table(t) => {
            super::length::write_len(out, t.len() as u64);
            for (field, value) in t.iter() {
                string::write(out, field.as_slice(), compress);
                string::write(out, value.as_slice(), compress);
            }
        }
    }
}
