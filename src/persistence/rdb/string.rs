//! Strings: the encoding every RDB string uses (values, members, field
//! names), and the string type's value, which is one such string.
//!
//! A string is written in the first form that applies, as Redis's
//! `rdbSaveRawString` chooses: a decimal integer of at most 11 characters
//! that fits in 32 bits becomes a one-byte encoding marker and 1, 2 or 4
//! little-endian bytes; a string over 20 bytes is LZF-compressed (when
//! `rdbcompression` is on) if that saves at least four bytes; anything
//! else is its length and its bytes.

#![deny(clippy::indexing_slicing)]

use std::borrow::Cow;

use super::length::{self, Length};
use super::{lzf, RdbError, Reader};
use crate::protocol::parser::parse_i64_strict;
use crate::protocol::reply::format_i64;
use crate::storage::value::Str;

/// Special encodings, the low six bits of an `11` length prefix.
const ENC_INT8: u8 = 0;
const ENC_INT16: u8 = 1;
const ENC_INT32: u8 = 2;
const ENC_LZF: u8 = 3;

/// Longest string that can be integer-encoded: "-2147483648".
const INT_CANDIDATE_MAX: usize = 11;
/// Redis does not try to compress strings this short.
const COMPRESS_MIN: usize = 21;
/// Compression must save at least this many bytes to be kept.
const COMPRESS_SAVING: usize = 4;

/// Appends `s` in the form Redis would choose.
pub fn write(out: &mut Vec<u8>, s: &[u8], compress: bool) {
    if s.len() <= INT_CANDIDATE_MAX {
        if let Some(v) = parse_i64_strict(s) {
            if write_int(out, v) {
                return;
            }
        }
    }
    if compress && s.len() >= COMPRESS_MIN {
        if let Some(packed) = lzf::compress(s, s.len() - COMPRESS_SAVING) {
            write_lzf(out, &packed, s.len());
            return;
        }
    }
    length::write_len(out, s.len() as u64);
    out.extend_from_slice(s);
}

/// Appends LZF data that expands to `len` bytes, as a compressed string
/// (`rdbSaveLzfBlob`).
pub fn write_lzf(out: &mut Vec<u8>, packed: &[u8], len: usize) {
    length::write_encoded(out, ENC_LZF);
    length::write_len(out, packed.len() as u64);
    length::write_len(out, len as u64);
    out.extend_from_slice(packed);
}

/// Appends `v` in the smallest integer encoding, if it fits one.
fn write_int(out: &mut Vec<u8>, v: i64) -> bool {
    if let Ok(v) = i8::try_from(v) {
        length::write_encoded(out, ENC_INT8);
        out.extend_from_slice(&v.to_le_bytes());
    } else if let Ok(v) = i16::try_from(v) {
        length::write_encoded(out, ENC_INT16);
        out.extend_from_slice(&v.to_le_bytes());
    } else if let Ok(v) = i32::try_from(v) {
        length::write_encoded(out, ENC_INT32);
        out.extend_from_slice(&v.to_le_bytes());
    } else {
        return false;
    }
    true
}

/// Reads a string in any of its forms; raw strings are borrowed from the input.
pub fn read<'a>(r: &mut Reader<'a>) -> Result<Cow<'a, [u8]>, RdbError> {
    let int = match length::read(r)? {
        Length::Len(n) => return Ok(Cow::Borrowed(r.take(n)?)),
        Length::Encoded(ENC_INT8) => i64::from(i8::from_le_bytes(r.array()?)),
        Length::Encoded(ENC_INT16) => i64::from(i16::from_le_bytes(r.array()?)),
        Length::Encoded(ENC_INT32) => i64::from(i32::from_le_bytes(r.array()?)),
        Length::Encoded(ENC_LZF) => return read_lzf(r).map(Cow::Owned),
        Length::Encoded(enc) => return Err(RdbError::UnknownStringEncoding(enc)),
    };
    let mut tmp = [0u8; 20];
    Ok(Cow::Owned(format_i64(int, &mut tmp).to_vec()))
}

fn read_lzf(r: &mut Reader) -> Result<Vec<u8>, RdbError> {
    let packed_len = length::read_len(r)?;
    let len = length::read_len(r)?;
    let packed = r.take(packed_len)?;
    // Redis compares lzf_decompress's result, which is 0 on error, with
    // the claimed length, so a claimed length of 0 is always accepted.
    if len == 0 {
        return Ok(Vec::new());
    }
    let max = usize::try_from(len).map_err(|_| RdbError::BadLzf)?;
    match lzf::decompress(packed, max) {
        Some(out) if out.len() == max => Ok(out),
        _ => Err(RdbError::BadLzf),
    }
}

