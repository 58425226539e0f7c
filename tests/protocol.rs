//! The wire protocol, byte for byte against real Redis: inline commands and
//! their quoting rules, multibulk requests, pipelining, requests split into
//! tiny writes, big payloads, and the exact protocol errors (each of which
//! must also close the connection).

use crate::util::*;

/// `n` copies of `unit` in one buffer.
fn repeat(unit: &[u8], n: usize) -> Vec<u8> {
    unit.repeat(n)
}

#[test]
fn inline_commands() {
    diff(&[
        Case::new("PING inline").raw(b"PING\r\n", 1),
        Case::new("lower case, LF only").raw(b"ping\n", 1),
        Case::new("inline with argument").raw(b"PING hello\r\n", 1),
        Case::new("runs of spaces separate arguments").raw(b"ECHO    a  \r\n", 1),
        Case::new("double quotes group").raw(b"echo \"a b\"\r\n", 1),
        Case::new("single quotes group").raw(b"echo 'a b'\r\n", 1),
        Case::new("escapes in double quotes").raw(b"echo \"\\x41\\n\\t\\\"\\\\z\"\r\n", 1),
        Case::new("escaped quote in single quotes").raw(b"echo 'it\\'s'\r\n", 1),
        Case::new("empty quoted argument").raw(b"echo \"\"\r\n", 1),
        Case::new("two arguments where one is expected").raw(b"echo a b\r\n", 1),
        Case::new("set and get inline")
            .raw(b"set inline:k \"v w\"\r\n", 1)
            .raw(b"get inline:k\r\n", 1),
    ]);
}

#[test]
fn inline_unbalanced_quotes_close_the_connection() {
    let cases = [
        ("unterminated double quote", &b"echo \"a b\r\n"[..]),
        ("unterminated single quote", b"echo 'a b\r\n"),
        ("closing quote followed by a letter", b"echo \"a\"b\r\n"),
        ("adjacent single-quoted strings", b"echo 'it''s'\r\n"),
    ];
    diff(&cases.map(|(name, bytes)| Case::new(name).raw(bytes, 1).closed()));
}

#[test]
fn blank_lines_and_empty_multibulk_are_ignored() {
    diff(&[
        Case::new("empty lines").raw(b"\r\n\r\n\n   \r\nPING\r\n", 1),
        Case::new("*0 and *-1").raw(b"*0\r\n*-1\r\nPING\r\n", 1),
        Case::new("nothing but blanks gets no reply")
            .raw(b"\r\n\r\n*0\r\n", 0)
            .quiet()
            .cmd(&["PING"]),
    ]);
}

#[test]
fn multibulk_requests() {
    diff(&[
        Case::new("echo").raw(b"*2\r\n$4\r\nECHO\r\n$3\r\nfoo\r\n", 1),
        Case::new("binary-safe argument")
            .cmd_bytes(&[&b"SET"[..], b"mb:bin", b"a\r\n\x00\xffb"])
            .cmd(&["GET", "mb:bin"]),
        Case::new("empty argument")
            .cmd(&["SET", "mb:empty", ""])
            .cmd(&["GET", "mb:empty"]),
        Case::new("command name is case-insensitive").cmd(&["pInG"]),
    ]);
}

#[test]
fn pipelined_commands_are_answered_in_order() {
    let mut mixed = Vec::new();
    for i in 0..200 {
        mixed.extend(resp::encode_cmd(&[
            "SET",
            &format!("pipe:{i}"),
            &i.to_string(),
        ]));
        mixed.extend(format!("GET pipe:{i}\r\n").as_bytes());
        mixed.extend(resp::encode_cmd(&["ECHO", &"x".repeat(i)]));
    }
    diff(&[
        Case::new("1000 PINGs in one write").raw(&repeat(b"PING\r\n", 1000), 1000),
        Case::new("mixed inline and multibulk").raw(&mixed, 600),
        Case::new("error in the middle does not stop the pipeline")
            .raw(b"PING\r\nNOSUCHCOMMAND\r\nGET\r\nECHO ok\r\n", 4),
    ]);
}

#[test]
fn requests_split_into_tiny_writes() {
    let set = resp::encode_cmd(&["SET", "tiny:k", "hello world"]);
    let get = resp::encode_cmd(&["GET", "tiny:k"]);
    let mut both = set.clone();
    both.extend(&get);
    diff(&[
        Case::new("multibulk one byte at a time").raw_chunked(&both, 1, 2),
        Case::new("inline one byte at a time").raw_chunked(b"ECHO \"a b\"\r\nPING\r\n", 1, 2),
        Case::new("three bytes at a time").raw_chunked(&repeat(&get, 10), 3, 10),
    ]);
}

