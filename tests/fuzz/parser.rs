//! The RESP request parser, in process: valid pipelines of multibulk and
//! inline requests must parse back to exactly the arguments they were
//! made of, and so must every prefix (as far as it goes, with no error);
//! damaged and random input must never panic; and for any input, how the
//! bytes are cut into reads, and re-reading a request as `CLIENT PAUSE`
//! does, must not change what is parsed.

use std::fmt;

use ferrodis::protocol::parser::{ArgSource, Limits, ProtocolError, RequestParser};

use super::engine::{Run, IN_PROCESS};
use super::mutate::{chunking, mutate, truncate, NUMBERS};
use crate::util::resp::{encode_cmd, escape, escape_all};
use crate::util::rng::Rng;

/// Every request a stream held, as argument lists.
type Requests = Vec<Vec<Vec<u8>>>;

/// What a stream parsed to: its requests, then the error that ended it.
#[derive(PartialEq)]
struct Parsed {
    requests: Requests,
    error: Option<ProtocolError>,
}

/// Arguments escaped, so a report can be read.
impl fmt::Debug for Parsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for args in &self.requests {
            let shown: Vec<String> = args.iter().map(|a| escape(a)).collect();
            write!(f, "[{}] ", shown.join(" "))?;
        }
        write!(f, "then {:?}", self.error)
    }
}

/// Feeds a stream to a parser piece by piece, handling the buffer as the
/// server does (append, parse until more is needed, drop what was
/// consumed). With `rewind`, some requests are rewound and parsed again,
/// which must give the same arguments. `Err` reports a broken invariant.
fn parse_stream(
    pieces: &[&[u8]],
    limits: &Limits,
    mut rewind: Option<&mut Rng>,
) -> Result<Parsed, String> {
    let mut parser = RequestParser::new();
    let mut buf = Vec::new();
    let mut requests = Vec::new();
    for piece in pieces {
        buf.extend_from_slice(piece);
        loop {
            match parser.parse(&buf, limits) {
                Ok(true) => {
                    let args = arguments(&parser, &buf)?;
                    if rewind.as_mut().is_some_and(|rng| rng.chance(25)) {
                        parser.rewind();
                        if parser.parse(&buf, limits) != Ok(true) {
                            return Err("rewind lost the request".into());
                        }
                        let again = arguments(&parser, &buf)?;
                        if again != args {
                            return Err(format!(
                                "rewind changed the request: {args:?} became {again:?}"
                            ));
                        }
                    }
                    requests.push(args);
                }
                Ok(false) => break,
                Err(error) => {
                    return Ok(Parsed {
                        requests,
                        error: Some(error),
                    })
                }
            }
        }
        let consumed = parser.consumed();
        if consumed > buf.len() {
            return Err(format!("consumed {consumed} of {} bytes", buf.len()));
        }
        buf.drain(..consumed);
        parser.shift(consumed);
    }
    Ok(Parsed {
        requests,
        error: None,
    })
}

/// The arguments of the request the parser just returned.
fn arguments(parser: &RequestParser, buf: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let (ranges, source) = parser.args();
    let data = match source {
        ArgSource::Query => buf,
        ArgSource::Scratch => parser.scratch(),
    };
    ranges
        .iter()
        .map(|r| {
            data.get(r.clone())
                .map(<[u8]>::to_vec)
                .ok_or_else(|| format!("argument range {r:?} outside the {} bytes", data.len()))
        })
        .collect()
}

/// The limits a client may be under: the defaults, not yet authenticated,
/// or a small `proto-max-bulk-len`.
fn random_limits(rng: &mut Rng) -> Limits {
    match rng.below(4) {
        0 => Limits {
            unauthenticated: true,
            ..Limits::default()
        },
        1 => Limits {
            max_bulk_len: rng.below(64) as i64,
            unauthenticated: false,
        },
        _ => Limits::default(),
    }
}

/// Parsing `input` whole, then in three random chunkings, must give one result.
fn chunking_does_not_matter(input: &[u8], rng: &mut Rng) -> Result<(), String> {
    let limits = random_limits(rng);
    let whole = parse_stream(&[input], &limits, None)?;
    for _ in 0..3 {
        let pieces = chunking(rng, input);
        let chunked = parse_stream(&pieces, &limits, Some(rng))?;
        if chunked != whole {
            let sizes: Vec<usize> = pieces.iter().map(|p| p.len()).collect();
            return Err(format!(
                "chunking changed the result: pieces of {sizes:?}\n  whole:   {whole:?}\n  chunked: {chunked:?}"
            ));
        }
    }
    Ok(())
}

/// Bytes a request is made of, weighted towards those the parser acts on.
const RESP_BYTES: &[u8] = b"*$\r\n\r\n0123456789-+ \t\"'\\x\0aZ";

/// Whether `b` may appear in an unquoted inline argument: it neither
/// separates arguments nor starts a quote (nor a multibulk, first on a line).
fn is_bare(b: u8) -> bool {
    !matches!(
        b,
        b' ' | b'\t' | b'\r' | b'\n' | 0 | 0x0b | 0x0c | b'"' | b'\'' | b'*'
    )
}

fn bare_byte(rng: &mut Rng) -> u8 {
    loop {
        let b = rng.next() as u8;
        if is_bare(b) {
            return b;
        }
    }
}

/// One argument's bytes: words a request holds, numbers, or binary.
pub(super) fn argument(rng: &mut Rng) -> Vec<u8> {
    match rng.below(6) {
        0 => rng
            .pick(&[&b"SET"[..], b"get", b"PING", b"k", b""])
            .to_vec(),
        1 => rng.pick(NUMBERS).to_vec(),
        2 => {
            let len = rng.below(3000);
            rng.bytes(len, &[])
        }
        _ => {
            let len = rng.below(24);
            rng.bytes(len, RESP_BYTES)
        }
    }
}

