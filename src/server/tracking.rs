//! Client-side caching (`CLIENT TRACKING`), in the spirit of Redis's `tracking.c`.
//!
//! In the default mode every key a tracking client reads is remembered in
//! one table, key to the ids of the clients that may cache it, shared by
//! every database as in Redis. A write to the key sends those clients an
//! `invalidate` message and forgets the key, so each read earns at most one
//! message. In BCAST mode nothing is remembered: writes to keys under a
//! subscribed prefix are collected per prefix and broadcast, one message per
//! prefix, before the loop sleeps. Messages go to the tracking client as a
//! RESP3 push, or to the client it redirects to: a push there too when that
//! one speaks RESP3, else a `message` on `__redis__:invalidate` when it is
//! in pub/sub mode, else nowhere.
//!
//! Everything lives here by client id, as for pub/sub, because the client
//! that writes is out of its slab slot while its command runs. Messages to
//! a client out of its slot wait in `detached`: a redirect target that is
//! the running client gets them before its reply, as Redis writes them
//! while the command runs; a tracking client invalidated by its own command
//! gets them after its reply, as Redis defers those until the call ends.
//! Disabling tracking leaves the client's ids in the table, to be dropped
//! when their key is next invalidated, so turning off costs no scan.

use std::collections::{BTreeMap, BTreeSet};

use ahash::AHashMap;

use super::client::Client;
use super::event_loop::enqueue_write;
use super::Server;
use crate::protocol::reply::ReplyBuf;
use crate::storage::dict::Dict;
use crate::storage::value::Bytes;

/// The channel invalidations are published on for RESP2 redirect targets.
pub const INVALIDATE_CHANNEL: &[u8] = b"__redis__:invalidate";

/// Random keys looked at per unit of effort when the table is over
/// `tracking-table-max-keys` (Redis's effort of 100 per consecutive run).
const EVICTION_EFFORT: u64 = 100;

/// The options `CLIENT TRACKING ON` takes besides REDIRECT and PREFIX.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    pub bcast: bool,
    pub optin: bool,
    pub optout: bool,
    pub noloop: bool,
}

/// One tracking client's state.
#[derive(Debug)]
pub struct TrackedClient {
    token: usize,
    /// Client id invalidations go to; 0 for the client itself.
    pub redirect: u64,
    pub options: Options,
    /// `CLIENT CACHING` was given for the next command.
    pub caching: bool,
    /// The redirect target was found gone when a message was due.
    pub broken_redirect: bool,
    /// BCAST prefixes, sorted as `CLIENT TRACKINGINFO` lists them.
    pub prefixes: BTreeSet<Vec<u8>>,
}

/// A BCAST prefix: its subscribers, and the keys under it written since
/// the last broadcast with the id of the client that wrote each last
/// (0 for none), which NOLOOP subscribers are not told about.
#[derive(Debug, Default)]
struct Prefix {
    clients: Vec<u64>,
    keys: BTreeMap<Vec<u8>, u64>,
}

/// The running client, as the write layer's signals need it.
#[derive(Debug, Clone, Copy)]
struct Current {
    id: u64,
    resp3: bool,
}

/// A message for a client out of its slot, encoded once it is back.
#[derive(Debug)]
struct Detached {
    token: usize,
    message: Message,
}

#[derive(Debug)]
enum Message {
    /// `invalidate` with its encoded keys (or null); `redirected` when the
    /// receiver gets it for another client, which allows the pub/sub form.
    Invalidate { body: Vec<u8>, redirected: bool },
    /// The redirect target of this client is gone.
    RedirectBroken(u64),
}

/// Every tracking table of the server.
#[derive(Default)]
pub struct Tracking {
    /// Key to the ids of the clients that read it.
    table: Dict<Bytes, Vec<u64>>,
    /// Ids stored across the table (`tracking_total_items`).
    items: u64,
    prefixes: BTreeMap<Vec<u8>, Prefix>,
    clients: AHashMap<u64, TrackedClient>,
    /// Tokens of the clients some tracking client redirects to, dropped
    /// when they disconnect: a redirect to a missing id is broken.
    targets: AHashMap<u64, usize>,
    current: Option<Current>,
    /// Invalidations for the running client's own reads, sent after its reply.
    pending_self: Vec<Vec<u8>>,
    detached: Vec<Detached>,
    /// Consecutive runs that could not bring the table under its limit.
    eviction_runs: u64,
    /// A script ran a read-only command: the keys of the command that ran
    /// the script are remembered when it ends.
    script_read: bool,
}

