//! Hashes: `RDB_TYPE_HASH_LISTPACK` (16), the listpack as one string, for
//! a listpack-encoded hash, and `RDB_TYPE_HASH` (4), a count and then each
//! field and value as a string, for a table, as Redis 7.0 writes them; and
//! loading those and the older forms Redis still loads, the ziplist (13)
//! and the zipmap (9).
//!
//! The input may come from a client (RESTORE), so every read is checked:
//! a corrupt value is an [`RdbError::Corrupt`] saying what and at which
//! byte of the encoding, never a panic.
#![deny(clippy::indexing_slicing)]

use std::collections::HashSet;

use super::{length, string, RdbError, Reader};
use crate::storage::hash::{Hash, Limits};
use crate::storage::listpack::{self, Entry, Listpack};
use crate::storage::ziplist::{self, Ziplist};

/// Type byte of a hash saved field by field (`RDB_TYPE_HASH`).
pub const TYPE_HASH: u8 = 4;
/// Type byte of a hash saved as its listpack (`RDB_TYPE_HASH_LISTPACK`).
pub const TYPE_HASH_LISTPACK: u8 = 16;
/// Type byte of a hash saved as a ziplist (`RDB_TYPE_HASH_ZIPLIST`, before 7.0).
pub const TYPE_HASH_ZIPLIST: u8 = 13;
/// Type byte of a hash saved as a zipmap (`RDB_TYPE_HASH_ZIPMAP`, before 2.6).
pub const TYPE_HASH_ZIPMAP: u8 = 9;

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
        Hash::Listpack(lp) => string::write(out, &lp.encoded(), compress),
        Hash::Table(t) => {
            super::length::write_len(out, t.len() as u64);
            for (field, value) in t.iter() {
                string::write(out, field.as_slice(), compress);
                string::write(out, value.as_slice(), compress);
            }
        }
    }
}

/// Most table slots reserved up front for a count read from the input,
/// which a corrupt payload can make anything.
const MAX_RESERVE: usize = 1 << 16;

/// A corrupt hash, in words that say where.
fn corrupt(what: &str, at: listpack::Corrupt) -> RdbError {
    RdbError::Corrupt(format!("{what} integrity check failed: {at}"))
}

/// Reads a hash saved with type byte `t` (4, 9, 13 or 16), checked as
/// Redis's deep sanitization checks it whatever `sanitize-dump-payload`
/// says (a duplicate field, an odd element count or an empty hash is
/// corrupt), and encoded as Redis would hold it after loading under
/// `limits`.
pub fn read(t: u8, r: &mut Reader, limits: Limits) -> Result<Hash, RdbError> {
    let mut hash = match t {
        TYPE_HASH => return read_pairs(r, limits),
        TYPE_HASH_LISTPACK => {
            let bytes = string::read(r)?.into_owned();
            check_pairs(
                "Hash listpack",
                listpack::validate_with(&bytes, no_duplicate_fields()),
            )?;
            Hash::Listpack(
                Listpack::from_bytes(bytes)
                    .map_err(|e| corrupt("Hash listpack", e))?
                    .into_exact(),
            )
        }
        TYPE_HASH_ZIPLIST => {
            let bytes = string::read(r)?;
            check_pairs(
                "Hash ziplist",
                ziplist::validate_with(&bytes, no_duplicate_fields()),
            )?;
            let zl = Ziplist::new(&bytes).map_err(|e| corrupt("Hash ziplist", e))?;
            Hash::Listpack(zl.to_listpack().into_exact())
        }
        TYPE_HASH_ZIPMAP => {
            let bytes = string::read(r)?;
            let (lp, longest) = zipmap_to_listpack(&bytes)?;
            let mut hash = Hash::Listpack(lp.into_exact());
            if longest > limits.value {
                hash.convert();
            }
            hash
        }
        other => return Err(RdbError::UnsupportedType(other)),
    };
    if hash.len() > limits.entries {
        hash.convert();
    }
    Ok(hash)
}

/// A check for `validate_with` over alternating fields and values: a
/// field seen before makes the encoding invalid.
fn no_duplicate_fields() -> impl FnMut(Entry<'_>) -> bool {
    let mut fields = HashSet::new();
    let mut index = 0usize;
    move |e| {
        index += 1;
        index.is_multiple_of(2) || fields.insert(e.to_vec())
    }
}

