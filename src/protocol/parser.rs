//! Incremental RESP request parser.
//!
//! A client's bytes arrive in arbitrary pieces; the parser keeps its position
//! between calls so it never rescans what it has already seen, which keeps a
//! large bulk arriving in small chunks linear in its size. Multibulk arguments
//! are recorded as ranges into the query buffer, so a request is executed
//! without copying its arguments. Inline requests need unquoting, so their
//! arguments are written to a scratch buffer owned by the parser instead.
//!
//! Limits and error texts follow Redis 7.0 (`processInlineBuffer` and
//! `processMultibulkBuffer`), including its quirks: lengths are read up to the
//! first `\r` (a NUL byte hides it, as `strchr` does) and the two bytes after a
//! bulk payload are skipped without being checked.
//!
//! The readers of numbers and argument lines Redis uses everywhere live
//! here too, one of each for the whole server: `string2ll`
//! ([`parse_i64_strict`]), `strtoll` ([`strtoll`]) and `sdssplitargs`
//! ([`split_args`]).

#![deny(clippy::indexing_slicing)]

use std::fmt;
use std::ops::Range;

/// Longest inline request, and longest length line, Redis accepts (`PROTO_INLINE_MAX_SIZE`).
pub const INLINE_MAX_SIZE: usize = 64 * 1024;
/// Unauthenticated clients may not announce more arguments than this.
const UNAUTH_MAX_MULTIBULK: i64 = 10;
/// Unauthenticated clients may not announce a longer bulk than this (bytes).
const UNAUTH_MAX_BULK: i64 = 16384;
/// Bulks at least this long get their whole payload reserved at once (`PROTO_MBULK_BIG_ARG`).
pub const BIG_ARG: usize = 32 * 1024;

/// A malformed request. After replying with its text the server closes the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProtocolError {
    /// An inline request longer than 64 KB without a newline.
    TooBigInline,
    /// Inline request whose quotes do not close.
    UnbalancedQuotes,
    /// A multibulk count line longer than 64 KB.
    TooBigMbulkCount,
    /// The `*` count is not an integer or exceeds `i32::MAX`.
    InvalidMultibulkLength,
    /// An unauthenticated client announced more than 10 arguments.
    UnauthenticatedMultibulkLength,
    /// A bulk length line longer than 64 KB.
    TooBigBulkCount,
    /// A bulk header that does not start with `$`; holds the byte found.
    ExpectedDollar(u8),
    /// The `$` length is not an integer, negative, or above `proto-max-bulk-len`.
    InvalidBulkLength,
    /// An unauthenticated client announced a bulk over 16 KB.
    UnauthenticatedBulkLength,
}

impl ProtocolError {
    /// The error reply's text, without the leading `-` and trailing CRLF.
    pub fn write_message(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"ERR Protocol error: ");
        match self {
            ProtocolError::ExpectedDollar(b) => {
                // A line end here is made a space by the reply writer.
                out.extend_from_slice(b"expected '$', got '");
                out.push(*b);
                out.push(b'\'');
            }
            other => out.extend_from_slice(other.detail().as_bytes()),
        }
    }

    /// What Redis's `setProtocolError` logs for this error (not the reply text).
    pub fn log_text(&self) -> &'static str {
        match self {
            ProtocolError::TooBigInline => "too big inline request",
            ProtocolError::UnbalancedQuotes => "unbalanced quotes in inline request",
            ProtocolError::TooBigMbulkCount => "too big mbulk count string",
            ProtocolError::InvalidMultibulkLength => "invalid mbulk count",
            ProtocolError::UnauthenticatedMultibulkLength => "unauth mbulk count",
            ProtocolError::TooBigBulkCount => "too big bulk count string",
            ProtocolError::ExpectedDollar(_) => "expected $ but got something else",
            ProtocolError::InvalidBulkLength => "invalid bulk length",
            ProtocolError::UnauthenticatedBulkLength => "unauth bulk length",
        }
    }

    fn detail(&self) -> &'static str {
        match self {
            ProtocolError::TooBigInline => "too big inline request",
            ProtocolError::UnbalancedQuotes => "unbalanced quotes in request",
            ProtocolError::TooBigMbulkCount => "too big mbulk count string",
            ProtocolError::InvalidMultibulkLength => "invalid multibulk length",
            ProtocolError::UnauthenticatedMultibulkLength => "unauthenticated multibulk length",
            ProtocolError::TooBigBulkCount => "too big bulk count string",
            ProtocolError::ExpectedDollar(_) => "expected '$'",
            ProtocolError::InvalidBulkLength => "invalid bulk length",
            ProtocolError::UnauthenticatedBulkLength => "unauthenticated bulk length",
        }
    }
}

