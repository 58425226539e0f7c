//! The words of a config line, as Redis reads and writes them: `sdstrim`,
//! `sdssplitargs` and `sdscatrepr`; the AOF manifest, ACL and function
//! metadata lines are read with the same ones.

/// Redis's `sdstrim(line, " \t\r\n")`, as config and manifest lines are trimmed.
pub(crate) fn trim(line: &[u8]) -> &[u8] {
    let strip = |c: &u8| matches!(c, b' ' | b'\t' | b'\r' | b'\n');
    let start = line.iter().position(|c| !strip(c)).unwrap_or(line.len());
    let end = line
        .iter()
        .rposition(|c| !strip(c))
        .map_or(start, |e| e + 1);
    &line[start..end.max(start)]
}

/// Redis's `sdssplitargs` (see [`crate::protocol::parser::split_args`]),
/// each argument its own vector; `None` on unbalanced quotes.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let (mut out, mut ranges) = (Vec::new(), Vec::new());
    crate::protocol::parser::split_args(line, &mut out, &mut ranges).ok()?;
    Some(ranges.into_iter().map(|r| out[r].to_vec()).collect())
}

/// Redis's `sdscatrepr`: a double-quoted, escaped rendering.
pub fn repr(s: &[u8]) -> Vec<u8> {
    let mut out = vec![b'"'];
    for &c in s {
        match c {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'"' => out.extend_from_slice(b"\\\""),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x07 => out.extend_from_slice(b"\\a"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x20..=0x7e => out.push(c),
            _ => out.extend_from_slice(format!("\\x{c:02x}").as_bytes()),
        }
    }
    out.push(b'"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::test_util::*;
    use crate::config::values::lossy;

    #[test]
    fn tokenizer_follows_sdssplitargs() {
        let t = |s: &str| {
            split_args(s.as_bytes()).map(|v| v.into_iter().map(|a| lossy(&a)).collect::<Vec<_>>())
        };
        assert_eq!(t("  a  b\tc "), Some(args(&["a", "b", "c"])));
        assert_eq!(t(""), Some(vec![]));
        assert_eq!(t(r#""a b" 'c d'"#), Some(args(&["a b", "c d"])));
        assert_eq!(
            t(r#""\n\r\t\b\a\\\"\x41\q""#),
            Some(args(&["\n\r\t\u{8}\u{7}\\\"Aq"]))
        );
        assert_eq!(t(r"'it\'s' 'a\nb'"), Some(args(&["it's", "a\\nb"])));
        assert_eq!(t(r#"x"a b"y"#), None);
        assert_eq!(t(r#"x"a b" y"#), Some(args(&["xa b", "y"])));
        assert_eq!(t(r#""unterminated"#), None);
        assert_eq!(t("'unterminated"), None);
        assert_eq!(t(r#""" ''"#), Some(args(&["", ""])));
        assert_eq!(
            repr(b"a b\"c\\\n\x01"),
            b"\"a b\\\"c\\\\\\n\\x01\"".to_vec()
        );
        let round = split_args(&repr(b"x\ty\x7f\"'")).unwrap();
        assert_eq!(round, vec![b"x\ty\x7f\"'".to_vec()]);
    }
}
