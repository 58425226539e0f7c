//! The command table: every command ferrodis knows, in one static list.
//!
//! Dispatch, arity errors, `COMMAND INFO`/`DOCS`/`LIST`/`COUNT` and the
//! documentation's command list are all generated from these entries, so a
//! command exists exactly when it is listed here. Flags, ACL categories, tips
//! and key specs are Redis 7.0's, so clients that inspect `COMMAND` see what
//! they would see on Redis. Entries are sorted by name.

use super::{acl, client, connection, flags, info, introspection, server, string};
use super::{BeginSearch, CommandSpec, FindKeys, Group, KeySpec};

/// Defaults that most entries share; each entry overrides what differs.
const BASE: CommandSpec = CommandSpec {
    name: "",
    arity: 0,
    flags: 0,
    acl: 0,
    keys: (0, 0, 0),
    key_specs: &[],
    tips: &[],
    summary: "",
    since: "",
    group: Group::Generic,
    complexity: "",
    handler: None,
    getkeys: None,
    subcommands: &[],
};

/// Every top-level command, sorted by name; subcommands sorted within each.
pub static COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "auth",
        arity: -2,
        flags: flags::NOSCRIPT | flags::LOADING | flags::STALE | flags::FAST | flags::NO_AUTH | flags::ALLOW_BUSY,
        acl: acl::CONNECTION,
        summary: "Authenticate to the server",
        since: "1.0.0",
        group: Group::Connection,
        complexity: "O(N) where N is the number of passwords defined for the user",
        handler: Some(connection::auth),
        ..BASE
    },
    CommandSpec {
        name: "client",
        arity: -2,
        flags: 0,
        acl: 0,
        summary: "A container for client connection commands",
        since: "2.4.0",
        group: Group::Connection,
        complexity: "Depends on subcommand.",
        subcommands: &[
            CommandSpec {
                name: "client|caching",
                arity: 3,
                flags: flags::NOSCRIPT | flags::LOADING | flags::STALE,
                acl: acl::CONNECTION,
                summary: "Instruct the server about tracking or not keys in the next request",
                since: "6.0.0",
                group: Group::Connection,
                complexity: "O(1)",
                handler: Some(client::caching),
                ..BASE
            },
            CommandSpec {
                name: "client|getname",
                arity: 2,
                flags: flags::NOSCRIPT | flags::LOADING | flags::STALE,
                acl: acl::CONNECTION,
                summary: "Get the current connection name",
                since: "2.6.9",
                group: Group::Connection,
                complexity: "O(1)",
                handler: Some(client::getname),
                ..BASE
            },
            CommandSpec {
                name: "client|getredir",
                arity: 2,
                flags: flags::NOSCRIPT | flags::LOADING | flags::STALE,
                acl: acl::CONNECTION,
                summary: "Get tracking notifications redirection client ID if any",
                since: "6.0.0",
                group: Group::Connection,
                complexity: "O(1)",
                handler: Some(client::getredir),
                ..BASE
            },
            CommandSpec {
                name: "client|help",
                arity: 2,
                flags: flags::LOADING | flags::STALE,
                acl: acl::CONNECTION,
                summary: "Show helpful text about the different subcommands",
                since: "5.0.0",
                group: Group::Connection,
                complexity: "O(1)",
                handler: Some(client::help),
                ..BASE
            },
            CommandSpec {
                name: "client|id",
                arity: 2,
                flags: flags::NOSCRIPT | flags::LOADING | flags::STALE,
                acl: acl::CONNECTION,
                summary: "Returns the client ID for the current connection",
                since: "5.0.0",
                group: Group::Connection,
                complexity: "O(1)",
                handler: Some(client::id),
                ..BASE
            },
            CommandSpec {
                name: "client|info",
                arity: 2,
                flags: flags::NOSCRIPT | flags::LOADING | flags::STALE,
                acl: acl::CONNECTION,
                tips: &["nondeterministic_output"],
                summary: "Returns information about the current client connection.",
                since: "6.2.0",
                group: Group::Connection,
                complexity: "O(1)",
                handler: Some(client::info),
                ..BASE
            },
            CommandSpec {
                name: "client|kill",
                arity: -3,
                flags: flags::ADMIN | flags::NOSCRIPT | flags::LOADING | flags::STALE,
                acl: acl::CONNECTION,
                summary: "Kill the connection of a client",
                since: "2.4.0",
                group: Group::Connection,
                complexity: "O(N) where N is the number of client connections",
                handler: Some(client::kill),
                ..BASE
            },
            CommandSpec {
                name: "client|list",
                arity: -2,
                flags: flags::ADMIN | flags::NOSCRIPT | flags::LOADING | flags::STALE,
                acl: acl::CONNECTION,
                tips: &["nondeterministic_output"],
                summary: "Get the list of client connections",
                since: "2.4.0",
                group: Group::Connection,
                complexity: "O(N) where N is the number of client connections",
                handler: Some(client::list),
                ..BASE
            },
            CommandSpec {
                name: "client|no-evict",
                arity: 3,
                flags: flags::ADMIN | flags::NOSCRIPT | flags::LOADING | flags::STALE,
                acl: acl::CONNECTION,
                summary: "Set client eviction mode for the current connection",
                since: "7.0.0",
                group: Group::Connection,
                complexity: "O(1)",
                handler: Some(client::no_evict),
                ..BASE
            },
            CommandSpec {
                name: "client|no-touch",
                arity: 3,
                flags: flags::NOSCRIPT | flags::LOADING | flags::STALE,
                acl: acl::CONNECTION,
                summary: "Controls whether commands sent by the client will alter the LRU/LFU of the keys they access.",
                since: "7.2.0",
                group: Group::Connection,
                complexity: "O(1)",
                handler: Some(client::no_touch),
                ..BASE
            },
            CommandSpec {
                name: "client|pause",
                arity: -3,
                flags: flags::ADMIN | flags::NOSCRIPT | flags::LOADING | flags::STALE,
                acl: acl::CONNECTION,
                summary: "Stop processing commands from clients for some time",
                since: "2.9.50",
                group: Group::Connection,
                complexity: "O(1)",
                handler: Some(client::pause),
                ..BASE
            },
            CommandSpec {
                name: "client|reply",
                arity: 3,
                flags: flags::NOSCRIPT | flags::LOADING | flags::STALE,
                acl: acl::CONNECTION,
                summary: "Instruct the server whether to reply to commands",
                since: "3.2.0",
                group: Group::Connection,
                complexity: "O(1)",
                handler: Some(client::reply),
                ..BASE
            },
            CommandSpec {
                name: "client|setinfo",
                arity: 4,
                flags: flags::NOSCRIPT | flags::LOADING | flags::STALE,
                acl: acl::CONNECTION,
                tips: &["request_policy:all_nodes", "response_policy:all_succeeded"],
                summary: "Set client or connection specific info",
                since: "7.2.0",
                group: Group::Connection,
                complexity: "O(1)",
                handler: Some(client::setinfo),
                ..BASE
            },
            CommandSpec {
                name: "client|setname",
                arity: 3,
                flags: flags::NOSCRIPT | flags::LOADING | flags::STALE,
                acl: acl::CONNECTION,
                summary: "Set the current connection name",
                since: "2.6.9",
                group: Group::Connection,
                complexity: "O(1)",
                handler: Some(client::setname),
                ..BASE
            },
            CommandSpec {
                name: "client|trackinginfo",
                arity: 2,
                flags: flags::NOSCRIPT | flags::LOADING | flags::STALE,
                acl: acl::CONNECTION,
                summary: "Return information about server assisted client side caching for the current connection",
                since: "6.2.0",
                group: Group::Connection,
                complexity: "O(1)",
                handler: Some(client::trackinginfo),
                ..BASE
            },
            CommandSpec {
                name: "client|unblock",
                arity: -3,
                flags: flags::ADMIN | flags::NOSCRIPT | flags::LOADING | flags::STALE,
                acl: acl::CONNECTION,
                summary: "Unblock a client blocked in a blocking command from a different connection",
                since: "5.0.0",
                group: Group::Connection,
                complexity: "O(log N) where N is the number of client connections",
                handler: Some(client::unblock),
                ..BASE
            },
            CommandSpec {
                name: "client|unpause",
                arity: 2,
                flags: flags::ADMIN | flags::NOSCRIPT | flags::LOADING | flags::STALE,
                acl: acl::CONNECTION,
                summary: "Resume processing of clients that were paused",
                since: "6.2.0",
                group: Group::Connection,
                complexity: "O(N) Where N is the number of paused clients",
                handler: Some(client::unpause),
                ..BASE
            },
        ],
        ..BASE
    },
    CommandSpec {
        name: "command",
        arity: -1,
        flags: flags::LOADING | flags::STALE,
        acl: acl::CONNECTION,
        tips: &["nondeterministic_output_order"],
        summary: "Get array of Redis command details",
        since: "2.8.13",
        group: Group::Server,
        complexity: "O(N) where N is the total number of Redis commands",
        handler: Some(introspection::command),
        subcommands: &[
            CommandSpec {
                name: "command|count",
                arity: 2,
                flags: flags::LOADING | flags::STALE,
                acl: acl::CONNECTION,
                summary: "Get total number of Redis commands",
                since: "2.8.13",
                group: Group::Server,
                complexity: "O(1)",
                handler: Some(introspection::count),
                ..BASE
            },
            CommandSpec {
                name: "command|docs",
                arity: -2,
                flags: flags::LOADING | flags::STALE,
                acl: acl::CONNECTION,
                tips: &["nondeterministic_output_order"],
                summary: "Get array of specific Redis command documentation",
                since: "7.0.0",
                group: Group::Server,
                complexity: "O(N) where N is the number of commands to look up",
                handler: Some(introspection::docs),
                ..BASE
            },
            CommandSpec {
                name: "command|getkeys",
                arity: -4,
                flags: flags::LOADING | flags::STALE,
                acl: acl::CONNECTION,
                summary: "Extract keys given a full Redis command",
                since: "2.8.13",
                group: Group::Server,
                complexity: "O(N) where N is the number of arguments to the command",
                handler: Some(introspection::getkeys),
                ..BASE
            },
            CommandSpec {
                name: "command|getkeysandflags",
                arity: -4,
                flags: flags::LOADING | flags::STALE,
                acl: acl::CONNECTION,
                summary: "Extract keys and access flags given a full Redis command",
                since: "7.0.0",
                group: Group::Server,
                complexity: "O(N) where N is the number of arguments to the command",
                handler: Some(introspection::getkeysandflags),
                ..BASE
            },
            CommandSpec {
                name: "command|help",
                arity: 2,
                flags: flags::LOADING | flags::STALE,
                acl: acl::CONNECTION,
                summary: "Show helpful text about the different subcommands",
                since: "5.0.0",
                group: Group::Server,
                complexity: "O(1)",
                handler: Some(introspection::help),
                ..BASE
            },
            CommandSpec {
                name: "command|info",
                arity: -2,
                flags: flags::LOADING | flags::STALE,
                acl: acl::CONNECTION,
                tips: &["nondeterministic_output_order"],
                summary: "Get array of specific Redis command details, or all when no argument is given.",
                since: "2.8.13",
                group: Group::Server,
                complexity: "O(N) where N is the number of commands to look up",
                handler: Some(introspection::info),
                ..BASE
            },
            CommandSpec {
                name: "command|list",
                arity: -2,
                flags: flags::LOADING | flags::STALE,
                acl: acl::CONNECTION,
                tips: &["nondeterministic_output_order"],
                summary: "Get an array of Redis command names",
                since: "7.0.0",
                group: Group::Server,
                complexity: "O(N) where N is the total number of Redis commands",
                handler: Some(introspection::list),
                ..BASE
            },
        ],
        ..BASE
    },
    CommandSpec {
        name: "config",
        arity: -2,
        flags: 0,
        acl: 0,
        summary: "A container for server configuration commands",
        since: "2.0.0",
        group: Group::Server,
        complexity: "Depends on subcommand.",
        subcommands: &[
            CommandSpec {
                name: "config|get",
                arity: -3,
                flags: flags::ADMIN | flags::NOSCRIPT | flags::LOADING | flags::STALE,
                acl: 0,
                summary: "Get the values of configuration parameters",
                since: "2.0.0",
                group: Group::Server,
                complexity: "O(N) when N is the number of configuration parameters provided",
                handler: Some(server::config_get),
                ..BASE
            },
            CommandSpec {
                name: "config|help",
                arity: 2,
                flags: flags::LOADING | flags::STALE,
                acl: 0,
                summary: "Show helpful text about the different subcommands",
                since: "5.0.0",
                group: Group::Server,
                complexity: "O(1)",
                handler: Some(server::config_help),
                ..BASE
            },
            CommandSpec {
                name: "config|resetstat",
                arity: 2,
                flags: flags::ADMIN | flags::NOSCRIPT | flags::LOADING | flags::STALE,
                acl: 0,
                summary: "Reset the stats returned by INFO",
                since: "2.0.0",
                group: Group::Server,
                complexity: "O(1)",
                handler: Some(server::config_resetstat),
                ..BASE
            },
            CommandSpec {
                name: "config|rewrite",
                arity: 2,
                flags: flags::ADMIN | flags::NOSCRIPT | flags::LOADING | flags::STALE,
                acl: 0,
                summary: "Rewrite the configuration file with the in memory configuration",
                since: "2.8.0",
                group: Group::Server,
                complexity: "O(1)",
                handler: Some(server::config_rewrite),
                ..BASE
            },
            CommandSpec {
                name: "config|set",
                arity: -4,
                flags: flags::ADMIN | flags::NOSCRIPT | flags::LOADING | flags::STALE,
                acl: 0,
                tips: &["request_policy:all_nodes", "response_policy:all_succeeded"],
                summary: "Set configuration parameters to the given values",
                since: "2.0.0",
                group: Group::Server,
                complexity: "O(N) when N is the number of configuration parameters provided",
                handler: Some(server::config_set),
                ..BASE
            },
        ],
        ..BASE
    },
    CommandSpec {
        name: "dbsize",
        arity: 1,
        flags: flags::READONLY | flags::FAST,
        acl: acl::KEYSPACE,
        tips: &["request_policy:all_shards", "response_policy:agg_sum"],
        summary: "Return the number of keys in the selected database",
        since: "1.0.0",
        group: Group::Server,
        complexity: "O(1)",
        handler: Some(server::dbsize),
        ..BASE
    },
    CommandSpec {
        name: "echo",
        arity: 2,
        flags: flags::LOADING | flags::STALE | flags::FAST,
        acl: acl::CONNECTION,
        summary: "Echo the given string",
        since: "1.0.0",
        group: Group::Connection,
        complexity: "O(1)",
        handler: Some(connection::echo),
        ..BASE
    },
    CommandSpec {
        name: "flushall",
        arity: -1,
        flags: flags::WRITE,
        acl: acl::KEYSPACE | acl::DANGEROUS,
        tips: &["request_policy:all_shards", "response_policy:all_succeeded"],
        summary: "Remove all keys from all databases",
        since: "1.0.0",
        group: Group::Server,
        complexity: "O(N) where N is the total number of keys in all databases",
        handler: Some(server::flushall),
        ..BASE
    },
    CommandSpec {
        name: "flushdb",
        arity: -1,
        flags: flags::WRITE,
        acl: acl::KEYSPACE | acl::DANGEROUS,
        tips: &["request_policy:all_shards", "response_policy:all_succeeded"],
        summary: "Remove all keys from the current database",
        since: "1.0.0",
        group: Group::Server,
        complexity: "O(N) where N is the number of keys in the selected database",
        handler: Some(server::flushdb),
        ..BASE
    },
    CommandSpec {
        name: "get",
        arity: 2,
        flags: flags::READONLY | flags::FAST,
        acl: acl::STRING,
        keys: (1, 1, 1),
        key_specs: &[KeySpec { notes: None, flags: &["RO", "access"], begin: BeginSearch::Index(1), find: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } }],
        summary: "Get the value of a key",
        since: "1.0.0",
        group: Group::String,
        complexity: "O(1)",
        handler: Some(string::get),
        ..BASE
    },
    CommandSpec {
        name: "hello",
        arity: -1,
        flags: flags::NOSCRIPT | flags::LOADING | flags::STALE | flags::FAST | flags::NO_AUTH | flags::ALLOW_BUSY,
        acl: acl::CONNECTION,
        summary: "Handshake with Redis",
        since: "6.0.0",
        group: Group::Connection,
        complexity: "O(1)",
        handler: Some(connection::hello),
        ..BASE
    },
    CommandSpec {
        name: "info",
        arity: -1,
        flags: flags::LOADING | flags::STALE,
        acl: acl::DANGEROUS,
        tips: &["nondeterministic_output", "request_policy:all_shards", "response_policy:special"],
        summary: "Get information and statistics about the server",
        since: "1.0.0",
        group: Group::Server,
        complexity: "O(1)",
        handler: Some(info::info),
        ..BASE
    },
    CommandSpec {
        name: "lastsave",
        arity: 1,
        flags: flags::LOADING | flags::STALE | flags::FAST,
        acl: acl::ADMIN | acl::DANGEROUS,
        tips: &["nondeterministic_output"],
        summary: "Get the UNIX time stamp of the last successful save to disk",
        since: "1.0.0",
        group: Group::Server,
        complexity: "O(1)",
        handler: Some(server::lastsave),
        ..BASE
    },
    CommandSpec {
        name: "ping",
        arity: -1,
        flags: flags::FAST,
        acl: acl::CONNECTION,
        tips: &["request_policy:all_shards", "response_policy:all_succeeded"],
        summary: "Ping the server",
        since: "1.0.0",
        group: Group::Connection,
        complexity: "O(1)",
        handler: Some(connection::ping),
        ..BASE
    },
    CommandSpec {
        name: "quit",
        arity: -1,
        flags: flags::NOSCRIPT | flags::LOADING | flags::STALE | flags::FAST | flags::NO_AUTH | flags::ALLOW_BUSY,
        acl: acl::CONNECTION,
        summary: "Close the connection",
        since: "1.0.0",
        group: Group::Connection,
        complexity: "O(1)",
        handler: Some(connection::quit),
        ..BASE
    },
    CommandSpec {
        name: "reset",
        arity: 1,
        flags: flags::NOSCRIPT | flags::LOADING | flags::STALE | flags::FAST | flags::NO_AUTH | flags::ALLOW_BUSY,
        acl: acl::CONNECTION,
        summary: "Reset the connection",
        since: "6.2.0",
        group: Group::Connection,
        complexity: "O(1)",
        handler: Some(connection::reset),
        ..BASE
    },
    CommandSpec {
        name: "select",
        arity: 2,
        flags: flags::LOADING | flags::STALE | flags::FAST,
        acl: acl::CONNECTION,
        summary: "Change the selected database for the current connection",
        since: "1.0.0",
        group: Group::Connection,
        complexity: "O(1)",
        handler: Some(connection::select),
        ..BASE
    },
    CommandSpec {
        name: "set",
        arity: -3,
        flags: flags::WRITE | flags::DENYOOM,
        acl: acl::STRING,
        keys: (1, 1, 1),
        key_specs: &[KeySpec { notes: Some("RW and ACCESS due to the optional `GET` argument"), flags: &["RW", "access", "update", "variable_flags"], begin: BeginSearch::Index(1), find: FindKeys::Range { lastkey: 0, keystep: 1, limit: 0 } }],
        summary: "Set the string value of a key",
        since: "1.0.0",
        group: Group::String,
        complexity: "O(1)",
        handler: Some(string::set),
        getkeys: Some(string::set_keys),
        ..BASE
    },
    CommandSpec {
        name: "shutdown",
        arity: -1,
        flags: flags::ADMIN | flags::NOSCRIPT | flags::LOADING | flags::STALE | flags::NO_MULTI | flags::ALLOW_BUSY,
        acl: 0,
        summary: "Synchronously save the dataset to disk and then shut down the server",
        since: "1.0.0",
        group: Group::Server,
        complexity: "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)",
        handler: Some(server::shutdown),
        ..BASE
    },
    CommandSpec {
        name: "swapdb",
        arity: 3,
        flags: flags::WRITE | flags::FAST,
        acl: acl::KEYSPACE | acl::DANGEROUS,
        summary: "Swaps two Redis databases",
        since: "4.0.0",
        group: Group::Server,
        complexity: "O(N) where N is the count of clients watching or blocking on keys from both databases.",
        handler: Some(server::swapdb),
        ..BASE
    },
    CommandSpec {
        name: "time",
        arity: 1,
        flags: flags::LOADING | flags::STALE | flags::FAST,
        acl: 0,
        tips: &["nondeterministic_output"],
        summary: "Return the current server time",
        since: "2.6.0",
        group: Group::Server,
        complexity: "O(1)",
        handler: Some(server::time),
        ..BASE
    },
];