impl fmt::Display for ProtocolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut v = Vec::new();
        self.write_message(&mut v);
        f.write_str(&String::from_utf8_lossy(&v))
    }
}

/// Per-request limits that depend on the server's configuration and the client's state.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// `proto-max-bulk-len`.
    pub max_bulk_len: i64,
    /// Whether the client still has to authenticate (tighter limits apply).
    pub unauthenticated: bool,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bulk_len: 512 * 1024 * 1024,
            unauthenticated: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Nothing of the current request seen yet.
    Start,
    Inline,
    Multibulk,
}

/// Where the arguments of a parsed request live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgSource {
    /// Ranges index the query buffer passed to [`RequestParser::parse`].
    Query,
    /// Ranges index the parser's own scratch buffer (inline requests).
    Scratch,
}

/// Resumable parser state for one connection.
#[derive(Debug)]
pub struct RequestParser {
    /// Next byte of the query buffer not yet examined.
    pos: usize,
    /// First byte of the request being parsed; bytes before it may be dropped.
    start: usize,
    kind: Kind,
    /// Arguments of the multibulk still to be read.
    multibulk_left: usize,
    /// Length of the bulk whose payload is awaited, once its header is read.
    bulk_len: Option<usize>,
    args: Vec<Range<usize>>,
    scratch: Vec<u8>,
    source: ArgSource,
}

impl Default for RequestParser {
    fn default() -> Self {
        Self::new()
    }
}

impl RequestParser {
    pub fn new() -> Self {
        RequestParser {
            pos: 0,
            start: 0,
            kind: Kind::Start,
            multibulk_left: 0,
            bulk_len: None,
            args: Vec::new(),
            scratch: Vec::new(),
            source: ArgSource::Query,
        }
    }

    /// Offset of the first byte still needed: everything before it has been consumed.
    pub fn consumed(&self) -> usize {
        self.start
    }

    /// The bulk payload being awaited, once its header is read: its length
    /// and the offset in the query buffer where it starts.
    pub fn pending_bulk(&self) -> Option<(usize, usize)> {
        self.bulk_len.map(|len| (len, self.pos))
    }

    /// Where parsing stopped: after an error, the start of the offending
    /// line (the bytes Redis quotes when it logs a protocol error).
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Tell the parser that the first `n` bytes of the query buffer were removed.
    /// `n` must not exceed [`consumed`](Self::consumed).
    pub fn shift(&mut self, n: usize) {
        debug_assert!(n <= self.start);
        self.start -= n;
        self.pos -= n;
        if self.source == ArgSource::Query {
            for r in &mut self.args {
                r.start -= n;
                r.end -= n;
            }
        }
    }

    /// Forget the request last returned so the next `parse` returns it again
    /// (a request held back by `CLIENT PAUSE`).
    pub fn rewind(&mut self) {
        self.pos = self.start;
        self.kind = Kind::Start;
        self.args.clear();
    }

    /// The arguments of the request last returned by `parse`.
    pub fn args(&self) -> (&[Range<usize>], ArgSource) {
        (&self.args, self.source)
    }

    /// The scratch buffer holding inline arguments.
    pub fn scratch(&self) -> &[u8] {
        &self.scratch
    }

