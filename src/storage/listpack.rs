//! Redis 7.0's listpack, byte for byte: the compact sequence of strings and
//! integers that small lists (as quicklist nodes), small hashes and, later,
//! sorted sets and stream nodes are stored in.
//!
//! Why byte-exact: RDB files and DUMP payloads carry a listpack as one opaque
//! string. If we build the same bytes Redis builds for the same operations,
//! those payloads copy through unchanged in both directions and compare equal
//! to what a real Redis writes. That means choosing the encoding for every
//! element exactly as `lpEncodeGetType` does (a string that strictly parses
//! as an `i64` is stored as the smallest integer encoding, anything else as
//! the smallest string encoding), writing backlens with Redis's boundaries,
//! and updating the header count the way Redis does.
//!
//! Layout: a 6-byte header (total bytes `u32` LE, element count `u16` LE,
//! 65535 meaning "too many, count them"), the entries, and a 0xFF
//! terminator. Each entry is its encoding byte(s) and data followed by a
//! backlen: the size of encoding and data in 7-bit groups, readable from its
//! last byte backwards, which is what makes walking from the tail possible.
//!
//! Positions handed out by [`Listpack::first`], [`Listpack::next`],
//! [`Listpack::seek`] and friends are byte offsets of an entry's first byte.
//! A mutation invalidates every position except the one it returns. A
//! position outside the entries is refused (the mutation returns None and
//! changes nothing); a stale one inside them can't make a read leave the
//! buffer, but may name the wrong element, as a stale pointer in Redis would.
//!
//! Every read goes through `.get()`: a buffer only becomes a [`Listpack`]
//! after [`validate`] accepted it, but a bug or a stale position must still
//! end in a wrong answer rather than an out-of-bounds read.

#![deny(clippy::indexing_slicing)]

use std::borrow::Cow;
use std::fmt;

use super::blob::Blob;
use crate::protocol::parser::parse_i64_strict;
pub use crate::protocol::reply::format_i64;

/// Size of the header: total bytes (`u32`) and element count (`u16`).
pub const HEADER_SIZE: usize = 6;
/// The terminator byte, also never the first byte of an entry.
pub const EOF: u8 = 0xFF;
/// Header count meaning the real count is 65535 or more and must be counted.
pub const COUNT_UNKNOWN: u16 = u16::MAX;
/// Callers refuse to grow a listpack past this (Redis's
/// `LISTPACK_MAX_SAFETY_SIZE`), which keeps the `u32` total far from overflow.
pub const MAX_SAFETY_SIZE: usize = 1 << 30;

/// Room for the decimal form of any `i64` ("-9223372036854775808").
pub type IntBuf = [u8; 20];

const ENC_6BIT_STR: u8 = 0x80;
const ENC_13BIT_INT: u8 = 0xC0;
const ENC_12BIT_STR: u8 = 0xE0;
const ENC_32BIT_STR: u8 = 0xF0;
const ENC_16BIT_INT: u8 = 0xF1;
const ENC_24BIT_INT: u8 = 0xF2;
const ENC_32BIT_INT: u8 = 0xF3;
const ENC_64BIT_INT: u8 = 0xF4;

/// One element as stored: a string borrowed from the buffer, or an integer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry<'a> {
    /// Stored with a string encoding.
    Str(&'a [u8]),
    /// Stored with an integer encoding.
    Int(i64),
}

impl<'a> Entry<'a> {
    /// The element as bytes, rendering an integer into `buf` (no allocation).
    pub fn as_bytes<'b>(self, buf: &'b mut IntBuf) -> &'b [u8]
    where
        'a: 'b,
    {
        match self {
            Entry::Str(s) => s,
            Entry::Int(v) => format_i64(v, buf),
        }
    }

    /// The element as an owned byte string.
    pub fn to_vec(&self) -> Vec<u8> {
        let mut buf = IntBuf::default();
        self.as_bytes(&mut buf).to_vec()
    }

    /// Whether the element equals `s` as a byte string. An integer equals
    /// exactly the strings that strictly parse to it, which is the same as
    /// comparing its decimal form, without rendering it.
    pub fn eq_bytes(&self, s: &[u8]) -> bool {
        match *self {
            Entry::Str(v) => v == s,
            Entry::Int(v) => parse_i64_strict(s) == Some(v),
        }
    }
}

/// Why a buffer is not a valid encoding, and where the problem was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Corrupt {
    /// Byte offset of the offending header field or entry.
    pub offset: usize,
    /// What is wrong there.
    pub reason: &'static str,
}

impl fmt::Display for Corrupt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "corrupt encoding at byte {}: {}",
            self.offset, self.reason
        )
    }
}

impl std::error::Error for Corrupt {}

fn corrupt(offset: usize, reason: &'static str) -> Corrupt {
    Corrupt { offset, reason }
}

/// An element's encoding and data, ready to be written: the encoding (or the
/// whole integer) in `head`, and for strings the bytes in `data`.
struct Encoded<'s> {
    head: [u8; 9],
    head_len: usize,
    data: &'s [u8],
}

impl Encoded<'_> {
    fn len(&self) -> usize {
        self.head_len + self.data.len()
    }
}

/// The smallest integer encoding of `v`, as `lpEncodeIntegerGetType` picks it.
fn encode_int(v: i64) -> Encoded<'static> {
    let mut head = [0u8; 9];
    let le = v.to_le_bytes();
    let head_len = if (0..=127).contains(&v) {
        head = [v as u8, 0, 0, 0, 0, 0, 0, 0, 0];
        1
    } else if (-4096..=4095).contains(&v) {
        // Two's complement in 13 bits.
        let u = (v as u64) & 0x1FFF;
        head[0] = ENC_13BIT_INT | (u >> 8) as u8;
        head[1] = u as u8;
        2
    } else if (-32768..=32767).contains(&v) {
        head[0] = ENC_16BIT_INT;
        head[1..3].copy_from_slice(&le[..2]);
        3
    } else if (-8_388_608..=8_388_607).contains(&v) {
        head[0] = ENC_24BIT_INT;
        head[1..4].copy_from_slice(&le[..3]);
        4
    } else if (-2_147_483_648..=2_147_483_647).contains(&v) {
        head[0] = ENC_32BIT_INT;
        head[1..5].copy_from_slice(&le[..4]);
        5
    } else {
        head[0] = ENC_64BIT_INT;
        head[1..9].copy_from_slice(&le);
        9
    };
    Encoded {
        head,
        head_len,
        data: &[],
    }
}

/// How `lpEncodeGetType` stores `s`: as an integer if it is the canonical
/// decimal form of one, otherwise as the smallest string encoding.
fn encode_element(s: &[u8]) -> Encoded<'_> {
    if let Some(v) = parse_i64_strict(s) {
        return encode_int(v);
    }
    let mut head = [0u8; 9];
    let len = s.len();
    let head_len = if len < 64 {
        head[0] = ENC_6BIT_STR | len as u8;
        1
    } else if len < 4096 {
        head[0] = ENC_12BIT_STR | (len >> 8) as u8;
        head[1] = len as u8;
        2
    } else {
        head[0] = ENC_32BIT_STR;
        head[1..5].copy_from_slice(&(len as u32).to_le_bytes());
        5
    };
    Encoded {
        head,
        head_len,
        data: s,
    }
}

/// Bytes `s` takes as an element: encoding, data and backlen.
pub fn element_size(s: &[u8]) -> usize {
    let len = encode_element(s).len();
    len + backlen_size(len)
}

/// Bytes the backlen of an entry of `l` encoded bytes takes. The boundaries
/// are Redis's, including its `<` where `<=` would also fit (16383 and
/// 2097151 take one byte more than needed): byte-exactness needs them.
fn backlen_size(l: usize) -> usize {
    if l <= 127 {
        1
    } else if l < 16383 {
        2
    } else if l < 2_097_151 {
        3
    } else if l < 268_435_455 {
        4
    } else {
        5
    }
}

