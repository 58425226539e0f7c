//! Bit commands on strings: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP,
//! BITFIELD and BITFIELD_RO.
//!
//! Bits are numbered from the most significant bit of the first byte, as
//! Redis numbers them. A missing key reads as an endless run of zero bits;
//! writes past the end grow the string with zero bytes first. Range scans
//! (BITCOUNT, BITPOS) mask the partial bytes at either end and go through the
//! whole bytes between them eight at a time, so a 512 MB string costs one
//! pass of word operations, not one of bit tests.

use std::borrow::Cow;

use super::introspection::KeyRef;
use super::string::{as_str, as_str_mut};
use super::{parse_int, Args, CmdError, CmdResult};
use crate::server::client::Client;
use crate::server::keyspace::event;
use crate::server::Server;
use crate::storage::value::{Kind, Str, Value};

// ---------------------------------------------------------------------------
// Key access

/// The string at `key` for a read (counted as a keyspace hit or miss), or
/// `None` if the key is missing.
fn read_string<'a>(
    srv: &'a mut Server,
    c: &Client,
    key: &[u8],
) -> Result<Option<Cow<'a, [u8]>>, CmdError> {
    let Some(id) = srv.lookup_read(c.db, key) else {
        return Ok(None);
    };
    Ok(Some(as_str(srv, c.db, id)?.to_cow()))
}

/// The bytes of the string at `key`, created or zero-padded so that it is at
/// least `len` bytes long, as Redis's `lookupStringForBitCommand` prepares
/// it. The flag says whether the string was created or grew: such a write
/// always counts as a change, even if the bits written are zeros.
fn string_for_write<'a>(
    srv: &'a mut Server,
    c: &Client,
    key: &[u8],
    len: usize,
) -> Result<(&'a mut Vec<u8>, bool), CmdError> {
    let id = match srv.lookup_write(c.db, key) {
        Some(id) => id,
        None => srv.db_add(c.db, key, Value::Str(Str::Raw(Box::default()))),
    };
    let bytes = as_str_mut(srv, c.db, id)?.make_raw();
    let grew = bytes.len() < len;
    if grew {
        bytes.resize(len, 0);
    }
    Ok((bytes, grew))
}

// ---------------------------------------------------------------------------
// Argument parsing

/// A bit offset: a non-negative integer whose byte lies below
/// `proto-max-bulk-len`. With `field_bits`, BITFIELD's `#N` form is allowed
/// and means N fields of that width; the product wraps as Redis's does.
fn bit_offset(srv: &Server, arg: &[u8], field_bits: Option<u32>) -> Result<u64, CmdError> {
    let (digits, scale) = match (arg.split_first(), field_bits) {
        (Some((b'#', rest)), Some(bits)) => (rest, i64::from(bits)),
        _ => (arg, 1),
    };
    let offset = crate::protocol::parser::parse_i64_strict(digits)
        .ok_or(CmdError::BitOffset)?
        .wrapping_mul(scale);
    if offset < 0 || offset >> 3 >= srv.config.proto_max_bulk_len {
        return Err(CmdError::BitOffset);
    }
    Ok(offset as u64)
}

/// Whether BITCOUNT/BITPOS indexes count bytes or bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    Byte,
    Bit,
}

/// The value `arg` names in `words`, ignoring ASCII case.
fn keyword<T: Copy>(arg: &[u8], words: &[(&str, T)]) -> Option<T> {
    words
        .iter()
        .find(|(name, _)| arg.eq_ignore_ascii_case(name.as_bytes()))
        .map(|&(_, v)| v)
}

fn parse_unit(arg: &[u8]) -> Result<Unit, CmdError> {
    keyword(arg, &[("byte", Unit::Byte), ("bit", Unit::Bit)]).ok_or(CmdError::Syntax)
}

/// Resolves `start`/`end` (negative ones count from the end) to an inclusive
/// range of bits of a `len`-byte string, clamped to the string; `None` when
/// the range is empty.
fn bit_range(start: i64, end: i64, unit: Unit, len: usize) -> Option<(u64, u64)> {
    let total = match unit {
        Unit::Byte => len as i64,
        Unit::Bit => len as i64 * 8,
    };
    let from_end = |i: i64| if i < 0 { (total + i).max(0) } else { i };
    let (first, last) = (from_end(start), from_end(end).min(total - 1));
    if first > last {
        return None;
    }
    let (first, last) = (first as u64, last as u64);
    Some(match unit {
        Unit::Byte => (first * 8, last * 8 + 7),
        Unit::Bit => (first, last),
    })
}

