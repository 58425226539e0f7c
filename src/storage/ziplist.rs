//! A validating reader for Redis's ziplist, the compact encoding Redis 6.2
//! and older wrote for small lists, hashes and sorted sets (and for every
//! quicklist node). Redis 7.0 never writes one: on load it checks the bytes
//! and converts them to a listpack, and so do we, hence no writer here.
//!
//! Layout: a 10-byte header (total bytes `u32` LE, offset of the last entry
//! `u32` LE, element count `u16` LE with 65535 meaning "count them"), the
//! entries, and a 0xFF end byte. Each entry starts with the size of the
//! previous entry (one byte below 254, else 0xFE and a `u32` LE), then an
//! encoding: strings with 6-bit, 14-bit (big-endian) or 32-bit (big-endian)
//! lengths, integers of 8, 16, 24, 32 or 64 bits (little-endian), or a
//! 4-bit immediate 0..12 inside the encoding byte.
//!
//! The bytes come from files, so every read goes through `.get()`.

#![deny(clippy::indexing_slicing)]

use super::listpack::{Corrupt, Entry, Listpack};

/// Size of the header: total bytes, tail offset and element count.
pub const HEADER_SIZE: usize = 10;
/// The end byte, also never the first byte of an entry.
pub const END: u8 = 0xFF;
/// Header count meaning the real count is 65535 or more.
pub const COUNT_UNKNOWN: u16 = u16::MAX;
/// First byte of a 5-byte previous-entry size.
const BIG_PREVLEN: u8 = 0xFE;

/// An entry as decoded: the previous entry's size it records, the element,
/// and its own size (prevlen field, encoding and data).
struct Raw<'a> {
    prevlen: usize,
    entry: Entry<'a>,
    size: usize,
}

fn read<const N: usize>(buf: &[u8], at: usize) -> Option<[u8; N]> {
    buf.get(at..at.checked_add(N)?)?.try_into().ok()
}

/// Decodes the entry at `pos`, reading nothing past `buf`.
fn decode(buf: &[u8], pos: usize) -> Result<Raw<'_>, &'static str> {
    const SHORT: &str = "entry runs past the end";
    let first = *buf.get(pos).ok_or(SHORT)?;
    if first == END {
        return Err("end byte before the end");
    }
    let (prevlen, at) = if first < BIG_PREVLEN {
        (usize::from(first), pos + 1)
    } else {
        let v = u32::from_le_bytes(read::<4>(buf, pos + 1).ok_or(SHORT)?);
        (v as usize, pos + 5)
    };
    let enc = *buf.get(at).ok_or(SHORT)?;
    let string = |data_at: usize, len: usize| -> Result<Raw<'_>, &'static str> {
        let end = data_at.checked_add(len).ok_or(SHORT)?;
        let data = buf.get(data_at..end).ok_or(SHORT)?;
        Ok(Raw {
            prevlen,
            entry: Entry::Str(data),
            size: end - pos,
        })
    };
    let int = |n: usize, v: i64| Raw {
        prevlen,
        entry: Entry::Int(v),
        size: at + 1 + n - pos,
    };
    match enc >> 6 {
        0 => string(at + 1, usize::from(enc & 0x3F)),
        1 => {
            let lo = *buf.get(at + 1).ok_or(SHORT)?;
            string(at + 2, (usize::from(enc & 0x3F) << 8) | usize::from(lo))
        }
        // Redis masks the low bits off every 10xxxxxx byte: all of them
        // mean a 32-bit length.
        2 => {
            let len = u32::from_be_bytes(read::<4>(buf, at + 1).ok_or(SHORT)?);
            string(at + 5, len as usize)
        }
        _ => match enc {
            0xC0 => {
                let v = i16::from_le_bytes(read::<2>(buf, at + 1).ok_or(SHORT)?);
                Ok(int(2, i64::from(v)))
            }
            0xD0 => {
                let v = i32::from_le_bytes(read::<4>(buf, at + 1).ok_or(SHORT)?);
                Ok(int(4, i64::from(v)))
            }
            0xE0 => {
                let v = i64::from_le_bytes(read::<8>(buf, at + 1).ok_or(SHORT)?);
                Ok(int(8, v))
            }
            0xF0 => {
                let [a, b, c] = read::<3>(buf, at + 1).ok_or(SHORT)?;
                // The 24 bits at the top of an i32, so the shift sign-extends.
                Ok(int(3, i64::from(i32::from_le_bytes([0, a, b, c]) >> 8)))
            }
            0xFE => {
                let [b] = read::<1>(buf, at + 1).ok_or(SHORT)?;
                Ok(int(1, i64::from(b as i8)))
            }
            0xF1..=0xFD => Ok(int(0, i64::from(enc & 0x0F) - 1)),
            _ => Err("unknown encoding"),
        },
    }
}

