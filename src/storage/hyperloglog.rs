//! HyperLogLog sketches in Redis 7.0's byte layout.
//!
//! An HLL is an ordinary string, so GET, DUMP and snapshots carry it as
//! is, and a sketch built by Redis keeps counting here identically (and
//! back). The string is a 16-byte header — `HYLL`, an encoding byte (0
//! dense, 1 sparse), three unused bytes, and the cached cardinality as a
//! little-endian `u64` whose top bit marks it stale — followed by the
//! 16384 registers. Dense: 6 bits per register, least significant bits
//! first. Sparse: run-length opcodes (`ZERO` 00xxxxxx for 1-64 zero
//! registers, `XZERO` 01xxxxxx yyyyyyyy for up to 16384, `VAL` 1vvvvvxx for
//! 1-4 registers holding 1-32), which become dense for good once a register
//! exceeds 32 or the string would pass `hll-sparse-max-bytes`.
//!
//! Every update follows Redis's steps exactly (where a run splits, which
//! neighbouring runs merge), since the bytes are visible. Strings that
//! merely look like HLLs (anything passing the header checks) are handled
//! without panicking: a sparse body that does not cover exactly the 16384
//! registers is reported as [`Corrupt`] where Redis reports it, and read
//! as Redis reads it everywhere else.

/// Register index bits (`HLL_P`).
const P: u32 = 14;
/// Hash bits left to find the run of zeros in (`HLL_Q`).
const Q: usize = 64 - P as usize;
/// Number of registers.
pub const REGISTERS: usize = 1 << P;
/// Bits per dense register.
const BITS: usize = 6;
const REGISTER_MAX: u8 = (1 << BITS) - 1;
/// Header bytes before the registers.
pub const HDR_SIZE: usize = 16;
/// Length of a dense HLL string.
pub const DENSE_SIZE: usize = HDR_SIZE + (REGISTERS * BITS).div_ceil(8);
const DENSE_BYTES: usize = DENSE_SIZE - HDR_SIZE;
const ENCODING_DENSE: u8 = 0;
const ENCODING_SPARSE: u8 = 1;
/// Byte of the header holding the cache's "stale" bit (its top bit).
const CARD_LAST: usize = 15;
/// The seed Redis hashes elements with.
const SEED: u64 = 0xadc8_3b19;
/// Largest value and run a `VAL` opcode holds.
const VAL_MAX_VALUE: u8 = 32;
const VAL_MAX_LEN: usize = 4;
/// Longest run a `ZERO` opcode holds.
const ZERO_MAX_LEN: usize = 64;
/// `1 / (2 ln 2)`, the estimator's constant (`HLL_ALPHA_INF`): the double
/// nearest Redis's literal 0.721347520444481703680.
const ALPHA_INF: f64 = 0.721_347_520_444_481_7;

/// A sparse HLL whose opcodes do not cover exactly the registers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Corrupt;

/// Whether `s` passes Redis's checks for an HLL value: long enough for the
/// header, the magic, a known encoding, and a dense one of the exact size.
/// A sparse body is only examined when it is used.
pub fn is_hll(s: &[u8]) -> bool {
    s.len() >= HDR_SIZE
        && s.starts_with(b"HYLL")
        && match s[4] {
            ENCODING_DENSE => s.len() == DENSE_SIZE,
            ENCODING_SPARSE => true,
            _ => false,
        }
}

/// Whether an HLL (one passing [`is_hll`]) is dense.
pub fn is_dense(hll: &[u8]) -> bool {
    hll.get(4) == Some(&ENCODING_DENSE)
}

/// An empty sketch: sparse, one `XZERO` over every register, and a valid
/// cached cardinality of 0.
pub fn new_sparse() -> Vec<u8> {
    let mut hll = Vec::with_capacity(HDR_SIZE + 2);
    hll.extend_from_slice(b"HYLL");
    hll.push(ENCODING_SPARSE);
    hll.resize(HDR_SIZE, 0);
    hll.extend_from_slice(&xzero(REGISTERS));
    hll
}

// ---------------------------------------------------------------------------
// Hashing

