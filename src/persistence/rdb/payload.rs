//! DUMP payloads: one value as RDB encodes it, then the RDB version (two
//! bytes, little-endian) and the CRC-64 of everything before it (eight
//! bytes, little-endian).

#![deny(clippy::indexing_slicing)]

use super::{crc64::crc64, value, RdbError, Reader, RDB_VERSION};
use crate::storage::value::Value;

/// The footer: the RDB version, then the checksum of everything before it.
const VERSION_LEN: usize = 2;
const CRC_LEN: usize = 8;

/// Why a payload was refused, in the two ways RESTORE reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayloadError {
    /// Too short, from a newer RDB version, or the checksum does not match.
    VersionOrChecksum,
    /// The checksum matches but the value does not decode.
    BadData(RdbError),
}

/// The DUMP payload for `value`.
pub fn dump(value: &Value, compress: bool) -> Vec<u8> {
    let mut out = Vec::new();
    value::write(&mut out, value, compress);
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64(&out);
    out.extend_from_slice(&crc.to_le_bytes());
    out
}

/// The value a payload holds, after checking its version and checksum,
/// in the encoding `limits` give it.
pub fn restore(payload: &[u8], limits: &value::Thresholds) -> Result<Value, PayloadError> {
    let (checked, crc) = payload
        .split_last_chunk::<CRC_LEN>()
        .ok_or(PayloadError::VersionOrChecksum)?;
    let (_, version) = checked
        .split_last_chunk::<VERSION_LEN>()
        .ok_or(PayloadError::VersionOrChecksum)?;
    if u16::from_le_bytes(*version) > RDB_VERSION || crc64(checked).to_le_bytes() != *crc {
        return Err(PayloadError::VersionOrChecksum);
    }
    // Redis decodes from the whole payload, footer included, so a value
    // that runs into the footer loads (with footer bytes in it) and bytes
    // left between the value and the footer are ignored.
    value::read(&mut Reader::new(payload), limits).map_err(PayloadError::BadData)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::storage::listpack::Corrupt;
    use crate::storage::value::Str;

    fn s(v: &[u8]) -> Value {
        Value::Str(Str::from_bytes(v))
    }

    /// DUMP replies captured from redis-server 7.0.15.
    const CAPTURED: &[(&[u8], &[u8])] = &[
        (b"1", b"\x00\xc0\x01\x0a\x00&x\xe7\xb6\xd1\x01\x11\xfc"),
        (
            b"200",
            b"\x00\xc1\xc8\x00\x0a\x00\xed\xe8\xfdk\"\x12\x8c\x07",
        ),
        (
            b"100000",
            b"\x00\xc2\xa0\x86\x01\x00\x0a\x00\xf1$\x03Po/\xa6t",
        ),
        (
            b"10000000000",
            b"\x00\x0b10000000000\x0a\x00\x95\xc1\x0e{\x88\xa0V\xc0",
        ),
        (b"hello", b"\x00\x05hello\x0a\x00cr\xdfve4 \x0a"),
        (b"", b"\x00\x00\x0a\x00]\x9b\\@\x0f\x7f\xa2\xda"),
    ];

    #[test]
    fn dump_matches_redis() {
        for &(v, want) in CAPTURED {
            assert_eq!(dump(&s(v), true), want, "{v:?}");
            assert_eq!(restore(want, &value::Thresholds::DEFAULT), Ok(s(v)));
        }
        let long = s(&[b'a'; 78]);
        let packed = b"\x00\xc3\x09@N\x01aa\xe0A\x00\x01aa\x0a\x00\x11\xb6\xc8\xf1\x8f\"r-";
        assert_eq!(dump(&long, true), packed);
        let mut plain = b"\x00@N".to_vec();
        plain.extend_from_slice(&[b'a'; 78]);
        plain.extend_from_slice(b"\x0a\x00V\xbd\xa0\xe8\x9d\x10\xbay");
        assert_eq!(dump(&long, false), plain);
        assert_eq!(restore(&plain, &value::Thresholds::DEFAULT), Ok(long));
    }

    /// A payload with `body` and a correct footer for `version`.
    fn sealed(body: &[u8], version: u16) -> Vec<u8> {
        let mut p = body.to_vec();
        p.extend_from_slice(&version.to_le_bytes());
        let crc = crc64(&p);
        p.extend_from_slice(&crc.to_le_bytes());
        p
    }

    #[test]
    fn versions_and_checksums() {
        assert_eq!(
            restore(&sealed(b"\x00\x01x", 0), &value::Thresholds::DEFAULT),
            Ok(s(b"x"))
        );
        assert_eq!(
            restore(&sealed(b"\x00\x01x", 10), &value::Thresholds::DEFAULT),
            Ok(s(b"x"))
        );
        assert_eq!(
            restore(&sealed(b"\x00\x01x", 11), &value::Thresholds::DEFAULT),
            Err(PayloadError::VersionOrChecksum)
        );
        let mut bad = sealed(b"\x00\x01x", 10);
        bad[2] = b'y';
        assert_eq!(
            restore(&bad, &value::Thresholds::DEFAULT),
            Err(PayloadError::VersionOrChecksum)
        );
        for short in [&b""[..], b"abc", &[0u8; 9]] {
            assert_eq!(
                restore(short, &value::Thresholds::DEFAULT),
                Err(PayloadError::VersionOrChecksum)
            );
        }
        // Ten zero bytes: version 0, and the CRC of two zero bytes is 0.
        assert_eq!(restore(&[0u8; 10], &value::Thresholds::DEFAULT), Ok(s(b"")));
    }

    #[test]
    fn values_are_read_as_redis_reads_them() {
        // Trailing bytes before the footer are ignored; a value may run
        // into the footer.
        assert_eq!(
            restore(
                &sealed(b"\x00\x05hello junk", 10),
                &value::Thresholds::DEFAULT
            ),
            Ok(s(b"hello"))
        );
        assert_eq!(
            restore(&sealed(b"\x00\x05hel", 1), &value::Thresholds::DEFAULT),
            Ok(s(b"hel\x01\x00"))
        );
        assert_eq!(
            restore(&sealed(b"\x00\xc0", 10), &value::Thresholds::DEFAULT),
            Ok(s(b"10"))
        );
        for (body, err) in [
            // The footer's version byte read as a type: a ziplist (10) of
            // zero bytes.
            (
                &b""[..],
                RdbError::BadEncoding(
                    1,
                    Corrupt {
                        offset: 0,
                        reason: "shorter than a header and end byte",
                    },
                ),
            ),
            (b"\x07\x05hello", RdbError::UnsupportedType(7)),
            (b"\x00\xc4", RdbError::UnknownStringEncoding(4)),
            (b"\x00\x82", RdbError::UnknownLengthEncoding(0x82)),
            (b"\x00\x3f", RdbError::Truncated),
        ] {
            assert_eq!(
                restore(&sealed(body, 10), &value::Thresholds::DEFAULT),
                Err(PayloadError::BadData(err))
            );
        }
    }
}
