//! Pub/sub commands: (P|S)SUBSCRIBE, (P|S)UNSUBSCRIBE, PUBLISH, SPUBLISH
//! and PUBSUB's introspection, in the spirit of Redis's `pubsub.c`. The
//! subscription tables and delivery are in `server/pubsub.rs`; Redis's
//! cluster-only rules for shard channels do not apply to a lone server,
//! where shard channels are one more channel namespace.

use super::{reply_help, subcommand_syntax, Args, CmdResult, CommandSpec};
use crate::server::client::Client;
use crate::server::pubsub::Kind;
use crate::server::Server;

/// What a RESP2 client holding subscriptions may still run (QUIT is
/// answered before any check).
pub fn allowed_in_resp2_context(spec: &CommandSpec) -> bool {
    matches!(
        spec.name,
        "ping"
            | "subscribe"
            | "ssubscribe"
            | "unsubscribe"
            | "sunsubscribe"
            | "psubscribe"
            | "punsubscribe"
            | "quit"
            | "reset"
    )
}

/// Whether a command answers with subscription confirmations, which are
/// pushes: sent even to a client that turned its replies off.
pub fn confirms_with_pushes(spec: &CommandSpec) -> bool {
    matches!(
        spec.name,
        "subscribe" | "ssubscribe" | "psubscribe" | "unsubscribe" | "sunsubscribe" | "punsubscribe"
    )
}

/// One subscribe or unsubscribe confirmation: verb, name (nil when
/// unsubscribing from nothing), and the count the kind reports.
fn confirm(srv: &Server, c: &mut Client, verb: &[u8], kind: Kind, name: Option<&[u8]>) {
    c.reply.push_len(3);
    c.reply.bulk(verb);
    match name {
        Some(n) => c.reply.bulk(n),
        None => c.reply.null(),
    }
    c.reply.int(srv.pubsub.reply_count(c.id, kind) as i64);
}

fn subscribe_to(srv: &mut Server, c: &mut Client, args: &Args, kind: Kind) -> CmdResult {
    for name in args.iter().skip(1) {
        srv.pubsub_subscribe(c, kind, name);
        confirm(srv, c, kind.subscribe_verb(), kind, Some(name));
    }
    Ok(())
}

fn unsubscribe_from(srv: &mut Server, c: &mut Client, args: &Args, kind: Kind) -> CmdResult {
    let verb = kind.unsubscribe_verb();
    if args.len() > 1 {
        for name in args.iter().skip(1) {
            srv.pubsub_unsubscribe(c, kind, name);
            confirm(srv, c, verb, kind, Some(name));
        }
        return Ok(());
    }
    let names = srv.pubsub.subscribed(c.id, kind);
    if names.is_empty() {
        confirm(srv, c, verb, kind, None);
    }
    for name in names {
        srv.pubsub_unsubscribe(c, kind, &name);
        confirm(srv, c, verb, kind, Some(&name));
    }
    Ok(())
}

/// `SUBSCRIBE channel [channel ...]`
pub fn subscribe(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    subscribe_to(srv, c, args, Kind::Channel)
}

/// `PSUBSCRIBE pattern [pattern ...]`
pub fn psubscribe(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    subscribe_to(srv, c, args, Kind::Pattern)
}

/// `SSUBSCRIBE shardchannel [shardchannel ...]`
pub fn ssubscribe(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    subscribe_to(srv, c, args, Kind::Shard)
}

/// `UNSUBSCRIBE [channel ...]`
pub fn unsubscribe(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    unsubscribe_from(srv, c, args, Kind::Channel)
}

/// `PUNSUBSCRIBE [pattern ...]`
pub fn punsubscribe(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    unsubscribe_from(srv, c, args, Kind::Pattern)
}

/// `SUNSUBSCRIBE [shardchannel ...]`
pub fn sunsubscribe(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    unsubscribe_from(srv, c, args, Kind::Shard)
}

/// `PUBLISH channel message`
pub fn publish(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let receivers = srv.publish(false, args.get(1), args.get(2));
    c.reply.int(receivers as i64);
    Ok(())
}

/// `SPUBLISH shardchannel message`
pub fn spublish(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let receivers = srv.publish(true, args.get(1), args.get(2));
    c.reply.int(receivers as i64);
    Ok(())
}

const HELP: &[&str] = &[
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
];

/// `PUBSUB HELP`
pub fn help(_srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    reply_help(c, args, HELP);
    Ok(())
}

fn list_channels(srv: &Server, c: &mut Client, args: &Args, shard: bool) -> CmdResult {
    if args.len() > 3 {
        return Err(subcommand_syntax(args));
    }
    let pattern = (args.len() == 3).then(|| args.get(2));
    let names = srv.pubsub.active_channels(shard, pattern);
    c.reply.array_len(names.len());
    for name in names {
        c.reply.bulk(name);
    }
    Ok(())
}

fn count_subscribers(srv: &Server, c: &mut Client, args: &Args, shard: bool) {
    c.reply.array_len((args.len() - 2) * 2);
    for name in args.iter().skip(2) {
        c.reply.bulk(name);
        c.reply.int(srv.pubsub.subscribers(shard, name) as i64);
    }
}

/// `PUBSUB CHANNELS [pattern]`
pub fn channels(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    list_channels(srv, c, args, false)
}

/// `PUBSUB SHARDCHANNELS [pattern]`
pub fn shardchannels(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    list_channels(srv, c, args, true)
}

/// `PUBSUB NUMSUB [channel ...]`
pub fn numsub(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    count_subscribers(srv, c, args, false);
    Ok(())
}

/// `PUBSUB SHARDNUMSUB [shardchannel ...]`
pub fn shardnumsub(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    count_subscribers(srv, c, args, true);
    Ok(())
}

/// `PUBSUB NUMPAT`
pub fn numpat(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    c.reply.int(srv.pubsub.pattern_count() as i64);
    Ok(())
}
