//! Redis 7.0's quicklist: the one encoding of the list type, a sequence of
//! nodes that each hold a [`Listpack`] of elements (or, for an element at
//! least `packed_threshold` bytes long, that element alone: a "plain"
//! node), with interior nodes LZF-compressed when `list-compress-depth`
//! asks for it.
//!
//! Why node layout matters: RDB files and DUMP payloads carry a list node
//! by node, each node's listpack as one string, and `DEBUG OBJECT` reports
//! the node count and sizes. To produce Redis's bytes for the same commands
//! the nodes must fill, split, merge and compress exactly as Redis's do, so
//! every structural decision here follows Redis's rules: the fill limit
//! (`list-max-listpack-size`: -1..-5 byte limits of 4 to 64 KB, positive
//! element counts under an 8 KB safety limit, estimated with Redis's
//! overheads), where an insertion goes when a node is full (the neighbour,
//! a new node, or a split followed by the merge of up to five nodes), and
//! which nodes get compressed or expanded after each change (the nodes
//! within `depth` of either end stay raw; a node used by an operation is
//! recompressed when it is left).
//!
//! The nodes live in a `VecDeque` rather than a linked list: pushes and
//! pops at both ends (nearly every list operation) are O(1), a lookup by
//! index walks a contiguous array of small node headers instead of chasing
//! pointers, and a node inserted in the middle costs a move of node
//! headers (48 bytes each, one per ~8 KB of elements), which is noise next
//! to the listpack copy such an insertion already makes.
//!
//! Reads (LRANGE, LINDEX, LPOS) expand a compressed node into a temporary
//! copy and leave the node as it was, where Redis expands it in place and
//! recompresses it when the read moves on. The elements are the same
//! either way; see `docs/compatibility.md` for the one case where Redis's
//! read leaves a node compressed that was not before.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};

use super::listpack::{Entry, Listpack};
use crate::persistence::rdb::lzf;

/// Byte limits of the negative fill levels -1..-5 (`optimization_level`).
const OPTIMIZATION_LEVEL: [usize; 5] = [4096, 8192, 16384, 32768, 65536];
/// Largest node a count-limited fill allows (`SIZE_SAFETY_LIMIT`).
pub const SIZE_SAFETY_LIMIT: usize = 8192;
/// Redis's estimate of an entry's encoding overhead (`SIZE_ESTIMATE_OVERHEAD`).
const SIZE_ESTIMATE_OVERHEAD: usize = 8;
/// Nodes smaller than this are never compressed (`MIN_COMPRESS_BYTES`).
const MIN_COMPRESS_BYTES: usize = 48;
/// Compression must save more than this many bytes (`MIN_COMPRESS_IMPROVE`).
const MIN_COMPRESS_IMPROVE: usize = 8;
/// Largest positive fill (`FILL_MAX`, 15 bits).
const FILL_MAX: i32 = (1 << 15) - 1;
/// Largest compress depth (`COMPRESS_MAX`, 16 bits).
const COMPRESS_MAX: u32 = (1 << 16) - 1;
/// The default packed threshold: elements of 1 GB and more get a plain node.
pub const DEFAULT_PACKED_THRESHOLD: usize = 1 << 30;

/// Elements at least this long are stored in a plain node of their own.
/// Process-wide, as in Redis, where `DEBUG QUICKLIST-PACKED-THRESHOLD`
/// changes it for every list.
static PACKED_THRESHOLD: AtomicUsize = AtomicUsize::new(DEFAULT_PACKED_THRESHOLD);

/// Sets the packed threshold (`quicklistisSetPackedThreshold`): 0 restores
/// the default; above 4 GB minus 1 MB is refused.
pub fn set_packed_threshold(sz: u64) -> bool {
    if sz > (1u64 << 32) - (1 << 20) {
        return false;
    }
    let sz = if sz == 0 {
        DEFAULT_PACKED_THRESHOLD
    } else {
        sz as usize
    };
    PACKED_THRESHOLD.store(sz, Ordering::Relaxed);
    true
}

fn is_large(sz: usize) -> bool {
    sz >= PACKED_THRESHOLD.load(Ordering::Relaxed)
}

/// Which end of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Where {
    Head,
    Tail,
}

