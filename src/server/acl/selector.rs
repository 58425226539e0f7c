//! One ACL selector: which commands, keys and channels it allows, the rules
//! that change it (`+get`, `~pat`, `&chan`, ...), the canonical text Redis
//! prints for it, and the check of one command line against it.
//!
//! Commands are a bit per entry of the command table (subcommands have
//! their own), plus one bit for commands that do not exist yet, which only
//! `allcommands`/`nocommands` touch: it decides whether a description
//! starts from `+@all` or `-@all`.

use crate::commands::introspection::keys_from_specs;
use crate::commands::{acl as cat, flags, Args, CommandId, CommandSpec, CommandTable};
use crate::storage::glob::glob_match;

/// Why a rule was refused; the texts are Redis's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleError {
    /// No such command or category.
    Unknown,
    /// A rule of no known form.
    Syntax,
    /// A key pattern after `allkeys`.
    KeysAfterAll,
    /// A channel pattern after `allchannels`.
    ChannelsAfterAll,
    /// `<pass` or `!hash` of a password the user does not have.
    NoSuchPassword,
    /// `#hash` that is not 64 lower-case hex digits.
    BadHash,
    /// The same user twice in a configuration.
    Duplicate,
    /// `+cmd|sub|arg`.
    FirstArgOfSubcommand,
}

impl RuleError {
    pub fn text(self) -> &'static str {
        match self {
            RuleError::Unknown => "Unknown command or category name in ACL",
            RuleError::Syntax => "Syntax error",
            RuleError::KeysAfterAll => {
                "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and \
                 does not have any effect. Try 'resetkeys' to start with an empty list of patterns"
            }
            RuleError::ChannelsAfterAll => {
                "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid \
                 and does not have any effect. Try 'resetchannels' to start with an empty list of \
                 channels"
            }
            RuleError::NoSuchPassword => {
                "The password you are trying to remove from the user does not exist"
            }
            RuleError::BadHash => {
                "The password hash must be exactly 64 characters and contain only lowercase \
                 hexadecimal characters"
            }
            RuleError::Duplicate => {
                "Duplicate user found. A user can only be defined once in config files"
            }
            RuleError::FirstArgOfSubcommand => {
                "Allowing first-arg of a subcommand is not supported"
            }
        }
    }
}

/// What a command line was refused for, with the argument at fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Refusal {
    Command,
    Key(usize),
    Channel(usize),
}

impl Refusal {
    /// Redis ranks refusals when no selector allows a command: channels
    /// over keys over the command, then the later argument.
    fn rank(self) -> (u8, usize) {
        match self {
            Refusal::Command => (1, 0),
            Refusal::Key(p) => (2, p),
            Refusal::Channel(p) => (4, p),
        }
    }

    pub fn more_relevant(self, other: Refusal) -> bool {
        self.rank() > other.rank()
    }
}

/// A key pattern and the access it grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyPattern {
    pub pattern: Vec<u8>,
    pub read: bool,
    pub write: bool,
}

/// A bit per command id.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Bits(Vec<u64>);

impl Bits {
    fn new(n: usize, on: bool) -> Bits {
        Bits(vec![if on { u64::MAX } else { 0 }; n.div_ceil(64)])
    }

    fn get(&self, id: usize) -> bool {
        self.0
            .get(id / 64)
            .is_some_and(|w| w & (1 << (id % 64)) != 0)
    }

    fn set(&mut self, id: usize, on: bool) {
        if let Some(w) = self.0.get_mut(id / 64) {
            if on {
                *w |= 1 << (id % 64);
            } else {
                *w &= !(1 << (id % 64));
            }
        }
    }

    /// Sets a command and, for a container, every subcommand of it.
    fn set_command(&mut self, table: &CommandTable, id: CommandId, on: bool) {
        self.set(id, on);
        let subs = table.all.get(id).map_or(0, |s| s.subcommands.len());
        for sub in id + 1..=id + subs {
            self.set(sub, on);
        }
    }

    fn set_category(&mut self, table: &CommandTable, flag: u32, on: bool) {
        for (id, spec) in table.all.iter().enumerate() {
            if spec.acl_categories() & flag != 0 {
                self.set_command(table, id, on);
            }
        }
    }

    /// Commands of the category allowed and not allowed.
    fn count_category(&self, table: &CommandTable, flag: u32) -> (usize, usize) {
        let mut on_off = (0, 0);
        for (id, spec) in table.all.iter().enumerate() {
            if spec.acl_categories() & flag != 0 {
                if self.get(id) {
                    on_off.0 += 1;
                } else {
                    on_off.1 += 1;
                }
            }
        }
        on_off
    }
}