// ---------------------------------------------------------------------------
// Bit scans

/// The bytes an inclusive bit range touches, and which of their bits count.
struct ByteSpan {
    first: usize,
    last: usize,
    /// In-range bits of the first byte.
    head: u8,
    /// In-range bits of the last byte.
    tail: u8,
}

impl ByteSpan {
    fn new(first_bit: u64, last_bit: u64) -> Self {
        ByteSpan {
            first: (first_bit / 8) as usize,
            last: (last_bit / 8) as usize,
            head: 0xff >> (first_bit % 8),
            tail: 0xff << (7 - last_bit % 8),
        }
    }

    /// The in-range bits of byte `i`.
    fn mask(&self, i: usize) -> u8 {
        let mut m = 0xff;
        if i == self.first {
            m &= self.head;
        }
        if i == self.last {
            m &= self.tail;
        }
        m
    }

    /// The whole bytes strictly between the first and the last.
    fn inner(&self) -> std::ops::Range<usize> {
        (self.first + 1).min(self.last)..self.last
    }
}

fn word(chunk: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(chunk);
    u64::from_ne_bytes(w)
}

/// Number of set bits in `data`.
fn popcount(data: &[u8]) -> u64 {
    let chunks = data.chunks_exact(8);
    let tail: u64 = chunks
        .remainder()
        .iter()
        .map(|b| u64::from(b.count_ones()))
        .sum();
    chunks.map(|c| u64::from(word(c).count_ones())).sum::<u64>() + tail
}

/// Set bits among bits `first..=last` of `data` (both inside it).
fn count_bits(data: &[u8], first: u64, last: u64) -> u64 {
    let span = ByteSpan::new(first, last);
    let mut n = u64::from((data[span.first] & span.mask(span.first)).count_ones());
    if span.last != span.first {
        n += popcount(&data[span.inner()]);
        n += u64::from((data[span.last] & span.tail).count_ones());
    }
    n
}

/// Index of the first byte of `data` that is not `filler`.
fn first_byte_not(data: &[u8], filler: u8) -> Option<usize> {
    let filler_word = u64::from_ne_bytes([filler; 8]);
    let chunks = data.chunks_exact(8);
    let whole = data.len() - chunks.remainder().len();
    let chunk = chunks.clone().position(|c| word(c) != filler_word);
    let from = chunk.map_or(whole, |n| n * 8);
    data[from..]
        .iter()
        .position(|&b| b != filler)
        .map(|i| from + i)
}

/// Position of the first bit equal to `bit` among bits `first..=last` of
/// `data` (both inside it).
fn find_bit(data: &[u8], bit: bool, first: u64, last: u64) -> Option<u64> {
    // Flipping every byte for a clear bit turns both searches into a search
    // for a set bit.
    let flip = if bit { 0 } else { 0xff };
    let span = ByteSpan::new(first, last);
    let in_byte = |i: usize| {
        let x = (data[i] ^ flip) & span.mask(i);
        (x != 0).then(|| i as u64 * 8 + u64::from(x.leading_zeros()))
    };
    if let Some(pos) = in_byte(span.first) {
        return Some(pos);
    }
    if span.last == span.first {
        return None;
    }
    let inner = span.inner();
    match first_byte_not(&data[inner.clone()], flip) {
        Some(i) => in_byte(inner.start + i),
        None => in_byte(span.last),
    }
}

// ---------------------------------------------------------------------------
// SETBIT, GETBIT, BITCOUNT, BITPOS

/// The bit at `offset`, counting bits past the end as clear.
fn bit_at(data: &[u8], offset: u64) -> bool {
    usize::try_from(offset / 8)
        .ok()
        .and_then(|i| data.get(i))
        .is_some_and(|b| b & (0x80 >> (offset % 8)) != 0)
}

