//! Users from outside: `user` lines of the configuration file (checked as
//! they are read), the `aclfile` (ACL LOAD, ACL SAVE, and at start-up), and
//! the mutual exclusion of the two that Redis enforces.

use std::collections::BTreeMap;
use std::io::Write;

use super::selector::RuleError;
use super::user::{merge_selector_args, User};
use super::{Acl, DEFAULT_USER};
use crate::commands::CommandTable;

/// Checks a configuration `user` line (`argv[0]` is `user`) against the
/// lines already read; `Err` is Redis's message for the line. Unknown
/// commands pass here and fail at start-up, as in Redis.
pub fn check_config_line(argv: &[Vec<u8>], earlier: &[Vec<Vec<u8>>]) -> Result<(), String> {
    let lossy = |i: usize| String::from_utf8_lossy(argv.get(i).map_or(&[][..], |a| a)).into_owned();
    let declaration =
        |i: usize, e: RuleError| format!("Error in user declaration '{}': {}", lossy(i), e.text());
    let Some(name) = argv.get(1) else {
        return Err(declaration(0, RuleError::Syntax));
    };
    if earlier.iter().any(|u| u.first() == Some(name)) {
        return Err(declaration(1, RuleError::Duplicate));
    }
    let rules = merge_selector_args(&argv[2..]).map_err(|i| {
        format!(
            "Unmatched parenthesis in acl selector starting at '{}'.",
            lossy(i + 2)
        )
    })?;
    let table = CommandTable::new();
    let mut fake = User::new(&table, name, false);
    for (j, r) in rules.iter().enumerate() {
        match fake.apply(&table, r, false) {
            Ok(()) | Err(RuleError::Unknown) => {}
            // Redis names the word before the faulty one.
            Err(e) => return Err(declaration(j, e)),
        }
    }
    Ok(())
}

/// The users of the configuration at start-up: Redis exits on an
/// unknown command in a `user` line, and on `user` lines with an aclfile.
pub fn check_startup(acl_file: &str, users: &[Vec<Vec<u8>>]) -> Result<(), String> {
    if !acl_file.is_empty() && !users.is_empty() {
        return Err("Configuring Redis with users defined in redis.conf and at the same setting \
                    an ACL file path is invalid. This setup is very likely to lead to configuration \
                    errors and security holes, please define either an ACL file or declare users \
                    directly in your redis.conf, but not both."
            .into());
    }
    let table = CommandTable::new();
    for line in users {
        let Some((name, rules)) = line.split_first() else {
            continue;
        };
        let mut fake = User::new(&table, name, false);
        for r in merge_selector_args(rules).unwrap_or_default() {
            if let Err(e) = fake.apply(&table, &r, false) {
                log::warn!(
                    "Error loading ACL rule '{}' for the user named '{}': {}",
                    String::from_utf8_lossy(&r),
                    String::from_utf8_lossy(name),
                    e.text()
                );
                return Err("Critical error while loading ACLs. Exiting.".into());
            }
        }
    }
    Ok(())
}

/// Reads an ACL file into a new set of users, or Redis's list of errors.
pub fn load(
    table: &CommandTable,
    path: &str,
    all_channels: bool,
) -> Result<BTreeMap<Vec<u8>, User>, String> {
    let data = std::fs::read(path).map_err(|e| {
        format!(
            "Error loading ACLs, opening file '{path}': {}",
            crate::config::strerror(&e)
        )
    })?;
    let mut users = BTreeMap::new();
    let mut errors = String::new();
    for (i, raw) in data.split(|&b| b == b'\n').enumerate() {
        let linenum = i + 1;
        let line = trim(raw, b" \t\r\n");
        if line.is_empty() {
            continue;
        }
        let argv: Vec<Vec<u8>> = line.split(|&b| b == b' ').map(<[u8]>::to_vec).collect();
        if argv[0] != b"user" || argv.len() < 2 {
            errors.push_str(&format!(
                "{path}:{linenum} should start with user keyword followed by the username. "
            ));
            continue;
        }
        let name = &argv[1];
        if users.contains_key(name) {
            errors.push_str(&format!(
                "WARNING: Duplicate user '{}' found on line {linenum}. ",
                String::from_utf8_lossy(name)
            ));
            continue;
        }
        let mut u = User::new(table, name, all_channels);
        let rules = match merge_selector_args(&argv[2..]) {
            Ok(r) => r,
            Err(_) => {
                errors.push_str(&format!(
                    "{path}:{linenum}: Unmatched parenthesis in selector definition."
                ));
                Vec::new()
            }
        };
        let mut syntax_error = false;
        for r in rules {
            let r = trim(&r, b"\t\r\n");
            match u.apply(table, r, all_channels) {
                Ok(()) => {}
                Err(e @ RuleError::Unknown) => errors.push_str(&format!(
                    "{path}:{linenum}: Error in applying operation '{}': {}. ",
                    String::from_utf8_lossy(r),
                    e.text()
                )),
                Err(e) if !syntax_error => {
                    errors.push_str(&format!("{path}:{linenum}: {}. ", e.text()));
                    syntax_error = true;
                }
                Err(_) => {}
            }
        }
        if errors.is_empty() {
            users.insert(name.clone(), u);
        }
    }
    if !errors.is_empty() {
        errors.push_str(
            "WARNING: ACL errors detected, no change to the previously active ACL rules was \
             performed",
        );
        return Err(errors);
    }
    users
        .entry(DEFAULT_USER.to_vec())
        .or_insert_with(|| User::new_default(table));
    Ok(users)
}

fn trim<'a>(s: &'a [u8], set: &[u8]) -> &'a [u8] {
    let start = s.iter().position(|c| !set.contains(c)).unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|c| !set.contains(c))
        .map_or(start, |e| e + 1);
    &s[start..end.max(start)]
}

/// Writes every user to `path` as ACL SAVE does: to a temporary file
/// renamed over the old one.
pub fn save(acl: &Acl, table: &CommandTable, path: &str) -> std::io::Result<()> {
    let mut out = Vec::new();
    for u in acl.users.values() {
        out.extend_from_slice(b"user ");
        out.extend_from_slice(&u.name);
        out.push(b' ');
        out.extend_from_slice(&u.describe(table));
        out.push(b'\n');
    }
    let tmp = format!("{path}.tmp-{}", std::process::id());
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(&out)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}
