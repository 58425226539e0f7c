//! Redis's number formats for floating-point values.
//!
//! INCRBYFLOAT works in C's `long double` (x87 80-bit on x86-64) and prints
//! with `%.17Lf`; its digits differ from what `f64` would give, so the
//! addition and formatting happen in `long_double.c`, with the same C
//! library routines Redis uses.

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

#[cfg(test)]
mod tests {
    use super::*;

    fn add(a: &str, b: &str) -> Result<String, AddError> {
        ld_add(a.as_bytes(), b.as_bytes()).map(|v| String::from_utf8(v).unwrap())
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