impl Tracking {
    /// `tracking_clients`.
    pub fn client_count(&self) -> usize {
        self.clients.len()
    }

    /// `tracking_total_keys`.
    pub fn key_count(&self) -> usize {
        self.table.len()
    }

    /// `tracking_total_items`.
    pub fn item_count(&self) -> u64 {
        self.items
    }

    /// `tracking_total_prefixes`.
    pub fn prefix_count(&self) -> usize {
        self.prefixes.len()
    }

    /// A client's tracking state, if it has tracking on.
    pub fn client(&self, id: u64) -> Option<&TrackedClient> {
        self.clients.get(&id)
    }

    /// Whether a write may concern anyone: the test every signal makes first.
    pub fn is_active(&self) -> bool {
        !self.table.is_empty() || !self.prefixes.is_empty()
    }

    /// Whether any prefix of this client's would overlap one of `new`,
    /// as Redis's error names it.
    pub fn prefix_collision(&self, id: u64, new: &[&[u8]]) -> Option<String> {
        let overlap = |a: &[u8], b: &[u8]| {
            let n = a.len().min(b.len());
            a[..n] == b[..n]
        };
        let text = String::from_utf8_lossy;
        let existing = self.clients.get(&id).map(|c| &c.prefixes);
        for (i, p) in new.iter().enumerate() {
            if let Some(old) = existing.and_then(|set| set.iter().find(|o| overlap(o, p))) {
                return Some(format!(
                    "ERR Prefix '{}' overlaps with an existing prefix '{}'. Prefixes for a single client must not overlap.",
                    text(p),
                    text(old)
                ));
            }
            if let Some(other) = new[i + 1..].iter().find(|o| overlap(p, o)) {
                return Some(format!(
                    "ERR Prefix '{}' overlaps with another provided prefix '{}'. Prefixes for a single client must not overlap.",
                    text(p),
                    text(other)
                ));
            }
        }
        None
    }

    /// Remembers that client `id` read `key`.
    fn remember(&mut self, key: &[u8], id: u64) {
        match self.table.lookup(key) {
            Ok(entry) => {
                let ids = self.table.value_mut(entry);
                if !ids.contains(&id) {
                    ids.push(id);
                    self.items += 1;
                }
            }
            Err(vacant) => {
                self.table
                    .add_vacant(vacant, Bytes::new(key), vec![id], Default::default());
                self.items += 1;
            }
        }
    }

    /// Records a write under every BCAST prefix of `key`.
    fn remember_for_broadcast(&mut self, key: &[u8], by: u64) {
        for (prefix, state) in self.prefixes.iter_mut() {
            if key.starts_with(prefix) {
                state.keys.insert(key.to_vec(), by);
            }
        }
    }

    /// Drops a client's prefixes and its tracking state.
    fn disable(&mut self, id: u64) {
        let Some(state) = self.clients.remove(&id) else {
            return;
        };
        for prefix in &state.prefixes {
            if let Some(p) = self.prefixes.get_mut(prefix) {
                p.clients.retain(|&c| c != id);
                if p.clients.is_empty() {
                    self.prefixes.remove(prefix);
                }
            }
        }
    }
}

/// The encoded keys of an invalidation: an array of bulk strings.
fn keys_body(keys: impl ExactSizeIterator<Item = impl AsRef<[u8]>>) -> Vec<u8> {
    let mut out = ReplyBuf::new();
    out.array_len(keys.len());
    for k in keys {
        out.bulk(k.as_ref());
    }
    out.pending().to_vec()
}

/// The body of the invalidation a flush sends: the null of the tracking
/// client's protocol, whoever receives it, as Redis sends it.
fn null_body(resp3: bool) -> Vec<u8> {
    let mut out = ReplyBuf::new();
    out.set_resp3(resp3);
    out.null();
    out.pending().to_vec()
}

