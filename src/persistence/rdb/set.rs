//! Sets: `RDB_TYPE_SET_INTSET` (11), the intset as one string, for an
//! intset-encoded set, and `RDB_TYPE_SET` (2), a count and then each
//! member as a string, for a table, as Redis 7.0 writes them.
//!
//! The input may come from a client (RESTORE), so every read is checked:
//! a corrupt value is an [`RdbError::Corrupt`] saying what is wrong, never
//! a panic. Intsets are validated in full (order and duplicates too)
//! whatever `sanitize-dump-payload` says, as hashes are.
#![deny(clippy::indexing_slicing)]

use super::{length, string, RdbError, Reader};
use crate::storage::intset::Intset;
use crate::storage::set::Set;

/// Type byte of a set saved member by member (`RDB_TYPE_SET`).
pub const TYPE_SET: u8 = 2;
/// Type byte of a set saved as its intset (`RDB_TYPE_SET_INTSET`).
pub const TYPE_SET_INTSET: u8 = 11;

/// Most table slots reserved up front for a count read from the input,
/// which a corrupt payload can make anything.
const MAX_RESERVE: usize = 1 << 16;

/// The type byte `s` is saved with.
pub fn type_of(s: &Set) -> u8 {
    match s {
        Set::Intset(_) => TYPE_SET_INTSET,
        Set::Table(_) => TYPE_SET,
    }
}

/// Appends the encoded set without its type byte.
pub fn write(out: &mut Vec<u8>, s: &Set, compress: bool) {
    match s {
        Set::Intset(is) => string::write(out, is.as_bytes(), compress),
        Set::Table(t) => {
            length::write_len(out, t.len() as u64);
            for (member, _) in t.iter() {
                string::write(out, member.as_slice(), compress);
            }
        }
    }
}

/// Reads a set saved with type byte `t` (2 or 11), encoded as Redis
/// holds it after loading with `set-max-intset-entries` at `max_intset`.
pub fn read(t: u8, r: &mut Reader, max_intset: usize) -> Result<Set, RdbError> {
    match t {
        TYPE_SET => read_members(r, max_intset),
        TYPE_SET_INTSET => {
            let bytes = string::read(r)?.into_owned();
            let is = Intset::from_bytes(bytes)
                .map_err(|e| RdbError::Corrupt(format!("Intset integrity check failed: {e}")))?;
            let mut set = Set::Intset(is);
            if set.len() > max_intset {
                set.convert();
            }
            Ok(set)
        }
        other => Err(RdbError::UnsupportedType(other)),
    }
}

/// Type 2: a count, then each member. The set is an intset while the
/// count allows one and every member is an integer (Redis's
/// `rdbLoadObject`); a member seen twice is corrupt.
fn read_members(r: &mut Reader, max_intset: usize) -> Result<Set, RdbError> {
    let len = length::read_len(r)?;
    if len == 0 {
        return Err(RdbError::EmptyKey);
    }
    let reserve = usize::try_from(len).unwrap_or(MAX_RESERVE).min(MAX_RESERVE);
    let mut set = Set::default();
    if len > max_intset as u64 {
        set.convert();
    }
    for _ in 0..len {
        let member = string::read(r)?;
        if matches!(set, Set::Intset(_))
            && crate::protocol::parser::parse_i64_strict(&member).is_none()
        {
            set.convert();
        }
        if let Set::Table(t) = &mut set {
            if t.is_empty() {
                t.reserve(reserve);
            }
        }
        if !set.add(&member, usize::MAX) {
            return Err(RdbError::Corrupt("Duplicate set members detected".into()));
        }
    }
    Ok(set)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn load(t: u8, body: &[u8], max: usize) -> Result<Set, RdbError> {
        read(t, &mut Reader::new(body), max)
    }

    fn saved(s: &Set) -> Vec<u8> {
        let mut out = Vec::new();
        write(&mut out, s, true);
        out
    }

    #[test]
    fn both_encodings_round_trip() {
        let mut small = Set::default();
        for m in [&b"3"[..], b"-1", b"70000"] {
            small.add(m, 512);
        }
        let back = load(TYPE_SET_INTSET, &saved(&small), 512).unwrap();
        assert_eq!(back, small);
        assert_eq!(back.encoding(), "intset");
        assert_eq!(
            load(TYPE_SET_INTSET, &saved(&small), 2).unwrap().encoding(),
            "hashtable"
        );
        let mut table = small.clone();
        table.convert();
        let back = load(TYPE_SET, &saved(&table), 512).unwrap();
        assert_eq!(back, table);
        assert_eq!(back.encoding(), "intset", "integers load as an intset");
        table.add(b"x", 512);
        let back = load(TYPE_SET, &saved(&table), 512).unwrap();
        assert_eq!((back.len(), back.encoding()), (4, "hashtable"));
    }

    #[test]
    fn corrupt_sets_are_errors() {
        let dup = [2, 1, b'a', 1, b'a'];
        assert!(matches!(
            load(TYPE_SET, &dup, 512),
            Err(RdbError::Corrupt(_))
        ));
        let dup_int = [2, 0xc0, 5, 0xc0, 5];
        assert!(matches!(
            load(TYPE_SET, &dup_int, 512),
            Err(RdbError::Corrupt(_))
        ));
        assert_eq!(
            load(TYPE_SET, &[2, 1, b'a'], 512).err(),
            Some(RdbError::Truncated)
        );
        assert_eq!(load(TYPE_SET, &[0], 512).err(), Some(RdbError::EmptyKey));
        // An intset out of order, one of width 3, and an empty one.
        for bad in [
            &[12, 2, 0, 0, 0, 2, 0, 0, 0, 5, 0, 1, 0][..],
            &[11, 3, 0, 0, 0, 1, 0, 0, 0, 5, 0, 0],
            &[8, 2, 0, 0, 0, 0, 0, 0, 0],
        ] {
            let err = load(TYPE_SET_INTSET, bad, 512).unwrap_err();
            assert!(err.to_string().contains("Intset integrity"), "{err}");
        }
    }
}