/// Austin Appleby's MurmurHash64A, with the little-endian word reads Redis
/// does on the machines it runs on.
fn murmur64a(data: &[u8], seed: u64) -> u64 {
    const M: u64 = 0xc6a4_a793_5bd1_e995;
    const R: u32 = 47;
    let mut h = seed ^ (data.len() as u64).wrapping_mul(M);
    let chunks = data.chunks_exact(8);
    let tail = chunks.remainder();
    for chunk in chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let mut k = u64::from_le_bytes(word).wrapping_mul(M);
        k ^= k >> R;
        h ^= k.wrapping_mul(M);
        h = h.wrapping_mul(M);
    }
    if !tail.is_empty() {
        for (i, &b) in tail.iter().enumerate() {
            h ^= u64::from(b) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> R;
    h = h.wrapping_mul(M);
    h ^ (h >> R)
}

/// The register an element falls in and the value it offers: one more
/// than the number of zero bits above the index bits (at most `Q + 1`).
fn pattern(element: &[u8]) -> (usize, u8) {
    let hash = murmur64a(element, SEED);
    let index = (hash & (REGISTERS as u64 - 1)) as usize;
    let rest = (hash >> P) | (1 << Q);
    (index, rest.trailing_zeros() as u8 + 1)
}

// ---------------------------------------------------------------------------
// The cached cardinality

/// The cached cardinality, if it is not stale.
pub fn cached_count(hll: &[u8]) -> Option<u64> {
    let card: [u8; 8] = hll.get(8..HDR_SIZE)?.try_into().ok()?;
    (card[7] & 0x80 == 0).then(|| u64::from_le_bytes(card))
}

/// Stores a cardinality in the cache (a value with the top bit set reads
/// as stale, as it does in Redis).
pub fn set_cached_count(hll: &mut [u8], card: u64) {
    if let Some(slot) = hll.get_mut(8..HDR_SIZE) {
        slot.copy_from_slice(&card.to_le_bytes());
    }
}

/// Marks the cached cardinality stale.
pub fn invalidate_cache(hll: &mut [u8]) {
    if let Some(b) = hll.get_mut(CARD_LAST) {
        *b |= 0x80;
    }
}

// ---------------------------------------------------------------------------
// Dense registers

/// Register `i` of a dense body. The last register's neighbour byte is the
/// string's terminator in Redis, a zero.
fn dense_get(regs: &[u8; DENSE_BYTES], i: usize) -> u8 {
    let bit = i * BITS;
    let (byte, shift) = (bit / 8, bit % 8);
    let b0 = u16::from(regs[byte]);
    let b1 = u16::from(regs.get(byte + 1).copied().unwrap_or(0));
    (((b0 >> shift) | (b1 << (8 - shift))) & u16::from(REGISTER_MAX)) as u8
}

fn dense_put(regs: &mut [u8; DENSE_BYTES], i: usize, value: u8) {
    let bit = i * BITS;
    let (byte, shift) = (bit / 8, bit % 8);
    let wide = u16::from(value) << shift;
    let mask = u16::from(REGISTER_MAX) << shift;
    regs[byte] = (regs[byte] & !(mask as u8)) | wide as u8;
    if let Some(next) = regs.get_mut(byte + 1) {
        *next = (*next & !((mask >> 8) as u8)) | (wide >> 8) as u8;
    }
}

/// Raises register `i` to `value`; whether it changed.
fn dense_raise(regs: &mut [u8; DENSE_BYTES], i: usize, value: u8) -> bool {
    if value > dense_get(regs, i) {
        dense_put(regs, i, value);
        true
    } else {
        false
    }
}

/// The registers of a dense HLL.
fn dense_body(hll: &[u8]) -> Option<&[u8; DENSE_BYTES]> {
    hll.get(HDR_SIZE..)?.try_into().ok()
}

fn dense_body_mut(hll: &mut [u8]) -> Option<&mut [u8; DENSE_BYTES]> {
    hll.get_mut(HDR_SIZE..)?.try_into().ok()
}

/// Each group of three bytes holds four registers.
fn dense_for_each(regs: &[u8; DENSE_BYTES], mut f: impl FnMut(usize, u8)) {
    for (n, b) in regs.chunks_exact(3).enumerate() {
        let i = n * 4;
        f(i, b[0] & REGISTER_MAX);
        f(i + 1, ((b[0] >> 6) | (b[1] << 2)) & REGISTER_MAX);
        f(i + 2, ((b[1] >> 4) | (b[2] << 4)) & REGISTER_MAX);
        f(i + 3, b[2] >> 2);
    }
}

// ---------------------------------------------------------------------------
// Sparse opcodes

/// One sparse opcode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    /// A run of 1-64 zero registers, one byte.
    Zero(usize),
    /// A run of 1-16384 zero registers, two bytes.
    XZero(usize),
    /// A run of 1-4 registers holding 1-32, one byte.
    Val(u8, usize),
}