/// Deep check of `bytes` as a ziplist, as `ziplistValidateIntegrity(deep=1)`
/// does: header size, tail offset and count, every entry's encoding and
/// lengths inside the buffer, every recorded previous-entry size right, and
/// the end byte right after the last entry. Returns the element count.
pub fn validate(bytes: &[u8]) -> Result<usize, Corrupt> {
    validate_with(bytes, |_| true)
}

/// [`validate`], also offering every element to `check` (an RDB loader's
/// duplicate or pairing checks); `false` makes the buffer invalid.
pub fn validate_with(
    bytes: &[u8],
    mut check: impl FnMut(Entry<'_>) -> bool,
) -> Result<usize, Corrupt> {
    let fail = |offset, reason| Err(Corrupt { offset, reason });
    if bytes.len() < HEADER_SIZE + 1 {
        return fail(0, "shorter than a header and end byte");
    }
    let total = read::<4>(bytes, 0).map_or(0, u32::from_le_bytes);
    if total as usize != bytes.len() {
        return fail(0, "total bytes in the header differ from the size");
    }
    let end = bytes.len() - 1;
    if bytes.get(end) != Some(&END) {
        return fail(end, "no end byte at the end");
    }
    let tail = read::<4>(bytes, 4).map_or(0, u32::from_le_bytes) as usize;
    if tail > end {
        return fail(4, "tail offset past the end");
    }
    // Entries must end before the end byte, so decode within what precedes it.
    let body = bytes.get(..end).unwrap_or(&[]);
    let mut pos = HEADER_SIZE;
    let mut prev: Option<(usize, usize)> = None;
    let mut count = 0usize;
    while pos < end {
        let raw = decode(body, pos).map_err(|reason| Corrupt {
            offset: pos,
            reason,
        })?;
        if raw.prevlen != prev.map_or(0, |(_, size)| size) {
            return fail(pos, "previous entry size differs from the entry before");
        }
        if !check(raw.entry) {
            return fail(pos, "entry rejected");
        }
        prev = Some((pos, raw.size));
        count += 1;
        pos += raw.size;
    }
    let last = prev.map_or(HEADER_SIZE, |(at, _)| at);
    if tail != last {
        return fail(4, "tail offset is not the last entry");
    }
    let header = read::<2>(bytes, 8).map_or(0, u16::from_le_bytes);
    if header != COUNT_UNKNOWN && usize::from(header) != count {
        return fail(8, "element count in the header differs from the entries");
    }
    Ok(count)
}

/// A validated ziplist, borrowed from the bytes it was read from.
#[derive(Clone, Copy, Debug)]
pub struct Ziplist<'a> {
    buf: &'a [u8],
    count: usize,
}

impl<'a> Ziplist<'a> {
    /// Reads `bytes` as a ziplist after a deep [`validate`].
    pub fn new(bytes: &'a [u8]) -> Result<Self, Corrupt> {
        let count = validate(bytes)?;
        Ok(Ziplist { buf: bytes, count })
    }

    /// The encoded bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.count
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Elements front to back.
    pub fn iter(&self) -> Iter<'a> {
        Iter {
            body: self
                .buf
                .get(..self.buf.len().saturating_sub(1))
                .unwrap_or(&[]),
            pos: HEADER_SIZE,
        }
    }

    /// The same elements as a listpack, built as Redis 7.0 builds it on load:
    /// strings appended as strings (so the listpack's own integer detection
    /// applies) and integers appended as integers.
    pub fn to_listpack(&self) -> Listpack {
        let mut lp = Listpack::with_capacity(self.buf.len());
        for entry in self.iter() {
            match entry {
                Entry::Str(s) => lp.push_back(s),
                Entry::Int(v) => lp.push_back_int(v),
            };
        }
        lp
    }
}