    /// Continue parsing `buf`. Returns `Ok(true)` when a whole request is ready
    /// (read it with [`args`](Self::args) before calling again), `Ok(false)` when
    /// more bytes are needed. Empty requests are skipped.
    pub fn parse(&mut self, buf: &[u8], limits: &Limits) -> Result<bool, ProtocolError> {
        loop {
            if self.kind == Kind::Start {
                self.start = self.pos;
                self.args.clear();
                self.source = ArgSource::Query;
                self.kind = match buf.get(self.pos) {
                    None => return Ok(false),
                    Some(b'*') => Kind::Multibulk,
                    Some(_) => Kind::Inline,
                };
            }
            let done = match self.kind {
                Kind::Inline => self.parse_inline(buf)?,
                _ => self.parse_multibulk(buf, limits)?,
            };
            if !done {
                return Ok(false);
            }
            self.kind = Kind::Start;
            if !self.args.is_empty() {
                // `start` stays at this request until the next call, so the
                // caller can still read the arguments from the buffer.
                return Ok(true);
            }
        }
    }

    fn parse_inline(&mut self, buf: &[u8]) -> Result<bool, ProtocolError> {
        let rest = buf.get(self.pos..).unwrap_or_default();
        let newline = match find_before_nul(rest, b'\n') {
            Some(i) => i,
            None => {
                if rest.len() > INLINE_MAX_SIZE {
                    return Err(ProtocolError::TooBigInline);
                }
                return Ok(false);
            }
        };
        let line = rest.get(..newline).unwrap_or_default();
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        self.scratch.clear();
        self.source = ArgSource::Scratch;
        split_args(line, &mut self.scratch, &mut self.args)?;
        self.pos += newline + 1;
        Ok(true)
    }

    fn parse_multibulk(&mut self, buf: &[u8], limits: &Limits) -> Result<bool, ProtocolError> {
        if self.multibulk_left == 0 {
            let Some((n, next)) = read_length_line(buf, self.pos + 1)
                .map_err(|()| ProtocolError::TooBigMbulkCount)?
            else {
                return Ok(false);
            };
            let n = n.ok_or(ProtocolError::InvalidMultibulkLength)?;
            if n > i64::from(i32::MAX) {
                return Err(ProtocolError::InvalidMultibulkLength);
            }
            if n > UNAUTH_MAX_MULTIBULK && limits.unauthenticated {
                return Err(ProtocolError::UnauthenticatedMultibulkLength);
            }
            self.pos = next;
            if n <= 0 {
                return Ok(true);
            }
            self.multibulk_left = n as usize;
            // Reserving for a huge announced count would let a client make us
            // allocate gigabytes up front; grow as arguments really arrive.
            self.args.reserve(self.multibulk_left.min(1024));
        }
        while self.multibulk_left > 0 {
            let len = match self.bulk_len {
                Some(len) => len,
                None => {
                    let Some(&kind) = buf.get(self.pos) else {
                        return Ok(false);
                    };
                    let Some((n, next)) = read_length_line(buf, self.pos + 1)
                        .map_err(|()| ProtocolError::TooBigBulkCount)?
                    else {
                        return Ok(false);
                    };
                    if kind != b'$' {
                        return Err(ProtocolError::ExpectedDollar(kind));
                    }
                    let n = match n {
                        Some(n) if n >= 0 && n <= limits.max_bulk_len => n,
                        _ => return Err(ProtocolError::InvalidBulkLength),
                    };
                    if n > UNAUTH_MAX_BULK && limits.unauthenticated {
                        return Err(ProtocolError::UnauthenticatedBulkLength);
                    }
                    self.pos = next;
                    let n = n as usize;
                    self.bulk_len = Some(n);
                    n
                }
            };
            if buf.len().saturating_sub(self.pos) < len + 2 {
                return Ok(false);
            }
            self.args.push(self.pos..self.pos + len);
            self.pos += len + 2;
            self.bulk_len = None;
            self.multibulk_left -= 1;
        }
        Ok(true)
    }
}

/// A complete length line: its value (`None` when not a valid integer) and
/// the offset just past its line end.
type LengthLine = (Option<i64>, usize);