impl Op {
    /// The opcode at byte `p` of `s` (which must exist). An `XZERO` cut
    /// short by the end reads a zero second byte, Redis's terminator.
    fn at(s: &[u8], p: usize) -> Op {
        let b = s[p];
        if b & 0x80 != 0 {
            Op::Val(((b >> 2) & 0x1f) + 1, usize::from(b & 0x3) + 1)
        } else if b & 0x40 == 0 {
            Op::Zero(usize::from(b & 0x3f) + 1)
        } else {
            let low = s.get(p + 1).copied().unwrap_or(0);
            Op::XZero((usize::from(b & 0x3f) << 8 | usize::from(low)) + 1)
        }
    }

    /// Registers covered.
    fn span(self) -> usize {
        match self {
            Op::Zero(n) | Op::XZero(n) | Op::Val(_, n) => n,
        }
    }

    /// Bytes taken.
    fn size(self) -> usize {
        match self {
            Op::XZero(_) => 2,
            _ => 1,
        }
    }
}

fn val(value: u8, len: usize) -> u8 {
    0x80 | ((value - 1) << 2) | (len as u8 - 1)
}

fn xzero(len: usize) -> [u8; 2] {
    let l = len - 1;
    [0x40 | (l >> 8) as u8, l as u8]
}

/// The opcodes of a sparse body, each with its offset.
fn sparse_ops(body: &[u8]) -> impl Iterator<Item = (usize, Op)> + '_ {
    let mut p = 0;
    std::iter::from_fn(move || {
        if p >= body.len() {
            return None;
        }
        let op = Op::at(body, p);
        let at = p;
        p += op.size();
        Some((at, op))
    })
}

/// Writes a run of `len` zero registers at `seq[n..]`, as short an opcode
/// as fits; returns the bytes written.
fn put_zero_run(seq: &mut [u8; 5], n: usize, len: usize) -> usize {
    if len > ZERO_MAX_LEN {
        seq[n..n + 2].copy_from_slice(&xzero(len));
        2
    } else {
        seq[n] = (len - 1) as u8;
        1
    }
}