/// Iterator over a ziplist's elements.
#[derive(Clone)]
pub struct Iter<'a> {
    /// The ziplist without its end byte.
    body: &'a [u8],
    pos: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        if self.pos >= self.body.len() {
            return None;
        }
        match decode(self.body, self.pos) {
            Ok(raw) => {
                self.pos += raw.size;
                Some(raw.entry)
            }
            Err(_) => {
                self.pos = self.body.len();
                None
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::storage::listpack::tests::{fuzz, unhex, Rng};
    use crate::storage::listpack::validate as validate_listpack;

    /// Encodings of one element, written from the ziplist format description
    /// independently of the reader above.
    fn zstr(s: &[u8]) -> Vec<u8> {
        let n = s.len();
        let mut e = if n <= 63 {
            vec![n as u8]
        } else if n <= 16383 {
            vec![0x40 | (n >> 8) as u8, n as u8]
        } else {
            let mut e = vec![0x80];
            e.extend_from_slice(&(n as u32).to_be_bytes());
            e
        };
        e.extend_from_slice(s);
        e
    }

    fn zint(bits: u8, v: i64) -> Vec<u8> {
        let le = v.to_le_bytes();
        match bits {
            0 => vec![0xF1 + v as u8],
            8 => vec![0xFE, le[0]],
            16 => vec![0xC0, le[0], le[1]],
            24 => vec![0xF0, le[0], le[1], le[2]],
            32 => vec![0xD0, le[0], le[1], le[2], le[3]],
            _ => [&[0xE0][..], &le].concat(),
        }
    }

    /// A ziplist of `encs`, prevlens in one byte when they fit except for
    /// the entries in `big_prev`, which get the 5-byte form regardless (Redis
    /// leaves those behind when it avoids shrinking a prevlen).
    fn ziplist(encs: &[Vec<u8>], big_prev: &[usize]) -> Vec<u8> {
        let mut body = Vec::new();
        let mut prev = 0usize;
        let mut tail = HEADER_SIZE;
        for (i, e) in encs.iter().enumerate() {
            tail = HEADER_SIZE + body.len();
            let start = body.len();
            if prev < 254 && !big_prev.contains(&i) {
                body.push(prev as u8);
            } else {
                body.push(0xFE);
                body.extend_from_slice(&(prev as u32).to_le_bytes());
            }
            body.extend_from_slice(e);
            prev = body.len() - start;
        }
        let total = HEADER_SIZE + body.len() + 1;
        let mut zl = Vec::new();
        zl.extend_from_slice(&(total as u32).to_le_bytes());
        zl.extend_from_slice(&(tail as u32).to_le_bytes());
        zl.extend_from_slice(&(encs.len() as u16).to_le_bytes());
        zl.extend_from_slice(&body);
        zl.push(END);
        zl
    }

    /// Every ziplist encoding: immediates, 8/16/24/32/64-bit integers at
    /// their edges, a small value in a needlessly wide encoding, strings
    /// with 6/14/32-bit lengths, strings that look like integers, a 300-byte
    /// string so the next prevlen takes 5 bytes, and a 5-byte prevlen holding
    /// a small size (entry 3).
    fn every_encoding() -> Vec<Vec<u8>> {
        vec![
            zint(0, 0),
            zint(0, 12),
            zint(8, -128),
            zint(8, 127),
            zint(16, i64::from(i16::MIN)),
            zint(16, i64::from(i16::MAX)),
            zint(24, -(1 << 23)),
            zint(24, (1 << 23) - 1),
            zint(32, i64::from(i32::MIN)),
            zint(32, i64::from(i32::MAX)),
            zint(64, i64::MIN),
            zint(64, i64::MAX),
            zint(64, 5),
            zint(8, -1),
            zstr(b""),
            zstr(b"abc"),
            zstr(b"123"),
            zstr(b"-0"),
            zstr(&[b'q'; 64]),
            zstr(&[b'w'; 300]),
            zstr(&[b'e'; 16384]),
            zstr(b"r"),
        ]
    }

    fn every_encoding_values() -> Vec<Entry<'static>> {
        vec![
            Entry::Int(0),
            Entry::Int(12),
            Entry::Int(-128),
            Entry::Int(127),
            Entry::Int(i64::from(i16::MIN)),
            Entry::Int(i64::from(i16::MAX)),
            Entry::Int(-(1 << 23)),
            Entry::Int((1 << 23) - 1),
            Entry::Int(i64::from(i32::MIN)),
            Entry::Int(i64::from(i32::MAX)),
            Entry::Int(i64::MIN),
            Entry::Int(i64::MAX),
            Entry::Int(5),
            Entry::Int(-1),
            Entry::Str(b""),
            Entry::Str(b"abc"),
            Entry::Str(b"123"),
            Entry::Str(b"-0"),
            Entry::Str(&[b'q'; 64]),
            Entry::Str(&[b'w'; 300]),
            Entry::Str(&[b'e'; 16384]),
            Entry::Str(b"r"),
        ]
    }

    /// `every_encoding()` as a ziplist with entry 3's prevlen forced wide.
    const EVERY_ENCODING_ZL: &str = "
        eb410000e3410000160000f102fd02fe80fe03000000fe7f07c0008004c0ff7f
        04f000008005f0ffff7f05d00000008006d0ffffff7f06e00000000000000080
        0ae0ffffffffffffff7f0ae005000000000000000afeff030002036162630503
        31323305022d30044040<71*64>43412c<77*300>fe2f0100008000004000
        <65*16384>fe0a4000000172ff";

    /// What Redis 7.0.15 made of `EVERY_ENCODING_ZL`: wrapped as a DUMP
    /// payload of type 10 (list ziplist, RDB version 9, CRC-64 computed),
    /// `RESTORE`d, then `DUMP`ed: type 18, one packed node, this listpack.
    /// Note "123" became an integer and 5 lost its 64-bit encoding.
    const EVERY_ENCODING_LP: &str = "
        d2410000160000010c01df80027f01f1008003f1ff7f03f200008004f2ffff7f
        04f30000008005f3ffffff7f05f4000000000000008009f4ffffffffffffff7f
        090501dfff02800183616263047b01822d3003e040<71*64>42e12c<77*300>
        02aef000400000<65*16384>018085817202ff";

    /// A hash ziplist (`f1 v1 n -17 7 7 big 1234567890123 s ""`, the field
    /// "7" as a string and its value as an immediate), and what Redis 7.0.15
    /// made of it, the same way with type 13 (hash ziplist) in, type 16 out.
    const HASH_ZL: &str = "
        320000002f0000000a00000266310402763104016e03feef03013703f8020362
        696705e0cb04fb711f0100000a01730300ff";
    const HASH_LP: &str = "
        2d0000000a008266310382763103816e02dfef02070107018362696704f4cb04
        fb711f010000098173028001ff";

    #[test]
    fn every_encoding_reads_and_converts_as_redis() {
        let zl_bytes = ziplist(&every_encoding(), &[3]);
        assert_eq!(zl_bytes, unhex(EVERY_ENCODING_ZL));
        let zl = Ziplist::new(&zl_bytes).expect("valid");
        assert_eq!(zl.len(), 22);
        assert_eq!(zl.iter().collect::<Vec<_>>(), every_encoding_values());
        let lp = zl.to_listpack();
        assert_eq!(lp.as_bytes(), unhex(EVERY_ENCODING_LP).as_slice());
        for (a, b) in lp.iter().zip(zl.iter()) {
            assert_eq!(a.to_vec(), b.to_vec());
        }
    }

    #[test]
    fn hash_converts_as_redis() {
        let encs = [
            zstr(b"f1"),
            zstr(b"v1"),
            zstr(b"n"),
            zint(8, -17),
            zstr(b"7"),
            zint(0, 7),
            zstr(b"big"),
            zint(64, 1234567890123),
            zstr(b"s"),
            zstr(b""),
        ];
        let zl_bytes = ziplist(&encs, &[]);
        assert_eq!(zl_bytes, unhex(HASH_ZL));
        let zl = Ziplist::new(&zl_bytes).expect("valid");
        assert_eq!(zl.to_listpack().as_bytes(), unhex(HASH_LP).as_slice());
    }

    #[test]
    fn reads_the_format_descriptions_example() {
        // The two-element ziplist ("2", "5") from ziplist.c's description.
        let zl_bytes = unhex("0f000000 0c000000 0200 00f3 02f6 ff");
        let zl = Ziplist::new(&zl_bytes).expect("valid");
        assert_eq!(
            zl.iter().collect::<Vec<_>>(),
            [Entry::Int(2), Entry::Int(5)]
        );
    }

    #[test]
    fn rejects_what_redis_rejects() {
        let good = ziplist(&[zstr(b"ab"), zint(16, 1000), zstr(b"c")], &[]);
        assert_eq!(validate(&good), Ok(3));
        let err = |b: &[u8]| validate(b).expect_err("corrupt");
        assert_eq!(err(&good[..10]).offset, 0);
        let mut b = good.clone();
        b[0] += 1;
        assert_eq!(err(&b).offset, 0);
        let mut b = good.clone();
        *b.last_mut().expect("end") = 0;
        assert_eq!(err(&b).offset, good.len() - 1);
        let mut b = good.clone();
        b[4] = 10; // tail pointing at the first entry
        assert_eq!(err(&b).offset, 4);
        let mut b = good.clone();
        b[4] = 0xFF; // tail past the end
        assert_eq!(err(&b).reason, "tail offset past the end");
        let mut b = good.clone();
        b[8] = 2;
        assert_eq!(err(&b).offset, 8);
        let mut b = good.clone();
        b[14] = 5; // second entry's prevlen
        assert_eq!(err(&b).offset, 14);
        let mut b = good.clone();
        b[11] = 0xC1; // not an encoding
        assert_eq!(err(&b).reason, "unknown encoding");
        let mut b = good.clone();
        b[11] = 0x3F; // a 63-byte string in a short ziplist
        assert_eq!(err(&b).offset, 10);
        let mut b = good.clone();
        b[11] = 0x80; // 32-bit length read from the next bytes: far too long
        assert_eq!(err(&b).offset, 10);
        // An unknown count is counted, not trusted.
        let mut b = good.clone();
        b[8] = 0xFF;
        b[9] = 0xFF;
        assert_eq!(validate(&b), Ok(3));
        // Empty: the tail is the header's end.
        let empty = ziplist(&[], &[]);
        assert_eq!(empty, unhex("0b000000 0a000000 0000 ff"));
        assert!(Ziplist::new(&empty).expect("valid").is_empty());
        let mut b = empty;
        b[4] = 9;
        assert!(validate(&b).is_err());
        let mut seen = 0;
        assert!(validate_with(&good, |_| {
            seen += 1;
            seen < 2
        })
        .is_err());
    }

    fn walk_ziplist(b: &[u8]) -> bool {
        let Ok(n) = validate(b) else {
            return false;
        };
        let zl = Ziplist::new(b).expect("validated");
        assert_eq!(zl.iter().count(), n);
        let lp = zl.to_listpack();
        assert_eq!(validate_listpack(lp.as_bytes()), Ok(n));
        assert!(lp
            .iter()
            .zip(zl.iter())
            .all(|(a, b)| a.to_vec() == b.to_vec()));
        true
    }

    fn fix_zl_total(b: &mut [u8]) {
        let n = b.len() as u32;
        if let Some(dst) = b.get_mut(0..4) {
            dst.copy_from_slice(&n.to_le_bytes());
        }
    }

    #[test]
    fn corrupt_ziplists_fail_cleanly() {
        let mut rng = Rng(7);
        let samples = [
            unhex(HASH_ZL),
            ziplist(&every_encoding()[..16], &[3]),
            ziplist(&[zstr(&[b'w'; 300]), zint(0, 3), zstr(&[b'v'; 260])], &[]),
            ziplist(&[], &[]),
        ];
        for good in &samples {
            let accepted = fuzz(good, &mut rng, 3000, fix_zl_total, walk_ziplist);
            assert!(
                accepted > 0 && accepted < 3000,
                "{accepted} of 3000 accepted"
            );
        }
    }
}