/// A node's bytes: a listpack, one plain element, or either compressed.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Data {
    Packed(Listpack),
    Plain(Box<[u8]>),
    Lzf(Box<[u8]>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Node {
    data: Data,
    /// A plain node (container 1 in RDB) rather than a packed one (2).
    plain: bool,
    /// Uncompressed size in bytes.
    sz: usize,
    count: usize,
    /// Expanded for an operation and to be compressed again after it.
    recompress: bool,
    /// Kept expanded while a replacement is half done.
    dont_compress: bool,
}

impl Node {
    fn packed(lp: Listpack) -> Node {
        Node {
            sz: lp.total_bytes(),
            count: lp.len(),
            data: Data::Packed(lp),
            plain: false,
            recompress: false,
            dont_compress: false,
        }
    }

    fn plain(value: &[u8]) -> Node {
        Node {
            data: Data::Plain(value.into()),
            plain: true,
            sz: value.len(),
            count: 1,
            recompress: false,
            dont_compress: false,
        }
    }

    fn is_compressed(&self) -> bool {
        matches!(self.data, Data::Lzf(_))
    }

    /// The listpack of an expanded packed node.
    fn lp_mut(&mut self) -> Option<&mut Listpack> {
        match &mut self.data {
            Data::Packed(lp) => Some(lp),
            _ => None,
        }
    }

    fn update_sz(&mut self) {
        if let Data::Packed(lp) = &self.data {
            self.sz = lp.total_bytes();
        }
    }

    /// The node's bytes expanded: its listpack or its element.
    fn raw_bytes(&self) -> Option<&[u8]> {
        match &self.data {
            Data::Packed(lp) => Some(lp.as_bytes()),
            Data::Plain(b) => Some(b),
            Data::Lzf(_) => None,
        }
    }

    fn heap_size(&self) -> usize {
        match &self.data {
            Data::Packed(lp) => lp.allocated_bytes(),
            Data::Plain(b) | Data::Lzf(b) => b.len(),
        }
    }
}

/// A node's contents for reading.
enum View<'a> {
    Packed(&'a Listpack),
    Plain(&'a [u8]),
}

/// Calls `f` with a node's contents, expanding a compressed node into a
/// temporary copy.
fn view<R>(node: &Node, f: impl FnOnce(View<'_>) -> R) -> R {
    match &node.data {
        Data::Packed(lp) => f(View::Packed(lp)),
        Data::Plain(b) => f(View::Plain(b)),
        Data::Lzf(z) => {
            let raw = lzf::decompress(z, node.sz).unwrap_or_default();
            if node.plain {
                f(View::Plain(&raw))
            } else {
                f(View::Packed(&Listpack::from_trusted(raw)))
            }
        }
    }
}

/// Whether a node of `fill` may grow to `sz` bytes without the count
/// check (`_quicklistNodeSizeMeetsOptimizationRequirement`).
fn meets_size_limit(sz: usize, fill: i32) -> bool {
    if fill >= 0 {
        return false;
    }
    let level = (-(fill as i64) - 1) as usize;
    OPTIMIZATION_LEVEL.get(level).is_some_and(|&max| sz <= max)
}

/// Whether an element of `sz` bytes may join `node` (`_quicklistNodeAllowInsert`).
fn allow_insert(node: Option<&Node>, fill: i32, sz: usize) -> bool {
    let Some(node) = node else {
        return false;
    };
    if node.plain || is_large(sz) {
        return false;
    }
    let new_sz = node.sz + sz + SIZE_ESTIMATE_OVERHEAD;
    if meets_size_limit(new_sz, fill) {
        true
    } else if new_sz > SIZE_SAFETY_LIMIT {
        false
    } else {
        (node.count as i64) < i64::from(fill)
    }
}

/// Whether two nodes may become one (`_quicklistNodeAllowMerge`). Redis
/// subtracts 11 bytes for the header and terminator saved, the size of a
/// ziplist's; a listpack's are 7, and the estimate is kept as Redis has it.
fn allow_merge(a: Option<&Node>, b: Option<&Node>, fill: i32) -> bool {
    let (Some(a), Some(b)) = (a, b) else {
        return false;
    };
    if a.plain || b.plain {
        return false;
    }
    let merge_sz = (a.sz + b.sz).saturating_sub(11);
    if meets_size_limit(merge_sz, fill) {
        true
    } else if merge_sz > SIZE_SAFETY_LIMIT {
        false
    } else {
        (a.count + b.count) as i64 <= i64::from(fill)
    }
}

/// The options a list is created with: `list-max-listpack-size` and
/// `list-compress-depth`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    pub fill: i32,
    pub depth: u32,
}

impl Default for Options {
    /// Redis's defaults: 8 KB nodes, nothing compressed.
    fn default() -> Self {
        Options { fill: -2, depth: 0 }
    }
}

/// A list: its nodes, element count and the options it was created with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quicklist {
    nodes: VecDeque<Node>,
    count: usize,
    fill: i32,
    depth: u32,
}

/// What the `DEBUG OBJECT` line reports about a list's nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    pub nodes: usize,
    pub count: usize,
    pub fill: i32,
    pub depth: u32,
    /// Total uncompressed bytes of all nodes.
    pub uncompressed: usize,
}

/// One node as saved: plain or packed, its bytes expanded or as the LZF
/// data with the expanded length.
pub enum SavedNode<'a> {
    Raw {
        plain: bool,
        bytes: &'a [u8],
    },
    Lzf {
        plain: bool,
        data: &'a [u8],
        len: usize,
    },
}

impl Quicklist {
    /// An empty list with `list-max-listpack-size` `fill` and
    /// `list-compress-depth` `depth`, clamped as Redis clamps them.
    pub fn new(fill: i32, depth: u32) -> Self {
        Quicklist {
            nodes: VecDeque::new(),
            count: 0,
            fill: fill.clamp(-5, FILL_MAX),
            depth: depth.min(COMPRESS_MAX),
        }
    }