/// Raises register `index` of a sparse HLL to `count` in place, splitting
/// the run that covers it and merging equal neighbours, or turns the HLL
/// dense when the value or the new length does not fit the sparse form.
fn sparse_raise(
    hll: &mut Vec<u8>,
    index: usize,
    count: u8,
    max_bytes: usize,
) -> Result<bool, Corrupt> {
    if count > VAL_MAX_VALUE {
        return promote(hll, index, count);
    }
    // Find the opcode covering the register: `first` is the first register
    // it covers, `prev` the opcode before it.
    let end = hll.len();
    let (mut p, mut first, mut prev, mut op) = (HDR_SIZE, 0, None, None);
    while p < end {
        let here = Op::at(hll, p);
        op = Some(here);
        if index < first + here.span() {
            break;
        }
        prev = Some(p);
        p += here.size();
        first += here.span();
    }
    let op = match op {
        Some(op) if p < end => op,
        _ => return Err(Corrupt),
    };
    // The trivial cases: the register already holds as much, or it is a run
    // of one that takes the new value as it is.
    match op {
        Op::Val(v, _) if v >= count => return Ok(false),
        Op::Val(_, 1) | Op::Zero(1) => {
            hll[p] = val(count, 1);
            merge_vals(hll, prev.unwrap_or(HDR_SIZE));
            invalidate_cache(hll);
            return Ok(true);
        }
        _ => {}
    }
    // The general case: the run splits into up to three (an XZERO split in
    // the middle takes five bytes).
    let last = first + op.span() - 1;
    let mut seq = [0u8; 5];
    let mut n = 0;
    match op {
        Op::Val(v, _) => {
            if index != first {
                seq[n] = val(v, index - first);
                n += 1;
            }
            seq[n] = val(count, 1);
            n += 1;
            if index != last {
                seq[n] = val(v, last - index);
                n += 1;
            }
        }
        Op::Zero(_) | Op::XZero(_) => {
            if index != first {
                n += put_zero_run(&mut seq, n, index - first);
            }
            seq[n] = val(count, 1);
            n += 1;
            if index != last {
                n += put_zero_run(&mut seq, n, last - index);
            }
        }
    }
    let old = op.size();
    if n > old && end + n - old > max_bytes {
        return promote(hll, index, count);
    }
    if p + old <= end {
        hll.splice(p..p + old, seq[..n].iter().copied());
    } else {
        // An XZERO cut short by the end of a damaged HLL: Redis writes the
        // new run over where it would have ended and keeps the length the
        // old one implied.
        hll.truncate(p);
        hll.extend_from_slice(&seq[..n]);
        hll.truncate(end + n - old);
    }
    merge_vals(hll, prev.unwrap_or(HDR_SIZE));
    invalidate_cache(hll);
    Ok(true)
}

/// Merges adjacent `VAL` runs of equal value that fit one opcode, looking
/// at five opcodes from `p` on (the one before the change, the up to three
/// it became, and the one after), as Redis does.
fn merge_vals(hll: &mut Vec<u8>, mut p: usize) {
    let mut budget = 5;
    while p < hll.len() && budget > 0 {
        budget -= 1;
        let here = Op::at(hll, p);
        let (Op::Val(v1, l1), true) = (here, p + 1 < hll.len()) else {
            p += here.size();
            continue;
        };
        if let Op::Val(v2, l2) = Op::at(hll, p + 1) {
            if v1 == v2 && l1 + l2 <= VAL_MAX_LEN {
                hll[p + 1] = val(v1, l1 + l2);
                hll.remove(p);
                // The merged run may merge again with the one after it.
                continue;
            }
        }
        p += 1;
    }
}

/// Turns a sparse HLL dense, then raises the register that did not fit.
fn promote(hll: &mut Vec<u8>, index: usize, count: u8) -> Result<bool, Corrupt> {
    to_dense(hll)?;
    if let Some(regs) = dense_body_mut(hll) {
        dense_raise(regs, index, count);
    }
    Ok(true)
}

/// The registers of a sparse body folded into `max` (each the larger of
/// the two); the opcodes must cover exactly the registers.
fn sparse_merge(body: &[u8], max: &mut [u8; REGISTERS]) -> Result<(), Corrupt> {
    let mut i = 0usize;
    for (_, op) in sparse_ops(body) {
        match op {
            Op::Zero(n) | Op::XZero(n) => i += n,
            Op::Val(v, n) => {
                let run = max.get_mut(i..i + n).ok_or(Corrupt)?;
                for r in run {
                    *r = (*r).max(v);
                }
                i += n;
            }
        }
    }
    if i == REGISTERS {
        Ok(())
    } else {
        Err(Corrupt)
    }
}

// ---------------------------------------------------------------------------
// Whole-sketch operations

/// Adds an element; whether a register changed.
pub fn add(hll: &mut Vec<u8>, element: &[u8], max_bytes: usize) -> Result<bool, Corrupt> {
    let (index, count) = pattern(element);
    raise(hll, index, count, max_bytes)
}

