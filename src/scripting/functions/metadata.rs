//! The first line of a library's code, `#!<engine> name=<library>`: which
//! engine runs the library and what it is called, checked with Redis's
//! errors in Redis's order.

use crate::config::split_args;

/// What the first line of a library says.
#[derive(Debug, PartialEq, Eq)]
pub struct Metadata<'a> {
    pub engine: Vec<u8>,
    pub name: Vec<u8>,
    /// The code after the first line, from its line end, so the lines of
    /// error messages are the lines of the whole text.
    pub body: &'a [u8],
}

/// The error for a library or function name with other characters than
/// letters, digits and underscores (Redis uses it for both).
pub const BAD_NAME: &str = "Library names can only contain letters, numbers, or underscores(_) \
                            and must be at least one character long";

/// Whether `name` may name a library or a function.
pub fn valid_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'_')
}

/// Splits `code` into its metadata and body.
pub fn parse(code: &[u8]) -> Result<Metadata<'_>, String> {
    if !code.starts_with(b"#!") {
        return Err("Missing library metadata".into());
    }
    let Some(end) = code.iter().position(|&c| c == b'\n') else {
        return Err("Invalid library metadata".into());
    };
    let (line, body) = code.split_at(end);
    let parts = match split_args(line) {
        Some(parts) if !parts.is_empty() => parts,
        _ => return Err("Invalid library metadata".into()),
    };
    let mut parts = parts.into_iter();
    let engine = parts.next().unwrap_or_default().split_off(2);
    let mut name = None;
    for part in parts {
        if part.len() >= 5 && part[..5].eq_ignore_ascii_case(b"name=") {
            if name.is_some() {
                return Err(
                    "Invalid metadata value, name argument was given multiple times".into(),
                );
            }
            name = Some(part[5..].to_vec());
            continue;
        }
        return Err(format!(
            "Invalid metadata value given: {}",
            String::from_utf8_lossy(&part)
        ));
    }
    let name = name.ok_or("Library name was not given")?;
    Ok(Metadata { engine, name, body })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_lines() {
        let md = parse(b"#!lua name=lib\nreturn 1").unwrap();
        assert_eq!(
            (&md.engine[..], &md.name[..], md.body),
            (&b"lua"[..], &b"lib"[..], &b"\nreturn 1"[..])
        );
        let md = parse(b"#!LUA  NAME=\"a b\"\n").unwrap();
        assert_eq!((&md.engine[..], &md.name[..]), (&b"LUA"[..], &b"a b"[..]));
        for (code, err) in [
            (&b"return 1"[..], "Missing library metadata"),
            (b"#!lua name=x", "Invalid library metadata"),
            (b"#!lua name=\"x\n", "Invalid library metadata"),
            (b"#!lua\n", "Library name was not given"),
            (
                b"#!lua foo=bar name=q\n",
                "Invalid metadata value given: foo=bar",
            ),
            (
                b"#!lua name=y name=z\n",
                "Invalid metadata value, name argument was given multiple times",
            ),
        ] {
            assert_eq!(parse(code), Err(err.to_string()), "{code:?}");
        }
    }

    #[test]
    fn names() {
        assert!(valid_name(b"a_Z9"));
        assert!(!valid_name(b""));
        assert!(!valid_name(b"a-b"));
        assert!(!valid_name(b"a b"));
    }
}