/// `SETBIT key offset value`
pub fn setbit(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let offset = bit_offset(srv, args.get(2), None)?;
    let on = match parse_int(args.get(3)) {
        Ok(0) => false,
        Ok(1) => true,
        _ => return Err(CmdError::BitValue),
    };
    let byte = (offset / 8) as usize;
    let (bytes, grew) = string_for_write(srv, c, args.get(1), byte + 1)?;
    let mask = 0x80 >> (offset % 8);
    let was = bytes[byte] & mask != 0;
    if on {
        bytes[byte] |= mask;
    } else {
        bytes[byte] &= !mask;
    }
    if grew || was != on {
        srv.notify_keyspace_event(event::STRING, "setbit", c.db, args.get(1));
        srv.dirty += 1;
    }
    c.reply.int(i64::from(was));
    Ok(())
}

/// `GETBIT key offset`
pub fn getbit(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let offset = bit_offset(srv, args.get(2), None)?;
    let on = read_string(srv, c, args.get(1))?.is_some_and(|s| bit_at(&s, offset));
    c.reply.int(i64::from(on));
    Ok(())
}

/// `BITCOUNT key [start end [BYTE|BIT]]`
pub fn bitcount(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    // Redis 7.0 answers 0 for a missing key before looking at the range.
    let Some(data) = read_string(srv, c, args.get(1))? else {
        c.reply.int(0);
        return Ok(());
    };
    let count = match args.len() {
        2 => popcount(&data),
        4 | 5 => {
            let start = parse_int(args.get(2))?;
            let end = parse_int(args.get(3))?;
            // Unlike BITPOS, a reversed range of negative indexes is empty
            // even when both would clamp to the start of the string; Redis
            // 7.0 answers so before it reads the unit, so a bad unit passes.
            if start < 0 && end < 0 && start > end {
                0
            } else {
                let unit = match args.len() {
                    5 => parse_unit(args.get(4))?,
                    _ => Unit::Byte,
                };
                bit_range(start, end, unit, data.len())
                    .map_or(0, |(first, last)| count_bits(&data, first, last))
            }
        }
        _ => return Err(CmdError::Syntax),
    };
    c.reply.int(count as i64);
    Ok(())
}

/// `BITPOS key bit [start [end [BYTE|BIT]]]`
pub fn bitpos(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let bit = match parse_int(args.get(2))? {
        0 => false,
        1 => true,
        _ => return Err(CmdError::BitposBit),
    };
    let Some(data) = read_string(srv, c, args.get(1))? else {
        // A missing key is all clear bits.
        c.reply.int(if bit { -1 } else { 0 });
        return Ok(());
    };
    let (start, end, unit) = match args.len() {
        3 => (0, -1, Unit::Byte),
        4 => (parse_int(args.get(3))?, -1, Unit::Byte),
        5 | 6 => {
            let start = parse_int(args.get(3))?;
            // Redis checks the unit before parsing `end`.
            let unit = match args.len() {
                6 => parse_unit(args.get(5))?,
                _ => Unit::Byte,
            };
            (start, parse_int(args.get(4))?, unit)
        }
        _ => return Err(CmdError::Syntax),
    };
    let end_given = args.len() >= 5;
    let pos = match bit_range(start, end, unit, data.len()) {
        None => -1,
        Some((first, last)) => match find_bit(&data, bit, first, last) {
            Some(pos) => pos as i64,
            // Without an explicit end the string counts as padded with
            // clear bits, so the first clear bit is the one just past it.
            None if !bit && !end_given => last as i64 + 1,
            None => -1,
        },
    };
    c.reply.int(pos);
    Ok(())
}

// ---------------------------------------------------------------------------
// BITOP

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BitOp {
    And,
    Or,
    Xor,
    Not,
}

/// Combines the sources into one string as long as the longest; shorter
/// sources (and missing keys, which are empty) count as padded with zeros.
fn combine(op: BitOp, sources: &[&[u8]]) -> Vec<u8> {
    let len = sources.iter().map(|s| s.len()).max().unwrap_or(0);
    let mut out = vec![0u8; len];
    let Some((first, rest)) = sources.split_first() else {
        return out;
    };
    out[..first.len()].copy_from_slice(first);
    match op {
        BitOp::Not => out.iter_mut().for_each(|b| *b = !*b),
        BitOp::And => {
            for src in rest {
                out.iter_mut().zip(*src).for_each(|(d, s)| *d &= s);
                out[src.len()..].fill(0);
            }
        }
        BitOp::Or => {
            for src in rest {
                out.iter_mut().zip(*src).for_each(|(d, s)| *d |= s);
            }
        }
        BitOp::Xor => {
            for src in rest {
                out.iter_mut().zip(*src).for_each(|(d, s)| *d ^= s);
            }
        }
    }
    out
}