/// Writes the backlen of `l` into `out` in storage order (most significant
/// group first, every byte but the first flagged with 0x80) and returns its size.
fn encode_backlen(l: usize, out: &mut [u8; 5]) -> usize {
    let n = backlen_size(l);
    for (i, slot) in out.iter_mut().take(n).enumerate() {
        let shift = 7 * (n - 1 - i);
        let group = ((l >> shift) & 0x7F) as u8;
        *slot = if i == 0 { group } else { group | 0x80 };
    }
    n
}

/// Reads the backlen that ends just before `end`, never looking below
/// `floor`: the encoded size of the entry it belongs to and the bytes the
/// backlen itself takes.
fn decode_backlen(buf: &[u8], end: usize, floor: usize) -> Option<(usize, usize)> {
    let mut val = 0usize;
    for n in 1..=5 {
        let at = end.checked_sub(n).filter(|&at| at >= floor)?;
        let b = *buf.get(at)?;
        val |= usize::from(b & 0x7F) << (7 * (n - 1));
        if b & 0x80 == 0 {
            return Some((val, n));
        }
    }
    None
}

fn read_le<const N: usize>(buf: &[u8], at: usize) -> Option<[u8; N]> {
    buf.get(at..at.checked_add(N)?)?.try_into().ok()
}

/// Decodes the entry starting at `pos`: the element and the size of its
/// encoding and data (the backlen follows). Reads nothing past `buf`.
fn decode(buf: &[u8], pos: usize) -> Result<(Entry<'_>, usize), &'static str> {
    const SHORT: &str = "entry runs past the end";
    let b = *buf.get(pos).ok_or(SHORT)?;
    let int = |n: usize, v: i64| Ok((Entry::Int(v), n));
    if b & 0x80 == 0 {
        return int(1, i64::from(b));
    }
    if b & 0xC0 == ENC_6BIT_STR {
        let len = usize::from(b & 0x3F);
        let data = buf.get(pos + 1..pos + 1 + len).ok_or(SHORT)?;
        return Ok((Entry::Str(data), 1 + len));
    }
    if b & 0xE0 == ENC_13BIT_INT {
        let lo = *buf.get(pos + 1).ok_or(SHORT)?;
        let u = (i64::from(b & 0x1F) << 8) | i64::from(lo);
        return int(2, if u >= 1 << 12 { u - (1 << 13) } else { u });
    }
    if b & 0xF0 == ENC_12BIT_STR {
        let lo = *buf.get(pos + 1).ok_or(SHORT)?;
        let len = (usize::from(b & 0x0F) << 8) | usize::from(lo);
        let data = buf.get(pos + 2..pos + 2 + len).ok_or(SHORT)?;
        return Ok((Entry::Str(data), 2 + len));
    }
    match b {
        ENC_32BIT_STR => {
            let len = u32::from_le_bytes(read_le::<4>(buf, pos + 1).ok_or(SHORT)?) as usize;
            let end = (pos + 5).checked_add(len).ok_or(SHORT)?;
            let data = buf.get(pos + 5..end).ok_or(SHORT)?;
            Ok((Entry::Str(data), 5 + len))
        }
        ENC_16BIT_INT => {
            let v = i16::from_le_bytes(read_le::<2>(buf, pos + 1).ok_or(SHORT)?);
            int(3, i64::from(v))
        }
        ENC_24BIT_INT => {
            let [a, b, c] = read_le::<3>(buf, pos + 1).ok_or(SHORT)?;
            // Place the 24 bits at the top of an i32 so the shift sign-extends.
            int(4, i64::from(i32::from_le_bytes([0, a, b, c]) >> 8))
        }
        ENC_32BIT_INT => {
            let v = i32::from_le_bytes(read_le::<4>(buf, pos + 1).ok_or(SHORT)?);
            int(5, i64::from(v))
        }
        ENC_64BIT_INT => int(
            9,
            i64::from_le_bytes(read_le::<8>(buf, pos + 1).ok_or(SHORT)?),
        ),
        EOF => Err("terminator where an entry belongs"),
        _ => Err("unknown encoding"),
    }
}

/// Deep check of `bytes` as a listpack, in the spirit of
/// `lpValidateIntegrity(deep=1)`: header size and count, every entry's
/// encoding and lengths inside the buffer, every backlen exactly as Redis
/// writes it, and the terminator right after the last entry. Returns the
/// element count.
///
/// Slightly stricter than Redis: its check decodes a backlen and compares
/// the value, so it would take a backlen spelled with extra continuation
/// bytes; Redis never writes one, and requiring the exact bytes keeps
/// backward walks from ever reading outside the entry.
pub fn validate(bytes: &[u8]) -> Result<usize, Corrupt> {
    validate_with(bytes, |_| true)
}

/// [`validate`], also offering every element to `check` (an RDB loader's
/// duplicate or pairing checks); `false` makes the buffer invalid.
pub fn validate_with(
    bytes: &[u8],
    mut check: impl FnMut(Entry<'_>) -> bool,
) -> Result<usize, Corrupt> {
    if bytes.len() < HEADER_SIZE + 1 {
        return Err(corrupt(0, "shorter than a header and terminator"));
    }
    let total = read_le::<4>(bytes, 0).map_or(0, u32::from_le_bytes);
    if total as usize != bytes.len() {
        return Err(corrupt(0, "total bytes in the header differ from the size"));
    }
    let eof = bytes.len() - 1;
    if bytes.get(eof) != Some(&EOF) {
        return Err(corrupt(eof, "no terminator at the end"));
    }
    // Entries must end before the terminator, so decode within what precedes it.
    let body = bytes.get(..eof).unwrap_or(&[]);
    let mut pos = HEADER_SIZE;
    let mut count = 0usize;
    while pos < eof {
        let (entry, enc) = decode(body, pos).map_err(|r| corrupt(pos, r))?;
        let mut want = [0u8; 5];
        let bl = encode_backlen(enc, &mut want);
        let back_at = pos + enc;
        let got = body
            .get(back_at..back_at + bl)
            .ok_or(corrupt(back_at, "backlen runs past the end"))?;
        if Some(got) != want.get(..bl) {
            return Err(corrupt(back_at, "backlen differs from the entry size"));
        }
        if !check(entry) {
            return Err(corrupt(pos, "entry rejected"));
        }
        count += 1;
        pos = back_at + bl;
    }
    let header = read_le::<2>(bytes, 4).map_or(0, u16::from_le_bytes);
    if header != COUNT_UNKNOWN && usize::from(header) != count {
        return Err(corrupt(
            4,
            "element count in the header differs from the entries",
        ));
    }
    Ok(count)
}

/// An owned, always valid listpack. The default, growable form holds the
/// whole encoding in a `Vec`; [`ExactListpack`] keeps only the entries, in
/// an exact-size allocation, for values kept by the million, and has every
/// read method but none that write (see [`ExactListpack::edit`]).
#[derive(Clone, PartialEq, Eq)]
pub struct Listpack<B = Vec<u8>> {
    buf: B,
}

/// A listpack without its header and terminator: the entries in a
/// [`Blob`] of exactly their size, the header's element count in the
/// blob's own field, and the total size (the entries and 7) implied. That
/// is 16 bytes beside the entries, and 7 fewer heap bytes than the
/// encoding, which is what decides the allocator's size class of a small
/// hash: a 5-field one's 47-byte encoding takes a 64-byte block, its 40
/// bytes of entries a 48-byte one. Positions are those of the whole
/// encoding, so they carry over to and from [`ExactListpack::edit`]; RDB
/// and DUMP get the whole encoding from [`Listpack::encoded`].
pub type ExactListpack = Listpack<Blob>;

/// Where a listpack's bytes live, for the methods that only read.
pub trait Storage {
    /// Leading bytes of the encoding not kept: none, or the header.
    const OMITTED: usize;
    /// The encoding from its first kept byte to the terminator, excluded.
    fn kept(&self) -> &[u8];
    /// The header's element count.
    fn header_count(&self) -> u16;
    /// The whole encoding, as RDB and DUMP carry it.
    fn encoded(&self) -> Cow<'_, [u8]>;
}

impl Storage for Vec<u8> {
    const OMITTED: usize = 0;

    fn kept(&self) -> &[u8] {
        self.get(..self.len().saturating_sub(1)).unwrap_or(&[])
    }

    fn header_count(&self) -> u16 {
        read_le::<2>(self, 4).map_or(0, u16::from_le_bytes)
    }

    fn encoded(&self) -> Cow<'_, [u8]> {
        Cow::Borrowed(self)
    }
}

impl Storage for Blob {
    const OMITTED: usize = HEADER_SIZE;

    fn kept(&self) -> &[u8] {
        self.as_slice()
    }

    fn header_count(&self) -> u16 {
        self.aux
    }

    fn encoded(&self) -> Cow<'_, [u8]> {
        let entries = self.as_slice();
        let mut out = Vec::with_capacity(entries.len() + HEADER_SIZE + 1);
        write_header(&mut out, entries.len() + HEADER_SIZE + 1, self.aux);
        out.extend_from_slice(entries);
        out.push(EOF);
        Cow::Owned(out)
    }
}