/// Writes a message in the form the receiver's protocol and pub/sub
/// state allow; a RESP2 client that is not a subscribing redirect target
/// gets nothing, as RESP2 has no out-of-band replies.
fn write_message(reply: &mut ReplyBuf, pubsub: bool, message: &Message) {
    match message {
        Message::Invalidate { body, redirected } => {
            if reply.is_resp3() {
                reply.push_len(2);
                reply.bulk(b"invalidate");
            } else if *redirected && pubsub {
                reply.array_len(3);
                reply.bulk(b"message");
                reply.bulk(INVALIDATE_CHANNEL);
            } else {
                return;
            }
            reply.raw(body);
        }
        Message::RedirectBroken(id) => {
            if reply.is_resp3() {
                reply.push_len(2);
                reply.bulk(b"tracking-redir-broken");
                reply.int(*id as i64);
            }
        }
    }
}

impl Server {
    /// `CLIENT TRACKING ON` with options checked: turns tracking on or
    /// changes its options, adding `prefixes` in BCAST mode (the empty
    /// prefix when BCAST comes with none).
    pub fn tracking_enable(
        &mut self,
        client: &Client,
        redirect: u64,
        options: Options,
        prefixes: &[&[u8]],
    ) {
        let t = &mut self.tracking;
        let state = t.clients.entry(client.id).or_insert_with(|| TrackedClient {
            token: client.token,
            redirect: 0,
            options: Options::default(),
            caching: false,
            broken_redirect: false,
            prefixes: BTreeSet::new(),
        });
        state.redirect = redirect;
        state.options = options;
        state.broken_redirect = false;
        if options.bcast {
            let added: Vec<&[u8]> = if prefixes.is_empty() {
                vec![&b""[..]]
            } else {
                prefixes.to_vec()
            };
            for p in added {
                if state.prefixes.insert(p.to_vec()) {
                    t.prefixes
                        .entry(p.to_vec())
                        .or_default()
                        .clients
                        .push(client.id);
                }
            }
        }
        self.sync_expired_events();
    }

    /// Records the token of a client another one redirects to.
    pub fn tracking_add_target(&mut self, id: u64, token: usize) {
        self.tracking.targets.insert(id, token);
    }

    /// Turns tracking off for a client (CLIENT TRACKING OFF, RESET,
    /// disconnection); its ids stay in the table until their keys change.
    pub fn tracking_disable(&mut self, client: &Client) {
        self.tracking.disable(client.id);
    }

    /// Forgets a disconnected client: its tracking, its messages, and its
    /// part as a redirect target.
    pub(crate) fn tracking_forget_client(&mut self, client: &Client) {
        self.tracking_disable(client);
        self.tracking.targets.remove(&client.id);
        self.tracking.detached.retain(|d| d.token != client.token);
    }

    /// `CLIENT CACHING YES|NO` accepted: applies to the next command.
    pub fn tracking_set_caching(&mut self, id: u64) {
        if let Some(c) = self.tracking.clients.get_mut(&id) {
            c.caching = true;
        }
    }

    /// Marks `client` as the one running a command, for NOLOOP and for
    /// where its messages go. Returns false when a call is already running
    /// (a nested call), which keeps the outer client.
    pub(crate) fn tracking_enter(&mut self, client: &Client) -> bool {
        if self.tracking.current.is_some() {
            return false;
        }
        self.tracking.current = Some(Current {
            id: client.id,
            resp3: client.reply.is_resp3(),
        });
        true
    }

    /// After a command of a tracking client: remembers the keys a
    /// read-only command read (Redis's `trackingRememberKeys`), as a
    /// `CLIENT CACHING` given for it says, and ends that.
    pub(crate) fn tracking_after_command(
        &mut self,
        client: &Client,
        spec: &crate::commands::CommandSpec,
        args: &crate::commands::Args,
    ) {
        use crate::commands::flags;
        // Redis 7.0 answers each read-only command a script runs by
        // remembering the keys of its caller's command (EVAL's declared
        // keys), not the keys the script read.
        if client.script {
            self.tracking.script_read |= spec.has(flags::READONLY);
            return;
        }
        let script_read = std::mem::take(&mut self.tracking.script_read);
        let Some(state) = self.tracking.clients.get_mut(&client.id) else {
            return;
        };
        let o = state.options;
        let caching = state.caching;
        self.tracking_end_caching(client, Some(spec));
        // A read-only script's keys count only once its commands read.
        let reads = match spec.name {
            "eval_ro" | "evalsha_ro" | "fcall_ro" => script_read,
            _ => script_read || spec.has(flags::READONLY),
        };
        if !reads
            || spec.has(flags::PUBSUB)
            || o.bcast
            || (o.optin && !caching)
            || (o.optout && caching)
        {
            return;
        }
        let Ok(keys) = crate::commands::introspection::keys_from_specs(spec, args) else {
            return;
        };
        let was_empty = self.tracking.table.is_empty();
        for (pos, _) in keys {
            self.tracking.remember(args.get(pos), client.id);
        }
        if was_empty && !self.tracking.table.is_empty() {
            self.sync_expired_events();
        }
    }