/// A selector: the root one of a user, or one of its `(...)` extras.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    commands: Bits,
    /// Commands not in the table yet (the last bit of Redis's bitmap).
    future: bool,
    all_commands: bool,
    /// First arguments allowed for commands whose bit is off (`+select|0`).
    first_args: Vec<(CommandId, Vec<Vec<u8>>)>,
    pub all_keys: bool,
    pub keys: Vec<KeyPattern>,
    pub all_channels: bool,
    pub channels: Vec<Vec<u8>>,
}

/// Finds a command by its table name (`get`, `config|get`), any case;
/// `rename-command` does not change what ACL rules name.
pub fn find_command(table: &CommandTable, name: &[u8]) -> Option<CommandId> {
    table
        .all
        .iter()
        .position(|s| s.name.as_bytes().eq_ignore_ascii_case(name))
}

fn category_flag(name: &[u8]) -> Option<u32> {
    cat::NAMES
        .iter()
        .position(|n| n.as_bytes().eq_ignore_ascii_case(name))
        .map(|i| 1 << i)
}

/// Whether a name or pattern holds what C's `isspace` calls space, or NUL.
pub fn has_space(s: &[u8]) -> bool {
    s.iter()
        .any(|&c| matches!(c, 0 | b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c))
}

impl Selector {
    /// An empty selector; `all_channels` from `acl-pubsub-default`.
    pub fn new(table: &CommandTable, all_channels: bool) -> Selector {
        Selector {
            commands: Bits::new(table.all.len(), false),
            future: false,
            all_commands: false,
            first_args: Vec::new(),
            all_keys: false,
            keys: Vec::new(),
            all_channels,
            channels: Vec::new(),
        }
    }

    /// Whether it allows everything, so checks can be skipped.
    pub fn unrestricted(&self) -> bool {
        self.all_commands && self.all_keys && self.all_channels
    }

    fn change_command(&mut self, table: &CommandTable, id: CommandId, on: bool) {
        if !on {
            self.all_commands = false;
        }
        self.commands.set_command(table, id, on);
        self.first_args.retain(|(c, _)| *c != id);
    }

    fn set_all_commands(&mut self, table: &CommandTable, on: bool) {
        self.commands = Bits::new(table.all.len(), on);
        self.future = on;
        self.all_commands = on;
        self.first_args.clear();
    }

    /// Applies one rule.
    pub fn apply(&mut self, table: &CommandTable, op: &[u8]) -> Result<(), RuleError> {
        let is = |w: &str| op.eq_ignore_ascii_case(w.as_bytes());
        if is("allkeys") || is("~*") {
            self.all_keys = true;
            self.keys.clear();
        } else if is("resetkeys") {
            self.all_keys = false;
            self.keys.clear();
        } else if is("allchannels") || is("&*") {
            self.all_channels = true;
            self.channels.clear();
        } else if is("resetchannels") {
            self.all_channels = false;
            self.channels.clear();
        } else if is("allcommands") || is("+@all") {
            self.set_all_commands(table, true);
        } else if is("nocommands") || is("-@all") {
            self.set_all_commands(table, false);
        } else if op.first() == Some(&b'~') || op.first() == Some(&b'%') {
            self.add_key_pattern(op)?;
        } else if op.first() == Some(&b'&') {
            if self.all_channels {
                return Err(RuleError::ChannelsAfterAll);
            }
            let pat = &op[1..];
            if has_space(pat) {
                return Err(RuleError::Syntax);
            }
            if !self.channels.iter().any(|c| c == pat) {
                self.channels.push(pat.to_vec());
            }
            self.all_channels = false;
        } else if let Some(rest) = op.strip_prefix(b"+@").or_else(|| op.strip_prefix(b"-@")) {
            let flag = category_flag(rest).ok_or(RuleError::Unknown)?;
            let on = op[0] == b'+';
            if !on {
                self.all_commands = false;
            }
            for (id, spec) in table.all.iter().enumerate() {
                if spec.acl_categories() & flag != 0 {
                    self.change_command(table, id, on);
                }
            }
        } else if let Some(name) = op.strip_prefix(b"+") {
            self.allow_command(table, name)?;
        } else if let Some(name) = op.strip_prefix(b"-") {
            let id = find_command(table, name).ok_or(RuleError::Unknown)?;
            self.change_command(table, id, false);
        } else {
            return Err(RuleError::Syntax);
        }
        Ok(())
    }

