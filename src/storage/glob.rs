//! Redis-style glob matching on raw bytes, the one used by KEYS, SCAN MATCH,
//! PSUBSCRIBE and CONFIG GET: `*`, `?`, `[...]` classes with `^`, ranges and
//! `\` escapes, plus an ASCII case-insensitive mode.
//!
//! Results must equal Redis 7.0's `stringmatchlen` bit for bit, including its
//! odd corners (an unterminated `[` runs to the end of the pattern, a range may
//! swallow the closing `]`, `*` never matches an empty subject on its own, a
//! pattern nested deeper than 1000 stars gives up). The matcher therefore
//! follows the same recursive shape, with the same two guards Redis uses
//! against hostile patterns: the nesting cap, and the "skip longer matches"
//! short-cut that makes `a*a*a*...b` polynomial instead of exponential.

/// Redis refuses to recurse deeper than this many stars and reports no match.
const MAX_NESTING: u32 = 1000;

/// Does `subject` match the glob `pattern`? With `nocase`, ASCII letters
/// compare case-insensitively (escaped characters inside a class excepted,
/// exactly as in Redis).
pub fn glob_match(pattern: &[u8], subject: &[u8], nocase: bool) -> bool {
    let mut skip_longer = false;
    match_from(pattern, subject, nocase, &mut skip_longer, 0)
}

/// The byte at `i`, or 0 past the end: Redis reads the NUL terminator there
/// and some branches depend on it.
fn at(p: &[u8], i: usize) -> u8 {
    p.get(i).copied().unwrap_or(0)
}

fn same(a: u8, b: u8, nocase: bool) -> bool {
    if nocase {
        a.eq_ignore_ascii_case(&b)
    } else {
        a == b
    }
}