/// The outcome of validating fields and values: an odd count or none at
/// all is corrupt too.
fn check_pairs(what: &str, validated: Result<usize, listpack::Corrupt>) -> Result<(), RdbError> {
    let count = validated.map_err(|e| corrupt(what, e))?;
    if count == 0 || !count.is_multiple_of(2) {
        return Err(RdbError::Corrupt(format!(
            "{what} integrity check failed: {count} elements, not a non-zero number of pairs"
        )));
    }
    Ok(())
}

/// Type 4: a count, then each field and value as a string. Small hashes
/// go into a listpack until a field or value is too long for one.
fn read_pairs(r: &mut Reader, limits: Limits) -> Result<Hash, RdbError> {
    let len = length::read_len(r)?;
    if len == 0 {
        return Err(RdbError::Corrupt("empty hash".into()));
    }
    let mut hash = Hash::new();
    if len > limits.entries as u64 {
        hash.convert();
        if let Hash::Table(t) = &mut hash {
            t.reserve(usize::try_from(len).unwrap_or(MAX_RESERVE).min(MAX_RESERVE));
        }
    }
    for _ in 0..len {
        let field = string::read(r)?;
        let value = string::read(r)?;
        if hash.contains(&field) {
            return Err(RdbError::Corrupt("Duplicate hash fields detected".into()));
        }
        hash.convert_for([&*field, &*value].into_iter(), limits);
        hash.set(&field, &value, NO_CONVERSION);
    }
    Ok(hash)
}

/// What [`Hash::set`] gets while loading: conversions were decided already.
const NO_CONVERSION: Limits = Limits {
    entries: usize::MAX,
    value: usize::MAX,
};

