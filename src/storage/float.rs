//! Redis's number formats for floating-point values.
//!
//! INCRBYFLOAT works in C's `long double` (x87 80-bit on x86-64) and prints
//! with `%.17Lf`; its digits differ from what `f64` would give, so the
//! addition and formatting happen in `long_double.c`, with the same C
//! library routines Redis uses.
//!
//! Sorted-set scores are `double`s read with the C library's `strtod`
//! (which also takes hexadecimal floats and `infinity`) and printed with
//! `%.17g`, as Redis 7.0 does; both go through libc here, since Rust's
//! own parser and formatter accept and print other texts.

use std::os::raw::{c_char, c_int, c_long};

/// Capacity of the result buffer, Redis's `MAX_LONG_DOUBLE_CHARS`.
const LD_MAX_CHARS: usize = 5 * 1024;

extern "C" {
    fn ferrodis_ld_add(
        a: *const c_char,
        alen: usize,
        b: *const c_char,
        blen: usize,
        out: *mut c_char,
    ) -> c_long;
    fn ferrodis_ld_valid(s: *const c_char, len: usize) -> c_int;
    fn ferrodis_ld_timeout_ms(s: *const c_char, len: usize, out: *mut i64) -> c_int;
}

/// Why a long-double addition failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddError {
    /// The first operand is not a float.
    BadLeft,
    /// The second operand is not a float.
    BadRight,
    /// The sum is NaN or infinite.
    NotFinite,
}

/// `a + b` in long double, formatted as Redis formats INCRBYFLOAT results.
pub fn ld_add(a: &[u8], b: &[u8]) -> Result<Vec<u8>, AddError> {
    let mut out = [0u8; LD_MAX_CHARS];
    // SAFETY: both inputs are passed with their lengths and only read; the
    // C side copies them into its own NUL-terminated buffers. `out` has the
    // LD_MAX_CHARS bytes the C side may write.
    let n = unsafe {
        ferrodis_ld_add(
            a.as_ptr().cast(),
            a.len(),
            b.as_ptr().cast(),
            b.len(),
            out.as_mut_ptr().cast(),
        )
    };
    match n {
        -1 => Err(AddError::BadLeft),
        -2 => Err(AddError::BadRight),
        n if n < 0 => Err(AddError::NotFinite),
        n => Ok(out[..n as usize].to_vec()),
    }
}

/// Whether `s` is a float in the sense of Redis's `string2ld`.
pub fn ld_valid(s: &[u8]) -> bool {
    // SAFETY: the input is passed with its length and only read.
    unsafe { ferrodis_ld_valid(s.as_ptr().cast(), s.len()) != 0 }
}

/// A timeout in seconds as milliseconds, computed as Redis computes it
/// (long double, then C's conversion); `None` when `s` is not a float.
pub fn ld_timeout_ms(s: &[u8]) -> Option<i64> {
    let mut ms = 0i64;
    // SAFETY: the input is passed with its length and only read; `ms` is
    // a valid place for the C side to write one long long.
    let ok = unsafe { ferrodis_ld_timeout_ms(s.as_ptr().cast(), s.len(), &mut ms) };
    (ok != 0).then_some(ms)
}

/// Longest text [`parse_f64`] reads, Redis's `MAX_LONG_DOUBLE_CHARS`.
const D_MAX_CHARS: usize = 5 * 1024;

/// Capacity a `%.17g` form needs (sign, 17 digits, point, exponent).
pub const G17_MAX: usize = 32;

/// Inputs up to this length are copied to the stack for `strtod`.
const SHORT: usize = 64;

