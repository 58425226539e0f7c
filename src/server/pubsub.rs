//! Pub/sub state and delivery, in the spirit of Redis's `pubsub.c`.
//!
//! Subscriptions live here, keyed by client id, not in the clients
//! themselves: a PUBLISH (or a keyspace event raised by any write) must
//! reach every subscriber, including the client running the command, which
//! is out of its slab slot at that moment. Channels map to their
//! subscribers in the order they subscribed, which is the order Redis
//! delivers in; patterns are kept in the order they were first subscribed.
//! A message is written straight into each subscriber's reply buffer and
//! the subscriber queued for writing; one addressed to a client that is out
//! of its slot waits in `detached` until that client's command ends, when
//! it is put before the command's reply, where Redis would have written it.
//! The client itself only carries the `pubsub` flag (Redis's
//! `CLIENT_PUBSUB`), so dispatch checks it without a lookup.

use ahash::AHashMap;

use super::client::Client;
use super::Server;
use crate::protocol::reply::ReplyBuf;
use crate::storage::glob::glob_match;

/// The three kinds of subscription a client can hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Channel,
    Pattern,
    Shard,
}

impl Kind {
    /// The first element of subscribe confirmations.
    pub fn subscribe_verb(self) -> &'static [u8] {
        match self {
            Kind::Channel => b"subscribe",
            Kind::Pattern => b"psubscribe",
            Kind::Shard => b"ssubscribe",
        }
    }

    /// The first element of unsubscribe confirmations.
    pub fn unsubscribe_verb(self) -> &'static [u8] {
        match self {
            Kind::Channel => b"unsubscribe",
            Kind::Pattern => b"punsubscribe",
            Kind::Shard => b"sunsubscribe",
        }
    }
}

/// A subscriber as the channel tables list it: its id and its slab token.
type Subscriber = (u64, usize);

/// What one client is subscribed to. Each name maps to a sequence number,
/// so "unsubscribe from everything" goes in subscription order.
#[derive(Debug, Default)]
struct Subscriptions {
    channels: AHashMap<Vec<u8>, u64>,
    patterns: AHashMap<Vec<u8>, u64>,
    shard: AHashMap<Vec<u8>, u64>,
    next_seq: u64,
}

impl Subscriptions {
    fn of(&mut self, kind: Kind) -> &mut AHashMap<Vec<u8>, u64> {
        match kind {
            Kind::Channel => &mut self.channels,
            Kind::Pattern => &mut self.patterns,
            Kind::Shard => &mut self.shard,
        }
    }

    fn total(&self) -> usize {
        self.channels.len() + self.patterns.len() + self.shard.len()
    }
}

/// A message for a client that was out of its slot when it was published.
#[derive(Debug)]
struct Detached {
    token: usize,
    pattern: Option<Vec<u8>>,
    shard: bool,
    channel: Vec<u8>,
    message: Vec<u8>,
}

/// Every subscription on the server.
#[derive(Debug, Default)]
pub struct PubSub {
    channels: AHashMap<Vec<u8>, Vec<Subscriber>>,
    shard_channels: AHashMap<Vec<u8>, Vec<Subscriber>>,
    /// Patterns with their subscribers, in order of first subscription.
    patterns: Vec<(Vec<u8>, Vec<Subscriber>)>,
    clients: AHashMap<u64, Subscriptions>,
    detached: Vec<Detached>,
    /// Subscribers a publish reached whose output outgrew their reply buffer,
    /// to check against their limit; kept to reuse its allocation.
    grown: Vec<usize>,
    /// Where keyspace events build their channel names, kept for the same reason.
    pub(super) event_channel: Vec<u8>,
}

impl PubSub {
    /// Whether messages wait for clients that were out of their slot.
    pub fn has_detached(&self) -> bool {
        !self.detached.is_empty()
    }

    /// Active channels (`pubsub_channels`).
    pub fn channel_count(&self) -> usize {
        self.channels.len()
    }

    /// Distinct subscribed patterns (`pubsub_patterns`, `PUBSUB NUMPAT`).
    pub fn pattern_count(&self) -> usize {
        self.patterns.len()
    }

    /// Active shard channels (`pubsubshard_channels`).
    pub fn shard_channel_count(&self) -> usize {
        self.shard_channels.len()
    }

    /// A client's (channels, patterns, shard channels) counts, for `CLIENT LIST`.
    pub fn counts(&self, id: u64) -> (usize, usize, usize) {
        self.clients.get(&id).map_or((0, 0, 0), |s| {
            (s.channels.len(), s.patterns.len(), s.shard.len())
        })
    }