/// `arg` double-quoted, every byte that needs it escaped, in one of the
/// ways `sdssplitargs` reads.
fn double_quoted(rng: &mut Rng, arg: &[u8]) -> Vec<u8> {
    let mut out = vec![b'"'];
    for &b in arg {
        match b {
            b'\n' if rng.chance(50) => out.extend_from_slice(b"\\n"),
            b'\r' if rng.chance(50) => out.extend_from_slice(b"\\r"),
            b'\t' if rng.chance(50) => out.extend_from_slice(b"\\t"),
            0x08 if rng.chance(50) => out.extend_from_slice(b"\\b"),
            0x07 if rng.chance(50) => out.extend_from_slice(b"\\a"),
            b'"' | b'\\' => out.extend_from_slice(&[b'\\', b]),
            0x20..=0x7e => out.push(b),
            _ if rng.chance(50) => out.extend_from_slice(format!("\\x{b:02x}").as_bytes()),
            _ => out.extend_from_slice(format!("\\x{b:02X}").as_bytes()),
        }
    }
    out.push(b'"');
    out
}

/// An inline request for `args`: words bare or quoted, blanks between.
pub(super) fn push_inline(rng: &mut Rng, out: &mut Vec<u8>, args: &[Vec<u8>]) {
    if rng.chance(20) {
        out.push(b' ');
    }
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            for _ in 0..rng.between(1, 3) {
                out.push(rng.pick(b" \t"));
            }
        }
        let bare = !arg.is_empty() && arg.iter().all(|&b| is_bare(b));
        if bare && rng.chance(60) {
            out.extend_from_slice(arg);
        } else if arg.iter().all(|b| !b"\\'\r\n\0".contains(b)) && rng.chance(30) {
            out.push(b'\'');
            out.extend_from_slice(arg);
            out.push(b'\'');
        } else {
            out.extend(double_quoted(rng, arg));
        }
    }
    out.extend_from_slice(if rng.chance(50) { b"\r\n" } else { b"\n" });
}

/// A pipeline of requests in both forms, with the empty requests the
/// parser skips mixed in, and the arguments each request holds.
fn valid_requests(rng: &mut Rng) -> (Vec<u8>, Requests) {
    let mut out = Vec::new();
    let mut requests = Vec::new();
    for _ in 0..rng.between(1, 6) {
        match rng.below(10) {
            0..=5 => {
                let args: Vec<Vec<u8>> = (0..rng.between(1, 5)).map(|_| argument(rng)).collect();
                out.extend(encode_cmd(&args));
                requests.push(args);
            }
            6..=8 => {
                let args: Vec<Vec<u8>> = (0..rng.between(1, 4))
                    .map(|_| {
                        if rng.chance(50) {
                            let len = rng.between(1, 10);
                            (0..len).map(|_| bare_byte(rng)).collect()
                        } else {
                            let mut a = argument(rng);
                            a.truncate(200);
                            a
                        }
                    })
                    .collect();
                push_inline(rng, &mut out, &args);
                requests.push(args);
            }
            _ => out.extend_from_slice(rng.pick(&[&b"\r\n"[..], b"\n", b"*0\r\n", b"*-1\r\n"])),
        }
    }
    (out, requests)
}

/// Pieces of RESP to write into damaged requests.
pub(super) const TOKENS: &[&[u8]] = &[
    b"*",
    b"$",
    b"\r\n",
    b"\r",
    b"\n",
    b"\0",
    b"\"",
    b"'",
    b"\\x",
    b"\\",
    b"*1\r\n",
    b"$-1\r\n",
    b"*2147483648\r\n",
    b"$536870913\r\n",
    b" ",
];

#[test]
fn parser_valid_requests() {
    let mut run = Run::new("parser valid requests", IN_PROCESS);
    while let Some(mut case) = run.next_case() {
        let (input, expected) = valid_requests(&mut case.rng);
        let whole = parse_stream(&[&input], &Limits::default(), None);
        let want = Parsed {
            requests: expected.clone(),
            error: None,
        };
        if whole.as_ref() != Ok(&want) {
            run.fail(
                &case,
                &format!(
                    "input {} parsed to {whole:?}, not {want:?}",
                    escape_all(&input)
                ),
            );
        }
        let cut = truncate(&mut case.rng, &input);
        match parse_stream(&[&cut], &Limits::default(), None) {
            Ok(p) if p.error.is_none() && expected.starts_with(&p.requests) => {}
            other => run.fail(
                &case,
                &format!(
                    "the prefix {} of {} parsed to {other:?}",
                    escape_all(&cut),
                    escape_all(&input)
                ),
            ),
        }
        run.check(&case, &input, chunking_does_not_matter);
    }
}

#[test]
fn parser_damaged_and_random_input() {
    let mut run = Run::new("parser damaged input", IN_PROCESS);
    while let Some(mut case) = run.next_case() {
        let rng = &mut case.rng;
        let input = match rng.below(4) {
            0 => {
                let len = rng.below(300);
                let alphabet: &[u8] = if rng.chance(50) { RESP_BYTES } else { &[] };
                rng.bytes(len, alphabet)
            }
            _ => {
                let (valid, _) = valid_requests(rng);
                mutate(rng, &valid, TOKENS)
            }
        };
        run.check(&case, &input, chunking_does_not_matter);
    }
}