    /// A command ran or was refused (`spec` is `None` for an unknown
    /// one): a `CLIENT CACHING` given before it no longer applies, unless it
    /// was itself a `CLIENT` subcommand, as Redis keeps the flag across those.
    pub(crate) fn tracking_end_caching(
        &mut self,
        client: &Client,
        spec: Option<&crate::commands::CommandSpec>,
    ) {
        // Inside a transaction (queueing or running it) the flag holds for
        // every command of it, as Redis keeps it while CLIENT_MULTI is set.
        if spec.is_some_and(|s| s.name.starts_with("client|"))
            || client.multi.is_some()
            || client.in_exec
        {
            return;
        }
        if let Some(state) = self.tracking.clients.get_mut(&client.id) {
            state.caching = false;
        }
    }

    /// Ends the running client's call: its own invalidations follow its
    /// reply, then what waits for it goes out at `before` (messages raised
    /// while its command ran) and at the end (the deferred ones).
    pub(crate) fn tracking_leave(&mut self, client: &mut Client, before: usize) {
        self.tracking.current = None;
        self.deliver_tracking_detached(client, Some(before));
        if !self.tracking.pending_self.is_empty() {
            for body in std::mem::take(&mut self.tracking.pending_self) {
                self.send_tracking_message(client.id, body);
            }
            self.deliver_tracking_detached(client, None);
        }
    }

    /// Writes the messages that waited for `client` while it was out of
    /// its slot, at `at` (a mark before its reply) or at the end.
    pub(crate) fn deliver_tracking_detached(&mut self, client: &mut Client, at: Option<usize>) {
        if !self
            .tracking
            .detached
            .iter()
            .any(|d| d.token == client.token)
        {
            return;
        }
        let mut out = ReplyBuf::new();
        out.set_resp3(client.reply.is_resp3());
        let pubsub = client.pubsub;
        self.tracking.detached.retain(|d| {
            if d.token != client.token {
                return true;
            }
            write_message(&mut out, pubsub, &d.message);
            false
        });
        match at {
            Some(at) => client.reply.insert_at(at, out.pending()),
            None => client.reply.raw(out.pending()),
        }
    }

    /// A key was written (`by` the client that wrote it, 0 for none, as
    /// for expiry): the clients that read it are told, and BCAST prefixes
    /// collect it (Redis's `trackingInvalidateKey`).
    pub fn tracking_invalidate_key(&mut self, key: &[u8], by: u64) {
        if !self.tracking.is_active() {
            return;
        }
        if !self.tracking.prefixes.is_empty() {
            self.tracking.remember_for_broadcast(key, by);
        }
        self.tracking_drop_key(key, by);
    }

    /// Tells the clients that read `key` it changed and forgets it.
    fn tracking_drop_key(&mut self, key: &[u8], by: u64) {
        let Some((_, ids, _)) = self.tracking.table.remove(key) else {
            return;
        };
        self.tracking.items -= ids.len() as u64;
        let current = self.tracking.current.map(|c| c.id);
        let body = keys_body(std::iter::once(key));
        for id in ids {
            let Some(state) = self.tracking.clients.get(&id) else {
                continue;
            };
            if state.options.bcast || (state.options.noloop && id == by) {
                continue;
            }
            let body = body.clone();
            if current == Some(id) {
                self.tracking.pending_self.push(body);
            } else {
                self.send_tracking_message(id, body);
            }
        }
    }

    /// The id of the running client, 0 outside a command.
    pub(super) fn tracking_current_id(&self) -> u64 {
        self.tracking.current.map_or(0, |c| c.id)
    }

