//! Stream entry IDs: two unsigned 64-bit numbers, milliseconds and a
//! sequence, ordered as one 128-bit number, and their text forms.
//!
//! The parser reads numbers as Redis's `string2ull` does (a strict decimal
//! first, then C's `strtoull`, which also takes leading blanks, a `+`, and
//! leading zeros), because clients see which spellings are accepted.

use crate::protocol::parser::parse_i64_strict;

/// Longest ID text: two 20-digit numbers and the dash.
pub const ID_TEXT_MAX: usize = 41;
/// Arguments longer than this are never IDs (Redis parses into a 128-byte buffer).
const ARG_MAX: usize = 127;

/// A stream entry ID, `ms-seq`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StreamId {
    pub ms: u64,
    pub seq: u64,
}

impl StreamId {
    pub const ZERO: StreamId = StreamId { ms: 0, seq: 0 };
    pub const MAX: StreamId = StreamId {
        ms: u64::MAX,
        seq: u64::MAX,
    };

    pub const fn new(ms: u64, seq: u64) -> StreamId {
        StreamId { ms, seq }
    }

    /// The next ID, None past the last one (Redis's `streamIncrID`).
    pub fn incr(self) -> Option<StreamId> {
        match (self.ms, self.seq) {
            (u64::MAX, u64::MAX) => None,
            (ms, u64::MAX) => Some(StreamId::new(ms + 1, 0)),
            (ms, seq) => Some(StreamId::new(ms, seq + 1)),
        }
    }

    /// The previous ID, None before 0-0 (Redis's `streamDecrID`).
    pub fn decr(self) -> Option<StreamId> {
        match (self.ms, self.seq) {
            (0, 0) => None,
            (ms, 0) => Some(StreamId::new(ms - 1, u64::MAX)),
            (ms, seq) => Some(StreamId::new(ms, seq - 1)),
        }
    }

    pub fn is_zero(self) -> bool {
        self == StreamId::ZERO
    }

    /// The 16 bytes the index and RDB key a node by: both halves big endian.
    pub fn to_be_bytes(self) -> [u8; 16] {
        let mut out = [0u8; 16];
        out[..8].copy_from_slice(&self.ms.to_be_bytes());
        out[8..].copy_from_slice(&self.seq.to_be_bytes());
        out
    }

    pub fn from_be_bytes(b: [u8; 16]) -> StreamId {
        let (ms, seq) = b.split_at(8);
        let half = |s: &[u8]| u64::from_be_bytes(s.try_into().unwrap_or_default());
        StreamId::new(half(ms), half(seq))
    }

    /// `ms-seq` into `buf`.
    pub fn format(self, buf: &mut [u8; ID_TEXT_MAX]) -> &[u8] {
        let n = write_u64(self.ms, buf, 0);
        buf[n] = b'-';
        let end = write_u64(self.seq, buf, n + 1);
        &buf[..end]
    }

    /// `ms-seq` as owned bytes.
    pub fn to_vec(self) -> Vec<u8> {
        self.format(&mut [0u8; ID_TEXT_MAX]).to_vec()
    }
}

/// Writes `v` in decimal at `buf[at..]`; returns the end.
fn write_u64(mut v: u64, buf: &mut [u8; ID_TEXT_MAX], at: usize) -> usize {
    let mut digits = [0u8; 20];
    let mut n = 0;
    loop {
        digits[n] = b'0' + (v % 10) as u8;
        n += 1;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    for (i, d) in digits[..n].iter().rev().enumerate() {
        buf[at + i] = *d;
    }
    at + n
}

/// How an argument spelled an ID.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parsed {
    pub id: StreamId,
    /// False for `<ms>-*` (the sequence is to be generated).
    pub seq_given: bool,
}

/// What the parser accepts besides `ms[-seq]`.
#[derive(Clone, Copy, Debug, Default)]
pub struct Forms {
    /// `-` and `+` (0-0 and the maximum) are refused when strict.
    pub strict: bool,
    /// `<ms>-*` is accepted (XADD's ID).
    pub auto_seq: bool,
}

