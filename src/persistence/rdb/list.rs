//! Lists: Redis 7.0 saves a list as its quicklist, node by node
//! (`RDB_TYPE_LIST_QUICKLIST_2`): the node count, then for each node its
//! container (1 plain, 2 packed) and its bytes as a string. A node kept
//! compressed in memory is written as the LZF data it already holds; an
//! expanded one as a string like any other, so `rdbcompression` may
//! compress it then.

use super::{length, string, RdbError, Reader};
use crate::storage::listpack::{IntBuf, Listpack};
use crate::storage::quicklist::{Options, Quicklist, SavedNode, Where};
use crate::storage::ziplist::Ziplist;

/// Type byte of a quicklist of listpacks (`RDB_TYPE_LIST_QUICKLIST_2`).
pub const TYPE_LIST_QUICKLIST_2: u8 = 18;

/// Node container of a single large element (`QUICKLIST_NODE_CONTAINER_PLAIN`).
const CONTAINER_PLAIN: u64 = 1;
/// Node container of a listpack (`QUICKLIST_NODE_CONTAINER_PACKED`).
const CONTAINER_PACKED: u64 = 2;

fn container(plain: bool) -> u64 {
    if plain {
        CONTAINER_PLAIN
    } else {
        CONTAINER_PACKED
    }
}

/// Appends a list in Redis 7.0's form, without its type byte.
pub fn write_value(out: &mut Vec<u8>, list: &Quicklist, compress: bool) {
    length::write_len(out, list.stats().nodes as u64);
    for node in list.saved_nodes() {
        match node {
            SavedNode::Raw { plain, bytes } => {
                length::write_len(out, container(plain));
                string::write(out, bytes, compress);
            }
            SavedNode::Lzf { plain, data, len } => {
                length::write_len(out, container(plain));
                string::write_lzf(out, data, len);
            }
        }
    }
}

/// A list as Redis 7.0 saves it (`RDB_TYPE_LIST`): element count, elements.
pub const TYPE_LIST: u8 = 1;
/// A list as one ziplist (`RDB_TYPE_LIST_ZIPLIST`, Redis 2.6 to 3.0).
pub const TYPE_LIST_ZIPLIST: u8 = 10;
/// A quicklist of ziplists (`RDB_TYPE_LIST_QUICKLIST`, Redis 3.2 to 6.2).
pub const TYPE_LIST_QUICKLIST: u8 = 14;

/// Reads a list saved with type byte `t` (1, 10, 14 or 18), built as
/// Redis 7.0 builds it on load: elements of the old forms are pushed one
/// by one, with the fill rules of `opts`; nodes of the quicklist forms are
/// kept as saved (ziplists converted to listpacks), empty ones skipped.
/// Every listpack and ziplist is validated in full, whatever
/// `sanitize-dump-payload` says: a corrupt one is an error, never a list.
pub fn read_value(t: u8, r: &mut Reader, opts: Options) -> Result<Quicklist, RdbError> {
    let mut list = Quicklist::with_options(opts);
    match t {
        TYPE_LIST => {
            let len = length::read_len(r)?;
            for _ in 0..len {
                list.push(&string::read(r)?, Where::Tail);
            }
        }
        TYPE_LIST_ZIPLIST => {
            let at = r.pos();
            let bytes = string::read(r)?;
            let zl = Ziplist::new(&bytes).map_err(|e| RdbError::BadEncoding(at, e))?;
            let mut buf = IntBuf::default();
            for e in zl.iter() {
                list.push(e.as_bytes(&mut buf), Where::Tail);
            }
        }
        _ => {
            let nodes = length::read_len(r)?;
            for _ in 0..nodes {
                let at = r.pos();
                let container = if t == TYPE_LIST_QUICKLIST_2 {
                    length::read_len(r)?
                } else {
                    CONTAINER_PACKED
                };
                let bytes = string::read(r)?;
                match container {
                    CONTAINER_PLAIN => list.append_plain(&bytes),
                    CONTAINER_PACKED if t == TYPE_LIST_QUICKLIST_2 => {
                        let lp = Listpack::from_bytes(bytes.into_owned())
                            .map_err(|e| RdbError::BadEncoding(at, e))?;
                        list.append_listpack(lp);
                    }
                    CONTAINER_PACKED => {
                        let zl = Ziplist::new(&bytes).map_err(|e| RdbError::BadEncoding(at, e))?;
                        list.append_listpack(zl.to_listpack());
                    }
                    other => return Err(RdbError::BadContainer(at, other)),
                }
            }
        }
    }
    if list.is_empty() {
        return Err(RdbError::EmptyKey);
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Quicklist {
        let mut q = Quicklist::new(4, 1);
        for i in 0..40 {
            q.push(
                format!("item {i} {}", "z".repeat(i)).as_bytes(),
                Where::Tail,
            );
        }
        q
    }

    #[test]
    fn round_trips_with_and_without_compression() {
        for compress in [false, true] {
            let q = sample();
            let mut out = Vec::new();
            write_value(&mut out, &q, compress);
            let back = read_value(
                TYPE_LIST_QUICKLIST_2,
                &mut Reader::new(&out),
                Options { fill: 4, depth: 1 },
            );
            assert_eq!(back, Ok(q));
        }
    }

    /// Damaged bytes end in an error or some list, never a panic.
    #[test]
    fn damaged_values_never_panic() {
        let mut out = Vec::new();
        write_value(&mut out, &sample(), true);
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..3000 {
            let mut bad = out.clone();
            for _ in 0..3 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let at = (x % bad.len() as u64) as usize;
                if let Some(b) = bad.get_mut(at) {
                    *b = (x >> 32) as u8;
                }
            }
            for t in [
                TYPE_LIST,
                TYPE_LIST_ZIPLIST,
                TYPE_LIST_QUICKLIST,
                TYPE_LIST_QUICKLIST_2,
            ] {
                let _ = read_value(t, &mut Reader::new(&bad), Options::default());
            }
        }
    }
}