/// Appends a header for an encoding of `total` bytes and `count` elements.
fn write_header(out: &mut Vec<u8>, total: usize, count: u16) {
    // Callers keep under MAX_SAFETY_SIZE; saturating keeps a violation
    // from wrapping into a plausible small size.
    out.extend_from_slice(&u32::try_from(total).unwrap_or(u32::MAX).to_le_bytes());
    out.extend_from_slice(&count.to_le_bytes());
}

impl Default for Listpack {
    fn default() -> Self {
        Self::new()
    }
}

impl<B: Storage> fmt::Debug for Listpack<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Reads, for both forms. A position `p` is byte `p - B::OMITTED` of what
/// the storage keeps.
impl<B: Storage> Listpack<B> {
    /// The entries.
    fn body(&self) -> &[u8] {
        self.buf
            .kept()
            .get(HEADER_SIZE - B::OMITTED..)
            .unwrap_or(&[])
    }

    /// The encoded bytes, exactly what RDB and DUMP carry (built for an
    /// [`ExactListpack`], borrowed otherwise).
    pub fn encoded(&self) -> Cow<'_, [u8]> {
        self.buf.encoded()
    }

    /// Size of the encoding in bytes (the header's total).
    pub fn total_bytes(&self) -> usize {
        self.buf.kept().len() + B::OMITTED + 1
    }

    /// Whether growing by `add` bytes stays within [`MAX_SAFETY_SIZE`].
    pub fn safe_to_add(&self, add: usize) -> bool {
        self.total_bytes().saturating_add(add) <= MAX_SAFETY_SIZE
    }

    /// The element count in the header, [`COUNT_UNKNOWN`] if it is too big.
    pub fn header_count(&self) -> u16 {
        self.buf.header_count()
    }

    /// Number of elements, counting them when the header can't say.
    pub fn len(&self) -> usize {
        match self.header_count() {
            COUNT_UNKNOWN => self.iter().count(),
            n => usize::from(n),
        }
    }

    /// Whether there are no elements.
    pub fn is_empty(&self) -> bool {
        self.eof_pos() <= HEADER_SIZE
    }

    fn eof_pos(&self) -> usize {
        B::OMITTED + self.buf.kept().len()
    }

    /// The entry at `pos` and the size of its encoding and data.
    fn decode_at(&self, pos: usize) -> Option<(Entry<'_>, usize)> {
        if pos < HEADER_SIZE || pos >= self.eof_pos() {
            return None;
        }
        decode(self.buf.kept(), pos - B::OMITTED).ok()
    }

    /// Full size (encoding, data, backlen) of the entry at `pos`, if an entry
    /// starts there.
    pub fn entry_size(&self, pos: usize) -> Option<usize> {
        let (_, enc) = self.decode_at(pos)?;
        Some(enc + backlen_size(enc))
    }

    /// The element at `pos`.
    pub fn get(&self, pos: usize) -> Option<Entry<'_>> {
        self.decode_at(pos).map(|(e, _)| e)
    }

    /// Position of the first element.
    pub fn first(&self) -> Option<usize> {
        (!self.is_empty()).then_some(HEADER_SIZE)
    }

    /// Position of the last element.
    pub fn last(&self) -> Option<usize> {
        self.prev(self.eof_pos())
    }

    /// Position of the element after the one at `pos`.
    pub fn next(&self, pos: usize) -> Option<usize> {
        let next = pos + self.entry_size(pos)?;
        (next < self.eof_pos()).then_some(next)
    }

    /// Position of the element before the one at `pos` (`pos` may also be
    /// the terminator's position, giving the last element).
    pub fn prev(&self, pos: usize) -> Option<usize> {
        if pos <= HEADER_SIZE || pos > self.eof_pos() {
            return None;
        }
        let (enc, bl) =
            decode_backlen(self.buf.kept(), pos - B::OMITTED, HEADER_SIZE - B::OMITTED)?;
        pos.checked_sub(enc + bl).filter(|&p| p >= HEADER_SIZE)
    }

    /// Position of element `index`, negative counting from the end (-1 is
    /// the last). Walks from whichever end is nearer when the count is known.
    pub fn seek(&self, index: i64) -> Option<usize> {
        let n = self.header_count();
        let mut index = index;
        let forward = if n != COUNT_UNKNOWN {
            let n = i64::from(n);
            if index < 0 {
                index += n;
            }
            if index < 0 || index >= n {
                return None;
            }
            if index > n / 2 {
                index -= n;
                false
            } else {
                true
            }
        } else {
            index >= 0
        };
        if forward {
            let mut p = self.first()?;
            for _ in 0..index {
                p = self.next(p)?;
            }
            Some(p)
        } else {
            let mut p = self.last()?;
            for _ in 0..(-1 - index) {
                p = self.prev(p)?;
            }
            Some(p)
        }
    }

    /// The element at `index` (negative from the end).
    pub fn get_index(&self, index: i64) -> Option<Entry<'_>> {
        self.get(self.seek(index)?)
    }

    /// First element equal to `s` at or after `pos`, comparing one element
    /// and then skipping `skip` (1 to look at hash fields only), like `lpFind`.
    pub fn find(&self, pos: usize, s: &[u8], skip: usize) -> Option<usize> {
        let as_int = parse_i64_strict(s);
        let eof = self.eof_pos();
        let mut p = pos;
        let mut skipping = 0;
        while p >= HEADER_SIZE && p < eof {
            let (entry, enc) = decode(self.buf.kept(), p - B::OMITTED).ok()?;
            if skipping == 0 {
                let hit = match entry {
                    Entry::Str(v) => v == s,
                    Entry::Int(v) => as_int == Some(v),
                };
                if hit {
                    return Some(p);
                }
                skipping = skip;
            } else {
                skipping -= 1;
            }
            p += enc + backlen_size(enc);
        }
        None
    }

    /// Elements front to back (`.rev()` for back to front).
    pub fn iter(&self) -> Iter<'_> {
        let buf = self.body();
        Iter {
            buf,
            front: 0,
            back: buf.len(),
        }
    }

    /// Elements from the one at `pos` to the end.
    pub fn iter_from(&self, pos: usize) -> Iter<'_> {
        let buf = self.body();
        Iter {
            buf,
            front: pos.saturating_sub(HEADER_SIZE).min(buf.len()),
            back: buf.len(),
        }
    }

    /// Elements from the first up to and including the one at `pos`; with
    /// `.rev()`, from `pos` back to the first.
    pub fn iter_to(&self, pos: usize) -> Iter<'_> {
        let back = self
            .entry_size(pos)
            .map_or(0, |size| pos + size - HEADER_SIZE);
        Iter {
            buf: self.body(),
            front: 0,
            back,
        }
    }
}

/// Writes, on the growable form only.
impl Listpack {
    /// The encoded bytes, exactly what RDB and DUMP carry.
    pub fn as_bytes(&self) -> &[u8] {
        &self.buf
    }

    /// An empty listpack (7 bytes).
    pub fn new() -> Self {
        Self::with_capacity(0)
    }

