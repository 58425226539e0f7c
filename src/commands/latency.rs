//! `LATENCY LATEST|HISTORY|RESET|HISTOGRAM|HELP`: the latency monitor's
//! events (`server/latency_monitor.rs`) and the per-command histograms
//! that `INFO latencystats` also reads.

use super::{reply_help, Args, CmdResult, CommandId};
use crate::server::client::Client;
use crate::server::latency::Histogram;
use crate::server::Server;

const HELP: &[&str] = &[
    "HISTORY <event>",
    "    Return time-latency samples for the <event> class.",
    "LATEST",
    "    Return the latest latency samples for all events.",
    "RESET [<event> ...]",
    "    Reset latency data of one or more <event> classes.",
    "    (default: reset all data for all event classes)",
    "HISTOGRAM [COMMAND ...]",
    "    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
    "    If no commands are specified then all histograms are replied.",
];

/// `LATENCY HELP`
pub fn help(_srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    reply_help(c, args, HELP);
    Ok(())
}

/// `LATENCY LATEST`: per event, its last sample and its worst.
pub fn latest(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    let events = &srv.latency_monitor.events;
    c.reply.array_len(events.len());
    for (name, series) in events {
        let last = series.samples.back().copied().unwrap_or_default();
        c.reply.array_len(4);
        c.reply.bulk(name.as_bytes());
        c.reply.int(last.time as i64);
        c.reply.int(last.latency_ms as i64);
        c.reply.int(series.max_ms as i64);
    }
    Ok(())
}

/// `LATENCY HISTORY event`: its samples, oldest first.
pub fn history(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let Some(series) = srv.latency_monitor.series(args.get(2)) else {
        c.reply.array_len(0);
        return Ok(());
    };
    c.reply.array_len(series.samples.len());
    for s in &series.samples {
        c.reply.array_len(2);
        c.reply.int(s.time as i64);
        c.reply.int(s.latency_ms as i64);
    }
    Ok(())
}

/// `LATENCY RESET [event ...]`: how many events were forgotten.
pub fn reset(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let names: Vec<&[u8]> = args.iter().skip(2).collect();
    let reset = srv
        .latency_monitor
        .reset((!names.is_empty()).then_some(&names[..]));
    c.reply.int(reset as i64);
    Ok(())
}

/// `LATENCY HISTOGRAM [command ...]`: per command with calls, its call
/// count and cumulative buckets; a container stands for its subcommands,
/// unknown names are skipped.
pub fn histogram(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let mut ids: Vec<CommandId> = Vec::new();
    if args.len() == 2 {
        let all = &srv.commands.all;
        ids.extend((0..all.len()).filter(|&id| {
            srv.commands
                .reachable_all()
                .any(|s| std::ptr::eq(s, all[id]))
        }));
    } else {
        for name in args.iter().skip(2) {
            let Some(id) = srv.commands.find_full(name) else {
                continue;
            };
            ids.push(id);
            let subs = srv.commands.all[id].subcommands.len();
            ids.extend(id + 1..=id + subs);
        }
    }
    ids.retain(|&id| !srv.stats.latency[id].is_empty());
    c.reply.map_len(ids.len());
    for id in ids {
        c.reply.bulk(srv.commands.all[id].name.as_bytes());
        reply_cdf(c, &srv.stats.latency[id]);
    }
    Ok(())
}

fn reply_cdf(c: &mut Client, h: &Histogram) {
    c.reply.map_len(2);
    c.reply.bulk(b"calls");
    c.reply.int(h.total() as i64);
    c.reply.bulk(b"histogram_usec");
    let buckets = h.cumulative_usec();
    c.reply.map_len(buckets.len());
    for (usec, count) in buckets {
        c.reply.int(usec as i64);
        c.reply.int(count as i64);
    }
}