    /// FLUSHDB or FLUSHALL ran: every tracking client is told that every
    /// key is invalid (a null invalidation), and the table is emptied.
    pub fn tracking_invalidate_all(&mut self) {
        let current = self.tracking.current;
        let mut who: Vec<(u64, usize)> = self
            .tracking
            .clients
            .iter()
            .map(|(&id, c)| (id, c.token))
            .collect();
        who.sort_unstable();
        for (id, token) in who {
            let resp3 = match (current, self.clients.get(token)) {
                (Some(cur), _) if cur.id == id => cur.resp3,
                (_, Some(Some(c))) => c.reply.is_resp3(),
                _ => false,
            };
            let body = null_body(resp3);
            if current.is_some_and(|c| c.id == id) {
                self.tracking.pending_self.push(body);
            } else {
                self.send_tracking_message(id, body);
            }
        }
        self.tracking.table.clear();
        self.tracking.items = 0;
    }

    /// Sends an invalidation for tracking client `id` where its messages
    /// go (Redis's `sendTrackingMessage`).
    fn send_tracking_message(&mut self, id: u64, body: Vec<u8>) {
        let Some(state) = self.tracking.clients.get_mut(&id) else {
            return;
        };
        let own_token = state.token;
        if state.redirect == 0 {
            self.deliver_tracking(
                own_token,
                id,
                Message::Invalidate {
                    body,
                    redirected: false,
                },
            );
            return;
        }
        let redirect = state.redirect;
        match self.tracking.targets.get(&redirect) {
            Some(&token) => self.deliver_tracking(
                token,
                redirect,
                Message::Invalidate {
                    body,
                    redirected: true,
                },
            ),
            None => {
                state.broken_redirect = true;
                self.deliver_tracking(own_token, id, Message::RedirectBroken(redirect));
            }
        }
    }

    /// Writes a message to the client at `token` if it is in its slot,
    /// or keeps it until the client is back.
    fn deliver_tracking(&mut self, token: usize, id: u64, message: Message) {
        match self.clients.get_mut(token) {
            Some(Some(c)) if c.id == id => {
                if c.close_asap {
                    return;
                }
                write_message(&mut c.reply, c.pubsub, &message);
                enqueue_write(&mut self.pending_writes, c);
                if c.reply.overflow_len() > 0 {
                    self.tracking_check_limit(token);
                }
            }
            Some(None) => self.tracking.detached.push(Detached { token, message }),
            _ => {}
        }
    }

    /// Checks a client an invalidation grew past its reply buffer against
    /// its output limit, as Redis checks every reply it queues.
    fn tracking_check_limit(&mut self, token: usize) {
        let Some(mut client) = self.clients.get_mut(token).and_then(Option::take) else {
            return;
        };
        let closing = self.enforce_output_limit(&mut client);
        if let Some(slot) = self.clients.get_mut(token) {
            *slot = Some(client);
        }
        if closing {
            self.schedule_close(token);
        }
    }

    /// Before the loop sleeps: BCAST prefixes broadcast the keys written
    /// under them since the last time (Redis's
    /// `trackingBroadcastInvalidationMessages`).
    pub(crate) fn tracking_before_sleep(&mut self) {
        if !self.tracking.prefixes.is_empty() {
            self.tracking_broadcast();
        }
    }

    /// Evicts random keys while the table is over `tracking-table-max-keys`,
    /// telling their readers as if the keys changed (Redis's
    /// `trackingLimitUsedSlots`, run before each command of a server with
    /// tracking clients and from the timed sweep). Each run tries harder
    /// than the last that could not get under the limit.
    pub(crate) fn tracking_limit_keys(&mut self) {
        if self.tracking.clients.is_empty() {
            return;
        }
        let max = self.config.tracking_table_max_keys as usize;
        if max == 0 || self.tracking.table.len() <= max {
            self.tracking.eviction_runs = 0;
            return;
        }
        let mut effort = EVICTION_EFFORT * (self.tracking.eviction_runs + 1);
        while effort > 0 {
            effort -= 1;
            let state = &mut self.random_state;
            let Some(entry) = self.tracking.table.random(|| super::next_random(state)) else {
                break;
            };
            let key = self.tracking.table.key(entry).as_slice().to_vec();
            self.tracking_drop_key(&key, 0);
            if self.tracking.table.len() <= max {
                self.tracking.eviction_runs = 0;
                return;
            }
        }
        self.tracking.eviction_runs += 1;
    }