/// What C's `strtod` makes of `s`: the value, how many bytes it read,
/// whether it set `ERANGE`, and whether it stopped at the end of the text
/// or at a NUL byte in it.
fn strtod(s: &[u8]) -> (f64, usize, bool, bool) {
    let mut short = [0u8; SHORT + 1];
    let mut long = Vec::new();
    let buf: &mut [u8] = if s.len() <= SHORT {
        &mut short[..]
    } else {
        long.resize(s.len() + 1, 0);
        &mut long[..]
    };
    buf[..s.len()].copy_from_slice(s);
    let mut end: *mut std::os::raw::c_char = std::ptr::null_mut();
    // SAFETY: `buf` is longer than `s` and zeroed past it, so it is
    // NUL-terminated; strtod only reads it and sets `end` inside it. errno
    // is this thread's, cleared first as strtod only sets it on failure.
    let (v, consumed, erange) = unsafe {
        *libc::__errno_location() = 0;
        let v = libc::strtod(buf.as_ptr().cast(), &mut end);
        let consumed = end.offset_from(buf.as_ptr().cast()) as usize;
        (v, consumed, *libc::__errno_location() == libc::ERANGE)
    };
    (v, consumed, erange, buf.get(consumed) == Some(&0))
}

/// A `double` as Redis's `getDoubleFromObject` reads one: `strtod` over
/// the whole text, no leading space, no NaN, nothing that overflows or
/// underflows to zero.
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    if s.is_empty() || s.len() >= D_MAX_CHARS || s[0].is_ascii_whitespace() || s[0] == 0x0b {
        return None;
    }
    let (v, consumed, erange, _) = strtod(s);
    if consumed != s.len() || v.is_nan() || (erange && (v.is_infinite() || v == 0.0)) {
        return None;
    }
    Some(v)
}

/// A range bound as Redis's `zslParseRange` reads it: plain `strtod`,
/// which takes leading space, an empty text (0), and overflow (±inf);
/// the number must run to the end of the text or to a NUL byte, and not
/// be NaN.
pub fn parse_f64_bound(s: &[u8]) -> Option<f64> {
    let (v, _, _, at_end) = strtod(s);
    (at_end && !v.is_nan()).then_some(v)
}

/// A SORT weight as Redis reads one: plain `strtod` (leading space and
/// an empty text, which is 0, pass), stopping at the end of the text or
/// at a NUL byte, and neither out of range (overflow or underflow) nor NaN.
pub fn parse_f64_weight(s: &[u8]) -> Option<f64> {
    let (v, _, erange, at_end) = strtod(s);
    (at_end && !erange && !v.is_nan()).then_some(v)
}

/// A score as a listpack holds it (Redis's `zzlStrtod`): no checks, since
/// only valid scores are ever written.
pub fn parse_f64_lenient(s: &[u8]) -> f64 {
    parse_f64(s).unwrap_or(0.0)
}

/// `d` printed as C's `%.17g` prints it, into `buf`; infinities as
/// `inf`/`-inf`, as Redis writes them.
pub fn format_g17(d: f64, buf: &mut [u8; G17_MAX]) -> &[u8] {
    if d.is_infinite() {
        return if d > 0.0 { b"inf" } else { b"-inf" };
    }
    // SAFETY: snprintf writes at most G17_MAX bytes including the NUL into
    // `buf`, and the format takes exactly one double.
    let n = unsafe { libc::snprintf(buf.as_mut_ptr().cast(), G17_MAX, c"%.17g".as_ptr(), d) };
    let n = usize::try_from(n).unwrap_or(0).min(G17_MAX - 1);
    &buf[..n]
}