    /// An empty listpack with room for `capacity` bytes in all.
    pub fn with_capacity(capacity: usize) -> Self {
        let mut buf = Vec::with_capacity(capacity.max(HEADER_SIZE + 1));
        buf.extend_from_slice(&[7, 0, 0, 0, 0, 0, EOF]);
        Listpack { buf }
    }

    /// Takes `bytes` as a listpack after a deep [`validate`].
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Self, Corrupt> {
        validate(&bytes)?;
        Ok(Listpack { buf: bytes })
    }

    /// Takes back bytes this crate encoded itself, as they left a valid
    /// listpack (a quicklist node it compressed and now expands), without
    /// validating them again. Reads stay bounds-checked whatever the bytes.
    pub(crate) fn from_trusted(bytes: Vec<u8>) -> Self {
        Listpack { buf: bytes }
    }

    /// Appends the entries of `other` (Redis's `lpMerge`): backlens describe
    /// their own entry only, so the entries move unchanged; the count
    /// saturates at [`COUNT_UNKNOWN`] as Redis's does.
    pub fn append_listpack(&mut self, other: &Listpack) {
        let count = self.len().saturating_add(other.len());
        let end = self.eof_pos();
        self.buf.truncate(end);
        self.buf
            .extend_from_slice(other.buf.get(HEADER_SIZE..).unwrap_or(&[EOF]));
        self.set_header_count(count.min(usize::from(COUNT_UNKNOWN)) as u16);
        self.sync_total();
    }

    /// The encoded bytes, by value.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    /// The same listpack in its exact form.
    pub fn into_exact(self) -> ExactListpack {
        Listpack {
            buf: Blob::new(self.body(), self.header_count()),
        }
    }

    /// Bytes allocated for the encoding, for MEMORY USAGE.
    pub fn allocated_bytes(&self) -> usize {
        self.buf.capacity()
    }

    /// Gives back allocated bytes beyond the encoding.
    pub fn shrink_to_fit(&mut self) {
        self.buf.shrink_to_fit();
    }

    /// [`Listpack::len`], also storing the count in the header when it fits
    /// again, as `lpLength` does (deletions leave an unknown count unknown).
    pub fn sync_len(&mut self) -> usize {
        let n = self.len();
        if n < usize::from(COUNT_UNKNOWN) {
            self.set_header_count(n as u16);
        }
        n
    }

    fn set_header_count(&mut self, n: u16) {
        if let Some(dst) = self.buf.get_mut(4..6) {
            dst.copy_from_slice(&n.to_le_bytes());
        }
    }

    /// Moves a known count by `delta`; an unknown count stays unknown, and
    /// reaching 65535 makes it unknown, as in `lpInsert`.
    fn adjust_count(&mut self, delta: isize) {
        let n = self.header_count();
        if n != COUNT_UNKNOWN {
            let new = (n as isize + delta).clamp(0, COUNT_UNKNOWN as isize);
            self.set_header_count(new as u16);
        }
    }

    fn sync_total(&mut self) {
        // As in write_header.
        let total = u32::try_from(self.buf.len()).unwrap_or(u32::MAX);
        if let Some(dst) = self.buf.get_mut(0..4) {
            dst.copy_from_slice(&total.to_le_bytes());
        }
    }

    /// Replaces the `remove` bytes at `at` with `new` plus its backlen.
    /// Returns false, changing nothing, when the range is not inside the
    /// entries.
    fn splice(&mut self, at: usize, remove: usize, new: Option<&Encoded<'_>>) -> bool {
        let old_len = self.buf.len();
        let end = at + remove;
        if at < HEADER_SIZE || end > self.eof_pos() {
            return false;
        }
        let mut back = [0u8; 5];
        let (enc_len, back_len) = match new {
            Some(e) => (e.len(), encode_backlen(e.len(), &mut back)),
            None => (0, 0),
        };
        let add = enc_len + back_len;
        if add > remove {
            let grow = add - remove;
            self.buf.resize(old_len + grow, 0);
            self.buf.copy_within(end..old_len, end + grow);
        } else if add < remove {
            let shrink = remove - add;
            self.buf.copy_within(end..old_len, end - shrink);
            self.buf.truncate(old_len - shrink);
        }
        if let Some(e) = new {
            let parts = [
                (at, e.head.get(..e.head_len).unwrap_or(&[])),
                (at + e.head_len, e.data),
                (at + enc_len, back.get(..back_len).unwrap_or(&[])),
            ];
            for (off, bytes) in parts {
                if let Some(dst) = self.buf.get_mut(off..off + bytes.len()) {
                    dst.copy_from_slice(bytes);
                }
            }
        }
        self.sync_total();
        true
    }

    /// Inserts before the element (or terminator) at `pos`; None, changing
    /// nothing, if `pos` is outside the entries.
    fn insert_encoded(&mut self, pos: usize, e: &Encoded<'_>) -> Option<usize> {
        if !self.splice(pos, 0, Some(e)) {
            return None;
        }
        self.adjust_count(1);
        Some(pos)
    }

    /// Inserts where insertion can't fail: at the first entry's position or
    /// the terminator's.
    fn push_encoded(&mut self, pos: usize, e: &Encoded<'_>) -> usize {
        self.insert_encoded(pos, e).unwrap_or(pos)
    }

    /// Appends `s`, stored as Redis would (integer if it strictly parses);
    /// returns its position.
    pub fn push_back(&mut self, s: &[u8]) -> usize {
        self.push_encoded(self.eof_pos(), &encode_element(s))
    }

    /// Appends the integer `v` (`lpAppendInteger`); returns its position.
    pub fn push_back_int(&mut self, v: i64) -> usize {
        self.push_encoded(self.eof_pos(), &encode_int(v))
    }

    /// Prepends `s`; its position is always the first.
    pub fn push_front(&mut self, s: &[u8]) -> usize {
        self.push_encoded(HEADER_SIZE, &encode_element(s))
    }

    /// Inserts `s` before the element at `pos` (at the end if `pos` is the
    /// terminator's position); returns the new element's position, or None,
    /// changing nothing, if `pos` is outside the entries.
    pub fn insert_before(&mut self, pos: usize, s: &[u8]) -> Option<usize> {
        self.insert_encoded(pos, &encode_element(s))
    }

    /// Inserts `s` after the element at `pos`; returns the new element's
    /// position, or None, changing nothing, if `pos` is not an element.
    pub fn insert_after(&mut self, pos: usize, s: &[u8]) -> Option<usize> {
        let size = self.entry_size(pos)?;
        self.insert_encoded(pos + size, &encode_element(s))
    }

    fn replace_encoded(&mut self, pos: usize, e: &Encoded<'_>) -> Option<usize> {
        let size = self.entry_size(pos)?;
        self.splice(pos, size, Some(e)).then_some(pos)
    }

    /// Replaces the element at `pos` with `s`; returns its position (the
    /// same), or None, changing nothing, if `pos` is not an element.
    pub fn replace(&mut self, pos: usize, s: &[u8]) -> Option<usize> {
        self.replace_encoded(pos, &encode_element(s))
    }

    /// Replaces the element at `pos` with the integer `v`, as [`Listpack::replace`].
    pub fn replace_int(&mut self, pos: usize, v: i64) -> Option<usize> {
        self.replace_encoded(pos, &encode_int(v))
    }

    /// Deletes the element at `pos`; returns the position of the element
    /// that followed it, if any (None also when `pos` is not an element,
    /// which deletes nothing).
    pub fn delete(&mut self, pos: usize) -> Option<usize> {
        self.delete_range_at(pos, 1)
    }

    /// Deletes up to `num` elements starting with the one at `pos`
    /// (`lpDeleteRangeWithEntry`); returns the position of the element that
    /// followed them, if any.
    pub fn delete_range_at(&mut self, pos: usize, num: usize) -> Option<usize> {
        if num == 0 {
            return self.get(pos).map(|_| pos);
        }
        let mut end = pos;
        let mut deleted = 0usize;
        while deleted < num {
            match self.entry_size(end) {
                Some(size) => end += size,
                None => break,
            }
            deleted += 1;
        }
        if deleted == 0 {
            return None;
        }
        self.splice(pos, end - pos, None);
        self.adjust_count(-(deleted as isize));
        (pos < self.eof_pos()).then_some(pos)
    }