/// Raises register `index` to `count`; whether it changed.
fn raise(hll: &mut Vec<u8>, index: usize, count: u8, max_bytes: usize) -> Result<bool, Corrupt> {
    match hll.get(4) {
        Some(&ENCODING_SPARSE) => sparse_raise(hll, index, count, max_bytes),
        _ => dense_body_mut(hll)
            .map(|regs| dense_raise(regs, index, count))
            .ok_or(Corrupt),
    }
}

/// Turns a sparse HLL dense, keeping the header (cache included); whether
/// it was sparse.
pub fn to_dense(hll: &mut Vec<u8>) -> Result<bool, Corrupt> {
    if is_dense(hll) {
        return Ok(false);
    }
    let mut regs = Registers::new();
    sparse_merge(hll.get(HDR_SIZE..).unwrap_or_default(), &mut regs.0)?;
    let mut dense = vec![0u8; DENSE_SIZE];
    if let Some(header) = hll.get(..HDR_SIZE) {
        dense[..HDR_SIZE].copy_from_slice(header);
    }
    dense[4] = ENCODING_DENSE;
    if let Some(body) = dense_body_mut(&mut dense) {
        for (i, &v) in regs.0.iter().enumerate() {
            if v != 0 {
                dense_put(body, i, v);
            }
        }
    }
    *hll = dense;
    Ok(true)
}

/// The estimated cardinality of an HLL, ignoring the cache.
pub fn count(hll: &[u8]) -> Result<u64, Corrupt> {
    let mut histo = [0u32; 64];
    if is_dense(hll) {
        let regs = dense_body(hll).ok_or(Corrupt)?;
        dense_for_each(regs, |_, v| histo[usize::from(v)] += 1);
    } else {
        let mut idx = 0usize;
        for (_, op) in sparse_ops(hll.get(HDR_SIZE..).unwrap_or_default()) {
            let (value, n) = match op {
                Op::Zero(n) | Op::XZero(n) => (0, n),
                Op::Val(v, n) => (usize::from(v), n),
            };
            histo[value] = histo[value].wrapping_add(n as u32);
            idx += n;
        }
        if idx != REGISTERS {
            return Err(Corrupt);
        }
    }
    Ok(estimate(&histo))
}

/// Ertl's improved estimator ("New cardinality estimation algorithms for
/// HyperLogLog sketches", arXiv:1702.01284) over the register histogram,
/// with Redis's order of floating-point operations so the results agree.
fn estimate(histo: &[u32; 64]) -> u64 {
    let m = REGISTERS as f64;
    let mut z = m * tau((m - f64::from(histo[Q + 1])) / m);
    for &h in histo[1..=Q].iter().rev() {
        z += f64::from(h);
        z *= 0.5;
    }
    z += m * sigma(f64::from(histo[0]) / m);
    c_card(ALPHA_INF * m * m / z)
}

/// Redis stores `llroundl(x)` in a double and casts that to `uint64_t`;
/// out-of-range results come out as x86-64 produces them.
fn c_card(x: f64) -> u64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    let rounded = if x.is_finite() && x.abs() < TWO_63 {
        x.round() as i64
    } else {
        i64::MIN
    } as f64;
    if rounded < TWO_63 {
        rounded as i64 as u64
    } else {
        ((rounded - TWO_63) as i64 as u64) ^ (1 << 63)
    }
}

fn tau(mut x: f64) -> f64 {
    if x == 0.0 || x == 1.0 {
        return 0.0;
    }
    let mut y = 1.0;
    let mut z = 1.0 - x;
    loop {
        x = x.sqrt();
        let before = z;
        y *= 0.5;
        z -= (1.0 - x) * (1.0 - x) * y;
        if before == z {
            return z / 3.0;
        }
    }
}

fn sigma(mut x: f64) -> f64 {
    if x == 1.0 {
        return f64::INFINITY;
    }
    let mut y = 1.0;
    let mut z = x;
    loop {
        x *= x;
        let before = z;
        z += x * y;
        y += y;
        if before == z {
            return z;
        }
    }
}

/// Registers one byte each: the union PFCOUNT and PFMERGE build.
pub struct Registers([u8; REGISTERS]);

