//! Access control lists: the users, their permission checks, and the ACL
//! LOG of refusals, in the spirit of Redis's `acl.c`.
//!
//! A client runs as one user, by name (`Client::user`, `None` for the
//! default user). Users live here in name order, which ACL LIST, ACL USERS
//! and ACL SAVE follow. Every command is checked in dispatch before it
//! runs; scripts check what `redis.call` runs with [`check`].

pub mod file;
pub mod log;
pub mod selector;
pub mod sha256;
pub mod user;

use std::collections::BTreeMap;

use crate::commands::{Args, CmdError, CommandId, CommandSpec, CommandTable};
use crate::config::Config;
use crate::server::client::Client;
use crate::server::pubsub::Kind;
use crate::server::Server;
pub use log::{AclLog, Context};
pub use selector::Refusal;
use user::User;

/// The users and the refusal log.
#[derive(Debug)]
pub struct Acl {
    pub users: BTreeMap<Vec<u8>, User>,
    pub log: AclLog,
}

pub const DEFAULT_USER: &[u8] = b"default";

impl Acl {
    /// The default user alone, with `requirepass` as its password, then
    /// the `user` lines of the configuration (checked when it was read).
    pub fn new(table: &CommandTable, config: &Config) -> Acl {
        let mut acl = Acl {
            users: BTreeMap::new(),
            log: AclLog::default(),
        };
        acl.users
            .insert(DEFAULT_USER.to_vec(), User::new_default(table));
        acl.set_default_password(table, config.requirepass.as_deref());
        let all_channels = config.acl_pubsub_default_allchannels;
        for line in &config.users {
            let Some((name, rules)) = line.split_first() else {
                continue;
            };
            let rules = user::merge_selector_args(rules).unwrap_or_default();
            let u = acl
                .users
                .entry(name.clone())
                .or_insert_with(|| User::new(table, name, all_channels));
            if name == DEFAULT_USER {
                let _ = u.apply(table, b"reset", all_channels);
            }
            let _ = u.apply_all(table, &rules, all_channels);
        }
        acl
    }

    /// What `requirepass` does: the default user's only password, or
    /// `nopass` when empty.
    pub fn set_default_password(&mut self, table: &CommandTable, pass: Option<&[u8]>) {
        if let Some(u) = self.users.get_mut(DEFAULT_USER) {
            let _ = u.apply(table, b"resetpass", false);
            match pass {
                Some(p) => {
                    let mut rule = b">".to_vec();
                    rule.extend_from_slice(p);
                    let _ = u.apply(table, &rule, false);
                }
                None => {
                    let _ = u.apply(table, b"nopass", false);
                }
            }
        }
    }

    pub fn user(&self, name: Option<&[u8]>) -> Option<&User> {
        self.users.get(name.unwrap_or(DEFAULT_USER))
    }

    /// Whether new connections start unauthenticated: the default user
    /// has a password or is off.
    pub fn auth_required(&self) -> bool {
        self.user(None).is_none_or(|u| !u.nopass || !u.enabled)
    }

    /// Whether the default user needs no password (protected mode).
    pub fn default_nopass(&self) -> bool {
        self.user(None).is_some_and(|u| u.nopass)
    }

    /// Whether the password opens the named user (enabled, and nopass or
    /// one of its passwords).
    pub fn authenticate(&self, name: &[u8], password: &[u8]) -> bool {
        self.users.get(name).is_some_and(|u| u.accepts(password))
    }

    /// Checks a command line against a user's selectors: allowed when any
    /// selector allows it; else the most relevant refusal, as Redis picks it.
    pub fn check_user(
        u: &User,
        id: CommandId,
        spec: &CommandSpec,
        args: &Args,
    ) -> Result<(), Refusal> {
        let mut keys = None;
        let mut worst = Refusal::Command;
        for s in &u.selectors {
            match s.check(id, spec, args, &mut keys) {
                Ok(()) => return Ok(()),
                Err(r) if r.more_relevant(worst) => worst = r,
                Err(_) => {}
            }
        }
        Err(worst)
    }
}

/// The error a client gets for a refusal, Redis's `-NOPERM` texts.
pub fn refusal_error(r: Refusal, spec: &CommandSpec) -> CmdError {
    let text = match r {
        Refusal::Command => format!(
            "NOPERM this user has no permissions to run the '{}' command",
            spec.name
        ),
        Refusal::Key(_) => {
            "NOPERM this user has no permissions to access one of the keys used as arguments".into()
        }
        Refusal::Channel(_) => {
            "NOPERM this user has no permissions to access one of the channels used as arguments"
                .into()
        }
    };
    CmdError::Message(text.into())
}

/// Checks what `user` (`None`: the default user) may run: command `id`
/// with its full argument vector. Scripts call this for `redis.call` and
/// log a refusal with [`log_refusal`] in context [`Context::Lua`].
pub fn check(srv: &Server, user: Option<&[u8]>, id: CommandId, args: &Args) -> Result<(), Refusal> {
    let Some(spec) = srv.commands.all.get(id) else {
        return Ok(());
    };
    match srv.acl.user(user) {
        Some(u) if u.selectors.len() == 1 && u.root().unrestricted() => Ok(()),
        Some(u) => Acl::check_user(u, id, spec, args),
        // A client whose user was deleted is being closed.
        None => Err(Refusal::Command),
    }
}

