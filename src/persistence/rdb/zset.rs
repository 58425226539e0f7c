//! Sorted sets: `RDB_TYPE_ZSET_LISTPACK` (17), the listpack as one
//! string, for a listpack-encoded set, and `RDB_TYPE_ZSET_2` (5), a count
//! and then each member as a string and its score as a binary double,
//! highest score first, for a skiplist, as Redis 7.0 writes them; and
//! loading those and the older forms Redis still loads: text scores (3)
//! and the ziplist (12).
//!
//! The input may come from a client (RESTORE), so every read is checked:
//! a corrupt value is an [`RdbError::Corrupt`], never a panic.
#![deny(clippy::indexing_slicing)]

use std::collections::HashSet;

use super::{length, string, RdbError, Reader};
use crate::storage::float::parse_f64;
use crate::storage::listpack::{self, Entry, Listpack};
use crate::storage::ziplist::{self, Ziplist};
use crate::storage::zset::{Limits, Pos, ZSet};

/// Type byte of a set saved with text scores (`RDB_TYPE_ZSET`, before 3.2).
pub const TYPE_ZSET: u8 = 3;
/// Type byte of a set saved with binary scores (`RDB_TYPE_ZSET_2`).
pub const TYPE_ZSET_2: u8 = 5;
/// Type byte of a set saved as a ziplist (`RDB_TYPE_ZSET_ZIPLIST`, before 7.0).
pub const TYPE_ZSET_ZIPLIST: u8 = 12;
/// Type byte of a set saved as its listpack (`RDB_TYPE_ZSET_LISTPACK`).
pub const TYPE_ZSET_LISTPACK: u8 = 17;

/// Most members reserved up front for a count read from the input.
const MAX_RESERVE: usize = 1 << 16;

/// The type byte `z` is saved with.
pub fn type_of(z: &ZSet) -> u8 {
    match z {
        ZSet::Listpack(_) => TYPE_ZSET_LISTPACK,
        ZSet::Skiplist(_) => TYPE_ZSET_2,
    }
}

/// Appends the encoded set without its type byte. A skiplist goes from
/// the highest score down, as Redis saves it, so that loading inserts
/// each member at the head.
pub fn write(out: &mut Vec<u8>, z: &ZSet, compress: bool) {
    match z {
        ZSet::Listpack(lp) => string::write(out, &lp.encoded(), compress),
        ZSet::Skiplist(_) => {
            length::write_len(out, z.len() as u64);
            let mut pos: Option<Pos> = z.last();
            while let Some(p) = pos {
                let (member, score) = z.get(p);
                let mut buf = Default::default();
                string::write(out, member.as_bytes(&mut buf), compress);
                out.extend_from_slice(&score.to_le_bytes());
                pos = z.prev(p);
            }
        }
    }
}

fn corrupt(what: &str, at: listpack::Corrupt) -> RdbError {
    RdbError::Corrupt(format!("{what} integrity check failed: {at}"))
}

/// Reads a set saved with type byte `t` (3, 5, 12 or 17), checked as
/// Redis's deep sanitization checks it (duplicate members, an odd element
/// count, no elements, a NaN score are corrupt), in the encoding Redis
/// gives it after loading under `limits`.
pub fn read(t: u8, r: &mut Reader, limits: Limits) -> Result<ZSet, RdbError> {
    let bytes = match t {
        TYPE_ZSET | TYPE_ZSET_2 => return read_pairs(t, r, limits),
        TYPE_ZSET_LISTPACK => {
            let bytes = string::read(r)?.into_owned();
            check_pairs(
                "Zset listpack",
                listpack::validate_with(&bytes, valid_pairs()),
            )?;
            bytes
        }
        TYPE_ZSET_ZIPLIST => {
            let bytes = string::read(r)?;
            check_pairs(
                "Zset ziplist",
                ziplist::validate_with(&bytes, valid_pairs()),
            )?;
            let zl = Ziplist::new(&bytes).map_err(|e| corrupt("Zset ziplist", e))?;
            zl.to_listpack().into_bytes()
        }
        other => return Err(RdbError::UnsupportedType(other)),
    };
    let lp = Listpack::from_bytes(bytes).map_err(|e| corrupt("Zset listpack", e))?;
    let mut z = ZSet::Listpack(lp.into_exact());
    if z.len() > limits.entries {
        z.convert();
    }
    Ok(z)
}

