//! One ACL user: its flags, password hashes and selectors, the rules that
//! change them, and the description ACL LIST and ACL SAVE write.

use super::selector::{RuleError, Selector};
use super::sha256::hex_digest;
use crate::commands::CommandTable;
use crate::config::split_args;

/// Whether the user may run commands restricted from its payloads
/// (`RESTORE` of unchecked data); Redis prints only what was set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sanitize {
    Unset,
    Sanitize,
    Skip,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: Vec<u8>,
    pub enabled: bool,
    pub nopass: bool,
    pub sanitize: Sanitize,
    /// SHA-256 hex digests, in the order added.
    pub passwords: Vec<String>,
    /// The root selector first, then the `(...)` ones.
    pub selectors: Vec<Selector>,
}

fn valid_hash(h: &[u8]) -> bool {
    h.len() == 64 && h.iter().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
}

impl User {
    /// A new user: off, no passwords, no permissions.
    pub fn new(table: &CommandTable, name: &[u8], all_channels: bool) -> User {
        User {
            name: name.to_vec(),
            enabled: false,
            nopass: false,
            sanitize: Sanitize::Unset,
            passwords: Vec::new(),
            selectors: vec![Selector::new(table, all_channels)],
        }
    }

    /// The default user of a fresh server: everything, no password.
    pub fn new_default(table: &CommandTable) -> User {
        let mut u = User::new(table, b"default", true);
        for rule in ["+@all", "~*", "&*", "on", "nopass"] {
            let _ = u.apply(table, rule.as_bytes(), true);
        }
        u
    }

    pub fn root(&self) -> &Selector {
        &self.selectors[0]
    }

    /// Applies one rule; `all_channels` is `acl-pubsub-default`, which
    /// new selectors and `reset` start from.
    pub fn apply(
        &mut self,
        table: &CommandTable,
        op: &[u8],
        all_channels: bool,
    ) -> Result<(), RuleError> {
        let is = |w: &str| op.eq_ignore_ascii_case(w.as_bytes());
        if op.is_empty() {
            return Ok(());
        }
        if is("on") {
            self.enabled = true;
        } else if is("off") {
            self.enabled = false;
        } else if is("skip-sanitize-payload") {
            self.sanitize = Sanitize::Skip;
        } else if is("sanitize-payload") {
            self.sanitize = Sanitize::Sanitize;
        } else if is("nopass") {
            self.nopass = true;
            self.passwords.clear();
        } else if is("resetpass") {
            self.nopass = false;
            self.passwords.clear();
        } else if op[0] == b'>' || op[0] == b'#' {
            let hash = if op[0] == b'>' {
                hex_digest(&op[1..])
            } else if valid_hash(&op[1..]) {
                String::from_utf8_lossy(&op[1..]).into_owned()
            } else {
                return Err(RuleError::BadHash);
            };
            if !self.passwords.contains(&hash) {
                self.passwords.push(hash);
            }
            self.nopass = false;
        } else if op[0] == b'<' || op[0] == b'!' {
            let hash = if op[0] == b'<' {
                hex_digest(&op[1..])
            } else if valid_hash(&op[1..]) {
                String::from_utf8_lossy(&op[1..]).into_owned()
            } else {
                return Err(RuleError::BadHash);
            };
            let at = self.passwords.iter().position(|p| *p == hash);
            self.passwords.remove(at.ok_or(RuleError::NoSuchPassword)?);
        } else if op[0] == b'(' && op.last() == Some(&b')') {
            let mut sel = Selector::new(table, all_channels);
            for rule in split_args(&op[1..op.len() - 1]).unwrap_or_default() {
                sel.apply(table, &rule)?;
            }
            self.selectors.push(sel);
        } else if is("clearselectors") {
            self.selectors.truncate(1);
        } else if is("reset") {
            self.nopass = false;
            self.passwords.clear();
            self.enabled = false;
            self.sanitize = Sanitize::Sanitize;
            self.selectors.truncate(1);
            let mut root = Selector::new(table, all_channels);
            root.apply(table, b"-@all")?;
            self.selectors[0] = root;
        } else {
            self.selectors[0].apply(table, op)?;
        }
        Ok(())
    }

    /// Applies rules in order, stopping at the first refused, whose index
    /// comes back with the error.
    pub fn apply_all(
        &mut self,
        table: &CommandTable,
        rules: &[Vec<u8>],
        all_channels: bool,
    ) -> Result<(), (usize, RuleError)> {
        for (i, r) in rules.iter().enumerate() {
            self.apply(table, r, all_channels).map_err(|e| (i, e))?;
        }
        Ok(())
    }