/// Appends a string value (type 0's payload).
pub fn write_value(out: &mut Vec<u8>, s: &Str, compress: bool) {
    let mut tmp = [0u8; 20];
    write(out, s.bytes(&mut tmp), compress);
}

/// Reads a string value, encoded as Redis's `tryObjectEncoding` would
/// encode it: integers as `int`, short strings as `embstr`.
pub fn read_value(r: &mut Reader) -> Result<Str, RdbError> {
    Ok(Str::from_bytes(&read(r)?))
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    fn encode(s: &[u8], compress: bool) -> Vec<u8> {
        let mut out = Vec::new();
        write(&mut out, s, compress);
        out
    }

    fn decode(bytes: &[u8]) -> Result<Vec<u8>, RdbError> {
        read(&mut Reader::new(bytes)).map(Cow::into_owned)
    }

    #[test]
    fn integer_encodings_at_their_boundaries() {
        let cases: &[(&str, &[u8])] = &[
            ("0", b"\xc0\x00"),
            ("-1", b"\xc0\xff"),
            ("127", b"\xc0\x7f"),
            ("-128", b"\xc0\x80"),
            ("128", b"\xc1\x80\x00"),
            ("-129", b"\xc1\x7f\xff"),
            ("32767", b"\xc1\xff\x7f"),
            ("-32768", b"\xc1\x00\x80"),
            ("32768", b"\xc2\x00\x80\x00\x00"),
            ("2147483647", b"\xc2\xff\xff\xff\x7f"),
            ("-2147483648", b"\xc2\x00\x00\x00\x80"),
            ("2147483648", b"\x0a2147483648"),
            ("-2147483649", b"\x0b-2147483649"),
            // Not in canonical form, so kept as written.
            ("007", b"\x03007"),
            ("+1", b"\x02+1"),
            ("-0", b"\x02-0"),
            (" 1", b"\x02 1"),
        ];
        for &(s, bytes) in cases {
            assert_eq!(encode(s.as_bytes(), true), bytes, "{s}");
            assert_eq!(decode(bytes).unwrap(), s.as_bytes(), "{s}");
        }
    }

    #[test]
    fn raw_and_compressed() {
        assert_eq!(encode(b"", true), b"\x00");
        assert_eq!(encode(b"hello", true), b"\x05hello");
        let twenty = [b'a'; 20];
        assert_eq!(encode(&twenty, true)[0], 20, "too short to compress");
        // Captured from redis-server 7.0.15: DUMP of 78 times "a".
        let long = [b'a'; 78];
        let packed = encode(&long, true);
        assert_eq!(packed, b"\xc3\x09\x40\x4e\x01aa\xe0A\x00\x01aa");
        assert_eq!(decode(&packed).unwrap(), long);
        let plain = encode(&long, false);
        assert_eq!(&plain[..2], b"\x40\x4e");
        assert_eq!(decode(&plain).unwrap(), long);
        let noise: Vec<u8> = (0..100u32)
            .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
            .collect();
        assert_eq!(
            &encode(&noise, true)[..1],
            b"\x40",
            "incompressible stays raw"
        );
    }

    #[test]
    fn malformed_strings() {
        assert_eq!(decode(b"\x05hel"), Err(RdbError::Truncated));
        assert_eq!(decode(b"\xc1\x01"), Err(RdbError::Truncated));
        assert_eq!(decode(b"\xc4"), Err(RdbError::UnknownStringEncoding(4)));
        assert_eq!(decode(b"\xc3\x03\x03\x01ab"), Err(RdbError::BadLzf));
        assert_eq!(decode(b"\xc3\x05\x03\x00a"), Err(RdbError::Truncated));
        assert_eq!(decode(b"\xc3\x03\x02\x01ab").unwrap(), b"ab");
        // As in Redis: a zero claimed length wins over whatever follows,
        // and a length prefix in the `11` form is read as six bits.
        assert_eq!(decode(b"\xc3\x02\x00\x01ab").unwrap(), b"");
        assert_eq!(decode(b"\xc3\xc3\x02\x01ab").unwrap(), b"ab");
        assert_eq!(
            decode(b"\xc3\x01\x81\x00\x00\x01\x00\x00\x00\x00\x00a"),
            Err(RdbError::BadLzf)
        );
    }

    #[test]
    fn values_take_redis_encodings() {
        let load = |bytes: &[u8]| read_value(&mut Reader::new(bytes)).unwrap();
        assert_eq!(load(b"\xc0\x0c"), Str::Int(12));
        assert_eq!(load(b"\x0212"), Str::Int(12));
        assert_eq!(load(b"\x05hello").encoding(), "embstr");
        let long = encode(&[b'a'; 78], true);
        assert_eq!(load(&long).encoding(), "raw");
        let mut out = Vec::new();
        write_value(&mut out, &Str::Int(-5), true);
        assert_eq!(out, b"\xc0\xfb");
    }
}
