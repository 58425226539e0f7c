//! The consumer groups at the end of a saved stream (`RDB_TYPE_STREAM_LISTPACKS`
//! and `_2`): the group count, then per group its name, last-delivered ID,
//! `entries-read` (from `_2` on), its PEL (each ID as 16 raw big-endian
//! bytes, its delivery time as 8 little-endian bytes, its delivery count)
//! and its consumers (name, seen-time, and the IDs of their own PEL), in
//! name and ID order, as Redis 7.0 writes them.
//!
//! The bytes may come from a client (RESTORE), so loading checks what
//! Redis checks (duplicate groups, consumers and PEL entries, a consumer
//! entry missing from the group PEL) and, always, that every pending entry
//! ended up with a consumer: a corrupt group is an [`RdbError::Corrupt`],
//! never a panic or a dangling entry.
#![deny(clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::ops::Bound;

use super::{length, string, RdbError, Reader};
use crate::storage::stream::Stream;
use crate::storage::stream_group::{Group, Groups, StreamId, StreamState};

/// Appends the groups of `s`, the end of its value.
pub fn write(out: &mut Vec<u8>, s: &Stream, compress: bool) {
    match s.groups.as_deref() {
        Some(groups) => write_groups(out, groups, compress),
        None => length::write_len(out, 0),
    }
}

fn write_groups(out: &mut Vec<u8>, groups: &Groups, compress: bool) {
    length::write_len(out, groups.len() as u64);
    for (name, g) in groups.iter() {
        string::write(out, name, compress);
        write_id(out, g.last_id);
        // The unknown counter, -1, is saved as the 64-bit length it casts to.
        length::write_len(out, g.entries_read as u64);
        length::write_len(out, g.pel_len() as u64);
        for (id, p) in g.pending_range(Bound::Unbounded, Bound::Unbounded) {
            out.extend_from_slice(&raw_id(id));
            out.extend_from_slice(&p.delivery_time.to_le_bytes());
            length::write_len(out, p.delivery_count);
        }
        length::write_len(out, g.consumers_len() as u64);
        for (name, c) in g.consumers() {
            string::write(out, name, compress);
            out.extend_from_slice(&c.seen_time.to_le_bytes());
            length::write_len(out, c.pending_len() as u64);
            for id in c.pending() {
                out.extend_from_slice(&raw_id(id));
            }
        }
    }
}

fn write_id(out: &mut Vec<u8>, id: StreamId) {
    length::write_len(out, id.ms);
    length::write_len(out, id.seq);
}

/// An ID as the 16 bytes a radix tree keys it by.
fn raw_id(id: StreamId) -> [u8; 16] {
    let mut b = [0u8; 16];
    let (ms, seq) = b.split_at_mut(8);
    ms.copy_from_slice(&id.ms.to_be_bytes());
    seq.copy_from_slice(&id.seq.to_be_bytes());
    b
}

fn read_raw_id(r: &mut Reader) -> Result<StreamId, RdbError> {
    let ms: [u8; 8] = r.array()?;
    let seq: [u8; 8] = r.array()?;
    Ok(StreamId {
        ms: u64::from_be_bytes(ms),
        seq: u64::from_be_bytes(seq),
    })
}

fn corrupt(what: &str) -> RdbError {
    RdbError::Corrupt(what.to_string())
}

/// Reads the groups of the stream `s` just loaded; `None` when it has
/// none. Files of the first stream format (`with_entries_read` false)
/// carry no counter, so it is estimated from the stream as Redis does
/// when it loads them.
pub fn read(
    r: &mut Reader,
    s: &Stream,
    with_entries_read: bool,
) -> Result<Option<Box<Groups>>, RdbError> {
    let groups = read_groups(r, &StreamState::of(s), with_entries_read)?;
    Ok((!groups.is_empty()).then(|| Box::new(groups)))
}

