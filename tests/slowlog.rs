//! SLOWLOG against real Redis: which commands are logged (EXEC is not, the
//! commands it runs are; a blocked command once it is served), the
//! argument truncation and redaction, newest first, trimming to
//! `slowlog-max-len`, and the errors. Times, durations and client ports
//! are masked: they are clocks and sockets, not behaviour.

use crate::util::*;

/// An entry without its time, duration and peer port.
fn entries(r: &Reply) -> String {
    let Reply::Array(list) = r else {
        return format!("{r:?}");
    };
    list.iter()
        .map(|e| match e.items() {
            [Reply::Int(id), _time, _duration, argv, peer, name] => {
                let argv: Vec<String> = argv.items().iter().map(|a| a.text()).collect();
                let host = peer.text().rsplit_once(':').map(|(h, _)| h.to_string());
                format!("{id} {argv:?} {host:?} {:?}", name.text())
            }
            other => format!("{other:?}"),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

const ENTRIES: Mask = Mask::Custom(entries);

#[test]
fn slow_commands_are_logged_as_redis_logs_them() {
    let mut pair = Pair::start_with(&["--slowlog-log-slower-than", "0", "--slowlog-max-len", "20"]);
    pair.scenario("what is logged", |srv, t| {
        let mut a = srv.conn();
        let mut b = srv.conn();
        t.call(&mut a, &["SLOWLOG", "RESET"]);
        t.call(&mut a, &["CLIENT", "SETNAME", "alice"]);
        t.call(&mut a, &["AUTH", "secret"]);
        // Only the connection id differs.
        t.call_masked(
            &mut a,
            Mask::Pairs(&["id"]),
            &["HELLO", "2", "AUTH", "default", "secret"],
        );
        let long = "x".repeat(200);
        t.call(&mut a, &["SET", "k", &long]);
        let keys: Vec<String> = (0..40).map(|i| format!("k{i}")).collect();
        let mut del = vec!["DEL"];
        del.extend(keys.iter().map(String::as_str));
        t.call(&mut a, &del);
        t.call(&mut a, &["MULTI"]);
        t.call(&mut a, &["INCR", "n"]);
        t.call(&mut a, &["EXEC"]);
        b.cmd(&["BLPOP", "q", "0"]);
        std::thread::sleep(std::time::Duration::from_millis(50));
        t.call(&mut a, &["RPUSH", "q", "job"]);
        t.reply("served BLPOP", Mask::Exact, &b.read_reply());
        t.call(&mut a, &["SLOWLOG", "LEN"]);
        t.call_masked(&mut a, ENTRIES, &["SLOWLOG", "GET", "-1"]);
        t.call_masked(&mut a, ENTRIES, &["SLOWLOG", "GET", "2"]);
        t.call_masked(&mut a, ENTRIES, &["SLOWLOG", "GET", "0"]);
        t.call(&mut a, &["CONFIG", "SET", "slowlog-max-len", "3"]);
        t.call(&mut a, &["PING"]);
        t.call_masked(&mut a, ENTRIES, &["SLOWLOG", "GET"]);
        t.call(&mut a, &["CONFIG", "SET", "slowlog-log-slower-than", "-1"]);
        t.call(&mut a, &["SLOWLOG", "RESET"]);
        t.call(&mut a, &["PING"]);
        t.call(&mut a, &["SLOWLOG", "LEN"]);
        t.call(
            &mut a,
            &["CONFIG", "SET", "slowlog-log-slower-than", "10000000"],
        );
        t.call(&mut a, &["PING"]);
        t.call(&mut a, &["SLOWLOG", "LEN"]);
    });
}

#[test]
fn slowlog_errors_and_help() {
    diff(&[case(
        "errors",
        &[
            &["SLOWLOG", "GET", "-2"],
            &["SLOWLOG", "GET", "x"],
            &["SLOWLOG", "GET", "1", "2"],
            &["SLOWLOG", "LEN", "x"],
            &["SLOWLOG", "RESET", "x"],
            &["SLOWLOG", "NOSUCH"],
            &["SLOWLOG"],
            &["SLOWLOG", "HELP"],
            &[
                "COMMAND",
                "INFO",
                "slowlog|get",
                "slowlog|help",
                "slowlog|len",
                "slowlog|reset",
            ],
        ],
    )]);
}