/// A check for `validate_with` over alternating members and scores: a
/// member seen before, or a score that is no number, is invalid.
fn valid_pairs() -> impl FnMut(Entry<'_>) -> bool {
    let mut members = HashSet::new();
    let mut index = 0usize;
    move |e| {
        index += 1;
        if index.is_multiple_of(2) {
            match e {
                Entry::Int(_) => true,
                Entry::Str(s) => parse_f64(s).is_some(),
            }
        } else {
            members.insert(e.to_vec())
        }
    }
}

fn check_pairs(what: &str, validated: Result<usize, listpack::Corrupt>) -> Result<(), RdbError> {
    let count = validated.map_err(|e| corrupt(what, e))?;
    if count == 0 || !count.is_multiple_of(2) {
        return Err(RdbError::Corrupt(format!(
            "{what} integrity check failed: {count} elements, not a non-zero number of pairs"
        )));
    }
    Ok(())
}

/// A text score (type 3): a length byte, 253 NaN, 254 `inf`, 255 `-inf`,
/// else that many bytes of decimal text.
fn read_text_score(r: &mut Reader) -> Result<f64, RdbError> {
    match r.u8()? {
        253 => Ok(f64::NAN),
        254 => Ok(f64::INFINITY),
        255 => Ok(f64::NEG_INFINITY),
        n => {
            let text = r.take(u64::from(n))?;
            parse_f64(text).ok_or_else(|| RdbError::Corrupt("Zset with a bad score".into()))
        }
    }
}

