//! The `history` and `arguments` parts of `COMMAND DOCS`.
//!
//! They are interface facts of Redis 7.0, captured from a real server into
//! the generated `docs_data.rs` (see `scripts/gen-command-docs.py`) rather
//! than typed into the command table, which keeps the rest of each command's
//! docs. A command without an entry simply has no history or arguments.

use crate::protocol::reply::ReplyBuf;

pub use super::docs_data::DOCS;

/// One command's history and argument tree, keyed by its full name.
pub struct Doc {
    pub name: &'static str,
    /// (version, what changed), oldest first.
    pub history: &'static [(&'static str, &'static str)],
    pub args: &'static [Arg],
}

/// One argument, with the fields Redis 7.0 reports for it.
pub struct Arg {
    pub name: &'static str,
    /// Redis's argument type: `key`, `string`, `pure-token`, `oneof`, `block`...
    pub kind: &'static str,
    pub key_spec_index: Option<u32>,
    pub token: Option<&'static str>,
    pub since: Option<&'static str>,
    pub deprecated_since: Option<&'static str>,
    /// `optional`, `multiple`, `multiple_token`, in Redis's order.
    pub flags: &'static [&'static str],
    /// The alternatives of a `oneof`, the parts of a `block`.
    pub args: &'static [Arg],
}

/// The fields every generated argument starts from.
pub const ARG: Arg = Arg {
    name: "",
    kind: "",
    key_spec_index: None,
    token: None,
    since: None,
    deprecated_since: None,
    flags: &[],
    args: &[],
};

pub fn lookup(full_name: &str) -> Option<&'static Doc> {
    DOCS.binary_search_by(|d| d.name.cmp(full_name))
        .ok()
        .and_then(|i| DOCS.get(i))
}

/// The `history` value: a set of (version, change) pairs.
pub fn reply_history(reply: &mut ReplyBuf, history: &[(&str, &str)]) {
    reply.set_len(history.len());
    for (since, change) in history {
        reply.array_len(2);
        reply.bulk(since.as_bytes());
        reply.bulk(change.as_bytes());
    }
}

/// The `arguments` value: an array of maps, nested for `oneof` and `block`.
pub fn reply_args(reply: &mut ReplyBuf, args: &[Arg]) {
    reply.array_len(args.len());
    for arg in args {
        let optional = [
            arg.key_spec_index.is_some(),
            arg.token.is_some(),
            arg.since.is_some(),
            arg.deprecated_since.is_some(),
            !arg.flags.is_empty(),
            !arg.args.is_empty(),
        ];
        reply.map_len(2 + optional.iter().filter(|&&b| b).count());
        reply.bulk(b"name");
        reply.bulk(arg.name.as_bytes());
        reply.bulk(b"type");
        reply.bulk(arg.kind.as_bytes());
        if let Some(i) = arg.key_spec_index {
            reply.bulk(b"key_spec_index");
            reply.int(i64::from(i));
        }
        for (key, value) in [
            ("token", arg.token),
            ("since", arg.since),
            ("deprecated_since", arg.deprecated_since),
        ] {
            if let Some(v) = value {
                reply.bulk(key.as_bytes());
                reply.bulk(v.as_bytes());
            }
        }
        if !arg.flags.is_empty() {
            reply.bulk(b"flags");
            reply.set_len(arg.flags.len());
            for f in arg.flags {
                reply.simple(f.as_bytes());
            }
        }
        if !arg.args.is_empty() {
            reply.bulk(b"arguments");
            reply_args(reply, arg.args);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::{table::COMMANDS, CommandSpec};

    fn each(specs: &'static [CommandSpec], f: &mut impl FnMut(&'static CommandSpec)) {
        for spec in specs {
            f(spec);
            each(spec.subcommands, f);
        }
    }

    #[test]
    fn every_table_command_has_docs_data() {
        each(COMMANDS, &mut |spec| {
            assert!(
                lookup(spec.name).is_some(),
                "no COMMAND DOCS data for `{}`: rerun `python3 scripts/gen-command-docs.py`",
                spec.name
            );
        });
    }

    #[test]
    fn a_command_without_data_has_no_entry() {
        assert!(lookup("nosuch").is_none());
        assert!(lookup("client|nosuch").is_none());
        assert_eq!(lookup("client|kill").map(|d| d.name), Some("client|kill"));
    }

    #[test]
    fn docs_data_is_sorted_and_unique() {
        for pair in DOCS.windows(2) {
            assert!(
                pair[0].name < pair[1].name,
                "{} before {}",
                pair[0].name,
                pair[1].name
            );
        }
    }
}