/// The command list of `docs/commands.md`, rendered from the table.
pub fn markdown_list() -> String {
    let mut out = String::from(
        "# Commands\n\n\
         Generated from the command table (`src/commands/table.rs`); `make docs` rewrites it.\n\
         Arity counts the command name; a negative arity means at least that many.\n\n\
         | command | arity | group | since | summary |\n\
         |---|---|---|---|---|\n",
    );
    for spec in COMMANDS {
        for s in std::iter::once(spec).chain(spec.subcommands) {
            out.push_str(&format!(
                "| `{}` | {} | {} | {} | {} |\n",
                s.name.to_uppercase().replace('|', " "),
                s.arity,
                s.group.name(),
                s.since,
                s.summary
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table must stay sorted: `COMMAND` lists it in this order, and
    /// readers of the docs look commands up alphabetically.
    #[test]
    fn sorted_and_well_formed() {
        let names: Vec<&str> = COMMANDS.iter().map(|c| c.name).collect();
        let mut sorted = names.clone();
        sorted.sort_unstable();
        assert_eq!(names, sorted);
        for spec in COMMANDS {
            assert!(!spec.name.contains('|') && spec.arity != 0, "{}", spec.name);
            assert!(
                spec.handler.is_some() || !spec.subcommands.is_empty(),
                "{}",
                spec.name
            );
            for sub in spec.subcommands {
                assert!(
                    sub.name.starts_with(&format!("{}|", spec.name)),
                    "{}",
                    sub.name
                );
                assert!(sub.handler.is_some(), "{}", sub.name);
            }
        }
    }

    /// docs/commands.md is generated; this fails when it is stale.
    /// `UPDATE_DOCS=1 cargo test --lib` (what `make docs` runs) rewrites it.
    #[test]
    fn docs_command_list_is_current() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/commands.md");
        let want = markdown_list();
        if std::env::var_os("UPDATE_DOCS").is_some() {
            std::fs::write(path, &want).expect("write docs/commands.md");
        }
        let have = std::fs::read_to_string(path).unwrap_or_default();
        assert!(have == want, "docs/commands.md is stale: run `make docs`");
    }
}