    /// Flag names, in the order Redis prints them.
    pub fn flag_names(&self) -> Vec<&'static str> {
        let mut out = vec![if self.enabled { "on" } else { "off" }];
        if self.nopass {
            out.push("nopass");
        }
        match self.sanitize {
            Sanitize::Skip => out.push("skip-sanitize-payload"),
            Sanitize::Sanitize => out.push("sanitize-payload"),
            Sanitize::Unset => {}
        }
        out
    }

    /// The rules that rebuild the user, as ACL LIST prints them after the name.
    pub fn describe(&self, table: &CommandTable) -> Vec<u8> {
        let mut out = Vec::new();
        for f in self.flag_names() {
            out.extend_from_slice(f.as_bytes());
            out.push(b' ');
        }
        for p in &self.passwords {
            out.push(b'#');
            out.extend_from_slice(p.as_bytes());
            out.push(b' ');
        }
        for (i, s) in self.selectors.iter().enumerate() {
            if i > 0 {
                out.extend_from_slice(b" (");
            }
            out.extend_from_slice(&s.describe(table));
            if i > 0 {
                out.push(b')');
            }
        }
        out
    }

    /// Whether `password` opens this user (enabled, and nopass or a match).
    pub fn accepts(&self, password: &[u8]) -> bool {
        if !self.enabled {
            return false;
        }
        if self.nopass {
            return true;
        }
        let hash = hex_digest(password);
        // Compare every stored hash in full, so timing tells nothing.
        self.passwords.iter().fold(false, |found, p| {
            let same = p
                .bytes()
                .zip(hash.bytes())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0;
            found | same
        })
    }
}

/// Joins the arguments of a `(...)` selector split over several words,
/// as ACL SETUSER and `user` lines allow. `Err` names the word that opens
/// an unclosed selector.
pub fn merge_selector_args(args: &[Vec<u8>]) -> Result<Vec<Vec<u8>>, usize> {
    let mut out = Vec::new();
    let mut open: Option<(usize, Vec<u8>)> = None;
    for (i, a) in args.iter().enumerate() {
        match open.as_mut() {
            Some((_, acc)) => {
                acc.push(b' ');
                acc.extend_from_slice(a);
                if a.last() == Some(&b')') {
                    if let Some((_, acc)) = open.take() {
                        out.push(acc);
                    }
                }
            }
            None if a.first() == Some(&b'(') && a.last() != Some(&b')') => {
                open = Some((i, a.clone()));
            }
            None => out.push(a.clone()),
        }
    }
    match open {
        Some((i, _)) => Err(i),
        None => Ok(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<Vec<u8>> {
        split(s.as_bytes())
    }

    fn split(s: &[u8]) -> Vec<Vec<u8>> {
        s.split(|&b| b == b' ').map(<[u8]>::to_vec).collect()
    }

    /// A description read back as rules gives the same user, which is what
    /// ACL SAVE then ACL LOAD (and CONFIG REWRITE) rely on.
    #[test]
    fn descriptions_rebuild_the_user() {
        let table = CommandTable::new();
        for rules in [
            "on >pw ~k* %R~r* %W~w* &ch +@all -@dangerous +flushdb",
            "off nopass skip-sanitize-payload +@read +@hash -hget +select|0 +config|get",
            "on resetchannels &a &b* -@all +client -client|list (+set ~x*) (%R~y +get &c)",
            "reset allkeys allchannels +@string -@write +set",
            "on ~\u{fffd}\u{1} &\u{7f} +select|\u{2}",
        ] {
            let mut u = User::new(&table, b"u", false);
            u.apply_all(&table, &merge_selector_args(&words(rules)).unwrap(), false)
                .unwrap();
            let text = u.describe(&table);
            let mut back = User::new(&table, b"u", false);
            back.apply_all(&table, &merge_selector_args(&split(&text)).unwrap(), false)
                .unwrap();
            assert_eq!(back, u, "{rules} => {}", String::from_utf8_lossy(&text));
            assert_eq!(back.describe(&table), text);
        }
    }

    #[test]
    fn selector_words_are_merged() {
        assert_eq!(
            merge_selector_args(&words("on (+get ~a) (+set ~b ~c) off")).unwrap(),
            ["on", "(+get ~a)", "(+set ~b ~c)", "off"]
                .map(|w| w.as_bytes().to_vec())
                .to_vec()
        );
        assert_eq!(merge_selector_args(&words("on (+get ~a")), Err(1));
    }

    #[test]
    fn passwords_are_checked_by_hash() {
        let table = CommandTable::new();
        let mut u = User::new(&table, b"u", false);
        u.apply_all(&table, &words("on >a >b <a"), false).unwrap();
        assert!(!u.accepts(b"a"));
        assert!(u.accepts(b"b"));
        u.apply(&table, b"off", false).unwrap();
        assert!(!u.accepts(b"b"), "a disabled user opens to nothing");
        assert_eq!(
            u.apply(&table, b"<zz", false),
            Err(RuleError::NoSuchPassword)
        );
    }
}