/// `BITOP AND|OR|XOR|NOT destkey key [key ...]`
pub fn bitop(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let op = keyword(
        args.get(1),
        &[
            ("and", BitOp::And),
            ("or", BitOp::Or),
            ("xor", BitOp::Xor),
            ("not", BitOp::Not),
        ],
    )
    .ok_or(CmdError::Syntax)?;
    if op == BitOp::Not && args.len() != 4 {
        return Err(CmdError::BitopNotSingleSource);
    }
    // Ids first (lookups may expire keys), then borrow every value at once.
    // A source of another type stops the command where Redis stops it.
    let mut ids = Vec::with_capacity(args.len() - 3);
    for i in 3..args.len() {
        ids.push(srv.lookup_read_kind(c.db, args.get(i), Kind::String)?);
    }
    let db = srv.db(c.db);
    let values = ids
        .iter()
        .map(|id| match id.map(|id| db.value(id)) {
            Some(Value::Str(s)) => Ok(s.to_cow()),
            Some(_) => Err(CmdError::WrongType),
            None => Ok(Cow::Borrowed(&[][..])),
        })
        .collect::<Result<Vec<Cow<[u8]>>, CmdError>>()?;
    let sources: Vec<&[u8]> = values.iter().map(|v| &**v).collect();
    let result = combine(op, &sources);
    drop(values);
    let len = result.len();
    let dest = args.get(2);
    if len > 0 {
        srv.set_key(c.db, dest, Value::Str(Str::Raw(Box::new(result))), false);
        srv.notify_keyspace_event(event::STRING, "set", c.db, dest);
        srv.dirty += 1;
    } else if srv.db_delete(c.db, dest) {
        srv.notify_keyspace_event(event::GENERIC, "del", c.db, dest);
        srv.dirty += 1;
    }
    c.reply.int(len as i64);
    Ok(())
}

// ---------------------------------------------------------------------------
// BITFIELD

/// What BITFIELD does when a SET or INCRBY leaves the field's range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Overflow {
    Wrap,
    Sat,
    /// Skip the write and reply nil.
    Fail,
}