    /// An empty list with `opts`.
    pub fn with_options(opts: Options) -> Self {
        Self::new(opts.fill, opts.depth)
    }

    /// A copy as COPY makes it (`quicklistDup`): the same nodes, compressed
    /// or not, linked one by one into a list with the same options.
    pub fn duplicate(&self) -> Quicklist {
        let mut copy = Quicklist::new(self.fill, self.depth);
        for node in &self.nodes {
            let mut node = node.clone();
            node.recompress = false;
            node.dont_compress = false;
            copy.append_node(node);
        }
        copy
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The node figures `DEBUG OBJECT` reports.
    pub fn stats(&self) -> Stats {
        Stats {
            nodes: self.nodes.len(),
            count: self.count,
            fill: self.fill,
            depth: self.depth,
            uncompressed: self.nodes.iter().map(|n| n.sz).sum(),
        }
    }

    /// Heap bytes owned, for memory accounting.
    pub fn heap_size(&self) -> usize {
        self.nodes.capacity() * std::mem::size_of::<Node>()
            + self.nodes.iter().map(Node::heap_size).sum::<usize>()
    }

    /// Redis's `quicklistRepr` of the list, the text `DEBUG QUICKLIST`
    /// prints on standard output; `full` adds each node's elements.
    pub fn repr(&self, full: bool) -> String {
        use std::fmt::Write as _;
        let mut out = format!(
            "{{count : {}}}\n{{len : {}}}\n{{fill : {}}}\n{{compress : {}}}\n{{bookmark_count : 0}}\n",
            self.count,
            self.nodes.len(),
            self.fill,
            self.depth
        );
        for (i, n) in self.nodes.iter().enumerate() {
            let _ = writeln!(
                out,
                "{{quicklist node({i})\n{{container : {}, encoding: {}, size: {}, count: {}, recompress: {}, attempted_compress: 0}}",
                if n.plain { "PLAIN" } else { "PACKED" },
                if n.is_compressed() { "LZF" } else { "RAW" },
                n.sz,
                n.count,
                u8::from(n.recompress),
            );
            if full {
                view(n, |v| match v {
                    View::Packed(lp) => {
                        out.push_str("{ listpack:\n");
                        for e in lp.iter() {
                            let _ = writeln!(out, "{:?}", String::from_utf8_lossy(&e.to_vec()));
                        }
                        out.push_str("}\n");
                    }
                    View::Plain(b) => {
                        let _ = writeln!(out, "{{ entry : {} }}", String::from_utf8_lossy(b));
                    }
                });
                out.push_str("}\n");
            }
        }
        out
    }

    /// The nodes as RDB saves them, head first.
    pub fn saved_nodes(&self) -> impl Iterator<Item = SavedNode<'_>> {
        self.nodes.iter().map(|n| match &n.data {
            Data::Lzf(z) => SavedNode::Lzf {
                plain: n.plain,
                data: z,
                len: n.sz,
            },
            Data::Packed(lp) => SavedNode::Raw {
                plain: false,
                bytes: lp.as_bytes(),
            },
            Data::Plain(b) => SavedNode::Raw {
                plain: true,
                bytes: b,
            },
        })
    }

    // ---- compression ---------------------------------------------------

    /// Compresses an expanded node if it is big enough and compresses well
    /// (`__quicklistCompressNode`).
    fn compress_node(&mut self, i: usize) {
        let Some(node) = self.nodes.get_mut(i) else {
            return;
        };
        if node.is_compressed() || node.dont_compress {
            return;
        }
        node.recompress = false;
        if node.sz < MIN_COMPRESS_BYTES {
            return;
        }
        let Some(packed) = node.raw_bytes().and_then(|b| lzf::compress(b, node.sz)) else {
            return;
        };
        if packed.len() + MIN_COMPRESS_IMPROVE >= node.sz {
            return;
        }
        node.data = Data::Lzf(packed.into_boxed_slice());
    }

    /// Expands a compressed node (`__quicklistDecompressNode`).
    fn decompress_node(&mut self, i: usize) {
        let Some(node) = self.nodes.get_mut(i) else {
            return;
        };
        let Data::Lzf(z) = &node.data else {
            return;
        };
        node.recompress = false;
        let raw = lzf::decompress(z, node.sz).unwrap_or_default();
        node.data = if node.plain {
            Data::Plain(raw.into_boxed_slice())
        } else {
            Data::Packed(Listpack::from_trusted(raw))
        };
    }

    /// Expands a node for an operation, to be compressed again after it
    /// (`quicklistDecompressNodeForUse`).
    fn decompress_for_use(&mut self, i: usize) {
        if self.nodes.get(i).is_some_and(Node::is_compressed) {
            self.decompress_node(i);
            if let Some(node) = self.nodes.get_mut(i) {
                node.recompress = true;
            }
        }
    }