/// Reads a length line starting at `from` (just after the type byte).
/// `Ok(None)`: the line is not complete yet. `Err`: no line end within the inline limit.
/// `Ok(Some((value, next)))`: `value` is `None` when the text is not a valid integer.
fn read_length_line(buf: &[u8], from: usize) -> Result<Option<LengthLine>, ()> {
    let line_start = from - 1;
    // A NUL type byte ends the data for `strchr`, so it takes the general path.
    if buf.get(line_start) != Some(&0) {
        if let Some(fast) = plain_length(buf, from) {
            return Ok(Some(fast));
        }
    }
    let rest = buf.get(line_start..).unwrap_or_default();
    let Some(cr) = find_before_nul(rest, b'\r') else {
        if rest.len() > INLINE_MAX_SIZE {
            return Err(());
        }
        return Ok(None);
    };
    // Redis wants the byte after `\r` present too, but never checks it is `\n`.
    if cr + 2 > rest.len() {
        return Ok(None);
    }
    // `cr` is 0 when the type byte itself is `\r`: no digits, and the
    // caller rejects the type byte.
    let digits = rest.get(1..cr).unwrap_or_default();
    Ok(Some((parse_i64_strict(digits), line_start + cr + 2)))
}

/// The common case of a length line, in one pass: up to 18 digits, no
/// sign, no leading zero, then `\r` and one more byte. Anything else
/// (signs, errors, partial lines) goes the general way.
fn plain_length(buf: &[u8], from: usize) -> Option<LengthLine> {
    let digits = buf.get(from..)?;
    let mut v: i64 = 0;
    for (i, &b) in digits.iter().enumerate().take(19) {
        match b {
            b'0'..=b'9' if i < 18 => v = v * 10 + i64::from(b - b'0'),
            b'\r' if i > 0 && (i == 1 || digits.first() != Some(&b'0')) && i + 1 < digits.len() => {
                return Some((Some(v), from + i + 2));
            }
            _ => return None,
        }
    }
    None
}

/// Position of `needle` in `hay`, treating a NUL byte as the end of the data,
/// as Redis's `strchr` on the query buffer does.
fn find_before_nul(hay: &[u8], needle: u8) -> Option<usize> {
    for (i, &b) in hay.iter().enumerate() {
        if b == needle {
            return Some(i);
        }
        if b == 0 {
            return None;
        }
    }
    None
}