    /// Deletes `num` elements starting at `index` (negative from the end),
    /// as `lpDeleteRange` does; an index out of range deletes nothing.
    pub fn delete_range(&mut self, index: i64, num: usize) {
        if num == 0 {
            return;
        }
        let Some(pos) = self.seek(index) else {
            return;
        };
        let n = self.header_count();
        if n != COUNT_UNKNOWN {
            let n = i64::from(n);
            let from = if index < 0 { index + n } else { index };
            if (n - from) as u64 <= num as u64 {
                // Everything from `pos` on goes: just move the terminator.
                self.buf.truncate(pos);
                self.buf.push(EOF);
                self.set_header_count(from as u16);
                self.sync_total();
                return;
            }
        }
        self.delete_range_at(pos, num);
    }
}

/// Largest scratch buffer [`ExactListpack::edit`] keeps between edits: more
/// than a hash or sorted set under the default listpack limits takes.
const EDIT_SCRATCH_KEPT: usize = 64 * 1024;

thread_local! {
    /// The growable copy edits work on, kept so an edit allocates nothing
    /// for it.
    static EDIT_SCRATCH: std::cell::Cell<Vec<u8>> = const { std::cell::Cell::new(Vec::new()) };
}

impl ExactListpack {
    /// Runs the writes of `f` on a growable copy with `room` bytes to
    /// spare, so that what `f` adds needs no reallocation, then keeps the
    /// entries at their exact size again: in the same blob when the size
    /// did not change (a value replaced by one as long, the common HSET),
    /// else in a new one.
    pub fn edit<R>(&mut self, room: usize, f: impl FnOnce(&mut Listpack) -> R) -> R {
        let total = self.total_bytes();
        // Taking leaves an empty buffer behind, so an edit inside `f`
        // would work on a buffer of its own.
        let mut buf = EDIT_SCRATCH.with(std::cell::Cell::take);
        buf.clear();
        buf.reserve(total.saturating_add(room));
        write_header(&mut buf, total, self.header_count());
        buf.extend_from_slice(self.body());
        buf.push(EOF);
        let mut lp = Listpack { buf };
        let out = f(&mut lp);
        let count = lp.header_count();
        let body = lp.body();
        if body.len() == self.buf.len() {
            self.buf.as_mut_slice().copy_from_slice(body);
            self.buf.aux = count;
        } else {
            self.buf = Blob::new(body, count);
        }
        if lp.buf.capacity() <= EDIT_SCRATCH_KEPT {
            EDIT_SCRATCH.with(|s| s.set(lp.buf));
        }
        out
    }
}

impl<B: Storage> Listpack<B> {
    /// The listpack entry by entry, as Redis's `lpRepr` prints it for
    /// `DEBUG LISTPACK`: position, sizes, bytes and (at most 40 bytes of)
    /// the element.
    pub fn repr(&self) -> Vec<u8> {
        use std::io::Write;
        let mut out = Vec::new();
        let _ = writeln!(
            out,
            "{{total bytes {}}} {{num entries {}}}",
            self.total_bytes(),
            self.len()
        );
        let mut pos = self.first();
        let mut index = 0;
        let body = self.body();
        while let Some(p) = pos {
            let Some((entry, enc)) = self.decode_at(p) else {
                break;
            };
            let back = backlen_size(enc);
            let at = p - HEADER_SIZE;
            let header = match body.get(at) {
                Some(&b) if b & 0xF0 == ENC_12BIT_STR => 2,
                Some(&ENC_32BIT_STR) => 5,
                _ => 1,
            };
            let _ = write!(
                out,
                "{{\n\taddr: 0x{:08x},\n\tindex: {index:2},\n\toffset: {p:1},\n\t\
                 hdr+entrylen+backlen: {:2},\n\thdrlen: {header:3},\n\tbacklen: {back:2},\n\t\
                 payload: {:1}\n\tbytes: ",
                body.as_ptr() as usize + at,
                enc + back,
                enc - header,
            );
            for b in body.get(at..at + enc + back).unwrap_or(&[]) {
                let _ = write!(out, "{b:02x}|");
            }
            out.extend_from_slice(b"\n\t[str]");
            let mut tmp = IntBuf::default();
            let bytes = entry.as_bytes(&mut tmp);
            match bytes.get(..40) {
                Some(head) if bytes.len() > 40 => {
                    out.extend_from_slice(head);
                    out.extend_from_slice(b"...");
                }
                _ => out.extend_from_slice(bytes),
            }
            out.extend_from_slice(b"\n}\n");
            index += 1;
            pos = self.next(p);
        }
        out.extend_from_slice(b"{end}\n\n");
        out
    }
}