    /// The count subscribe and unsubscribe replies carry: channels and
    /// patterns together, or shard channels alone.
    pub fn reply_count(&self, id: u64, kind: Kind) -> usize {
        let (channels, patterns, shard) = self.counts(id);
        match kind {
            Kind::Shard => shard,
            _ => channels + patterns,
        }
    }

    /// Subscribers of a channel (`PUBSUB NUMSUB`/`SHARDNUMSUB`).
    pub fn subscribers(&self, shard: bool, channel: &[u8]) -> usize {
        let table = if shard {
            &self.shard_channels
        } else {
            &self.channels
        };
        table.get(channel).map_or(0, Vec::len)
    }

    /// Active channels matching `pattern` (all without one).
    pub fn active_channels(&self, shard: bool, pattern: Option<&[u8]>) -> Vec<&[u8]> {
        let table = if shard {
            &self.shard_channels
        } else {
            &self.channels
        };
        table
            .keys()
            .filter(|c| pattern.is_none_or(|p| glob_match(p, c, false)))
            .map(Vec::as_slice)
            .collect()
    }

    /// Subscribes a client, unless it already is.
    pub fn subscribe(&mut self, client: &Client, kind: Kind, name: &[u8]) {
        let subs = self.clients.entry(client.id).or_default();
        if subs.of(kind).contains_key(name) {
            return;
        }
        let seq = subs.next_seq;
        subs.next_seq += 1;
        subs.of(kind).insert(name.to_vec(), seq);
        let who = (client.id, client.token);
        match kind {
            Kind::Channel => self.channels.entry(name.to_vec()).or_default().push(who),
            Kind::Shard => self
                .shard_channels
                .entry(name.to_vec())
                .or_default()
                .push(who),
            Kind::Pattern => match self.patterns.iter_mut().find(|(p, _)| p == name) {
                Some((_, list)) => list.push(who),
                None => self.patterns.push((name.to_vec(), vec![who])),
            },
        }
    }

    /// Unsubscribes a client, if it is subscribed.
    pub fn unsubscribe(&mut self, id: u64, kind: Kind, name: &[u8]) {
        let Some(subs) = self.clients.get_mut(&id) else {
            return;
        };
        if subs.of(kind).remove(name).is_none() {
            return;
        }
        if subs.total() == 0 {
            self.clients.remove(&id);
        }
        self.remove_subscriber(id, kind, name);
    }

    /// Takes a client out of one channel's or pattern's subscriber list,
    /// dropping the channel or pattern with its last subscriber.
    fn remove_subscriber(&mut self, id: u64, kind: Kind, name: &[u8]) {
        let drop_from = |list: &mut Vec<Subscriber>| {
            if let Some(i) = list.iter().position(|&(c, _)| c == id) {
                list.remove(i);
            }
            list.is_empty()
        };
        match kind {
            Kind::Channel => remove_from(&mut self.channels, name, drop_from),
            Kind::Shard => remove_from(&mut self.shard_channels, name, drop_from),
            Kind::Pattern => {
                if let Some(i) = self.patterns.iter().position(|(p, _)| p == name) {
                    if drop_from(&mut self.patterns[i].1) {
                        self.patterns.remove(i);
                    }
                }
            }
        }
    }

    /// A client's subscriptions of one kind, in the order it made them.
    pub fn subscribed(&self, id: u64, kind: Kind) -> Vec<Vec<u8>> {
        let Some(subs) = self.clients.get(&id) else {
            return Vec::new();
        };
        let table = match kind {
            Kind::Channel => &subs.channels,
            Kind::Pattern => &subs.patterns,
            Kind::Shard => &subs.shard,
        };
        let mut names: Vec<(&Vec<u8>, u64)> = table.iter().map(|(n, &s)| (n, s)).collect();
        names.sort_unstable_by_key(|&(_, s)| s);
        names.into_iter().map(|(n, _)| n.clone()).collect()
    }
}

fn remove_from(
    table: &mut AHashMap<Vec<u8>, Vec<Subscriber>>,
    name: &[u8],
    drop_from: impl Fn(&mut Vec<Subscriber>) -> bool,
) {
    if let Some(list) = table.get_mut(name) {
        if drop_from(list) {
            table.remove(name);
        }
    }
}