    /// `+cmd`, `+container|sub`, or `+cmd|firstarg` for a command without
    /// subcommands (deprecated in Redis, still honoured).
    fn allow_command(&mut self, table: &CommandTable, name: &[u8]) -> Result<(), RuleError> {
        let Some(bar) = name.iter().rposition(|&b| b == b'|') else {
            let id = find_command(table, name).ok_or(RuleError::Unknown)?;
            self.change_command(table, id, true);
            return Ok(());
        };
        let (base, sub) = (&name[..bar], &name[bar + 1..]);
        let id = find_command(table, base).ok_or(RuleError::Unknown)?;
        let spec = table.all[id];
        if spec.name.contains('|') {
            return Err(RuleError::FirstArgOfSubcommand);
        }
        if sub.is_empty() {
            return Err(RuleError::Syntax);
        }
        if spec.subcommands.is_empty() {
            log::warn!(
                "Deprecation warning: Allowing a first arg of an otherwise blocked command is a \
                 misuse of ACL and may get disabled in the future (offender: +{})",
                String::from_utf8_lossy(name)
            );
            match self.first_args.iter_mut().find(|(c, _)| *c == id) {
                Some((_, list)) => {
                    if !list.iter().any(|a| a.eq_ignore_ascii_case(sub)) {
                        list.push(sub.to_vec());
                    }
                }
                None => self.first_args.push((id, vec![sub.to_vec()])),
            }
        } else {
            let sid = find_command(table, name).ok_or(RuleError::Unknown)?;
            self.change_command(table, sid, true);
        }
        Ok(())
    }

    fn add_key_pattern(&mut self, op: &[u8]) -> Result<(), RuleError> {
        if self.all_keys {
            return Err(RuleError::KeysAfterAll);
        }
        let (mut read, mut write) = (false, false);
        let mut offset = 1;
        if op[0] == b'%' {
            while offset < op.len() {
                let c = op[offset];
                if c.eq_ignore_ascii_case(&b'r') && !read {
                    read = true;
                } else if c.eq_ignore_ascii_case(&b'w') && !write {
                    write = true;
                } else if c == b'~' {
                    offset += 1;
                    break;
                } else {
                    return Err(RuleError::Syntax);
                }
                offset += 1;
            }
        } else {
            (read, write) = (true, true);
        }
        let pat = op.get(offset..).unwrap_or_default();
        if pat == b"*" && read && write {
            self.all_keys = true;
            self.keys.clear();
            return Ok(());
        }
        if has_space(pat) {
            return Err(RuleError::Syntax);
        }
        match self.keys.iter_mut().find(|k| k.pattern == pat) {
            Some(k) => {
                k.read |= read;
                k.write |= write;
            }
            None => self.keys.push(KeyPattern {
                pattern: pat.to_vec(),
                read,
                write,
            }),
        }
        Ok(())
    }

    /// The command rules as Redis renders them: `+@all` or `-@all`, the
    /// categories that best fit the allowed commands, then the single
    /// commands that still differ. Bytes, as first arguments may be any.
    pub fn describe_commands(&self, table: &CommandTable) -> Vec<u8> {
        let mut rules = Vec::new();
        let additive = !self.future;
        let mut fake = Bits::new(table.all.len(), self.future);
        rules.extend_from_slice(if additive { b"-@all " } else { b"+@all " });
        let mut temp = self.commands.clone();
        let mut applied = [false; 32];
        loop {
            let mut best = None;
            let (mut mindiff, mut maxsame) = (usize::MAX, 0);
            for (j, _) in cat::NAMES.iter().enumerate() {
                if applied[j] {
                    continue;
                }
                let (on, off) = temp.count_category(table, 1 << j);
                let (diff, same) = if additive { (off, on) } else { (on, off) };
                if same > diff && (diff < mindiff || (diff == mindiff && same > maxsame)) {
                    best = Some(j);
                    mindiff = diff;
                    maxsame = same;
                }
            }
            let Some(j) = best else { break };
            fake.set_category(table, 1 << j, additive);
            temp.set_category(table, 1 << j, !additive);
            rules.extend_from_slice(if additive { b"+@" } else { b"-@" });
            rules.extend_from_slice(cat::NAMES[j].as_bytes());
            rules.push(b' ');
            applied[j] = true;
        }
        for (id, spec) in table.all.iter().enumerate() {
            let user = self.commands.get(id);
            if user != fake.get(id) {
                rules.push(if user { b'+' } else { b'-' });
                rules.extend_from_slice(spec.name.as_bytes());
                rules.push(b' ');
                fake.set_command(table, id, user);
            }
            if user {
                continue;
            }
            if let Some((_, args)) = self.first_args.iter().find(|(c, _)| *c == id) {
                for a in args {
                    rules.push(b'+');
                    rules.extend_from_slice(spec.name.as_bytes());
                    rules.push(b'|');
                    rules.extend_from_slice(a);
                    rules.push(b' ');
                }
            }
        }
        rules.pop();
        rules
    }

    /// Key patterns as rules (`~p`, `%R~p`, `%W~p`).
    pub fn key_rules(&self) -> Vec<Vec<u8>> {
        if self.all_keys {
            return vec![b"~*".to_vec()];
        }
        self.keys
            .iter()
            .map(|k| {
                let prefix: &[u8] = match (k.read, k.write) {
                    (true, false) => b"%R~",
                    (false, true) => b"%W~",
                    _ => b"~",
                };
                [prefix, &k.pattern].concat()
            })
            .collect()
    }