/// Parses an ID as Redis's `streamGenericParseIDOrReply`; a missing
/// sequence is `missing_seq`. None is Redis's "Invalid stream ID".
pub fn parse(arg: &[u8], missing_seq: u64, forms: Forms) -> Option<Parsed> {
    if arg.len() > ARG_MAX {
        return None;
    }
    // Redis reads the argument as a C string.
    let arg = arg.split(|&b| b == 0).next().unwrap_or_default();
    match arg {
        b"-" | b"+" if forms.strict => return None,
        b"-" => {
            return Some(Parsed {
                id: StreamId::ZERO,
                seq_given: true,
            })
        }
        b"+" => {
            return Some(Parsed {
                id: StreamId::MAX,
                seq_given: true,
            })
        }
        _ => {}
    }
    let (ms_text, seq_text) = match arg.iter().position(|&b| b == b'-') {
        Some(dash) => (&arg[..dash], Some(&arg[dash + 1..])),
        None => (arg, None),
    };
    let ms = string_to_u64(ms_text)?;
    let (seq, seq_given) = match seq_text {
        Some(b"*") if forms.auto_seq => (0, false),
        Some(text) => (string_to_u64(text)?, true),
        None => (missing_seq, true),
    };
    Some(Parsed {
        id: StreamId::new(ms, seq),
        seq_given,
    })
}

/// Redis's `string2ull`: a strict `long long` that is not negative, or
/// else whatever `strtoull` takes whole without overflow.
fn string_to_u64(s: &[u8]) -> Option<u64> {
    if let Some(v) = parse_i64_strict(s) {
        return u64::try_from(v).ok();
    }
    strtoull(s)
}

/// C's `strtoull(s, &end, 10)` requiring `*end == 0`: leading blanks, an
/// optional sign (a minus negates modulo 2^64), at least one digit, and
/// nothing after; overflow is an error.
fn strtoull(s: &[u8]) -> Option<u64> {
    let start = s
        .iter()
        .position(|&b| !matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r'))?;
    let mut rest = &s[start..];
    let mut negative = false;
    if let Some((&sign, tail)) = rest.split_first() {
        if sign == b'+' || sign == b'-' {
            negative = sign == b'-';
            rest = tail;
        }
    }
    if rest.is_empty() || !rest.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u64 = 0;
    for &d in rest {
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(if negative { v.wrapping_neg() } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Option<(u64, u64, bool)> {
        let forms = Forms {
            strict: false,
            auto_seq: true,
        };
        parse(s.as_bytes(), 7, forms).map(|x| (x.id.ms, x.id.seq, x.seq_given))
    }

    #[test]
    fn parses_as_redis() {
        assert_eq!(p("1-2"), Some((1, 2, true)));
        assert_eq!(p("5"), Some((5, 7, true)));
        assert_eq!(p("5-*"), Some((5, 0, false)));
        assert_eq!(p("-"), Some((0, 0, true)));
        assert_eq!(p("+"), Some((u64::MAX, u64::MAX, true)));
        assert_eq!(p("007-+1"), Some((7, 1, true)));
        assert_eq!(p(" 3-4"), Some((3, 4, true)));
        assert_eq!(
            p("18446744073709551615-18446744073709551615"),
            Some((u64::MAX, u64::MAX, true))
        );
        assert_eq!(p("18446744073709551616"), None);
        assert_eq!(p("-1"), None);
        assert_eq!(p("1-2-3"), None);
        assert_eq!(p("1-"), None);
        assert_eq!(p("a"), None);
        assert_eq!(p(""), None);
        assert_eq!(p("*"), None);
        let strict = Forms {
            strict: true,
            auto_seq: false,
        };
        assert_eq!(parse(b"-", 0, strict), None);
        assert_eq!(parse(b"1-*", 0, strict), None);
    }

    #[test]
    fn steps_and_text() {
        assert_eq!(StreamId::new(1, u64::MAX).incr(), Some(StreamId::new(2, 0)));
        assert_eq!(StreamId::MAX.incr(), None);
        assert_eq!(StreamId::new(2, 0).decr(), Some(StreamId::new(1, u64::MAX)));
        assert_eq!(StreamId::ZERO.decr(), None);
        assert_eq!(
            StreamId::MAX.to_vec(),
            b"18446744073709551615-18446744073709551615"
        );
        let id = StreamId::new(0x0102, 0x0304);
        assert_eq!(StreamId::from_be_bytes(id.to_be_bytes()), id);
    }
}
