//! Redis's intset, byte for byte: a sorted array of distinct integers
//! behind an 8-byte header (element width in bytes, then the count, both
//! `u32` little-endian), each element little-endian in that width.
//!
//! The width is the smallest of 2, 4 and 8 bytes that holds every element,
//! and only grows: adding a value too wide for the current width rewrites
//! every element at the new width (Redis's `intsetUpgradeAndAdd`), while
//! removing never narrows it back. Since the layout and the upgrades are
//! Redis's, a set DUMPed or saved here carries the bytes Redis would save
//! for the same writes, and Redis's payloads are held as they arrive.

/// Bytes before the elements: width, then count.
const HEADER: usize = 8;

/// The widths Redis uses (`INTSET_ENC_INT16/32/64`).
const WIDTHS: [usize; 3] = [2, 4, 8];

/// The narrowest width that holds `v` (Redis's `_intsetValueEncoding`).
fn width_of(v: i64) -> usize {
    if i16::try_from(v).is_ok() {
        2
    } else if i32::try_from(v).is_ok() {
        4
    } else {
        8
    }
}

/// Why bytes are not a valid intset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Corrupt {
    /// Shorter than the header.
    NoHeader,
    /// A width other than 2, 4 or 8.
    BadWidth(u32),
    /// The count does not match the bytes after the header.
    BadLength,
    /// Elements not strictly ascending (a duplicate or out of order).
    NotSorted,
    /// No elements: Redis never saves an empty set.
    Empty,
}

impl std::fmt::Display for Corrupt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Corrupt::NoHeader => write!(f, "shorter than its header"),
            Corrupt::BadWidth(w) => write!(f, "invalid element width {w}"),
            Corrupt::BadLength => write!(f, "element count does not match its size"),
            Corrupt::NotSorted => write!(f, "elements not in strictly ascending order"),
            Corrupt::Empty => write!(f, "no elements"),
        }
    }
}

/// An intset; its bytes are always valid. Held in an exact-size box (16
/// bytes), so that a set value fits the keyspace's 24 without one more
/// allocation; each write resizes it, as Redis's `intsetResize` does.
#[derive(Clone, PartialEq, Eq)]
pub struct Intset {
    bytes: Box<[u8]>,
}

impl std::fmt::Debug for Intset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl Default for Intset {
    fn default() -> Self {
        Self::new()
    }
}

impl Intset {
    /// An empty intset of 2-byte elements, as Redis's `intsetNew`.
    pub fn new() -> Intset {
        let mut bytes = [0u8; HEADER];
        bytes[0] = 2;
        Intset {
            bytes: Box::new(bytes),
        }
    }

    /// The intset holding `values`, which are ascending and distinct, at
    /// the width adding them one by one would have reached.
    pub fn from_sorted(values: &[i64]) -> Intset {
        let width = values.iter().map(|&v| width_of(v)).max().unwrap_or(2);
        let mut bytes = Vec::with_capacity(HEADER + values.len() * width);
        bytes.extend_from_slice(&(width as u32).to_le_bytes());
        bytes.extend_from_slice(&(values.len() as u32).to_le_bytes());
        for v in values {
            bytes.extend_from_slice(&v.to_le_bytes()[..width]);
        }
        Intset {
            bytes: bytes.into_boxed_slice(),
        }
    }