    fn tracking_broadcast(&mut self) {
        let mut sends: Vec<(u64, Vec<u8>)> = Vec::new();
        for state in self.tracking.prefixes.values_mut() {
            if state.keys.is_empty() {
                continue;
            }
            let all = keys_body(state.keys.keys());
            for &id in &state.clients {
                let noloop = self
                    .tracking
                    .clients
                    .get(&id)
                    .is_some_and(|c| c.options.noloop);
                if !noloop {
                    sends.push((id, all.clone()));
                    continue;
                }
                let others: Vec<&Vec<u8>> = state
                    .keys
                    .iter()
                    .filter(|&(_, &by)| by != id)
                    .map(|(k, _)| k)
                    .collect();
                if !others.is_empty() {
                    sends.push((id, keys_body(others.into_iter())));
                }
            }
            state.keys.clear();
        }
        for (id, body) in sends {
            self.send_tracking_message(id, body);
        }
    }

    /// `CLIENT LIST` flag letters for tracking: `t`, then `R` for a
    /// broken redirect and `B` for BCAST mode.
    pub fn tracking_flags(&self, id: u64) -> &'static str {
        match self.tracking.clients.get(&id) {
            None => "",
            Some(c) => match (c.broken_redirect, c.options.bcast) {
                (false, false) => "t",
                (true, false) => "tR",
                (false, true) => "tB",
                (true, true) => "tRB",
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_collisions_name_both_prefixes() {
        let mut t = Tracking::default();
        assert_eq!(
            t.prefix_collision(1, &[b"a", b"ab"]).as_deref(),
            Some("ERR Prefix 'a' overlaps with another provided prefix 'ab'. Prefixes for a single client must not overlap.")
        );
        assert!(t.prefix_collision(1, &[b"a", b"b"]).is_none());
        t.clients.insert(
            1,
            TrackedClient {
                token: 0,
                redirect: 0,
                options: Options::default(),
                caching: false,
                broken_redirect: false,
                prefixes: [b"ab".to_vec()].into_iter().collect(),
            },
        );
        assert_eq!(
            t.prefix_collision(1, &[b"c", b"a"]).as_deref(),
            Some("ERR Prefix 'a' overlaps with an existing prefix 'ab'. Prefixes for a single client must not overlap.")
        );
    }

    #[test]
    fn items_count_each_reader_once() {
        let mut t = Tracking::default();
        t.remember(b"k", 1);
        t.remember(b"k", 1);
        t.remember(b"k", 2);
        t.remember(b"j", 2);
        assert_eq!((t.key_count(), t.item_count()), (2, 3));
    }

    /// The three forms Redis 7.0.15 sends, byte for byte.
    #[test]
    fn message_forms() {
        let invalidate = |redirected| Message::Invalidate {
            body: keys_body([b"k"].iter()),
            redirected,
        };
        let mut r = ReplyBuf::new();
        r.set_resp3(true);
        write_message(&mut r, false, &invalidate(false));
        write_message(&mut r, false, &Message::RedirectBroken(7));
        assert_eq!(
            r.pending(),
            &b">2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nk\r\n\
               >2\r\n$21\r\ntracking-redir-broken\r\n:7\r\n"[..]
        );
        let mut r = ReplyBuf::new();
        write_message(&mut r, true, &invalidate(false));
        write_message(&mut r, false, &invalidate(true));
        write_message(&mut r, false, &Message::RedirectBroken(7));
        assert!(
            r.pending().is_empty(),
            "RESP2 without a subscription: nothing"
        );
        write_message(&mut r, true, &invalidate(true));
        assert_eq!(
            r.pending(),
            b"*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$1\r\nk\r\n"
        );
    }

    #[test]
    fn bodies() {
        assert_eq!(keys_body([b"ab"].iter()), b"*1\r\n$2\r\nab\r\n");
        assert_eq!(null_body(false), b"$-1\r\n");
        assert_eq!(null_body(true), b"_\r\n");
    }
}
