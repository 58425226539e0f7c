//! Damaging valid inputs the ways files and clients get damaged: bit
//! flips, bytes set, inserted or deleted, cuts, repeated stretches, and
//! tokens of the format (a huge length, a line end, an opcode) written
//! over or into the input, so damage reaches past the first check.

use crate::util::rng::Rng;

/// Numbers that sit on the limits parsers check: sign and overflow
/// boundaries, lengths a file cannot hold, the integer-encoding limits.
pub const NUMBERS: &[&[u8]] = &[
    b"0",
    b"-1",
    b"1",
    b"-0",
    b"00",
    b"+5",
    b"65536",
    b"2147483647",
    b"2147483648",
    b"4294967296",
    b"536870912",
    b"9223372036854775807",
    b"9223372036854775808",
    b"-9223372036854775808",
    b"99999999999999999999",
];

/// Returns `input` with one to four random kinds of damage applied.
/// `tokens` are pieces of the format to insert or write over the input.
pub fn mutate(rng: &mut Rng, input: &[u8], tokens: &[&[u8]]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..rng.between(1, 4) {
        let at = rng.below(out.len() + 1);
        match rng.below(9) {
            0 if at < out.len() => out[at] ^= 1 << rng.below(8),
            1 if at < out.len() => out[at] = rng.next() as u8,
            2 => {
                let len = rng.between(1, 8);
                let bytes = rng.bytes(len, &[]);
                out.splice(at..at, bytes);
            }
            3 => {
                let end = (at + rng.between(1, 16)).min(out.len());
                out.drain(at..end);
            }
            4 => out.truncate(at),
            5 => {
                let end = (at + rng.between(1, 32)).min(out.len());
                let stretch = out[at..end].to_vec();
                out.splice(at..at, stretch);
            }
            6 if !tokens.is_empty() => {
                out.splice(at..at, rng.pick(tokens).iter().copied());
            }
            7 if !tokens.is_empty() => {
                let token = rng.pick(tokens);
                let end = (at + token.len()).min(out.len());
                out.splice(at..end, token.iter().copied());
            }
            _ => replace_number(rng, &mut out),
        }
    }
    out
}

/// Replaces one run of decimal digits (with its sign) by one of
/// [`NUMBERS`]: in a text format, the way to set a count or a length to
/// something its reader must refuse or bound.
fn replace_number(rng: &mut Rng, out: &mut Vec<u8>) {
    let starts: Vec<usize> = (0..out.len())
        .filter(|&i| out[i].is_ascii_digit() && (i == 0 || !out[i - 1].is_ascii_digit()))
        .collect();
    if starts.is_empty() {
        return;
    }
    let mut start = rng.pick(&starts);
    let end = start
        + out[start..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count();
    if start > 0 && matches!(out[start - 1], b'-' | b'+') {
        start -= 1;
    }
    out.splice(start..end, rng.pick(NUMBERS).iter().copied());
}

/// A random strict prefix of `input` (empty when `input` is).
pub fn truncate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    input[..rng.below(input.len())].to_vec()
}

/// `input` cut into random pieces, as reads may deliver it: mostly small,
/// so that every boundary gets cut sometimes.
pub fn chunking<'a>(rng: &mut Rng, input: &'a [u8]) -> Vec<&'a [u8]> {
    let mut pieces = Vec::new();
    let mut left = input;
    while !left.is_empty() {
        let size = match rng.below(4) {
            0 => 1,
            1 => rng.between(1, 4),
            2 => rng.between(1, 64),
            _ => rng.between(1, left.len()),
        };
        let (piece, rest) = left.split_at(size.min(left.len()));
        pieces.push(piece);
        left = rest;
    }
    pieces
}