/// Iterator over a listpack's elements, from both ends.
#[derive(Clone)]
pub struct Iter<'a> {
    buf: &'a [u8],
    /// Start of the next element from the front.
    front: usize,
    /// End of the next element from the back.
    back: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        if self.front >= self.back {
            return None;
        }
        match decode(self.buf, self.front) {
            Ok((entry, enc)) => {
                self.front += enc + backlen_size(enc);
                Some(entry)
            }
            Err(_) => {
                self.front = self.back;
                None
            }
        }
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.front >= self.back {
            return None;
        }
        let start = decode_backlen(self.buf, self.back, self.front)
            .and_then(|(enc, bl)| self.back.checked_sub(enc + bl))
            .filter(|&s| s >= self.front);
        match start.map(|s| (s, decode(self.buf, s))) {
            Some((s, Ok((entry, _)))) => {
                self.back = s;
                Some(entry)
            }
            _ => {
                self.back = self.front;
                None
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
pub(crate) mod tests {
    use super::*;

    /// Hex with whitespace ignored and `<bb*n>` standing for byte `bb`
    /// repeated `n` times, so captured payloads with long runs stay readable.
    pub(crate) fn unhex(s: &str) -> Vec<u8> {
        let mut out = Vec::new();
        let mut rest = s;
        while let Some(c) = rest.chars().next() {
            if c.is_whitespace() {
                rest = &rest[1..];
            } else if c == '<' {
                let close = rest.find('>').expect("unclosed run");
                let (byte, n) = rest[1..close].split_once('*').expect("run syntax");
                let byte = u8::from_str_radix(byte, 16).expect("run byte");
                out.extend(std::iter::repeat_n(byte, n.parse().expect("run length")));
                rest = &rest[close + 1..];
            } else {
                out.push(u8::from_str_radix(&rest[..2], 16).expect("hex"));
                rest = &rest[2..];
            }
        }
        out
    }

    /// Small deterministic generator for the stress and corruption tests.
    pub(crate) struct Rng(pub(crate) u64);

    impl Rng {
        pub(crate) fn next(&mut self) -> u64 {
            // xorshift64*
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
        }

        pub(crate) fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    fn collect(lp: &Listpack) -> Vec<Vec<u8>> {
        lp.iter().map(|e| e.to_vec()).collect()
    }

    fn build(vals: &[&[u8]]) -> Listpack {
        let mut lp = Listpack::new();
        for v in vals {
            lp.push_back(v);
        }
        lp
    }

    /// Elements of `RPUSH l ...` in the golden list below.
    fn small_list_values() -> Vec<Vec<u8>> {
        let mut v: Vec<Vec<u8>> = [
            "0",
            "127",
            "128",
            "-1",
            "-4096",
            "4095",
            "4096",
            "-4097",
            "32767",
            "32768",
            "-32768",
            "-32769",
            "8388607",
            "8388608",
            "-8388608",
            "-8388609",
            "2147483647",
            "2147483648",
            "-2147483648",
            "-2147483649",
            "9223372036854775807",
            "-9223372036854775808",
            "01",
            "+1",
            "-0",
            " 1",
            "1 ",
            "9223372036854775808",
            "-9223372036854775809",
            "12345678901234567890123",
            "",
            "-",
            "a",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
        v.push(vec![b'x'; 63]);
        v.push(vec![b'y'; 64]);
        v
    }

    /// Captured from Redis 7.0.15 (`--rdbcompression no`,
    /// `list-max-listpack-size -5`): `RPUSH l` with `small_list_values()`,
    /// then `DUMP l` is type 18 (quicklist 2), one node, container 2
    /// (packed), and this listpack as the node's string.
    const SMALL_LIST: &str = "
        5f010000230000017f01c08002dfff02d00002cfff02f1001003f1ffef03f1ff
        7f03f200800004f1008003f2ff7fff04f2ffff7f04f30000800005f200008004
        f3ffff7fff05f3ffffff7f05f4000000800000000009f30000008005f4ffffff
        7fffffffff09f4ffffffffffffff7f09f400000000000000800982303103822b
        3103822d30038220310382312003933932323333373230333638353437373538
        303814942d393232333337323033363835343737353830391597313233343536
        3738393031323334353637383930313233188001812d02816102bf<78*63>40
        e040<79*64>42ff";

    /// Captured from Redis 7.0.15: `HSET h f1 v1 n -17 big 1234567890123 e ""`,
    /// then `DUMP h` is type 16 (hash listpack) and this string.
    const SMALL_HASH: &str = "
        2900000008008266310382763103816e02dfef028362696704f4cb04fb711f01
        0000098165028001ff";

    #[test]
    fn small_list_matches_redis() {
        let vals = small_list_values();
        let refs: Vec<&[u8]> = vals.iter().map(|v| v.as_slice()).collect();
        let lp = build(&refs);
        let golden = unhex(SMALL_LIST);
        assert_eq!(lp.as_bytes(), golden.as_slice());
        let read = Listpack::from_bytes(golden).expect("valid");
        assert_eq!(collect(&read), vals);
        let mut back: Vec<Vec<u8>> = read.iter().rev().map(|e| e.to_vec()).collect();
        back.reverse();
        assert_eq!(back, vals);
    }

    #[test]
    fn small_hash_matches_redis() {
        let pairs: [&[u8]; 8] = [
            b"f1",
            b"v1",
            b"n",
            b"-17",
            b"big",
            b"1234567890123",
            b"e",
            b"",
        ];
        let lp = build(&pairs);
        assert_eq!(lp.as_bytes(), unhex(SMALL_HASH).as_slice());
        let first = lp.first().expect("entries");
        let n = lp.find(first, b"n", 1).expect("field n");
        assert_eq!(lp.get(lp.next(n).expect("value")), Some(Entry::Int(-17)));
        let big = lp.find(first, b"big", 1).expect("field big");
        assert!(lp
            .get(lp.next(big).expect("value"))
            .expect("entry")
            .eq_bytes(b"1234567890123"));
        // Values are skipped: "v1" is a value, not a field.
        assert_eq!(lp.find(first, b"v1", 1), None);
        assert_eq!(lp.find(first, b"v1", 0), lp.next(first));
        // An integer entry matches only its canonical decimal form.
        let vpos = lp.next(n).expect("value");
        assert_eq!(lp.find(vpos, b"-17", 0), Some(vpos));
        assert_eq!(lp.find(vpos, b"-017", 0), None);
    }

    /// One-element lists of `z` strings, captured from Redis 7.0.15 as
    /// above: string length, the listpack's total bytes, the bytes before
    /// the data (header and encoding) and after it (backlen and terminator).
    /// Covers the 6/12/32-bit string boundaries and every backlen width,
    /// including Redis's off-by-one boundaries at 16383 and 2097151.
    const BIG_STRINGS: &[(usize, usize, &str, &str)] = &[
        (125, 135, "870000000100e07d", "7fff"),
        (126, 137, "890000000100e07e", "0180ff"),
        (127, 138, "8a0000000100e07f", "0181ff"),
        (4095, 4106, "0a1000000100efff", "2081ff"),
        (4096, 4110, "0e1000000100f000100000", "2085ff"),
        (16377, 16391, "074000000100f0f93f0000", "7ffeff"),
        (16378, 16393, "094000000100f0fa3f0000", "00ffffff"),
        (2097146, 2097162, "0a0020000100f0faff1f00", "00ffffffff"),
        (2097147, 2097163, "0b0020000100f0fbff1f00", "01808080ff"),
    ];

    #[test]
    fn big_strings_match_redis() {
        for &(n, total, head, tail) in BIG_STRINGS {
            let s = vec![b'z'; n];
            let lp = build(&[&s]);
            let mut want = unhex(head);
            want.extend_from_slice(&s);
            want.extend_from_slice(&unhex(tail));
            assert_eq!(want.len(), total);
            assert!(lp.as_bytes() == want.as_slice(), "string of {n}");
            let read = Listpack::from_bytes(want).expect("valid");
            assert_eq!(read.iter().next_back(), Some(Entry::Str(&s)));
            assert_eq!(read.last(), Some(HEADER_SIZE));
        }
    }

    /// Captured from Redis 7.0.15 (`hash-max-listpack-entries 100000`):
    /// `HSET hh` with fields `f0..f32999`, field `fi` holding `i*7-50000`.
    /// 66000 elements, so the header count is 65535 ("unknown"). The whole
    /// listpack is 407346 bytes; its CRC-32 (zlib's) is 0xc1eb2bd8.
    #[test]
    fn unknown_count_matches_redis() {
        let mut lp = Listpack::new();
        for i in 0..33000i64 {
            lp.push_back(format!("f{i}").as_bytes());
            lp.push_back(format!("{}", i * 7 - 50000).as_bytes());
        }
        assert_eq!(lp.total_bytes(), 407346);
        assert_eq!(&lp.as_bytes()[..6], &unhex("32370600ffff")[..]);
        let crc = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC).checksum(lp.as_bytes());
        assert_eq!(crc, 0xc1eb_2bd8);
        assert_eq!(lp.len(), 66000);
        assert_eq!(validate(lp.as_bytes()), Ok(66000));
        assert_eq!(lp.get_index(-1), Some(Entry::Int(32999 * 7 - 50000)));
        assert!(lp.get_index(65999).is_some_and(|e| e.eq_bytes(b"180993")));
        assert_eq!(lp.get_index(66000), None);
        assert_eq!(lp.get_index(-66001), None);
        let f = lp.find(HEADER_SIZE, b"f32998", 1).expect("field");
        assert_eq!(
            lp.get(lp.next(f).expect("value")),
            Some(Entry::Int(32998 * 7 - 50000))
        );
    }

    #[test]
    fn count_goes_unknown_and_back_as_redis() {
        let mut lp = Listpack::new();
        for _ in 0..65534 {
            lp.push_back(b"1");
        }
        assert_eq!(lp.header_count(), 65534);
        lp.push_back(b"1");
        assert_eq!(lp.header_count(), COUNT_UNKNOWN);
        lp.push_back(b"1");
        assert_eq!(lp.len(), 65536);
        // Deleting leaves an unknown count unknown, as lpDelete does...
        lp.delete(HEADER_SIZE);
        lp.delete(HEADER_SIZE);
        assert_eq!(lp.header_count(), COUNT_UNKNOWN);
        assert_eq!(lp.len(), 65534);
        assert_eq!(validate(lp.as_bytes()), Ok(65534));
        // ...until the count is taken, as lpLength does.
        assert_eq!(lp.sync_len(), 65534);
        assert_eq!(lp.header_count(), 65534);
        lp.delete_range(10, 34);
        assert_eq!(lp.header_count(), 65500);
        lp.delete_range(-10, 100);
        assert_eq!(lp.header_count(), 65490);
        assert_eq!(validate(lp.as_bytes()), Ok(65490));
    }

    /// `element_size` is what a push adds, so an edit reserving it leaves
    /// the exact form the same bytes as the growable one.
    #[test]
    fn element_size_is_what_a_push_adds() {
        let mut values = small_list_values();
        values.extend([vec![b'x'; 127], vec![b'x'; 5000], vec![b'y'; 16380]]);
        let mut lp = Listpack::new();
        let mut exact = Listpack::new().into_exact();
        for v in &values {
            let before = lp.total_bytes();
            lp.push_back(v);
            assert_eq!(lp.total_bytes() - before, element_size(v), "{v:?}");
            exact.edit(element_size(v), |e| e.push_back(v));
        }
        assert_eq!(&*exact.encoded(), lp.as_bytes());
        let first = exact.first().unwrap_or(HEADER_SIZE);
        exact.edit(0, |e| e.delete(first));
        lp.delete(first);
        assert_eq!(&*exact.encoded(), lp.as_bytes());
    }

    #[test]
    fn every_boundary_round_trips_with_the_right_encoding() {
        let ints: &[(i64, usize)] = &[
            (0, 1),
            (127, 1),
            (128, 2),
            (-1, 2),
            (-4096, 2),
            (4095, 2),
            (4096, 3),
            (-4097, 3),
            (i64::from(i16::MIN), 3),
            (i64::from(i16::MAX), 3),
            (i64::from(i16::MAX) + 1, 4),
            (i64::from(i16::MIN) - 1, 4),
            (-(1 << 23), 4),
            ((1 << 23) - 1, 4),
            (1 << 23, 5),
            (-(1 << 23) - 1, 5),
            (i64::from(i32::MIN), 5),
            (i64::from(i32::MAX), 5),
            (i64::from(i32::MAX) + 1, 9),
            (i64::from(i32::MIN) - 1, 9),
            (i64::MIN, 9),
            (i64::MAX, 9),
        ];
        for &(v, enc) in ints {
            let s = v.to_string();
            let lp = build(&[s.as_bytes()]);
            assert_eq!(lp.get(HEADER_SIZE), Some(Entry::Int(v)), "{v}");
            assert_eq!(lp.total_bytes(), HEADER_SIZE + enc + 1 + 1, "{v}");
            let mut buf = IntBuf::default();
            assert_eq!(
                lp.get(HEADER_SIZE).expect("entry").as_bytes(&mut buf),
                s.as_bytes()
            );
            let mut by_int = Listpack::new();
            by_int.push_back_int(v);
            assert_eq!(by_int, lp);
        }
        let not_ints: &[&[u8]] = &[
            b"01",
            b"+1",
            b"-0",
            b" 1",
            b"1 ",
            b"-",
            b"",
            b"00",
            b"1.0",
            b"9223372036854775808",
            b"-9223372036854775809",
            b"18446744073709551616",
            b"123456789012345678901",
            b"-0000000000000000001",
        ];
        for &s in not_ints {
            let lp = build(&[s]);
            assert_eq!(lp.get(HEADER_SIZE), Some(Entry::Str(s)), "{s:?}");
            assert_eq!(lp.total_bytes(), HEADER_SIZE + 1 + s.len() + 1 + 1);
        }
        for n in [0usize, 1, 63, 64, 4095, 4096, 70000] {
            let s = vec![b'7'; n];
            let lp = build(&[&s]);
            // Twenty 7s or more no longer fit an i64 and stay strings.
            let want = match parse_i64_strict(&s) {
                Some(v) => Entry::Int(v),
                None => Entry::Str(&s),
            };
            assert_eq!(lp.get(HEADER_SIZE), Some(want));
            assert_eq!(validate(lp.as_bytes()), Ok(1));
        }
    }

    #[test]
    fn format_i64_renders_every_width() {
        let mut buf = IntBuf::default();
        for v in [0, 7, -7, 10, -10, i64::MAX, i64::MIN, i64::MIN + 1, 1 << 40] {
            assert_eq!(format_i64(v, &mut buf), v.to_string().as_bytes());
        }
        assert!(Entry::Int(-5).eq_bytes(b"-5"));
        assert!(!Entry::Int(5).eq_bytes(b"05"));
        assert!(Entry::Str(b"05").eq_bytes(b"05"));
    }

    #[test]
    fn positions_and_seek() {
        let lp = build(&[b"a", b"1000", b"c", b"4"]);
        let p0 = lp.first().expect("first");
        let p1 = lp.next(p0).expect("second");
        let p2 = lp.next(p1).expect("third");
        let p3 = lp.next(p2).expect("fourth");
        assert_eq!(lp.next(p3), None);
        assert_eq!(lp.last(), Some(p3));
        assert_eq!(lp.prev(p3), Some(p2));
        assert_eq!(lp.prev(p0), None);
        for (i, p) in [p0, p1, p2, p3].into_iter().enumerate() {
            assert_eq!(lp.seek(i as i64), Some(p));
            assert_eq!(lp.seek(i as i64 - 4), Some(p));
        }
        assert_eq!(lp.seek(4), None);
        assert_eq!(lp.seek(-5), None);
        let fwd: Vec<_> = lp.iter_from(p2).collect();
        assert_eq!(fwd, [Entry::Str(b"c"), Entry::Int(4)]);
        let back: Vec<_> = lp.iter_to(p1).rev().collect();
        assert_eq!(back, [Entry::Int(1000), Entry::Str(b"a")]);
        // Positions outside the entries are refused and change nothing.
        let mut same = lp.clone();
        assert_eq!(same.insert_before(3, b"x"), None);
        assert_eq!(same.insert_after(lp.total_bytes() - 1, b"x"), None);
        assert_eq!(same.replace(lp.total_bytes() - 1, b"x"), None);
        assert_eq!(same.replace_int(0, 1), None);
        assert_eq!(same.delete(lp.total_bytes()), None);
        assert_eq!(same, lp);
        // Inserting at the terminator's position appends.
        assert_eq!(
            same.insert_before(lp.total_bytes() - 1, b"e"),
            Some(lp.total_bytes() - 1)
        );
        assert_eq!(same.get_index(-1), Some(Entry::Str(b"e")));
        // A string borrowed through a temporary entry outlives the statement.
        let mut buf = IntBuf::default();
        let second = lp.get(p1).expect("entry").as_bytes(&mut buf);
        let first = lp
            .get(p0)
            .expect("entry")
            .as_bytes(&mut IntBuf::default())
            .to_vec();
        assert_eq!((second, first.as_slice()), (&b"1000"[..], &b"a"[..]));
        let empty = Listpack::new();
        assert!(empty.is_empty());
        assert_eq!(
            (empty.first(), empty.last(), empty.seek(0), empty.seek(-1)),
            (None, None, None, None)
        );
        assert_eq!(empty.as_bytes(), &[7, 0, 0, 0, 0, 0, 0xFF]);
        // Both ends of one iterator meet without overlapping.
        let mut it = lp.iter();
        assert_eq!(it.next(), Some(Entry::Str(b"a")));
        assert_eq!(it.next_back(), Some(Entry::Int(4)));
        assert_eq!(it.next_back(), Some(Entry::Str(b"c")));
        assert_eq!(it.next(), Some(Entry::Int(1000)));
        assert_eq!((it.next(), it.next_back()), (None, None));
    }

    #[test]
    fn errors_say_where() {
        let good = build(&[b"ab", b"5"]).into_bytes();
        let err = |bytes: &[u8]| validate(bytes).expect_err("corrupt");
        assert_eq!(err(&good[..5]).offset, 0);
        let mut b = good.clone();
        b[0] += 1;
        assert_eq!(err(&b).offset, 0);
        let mut b = good.clone();
        *b.last_mut().expect("eof") = 0;
        assert_eq!(err(&b).offset, good.len() - 1);
        let mut b = good.clone();
        b[6] = 0xF5;
        assert_eq!(err(&b), corrupt(6, "unknown encoding"));
        let mut b = good.clone();
        b[9] = 2; // backlen of "ab"
        assert_eq!(err(&b).offset, 9);
        let mut b = good.clone();
        b[4] = 3;
        assert_eq!(err(&b).offset, 4);
        let mut b = good.clone();
        b[6] = 0x8F; // a 15-byte string in a 7-byte listpack body
        assert_eq!(err(&b).offset, 6);
        let mut b = good;
        b[10] = 0xFF; // terminator where the second entry is
        assert_eq!(err(&b).offset, 10);
    }

    #[test]
    fn validate_with_sees_every_entry() {
        let lp = build(&[b"a", b"1", b"a"]);
        let mut seen = Vec::new();
        assert_eq!(
            validate_with(lp.as_bytes(), |e| {
                seen.push(e.to_vec());
                true
            }),
            Ok(3)
        );
        assert_eq!(seen, [b"a".to_vec(), b"1".to_vec(), b"a".to_vec()]);
        let mut fields = std::collections::HashSet::new();
        let dup = validate_with(lp.as_bytes(), |e| fields.insert(e.to_vec()));
        assert_eq!(dup.map_err(|c| c.offset), Err(11));
    }

    fn random_value(rng: &mut Rng) -> Vec<u8> {
        match rng.below(10) {
            0 => (rng.next() as i64).to_string().into_bytes(),
            1 => ((rng.next() % 300) as i64 - 150).to_string().into_bytes(),
            2 => ((rng.next() % 20000) as i64 - 10000)
                .to_string()
                .into_bytes(),
            3 => ((rng.next() % (1 << 25)) as i64 - (1 << 24))
                .to_string()
                .into_bytes(),
            4 => format!("0{}", rng.below(100)).into_bytes(),
            5 => vec![b'a' + rng.below(26) as u8; 120 + rng.below(12)],
            6 if rng.below(8) == 0 => vec![b'b'; 4090 + rng.below(12)],
            _ => {
                let n = rng.below(70);
                (0..n).map(|_| rng.next() as u8).collect()
            }
        }
    }

    fn check(lp: &Listpack, model: &[Vec<u8>]) {
        assert_eq!(validate(lp.as_bytes()), Ok(model.len()));
        assert_eq!(lp.len(), model.len());
        assert_eq!(collect(lp), model);
        let back: Vec<Vec<u8>> = lp.iter().rev().map(|e| e.to_vec()).collect();
        assert!(back.iter().eq(model.iter().rev()));
        // Rebuilding from scratch gives the same bytes: no history leaks in.
        let refs: Vec<&[u8]> = model.iter().map(|v| v.as_slice()).collect();
        assert_eq!(build(&refs).as_bytes(), lp.as_bytes());
    }

    #[test]
    fn mutation_stress_against_a_model() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let mut lp = Listpack::new();
        let mut model: Vec<Vec<u8>> = Vec::new();
        for _ in 0..3000 {
            let n = model.len();
            let i = rng.below(n);
            let v = random_value(&mut rng);
            match rng.below(9) {
                0 => {
                    lp.push_back(&v);
                    model.push(v);
                }
                1 => {
                    lp.push_front(&v);
                    model.insert(0, v);
                }
                2 if n > 0 => {
                    let p = lp.seek(i as i64).expect("seek");
                    let at = lp.insert_before(p, &v).expect("inserted");
                    model.insert(i, v.clone());
                    assert!(lp.get(at).expect("new").eq_bytes(&v));
                }
                3 if n > 0 => {
                    let p = lp.seek(i as i64 - n as i64).expect("seek");
                    let at = lp.insert_after(p, &v).expect("inserted");
                    model.insert(i + 1, v.clone());
                    assert!(lp.get(at).expect("new").eq_bytes(&v));
                }
                4 if n > 0 => {
                    let p = lp.seek(i as i64).expect("seek");
                    assert_eq!(lp.replace(p, &v), Some(p));
                    model[i] = v;
                }
                5 if n > 0 => {
                    let p = lp.seek(i as i64).expect("seek");
                    let next = lp.delete(p);
                    model.remove(i);
                    assert_eq!(next, (i < model.len()).then_some(p));
                }
                6 if n > 0 => {
                    let num = rng.below(5);
                    let index = if rng.below(2) == 0 {
                        i as i64
                    } else {
                        i as i64 - n as i64
                    };
                    lp.delete_range(index, num);
                    model.drain(i..(i + num).min(n));
                }
                7 if n > 0 => {
                    let num = rng.below(4);
                    let p = lp.seek(i as i64).expect("seek");
                    lp.delete_range_at(p, num);
                    model.drain(i..(i + num).min(n));
                }
                8 if n > 0 => {
                    let p = lp.seek(i as i64).expect("seek");
                    let x = rng.next() as i64 >> rng.below(64);
                    assert_eq!(lp.replace_int(p, x), Some(p));
                    model[i] = x.to_string().into_bytes();
                }
                _ => {
                    lp.push_back_int(rng.next() as i64 >> 40);
                    model.push((lp.get_index(-1).expect("last")).to_vec());
                }
            }
            check(&lp, &model);
            if n > 0 {
                let j = rng.below(model.len().max(1));
                if let Some(p) = lp.seek(j as i64) {
                    assert_eq!(lp.get(p).map(|e| e.to_vec()).as_ref(), model.get(j));
                    assert_eq!(
                        lp.find(HEADER_SIZE, &model[j], 0).map(|q| q <= p),
                        Some(true)
                    );
                }
            }
        }
    }

    /// Mutates `good` at random and hands each result to `walk`, which
    /// checks that validation either rejects it or accepts something every
    /// reader can walk without panic, and says whether it was accepted.
    /// Returns how many were.
    pub(crate) fn fuzz(
        good: &[u8],
        rng: &mut Rng,
        rounds: usize,
        fix_total: impl Fn(&mut [u8]),
        walk: impl Fn(&[u8]) -> bool,
    ) -> usize {
        let mut accepted = 0;
        for _ in 0..rounds {
            let mut b = good.to_vec();
            for _ in 0..1 + rng.below(3) {
                let at = rng.below(b.len());
                match rng.below(6) {
                    0 => b[at] ^= 1 << rng.below(8),
                    1 => b.truncate(at),
                    2 => b.insert(at, rng.next() as u8),
                    3 => b[at] = rng.next() as u8,
                    4 => {
                        // A huge 32-bit string length, or a huge prevlen.
                        for (k, byte) in [0xF0, 0xFF, 0xFF, 0xFF, 0x7F].into_iter().enumerate() {
                            if let Some(slot) = b.get_mut(at + k) {
                                *slot = byte;
                            }
                        }
                    }
                    _ => {
                        if at < b.len() {
                            b.remove(at);
                        }
                    }
                }
                if b.is_empty() {
                    break;
                }
            }
            if rng.below(4) != 0 {
                fix_total(&mut b);
            }
            if walk(&b) {
                accepted += 1;
            }
        }
        accepted
    }

    fn walk_listpack(b: &[u8]) -> bool {
        let Ok(n) = validate(b) else {
            return false;
        };
        let mut lp = Listpack::from_bytes(b.to_vec()).expect("validated");
        assert_eq!(lp.iter().count(), n);
        assert_eq!(lp.iter().rev().count(), n);
        for i in 0..n as i64 {
            assert!(lp.seek(i).is_some());
            assert!(lp.seek(-1 - i).is_some());
        }
        let _ = lp.find(HEADER_SIZE, b"1", 1);
        lp.push_front(b"x");
        lp.delete_range(0, 2);
        assert_eq!(validate(lp.as_bytes()), Ok(n.saturating_sub(1)));
        true
    }

    fn fix_lp_total(b: &mut [u8]) {
        let n = b.len() as u32;
        if let Some(dst) = b.get_mut(0..4) {
            dst.copy_from_slice(&n.to_le_bytes());
        }
    }

    #[test]
    fn corrupt_listpacks_fail_cleanly() {
        let mut rng = Rng(42);
        let vals = small_list_values();
        let refs: Vec<&[u8]> = vals.iter().map(|v| v.as_slice()).collect();
        let samples = [
            unhex(SMALL_LIST),
            unhex(SMALL_HASH),
            build(&refs[..5]).into_bytes(),
            build(&[&[b'q'; 200], b"1", &[b'r'; 5000]]).into_bytes(),
            Listpack::new().into_bytes(),
        ];
        for good in &samples {
            let accepted = fuzz(good, &mut rng, 3000, fix_lp_total, walk_listpack);
            assert!(
                accepted > 0 && accepted < 3000,
                "{accepted} of 3000 accepted"
            );
        }
    }
}