/// Redis's `string2ll`: optional `-`, no `+`, no leading zeros, no spaces, fits in i64.
pub fn parse_i64_strict(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() > 20 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (neg, digits) = match s.strip_prefix(b"-") {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let mut v: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    if neg {
        if v > (i64::MAX as u64) + 1 {
            None
        } else {
            Some((v as i64).wrapping_neg())
        }
    } else if v > i64::MAX as u64 {
        None
    } else {
        Some(v as i64)
    }
}

/// C's `strtoll(s, &end, radix)` for radixes up to 10: leading blanks and
/// a sign allowed, then digits; the value saturates on overflow. Returns
/// the value, whether the digits ran to the end of `s` (C's `*end == 0`,
/// which an empty `s` also gives), and whether it overflowed (`ERANGE`).
pub fn strtoll(s: &[u8], radix: u32) -> (i64, bool, bool) {
    let mut i = s.iter().take_while(|&&c| is_space(c)).count();
    let neg = s.get(i) == Some(&b'-');
    if matches!(s.get(i), Some(b'+' | b'-')) {
        i += 1;
    }
    let start = i;
    let limit = if neg {
        i64::MAX as u64 + 1
    } else {
        i64::MAX as u64
    };
    let (mut v, mut overflow) = (0u64, false);
    while let Some(d) = s
        .get(i)
        .and_then(|&c| char::from(c).to_digit(radix.min(10)))
    {
        match v
            .checked_mul(u64::from(radix))
            .and_then(|v| v.checked_add(u64::from(d)))
            .filter(|&v| v <= limit)
        {
            Some(next) => v = next,
            None => {
                overflow = true;
                v = limit;
            }
        }
        i += 1;
    }
    if i == start {
        // No digits: C's `end` is the start of the text.
        return (0, s.is_empty(), false);
    }
    // `limit` for a negative number is 2^63, which only wraps to i64::MIN.
    let value = if neg {
        0i64.wrapping_sub(v as i64)
    } else {
        v as i64
    };
    (value, i == s.len(), overflow)
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Splits a line into arguments the way `sdssplitargs` does: blanks separate,
/// double quotes take C-like escapes, single quotes only `\'`, and a closing
/// quote must be followed by a blank or the end. The line ends at a NUL byte.
/// Arguments are appended to `out`, their ranges to `ranges`.
pub fn split_args(
    line: &[u8],
    out: &mut Vec<u8>,
    ranges: &mut Vec<Range<usize>>,
) -> Result<(), ProtocolError> {
    let end = line.iter().position(|&b| b == 0).unwrap_or(line.len());
    let line = line.get(..end).unwrap_or_default();
    let at = |i: usize| line.get(i).copied().unwrap_or(0);
    let mut p = 0;
    loop {
        while line.get(p).is_some_and(|&b| is_space(b)) {
            p += 1;
        }
        if p >= line.len() {
            return Ok(());
        }
        let arg_start = out.len();
        let (mut in_dq, mut in_sq) = (false, false);
        loop {
            let c = at(p);
            if in_dq {
                if c == b'\\' && at(p + 1) == b'x' {
                    if let (Some(h), Some(l)) = (hex_val(at(p + 2)), hex_val(at(p + 3))) {
                        out.push(h * 16 + l);
                        p += 4;
                        continue;
                    }
                }
                if c == b'\\' && at(p + 1) != 0 {
                    p += 1;
                    out.push(match at(p) {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        other => other,
                    });
                } else if c == b'"' {
                    if at(p + 1) != 0 && !is_space(at(p + 1)) {
                        return Err(ProtocolError::UnbalancedQuotes);
                    }
                    p += 1;
                    break;
                } else if c == 0 {
                    return Err(ProtocolError::UnbalancedQuotes);
                } else {
                    out.push(c);
                }
            } else if in_sq {
                if c == b'\\' && at(p + 1) == b'\'' {
                    p += 1;
                    out.push(b'\'');
                } else if c == b'\'' {
                    if at(p + 1) != 0 && !is_space(at(p + 1)) {
                        return Err(ProtocolError::UnbalancedQuotes);
                    }
                    p += 1;
                    break;
                } else if c == 0 {
                    return Err(ProtocolError::UnbalancedQuotes);
                } else {
                    out.push(c);
                }
            } else {
                match c {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => break,
                    b'"' => in_dq = true,
                    b'\'' => in_sq = true,
                    other => out.push(other),
                }
            }
            p += 1;
        }
        ranges.push(arg_start..out.len());
    }
}

#[cfg(test)]
#[allow(clippy::indexing_slicing)]
mod tests {
    use super::*;

    #[test]
    fn strtoll_as_c_reads_it() {
        assert_eq!(strtoll(b" +12", 10), (12, true, false));
        assert_eq!(strtoll(b"12x", 10), (12, false, false));
        assert_eq!(strtoll(b"", 10), (0, true, false));
        assert_eq!(strtoll(b" ", 10), (0, false, false));
        assert_eq!(strtoll(b"-", 10), (0, false, false));
        assert_eq!(strtoll(b"99999999999999999999", 10), (i64::MAX, true, true));
        assert_eq!(
            strtoll(b"-9223372036854775808", 10),
            (i64::MIN, true, false)
        );
        assert_eq!(strtoll(b"-9223372036854775809", 10), (i64::MIN, true, true));
        assert_eq!(strtoll(b"0755", 8), (0o755, true, false));
        assert_eq!(strtoll(b"78", 8), (7, false, false));
    }

    /// Parses everything in `input` delivered in pieces of `chunk` bytes,
    /// returning each request's arguments or the error that stopped parsing.
    fn run(
        input: &[u8],
        chunk: usize,
        limits: Limits,
    ) -> (Vec<Vec<Vec<u8>>>, Option<ProtocolError>) {
        let mut p = RequestParser::new();
        let mut buf = Vec::new();
        let mut out = Vec::new();
        for piece in input.chunks(chunk.max(1)) {
            buf.extend_from_slice(piece);
            loop {
                match p.parse(&buf, &limits) {
                    Ok(true) => {
                        let (ranges, src) = p.args();
                        let data: &[u8] = match src {
                            ArgSource::Query => &buf,
                            ArgSource::Scratch => p.scratch(),
                        };
                        out.push(ranges.iter().map(|r| data[r.clone()].to_vec()).collect());
                    }
                    Ok(false) => break,
                    Err(e) => return (out, Some(e)),
                }
            }
            let n = p.consumed();
            buf.drain(..n);
            p.shift(n);
        }
        (out, None)
    }

    fn args(v: &[&str]) -> Vec<Vec<u8>> {
        v.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    fn same_for_every_chunking(input: &[u8]) -> (Vec<Vec<Vec<u8>>>, Option<ProtocolError>) {
        let whole = run(input, input.len(), Limits::default());
        for chunk in [1, 2, 3, 7] {
            assert_eq!(run(input, chunk, Limits::default()), whole, "chunk {chunk}");
        }
        whole
    }

    #[test]
    fn multibulk_and_inline_byte_by_byte() {
        let input = b"*2\r\n$4\r\necho\r\n$5\r\nhe\r\no\r\nPING\r\n  set  a  'b c'\n*0\r\n*-1\r\n\r\n*1\r\n$0\r\n\r\n";
        let (reqs, err) = same_for_every_chunking(input);
        assert_eq!(err, None);
        assert_eq!(
            reqs,
            vec![
                args(&["echo", "he\r\no"]),
                args(&["PING"]),
                args(&["set", "a", "b c"]),
                args(&[""])
            ]
        );
    }

    #[test]
    fn inline_quoting_rules() {
        let mut out = Vec::new();
        let mut ranges = Vec::new();
        split_args(br#"a "b\x41\n\"" 'c\'d' e"f""#, &mut out, &mut ranges).unwrap();
        let got: Vec<&[u8]> = ranges.iter().map(|r| &out[r.clone()]).collect();
        assert_eq!(got, vec![&b"a"[..], b"bA\n\"", b"c'd", b"ef"]);
        for bad in [&b"\"abc"[..], b"'abc", b"\"a\"b", b"'a'b", b"e\"f\"g"] {
            assert!(
                split_args(bad, &mut Vec::new(), &mut Vec::new()).is_err(),
                "{bad:?}"
            );
        }
        // A bad hex escape keeps the characters as they are.
        out.clear();
        ranges.clear();
        split_args(br#""\xZZ""#, &mut out, &mut ranges).unwrap();
        assert_eq!(&out[..], b"xZZ");
    }

    #[test]
    fn protocol_errors() {
        let cases: &[(&[u8], ProtocolError)] = &[
            (b"*abc\r\n", ProtocolError::InvalidMultibulkLength),
            (b"*3000000000\r\n", ProtocolError::InvalidMultibulkLength),
            (b"*+1\r\n", ProtocolError::InvalidMultibulkLength),
            (b"*1\r\n$abc\r\n", ProtocolError::InvalidBulkLength),
            (b"*1\r\n$-1\r\n", ProtocolError::InvalidBulkLength),
            (b"*1\r\nfoo\r\n", ProtocolError::ExpectedDollar(b'f')),
            (b"*1\r\n\r\n", ProtocolError::ExpectedDollar(b'\r')),
            (
                b"*2\r\n$1\r\na\r\n\r\n",
                ProtocolError::ExpectedDollar(b'\r'),
            ),
            (b"\"unbalanced\r\n", ProtocolError::UnbalancedQuotes),
        ];
        for (input, want) in cases {
            let (_, err) = same_for_every_chunking(input);
            assert_eq!(err, Some(*want), "{:?}", String::from_utf8_lossy(input));
        }
        let mut msg = Vec::new();
        ProtocolError::ExpectedDollar(b'f').write_message(&mut msg);
        assert_eq!(msg, b"ERR Protocol error: expected '$', got 'f'");
        for (byte, shown) in [(b'\r', b' '), (b'\n', b' '), (0xff, 0xff), (1, 1)] {
            msg.clear();
            ProtocolError::ExpectedDollar(byte).write_message(&mut msg);
            let mut reply = crate::protocol::reply::ReplyBuf::new();
            reply.error_line(&msg);
            let line = reply.pending();
            assert_eq!(line.get(line.len() - 4), Some(&shown), "{byte}");
        }
    }

    #[test]
    fn size_limits() {
        let long = vec![b'a'; INLINE_MAX_SIZE + 1];
        assert_eq!(
            run(&long, 4096, Limits::default()).1,
            Some(ProtocolError::TooBigInline)
        );
        let mut mb = b"*".to_vec();
        mb.extend_from_slice(&long);
        assert_eq!(
            run(&mb, 4096, Limits::default()).1,
            Some(ProtocolError::TooBigMbulkCount)
        );
        let limits = Limits {
            max_bulk_len: 10,
            unauthenticated: false,
        };
        assert_eq!(
            run(b"*1\r\n$11\r\n", 1, limits).1,
            Some(ProtocolError::InvalidBulkLength)
        );
        let unauth = Limits {
            unauthenticated: true,
            ..Limits::default()
        };
        assert_eq!(
            run(b"*11\r\n", 1, unauth).1,
            Some(ProtocolError::UnauthenticatedMultibulkLength)
        );
        assert_eq!(
            run(b"*1\r\n$16385\r\n", 1, unauth).1,
            Some(ProtocolError::UnauthenticatedBulkLength)
        );
    }

    #[test]
    fn nul_hides_line_end_like_strchr() {
        for input in [&b"*1\0\r\n"[..], b"*1\r\n\x001\r\n"] {
            let (reqs, err) = run(input, 1, Limits::default());
            assert!(reqs.is_empty() && err.is_none(), "{input:?}");
        }
    }

    #[test]
    fn length_lines_fast_and_general_agree() {
        for line in [
            &b"$0\r\n"[..],
            b"$7\r\n",
            b"$123456789012345678\r\n",
            b"$1234567890123456789\r\n",
            b"$9223372036854775808\r\n",
            b"$012\r\n",
            b"$-1\r\n",
            b"$1\r",
            b"$\r\n",
        ] {
            let general = {
                let cr = line.iter().position(|&b| b == b'\r');
                cr.filter(|&i| i + 1 < line.len())
                    .map(|i| (parse_i64_strict(&line[1..i]), i + 2))
            };
            assert_eq!(
                read_length_line(line, 1),
                Ok(general),
                "{:?}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn strict_integers() {
        assert_eq!(parse_i64_strict(b"0"), Some(0));
        assert_eq!(parse_i64_strict(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64_strict(b"9223372036854775807"), Some(i64::MAX));
        for bad in [
            &b""[..],
            b"-0",
            b"01",
            b"+1",
            b" 1",
            b"1 ",
            b"9223372036854775808",
            b"-",
        ] {
            assert_eq!(parse_i64_strict(bad), None, "{bad:?}");
        }
    }

    /// A large bulk delivered in small pieces must not be rescanned: the parser
    /// stays inside the bulk and only checks the length each time.
    #[test]
    fn big_bulk_in_chunks_is_linear() {
        let n = 8 * 1024 * 1024;
        let mut input = format!("*2\r\n$3\r\nset\r\n${n}\r\n").into_bytes();
        input.extend(std::iter::repeat_n(b'x', n));
        input.extend_from_slice(b"\r\n");
        let (reqs, err) = run(&input, 1024, Limits::default());
        assert!(err.is_none());
        assert_eq!(reqs.len(), 1);
        assert_eq!(reqs[0][1].len(), n);
    }
}