impl Registers {
    pub fn new() -> Self {
        Registers([0; REGISTERS])
    }

    /// Folds an HLL (one passing [`is_hll`]) in, each register the larger.
    pub fn merge(&mut self, hll: &[u8]) -> Result<(), Corrupt> {
        if is_dense(hll) {
            let regs = dense_body(hll).ok_or(Corrupt)?;
            let max = &mut self.0;
            dense_for_each(regs, |i, v| max[i] = max[i].max(v));
            Ok(())
        } else {
            sparse_merge(hll.get(HDR_SIZE..).unwrap_or_default(), &mut self.0)
        }
    }

    /// The estimated cardinality of the union.
    pub fn count(&self) -> u64 {
        let mut histo = [0u32; 64];
        for &v in &self.0 {
            histo[usize::from(v & 63)] += 1;
        }
        estimate(&histo)
    }

    /// Raises each register of `hll` to the union's, in register order as
    /// Redis does (so a sparse target splits and promotes the same way).
    /// A damaged sparse target is left as far as it got.
    pub fn raise_into(&self, hll: &mut Vec<u8>, max_bytes: usize) {
        for (i, &v) in self.0.iter().enumerate() {
            if v != 0 {
                let _ = raise(hll, i, v, max_bytes);
            }
        }
    }
}

impl Default for Registers {
    fn default() -> Self {
        Self::new()
    }
}

/// Every register of a dense HLL, in order.
pub fn dense_registers(hll: &[u8]) -> Option<impl Iterator<Item = u8> + '_> {
    let regs = dense_body(hll).filter(|_| is_dense(hll))?;
    Some((0..REGISTERS).map(|i| dense_get(regs, i)))
}

/// The opcodes of a sparse HLL as PFDEBUG DECODE lists them
/// (`z:len`, `Z:len`, `v:value,len`, space-separated).
pub fn decode(hll: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for (_, op) in sparse_ops(hll.get(HDR_SIZE..).unwrap_or_default()) {
        let _ = match op {
            Op::Zero(n) => write!(out, "z:{n} "),
            Op::XZero(n) => write!(out, "Z:{n} "),
            Op::Val(v, n) => write!(out, "v:{v},{n} "),
        };
    }
    out.truncate(out.trim_end().len());
    out
}

// ---------------------------------------------------------------------------
// Self test (PFSELFTEST)

/// Cycles of random register values written and read back.
const SELFTEST_REGISTER_CYCLES: usize = 16;
/// Elements added; the error is checked at every power of ten up to this.
const SELFTEST_ELEMENTS: u64 = 1_000_000;