/// A field: `i<bits>` or `u<bits>` at a bit offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Field {
    signed: bool,
    bits: u32,
    offset: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FieldOp {
    Get,
    Set(i64),
    IncrBy(i64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Op {
    field: Field,
    op: FieldOp,
    overflow: Overflow,
}

/// A field type: `i1`..`i64` or `u1`..`u63`. Redis reads the width with
/// `strlen`, so anything after a NUL byte is ignored.
fn field_type(arg: &[u8]) -> Result<(bool, u32), CmdError> {
    let arg = arg.split(|&b| b == 0).next().unwrap_or_default();
    let (signed, max) = match arg.first() {
        Some(b'i') => (true, 64),
        Some(b'u') => (false, 63),
        _ => return Err(CmdError::BitfieldType),
    };
    match crate::protocol::parser::parse_i64_strict(&arg[1..]) {
        Some(bits @ 1..=64) if bits <= max => Ok((signed, bits as u32)),
        _ => Err(CmdError::BitfieldType),
    }
}

/// Parses BITFIELD's operations, all of them before any runs, as Redis does.
fn parse_ops(srv: &Server, args: &Args) -> Result<Vec<Op>, CmdError> {
    let mut ops = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut i = 2;
    while i < args.len() {
        let left = args.len() - i - 1;
        let op_args = if args.is(i, "get") && left >= 2 {
            2
        } else if (args.is(i, "set") || args.is(i, "incrby")) && left >= 3 {
            3
        } else if args.is(i, "overflow") && left >= 1 {
            overflow = keyword(
                args.get(i + 1),
                &[
                    ("wrap", Overflow::Wrap),
                    ("sat", Overflow::Sat),
                    ("fail", Overflow::Fail),
                ],
            )
            .ok_or(CmdError::BitfieldOverflowType)?;
            i += 2;
            continue;
        } else {
            return Err(CmdError::Syntax);
        };
        let (signed, bits) = field_type(args.get(i + 1))?;
        let offset = bit_offset(srv, args.get(i + 2), Some(bits))?;
        let op = match op_args {
            2 => FieldOp::Get,
            _ => {
                let value = parse_int(args.get(i + 3))?;
                if args.is(i, "set") {
                    FieldOp::Set(value)
                } else {
                    FieldOp::IncrBy(value)
                }
            }
        };
        let field = Field {
            signed,
            bits,
            offset,
        };
        ops.push(Op {
            field,
            op,
            overflow,
        });
        i += 1 + op_args;
    }
    Ok(ops)
}

/// The bytes a field spans (at most nine) and how far its lowest bit sits
/// from the end of the last of them.
fn field_window(f: Field) -> (usize, usize, u32) {
    let start = (f.offset / 8) as usize;
    let lead = (f.offset % 8) as u32;
    let nbytes = (lead + f.bits).div_ceil(8) as usize;
    (start, nbytes, nbytes as u32 * 8 - lead - f.bits)
}

fn field_mask(bits: u32) -> u64 {
    u64::MAX >> (64 - bits)
}

/// The smallest and largest values a field of this type holds.
fn field_range(signed: bool, bits: u32) -> (i64, i64) {
    if signed {
        let max = (field_mask(bits) >> 1) as i64;
        (-max - 1, max)
    } else {
        (0, field_mask(bits) as i64)
    }
}

/// A field's value; bits past the end of `data` read as clear.
fn read_field(data: &[u8], f: Field) -> i64 {
    let (start, nbytes, shift) = field_window(f);
    let window = (start..start + nbytes).fold(0u128, |acc, i| {
        acc << 8 | u128::from(data.get(i).copied().unwrap_or(0))
    });
    from_low_bits((window >> shift) as u64, f)
}

/// The field's value whose bit pattern is the low `bits` of `raw`.
fn from_low_bits(raw: u64, f: Field) -> i64 {
    let raw = raw & field_mask(f.bits);
    if f.signed {
        // Sign-extend from the field's top bit.
        let unused = 64 - f.bits;
        ((raw << unused) as i64) >> unused
    } else {
        raw as i64
    }
}

/// Stores the low `bits` of `value`; `data` must hold the whole field.
fn write_field(data: &mut [u8], f: Field, value: i64) {
    let (start, nbytes, shift) = field_window(f);
    let bytes = &mut data[start..start + nbytes];
    let mut window = bytes.iter().fold(0u128, |acc, &b| acc << 8 | u128::from(b));
    let mask = u128::from(field_mask(f.bits)) << shift;
    window = (window & !mask) | ((u128::from(value as u64) << shift) & mask);
    for (i, b) in bytes.iter_mut().rev().enumerate() {
        *b = (window >> (8 * i)) as u8;
    }
}

/// Which way `value + incr` leaves a field's range, if it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Excess {
    Above,
    Below,
}

/// Redis's overflow test for signed fields, with its wrapping intermediate
/// sums kept: for a SET (`incr` 0) of a value so negative that `max - value`
/// wraps, Redis reports an overflow upwards, so `OVERFLOW SAT SET i8 0
/// -9223372036854775808` stores 127. Exact arithmetic would store -128.
fn signed_excess(bits: u32, value: i64, incr: i64) -> Option<Excess> {
    let (min, max) = field_range(true, bits);
    let room_up = (max as u64).wrapping_sub(value as u64) as i64;
    let room_down = min.wrapping_sub(value);
    let narrow = bits != 64;
    if value > max || (narrow && incr > room_up) || (value >= 0 && incr > 0 && incr > room_up) {
        Some(Excess::Above)
    } else if value < min
        || (narrow && incr < room_down)
        || (value < 0 && incr < 0 && incr < room_down)
    {
        Some(Excess::Below)
    } else {
        None
    }
}

/// Redis's overflow test for unsigned fields; `value` is a bit pattern, so
/// a negative SET value counts as a huge one.
fn unsigned_excess(bits: u32, value: u64, incr: i64) -> Option<Excess> {
    let max = field_mask(bits);
    if value > max || (incr > 0 && incr > max.wrapping_sub(value) as i64) {
        Some(Excess::Above)
    } else if incr < 0 && incr < value.wrapping_neg() as i64 {
        Some(Excess::Below)
    } else {
        None
    }
}

/// The value a field ends up holding after adding `incr` to `value` (SET
/// adds 0 to the new value), or `None` when it overflows under `FAIL`.
fn fit(f: Field, value: i64, incr: i64, overflow: Overflow) -> Option<i64> {
    let excess = if f.signed {
        signed_excess(f.bits, value, incr)
    } else {
        unsigned_excess(f.bits, value as u64, incr)
    };
    let wrapped = from_low_bits((value as u64).wrapping_add(incr as u64), f);
    match (excess, overflow) {
        (None, _) | (Some(_), Overflow::Wrap) => Some(wrapped),
        (Some(_), Overflow::Fail) => None,
        (Some(Excess::Above), Overflow::Sat) => Some(field_range(f.signed, f.bits).1),
        (Some(Excess::Below), Overflow::Sat) => Some(field_range(f.signed, f.bits).0),
    }
}

/// Runs one write operation: the reply (`None` for a failed overflow check)
/// and whether the field's value changed.
fn apply(data: &mut [u8], op: &Op) -> (Option<i64>, bool) {
    let old = read_field(data, op.field);
    let (value, incr, reply_old) = match op.op {
        FieldOp::Get => return (Some(old), false),
        FieldOp::Set(v) => (v, 0, true),
        FieldOp::IncrBy(by) => (old, by, false),
    };
    let Some(new) = fit(op.field, value, incr, op.overflow) else {
        return (None, false);
    };
    write_field(data, op.field, new);
    (Some(if reply_old { old } else { new }), new != old)
}

fn reply_field(c: &mut Client, value: Option<i64>) {
    match value {
        Some(v) => c.reply.int(v),
        None => c.reply.null(),
    }
}

fn bitfield_generic(srv: &mut Server, c: &mut Client, args: &Args, read_only: bool) -> CmdResult {
    let ops = parse_ops(srv, args)?;
    let end = ops
        .iter()
        .filter(|op| op.op != FieldOp::Get)
        .map(|op| op.field.offset + u64::from(op.field.bits))
        .max();
    let Some(end_bit) = end else {
        let data = read_string(srv, c, args.get(1))?.unwrap_or_default();
        c.reply.array_len(ops.len());
        for op in &ops {
            c.reply.int(read_field(&data, op.field));
        }
        return Ok(());
    };
    if read_only {
        return Err(CmdError::BitfieldReadOnly);
    }
    let len = ((end_bit - 1) / 8 + 1) as usize;
    let (bytes, grew) = string_for_write(srv, c, args.get(1), len)?;
    c.reply.array_len(ops.len());
    let mut changes = 0;
    for op in &ops {
        let (reply, changed) = apply(bytes, op);
        // A write into a string this command created or grew counts even
        // when it leaves the field as it was; a failed one never does.
        if op.op != FieldOp::Get && reply.is_some() && (changed || grew) {
            changes += 1;
        }
        reply_field(c, reply);
    }
    if changes > 0 {
        srv.notify_keyspace_event(event::STRING, "setbit", c.db, args.get(1));
    }
    srv.dirty += changes;
    Ok(())
}

/// `BITFIELD key [GET type offset | SET type offset value | INCRBY type offset increment | OVERFLOW WRAP|SAT|FAIL ...]`
pub fn bitfield(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    bitfield_generic(srv, c, args, false)
}

/// `BITFIELD_RO key [GET type offset ...]`
pub fn bitfield_ro(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    bitfield_generic(srv, c, args, true)
}

/// BITFIELD's key is read-only when every operation is a well-formed GET or
/// OVERFLOW; anything else (including a malformed tail) counts as a write.
pub fn bitfield_keys(args: &Args) -> Vec<KeyRef> {
    let mut i = 2;
    let mut read_only = true;
    while i < args.len() {
        let left = args.len() - i - 1;
        if args.is(i, "get") && left >= 2 {
            i += 3;
        } else if args.is(i, "overflow") && left >= 1 {
            i += 2;
        } else {
            read_only = false;
            break;
        }
    }
    let flags: &'static [&'static str] = if read_only {
        &["RO", "access"]
    } else {
        &["RW", "access", "update"]
    };
    vec![(1, flags)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(signed: bool, bits: u32, offset: u64) -> Field {
        Field {
            signed,
            bits,
            offset,
        }
    }

    /// Every bit of a short string, checked against a one-bit-at-a-time scan.
    fn naive_find(data: &[u8], bit: bool, first: u64, last: u64) -> Option<u64> {
        (first..=last).find(|&i| bit_at(data, i) == bit)
    }

    fn naive_count(data: &[u8], first: u64, last: u64) -> u64 {
        (first..=last).filter(|&i| bit_at(data, i)).count() as u64
    }

    #[test]
    fn ranges_resolve_like_redis() {
        assert_eq!(bit_range(0, -1, Unit::Byte, 3), Some((0, 23)));
        assert_eq!(bit_range(-2, -1, Unit::Byte, 3), Some((8, 23)));
        assert_eq!(bit_range(-100, 0, Unit::Byte, 3), Some((0, 7)));
        assert_eq!(bit_range(1, 100, Unit::Byte, 3), Some((8, 23)));
        assert_eq!(bit_range(2, 1, Unit::Byte, 3), None);
        assert_eq!(bit_range(3, 3, Unit::Byte, 3), None);
        assert_eq!(bit_range(0, -1, Unit::Byte, 0), None);
        assert_eq!(bit_range(5, -3, Unit::Bit, 2), Some((5, 13)));
        assert_eq!(bit_range(i64::MIN, i64::MAX, Unit::Bit, 2), Some((0, 15)));
        assert_eq!(bit_range(i64::MAX, i64::MAX, Unit::Bit, 2), None);
    }

    #[test]
    fn spans_at_byte_boundaries() {
        let s = ByteSpan::new(7, 8);
        assert_eq!((s.first, s.last, s.mask(0), s.mask(1)), (0, 1, 0x01, 0x80));
        assert!(s.inner().is_empty());
        let s = ByteSpan::new(8, 15);
        assert_eq!((s.first, s.last, s.mask(1)), (1, 1, 0xff));
        assert!(s.inner().is_empty());
        let s = ByteSpan::new(3, 4);
        assert_eq!(s.mask(0), 0x18);
        assert_eq!(ByteSpan::new(0, 40).inner(), 1..5);
    }

    #[test]
    fn counts_and_searches_match_a_bit_by_bit_scan() {
        let patterns: [&[u8]; 5] = [
            &[0x00; 21],
            &[0xff; 21],
            &[
                0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00,
            ],
            &[
                0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0xff,
            ],
            b"\x80\x01\x7e\x81\xff\x00\x55\xaa\x0f\xf0\x33\xcc\x01\x80\x00\xff\x3c",
        ];
        for data in patterns {
            let bits = data.len() as u64 * 8;
            for first in 0..bits {
                for last in first..bits {
                    assert_eq!(
                        count_bits(data, first, last),
                        naive_count(data, first, last),
                        "{data:?} {first}..={last}"
                    );
                    for bit in [false, true] {
                        assert_eq!(
                            find_bit(data, bit, first, last),
                            naive_find(data, bit, first, last),
                            "{data:?} {bit} {first}..={last}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn popcount_handles_every_tail_length() {
        for len in 0..40 {
            let data: Vec<u8> = (0..len as u8).map(|i| i.wrapping_mul(37)).collect();
            let want: u32 = data.iter().map(|b| b.count_ones()).sum();
            assert_eq!(popcount(&data), u64::from(want));
        }
    }

    #[test]
    fn bit_at_past_the_end_is_clear() {
        assert!(bit_at(b"\x80", 0));
        assert!(!bit_at(b"\x80", 1));
        assert!(!bit_at(b"\x80", 8));
        assert!(!bit_at(b"\x80", u64::MAX));
    }

    #[test]
    fn bitop_pads_short_sources_with_zeros() {
        let (a, b): (&[u8], &[u8]) = (b"\xff\x0f\xf0", b"\x3c");
        assert_eq!(combine(BitOp::And, &[a, b]), b"\x3c\x00\x00");
        assert_eq!(combine(BitOp::And, &[b, a]), b"\x3c\x00\x00");
        assert_eq!(combine(BitOp::Or, &[b, a]), b"\xff\x0f\xf0");
        assert_eq!(combine(BitOp::Xor, &[a, b, b]), a);
        assert_eq!(combine(BitOp::Not, &[a]), b"\x00\xf0\x0f");
        assert_eq!(combine(BitOp::And, &[a, &[]]), b"\x00\x00\x00");
        assert!(combine(BitOp::Or, &[&[], &[]]).is_empty());
    }

    #[test]
    fn field_types() {
        assert_eq!(field_type(b"i64"), Ok((true, 64)));
        assert_eq!(field_type(b"u63"), Ok((false, 63)));
        assert_eq!(field_type(b"u1"), Ok((false, 1)));
        assert_eq!(field_type(b"u8\0junk"), Ok((false, 8)));
        for bad in [
            &b"u64"[..],
            b"i65",
            b"i0",
            b"u",
            b"U8",
            b"u08",
            b"u+8",
            b"",
            b"8",
        ] {
            assert_eq!(field_type(bad), Err(CmdError::BitfieldType), "{bad:?}");
        }
    }

    #[test]
    fn fields_cross_byte_boundaries() {
        let mut data = vec![0u8; 10];
        write_field(&mut data, field(true, 13, 5), -4000);
        assert_eq!(read_field(&data, field(true, 13, 5)), -4000);
        assert_eq!(read_field(&data, field(false, 13, 5)), 8192 - 4000);
        write_field(&mut data, field(true, 64, 7), i64::MIN + 1);
        assert_eq!(read_field(&data, field(true, 64, 7)), i64::MIN + 1);
        write_field(&mut data, field(false, 63, 9), i64::MAX);
        assert_eq!(read_field(&data, field(false, 63, 9)), i64::MAX);
        // Neighbouring bits survive a write.
        let mut data = vec![0xffu8; 3];
        write_field(&mut data, field(false, 4, 6), 0);
        assert_eq!(data, [0xfc, 0x3f, 0xff]);
        // Reads past the end see zeros.
        assert_eq!(read_field(b"\xff", field(false, 16, 4)), 0xf000);
    }

    #[test]
    fn overflow_at_every_width() {
        for bits in 1..=64 {
            let f = field(true, bits, 0);
            let (min, max) = field_range(true, bits);
            assert_eq!(fit(f, max, 0, Overflow::Fail), Some(max));
            assert_eq!(fit(f, max, 1, Overflow::Wrap), Some(min), "i{bits}");
            assert_eq!(fit(f, max, 1, Overflow::Sat), Some(max));
            assert_eq!(fit(f, max, 1, Overflow::Fail), None);
            assert_eq!(fit(f, min, -1, Overflow::Wrap), Some(max));
            assert_eq!(fit(f, min, -1, Overflow::Sat), Some(min));
            assert_eq!(fit(f, min, -1, Overflow::Fail), None);
            if bits < 64 {
                assert_eq!(fit(f, min, i64::MAX, Overflow::Sat), Some(max));
                let u = field(false, bits, 0);
                let (_, umax) = field_range(false, bits);
                assert_eq!(fit(u, umax, 1, Overflow::Wrap), Some(0), "u{bits}");
                assert_eq!(fit(u, umax, 1, Overflow::Sat), Some(umax));
                assert_eq!(fit(u, 0, -1, Overflow::Wrap), Some(umax));
                assert_eq!(fit(u, 0, -1, Overflow::Sat), Some(0));
                assert_eq!(fit(u, 0, -1, Overflow::Fail), None);
                // SET of a negative number: a huge bit pattern, so "above".
                assert_eq!(fit(u, -1, 0, Overflow::Sat), Some(umax));
                assert_eq!(fit(u, -2, 0, Overflow::Wrap), Some(umax - 1));
            }
        }
        assert_eq!(field_range(true, 64), (i64::MIN, i64::MAX));
        assert_eq!(field_range(false, 63), (0, i64::MAX));
        assert_eq!(
            fit(field(true, 64, 0), i64::MIN, i64::MIN, Overflow::Sat),
            Some(i64::MIN)
        );
        assert_eq!(fit(field(true, 64, 0), -1, i64::MIN, Overflow::Fail), None);
        assert_eq!(
            fit(field(true, 64, 0), -1, i64::MIN, Overflow::Wrap),
            Some(i64::MAX)
        );
    }

    #[test]
    fn set_far_below_a_signed_field_saturates_upwards_like_redis() {
        let f = field(true, 8, 0);
        assert_eq!(fit(f, i64::MIN, 0, Overflow::Sat), Some(127));
        assert_eq!(fit(f, -129, 0, Overflow::Sat), Some(-128));
        assert_eq!(fit(f, i64::MIN, 0, Overflow::Wrap), Some(0));
    }
}