    /// Channel patterns as rules (`&p`).
    pub fn channel_rules(&self) -> Vec<Vec<u8>> {
        if self.all_channels {
            return vec![b"&*".to_vec()];
        }
        self.channels
            .iter()
            .map(|c| [b"&", &c[..]].concat())
            .collect()
    }

    /// The whole selector as ACL LIST prints it.
    pub fn describe(&self, table: &CommandTable) -> Vec<u8> {
        let mut out = Vec::new();
        for k in self.key_rules() {
            out.extend_from_slice(&k);
            out.push(b' ');
        }
        if !self.all_channels {
            out.extend_from_slice(b"resetchannels ");
        }
        for c in self.channel_rules() {
            out.extend_from_slice(&c);
            out.push(b' ');
        }
        out.extend_from_slice(&self.describe_commands(table));
        out
    }

    /// Checks one command line. `keys` caches the command's keys between
    /// the selectors of a user.
    pub fn check(
        &self,
        id: CommandId,
        spec: &CommandSpec,
        args: &Args,
        keys: &mut Option<Vec<KeyAccess>>,
    ) -> Result<(), Refusal> {
        if !self.all_commands && !spec.has(flags::NO_AUTH) && !self.commands.get(id) {
            let idx = if spec.name.contains('|') { 2 } else { 1 };
            let allowed = args.len() >= 2
                && self.first_args.iter().any(|(c, list)| {
                    *c == id && list.iter().any(|a| a.eq_ignore_ascii_case(args.get(idx)))
                });
            if !allowed {
                return Err(Refusal::Command);
            }
        }
        if !self.all_keys && has_keys(spec) {
            let keys = keys.get_or_insert_with(|| key_accesses(spec, args));
            for k in keys.iter() {
                if !self.key_allowed(args.get(k.pos), k.read, k.write) {
                    return Err(Refusal::Key(k.pos));
                }
            }
        }
        if !self.all_channels {
            for (pos, pattern) in channels_of(spec, args) {
                if !self.channel_allowed(args.get(pos), pattern) {
                    return Err(Refusal::Channel(pos));
                }
            }
        }
        Ok(())
    }

    /// Whether it reads every key: `allkeys`, or a `~*` or `%R~*` pattern.
    pub fn reads_every_key(&self) -> bool {
        self.all_keys || self.keys.iter().any(|k| k.read && k.pattern == b"*")
    }

    fn key_allowed(&self, key: &[u8], read: bool, write: bool) -> bool {
        self.keys
            .iter()
            .any(|p| (p.read || !read) && (p.write || !write) && glob_match(&p.pattern, key, false))
    }

    /// A channel against the patterns: a subscription pattern must be one
    /// of them literally, a channel must match one.
    pub fn channel_allowed(&self, channel: &[u8], pattern: bool) -> bool {
        self.all_channels || channel_in(&self.channels, channel, pattern)
    }
}

/// Whether `channel` (a pattern when `pattern`) is allowed by `patterns`.
pub fn channel_in(patterns: &[Vec<u8>], channel: &[u8], pattern: bool) -> bool {
    patterns.iter().any(|p| {
        if pattern {
            p == channel
        } else {
            glob_match(p, channel, false)
        }
    })
}

/// A key of a command line and the access the command needs to it.
#[derive(Debug, Clone, Copy)]
pub struct KeyAccess {
    pub pos: usize,
    pub read: bool,
    pub write: bool,
}

fn has_keys(spec: &CommandSpec) -> bool {
    spec.getkeys.is_some() || spec.key_specs.iter().any(|k| !k.flags.contains(&"not_key"))
}

/// Read access for specs flagged `access`, write for `insert`, `delete`
/// and `update`, as Redis maps key-spec flags to `%R`/`%W`.
fn key_accesses(spec: &CommandSpec, args: &Args) -> Vec<KeyAccess> {
    keys_from_specs(spec, args)
        .unwrap_or_default()
        .into_iter()
        .map(|(pos, fl)| KeyAccess {
            pos,
            read: fl.contains(&"access"),
            write: fl
                .iter()
                .any(|f| matches!(*f, "insert" | "delete" | "update")),
        })
        .collect()
}

/// The channels a command publishes or subscribes to: (position, pattern?).
pub fn channels_of(spec: &CommandSpec, args: &Args) -> Vec<(usize, bool)> {
    match spec.name {
        "publish" | "spublish" if args.len() > 1 => vec![(1, false)],
        "subscribe" | "ssubscribe" => (1..args.len()).map(|p| (p, false)).collect(),
        "psubscribe" => (1..args.len()).map(|p| (p, true)).collect(),
        _ => Vec::new(),
    }
}