/// `d` as an integer when it is one that a `long long` holds exactly with
/// room to spare (Redis's `double2ll`): such scores are stored as integers.
pub fn double_to_i64(d: f64) -> Option<i64> {
    const HALF: f64 = (i64::MAX / 2) as f64;
    if !(-HALF..=HALF).contains(&d) {
        return None;
    }
    let i = d as i64;
    (i as f64 == d).then_some(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn add(a: &str, b: &str) -> Result<String, AddError> {
        ld_add(a.as_bytes(), b.as_bytes()).map(|v| String::from_utf8(v).unwrap())
    }

    fn g17(d: f64) -> String {
        let mut buf = [0u8; G17_MAX];
        String::from_utf8(format_g17(d, &mut buf).to_vec()).unwrap()
    }

    /// What ZSCORE printed on redis-server 7.0.15 for the same inputs.
    #[test]
    fn scores_print_as_redis_prints_them() {
        assert_eq!(g17(0.1), "0.10000000000000001");
        assert_eq!(g17(1e308), "1e+308");
        assert_eq!(g17(3.0), "3");
        assert_eq!(g17(-0.0), "-0");
        assert_eq!(g17(f64::NEG_INFINITY), "-inf");
        assert_eq!(g17(123456789012345680.0), "1.2345678901234568e+17");
        assert_eq!(g17(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(g17(1e-300), "1e-300");
    }

    #[test]
    fn scores_parse_as_strtod_reads_them() {
        assert_eq!(parse_f64(b"1.5"), Some(1.5));
        assert_eq!(parse_f64(b"0x10"), Some(16.0));
        assert_eq!(parse_f64(b"-inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_f64(b"+Infinity"), Some(f64::INFINITY));
        assert_eq!(parse_f64(b".5"), Some(0.5));
        assert_eq!(parse_f64(b"1e309"), None);
        assert_eq!(parse_f64(b"1e-400"), None);
        for bad in [&b"nan"[..], b"", b" 1", b"1 ", b"abc", b"1\0"] {
            assert_eq!(parse_f64(bad), None, "{bad:?}");
        }
        assert_eq!(parse_f64_bound(b""), Some(0.0));
        assert_eq!(parse_f64_bound(b" 1"), Some(1.0));
        assert_eq!(parse_f64_bound(b"1e400"), Some(f64::INFINITY));
        assert_eq!(parse_f64_bound(b"1\0x"), Some(1.0));
        assert_eq!(parse_f64_bound(b"1 "), None);
        assert_eq!(parse_f64_bound(b"nan"), None);
        assert_eq!(double_to_i64(-0.0), Some(0));
        assert_eq!(double_to_i64(1.5), None);
        assert_eq!(double_to_i64(1e20), None);
        assert_eq!(double_to_i64(4503599627370497.0), Some(4503599627370497));
    }

    #[test]
    fn timeouts_convert_as_c_does() {
        assert_eq!(ld_timeout_ms(b"0.1"), Some(100));
        assert_eq!(ld_timeout_ms(b"1.5"), Some(1500));
        assert_eq!(ld_timeout_ms(b"-0.0001"), Some(0));
        assert_eq!(ld_timeout_ms(b"1e30"), Some(i64::MIN));
        assert_eq!(ld_timeout_ms(b"abc"), None);
        assert_eq!(ld_timeout_ms(b" 1"), None);
    }

    #[test]
    fn matches_redis_digits() {
        assert_eq!(add("10.5", "0.1"), Ok("10.6".into()));
        assert_eq!(add("0", "5e-400"), Ok("0".into()));
        assert_eq!(add("3.0e3", "0.0000000000000000001"), Ok("3000".into()));
        assert_eq!(add("-1", "1"), Ok("0".into()));
        assert_eq!(add("5", "-0.0000000000000000001"), Ok("5".into()));
        assert!(add("1e308", "1e308")
            .unwrap()
            .starts_with("1999999999999999999933717"));
    }

    #[test]
    fn rejects_what_redis_rejects() {
        assert_eq!(add(" 1", "1"), Err(AddError::BadLeft));
        assert_eq!(add("1", "abc"), Err(AddError::BadRight));
        assert_eq!(add("1", ""), Err(AddError::BadRight));
        assert_eq!(add("1", "nan"), Err(AddError::BadRight));
        assert_eq!(add("inf", "1"), Err(AddError::NotFinite));
        assert_eq!(add("1", "1e99999"), Err(AddError::BadRight));
        assert!(!ld_valid(b"1 "));
        assert!(ld_valid(b"0x10"));
    }
}
