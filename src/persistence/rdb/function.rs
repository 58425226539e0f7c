//! Function libraries in RDB form: each library is the `FUNCTION2` opcode
//! and its whole source as one string, as Redis 7.0 writes it before the
//! databases of a snapshot. FUNCTION DUMP is the same entries sealed with
//! the DUMP footer (RDB version and CRC-64), so payloads move between
//! ferrodis and Redis both ways.
//!
//! Only the bytes live here; compiling a library is the functions
//! engine's job (`scripting::functions`).

#![deny(clippy::indexing_slicing)]

use super::payload::{self, PayloadError};
use super::{length, opcode, string, RdbError, Reader};

/// Appends one library's entry: the opcode, then its code.
pub fn write_library(out: &mut Vec<u8>, code: &[u8], compress: bool) {
    out.push(opcode::FUNCTION2);
    string::write(out, code, compress);
}

/// Reads the code that follows a `FUNCTION2` opcode.
pub fn read_library(r: &mut Reader) -> Result<Vec<u8>, RdbError> {
    Ok(string::read(r)?.into_owned())
}

/// Reads a library in the format of Redis 7.0's release candidates (the
/// `FUNCTION_PRE_GA` opcode): name, engine, an optional description and
/// the code without its first line, which is rebuilt as Redis 7.0 does
/// (the description is dropped). `Err` says which part failed, in Redis's
/// words, with the error beneath.
pub fn read_pre_ga_library(r: &mut Reader) -> Result<Vec<u8>, (&'static str, RdbError)> {
    let name = string::read(r).map_err(|e| ("Failed loading library name", e))?;
    let engine = string::read(r).map_err(|e| ("Failed loading engine name", e))?;
    let has_desc =
        length::read_len(r).map_err(|e| ("Failed loading library description indicator", e))?;
    if has_desc != 0 {
        string::read(r).map_err(|e| ("Failed loading library description", e))?;
    }
    let blob = string::read(r).map_err(|e| ("Failed loading library blob", e))?;
    let mut code = b"#!".to_vec();
    code.extend_from_slice(&engine);
    code.extend_from_slice(b" name=");
    code.extend_from_slice(&name);
    code.push(b'\n');
    code.extend_from_slice(&blob);
    Ok(code)
}

/// The FUNCTION DUMP payload for the libraries with these codes.
pub fn dump<'a>(codes: impl Iterator<Item = &'a [u8]>, compress: bool) -> Vec<u8> {
    let mut out = Vec::new();
    for code in codes {
        write_library(&mut out, code, compress);
    }
    payload::seal(&mut out);
    out
}

/// Why a FUNCTION RESTORE payload was refused, before any library in it
/// is compiled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RestoreError {
    /// The footer is wrong: too short, newer, or a checksum mismatch.
    VersionOrChecksum,
    /// Redis's words for an entry it cannot read.
    Entry(&'static str),
}

/// The library codes a FUNCTION RESTORE payload holds, in order.
pub fn restore(payload: &[u8]) -> Result<Vec<Vec<u8>>, RestoreError> {
    let body_len = payload::check_footer(payload).map_err(|e| match e {
        PayloadError::VersionOrChecksum | PayloadError::BadData(_) => {
            RestoreError::VersionOrChecksum
        }
    })?;
    // As Redis does, entries are read from the whole payload until the
    // body is consumed, so a last entry may run into the footer.
    let mut r = Reader::new(payload);
    let mut codes = Vec::new();
    while r.pos() < body_len {
        let code = match r.u8() {
            Err(_) => return Err(RestoreError::Entry("can not read data type")),
            Ok(opcode::FUNCTION_PRE_GA) => {
                read_pre_ga_library(&mut r).map_err(|(what, _)| RestoreError::Entry(what))?
            }
            Ok(opcode::FUNCTION2) => read_library(&mut r)
                .map_err(|_| RestoreError::Entry("Failed loading library payload"))?,
            Ok(_) => return Err(RestoreError::Entry("given type is not a function")),
        };
        codes.push(code);
    }
    Ok(codes)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::persistence::rdb::crc64::crc64;

    /// `FUNCTION DUMP` from redis-server 7.0.15 after loading [`CODE`]
    /// (LZF-compressed).
    const CAPTURED: &[u8] = b"\xf5\xc3@P@{\x1f#!lua name=lib\x0aredis.register_fu\x0bnction('f', \xe0\x00\x0d\x0e) return 1 end)\xe0\x115\x00g\xe0\x0c5\x002@5\x01)\x0a\x0a\x00\xf7\x9frRJ\xa1OE";

    const CODE: &[u8] = b"#!lua name=lib\nredis.register_function('f', function() return 1 end)\nredis.register_function('g', function() return 2 end)\n";

    #[test]
    fn dump_matches_redis() {
        assert_eq!(dump([CODE].into_iter(), true), CAPTURED);
        assert_eq!(restore(CAPTURED), Ok(vec![CODE.to_vec()]));
        let plain = dump([CODE, b"x"].into_iter(), false);
        assert_eq!(restore(&plain), Ok(vec![CODE.to_vec(), b"x".to_vec()]));
        assert_eq!(
            dump(std::iter::empty(), true),
            b"\n\x00]\x9b\\@\x0f\x7f\xa2\xda"
        );
    }

    fn sealed(body: &[u8]) -> Vec<u8> {
        let mut p = body.to_vec();
        p.extend_from_slice(&10u16.to_le_bytes());
        let crc = crc64(&p);
        p.extend_from_slice(&crc.to_le_bytes());
        p
    }

    #[test]
    fn bad_payloads() {
        assert_eq!(restore(b"short"), Err(RestoreError::VersionOrChecksum));
        let mut bad = dump([CODE].into_iter(), true);
        bad[3] ^= 1;
        assert_eq!(restore(&bad), Err(RestoreError::VersionOrChecksum));
        assert_eq!(
            restore(&sealed(b"\x00\x01x")),
            Err(RestoreError::Entry("given type is not a function"))
        );
        assert_eq!(
            restore(&sealed(b"\xf6\x01x")),
            Err(RestoreError::Entry("Failed loading engine name"))
        );
        assert_eq!(
            restore(&sealed(b"\xf6\x01x\x03lua\x01\x01d\x04\nabc")),
            Ok(vec![b"#!lua name=x\n\nabc".to_vec()])
        );
        assert_eq!(
            restore(&sealed(b"\xf5\x82")),
            Err(RestoreError::Entry("Failed loading library payload"))
        );
        // A string running into the footer takes footer bytes, as in Redis.
        assert_eq!(restore(&sealed(b"\xf5\x02")).map(|c| c[0].len()), Ok(2));
    }
}
