//! Lists: Redis 7.0 saves a list as its quicklist, node by node
//! (`RDB_TYPE_LIST_QUICKLIST_2`): the node count, then for each node its
//! container (1 plain, 2 packed) and its bytes as a string. A node kept
//! compressed in memory is written as the LZF data it already holds; an
//! expanded one as a string like any other, so `rdbcompression` may
//! compress it then.

use super::length;
use super::string;
use crate::storage::quicklist::{Quicklist, SavedNode};

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