/// Type 9, the zipmap of Redis before 2.6: a count byte, then for each
/// pair a field length, the field, a value length, a byte of free space
/// after the value, the value and that free space; 0xFF ends it. Lengths
/// are one byte below 254, else 254 and four bytes. Checked as
/// `zipmapValidateIntegrity(deep)` does; returns the pairs as a listpack
/// and the longest field or value.
fn zipmap_to_listpack(zm: &[u8]) -> Result<(Listpack, usize), RdbError> {
    const BIGLEN: u8 = 254;
    const END: u8 = 255;
    let bad = |offset, reason| corrupt("Zipmap", listpack::Corrupt { offset, reason });
    if zm.len() < 2 || zm.last() != Some(&END) {
        return Err(bad(0, "no end byte"));
    }
    // Reads a length at `p`: the length and the bytes it took.
    let read_len = |p: usize| -> Result<(usize, usize), RdbError> {
        match zm.get(p) {
            Some(&b) if b < BIGLEN => Ok((usize::from(b), 1)),
            Some(_) => {
                let raw = zm
                    .get(p + 1..p + 5)
                    .ok_or(bad(p, "length runs past the end"))?;
                let mut le = [0u8; 4];
                le.copy_from_slice(raw);
                Ok((u32::from_le_bytes(le) as usize, 5))
            }
            None => Err(bad(p, "entry runs past the end")),
        }
    };
    let end = zm.len() - 1;
    let mut lp = Listpack::new();
    let mut fields = HashSet::new();
    let mut longest = 0;
    let mut p = 1;
    let mut count = 0usize;
    while zm.get(p) != Some(&END) {
        let (flen, s) = read_len(p)?;
        let field = zm
            .get(p + s..p + s + flen)
            .filter(|_| p + s + flen <= end)
            .ok_or(bad(p, "field runs past the end"))?;
        let q = p + s + flen;
        let (vlen, s) = read_len(q)?;
        let free = usize::from(*zm.get(q + s).ok_or(bad(q, "entry runs past the end"))?);
        let v_at = q + s + 1;
        let value = zm
            .get(v_at..v_at + vlen)
            .filter(|_| v_at + vlen + free <= end)
            .ok_or(bad(q, "value runs past the end"))?;
        if !fields.insert(field) || !lp.safe_to_add(flen + vlen) {
            return Err(RdbError::Corrupt(format!(
                "Hash zipmap with dup elements, or big length ({flen})"
            )));
        }
        longest = longest.max(flen).max(vlen);
        lp.push_back(field);
        lp.push_back(value);
        count += 1;
        p = v_at + vlen + free;
    }
    let header = zm.first().copied().unwrap_or(0);
    if count == 0 || (header != BIGLEN && usize::from(header) != count) {
        return Err(bad(0, "count differs from the entries"));
    }
    Ok((lp, longest))
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        entries: 512,
        value: 64,
    };

    fn load(t: u8, body: &[u8]) -> Result<Hash, RdbError> {
        read(t, &mut Reader::new(body), LIMITS)
    }

    fn saved(h: &Hash) -> Vec<u8> {
        let mut out = Vec::new();
        write(&mut out, h, true);
        out
    }

    #[test]
    fn both_encodings_round_trip() {
        let mut small = Hash::new();
        small.set(b"a", b"1", LIMITS);
        small.set(b"b", b"two", LIMITS);
        let back = load(TYPE_HASH_LISTPACK, &saved(&small)).unwrap();
        assert_eq!(back, small);
        assert_eq!(back.encoding(), "listpack");
        let mut big = small.clone();
        big.convert();
        let back = load(TYPE_HASH, &saved(&big)).unwrap();
        assert_eq!(back, big);
        assert_eq!(back.encoding(), "listpack", "small enough for a listpack");
    }

    #[test]
    fn corrupt_hashes_are_errors() {
        // Type 4: a duplicate field, a truncated pair, no pairs.
        let dup = [2, 1, b'a', 1, b'1', 1, b'a', 1, b'2'];
        assert!(matches!(load(TYPE_HASH, &dup), Err(RdbError::Corrupt(_))));
        assert_eq!(
            load(TYPE_HASH, &[2, 1, b'a', 1, b'1']).err(),
            Some(RdbError::Truncated)
        );
        assert!(matches!(load(TYPE_HASH, &[0]), Err(RdbError::Corrupt(_))));
        // Type 16: an odd count, a duplicate, a bad encoding.
        let mut lp = Listpack::new();
        for e in [&b"a"[..], b"1", b"a"] {
            lp.push_back(e);
        }
        let mut body = Vec::new();
        string::write(&mut body, lp.as_bytes(), false);
        let err = load(TYPE_HASH_LISTPACK, &body).unwrap_err();
        assert!(err.to_string().contains("Hash listpack"), "{err}");
        lp.push_back(b"2");
        let mut body = Vec::new();
        string::write(&mut body, lp.as_bytes(), false);
        assert!(matches!(
            load(TYPE_HASH_LISTPACK, &body),
            Err(RdbError::Corrupt(_))
        ));
        body[7] = 0xF5;
        let err = load(TYPE_HASH_LISTPACK, &body).unwrap_err();
        assert!(err.to_string().contains("at byte 6"), "{err}");
    }

    #[test]
    fn zipmaps_load_as_redis_converts_them() {
        let zm = [
            2, 1, b'a', 1, 0, b'1', 2, b'b', b'b', 2, 3, b'2', b'2', 0, 0, 0, 0xff,
        ];
        let mut body = vec![zm.len() as u8];
        body.extend_from_slice(&zm);
        let h = load(TYPE_HASH_ZIPMAP, &body).unwrap();
        assert_eq!(h.encoding(), "listpack");
        assert_eq!(h.get(b"bb").map(|e| e.to_vec()), Some(b"22".to_vec()));
        assert_eq!(h.get(b"a").map(|e| e.to_vec()), Some(b"1".to_vec()));
        for bad in [
            &[1, 1, b'a', 1, 0, b'1', 1, b'a', 1, 0, b'2', 0xff][..],
            &[2, 1, b'a', 1, 0, b'1', 0xff],
            &[1, 1, b'a', 9, 0, b'1', 0xff],
            &[0, 0xff],
            &[1, 254, 1, 0, 0],
        ] {
            let mut body = vec![bad.len() as u8];
            body.extend_from_slice(bad);
            assert!(
                matches!(load(TYPE_HASH_ZIPMAP, &body), Err(RdbError::Corrupt(_))),
                "{bad:?}"
            );
        }
    }
}