    /// Takes bytes from a file or a client, checked as Redis's
    /// `intsetValidateIntegrity` checks them deeply; an empty one is refused.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Intset, Corrupt> {
        let header = |at: usize| -> Result<u32, Corrupt> {
            let raw = bytes.get(at..at + 4).ok_or(Corrupt::NoHeader)?;
            let mut le = [0u8; 4];
            le.copy_from_slice(raw);
            Ok(u32::from_le_bytes(le))
        };
        let width = header(0)?;
        if !WIDTHS.contains(&(width as usize)) {
            return Err(Corrupt::BadWidth(width));
        }
        let count = u64::from(header(4)?);
        if count * u64::from(width) + HEADER as u64 != bytes.len() as u64 {
            return Err(Corrupt::BadLength);
        }
        if count == 0 {
            return Err(Corrupt::Empty);
        }
        let set = Intset {
            bytes: bytes.into_boxed_slice(),
        };
        let mut prev: Option<i64> = None;
        for v in set.iter() {
            if prev.is_some_and(|p| p >= v) {
                return Err(Corrupt::NotSorted);
            }
            prev = Some(v);
        }
        Ok(set)
    }

    /// The bytes Redis would hold, header included.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Element width in bytes.
    fn width(&self) -> usize {
        self.bytes.first().map_or(2, |&w| usize::from(w))
    }

    pub fn len(&self) -> usize {
        (self.bytes.len() - HEADER) / self.width()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The element at `i` (0-based, in ascending order).
    pub fn get(&self, i: usize) -> Option<i64> {
        let w = self.width();
        let at = HEADER + i.checked_mul(w)?;
        let raw = self.bytes.get(at..at + w)?;
        let mut le = [0u8; 8];
        le[..w].copy_from_slice(raw);
        // Sign-extend from the element's width.
        let shift = 64 - 8 * w as u32;
        Some((i64::from_le_bytes(le) << shift) >> shift)
    }

    /// Where `v` is, or where it would go (Redis's `intsetSearch`).
    fn search(&self, v: i64) -> Result<usize, usize> {
        if width_of(v) > self.width() {
            // Wider than every element: past one end.
            return Err(if v < 0 { 0 } else { self.len() });
        }
        let (mut lo, mut hi) = (0, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.get(mid) {
                Some(m) if m < v => lo = mid + 1,
                Some(m) if m > v => hi = mid,
                _ => return Ok(mid),
            }
        }
        Err(lo)
    }

    pub fn contains(&self, v: i64) -> bool {
        self.search(v).is_ok()
    }

    fn set_len(&mut self, n: usize) {
        self.bytes[4..8].copy_from_slice(&(n as u32).to_le_bytes());
    }

    /// Adds `v`; false if it was present. A value too wide for the
    /// current width first rewrites every element at its width.
    pub fn insert(&mut self, v: i64) -> bool {
        let new_width = width_of(v);
        if new_width > self.width() {
            self.upgrade_and_add(v, new_width);
            return true;
        }
        let Err(pos) = self.search(v) else {
            return false;
        };
        let w = self.width();
        let len = self.len();
        let at = HEADER + pos * w;
        let mut bytes = Vec::with_capacity(self.bytes.len() + w);
        bytes.extend_from_slice(&self.bytes[..at]);
        bytes.extend_from_slice(&v.to_le_bytes()[..w]);
        bytes.extend_from_slice(&self.bytes[at..]);
        self.bytes = bytes.into_boxed_slice();
        self.set_len(len + 1);
        true
    }

    /// Redis's `intsetUpgradeAndAdd`: `v` is wider than every element, so
    /// it goes first (negative) or last (positive).
    fn upgrade_and_add(&mut self, v: i64, width: usize) {
        let old: Vec<i64> = self.iter().collect();
        let mut bytes = Vec::with_capacity(HEADER + (old.len() + 1) * width);
        bytes.extend_from_slice(&(width as u32).to_le_bytes());
        bytes.extend_from_slice(&((old.len() + 1) as u32).to_le_bytes());
        let push = |bytes: &mut Vec<u8>, x: i64| bytes.extend_from_slice(&x.to_le_bytes()[..width]);
        if v < 0 {
            push(&mut bytes, v);
        }
        for x in old {
            push(&mut bytes, x);
        }
        if v >= 0 {
            push(&mut bytes, v);
        }
        self.bytes = bytes.into_boxed_slice();
    }

    /// Removes `v`; false if it was absent. The width stays.
    pub fn remove(&mut self, v: i64) -> bool {
        let Ok(pos) = self.search(v) else {
            return false;
        };
        let w = self.width();
        let len = self.len();
        let at = HEADER + pos * w;
        let mut bytes = Vec::with_capacity(self.bytes.len() - w);
        bytes.extend_from_slice(&self.bytes[..at]);
        bytes.extend_from_slice(&self.bytes[at + w..]);
        self.bytes = bytes.into_boxed_slice();
        self.set_len(len - 1);
        true
    }

    /// Elements in ascending order.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = i64> + ExactSizeIterator + '_ {
        (0..self.len()).map(|i| self.get(i).unwrap_or_default())
    }

    /// Heap bytes owned.
    pub fn heap_size(&self) -> usize {
        self.bytes.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(values: &[i64]) -> Intset {
        let mut s = Intset::new();
        for &v in values {
            s.insert(v);
        }
        s
    }

    /// The bytes of `DEBUG`-less `DUMP` payloads of redis-server 7.0.15,
    /// cut to the intset: `SADD s 3 1 2`, then `SADD s 70000` (widened to
    /// 4 bytes), then `SADD s -5000000000` (8 bytes, first).
    #[test]
    fn bytes_and_upgrades_match_redis() {
        let mut s = of(&[3, 1, 2]);
        assert_eq!(s.as_bytes(), [2, 0, 0, 0, 3, 0, 0, 0, 1, 0, 2, 0, 3, 0]);
        assert!(s.insert(70000));
        assert_eq!(
            s.as_bytes(),
            [4, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0x70, 0x11, 1, 0]
        );
        assert!(s.insert(-5_000_000_000));
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            [-5_000_000_000, 1, 2, 3, 70000]
        );
        assert_eq!(s.as_bytes()[..8], [8, 0, 0, 0, 5, 0, 0, 0]);
        assert_eq!(s.as_bytes().len(), 8 + 5 * 8);
        assert!(!s.insert(2));
        assert!(s.remove(-5_000_000_000) && !s.remove(-5_000_000_000));
        assert_eq!(s.as_bytes()[0], 8, "removal never narrows");
        assert!(s.contains(70000) && !s.contains(4) && !s.contains(i64::MIN));
    }

    #[test]
    fn built_from_sorted_values_as_if_added() {
        for values in [&[][..], &[1, 2, 3], &[-70000, 5, 9], &[1, i64::MAX]] {
            assert_eq!(Intset::from_sorted(values), of(values));
        }
    }

    #[test]
    fn extremes_and_sign_extension() {
        let s = of(&[i64::MIN, i64::MAX, -1, 0, i16::MIN.into(), i32::MAX.into()]);
        assert_eq!(
            s.iter().collect::<Vec<_>>(),
            [i64::MIN, i16::MIN.into(), -1, 0, i32::MAX.into(), i64::MAX]
        );
        let small = of(&[-1, -32768, 32767]);
        assert_eq!(small.iter().collect::<Vec<_>>(), [-32768, -1, 32767]);
    }

    #[test]
    fn validation() {
        let good = of(&[1, 5, 9]);
        assert_eq!(
            Intset::from_bytes(good.as_bytes().to_vec()),
            Ok(good.clone())
        );
        let mut bad = good.as_bytes().to_vec();
        bad[0] = 3;
        assert_eq!(Intset::from_bytes(bad), Err(Corrupt::BadWidth(3)));
        let mut bad = good.as_bytes().to_vec();
        bad[4] = 4;
        assert_eq!(Intset::from_bytes(bad), Err(Corrupt::BadLength));
        let mut bad = good.as_bytes().to_vec();
        bad[10] = 1;
        assert_eq!(Intset::from_bytes(bad), Err(Corrupt::NotSorted));
        assert_eq!(Intset::from_bytes(vec![2, 0]), Err(Corrupt::NoHeader));
        assert_eq!(
            Intset::from_bytes(Intset::new().as_bytes().to_vec()),
            Err(Corrupt::Empty)
        );
    }
}