/// Types 3 and 5: a count, then members and scores in any order; sorted
/// and fitted to the thresholds once all are read, as Redis does.
fn read_pairs(t: u8, r: &mut Reader, limits: Limits) -> Result<ZSet, RdbError> {
    let len = length::read_len(r)?;
    if len == 0 {
        return Err(RdbError::Corrupt("empty zset".into()));
    }
    let reserve = usize::try_from(len).unwrap_or(MAX_RESERVE).min(MAX_RESERVE);
    let mut elems: Vec<(Vec<u8>, f64)> = Vec::with_capacity(reserve);
    let mut seen: HashSet<Vec<u8>> = HashSet::with_capacity(reserve);
    for _ in 0..len {
        let member = string::read(r)?.into_owned();
        let score = if t == TYPE_ZSET_2 {
            f64::from_le_bytes(r.array::<8>()?)
        } else {
            read_text_score(r)?
        };
        if score.is_nan() {
            return Err(RdbError::Corrupt("Zset with NAN score detected".into()));
        }
        if !seen.insert(member.clone()) {
            return Err(RdbError::Corrupt("Duplicate zset fields detected".into()));
        }
        elems.push((member, score));
    }
    elems.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
    Ok(ZSet::from_sorted(&elems, limits))
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::storage::zset::AddFlags;

    const LIMITS: Limits = Limits {
        entries: 128,
        value: 64,
    };

    fn load(t: u8, body: &[u8]) -> Result<ZSet, RdbError> {
        read(t, &mut Reader::new(body), LIMITS)
    }

    fn saved(z: &ZSet) -> Vec<u8> {
        let mut out = Vec::new();
        write(&mut out, z, false);
        out
    }

    fn sample() -> ZSet {
        let mut z = ZSet::new();
        for (m, s) in [("a", 1.0), ("b", 0.5), ("c", f64::INFINITY), ("d", -2.25)] {
            z.add(m.as_bytes(), s, AddFlags::default(), LIMITS).unwrap();
        }
        z
    }

    #[test]
    fn both_encodings_round_trip() {
        let small = sample();
        let back = load(TYPE_ZSET_LISTPACK, &saved(&small)).unwrap();
        assert_eq!(back, small);
        assert_eq!(back.encoding(), "listpack");
        let mut big = sample();
        big.convert();
        let body = saved(&big);
        // Highest score first.
        assert_eq!(&body[..3], &[4, 1, b'c']);
        let back = load(TYPE_ZSET_2, &body).unwrap();
        assert_eq!(back, big);
        assert_eq!(back.encoding(), "listpack", "small enough for a listpack");
    }

    #[test]
    fn text_scores_load() {
        let body = [2, 1, b'a', 3, b'1', b'.', b'5', 1, b'b', 255];
        let z = load(TYPE_ZSET, &body).unwrap();
        assert_eq!(z.score(b"a"), Some(1.5));
        assert_eq!(z.score(b"b"), Some(f64::NEG_INFINITY));
        assert!(matches!(
            load(TYPE_ZSET, &[1, 1, b'a', 253]),
            Err(RdbError::Corrupt(_))
        ));
    }

    /// Damaged payloads of every type (bytes flipped, dropped, cut) load
    /// or are refused, never panic; what loads reads back whole.
    #[test]
    fn damaged_payloads_never_panic() {
        let mut small = sample();
        small
            .add(b"12345", 1e20, AddFlags::default(), LIMITS)
            .unwrap();
        let mut big = small.clone();
        big.convert();
        let text = vec![2, 1, b'a', 3, b'1', b'.', b'5', 1, b'b', 254];
        let zl = {
            let mut zl = Vec::new();
            let entries = [
                0u8, 0x01, b'a', 3, 0xF2, 2, 0x01, b'b', 3, 0x03, b'2', b'.', b'5',
            ];
            let total = 10 + entries.len() + 1;
            zl.extend_from_slice(&(total as u32).to_le_bytes());
            zl.extend_from_slice(&((total - 6) as u32).to_le_bytes());
            zl.extend_from_slice(&4u16.to_le_bytes());
            zl.extend_from_slice(&entries);
            zl.push(0xFF);
            let mut body = Vec::new();
            string::write(&mut body, &zl, false);
            body
        };
        assert!(load(TYPE_ZSET_ZIPLIST, &zl).is_ok());
        let seeds = [
            (TYPE_ZSET_LISTPACK, saved(&small)),
            (TYPE_ZSET_2, saved(&big)),
            (TYPE_ZSET, text),
            (TYPE_ZSET_ZIPLIST, zl),
        ];
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut rand = move |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n.max(1) as u64) as usize
        };
        for round in 0..20_000 {
            let (t, good) = &seeds[round % seeds.len()];
            let mut bad = good.clone();
            for _ in 0..1 + rand(3) {
                let i = rand(bad.len());
                match rand(3) {
                    0 => bad[i] = rand(256) as u8,
                    1 => {
                        bad.remove(i);
                    }
                    _ => bad.truncate(i),
                }
                if bad.is_empty() {
                    break;
                }
            }
            if let Ok(z) = load(*t, &bad) {
                let n = z.iter().count();
                assert_eq!(n, z.len(), "{bad:?}");
                let back = load(type_of(&z), &saved(&z)).unwrap();
                assert_eq!(back.len(), n);
            }
        }
    }

    #[test]
    fn corrupt_sets_are_errors() {
        let mut dup = vec![2, 1, b'a'];
        dup.extend_from_slice(&1f64.to_le_bytes());
        dup.extend_from_slice(&[1, b'a']);
        dup.extend_from_slice(&2f64.to_le_bytes());
        assert!(matches!(load(TYPE_ZSET_2, &dup), Err(RdbError::Corrupt(_))));
        let mut nan = vec![1, 1, b'a'];
        nan.extend_from_slice(&f64::NAN.to_le_bytes());
        assert!(matches!(load(TYPE_ZSET_2, &nan), Err(RdbError::Corrupt(_))));
        assert_eq!(
            load(TYPE_ZSET_2, &[1, 1, b'a', 0]).err(),
            Some(RdbError::Truncated)
        );
        assert!(matches!(load(TYPE_ZSET_2, &[0]), Err(RdbError::Corrupt(_))));
        for elems in [&["a", "1", "b"][..], &["a", "1", "a", "2"], &["a", "x"]] {
            let mut lp = Listpack::new();
            for e in elems {
                lp.push_back(e.as_bytes());
            }
            let mut body = Vec::new();
            string::write(&mut body, lp.as_bytes(), false);
            assert!(
                matches!(load(TYPE_ZSET_LISTPACK, &body), Err(RdbError::Corrupt(_))),
                "{elems:?}"
            );
        }
    }
}