/// Checks the register layout and the estimator: dense registers keep
/// what is written without disturbing their neighbours, and sparse and
/// dense sketches of the same elements agree and stay within six standard
/// errors. `random` supplies the test data. The error text is Redis's.
pub fn selftest(max_bytes: usize, random: &mut impl FnMut() -> u64) -> Result<(), String> {
    let mut dense = vec![0u8; DENSE_SIZE];
    dense[..4].copy_from_slice(b"HYLL");
    let mut expected = [0u8; REGISTERS];
    for _ in 0..SELFTEST_REGISTER_CYCLES {
        let Some(regs) = dense_body_mut(&mut dense) else {
            return Err("TESTFAILED dense layout".into());
        };
        for (i, e) in expected.iter_mut().enumerate() {
            *e = (random() & u64::from(REGISTER_MAX)) as u8;
            dense_put(regs, i, *e);
        }
        for (i, &e) in expected.iter().enumerate() {
            let got = dense_get(regs, i);
            if got != e {
                return Err(format!(
                    "TESTFAILED Register error at {i}: expected {e}, got {got}"
                ));
            }
        }
    }
    dense[HDR_SIZE..].fill(0);
    let mut sparse = new_sparse();
    let relerr = 1.04 / (REGISTERS as f64).sqrt();
    let seed = random();
    let mut checkpoint = 1u64;
    for j in 1..=SELFTEST_ELEMENTS {
        let element = (j ^ seed).to_le_bytes();
        let (index, value) = pattern(&element);
        if let Some(regs) = dense_body_mut(&mut dense) {
            dense_raise(regs, index, value);
        }
        raise(&mut sparse, index, value, max_bytes).map_err(|_| "TESTFAILED corrupted")?;
        if j != checkpoint {
            continue;
        }
        if j < max_bytes as u64 / 2 && is_dense(&sparse) {
            return Err("TESTFAILED sparse encoding not used".into());
        }
        let card = count(&dense).map_err(|_| "TESTFAILED corrupted")?;
        if count(&sparse) != Ok(card) {
            return Err("TESTFAILED dense/sparse disagree".into());
        }
        let abserr = checkpoint.abs_diff(card);
        // Ten elements colliding in one register is likely enough to
        // allow for.
        let maxerr = if j == 10 {
            1
        } else {
            (relerr * 6.0 * checkpoint as f64).ceil() as u64
        };
        if abserr > maxerr {
            return Err(format!(
                "TESTFAILED Too big error. card:{checkpoint} abserr:{abserr}"
            ));
        }
        checkpoint *= 10;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sketches as redis-server 7.0.15 leaves them (GET after PFADD).
    const ABC: &[u8] =
        b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80`\xf3\x80P\xb1\x84K\xfb\x80BZ";
    const EMPTY_INVALIDATED: &[u8] =
        b"HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff";

    fn build(elements: &[&[u8]], max_bytes: usize) -> Vec<u8> {
        let mut hll = new_sparse();
        invalidate_cache(&mut hll);
        for e in elements {
            add(&mut hll, e, max_bytes).unwrap();
        }
        hll
    }

    #[test]
    fn bytes_match_redis() {
        assert_eq!(build(&[], 3000), EMPTY_INVALIDATED);
        assert_eq!(build(&[b"a", b"b", b"c"], 3000), ABC);
        assert_eq!(decode(ABC), "Z:8436 v:1,1 Z:4274 v:2,1 Z:3068 v:1,1 Z:603");
        assert_eq!(count(ABC), Ok(3));
        let mut more = ABC.to_vec();
        for e in ["foo", "bar", "baz", "hello", "world", "1", "2", "3"] {
            add(&mut more, e.as_bytes(), 3000).unwrap();
        }
        assert_eq!(
            decode(&more),
            "Z:2742 v:3,1 Z:3815 v:4,1 Z:789 v:5,1 Z:178 v:1,1 Z:908 v:1,1 Z:779 v:1,1 \
             Z:790 v:1,1 Z:965 v:1,1 Z:1737 v:2,1 Z:2659 v:4,1 Z:408 v:1,1 Z:603"
        );
    }

    #[test]
    fn murmur_tail_lengths() {
        // Every tail length takes its own branch; the hash must depend on
        // every byte and on the length.
        let data: Vec<u8> = (1..=17).collect();
        let hashes: Vec<u64> = (0..=17).map(|n| murmur64a(&data[..n], SEED)).collect();
        let mut unique = hashes.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), hashes.len());
    }

    #[test]
    fn dense_registers_keep_their_values() {
        let mut body = [0u8; DENSE_BYTES];
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut want = vec![0u8; REGISTERS];
        for (i, w) in want.iter_mut().enumerate() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            *w = (x & 63) as u8;
            dense_put(&mut body, i, *w);
        }
        let mut seen = vec![0u8; REGISTERS];
        dense_for_each(&body, |i, v| seen[i] = v);
        assert_eq!(seen, want);
        assert!((0..REGISTERS).all(|i| dense_get(&body, i) == want[i]));
    }

    #[test]
    fn sparse_and_dense_agree_across_promotion() {
        let mut sparse = new_sparse();
        let mut dense = new_sparse();
        to_dense(&mut dense).unwrap();
        let mut promoted_at = None;
        for i in 0..20_000u32 {
            let e = i.to_string();
            let a = add(&mut sparse, e.as_bytes(), 3000).unwrap();
            let b = add(&mut dense, e.as_bytes(), 3000).unwrap();
            assert_eq!(a, b, "element {i}");
            if promoted_at.is_none() && is_dense(&sparse) {
                promoted_at = Some(i);
            }
            if promoted_at.is_none() {
                assert!(sparse.len() <= 3000);
                let mut copy = sparse.clone();
                to_dense(&mut copy).unwrap();
                assert_eq!(copy[HDR_SIZE..], dense[HDR_SIZE..], "element {i}");
            }
        }
        assert!(promoted_at.is_some());
        assert_eq!(sparse[HDR_SIZE..], dense[HDR_SIZE..]);
        assert_eq!(count(&sparse), count(&dense));
    }

    #[test]
    fn estimates_stay_close() {
        let mut hll = new_sparse();
        for i in 0..100_000u32 {
            add(&mut hll, &i.to_le_bytes(), 3000).unwrap();
        }
        let card = count(&hll).unwrap() as f64;
        assert!((card - 100_000.0).abs() < 100_000.0 * 0.03, "{card}");
        let mut regs = Registers::new();
        regs.merge(&hll).unwrap();
        regs.merge(&new_sparse()).unwrap();
        assert_eq!(regs.count(), card as u64);
    }

    #[test]
    fn cache_bits() {
        let mut hll = new_sparse();
        assert_eq!(cached_count(&hll), Some(0));
        set_cached_count(&mut hll, 1234);
        assert_eq!(cached_count(&hll), Some(1234));
        invalidate_cache(&mut hll);
        assert_eq!(cached_count(&hll), None);
    }

    #[test]
    fn selftest_passes() {
        let mut x = 42u64;
        let mut random = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        assert_eq!(selftest(3000, &mut random), Ok(()));
    }

    /// Random and mutated strings that pass the header checks never panic,
    /// whatever is done with them, and sparse damage is reported.
    #[test]
    fn crafted_strings_never_panic() {
        let mut x = 7u64;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut seeds = vec![new_sparse(), ABC.to_vec(), build(&[&b"x"[..]], 3000)];
        let mut big = new_sparse();
        for i in 0..3000u32 {
            add(&mut big, &i.to_le_bytes(), 3000).unwrap();
        }
        seeds.push(big.clone());
        to_dense(&mut big).unwrap();
        seeds.push(big);
        for round in 0..3000 {
            let mut s = seeds[round % seeds.len()].clone();
            let mutations = next() % 6;
            for _ in 0..mutations {
                let r = next() as usize;
                match r % 4 {
                    0 if s.len() > HDR_SIZE => {
                        let at = HDR_SIZE + r / 4 % (s.len() - HDR_SIZE);
                        s[at] = (next() & 0xff) as u8;
                    }
                    1 if s.len() > HDR_SIZE && !is_dense(&s) => {
                        let at = HDR_SIZE + r / 4 % (s.len() - HDR_SIZE);
                        s.remove(at);
                    }
                    2 if !is_dense(&s) => {
                        let at = HDR_SIZE + r / 4 % (s.len() - HDR_SIZE + 1);
                        s.insert(at, (next() & 0xff) as u8);
                    }
                    _ => {
                        let n = (next() % 40) as usize;
                        s.truncate(HDR_SIZE);
                        s.extend((0..n).map(|_| (next() & 0xff) as u8));
                        s[4] = ENCODING_SPARSE;
                    }
                }
            }
            assert!(is_hll(&s));
            let _ = count(&s);
            let _ = decode(&s);
            let mut regs = Registers::new();
            assert_eq!(regs.merge(&s).is_ok(), count(&s).is_ok());
            let mut target = s.clone();
            regs.raise_into(&mut target, 3000);
            let mut t = s.clone();
            for e in 0..50u32 {
                if add(&mut t, &e.to_le_bytes(), (next() % 4000) as usize).is_err() {
                    break;
                }
            }
            let _ = count(&t);
            let mut d = s.clone();
            if to_dense(&mut d).is_ok() {
                assert_eq!(d.len(), DENSE_SIZE);
                let _ = dense_registers(&d).map(Iterator::count);
            }
        }
    }
}