fn read_groups(
    r: &mut Reader,
    state: &StreamState,
    with_entries_read: bool,
) -> Result<Groups, RdbError> {
    let mut groups = Groups::default();
    for _ in 0..length::read_len(r)? {
        let name = string::read(r)?;
        let last_id = StreamId {
            ms: length::read_len(r)?,
            seq: length::read_len(r)?,
        };
        let entries_read = if with_entries_read {
            length::read_len(r)? as i64
        } else {
            state.estimate_entries_read(last_id)
        };
        let mut group = Group::new(last_id, entries_read);
        // Delivery data by ID, and whether a consumer has claimed it yet.
        let mut pel: BTreeMap<StreamId, (i64, u64, bool)> = BTreeMap::new();
        for _ in 0..length::read_len(r)? {
            let id = read_raw_id(r)?;
            let time = i64::from_le_bytes(r.array()?);
            let count = length::read_len(r)?;
            if pel.insert(id, (time, count, false)).is_some() {
                return Err(corrupt(
                    "Duplicated global PEL entry loading stream consumer group",
                ));
            }
        }
        for _ in 0..length::read_len(r)? {
            let consumer = string::read(r)?;
            let seen = i64::from_le_bytes(r.array()?);
            if !group.create_consumer(&consumer, seen) {
                return Err(corrupt("Duplicate stream consumer detected."));
            }
            for _ in 0..length::read_len(r)? {
                let id = read_raw_id(r)?;
                let Some((time, count, claimed)) = pel.get_mut(&id) else {
                    return Err(corrupt("Consumer entry not found in group global PEL"));
                };
                if *claimed {
                    return Err(corrupt(
                        "Duplicated consumer PEL entry loading a stream consumer group",
                    ));
                }
                *claimed = true;
                group.assign(id, &consumer, *time, *count);
            }
        }
        if pel.values().any(|&(_, _, claimed)| !claimed) {
            return Err(corrupt("Stream CG PEL entry without consumer"));
        }
        if !groups.create(&name, group) {
            return Err(RdbError::Corrupt(format!(
                "Duplicated consumer group name {}",
                String::from_utf8_lossy(&name)
            )));
        }
    }
    Ok(groups)
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// The groups part of a DUMP from redis-server 7.0.15 of a stream
    /// trimmed to nothing after: groups `12345` (an integer-encoded name,
    /// counter unknown), `g` (alice holding 1-1, bob 2-1 claimed with TIME
    /// 1234567890123 and RETRYCOUNT 4, consumer `idle` with nothing) and
    /// `late` created at `$` with ENTRIESREAD 2.
    const CAPTURED: &[u8] = b"\x03\xc1\x39\x30\x00\x00\x81\xff\xff\xff\xff\xff\xff\xff\xff\x00\x00\
\x01\x67\x02\x01\x02\x02\
\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01\x3f\x39\x92\x34\xa2\x01\x00\x00\x01\
\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x01\xcb\x04\xfb\x71\x1f\x01\x00\x00\x04\
\x03\x05\x61\x6c\x69\x63\x65\x3f\x39\x92\x34\xa2\x01\x00\x00\
\x01\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01\
\x03\x62\x6f\x62\x5e\x39\x92\x34\xa2\x01\x00\x00\
\x01\x00\x00\x00\x00\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x01\
\x04\x69\x64\x6c\x65\x8f\x39\x92\x34\xa2\x01\x00\x00\x00\
\x04\x6c\x61\x74\x65\x02\x01\x02\x00\x00";

    fn id(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    fn load(bytes: &[u8]) -> Result<Groups, RdbError> {
        read_groups(&mut Reader::new(bytes), &StreamState::default(), true)
    }

    #[test]
    fn redis_bytes_load_and_save_back_identically() {
        let groups = load(CAPTURED).unwrap();
        let names: Vec<&[u8]> = groups.iter().map(|(n, _)| n).collect();
        assert_eq!(names, vec![&b"12345"[..], b"g", b"late"]);
        let g = groups.get(b"g").unwrap();
        assert_eq!((g.last_id, g.entries_read), (id(2, 1), 2));
        let bob = g.pending(id(2, 1)).unwrap();
        assert_eq!(
            (bob.owner(), bob.delivery_time, bob.delivery_count),
            (&b"bob"[..], 1_234_567_890_123, 4)
        );
        assert_eq!(g.pending(id(1, 1)).unwrap().owner(), b"alice");
        assert_eq!(g.consumer(b"idle").unwrap().pending_len(), 0);
        assert_eq!(groups.get(b"12345").unwrap().entries_read, -1);
        assert_eq!(groups.get(b"late").unwrap().entries_read, 2);
        let mut out = Vec::new();
        write_groups(&mut out, &groups, false);
        assert_eq!(out, CAPTURED);
    }

    #[test]
    fn every_truncation_is_an_error() {
        for end in 0..CAPTURED.len() {
            assert!(load(&CAPTURED[..end]).is_err(), "cut at {end}");
        }
    }

    #[test]
    fn inconsistent_groups_are_corrupt() {
        // One group "g" at 0-0 whose PEL holds 1-1 (then its consumers).
        let group = |pel: &[&[u8]], consumers: &[u8]| {
            let mut b = b"\x01\x01g\x00\x00\x00".to_vec();
            b.push(pel.len() as u8);
            for e in pel {
                b.extend_from_slice(e);
            }
            b.extend_from_slice(consumers);
            b
        };
        let entry =
            b"\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01\0\0\0\0\0\0\0\0\x01";
        let raw = &entry[..16];
        let with = |c: &[&[u8]]| {
            let mut b = vec![c.len() as u8];
            for x in c {
                b.extend_from_slice(x);
            }
            b
        };
        let consumer = |name: &[u8], ids: &[&[u8]]| {
            let mut b = vec![name.len() as u8];
            b.extend_from_slice(name);
            b.extend_from_slice(&[0; 8]);
            b.push(ids.len() as u8);
            for i in ids {
                b.extend_from_slice(i);
            }
            b
        };
        let ok = group(&[entry], &with(&[&consumer(b"c", &[raw])]));
        assert!(load(&ok).is_ok());
        let cases: [(Vec<u8>, &str); 5] = [
            (group(&[entry, entry], &with(&[])), "Duplicated global PEL"),
            (group(&[entry], &with(&[])), "without consumer"),
            (group(&[], &with(&[&consumer(b"c", &[raw])])), "not found"),
            (
                group(
                    &[entry],
                    &with(&[&consumer(b"c", &[raw]), &consumer(b"c", &[])]),
                ),
                "Duplicate stream consumer",
            ),
            (
                group(
                    &[entry],
                    &with(&[&consumer(b"c", &[raw]), &consumer(b"d", &[raw])]),
                ),
                "Duplicated consumer PEL",
            ),
        ];
        for (bytes, want) in cases {
            match load(&bytes) {
                Err(RdbError::Corrupt(msg)) => assert!(msg.contains(want), "{msg} / {want}"),
                other => panic!("{want}: {other:?}"),
            }
        }
        let mut twice = ok.clone();
        twice[0] = 2;
        twice.extend_from_slice(&ok[1..]);
        match load(&twice) {
            Err(RdbError::Corrupt(msg)) => assert!(msg.contains("Duplicated consumer group")),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_first_format_estimates_the_counter() {
        // Group "g" at 3-0 with nothing pending, no counter in the bytes.
        let bytes = b"\x01\x01g\x03\x00\x00\x00";
        let state = StreamState {
            length: 3,
            entries_added: 3,
            first_id: id(1, 0),
            last_id: id(3, 0),
            max_deleted_id: StreamId::default(),
        };
        let groups = read_groups(&mut Reader::new(bytes), &state, false).unwrap();
        assert_eq!(groups.get(b"g").unwrap().entries_read, 3);
    }
}
