//! LATENCY against real Redis: events past `latency-monitor-threshold`
//! (DEBUG SLEEP makes a slow command), their history and reset, and the
//! per-command histograms. Clocks are masked: what is compared is which
//! events and commands appear, how many samples and calls, and that the
//! latencies reported are past the threshold.

use crate::util::*;

/// Per event: its name and whether latest and worst passed 100 ms.
fn events(r: &Reply) -> String {
    r.items()
        .iter()
        .map(|e| match e.items() {
            [name, _time, Reply::Int(latest), Reply::Int(max)] => {
                format!("{} {} {}", name.text(), *latest >= 100, *max >= 100)
            }
            other => format!("{other:?}"),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Samples: how many, and whether each passed 100 ms.
fn samples(r: &Reply) -> String {
    let shown: Vec<bool> = r
        .items()
        .iter()
        .map(|s| {
            s.items()
                .get(1)
                .and_then(Reply::int)
                .is_some_and(|ms| ms >= 100)
        })
        .collect();
    format!("{shown:?}")
}

/// Per command: its name and calls; the buckets depend on the clock.
fn histograms(r: &Reply) -> String {
    let items = r.items();
    let mut out: Vec<String> = items
        .chunks(2)
        .map(|pair| match pair {
            [name, stats] => {
                let calls = stats.items().get(1).and_then(Reply::int);
                format!("{} {calls:?}", name.text())
            }
            other => format!("{other:?}"),
        })
        .collect();
    out.sort();
    out.join(",")
}

#[test]
fn events_past_the_threshold() {
    let mut pair = Pair::start_with(&["--enable-debug-command", "yes"]);
    pair.scenario("latency monitor", |srv, t| {
        let mut c = srv.conn();
        t.call(&mut c, &["DEBUG", "SLEEP", "0.15"]);
        t.call(&mut c, &["LATENCY", "LATEST"]);
        t.call(
            &mut c,
            &["CONFIG", "SET", "latency-monitor-threshold", "100"],
        );
        t.call(&mut c, &["DEBUG", "SLEEP", "0.01"]);
        t.call(&mut c, &["LATENCY", "LATEST"]);
        t.call(&mut c, &["DEBUG", "SLEEP", "0.15"]);
        t.call_masked(&mut c, Mask::Custom(events), &["LATENCY", "LATEST"]);
        t.call_masked(
            &mut c,
            Mask::Custom(samples),
            &["LATENCY", "HISTORY", "command"],
        );
        t.call(&mut c, &["LATENCY", "HISTORY", "nosuch"]);
        t.call(&mut c, &["LATENCY", "RESET", "nosuch"]);
        t.call(&mut c, &["LATENCY", "RESET", "command", "command"]);
        t.call(&mut c, &["LATENCY", "LATEST"]);
        t.call(&mut c, &["DEBUG", "SLEEP", "0.15"]);
        t.call(&mut c, &["LATENCY", "RESET"]);
        t.call(&mut c, &["LATENCY", "HISTORY"]);
        t.call(&mut c, &["LATENCY", "NOSUCH"]);
        t.call(&mut c, &["LATENCY", "LATEST", "x"]);
    });
}

#[test]
fn histograms_per_command() {
    let mut pair = Pair::start();
    pair.scenario("latency histogram", |srv, t| {
        let mut c = srv.conn();
        t.call(&mut c, &["CONFIG", "RESETSTAT"]);
        t.call(&mut c, &["SET", "a", "1"]);
        for _ in 0..3 {
            t.call(&mut c, &["GET", "a"]);
        }
        // Ids differ between the servers.
        t.call_masked(&mut c, Mask::Type, &["CLIENT", "ID"]);
        t.call_masked(
            &mut c,
            Mask::Custom(histograms),
            &[
                "LATENCY",
                "HISTOGRAM",
                "set",
                "GET",
                "client",
                "nosuch",
                "lpush",
            ],
        );
        t.call_masked(&mut c, Mask::Custom(histograms), &["LATENCY", "HISTOGRAM"]);
        t.call(&mut c, &["LATENCY", "HISTOGRAM", "nosuch"]);
        t.call_masked(&mut c, Mask::Pairs(&["id"]), &["HELLO", "3"]);
        t.call_masked(&mut c, Mask::Shape, &["LATENCY", "HISTOGRAM", "hello"]);
    });
}

/// `INFO latencystats` lines without their figures: which commands, which
/// percentile labels.
fn latencystats_labels(r: &Reply) -> String {
    let text = r.text();
    let mut lines: Vec<String> = text
        .lines()
        .map(|l| {
            l.split(',')
                .map(|part| part.split('=').next().unwrap_or_default())
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect();
    lines.sort();
    lines.join("\n")
}

#[test]
fn latency_tracking_configs() {
    let mut pair = Pair::start();
    pair.scenario("latency-tracking and its percentiles", |srv, t| {
        let mut c = srv.conn();
        let stats = Mask::Custom(latencystats_labels);
        t.call(&mut c, &["CONFIG", "RESETSTAT"]);
        t.call(&mut c, &["SET", "a", "1"]);
        t.call_masked(&mut c, stats, &["INFO", "latencystats"]);
        t.call(
            &mut c,
            &[
                "CONFIG",
                "SET",
                "latency-tracking-info-percentiles",
                "0 50 99.99 100",
            ],
        );
        t.call_masked(&mut c, stats, &["INFO", "latencystats"]);
        t.call(
            &mut c,
            &["CONFIG", "GET", "latency-tracking-info-percentiles"],
        );
        t.call(
            &mut c,
            &["CONFIG", "SET", "latency-tracking-info-percentiles", ""],
        );
        t.call_masked(&mut c, stats, &["INFO", "latencystats"]);
        t.call(
            &mut c,
            &[
                "CONFIG",
                "SET",
                "latency-tracking-info-percentiles",
                "50 99 99.9",
            ],
        );
        t.call(&mut c, &["CONFIG", "SET", "latency-tracking", "no"]);
        t.call(&mut c, &["GET", "a"]);
        t.call(&mut c, &["INFO", "latencystats"]);
        t.call(&mut c, &["CONFIG", "SET", "latency-tracking", "yes"]);
        t.call_masked(&mut c, stats, &["INFO", "latencystats"]);
        t.call_masked(
            &mut c,
            Mask::Custom(histograms),
            &["LATENCY", "HISTOGRAM", "get", "set"],
        );
    });
}

/// LATENCY GRAPH's text with the measured milliseconds and the ages in
/// the labels masked (they depend on timing); the columns' heights,
/// drawn from values far apart, and the layout must match.
fn graph_shape(r: &Reply) -> String {
    let text = r.text();
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let digits = |l: &str| -> String {
        l.chars()
            .map(|ch| if ch.is_ascii_digit() { 'N' } else { ch })
            .collect()
    };
    if let Some(header) = lines.first_mut() {
        *header = digits(header);
    }
    // Rows after the blank one under the graph are the labels.
    if let Some(blank) = lines.iter().skip(2).position(|l| l.trim().is_empty()) {
        for l in lines.iter_mut().skip(blank + 3) {
            *l = digits(l);
        }
    }
    lines.join("\n")
}

#[test]
fn graph_of_an_event() {
    let mut pair = Pair::start_with(&["--enable-debug-command", "yes"]);
    pair.scenario("latency graph", |srv, t| {
        let mut c = srv.conn();
        t.call(&mut c, &["LATENCY", "GRAPH", "command"]);
        t.call(
            &mut c,
            &["CONFIG", "SET", "latency-monitor-threshold", "10"],
        );
        for secs in ["0.03", "0.3", "0.15"] {
            t.call(&mut c, &["DEBUG", "SLEEP", secs]);
            std::thread::sleep(std::time::Duration::from_millis(1000));
        }
        t.call_masked(
            &mut c,
            Mask::Custom(graph_shape),
            &["LATENCY", "GRAPH", "command"],
        );
        t.call(&mut c, &["LATENCY", "GRAPH"]);
        t.call(&mut c, &["LATENCY", "GRAPH", "nosuch"]);
    });
}

/// LATENCY DOCTOR's reply type and text with the milliseconds masked: a
/// sleep lasts a little longer than asked, by what each run decides. The
/// counts, the periods and the advice must match.
fn doctor_text(r: &Reply) -> String {
    let mut out = String::from(r.type_byte() as char);
    let mut digits = String::new();
    for ch in r.text().chars() {
        if ch.is_ascii_digit() {
            digits.push(ch);
            continue;
        }
        if !digits.is_empty() {
            out.push_str(if ch == 'm' { "N" } else { &digits });
            digits.clear();
        }
        out.push(ch);
    }
    out.push_str(&digits);
    out
}

#[test]
fn doctor_reports_as_redis() {
    let mut pair = Pair::start_with(&["--enable-debug-command", "yes"]);
    pair.scenario("latency doctor", |srv, t| {
        let mut c = srv.conn();
        let doctor = Mask::Custom(doctor_text);
        t.call(&mut c, &["LATENCY", "DOCTOR"]);
        t.call(&mut c, &["LATENCY", "DOCTOR", "x"]);
        t.call(&mut c, &["LATENCY", "HELP"]);
        t.call(
            &mut c,
            &["CONFIG", "SET", "latency-monitor-threshold", "100"],
        );
        t.call(&mut c, &["LATENCY", "DOCTOR"]);
        t.call(&mut c, &["DEBUG", "SLEEP", "0.15"]);
        t.call_masked(&mut c, doctor, &["LATENCY", "DOCTOR"]);
        for slower_than in ["-1", "1000000", "0"] {
            t.call(
                &mut c,
                &["CONFIG", "SET", "slowlog-log-slower-than", slower_than],
            );
            t.call_masked(&mut c, doctor, &["LATENCY", "DOCTOR"]);
        }
        t.call_masked(&mut c, Mask::Pairs(&["id"]), &["HELLO", "3"]);
        t.call_masked(&mut c, doctor, &["LATENCY", "DOCTOR"]);
        t.call_masked(&mut c, Mask::Pairs(&["id"]), &["HELLO", "2"]);
        t.call(&mut c, &["CONFIG", "SET", "latency-monitor-threshold", "0"]);
        t.call_masked(&mut c, doctor, &["LATENCY", "DOCTOR"]);
        t.call(&mut c, &["LATENCY", "RESET"]);
        t.call(&mut c, &["LATENCY", "DOCTOR"]);
    });
}