    /// Keeps the nodes within `depth` of both ends expanded and compresses
    /// the first ones past it and `node` (`__quicklistCompress`).
    fn compress_around(&mut self, node: Option<usize>) {
        let len = self.nodes.len();
        let depth = self.depth as usize;
        if len == 0 || depth == 0 || len < depth * 2 {
            return;
        }
        let (mut forward, mut reverse) = (0, len - 1);
        let mut in_depth = false;
        for _ in 0..depth {
            self.decompress_node(forward);
            self.decompress_node(reverse);
            if Some(forward) == node || Some(reverse) == node {
                in_depth = true;
            }
            if forward == reverse || forward + 1 == reverse {
                return;
            }
            forward += 1;
            reverse -= 1;
        }
        if !in_depth {
            if let Some(n) = node {
                self.compress_node(n);
            }
        }
        self.compress_node(forward);
        self.compress_node(reverse);
    }

    /// Compresses a node after use: at once if an operation expanded it,
    /// otherwise if it lies past the depth (`quicklistCompress`).
    fn compress(&mut self, i: usize) {
        if self.nodes.get(i).is_some_and(|n| n.recompress) {
            self.compress_node(i);
        } else {
            self.compress_around(Some(i));
        }
    }

    /// `quicklistRecompressOnly`.
    fn recompress_only(&mut self, i: usize) {
        if self.nodes.get(i).is_some_and(|n| n.recompress) {
            self.compress_node(i);
        }
    }

    // ---- node insertion and removal -----------------------------------

    /// Links `new` next to node `old` (`__quicklistInsertNode`); returns
    /// the new node's index (`old` moves up one when `new` goes before it).
    fn insert_node(&mut self, old: Option<usize>, new: Node, after: bool) -> usize {
        let (at, old_now) = match old {
            None => (self.nodes.len(), None),
            Some(o) if after => (o + 1, Some(o)),
            Some(o) => (o, Some(o + 1)),
        };
        let at = at.min(self.nodes.len());
        self.nodes.insert(at, new);
        if let Some(o) = old_now {
            self.compress(o);
        }
        self.compress(at);
        at
    }

    /// Appends a whole node at the tail, as loading and copying build lists
    /// (`quicklistAppendListpack`, `quicklistAppendPlainNode`).
    fn append_node(&mut self, node: Node) {
        self.count += node.count;
        let last = self.nodes.len().checked_sub(1);
        self.insert_node(last, node, true);
    }

    /// Appends a listpack as a node of its own, if it has elements.
    pub fn append_listpack(&mut self, lp: Listpack) {
        if !lp.is_empty() {
            self.append_node(Node::packed(lp));
        }
    }

    /// Appends a plain node holding `value`.
    pub fn append_plain(&mut self, value: &[u8]) {
        self.append_node(Node::plain(value));
    }

    /// Unlinks and drops node `i` (`__quicklistDelNode`).
    fn del_node(&mut self, i: usize) {
        if let Some(node) = self.nodes.remove(i) {
            self.count -= node.count;
        }
        self.compress_around(None);
    }

    /// Deletes the element at byte position `pos` of node `i`
    /// (`quicklistDelIndex`); true if the node went with it.
    fn del_index(&mut self, i: usize, pos: usize) -> bool {
        let Some(node) = self.nodes.get_mut(i) else {
            return false;
        };
        if node.plain {
            self.del_node(i);
            return true;
        }
        if let Some(lp) = node.lp_mut() {
            lp.delete(pos);
        }
        node.count = node.count.saturating_sub(1);
        let gone = node.count == 0;
        if gone {
            self.del_node(i);
        } else {
            node.update_sz();
        }
        self.count -= 1;
        gone
    }

    fn insert_plain_node(&mut self, old: Option<usize>, value: &[u8], after: bool) {
        self.insert_node(old, Node::plain(value), after);
        self.count += 1;
    }

    // ---- pushes and pops -------------------------------------------------

    /// Adds `value` at one end (`quicklistPushHead` / `quicklistPushTail`).
    pub fn push(&mut self, value: &[u8], at: Where) {
        let end = match at {
            Where::Head => 0,
            Where::Tail => self.nodes.len().saturating_sub(1),
        };
        let current = (!self.nodes.is_empty()).then_some(end);
        let after = at == Where::Tail;
        if is_large(value.len()) {
            self.insert_plain_node(current, value, after);
            return;
        }
        if allow_insert(self.nodes.get(end), self.fill, value.len()) {
            // Both ends stay expanded; expanding again is only a safeguard.
            self.decompress_node(end);
            if let Some(node) = self.nodes.get_mut(end) {
                if let Some(lp) = node.lp_mut() {
                    match at {
                        Where::Head => lp.push_front(value),
                        Where::Tail => lp.push_back(value),
                    };
                }
                node.count += 1;
                node.update_sz();
            }
        } else {
            // The end node is full: give back what its buffer grew beyond
            // it (up to half again, growing by doubling), once per node.
            if let Some(lp) = self.nodes.get_mut(end).and_then(Node::lp_mut) {
                lp.shrink_to_fit();
            }
            let mut lp = Listpack::new();
            lp.push_front(value);
            self.insert_node(current, Node::packed(lp), after);
        }
        self.count += 1;
    }