#[test]
fn protocol_errors_reply_then_close() {
    let big_count = format!("*1\r\n${}\r\n", 512 * 1024 * 1024 + 1);
    let cases: [(&str, &[u8]); 7] = [
        ("non-numeric multibulk length", b"*abc\r\n"),
        ("non-numeric bulk length", b"*1\r\n$abc\r\n"),
        ("bulk without $", b"*1\r\nfoo\r\n"),
        ("negative bulk length", b"*1\r\n$-1\r\n"),
        ("bulk longer than 512MB", big_count.as_bytes()),
        ("multibulk length above INT_MAX", b"*4294967296\r\n"),
        ("error after a valid command", b"PING\r\n*x\r\n"),
    ];
    diff(&cases.map(|(name, bytes)| {
        let replies = if name.starts_with("error after") {
            2
        } else {
            1
        };
        Case::new(name).raw(bytes, replies).closed()
    }));
}

#[test]
fn oversized_headers_are_rejected() {
    // PROTO_INLINE_MAX_SIZE is 64 KB: a line that long without a newline is
    // refused rather than buffered forever.
    let digits = "1".repeat(70 * 1024);
    diff(&[
        Case::new("too big inline request")
            .raw(&repeat(b"a", 70 * 1024), 1)
            .closed(),
        Case::new("too big multibulk count")
            .raw(format!("*{digits}").as_bytes(), 1)
            .closed(),
        Case::new("too big bulk count")
            .raw(format!("*1\r\n${digits}").as_bytes(), 1)
            .closed(),
    ]);
}

#[test]
fn big_bulk_round_trip() {
    let value: Vec<u8> = (0..20 * 1024 * 1024).map(|i| (i % 251) as u8).collect();
    diff(&[Case::new("20 MB value")
        .cmd_bytes(&[&b"SET"[..], b"big", &value])
        .cmd(&["GET", "big"])]);
}

#[test]
fn big_inline_argument_just_under_the_limit() {
    let mut line = b"ECHO ".to_vec();
    line.extend(repeat(b"z", 60 * 1024));
    line.extend(b"\r\n");
    diff(&[Case::new("60 KB inline").raw(&line, 1)]);
}

#[test]
fn quit_replies_ok_then_closes() {
    diff(&[
        Case::new("QUIT").cmd(&["QUIT"]).closed(),
        Case::new("inline quit").raw(b"quit\r\n", 1).closed(),
        Case::new("pipelined after QUIT are dropped")
            .raw(b"QUIT\r\nPING\r\n", 1)
            .closed(),
    ]);
}

/// A bulk header position holding a line end, a control byte or a byte
/// above 0x7f: Redis quotes the byte (line ends as spaces, the rest raw),
/// and the server goes on serving everyone else.
#[test]
fn unexpected_bytes_in_a_bulk_header_are_quoted_as_redis_quotes_them() {
    let cases: [(&str, &[u8]); 7] = [
        ("CR where $ belongs", b"*1\r\n\r\n"),
        ("LF where $ belongs", b"*1\r\n\n\r\n"),
        ("CR after a valid argument", b"*2\r\n$4\r\nPING\r\n\r\n"),
        ("control byte", b"*1\r\n\x01x\r\n"),
        ("tab", b"*1\r\n\tx\r\n"),
        ("DEL byte", b"*1\r\n\x7fx\r\n"),
        ("byte above 0x7f", b"*1\r\n\xffx\r\n"),
    ];
    let mut all: Vec<Case> = cases
        .iter()
        .map(|(name, bytes)| Case::new(name).raw(bytes, 1).closed())
        .collect();
    all.push(Case::new("still serving").cmd(&["PING"]));
    diff(&all);
    // Before authentication too: the header is checked before any command runs.
    let mut auth: Vec<Case> = cases
        .iter()
        .map(|(name, bytes)| Case::new(name).raw(bytes, 1).closed())
        .collect();
    auth.push(Case::new("still serving").cmd(&["PING"]));
    diff_with(&["--requirepass", "s3cret"], &auth);
}

/// A client's bytes quoted in an error reply keep the reply on one line:
/// line ends become spaces, as Redis's error formatting makes them.
#[test]
fn errors_quoting_line_ends_stay_one_line() {
    diff(&[
        Case::new("EXPIRE option with line ends")
            .cmd(&["SET", "q:k", "v"])
            .cmd(&["EXPIRE", "q:k", "10", "a\r\nb"])
            .cmd(&["PING"]),
        Case::new("unknown command with a line end").cmd(&["NO\r\nSUCH", "x"]),
        Case::new("unknown subcommand with a line end").cmd(&["CLIENT", "NO\nSUCH"]),
    ]);
}

/// DEBUG PROTOCOL: every RESP3 type as Redis sends it, and its RESP2
/// downgrade.
#[test]
fn debug_protocol_every_type() {
    let types = [
        "string", "integer", "double", "bignum", "null", "array", "set", "map", "attrib", "push",
        "verbatim", "true", "false", "nosuch", "STRING",
    ];
    let mut cases = Vec::new();
    for resp3 in [false, true] {
        let mut case = Case::new(if resp3 { "RESP3" } else { "RESP2" });
        if resp3 {
            // Only the connection id differs.
            case = case.masked(Mask::Pairs(&["id"]), &["HELLO", "3"]);
        }
        for t in types {
            case = case.cmd(&["DEBUG", "PROTOCOL", t]);
        }
        cases.push(case.cmd(&["DEBUG", "PROTOCOL"]));
    }
    diff_with(&["--enable-debug-command", "yes"], &cases);
}
