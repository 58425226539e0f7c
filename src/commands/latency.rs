//! `LATENCY LATEST|HISTORY|GRAPH|RESET|HISTOGRAM|HELP`: the latency
//! monitor's events (`server/latency_monitor.rs`) and the per-command
//! histograms that `INFO latencystats` also reads; `DOCTOR` is in
//! `latency_doctor.rs`.

use super::{reply_help, Args, CmdError, CmdResult, CommandId};
use crate::server::client::Client;
use crate::server::latency::Histogram;
use crate::server::sparkline::{self, Sample};
use crate::server::Server;

const HELP: &[&str] = &[
    "DOCTOR",
    "    Return a human readable latency analysis report.",
    "GRAPH <event>",
    "    Return an ASCII latency graph for the <event> class.",
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

/// Width of `LATENCY GRAPH` (`LATENCY_GRAPH_COLS`).
const GRAPH_COLUMNS: usize = 80;
/// Height of `LATENCY GRAPH`, in rows of three steps.
const GRAPH_ROWS: usize = 4;

/// `LATENCY GRAPH event`: its samples as a sparkline, each labelled with
/// how long ago it was taken.
pub fn graph(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let event = args.get(2);
    let Some((name, series)) = srv
        .latency_monitor
        .events
        .iter()
        .find(|(e, _)| e.as_bytes() == event)
    else {
        return Err(CmdError::Message(
            format!(
                "ERR No samples available for event '{}'",
                String::from_utf8_lossy(event)
            )
            .into(),
        ));
    };
    let now = srv.clock.now_ms / 1000;
    let samples: Vec<Sample> = series
        .samples
        .iter()
        .map(|s| {
            let ago = now.saturating_sub(s.time);
            let label = match ago {
                0..=59 => format!("{ago}s"),
                60..=3599 => format!("{}m", ago / 60),
                3600..=86399 => format!("{}h", ago / 3600),
                _ => format!("{}d", ago / 86400),
            };
            Sample {
                value: s.latency_ms as f64,
                label,
            }
        })
        .collect();
    let (low, high) = series.samples.iter().fold((u64::MAX, 0), |(lo, hi), s| {
        (lo.min(s.latency_ms), hi.max(s.latency_ms))
    });
    let mut text = format!(
        "{name} - high {high} ms, low {} ms (all time high {} ms)\n{}\n",
        if samples.is_empty() { 0 } else { low },
        series.max_ms,
        "-".repeat(GRAPH_COLUMNS)
    );
    text.push_str(&sparkline::render(&samples, GRAPH_COLUMNS, GRAPH_ROWS));
    c.reply.verbatim(text.as_bytes());
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
