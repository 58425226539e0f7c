//! RESP2/RESP3 framing and parsing for the tests.
//!
//! The tests compare servers byte for byte, so the primary job here is to
//! find where exactly one reply frame ends in a byte stream ([`frame_len`]);
//! the parsed [`Reply`] tree exists for the masks and the assertions that
//! need to look inside a reply. [`escape`] renders bytes so that a failing
//! test shows `\r\n` and binary data unambiguously.

use std::fmt::Write as _;

/// One parsed reply. Kept close to the wire format so that nothing that could
/// legitimately differ between two servers is lost in parsing.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    Simple(String),
    Error(String),
    Int(i64),
    Bulk(Vec<u8>),
    /// `$-1\r\n` (RESP2 null bulk string).
    NullBulk,
    /// `*-1\r\n` (RESP2 null array).
    NullArray,
    Array(Vec<Reply>),
    /// `_\r\n` (RESP3 null).
    Null,
    Double(String),
    Bool(bool),
    BigNum(String),
    BlobError(Vec<u8>),
    /// `=` verbatim string: the three-letter format and the payload.
    Verbatim(String, Vec<u8>),
    Map(Vec<(Reply, Reply)>),
    Set(Vec<Reply>),
    Push(Vec<Reply>),
    /// `|` attributes followed by the reply they decorate.
    Attribute(Vec<(Reply, Reply)>, Box<Reply>),
}

impl Reply {
    /// The RESP type byte this reply was encoded with.
    pub fn type_byte(&self) -> u8 {
        match self {
            Reply::Simple(_) => b'+',
            Reply::Error(_) => b'-',
            Reply::Int(_) => b':',
            Reply::Bulk(_) | Reply::NullBulk => b'$',
            Reply::Array(_) | Reply::NullArray => b'*',
            Reply::Null => b'_',
            Reply::Double(_) => b',',
            Reply::Bool(_) => b'#',
            Reply::BigNum(_) => b'(',
            Reply::BlobError(_) => b'!',
            Reply::Verbatim(..) => b'=',
            Reply::Map(_) => b'%',
            Reply::Set(_) => b'~',
            Reply::Push(_) => b'>',
            Reply::Attribute(..) => b'|',
        }
    }

    /// The payload of any string-like reply (simple, error, bulk, verbatim).
    pub fn bytes(&self) -> Option<&[u8]> {
        match self {
            Reply::Simple(s) | Reply::Error(s) => Some(s.as_bytes()),
            Reply::Bulk(b) | Reply::BlobError(b) | Reply::Verbatim(_, b) => Some(b),
            _ => None,
        }
    }

    /// The payload as (lossy) UTF-8 text, or "" for non-string replies.
    pub fn text(&self) -> String {
        self.bytes()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default()
    }

    pub fn int(&self) -> Option<i64> {
        match self {
            Reply::Int(i) => Some(*i),
            _ => None,
        }
    }

    /// Elements of an array, set or push reply (empty for anything else).
    pub fn items(&self) -> &[Reply] {
        match self {
            Reply::Array(v) | Reply::Set(v) | Reply::Push(v) => v,
            _ => &[],
        }
    }

    /// Key/value pairs of a RESP3 map or of a RESP2 flat array of even
    /// length, which is how RESP2 encodes the same maps (HELLO, CONFIG GET).
    pub fn pairs(&self) -> Option<Vec<(&Reply, &Reply)>> {
        match self {
            Reply::Map(v) => Some(v.iter().map(|(k, v)| (k, v)).collect()),
            Reply::Array(v) if v.len() % 2 == 0 => {
                Some(v.chunks(2).map(|c| (&c[0], &c[1])).collect())
            }
            _ => None,
        }
    }
}

/// Length of the first complete reply frame in `buf`, `Ok(None)` if more bytes
/// are needed, `Err` if the bytes cannot be RESP.
pub fn frame_len(buf: &[u8]) -> Result<Option<usize>, String> {
    Ok(parse_prefix(buf)?.map(|(_, n)| n))
}

/// Parses exactly one complete frame; trailing bytes are an error because a
/// caller holding a "single reply" with junk after it has a framing bug.
pub fn parse(buf: &[u8]) -> Result<Reply, String> {
    match parse_prefix(buf)? {
        Some((r, n)) if n == buf.len() => Ok(r),
        Some((_, n)) => Err(format!("{} trailing bytes after reply", buf.len() - n)),
        None => Err(format!("incomplete reply: {}", escape(buf))),
    }
}