/// Writes one published message: `message`/`smessage` with channel and
/// payload, or `pmessage` with the pattern first; a push in RESP3.
pub fn write_message(
    reply: &mut ReplyBuf,
    pattern: Option<&[u8]>,
    shard: bool,
    channel: &[u8],
    message: &[u8],
) {
    match pattern {
        Some(p) => {
            reply.push_len(4);
            reply.bulk(b"pmessage");
            reply.bulk(p);
        }
        None => {
            reply.push_len(3);
            reply.bulk(if shard { b"smessage" } else { b"message" });
        }
    }
    reply.bulk(channel);
    reply.bulk(message);
}

impl Server {
    /// Publishes `message` to `channel` (a shard channel if `shard`) and
    /// returns how many subscriptions received it (Redis's
    /// `pubsubPublishMessage`): subscribers of the channel first, then
    /// those of each matching pattern.
    pub fn publish(&mut self, shard: bool, channel: &[u8], message: &[u8]) -> usize {
        let PubSub {
            channels,
            shard_channels,
            patterns,
            detached,
            grown,
            ..
        } = &mut self.pubsub;
        let clients = &mut self.clients;
        let pending = &mut self.pending_writes;
        let mut receivers = 0;
        let table = if shard { shard_channels } else { channels };
        if let Some(list) = table.get(channel) {
            for &(_, token) in list {
                receivers += 1;
                match clients.get_mut(token) {
                    Some(Some(c)) => {
                        if deliver(c, pending, None, shard, channel, message) {
                            grown.push(token);
                        }
                    }
                    _ => detached.push(Detached {
                        token,
                        pattern: None,
                        shard,
                        channel: channel.to_vec(),
                        message: message.to_vec(),
                    }),
                }
            }
        }
        if !shard {
            for (pattern, list) in patterns.iter() {
                if !glob_match(pattern, channel, false) {
                    continue;
                }
                for &(_, token) in list {
                    receivers += 1;
                    match clients.get_mut(token) {
                        Some(Some(c)) => {
                            if deliver(c, pending, Some(pattern), false, channel, message) {
                                grown.push(token);
                            }
                        }
                        _ => detached.push(Detached {
                            token,
                            pattern: Some(pattern.clone()),
                            shard: false,
                            channel: channel.to_vec(),
                            message: message.to_vec(),
                        }),
                    }
                }
            }
        }
        if !self.pubsub.grown.is_empty() {
            self.enforce_limits_of_grown();
        }
        receivers
    }

    /// Checks the subscribers a publish grew past their reply buffers against
    /// their output limit, as Redis checks on every reply it queues.
    fn enforce_limits_of_grown(&mut self) {
        let mut grown = std::mem::take(&mut self.pubsub.grown);
        for &token in &grown {
            let Some(mut client) = self.clients.get_mut(token).and_then(Option::take) else {
                continue;
            };
            let closing = self.enforce_output_limit(&mut client);
            if let Some(slot) = self.clients.get_mut(token) {
                *slot = Some(client);
            }
            if closing {
                self.schedule_close(token);
            }
        }
        grown.clear();
        self.pubsub.grown = grown;
    }

    /// Writes the messages published to `client` while it was out of its
    /// slot, at `at` in its output (before the reply of the command that
    /// raised them).
    pub(crate) fn deliver_detached(&mut self, client: &mut Client, at: usize) {
        if !self.pubsub.detached.iter().any(|d| d.token == client.token) {
            return;
        }
        let mut out = ReplyBuf::new();
        out.set_resp3(client.reply.is_resp3());
        self.pubsub.detached.retain(|d| {
            if d.token != client.token {
                return true;
            }
            write_message(
                &mut out,
                d.pattern.as_deref(),
                d.shard,
                &d.channel,
                &d.message,
            );
            false
        });
        client.reply.insert_at(at, out.pending());
    }

    /// Subscribes `client`, keeping its `pubsub` flag true.
    pub fn pubsub_subscribe(&mut self, client: &mut Client, kind: Kind, name: &[u8]) {
        self.pubsub.subscribe(client, kind, name);
        client.pubsub = true;
    }

    /// Unsubscribes `client` from one name; the flag goes with its last
    /// subscription of any kind.
    pub fn pubsub_unsubscribe(&mut self, client: &mut Client, kind: Kind, name: &[u8]) {
        self.pubsub.unsubscribe(client.id, kind, name);
        client.pubsub = self.pubsub.clients.contains_key(&client.id);
    }