fn match_from(pat: &[u8], s: &[u8], nocase: bool, skip_longer: &mut bool, nesting: u32) -> bool {
    if nesting > MAX_NESTING {
        return false;
    }
    let (mut p, mut i) = (0usize, 0usize);
    while p < pat.len() && i < s.len() {
        match pat[p] {
            b'*' => {
                while p + 1 < pat.len() && pat[p + 1] == b'*' {
                    p += 1;
                }
                if p + 1 == pat.len() {
                    return true;
                }
                while i < s.len() {
                    if match_from(&pat[p + 1..], &s[i..], nocase, skip_longer, nesting + 1) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    i += 1;
                }
                // The tail matched nowhere in the rest of the subject, so no
                // earlier star can help by eating more: tell them to stop.
                *skip_longer = true;
                return false;
            }
            b'?' => i += 1,
            b'[' => {
                p += 1;
                let negate = at(pat, p) == b'^';
                if negate {
                    p += 1;
                }
                let c = s[i];
                let mut matched = false;
                loop {
                    let left = pat.len().saturating_sub(p);
                    if at(pat, p) == b'\\' && left >= 2 {
                        p += 1;
                        if pat[p] == c {
                            matched = true;
                        }
                    } else if at(pat, p) == b']' {
                        break;
                    } else if left == 0 {
                        // Unterminated class: it ends with the pattern. Step
                        // back so the common advance below lands on the end.
                        p -= 1;
                        break;
                    } else if left >= 3 && pat[p + 1] == b'-' {
                        // Redis compares plain (signed) chars here, so bytes
                        // above 0x7f sort before ASCII inside a range.
                        let (mut lo, mut hi) = (pat[p] as i8, pat[p + 2] as i8);
                        if lo > hi {
                            std::mem::swap(&mut lo, &mut hi);
                        }
                        let mut ch = c as i8;
                        if nocase {
                            lo = (lo as u8).to_ascii_lowercase() as i8;
                            hi = (hi as u8).to_ascii_lowercase() as i8;
                            ch = (ch as u8).to_ascii_lowercase() as i8;
                        }
                        p += 2;
                        if ch >= lo && ch <= hi {
                            matched = true;
                        }
                    } else if same(pat[p], c, nocase) {
                        matched = true;
                    }
                    p += 1;
                }
                if negate {
                    matched = !matched;
                }
                if !matched {
                    return false;
                }
                i += 1;
            }
            first => {
                let lit = if first == b'\\' && pat.len() - p >= 2 {
                    p += 1;
                    pat[p]
                } else {
                    first
                };
                if !same(lit, s[i], nocase) {
                    return false;
                }
                i += 1;
            }
        }
        p += 1;
        if i == s.len() {
            while p < pat.len() && pat[p] == b'*' {
                p += 1;
            }
            break;
        }
    }
    p >= pat.len() && i == s.len()
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    fn m(p: &str, s: &str) -> bool {
        glob_match(p.as_bytes(), s.as_bytes(), false)
    }

    fn mi(p: &str, s: &str) -> bool {
        glob_match(p.as_bytes(), s.as_bytes(), true)
    }

    #[test]
    fn literals() {
        assert!(m("hello", "hello"));
        assert!(!m("hello", "hell"));
        assert!(!m("hell", "hello"));
        assert!(!m("Hello", "hello"));
        assert!(m("", ""));
        assert!(!m("", "a"));
        assert!(!m("a", ""));
    }

    #[test]
    fn star() {
        assert!(m("*", "anything"));
        assert!(m("h*o", "hello"));
        assert!(m("h*o", "ho"));
        assert!(m("h*", "h"));
        assert!(m("h**", "h"));
        assert!(m("*llo", "hello"));
        assert!(m("*l*", "hello"));
        assert!(!m("*x*", "hello"));
        assert!(m("a*b*c", "aXXbYYc"));
        assert!(!m("a*b*c", "aXXbYY"));
        // Redis never matches an empty subject unless the pattern is empty.
        assert!(!m("*", ""));
        assert!(!m("**", ""));
    }

    #[test]
    fn question_mark() {
        assert!(m("h?llo", "hello"));
        assert!(m("h?llo", "hallo"));
        assert!(!m("h?llo", "hllo"));
        assert!(m("???", "abc"));
        assert!(!m("???", "ab"));
    }

    #[test]
    fn classes() {
        assert!(m("h[ae]llo", "hello"));
        assert!(m("h[ae]llo", "hallo"));
        assert!(!m("h[ae]llo", "hillo"));
        assert!(m("h[^e]llo", "hallo"));
        assert!(!m("h[^e]llo", "hello"));
        assert!(m("h[a-b]llo", "hbllo"));
        assert!(!m("h[a-b]llo", "hcllo"));
        // Reversed ranges are normalised.
        assert!(m("h[b-a]llo", "hallo"));
        assert!(m("[0-9][0-9]", "42"));
        assert!(!m("[0-9]", "a"));
    }

    #[test]
    fn class_edge_cases() {
        // An empty class matches nothing, its negation anything.
        assert!(!m("[]", "a"));
        assert!(!m("[]", "]"));
        assert!(m("[^]", "x"));
        // `[a-]`: the range swallows the `]` (range `]`..`a`) and the class
        // runs on to the end of the pattern.
        assert!(m("[a-]", "a"));
        assert!(m("[a-]", "]"));
        assert!(m("[a-]", "_"));
        assert!(!m("[a-]", "-"));
        assert!(!m("[a-]b", "ab"));
        // Unterminated class: every remaining byte belongs to it.
        assert!(m("[abc", "b"));
        assert!(!m("[abc", "d"));
        assert!(!m("[abc", "bb"));
        assert!(m("x[ab", "xa"));
        // A class at the very end with nothing in it: matches nothing, and
        // its negation anything.
        assert!(!m("a[", "ab"));
        assert!(m("a[^", "ab"));
        // A lone `\` closing an unterminated class is a literal backslash.
        assert!(m("[a\\", "\\"));
        assert!(m("[a\\", "a"));
    }

    #[test]
    fn escapes() {
        assert!(m("\\*", "*"));
        assert!(!m("\\*", "a"));
        assert!(m("\\?", "?"));
        assert!(!m("\\?", "x"));
        assert!(m("a\\[b", "a[b"));
        assert!(m("[\\]]", "]"));
        assert!(m("[\\-]", "-"));
        assert!(m("[\\^a]", "^"));
        // A trailing backslash matches itself.
        assert!(m("a\\", "a\\"));
        assert!(!m("a\\", "a"));
        assert!(m("\\", "\\"));
    }

    #[test]
    fn nocase() {
        assert!(mi("HeLLo", "hello"));
        assert!(mi("h*O", "HELLO"));
        assert!(mi("[A-C]x", "bX"));
        assert!(mi("[a-c]x", "BX"));
        assert!(mi("[xyz]", "Y"));
        assert!(!mi("[^xyz]", "Y"));
        assert!(mi("\\A", "a"));
        // Inside a class an escaped character compares exactly, even in
        // case-insensitive mode.
        assert!(!mi("[\\A]", "a"));
        assert!(mi("[\\A]", "A"));
    }

    #[test]
    fn binary_bytes() {
        assert!(glob_match(b"a\0*", b"a\0bc", false));
        assert!(glob_match(b"[\x80-\xff]", b"\x90", false));
        assert!(!glob_match(b"[\x80-\xff]", b"\x10", false));
        // Signed comparison: `a`..0xff is really 0xff(-1)..`a`.
        assert!(glob_match(b"[a-\xff]", b"\x10", false));
        assert!(!glob_match(b"[a-\xff]", b"\x90", false));
    }

    #[test]
    fn pathological_patterns_are_fast() {
        let subject = "a".repeat(20_000);
        let start = std::time::Instant::now();
        assert!(!m("a*a*a*a*a*a*a*a*a*a*a*a*b", &subject));
        assert!(!m("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*[b]", &subject));
        assert!(m("a*a*a*a*a*a*a*a*a*a*a*a*a", &subject));
        assert!(start.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn nesting_limit_gives_up_like_redis() {
        let subject = "a".repeat(1100);
        let deep = "a*".repeat(1001) + "a";
        let shallow = "a*".repeat(999) + "a";
        assert!(!m(&deep, &subject));
        assert!(m(&shallow, &subject));
    }
}