/// Parses one frame at the start of `buf`: the reply and the bytes it used.
pub fn parse_prefix(buf: &[u8]) -> Result<Option<(Reply, usize)>, String> {
    let Some(&kind) = buf.first() else {
        return Ok(None);
    };
    let Some(line_end) = find_crlf(buf) else {
        return Ok(None);
    };
    let line = &buf[1..line_end];
    let after = line_end + 2;
    let text = || String::from_utf8_lossy(line).into_owned();
    let len = || -> Result<i64, String> {
        text()
            .parse::<i64>()
            .map_err(|_| format!("bad length {:?} in {}", text(), escape(buf)))
    };
    let simple = |r: Reply| Ok(Some((r, after)));
    match kind {
        b'+' => simple(Reply::Simple(text())),
        b'-' => simple(Reply::Error(text())),
        b':' => simple(Reply::Int(len()?)),
        b'_' => simple(Reply::Null),
        b',' => simple(Reply::Double(text())),
        b'(' => simple(Reply::BigNum(text())),
        b'#' => match line {
            b"t" => simple(Reply::Bool(true)),
            b"f" => simple(Reply::Bool(false)),
            _ => Err(format!("bad boolean in {}", escape(buf))),
        },
        b'$' | b'!' | b'=' => {
            let n = len()?;
            if n < 0 {
                return match kind {
                    b'$' => simple(Reply::NullBulk),
                    _ => Err(format!("negative length in {}", escape(buf))),
                };
            }
            let end = after + n as usize;
            if buf.len() < end + 2 {
                return Ok(None);
            }
            if &buf[end..end + 2] != b"\r\n" {
                return Err(format!("blob not followed by CRLF in {}", escape(buf)));
            }
            let data = buf[after..end].to_vec();
            let reply = match kind {
                b'$' => Reply::Bulk(data),
                b'!' => Reply::BlobError(data),
                _ if data.len() >= 4 && data[3] == b':' => Reply::Verbatim(
                    String::from_utf8_lossy(&data[..3]).into_owned(),
                    data[4..].to_vec(),
                ),
                _ => return Err(format!("verbatim string without format: {}", escape(buf))),
            };
            Ok(Some((reply, end + 2)))
        }
        b'*' | b'~' | b'>' => {
            let n = len()?;
            if n < 0 {
                return match kind {
                    b'*' => simple(Reply::NullArray),
                    _ => Err(format!("negative length in {}", escape(buf))),
                };
            }
            let Some((items, used)) = parse_many(&buf[after..], n as usize)? else {
                return Ok(None);
            };
            let reply = match kind {
                b'*' => Reply::Array(items),
                b'~' => Reply::Set(items),
                _ => Reply::Push(items),
            };
            Ok(Some((reply, after + used)))
        }
        b'%' | b'|' => {
            let n = len()?;
            let Some((items, mut used)) = parse_many(&buf[after..], 2 * n.max(0) as usize)? else {
                return Ok(None);
            };
            let pairs = pair_up(items);
            if kind == b'%' {
                return Ok(Some((Reply::Map(pairs), after + used)));
            }
            let Some((inner, n2)) = parse_prefix(&buf[after + used..])? else {
                return Ok(None);
            };
            used += n2;
            Ok(Some((
                Reply::Attribute(pairs, Box::new(inner)),
                after + used,
            )))
        }
        other => Err(format!(
            "unknown RESP type byte {:?} in {}",
            other as char,
            escape(buf)
        )),
    }
}

fn parse_many(mut buf: &[u8], n: usize) -> Result<Option<(Vec<Reply>, usize)>, String> {
    let mut items = Vec::with_capacity(n.min(1024));
    let mut used = 0;
    for _ in 0..n {
        let Some((r, k)) = parse_prefix(buf)? else {
            return Ok(None);
        };
        items.push(r);
        used += k;
        buf = &buf[k..];
    }
    Ok(Some((items, used)))
}

fn pair_up(items: Vec<Reply>) -> Vec<(Reply, Reply)> {
    let mut it = items.into_iter();
    let mut pairs = Vec::new();
    while let (Some(k), Some(v)) = (it.next(), it.next()) {
        pairs.push((k, v));
    }
    pairs
}

fn find_crlf(buf: &[u8]) -> Option<usize> {
    buf.windows(2).position(|w| w == b"\r\n")
}

/// Encodes a command as a RESP multibulk, the way every real client does.
pub fn encode_cmd<A: AsRef<[u8]>>(args: &[A]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        let a = a.as_ref();
        out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
        out.extend_from_slice(a);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Longest escaped rendering before [`escape`] truncates; keeps a mismatch on
/// a 20 MB bulk readable.
const ESCAPE_LIMIT: usize = 2000;

/// Renders bytes as a double-quoted string with `\r`, `\n`, `\"`, `\\` and
/// `\xNN` escapes, truncated (with the total length) past a couple of KB.
pub fn escape(bytes: &[u8]) -> String {
    escape_upto(bytes, ESCAPE_LIMIT)
}

/// [`escape`] without truncation, for comparisons.
pub fn escape_all(bytes: &[u8]) -> String {
    escape_upto(bytes, usize::MAX)
}

fn escape_upto(bytes: &[u8], limit: usize) -> String {
    let mut out = String::with_capacity(bytes.len().min(limit) + 2);
    out.push('"');
    for &b in bytes.iter().take(limit) {
        match b {
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            b'\t' => out.push_str("\\t"),
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x20..=0x7e => out.push(b as char),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    out.push('"');
    if bytes.len() > limit {
        let _ = write!(out, "... ({} bytes in total)", bytes.len());
    }
    out
}

#[cfg(test)]
mod self_test {
    use super::*;

    #[test]
    fn frames_every_resp3_type() {
        let cases: &[&[u8]] = &[
            b"+OK\r\n",
            b"-ERR x\r\n",
            b":12\r\n",
            b"$3\r\na\r\n\r\n",
            b"$-1\r\n",
            b"*-1\r\n",
            b"*2\r\n$1\r\na\r\n*1\r\n:1\r\n",
            b"_\r\n",
            b",1.5\r\n",
            b"#t\r\n",
            b"(123\r\n",
            b"!3\r\nERR\r\n",
            b"=7\r\ntxt:abc\r\n",
            b"%1\r\n+a\r\n:1\r\n",
            b"~1\r\n+a\r\n",
            b">2\r\n+message\r\n+x\r\n",
            b"|1\r\n+k\r\n+v\r\n+OK\r\n",
        ];
        for frame in cases {
            let mut buf = frame.to_vec();
            buf.extend_from_slice(b"+NEXT\r\n");
            assert_eq!(frame_len(&buf), Ok(Some(frame.len())), "{}", escape(frame));
            assert_eq!(frame_len(&frame[..frame.len() - 1]), Ok(None));
            parse(frame).unwrap();
        }
    }

    #[test]
    fn escape_shows_control_bytes() {
        assert_eq!(escape(b"a\r\n\x00\""), r#""a\r\n\x00\"""#);
    }
}
