//! Streams: `RDB_TYPE_STREAM_LISTPACKS_2` (19), as Redis 7.0 writes it,
//! and loading that and Redis 5/6's `RDB_TYPE_STREAM_LISTPACKS` (15).
//!
//! The body is the number of nodes, then each node's master ID (16 bytes,
//! big endian) and listpack as strings, then the length, the last ID, for
//! type 19 the first ID, the highest deleted ID and the count of entries
//! ever added, and last the consumer groups (`rdb/stream_group.rs`).
//! Type 15 lacks the three 7.0 fields, which are derived as Redis derives
//! them.
//!
//! The input may come from a client (RESTORE): every node is checked as
//! Redis's deep sanitization checks it, and a corrupt value is an
//! [`RdbError::Corrupt`], never a panic.
#![deny(clippy::indexing_slicing)]

use super::{length, stream_group, string, RdbError, Reader};
use crate::storage::listpack::Listpack;
use crate::storage::stream::{validate_node, Stream, StreamId};

/// Type byte of a Redis 5/6 stream (`RDB_TYPE_STREAM_LISTPACKS`).
pub const TYPE_STREAM_LISTPACKS: u8 = 15;
/// Type byte of a Redis 7.0 stream (`RDB_TYPE_STREAM_LISTPACKS_2`).
pub const TYPE_STREAM_LISTPACKS_2: u8 = 19;

fn corrupt(what: &str) -> RdbError {
    RdbError::Corrupt(what.to_string())
}

fn write_id(out: &mut Vec<u8>, id: StreamId) {
    length::write_len(out, id.ms);
    length::write_len(out, id.seq);
}

fn read_id(r: &mut Reader) -> Result<StreamId, RdbError> {
    Ok(StreamId::new(length::read_len(r)?, length::read_len(r)?))
}

/// Appends the encoded stream without its type byte.
pub fn write(out: &mut Vec<u8>, s: &Stream, compress: bool) {
    length::write_len(out, s.node_count() as u64);
    for (master_id, lp) in s.nodes() {
        string::write(out, &master_id.to_be_bytes(), compress);
        string::write(out, lp.as_bytes(), compress);
    }
    length::write_len(out, s.len());
    write_id(out, s.last_id);
    write_id(out, s.first_id);
    write_id(out, s.max_deleted_entry_id);
    length::write_len(out, s.entries_added);
    stream_group::write(out, s, compress);
}

/// Reads a stream saved with type byte `t` (15 or 19).
pub fn read(t: u8, r: &mut Reader) -> Result<Stream, RdbError> {
    let mut s = Stream::new();
    let nodes = length::read_len(r)?;
    for _ in 0..nodes {
        let key = string::read(r)?;
        let key: [u8; 16] = key
            .as_ref()
            .try_into()
            .map_err(|_| corrupt("Stream node key entry is not the size of a stream ID"))?;
        let bytes = string::read(r)?.into_owned();
        let lp = Listpack::from_bytes(bytes).map_err(|e| {
            RdbError::Corrupt(format!("Stream listpack integrity check failed: {e}"))
        })?;
        if lp.is_empty() {
            return Err(corrupt("Empty listpack inside stream"));
        }
        if !validate_node(&lp) {
            return Err(corrupt("Stream listpack integrity check failed."));
        }
        if !s.insert_node(StreamId::from_be_bytes(key), lp) {
            return Err(corrupt("Listpack re-added with existing key"));
        }
    }
    s.set_len(length::read_len(r)?);
    s.last_id = read_id(r)?;
    if t == TYPE_STREAM_LISTPACKS_2 {
        s.first_id = read_id(r)?;
        s.max_deleted_entry_id = read_id(r)?;
        s.entries_added = length::read_len(r)?;
    } else {
        // Redis 7.0's migration: entries added is the length, and the
        // first ID is found in the nodes.
        s.entries_added = s.len();
        s.first_id = s.first_live_id();
    }
    if !s.is_empty() && s.node_count() == 0 {
        return Err(corrupt("Stream length inconsistent with rax entries"));
    }
    s.groups = stream_group::read(r, &s, t == TYPE_STREAM_LISTPACKS_2)?;
    Ok(s)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::storage::stream::{NewId, NodeLimits};

    #[test]
    fn dump_matches_redis() {
        // DUMP of XADD s 1-1 a 1 b 2; XADD s 1-2 a 3 b 4; XADD s 2-0 c 5
        // on Redis 7.0.15.
        let redis: &[u8] = b"\x13\x01\x10\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01==\x00\x00\x00\x19\x00\x03\x01\x00\x01\x02\x01\x81a\x02\x81b\x02\x00\x01\x02\x01\x00\x01\x00\x01\x01\x01\x02\x01\x05\x01\x02\x01\x00\x01\x01\x01\x03\x01\x04\x01\x05\x01\x00\x01\x01\x01\xdf\xff\x02\x01\x01\x81c\x02\x05\x01\x06\x01\xff\x03\x02\x00\x01\x01\x00\x00\x03\x00\n\x00\xf0\"\x94.\tqC\x05";
        let mut s = Stream::new();
        type Fields<'a> = &'a [(&'a [u8], &'a [u8])];
        let adds: [(u64, u64, Fields); 3] = [
            (1, 1, &[(b"a", b"1"), (b"b", b"2")]),
            (1, 2, &[(b"a", b"3"), (b"b", b"4")]),
            (2, 0, &[(b"c", b"5")]),
        ];
        for (ms, seq, fields) in adds {
            let id = NewId::Exact(StreamId::new(ms, seq));
            s.add(fields.iter().copied(), id, 0, NodeLimits::DEFAULT)
                .unwrap();
        }
        let value = crate::storage::value::Value::Stream(Box::new(s));
        assert_eq!(crate::persistence::rdb::payload::dump(&value, true), redis);
        let limits = crate::persistence::rdb::value::Thresholds::DEFAULT;
        let back = crate::persistence::rdb::payload::restore(redis, &limits).unwrap();
        assert_eq!(back, value);
    }

    #[test]
    fn round_trips_and_refuses_corruption() {
        let mut s = Stream::new();
        for i in 1..=150u64 {
            let f = [(&b"field"[..], &b"value"[..])];
            s.add(
                f.into_iter(),
                NewId::Exact(StreamId::new(i, 0)),
                0,
                NodeLimits::DEFAULT,
            )
            .unwrap();
        }
        s.delete_ids(&[StreamId::new(3, 0)]);
        let mut out = Vec::new();
        write(&mut out, &s, true);
        let back = read(TYPE_STREAM_LISTPACKS_2, &mut Reader::new(&out)).unwrap();
        assert_eq!(back, s);
        for cut in 0..out.len() {
            let _ = read(TYPE_STREAM_LISTPACKS_2, &mut Reader::new(&out[..cut]));
        }
        for i in 0..out.len() {
            let mut bad = out.clone();
            bad[i] ^= 0x5a;
            let _ = read(TYPE_STREAM_LISTPACKS_2, &mut Reader::new(&bad));
        }
    }
}