/// Whether one of the user's selectors allows the command line and reads
/// every key: what SORT's BY and GET patterns need, since they name keys
/// no key spec can find.
pub fn full_key_access(srv: &Server, user: Option<&[u8]>, id: CommandId, args: &Args) -> bool {
    let (Some(u), Some(spec)) = (srv.acl.user(user), srv.commands.all.get(id)) else {
        return false;
    };
    let mut keys = None;
    u.selectors
        .iter()
        .any(|s| s.check(id, spec, args, &mut keys).is_ok() && s.reads_every_key())
}

/// Records a refusal of `client`'s command line in the ACL LOG.
pub fn log_refusal(
    srv: &mut Server,
    client: &Client,
    refusal: Refusal,
    context: Context,
    spec: &CommandSpec,
    args: &Args,
) {
    let (reason, object) = match refusal {
        Refusal::Command => ("command", spec.name.as_bytes().to_vec()),
        Refusal::Key(p) => ("key", args.get(p).to_vec()),
        Refusal::Channel(p) => ("channel", args.get(p).to_vec()),
    };
    let username = client.user.as_deref().unwrap_or(DEFAULT_USER).to_vec();
    srv.acl_log_entry(client, reason, context, object, username);
}

impl Server {
    /// Adds an entry to the ACL LOG with the client's description.
    pub fn acl_log_entry(
        &mut self,
        client: &Client,
        reason: &'static str,
        context: Context,
        object: Vec<u8>,
        username: Vec<u8>,
    ) {
        let mut info = String::new();
        crate::commands::client::describe(self, client, &mut info);
        let now = self.clock.now_ms;
        let max = self.config.acllog_max_len as usize;
        self.acl
            .log
            .add(reason, context, object, username, info, now, max);
    }

    /// Closes every connection authenticated as `name` (the running
    /// client after its reply): its user is gone or was replaced.
    pub fn acl_kill_user_clients(&mut self, name: &[u8], current: &mut Client) {
        let victims: Vec<usize> = self
            .clients
            .iter()
            .filter_map(|(t, c)| {
                c.as_deref()
                    .filter(|c| c.user.as_deref() == Some(name))
                    .map(|_| t)
            })
            .collect();
        for token in victims {
            self.schedule_close(token);
        }
        if current.user.as_deref() == Some(name) {
            current.user = None;
            current.authenticated = false;
            current.close_after_reply = true;
        }
    }

    /// The `aclfile` at start-up, after refusing `user` lines beside it
    /// (those were applied when the server was built).
    pub fn load_users_at_startup(&mut self) -> Result<(), String> {
        file::check_startup(&self.config.aclfile, &self.config.users)?;
        if !self.config.aclfile.is_empty() {
            let all_channels = self.config.acl_pubsub_default_allchannels;
            self.acl.users = file::load(&self.commands, &self.config.aclfile, all_channels)
                .map_err(|e| format!("Aborting Redis startup because of ACL errors: {e}"))?;
        }
        Ok(())
    }

    /// Replaces every user by those ACL LOAD read; connections of every
    /// user but the default one close, as their users were replaced.
    pub fn acl_replace_users(&mut self, users: BTreeMap<Vec<u8>, User>, current: &mut Client) {
        let old = std::mem::replace(&mut self.acl.users, users);
        for name in old.keys().filter(|n| n.as_slice() != DEFAULT_USER) {
            self.acl_kill_user_clients(name, current);
        }
    }

    /// After `name`'s channel rules changed from `old`: closes its
    /// subscribed clients holding a subscription the new rules refuse,
    /// unless the new rules take in every old one.
    pub fn acl_kill_pubsub_clients(&mut self, name: &[u8], old: &User, current: &mut Client) {
        let Some(new) = self.acl.users.get(name) else {
            return;
        };
        if new.selectors.iter().any(|s| s.all_channels) {
            return;
        }
        let upcoming: Vec<Vec<u8>> = new
            .selectors
            .iter()
            .flat_map(|s| s.channels.iter().cloned())
            .collect();
        let superset = old
            .selectors
            .iter()
            .all(|s| !s.all_channels && s.channels.iter().all(|c| upcoming.contains(c)));
        if superset {
            return;
        }
        let refused = |id: u64, srv: &Server| {
            [
                (Kind::Pattern, true),
                (Kind::Channel, false),
                (Kind::Shard, false),
            ]
            .into_iter()
            .any(|(kind, pattern)| {
                srv.pubsub
                    .subscribed(id, kind)
                    .iter()
                    .any(|c| !selector::channel_in(&upcoming, c, pattern))
            })
        };
        let victims: Vec<usize> = self
            .clients
            .iter()
            .filter_map(|(t, c)| {
                c.as_deref()
                    .filter(|c| c.user.as_deref() == Some(name) && c.pubsub && refused(c.id, self))
                    .map(|_| t)
            })
            .collect();
        for token in victims {
            self.schedule_close(token);
        }
        if current.user.as_deref() == Some(name) && current.pubsub && refused(current.id, self) {
            current.close_after_reply = true;
        }
    }
}