    /// Removes the element at one end and hands it to `f` (`quicklistPopCustom`).
    pub fn pop_with<R>(&mut self, at: Where, f: impl FnOnce(Entry<'_>) -> R) -> Option<R> {
        let i = match at {
            Where::Head => 0,
            Where::Tail => self.nodes.len().checked_sub(1)?,
        };
        self.decompress_node(i);
        let node = self.nodes.get(i)?;
        let (result, pos) = match &node.data {
            Data::Plain(b) => (f(Entry::Str(b)), 0),
            Data::Packed(lp) => {
                let pos = match at {
                    Where::Head => lp.first(),
                    Where::Tail => lp.last(),
                }?;
                (f(lp.get(pos)?), pos)
            }
            Data::Lzf(_) => return None,
        };
        self.del_index(i, pos);
        Some(result)
    }

    /// Removes and returns the element at one end.
    pub fn pop(&mut self, at: Where) -> Option<Vec<u8>> {
        self.pop_with(at, |e| e.to_vec())
    }

    // ---- positions -----------------------------------------------------

    /// The node holding element `idx` (negative from the tail) and the
    /// element's offset in it, negative for a negative `idx` as Redis's
    /// iterator keeps it (`quicklistGetIteratorAtIdx`).
    fn locate(&self, idx: i64) -> Option<(usize, i64)> {
        let forward = idx >= 0;
        let index = if forward {
            idx as u64
        } else {
            (-(idx + 1)) as u64
        };
        if index >= self.count as u64 {
            return None;
        }
        let index = index as usize;
        let from_head = if forward {
            index
        } else {
            self.count - 1 - index
        };
        let (ni, start) = self.node_of(from_head)?;
        let node = self.nodes.get(ni)?;
        let offset = (from_head - start) as i64;
        Some((
            ni,
            if forward {
                offset
            } else {
                offset - node.count as i64
            },
        ))
    }

    /// The node holding element `pos` (0 at the head) and the position of
    /// its first element, walking from the nearer end.
    fn node_of(&self, pos: usize) -> Option<(usize, usize)> {
        if pos >= self.count {
            return None;
        }
        if pos <= (self.count - 1) / 2 {
            let mut start = 0;
            for (i, n) in self.nodes.iter().enumerate() {
                if start + n.count > pos {
                    return Some((i, start));
                }
                start += n.count;
            }
            None
        } else {
            let mut end = self.count;
            for (i, n) in self.nodes.iter().enumerate().rev() {
                let start = end - n.count;
                if start <= pos {
                    return Some((i, start));
                }
                end = start;
            }
            None
        }
    }

    /// Byte position of the element `offset` (negative from the end) of a
    /// packed node.
    fn seek_in(&self, i: usize, offset: i64) -> Option<usize> {
        match &self.nodes.get(i)?.data {
            Data::Packed(lp) => lp.seek(offset),
            _ => Some(0),
        }
    }

    // ---- reads ---------------------------------------------------------

    /// Calls `f` with the element at `index` (negative from the tail).
    pub fn with_index<R>(&self, index: i64, f: impl FnOnce(Entry<'_>) -> R) -> Option<R> {
        let (ni, offset) = self.locate(index)?;
        view(self.nodes.get(ni)?, |v| match v {
            View::Packed(lp) => lp.get_index(offset).map(f),
            View::Plain(b) => Some(f(Entry::Str(b))),
        })
    }

    /// Calls `f` with the elements from position `from` (0 at the head)
    /// towards the tail, or towards the head when `reverse`, until `f`
    /// returns false or the list ends.
    pub fn visit(&self, from: usize, reverse: bool, mut f: impl FnMut(Entry<'_>) -> bool) {
        let Some((first, start)) = self.node_of(from) else {
            return;
        };
        let mut offset = from - start;
        let mut i = first;
        loop {
            let Some(node) = self.nodes.get(i) else {
                return;
            };
            let go_on = view(node, |v| match v {
                View::Plain(b) => f(Entry::Str(b)),
                View::Packed(lp) => {
                    let Some(pos) = lp.seek(offset as i64) else {
                        return true;
                    };
                    if reverse {
                        lp.iter_to(pos).rev().all(&mut f)
                    } else {
                        lp.iter_from(pos).all(&mut f)
                    }
                }
            });
            if !go_on {
                return;
            }
            if reverse {
                let Some(prev) = i.checked_sub(1) else {
                    return;
                };
                i = prev;
                offset = self.nodes.get(i).map_or(0, |n| n.count.saturating_sub(1));
            } else {
                i += 1;
                offset = 0;
            }
        }
    }

    /// Calls `f` with every element, head to tail.
    pub fn for_each(&self, mut f: impl FnMut(Entry<'_>)) {
        self.visit(0, false, |e| {
            f(e);
            true
        });
    }

    // ---- changes in the middle -------------------------------------------

    /// Splits node `i` at `offset` (`_quicklistSplitNode`): with `after`
    /// the node keeps `[0, offset]` and the returned node takes the rest;
    /// otherwise the returned node takes `[0, offset)`.
    fn split_node(&mut self, i: usize, offset: usize, after: bool) -> Option<Node> {
        let node = self.nodes.get_mut(i)?;
        let lp = node.lp_mut()?;
        let mut other = lp.clone();
        let offset = offset as i64;
        let (orig_start, orig_extent) = if after {
            (offset + 1, usize::MAX)
        } else {
            (0, offset as usize)
        };
        let (new_start, new_extent) = if after {
            (0, offset as usize + 1)
        } else {
            (offset, usize::MAX)
        };
        lp.delete_range(orig_start, orig_extent);
        node.count = lp.len();
        node.update_sz();
        other.delete_range(new_start, new_extent);
        Some(Node::packed(other))
    }

    /// Merges node `b` into node `a`, its left neighbour
    /// (`_quicklistListpackMerge`); returns the merged node's index.
    fn merge_pair(&mut self, a: usize) -> usize {
        let b = a + 1;
        self.decompress_node(a);
        self.decompress_node(b);
        let Some(right) = self.nodes.remove(b) else {
            return a;
        };
        if let (Some(node), Data::Packed(rlp)) = (self.nodes.get_mut(a), &right.data) {
            if let Some(lp) = node.lp_mut() {
                lp.append_listpack(rlp);
            }
            node.count += right.count;
            node.update_sz();
        }
        self.compress_around(None);
        self.compress(a);
        a
    }

    fn node_at(&self, i: Option<usize>) -> Option<&Node> {
        i.and_then(|i| self.nodes.get(i))
    }

    /// Merges what fits around node `center` after a split
    /// (`_quicklistMergeNodes`).
    fn merge_nodes(&mut self, mut center: usize) {
        let fill = self.fill;
        let prev = center.checked_sub(1);
        let prev_prev = center.checked_sub(2);
        if allow_merge(self.node_at(prev), self.node_at(prev_prev), fill) {
            if let Some(pp) = prev_prev {
                self.merge_pair(pp);
                center -= 1;
            }
        }
        let (next, next_next) = (Some(center + 1), Some(center + 2));
        if allow_merge(self.node_at(next), self.node_at(next_next), fill) {
            self.merge_pair(center + 1);
        }
        let target = match center.checked_sub(1) {
            Some(p) if allow_merge(self.node_at(Some(center)), self.node_at(Some(p)), fill) => {
                self.merge_pair(p)
            }
            _ => center,
        };
        if allow_merge(
            self.node_at(Some(target)),
            self.node_at(Some(target + 1)),
            fill,
        ) {
            self.merge_pair(target);
        }
    }

    /// Inserts `value` before or after the element at `offset` (from the
    /// node's head) of node `i` (`_quicklistInsert`).
    fn insert_at(&mut self, i: usize, offset: usize, value: &[u8], after: bool) {
        let fill = self.fill;
        let sz = value.len();
        let Some(node) = self.nodes.get(i) else {
            return;
        };
        let full = !allow_insert(Some(node), fill, sz);
        let node_plain = node.plain;
        let at_tail = after && offset + 1 == node.count;
        let at_head = !after && offset == 0;
        let avail_next = at_tail && allow_insert(self.nodes.get(i + 1), fill, sz);
        let avail_prev =
            at_head && allow_insert(i.checked_sub(1).and_then(|p| self.nodes.get(p)), fill, sz);

        if is_large(sz) {
            if node_plain || at_tail || at_head {
                self.insert_plain_node(Some(i), value, after);
            } else {
                self.decompress_for_use(i);
                let Some(new) = self.split_node(i, offset, after) else {
                    return;
                };
                let p = self.insert_node(Some(i), Node::plain(value), after);
                self.insert_node(Some(p), new, after);
                self.count += 1;
            }
            return;
        }

        if !full {
            self.decompress_for_use(i);
            let pos = self.seek_in(i, offset as i64);
            if let (Some(node), Some(pos)) = (self.nodes.get_mut(i), pos) {
                if let Some(lp) = node.lp_mut() {
                    if after {
                        lp.insert_after(pos, value);
                    } else {
                        lp.insert_before(pos, value);
                    }
                }
                node.count += 1;
                node.update_sz();
            }
            self.recompress_only(i);
        } else if (at_tail && avail_next) || (at_head && avail_prev) {
            let n = if after { i + 1 } else { i - 1 };
            self.decompress_for_use(n);
            if let Some(node) = self.nodes.get_mut(n) {
                if let Some(lp) = node.lp_mut() {
                    if after {
                        lp.push_front(value);
                    } else {
                        lp.push_back(value);
                    }
                }
                node.count += 1;
                node.update_sz();
            }
            self.recompress_only(n);
            self.recompress_only(i);
        } else if at_tail || at_head {
            let mut lp = Listpack::new();
            lp.push_front(value);
            self.insert_node(Some(i), Node::packed(lp), after);
        } else {
            self.decompress_for_use(i);
            let Some(mut new) = self.split_node(i, offset, after) else {
                return;
            };
            if let Some(lp) = new.lp_mut() {
                if after {
                    lp.push_front(value);
                } else {
                    lp.push_back(value);
                }
            }
            new.count += 1;
            new.update_sz();
            let n = self.insert_node(Some(i), new, after);
            let center = if after { i } else { n + 1 };
            self.merge_nodes(center);
        }
        self.count += 1;
    }

    /// Inserts `value` before or after the first element equal to `pivot`
    /// (LINSERT); false if there is none.
    pub fn insert_at_pivot(&mut self, pivot: &[u8], value: &[u8], after: bool) -> bool {
        let mut i = 0;
        while i < self.nodes.len() {
            self.decompress_for_use(i);
            let found = self.nodes.get(i).and_then(|n| match &n.data {
                Data::Plain(b) => (**b == *pivot).then_some(0),
                Data::Packed(lp) => lp.iter().position(|e| e.eq_bytes(pivot)),
                Data::Lzf(_) => None,
            });
            if let Some(offset) = found {
                self.insert_at(i, offset, value, after);
                return true;
            }
            self.compress(i);
            i += 1;
        }
        false
    }

    /// Replaces the element at `index` (LSET, `quicklistReplaceEntry`);
    /// false if there is no such element.
    pub fn replace_at(&mut self, index: i64, value: &[u8]) -> bool {
        let Some((i, offset)) = self.locate(index) else {
            return false;
        };
        self.decompress_for_use(i);
        let Some(node) = self.nodes.get(i) else {
            return false;
        };
        let offset = if offset < 0 {
            offset + node.count as i64
        } else {
            offset
        } as usize;
        let large = is_large(value.len());
        if !node.plain && !large {
            let pos = self.seek_in(i, offset as i64);
            if let (Some(node), Some(pos)) = (self.nodes.get_mut(i), pos) {
                if let Some(lp) = node.lp_mut() {
                    lp.replace(pos, value);
                }
                node.update_sz();
            }
            self.compress(i);
        } else if node.plain {
            if large {
                if let Some(node) = self.nodes.get_mut(i) {
                    node.data = Data::Plain(value.into());
                    node.sz = value.len();
                }
                self.compress(i);
            } else {
                self.insert_at(i, 0, value, true);
                self.del_node(i);
            }
        } else {
            if let Some(node) = self.nodes.get_mut(i) {
                node.dont_compress = true;
            }
            self.insert_at(i, offset, value, true);
            if self.nodes.get(i).is_some_and(|n| n.count == 1) {
                self.del_node(i);
            } else {
                if let Some(pos) = self.seek_in(i, -1) {
                    self.del_index(i, pos);
                }
                if let Some(node) = self.nodes.get_mut(i) {
                    node.dont_compress = false;
                }
                self.compress(i);
                self.compress(i + 1);
            }
        }
        true
    }

    /// Deletes `count` elements from `start` (negative from the tail),
    /// as `quicklistDelRange` does.
    pub fn del_range(&mut self, start: i64, count: i64) {
        if count <= 0 {
            return;
        }
        let total = self.count as i64;
        let mut extent = count as u64;
        if start >= 0 && start <= total && extent > (total - start) as u64 {
            extent = (total - start) as u64;
        } else if start < 0 && extent > start.unsigned_abs() {
            extent = start.unsigned_abs();
        }
        let Some((mut i, mut offset)) = self.locate(start) else {
            return;
        };
        // Redis releases the iterator that found the start here.
        self.compress(i);
        while extent > 0 {
            let Some(node) = self.nodes.get(i) else {
                return;
            };
            let node_count = node.count as u64;
            let mut delete_node = false;
            let del = if offset == 0 && extent >= node_count {
                delete_node = true;
                node_count
            } else if offset >= 0 && extent + offset as u64 >= node_count {
                node_count - offset as u64
            } else if offset < 0 {
                offset.unsigned_abs().min(extent)
            } else {
                extent
            };
            if delete_node || node.plain {
                self.del_node(i);
            } else {
                self.decompress_for_use(i);
                let mut emptied = false;
                if let Some(node) = self.nodes.get_mut(i) {
                    if let Some(lp) = node.lp_mut() {
                        lp.delete_range(offset, del as usize);
                    }
                    node.update_sz();
                    node.count = node.count.saturating_sub(del as usize);
                    emptied = node.count == 0;
                }
                self.count = self.count.saturating_sub(del as usize);
                if emptied {
                    self.del_node(i);
                } else {
                    self.recompress_only(i);
                    i += 1;
                }
            }
            extent = extent.saturating_sub(del);
            offset = 0;
        }
    }

    /// Removes elements equal to `value` (LREM): up to `limit` of them (0:
    /// all), from the tail when `from_tail`. Walks as Redis's iterator
    /// walks, expanding each node on the way and compressing it after.
    pub fn remove(&mut self, value: &[u8], limit: u64, from_tail: bool) -> u64 {
        let mut removed = 0u64;
        let mut cur = if from_tail {
            self.nodes.len().checked_sub(1)
        } else {
            (!self.nodes.is_empty()).then_some(0)
        };
        let mut offset: i64 = if from_tail { -1 } else { 0 };
        while let Some(i) = cur {
            self.decompress_for_use(i);
            // Matches in this node, found from where the walk stands.
            let hit = self.nodes.get(i).and_then(|n| match &n.data {
                Data::Plain(b) => (**b == *value).then_some(0),
                Data::Packed(lp) => find_from(lp, offset, from_tail, value),
                Data::Lzf(_) => None,
            });
            let Some(found) = hit else {
                self.compress(i);
                cur = if from_tail {
                    i.checked_sub(1)
                } else {
                    (i + 1 < self.nodes.len()).then_some(i + 1)
                };
                offset = if from_tail { -1 } else { 0 };
                continue;
            };
            let pos = self.seek_in(i, found);
            let gone = pos.is_some_and(|p| self.del_index(i, p));
            removed += 1;
            if gone {
                cur = if from_tail {
                    i.checked_sub(1)
                } else {
                    (i < self.nodes.len()).then_some(i)
                };
                offset = if from_tail { -1 } else { 0 };
            } else {
                offset = found;
            }
            if limit != 0 && removed == limit {
                break;
            }
        }
        if let Some(i) = cur {
            self.compress(i);
        }
        removed
    }
}

/// Offset (in the walk's sign) of the first element equal to `value` at or
/// beyond `offset`, walking towards the head when `from_tail`.
fn find_from(lp: &Listpack, offset: i64, from_tail: bool, value: &[u8]) -> Option<i64> {
    let pos = lp.seek(offset)?;
    if from_tail {
        let n = lp.iter_to(pos).rev().position(|e| e.eq_bytes(value))?;
        Some(offset - n as i64)
    } else {
        let n = lp.iter_from(pos).position(|e| e.eq_bytes(value))?;
        Some(offset + n as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(q: &Quicklist) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        q.for_each(|e| out.push(e.to_vec()));
        out
    }

    fn list(fill: i32, depth: u32, n: usize) -> Quicklist {
        let mut q = Quicklist::new(fill, depth);
        for i in 0..n {
            q.push(format!("element-{i}").as_bytes(), Where::Tail);
        }
        q
    }

    #[test]
    fn pushes_fill_nodes_by_count() {
        let q = list(4, 0, 10);
        assert_eq!(q.stats().nodes, 3);
        assert_eq!(q.len(), 10);
        assert_eq!(items(&q)[9], b"element-9");
    }

    #[test]
    fn pops_from_both_ends_and_drop_empty_nodes() {
        let mut q = list(2, 0, 5);
        assert_eq!(q.pop(Where::Head).as_deref(), Some(&b"element-0"[..]));
        assert_eq!(q.pop(Where::Tail).as_deref(), Some(&b"element-4"[..]));
        assert_eq!(q.stats().nodes, 2);
        assert_eq!(q.len(), 3);
    }

    #[test]
    fn compressed_interior_reads_back() {
        let q = list(-1, 1, 3000);
        assert!(q
            .nodes
            .iter()
            .skip(1)
            .take(q.nodes.len() - 2)
            .all(Node::is_compressed));
        assert!(!q.nodes[0].is_compressed());
        let all = items(&q);
        assert_eq!(all.len(), 3000);
        assert_eq!(all[1500], b"element-1500");
        assert_eq!(q.with_index(-1, |e| e.to_vec()).unwrap(), b"element-2999");
    }

    #[test]
    fn inserts_split_and_merge_keep_order() {
        let mut q = list(4, 1, 12);
        assert!(q.insert_at_pivot(b"element-5", b"x", true));
        assert!(q.insert_at_pivot(b"element-0", b"y", false));
        assert!(!q.insert_at_pivot(b"nope", b"z", false));
        let all = items(&q);
        assert_eq!(all[0], b"y");
        assert_eq!(all[7], b"x");
        assert_eq!(q.len(), 14);
        assert_eq!(q.nodes.iter().map(|n| n.count).sum::<usize>(), 14);
    }

    #[test]
    fn ranges_and_removal() {
        let mut q = list(3, 0, 20);
        q.del_range(2, 5);
        q.del_range(-3, 3);
        assert_eq!(q.len(), 12);
        let all = items(&q);
        assert_eq!(all[2], b"element-7");
        assert_eq!(all[11], b"element-16");
        q.push(b"element-7", Where::Head);
        assert_eq!(q.remove(b"element-7", 0, true), 2);
        assert_eq!(q.len(), 11);
    }

    #[test]
    fn replace_with_a_large_element_makes_a_plain_node() {
        let mut q = list(-2, 0, 10);
        let old = PACKED_THRESHOLD.load(Ordering::Relaxed);
        let big = vec![b'z'; 100];
        // Only this test changes the threshold, and only for lengths no other test uses.
        PACKED_THRESHOLD.store(100, Ordering::Relaxed);
        assert!(q.replace_at(4, &big));
        PACKED_THRESHOLD.store(old, Ordering::Relaxed);
        assert_eq!(q.stats().nodes, 3);
        assert_eq!(items(&q)[4], big);
        assert_eq!(q.len(), 10);
    }
}