    /// Drops every subscription of a client, without telling it (for
    /// disconnection, and for RESET).
    pub fn pubsub_drop_client(&mut self, client: &mut Client) {
        if let Some(subs) = self.pubsub.clients.remove(&client.id) {
            for (kind, names) in [
                (Kind::Channel, subs.channels),
                (Kind::Pattern, subs.patterns),
                (Kind::Shard, subs.shard),
            ] {
                for name in names.keys() {
                    self.pubsub.remove_subscriber(client.id, kind, name);
                }
            }
        }
        self.pubsub.detached.retain(|d| d.token != client.token);
        client.pubsub = false;
    }
}

/// Writes one message to a subscriber that is in its slot and queues its
/// output. Returns true when its output is past its reply buffer and must
/// be checked against its limit. A client being closed gets nothing more.
fn deliver(
    c: &mut Client,
    pending: &mut Vec<usize>,
    pattern: Option<&[u8]>,
    shard: bool,
    channel: &[u8],
    message: &[u8],
) -> bool {
    if c.close_asap {
        return false;
    }
    write_message(&mut c.reply, pattern, shard, channel, message);
    super::event_loop::enqueue_write(pending, c);
    c.reply.overflow_len() > 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::client::Stream;

    fn client(id: u64) -> Client {
        Client::new(
            id,
            id as usize,
            Stream::Fake,
            String::new(),
            String::new(),
            0,
        )
    }

    #[test]
    fn counts_follow_subscriptions() {
        let (a, b) = (client(1), client(2));
        let mut ps = PubSub::default();
        ps.subscribe(&a, Kind::Channel, b"ch");
        ps.subscribe(&a, Kind::Channel, b"ch");
        ps.subscribe(&b, Kind::Channel, b"ch");
        ps.subscribe(&a, Kind::Pattern, b"c*");
        ps.subscribe(&b, Kind::Pattern, b"c*");
        ps.subscribe(&b, Kind::Shard, b"ch");
        assert_eq!(ps.counts(1), (1, 1, 0));
        assert_eq!(ps.reply_count(2, Kind::Channel), 2);
        assert_eq!(ps.reply_count(2, Kind::Shard), 1);
        assert_eq!(ps.subscribers(false, b"ch"), 2);
        assert_eq!(ps.subscribers(true, b"ch"), 1);
        assert_eq!(ps.pattern_count(), 1, "a pattern counts once");
        ps.unsubscribe(1, Kind::Pattern, b"c*");
        assert_eq!(ps.pattern_count(), 1);
        ps.unsubscribe(2, Kind::Pattern, b"c*");
        assert_eq!(ps.pattern_count(), 0);
        ps.unsubscribe(1, Kind::Channel, b"nope");
        ps.unsubscribe(1, Kind::Channel, b"ch");
        assert_eq!(ps.counts(1), (0, 0, 0));
        assert!(
            !ps.clients.contains_key(&1),
            "nothing is kept for a client with none"
        );
        assert_eq!(ps.channel_count(), 1);
    }

    #[test]
    fn subscriptions_are_listed_in_the_order_made() {
        let a = client(1);
        let mut ps = PubSub::default();
        for name in [&b"z"[..], b"a", b"m", b"a"] {
            ps.subscribe(&a, Kind::Channel, name);
        }
        assert_eq!(
            ps.subscribed(1, Kind::Channel),
            [b"z".to_vec(), b"a".to_vec(), b"m".to_vec()]
        );
        let mut active = ps.active_channels(false, Some(b"[am]"));
        active.sort();
        assert_eq!(active, [&b"a"[..], b"m"]);
    }

    #[test]
    fn messages_in_both_protocols() {
        let mut r = ReplyBuf::new();
        write_message(&mut r, None, false, b"ch", b"hi");
        write_message(&mut r, Some(b"c*"), false, b"ch", b"");
        write_message(&mut r, None, true, b"s", b"x");
        assert_eq!(
            r.pending(),
            &b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n\
               *4\r\n$8\r\npmessage\r\n$2\r\nc*\r\n$2\r\nch\r\n$0\r\n\r\n\
               *3\r\n$8\r\nsmessage\r\n$1\r\ns\r\n$1\r\nx\r\n"[..]
        );
        let mut r = ReplyBuf::new();
        r.set_resp3(true);
        write_message(&mut r, None, false, b"ch", b"hi");
        assert_eq!(
            r.pending(),
            b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"
        );
    }
}
