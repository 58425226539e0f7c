//! Length prefixes: the variable-width integer in front of every string and
//! count in an RDB file.
//!
//! The top two bits of the first byte pick the form: `00` a 6-bit length,
//! `01` a 14-bit length (with the next byte), `10` a 32-bit (`0x80`) or
//! 64-bit (`0x81`) big-endian length in the following bytes, and `11` no
//! length at all but a special string encoding in the low six bits (an
//! integer or LZF data, see [`super::string`]).

#![deny(clippy::indexing_slicing)]

use super::{RdbError, Reader};

/// A decoded prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Length {
    /// A plain length.
    Len(u64),
    /// The `11` form: the special string encoding in the low six bits.
    Encoded(u8),
}

const LEN_6BIT: u8 = 0;
const LEN_14BIT: u8 = 1;
const ENCODED: u8 = 3;
const LEN_32BIT: u8 = 0x80;
const LEN_64BIT: u8 = 0x81;

/// Appends `len` in the shortest form, as Redis's `rdbSaveLen` does.
pub fn write_len(out: &mut Vec<u8>, len: u64) {
    if len < 1 << 6 {
        out.push(len as u8);
    } else if len < 1 << 14 {
        out.extend_from_slice(&[0x40 | (len >> 8) as u8, len as u8]);
    } else if let Ok(len) = u32::try_from(len) {
        out.push(LEN_32BIT);
        out.extend_from_slice(&len.to_be_bytes());
    } else {
        out.push(LEN_64BIT);
        out.extend_from_slice(&len.to_be_bytes());
    }
}

/// Appends the `11` prefix announcing special string encoding `enc`.
pub fn write_encoded(out: &mut Vec<u8>, enc: u8) {
    out.push(ENCODED << 6 | enc);
}

/// Reads a prefix of any form.
pub fn read(r: &mut Reader) -> Result<Length, RdbError> {
    let first = r.u8()?;
    Ok(match first >> 6 {
        LEN_6BIT => Length::Len(u64::from(first & 0x3f)),
        LEN_14BIT => Length::Len(u64::from(first & 0x3f) << 8 | u64::from(r.u8()?)),
        ENCODED => Length::Encoded(first & 0x3f),
        _ => match first {
            LEN_32BIT => Length::Len(u64::from(u32::from_be_bytes(r.array()?))),
            LEN_64BIT => Length::Len(u64::from_be_bytes(r.array()?)),
            _ => return Err(RdbError::UnknownLengthEncoding(first)),
        },
    })
}

/// Reads a prefix where only a length makes sense. Redis reads the `11`
/// form there as a 6-bit length, so a file it accepts is accepted here too.
pub fn read_len(r: &mut Reader) -> Result<u64, RdbError> {
    Ok(match read(r)? {
        Length::Len(n) => n,
        Length::Encoded(low) => u64::from(low),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(len: u64) -> Vec<u8> {
        let mut out = Vec::new();
        write_len(&mut out, len);
        out
    }

    #[test]
    fn every_form_at_its_boundaries() {
        let cases: &[(u64, &[u8])] = &[
            (0, &[0x00]),
            (63, &[0x3f]),
            (64, &[0x40, 0x40]),
            (16383, &[0x7f, 0xff]),
            (16384, &[0x80, 0x00, 0x00, 0x40, 0x00]),
            (u64::from(u32::MAX), &[0x80, 0xff, 0xff, 0xff, 0xff]),
            (1 << 32, &[0x81, 0, 0, 0, 1, 0, 0, 0, 0]),
            (
                u64::MAX,
                &[0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
            ),
        ];
        for &(len, bytes) in cases {
            assert_eq!(encode(len), bytes, "{len}");
            let mut r = Reader::new(bytes);
            assert_eq!(read(&mut r), Ok(Length::Len(len)));
            assert!(r.take(1).is_err(), "{len}: read exactly its bytes");
        }
    }

    #[test]
    fn encoded_form_and_errors() {
        let mut out = Vec::new();
        write_encoded(&mut out, 3);
        assert_eq!(out, [0xc3]);
        assert_eq!(read(&mut Reader::new(&out)), Ok(Length::Encoded(3)));
        assert_eq!(read_len(&mut Reader::new(&out)), Ok(3));
        for bad in [0x82u8, 0xbf] {
            assert_eq!(
                read(&mut Reader::new(&[bad, 0, 0, 0, 0, 0, 0, 0, 0])),
                Err(RdbError::UnknownLengthEncoding(bad))
            );
        }
        for truncated in [
            &[][..],
            &[0x40],
            &[0x80, 1, 2, 3],
            &[0x81, 1, 2, 3, 4, 5, 6, 7],
        ] {
            assert_eq!(read(&mut Reader::new(truncated)), Err(RdbError::Truncated));
        }
    }
}
