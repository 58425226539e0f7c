//! The consumer-group section that ends a stream's RDB body: the number
//! of groups, then each group with its pending entries and consumers.
#![deny(clippy::indexing_slicing)]

use super::{length, RdbError, Reader};
use crate::storage::stream::Stream;
use crate::storage::stream_group::Groups;

/// Appends the groups of `s`.
pub fn write(out: &mut Vec<u8>, s: &Stream, _compress: bool) {
    length::write_len(out, s.groups.as_ref().map_or(0, |g| g.len()) as u64);
}

/// Reads the groups of the stream `s` just loaded.
pub fn read(r: &mut Reader, _s: &Stream) -> Result<Option<Box<Groups>>, RdbError> {
    match length::read_len(r)? {
        0 => Ok(None),
        _ => Err(RdbError::Corrupt(
            "stream consumer groups are not supported yet".into(),
        )),
    }
}
