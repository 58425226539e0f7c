//! The `#!lua flags=...` line an EVAL script may start with, read as
//! Redis 7.0 reads it. A script without one runs in compatibility mode:
//! it may write, and what it may do is checked command by command.

use crate::commands::CmdError;

/// What a script declared about itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScriptFlags {
    /// No shebang: the pre-7.0 rules.
    pub compat: bool,
    pub no_writes: bool,
    pub allow_oom: bool,
    pub allow_stale: bool,
    pub no_cluster: bool,
    pub allow_cross_slot_keys: bool,
}

impl ScriptFlags {
    /// Sets the flag Redis spells `name`; false for a name it does not know.
    pub fn set(&mut self, name: &[u8]) -> bool {
        let flag = match name {
            b"no-writes" => &mut self.no_writes,
            b"allow-oom" => &mut self.allow_oom,
            b"allow-stale" => &mut self.allow_stale,
            b"no-cluster" => &mut self.no_cluster,
            b"allow-cross-slot-keys" => &mut self.allow_cross_slot_keys,
            _ => return false,
        };
        *flag = true;
        true
    }
}

fn err(text: String) -> CmdError {
    CmdError::Message(text.into())
}

/// The script's flags and the code to compile: without the shebang line
/// but with its line feed, so errors give the user's line numbers.
pub fn parse(body: &[u8]) -> Result<(ScriptFlags, &[u8]), CmdError> {
    if !body.starts_with(b"#!") {
        return Ok((
            ScriptFlags {
                compat: true,
                ..ScriptFlags::default()
            },
            body,
        ));
    }
    let end = body
        .iter()
        .position(|&b| b == b'\n')
        .ok_or_else(|| err("ERR Invalid script shebang".into()))?;
    let line = &body[..end];
    let mut parts = line
        .split(|b| b.is_ascii_whitespace())
        .filter(|p| !p.is_empty());
    let engine = parts
        .next()
        .ok_or_else(|| err("ERR Invalid engine in script shebang".into()))?;
    if engine != b"#!lua" {
        return Err(err(format!(
            "ERR Unexpected engine in script shebang: {}",
            String::from_utf8_lossy(engine)
        )));
    }
    let mut flags = ScriptFlags::default();
    for part in parts {
        let Some(list) = part.strip_prefix(b"flags=") else {
            return Err(err(format!(
                "ERR Unknown lua shebang option: {}",
                String::from_utf8_lossy(part)
            )));
        };
        if list.is_empty() {
            continue;
        }
        for name in list.split(|&b| b == b',') {
            if !flags.set(name) {
                return Err(err(format!(
                    "ERR Unexpected flag in script shebang: {}",
                    String::from_utf8_lossy(name)
                )));
            }
        }
    }
    Ok((flags, &body[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shebangs() {
        let (f, code) = parse(b"return 1").unwrap();
        assert!(f.compat && code == b"return 1");
        let (f, code) = parse(b"#!lua flags=no-writes,allow-oom\nreturn 1").unwrap();
        assert!(!f.compat && f.no_writes && f.allow_oom && !f.allow_stale);
        assert_eq!(code, b"\nreturn 1");
        let text = |b: &[u8]| String::from_utf8(parse(b).unwrap_err().text().to_vec()).unwrap();
        assert_eq!(text(b"#!lua"), "ERR Invalid script shebang");
        assert_eq!(
            text(b"#!luax\n"),
            "ERR Unexpected engine in script shebang: #!luax"
        );
        assert_eq!(
            text(b"#!lua name=x\n"),
            "ERR Unknown lua shebang option: name=x"
        );
        assert_eq!(
            text(b"#!lua flags=bogus\n"),
            "ERR Unexpected flag in script shebang: bogus"
        );
    }
}
