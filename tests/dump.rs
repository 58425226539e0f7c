//! DUMP and RESTORE against real Redis: payload bytes for many values
//! (integer encodings at every boundary, raw, LZF-compressed and binary
//! strings), every RESTORE option and error, malformed payloads, and
//! payloads carried from Redis to ferrodis and back.

use crate::util::*;
use ferrodis::persistence::rdb::crc64::crc64;

/// DUMP of "hello", as redis-server 7.0.15 returns it.
const HELLO: &[u8] = b"\x00\x05hello\x0a\x00cr\xdfve4 \x0a";

/// A payload holding `body`, with a correct footer for RDB `version`.
pub(crate) fn sealed(body: &[u8], version: u16) -> Vec<u8> {
    let mut p = body.to_vec();
    p.extend_from_slice(&version.to_le_bytes());
    let crc = crc64(&p);
    p.extend_from_slice(&crc.to_le_bytes());
    p
}

/// Deterministic bytes: `distinct` of them cycling in a scrambled order, so
/// small values compress well and large ones not at all.
fn bytes(len: usize, distinct: u64, seed: u64) -> Vec<u8> {
    noise(len, distinct, seed)
        .into_iter()
        .map(|b| b'a'.wrapping_add(b))
        .collect()
}

/// Pieces of a random text pasted together: many distinct three-byte
/// sequences, each repeated, so LZF's hash table sees collisions and its
/// match search runs at every length and distance.
fn pasted(len: usize, seed: u64) -> Vec<u8> {
    let source = bytes(3000, 256, seed);
    let picks = bytes(len, 256, seed + 1);
    let mut out = Vec::with_capacity(len + 300);
    for pick in picks.chunks(2) {
        if out.len() >= len {
            break;
        }
        let at = usize::from(pick[0]) * 11;
        let n = 3 + usize::from(pick.get(1).copied().unwrap_or(0)) % 40;
        out.extend_from_slice(&source[at..at + n]);
    }
    out.truncate(len);
    out
}

/// SET then DUMP each value, so both servers' payloads are compared.
fn set_and_dump(name: &str, values: &[Vec<u8>]) -> Case {
    values
        .iter()
        .enumerate()
        .fold(Case::new(name), |case, (i, v)| {
            let key = format!("d:{i}");
            case.cmd_bytes(&[&b"SET"[..], key.as_bytes(), v])
                .cmd(&["DUMP", &key])
                .cmd(&["OBJECT", "ENCODING", &key])
        })
}

#[test]
fn dump_payloads_match_redis() {
    let ints: Vec<Vec<u8>> = [
        "0",
        "1",
        "-1",
        "127",
        "128",
        "-128",
        "-129",
        "255",
        "256",
        "32767",
        "32768",
        "-32768",
        "-32769",
        "65535",
        "65536",
        "2147483647",
        "2147483648",
        "-2147483648",
        "-2147483649",
        "4294967296",
        "9223372036854775807",
        "-9223372036854775808",
        "9223372036854775808",
        "007",
        "+1",
        "-0",
        " 1",
        "1.5",
        "12345678901234567890123",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect();
    let mut strings = Vec::new();
    for len in 0..=100 {
        strings.push(bytes(len, 26, len as u64));
        strings.push(bytes(len, 2, len as u64 + 1000));
        strings.push(vec![b'x'; len]);
    }
    let large = vec![
        bytes(1024, 4, 1),
        b"ferrodis ".repeat(114),
        bytes(100 * 1024, 3, 2),
        b"0123456789".repeat(10 * 1024),
        bytes(4096, 200, 3),
        pasted(2000, 4),
        pasted(100 * 1024, 5),
        (0..=255u8).collect(),
        (0..=255u8).cycle().take(5000).collect(),
    ];
    // Random bytes ending in a run: compression saves a few bytes more or
    // less than the four it must, so liblzf's output-space checks decide.
    let mut borderline = Vec::new();
    for len in 21..80 {
        for run in 0..12 {
            let mut v = bytes(len - run, 256, (len * 100 + run) as u64);
            v.resize(len, b'x');
            borderline.push(v);
        }
    }
    diff(&[
        set_and_dump("integers", &ints),
        set_and_dump("borderline compression", &borderline),
        set_and_dump("strings of 0 to 100 bytes", &strings),
        set_and_dump("large and binary strings", &large),
        Case::new("missing key and arity")
            .cmd(&["DUMP", "nosuch"])
            .cmd(&["DUMP"])
            .cmd(&["DUMP", "a", "b"]),
        Case::new("append makes raw strings, dumped like any other")
            .cmd(&["APPEND", "raw:1", "12"])
            .cmd(&["DUMP", "raw:1"])
            .cmd(&[
                "APPEND",
                "raw:2",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            ])
            .cmd(&["DUMP", "raw:2"]),
        Case::new("command info")
            .cmd(&["COMMAND", "INFO", "dump", "restore"])
            .cmd(&["COMMAND", "GETKEYS", "RESTORE", "k", "0", "x"]),
    ]);
}

#[test]
fn dump_without_compression() {
    let values = vec![vec![b'a'; 78], bytes(1024, 4, 1), b"12".to_vec()];
    diff_with(
        &["--rdbcompression", "no"],
        &[set_and_dump("rdbcompression no", &values)],
    );
    diff(&[Case::new("turned off at run time")
        .cmd(&["CONFIG", "SET", "rdbcompression", "no"])
        .cmd(&["SET", "k", &"a".repeat(78)])
        .cmd(&["DUMP", "k"])
        .cmd(&["CONFIG", "SET", "rdbcompression", "yes"])
        .cmd(&["DUMP", "k"])]);
}

/// RESTORE `body` (sealed) into a fresh key, then read it back.
fn restore_body(case: Case, key: &str, body: &[u8]) -> Case {
    case.cmd_bytes(&[&b"RESTORE"[..], key.as_bytes(), b"0", &sealed(body, 10)])
        .cmd(&["GET", key])
        .cmd(&["OBJECT", "ENCODING", key])
}

#[test]
fn restore_errors() {
    let restore = |key: &str, ttl: &str, payload: &[u8], opts: &[&str]| {
        let mut args: Vec<Vec<u8>> =
            vec![b"RESTORE".to_vec(), key.into(), ttl.into(), payload.into()];
        args.extend(opts.iter().map(|o| o.as_bytes().to_vec()));
        args
    };
    let mut flipped = HELLO.to_vec();
    flipped[3] ^= 1;
    let steps: Vec<Vec<Vec<u8>>> = vec![
        restore("e:k", "0", HELLO, &[]),
        // The existing key is checked before the TTL and the payload.
        restore("e:k", "0", HELLO, &[]),
        restore("e:k", "-1", HELLO, &[]),
        restore("e:k", "0", b"junk", &[]),
        restore("e:k", "x", HELLO, &["REPLACE"]),
        restore("e:new", "-1", HELLO, &[]),
        restore("e:new", "1.5", HELLO, &[]),
        restore("e:new", "0", b"junk", &[]),
        restore("e:new", "0", b"", &[]),
        restore("e:new", "0", &flipped, &[]),
        restore("e:new", "0", &sealed(b"\x00\x05hello", 11), &[]),
        restore("e:new", "0", &sealed(b"\x00\x05hello", u16::MAX), &[]),
        // Options come first: a bad option wins over everything else.
        restore("e:k", "-1", b"junk", &["BOGUS"]),
        restore("e:new", "0", HELLO, &["IDLETIME"]),
        restore("e:new", "0", HELLO, &["IDLETIME", "-1"]),
        restore("e:new", "0", HELLO, &["IDLETIME", "x"]),
        restore("e:new", "0", HELLO, &["FREQ"]),
        restore("e:new", "0", HELLO, &["FREQ", "-1"]),
        restore("e:new", "0", HELLO, &["FREQ", "256"]),
        restore("e:new", "0", HELLO, &["FREQ", "x"]),
        restore("e:new", "0", HELLO, &["FREQ", "1", "IDLETIME", "1"]),
        restore("e:new", "0", HELLO, &["IDLETIME", "1", "FREQ", "1"]),
        restore("e:new", "0", HELLO, &["REPLACE", "BOGUS"]),
        vec![b"RESTORE".to_vec(), b"e:new".to_vec(), b"0".to_vec()],
        vec![b"EXISTS".to_vec(), b"e:new".to_vec()],
    ];
    let errors = steps
        .iter()
        .fold(Case::new("errors in Redis's order"), |c, args| {
            c.cmd_bytes(args)
        });

    let mut bad = Case::new("malformed values");
    for (i, body) in [
        &b""[..],
        b"\x00",
        b"\x01\x05hello",
        b"\x08\x05hello",
        b"\x13\x05hello",
        b"\x14\x05hello",
        b"\xff",
        b"\x00\xc4",
        b"\x00\xff",
        b"\x00\x82\x00\x00\x00\x01a",
        b"\x00\xbf\xff",
        b"\x00\x3f",
        b"\x00\x81\x00\x00\x01\x00\x00\x00\x00\x00a",
        b"\x00\xc3\x81\x00\x00\x01\x00\x00\x00\x00\x00\x01a",
        b"\x00\xc3\x01\x81\x00\x00\x01\x00\x00\x00\x00\x00a",
        b"\x00\xc3\x05\x03\x00a",
        b"\x00\xc3\x03\x03\x01ab",
        b"\x00\xc3\x02\x03\x01ab",
        b"\x00\xc3\x04\x05\x00a\x20\x00",
        b"\x00\xc3\x04\x05\x00a\x20\x01",
        b"\x00\xc3\x03\x0a\x00a\xe0",
        b"\x00\xc3\x02\x0a\x00a",
    ]
    .iter()
    .enumerate()
    {
        bad = restore_body(bad, &format!("bad:{i}"), body);
    }

    let mut odd = Case::new("odd but accepted, as Redis accepts them");
    for (i, body) in [
        &b"\x00\x05hel"[..],
        b"\x00\x05hello junk",
        b"\x00\xc0",
        b"\x00\xc3\x05\x00",
        b"\x00\xc3\x02\x00\x01ab",
        b"\x00\xc3\xc2\x00\x01ab",
        b"\x00\xc3\x03\x02\x01ab",
        b"\x00\xc3\x04\x04\x00a\x20\x00",
        b"\x00\x40\x01a",
        b"\x00\x80\x00\x00\x00\x01a",
        b"\x00\x81\x00\x00\x00\x00\x00\x00\x00\x01a",
        b"\x00\xc0\x0c",
        b"\x00\xc1\x00\x80",
        b"\x00\xc2\x00\x00\x00\x80",
        b"\x00\x0212",
        b"\x00\x0a2147483648",
    ]
    .iter()
    .enumerate()
    {
        odd = restore_body(odd, &format!("odd:{i}"), body);
    }
    odd = odd
        .cmd_bytes(&[&b"RESTORE"[..], b"odd:zeros", b"0", &[0u8; 10]])
        .cmd(&["GET", "odd:zeros"])
        .cmd_bytes(&[&b"RESTORE"[..], b"odd:v0", b"0", &sealed(b"\x00\x01x", 0)])
        .cmd(&["GET", "odd:v0"]);
    diff(&[errors, bad, odd]);
}

/// OBJECT IDLETIME to the nearest ten seconds below: the access clock may
/// tick between RESTORE and the query on one server and not the other.
const IDLE: Mask = Mask::Custom(|r| match r.int() {
    Some(i) => format!("~{}", i - i % 10),
    None => canon(r),
});

#[test]
fn restore_options() {
    let restore = |key: &str, ttl: &str, opts: &[&str]| {
        let mut args = vec!["RESTORE", key, ttl, "<payload>"];
        args.extend_from_slice(opts);
        args.iter()
            .map(|a| {
                if *a == "<payload>" {
                    HELLO.to_vec()
                } else {
                    a.as_bytes().to_vec()
                }
            })
            .collect::<Vec<_>>()
    };
    let ttl = Case::new("ttl, absttl and replace")
        .cmd_bytes(&restore("o:ttl", "100000", &[]))
        .cmd(&["TTL", "o:ttl"])
        .cmd_bytes(&restore("o:abs", "4102444800123", &["ABSTTL"]))
        .cmd(&["PEXPIRETIME", "o:abs"])
        .cmd_bytes(&restore("o:past", "1", &["ABSTTL"]))
        .cmd(&["EXISTS", "o:past"])
        // A relative TTL so large that adding the time wraps to the past.
        .cmd_bytes(&restore("o:huge", "9223372036854775807", &[]))
        .cmd(&["EXISTS", "o:huge"])
        .cmd_bytes(&restore("o:huge", "9223372036854775807", &["absttl"]))
        .cmd(&["PEXPIRETIME", "o:huge"])
        .cmd(&["SET", "o:old", "12345", "EX", "1000"])
        .cmd_bytes(&restore("o:old", "0", &["REPLACE"]))
        .cmd(&["GET", "o:old"])
        .cmd(&["TTL", "o:old"])
        .cmd(&["OBJECT", "ENCODING", "o:old"])
        .cmd(&["SET", "o:gone", "v"])
        .cmd_bytes(&restore("o:gone", "5", &["replace", "AbsTtl"]))
        .cmd(&["EXISTS", "o:gone"])
        .cmd_bytes(&restore(
            "o:twice",
            "0",
            &["REPLACE", "REPLACE", "ABSTTL", "ABSTTL"],
        ))
        .cmd(&["GET", "o:twice"])
        .cmd(&["INFO", "keyspace"]);
    let mut idle = Case::new("idletime and freq");
    for (i, secs) in [
        "0",
        "1000",
        "16777214",
        "16777215",
        "16777216",
        "100000000",
        "9223372036854775",
        "9223372036854776",
        "9223372036854775807",
    ]
    .iter()
    .enumerate()
    {
        let key = format!("i:{i}");
        idle = idle
            .cmd_bytes(&restore(&key, "0", &["IDLETIME", secs]))
            .masked(IDLE, &["OBJECT", "IDLETIME", &key]);
    }
    idle = idle
        .cmd_bytes(&restore("i:freq", "0", &["FREQ", "200"]))
        .masked(IDLE, &["OBJECT", "IDLETIME", "i:freq"])
        .cmd(&["OBJECT", "FREQ", "i:freq"]);
    diff(&[ttl, idle]);
}

#[test]
fn restore_under_lfu() {
    let restore = |key: &str, opts: &[&str]| {
        let mut args = vec![
            b"RESTORE".to_vec(),
            key.into(),
            b"0".to_vec(),
            HELLO.to_vec(),
        ];
        args.extend(opts.iter().map(|o| o.as_bytes().to_vec()));
        args
    };
    diff_with(
        &["--maxmemory-policy", "allkeys-lfu"],
        &[Case::new("FREQ sets the counter, IDLETIME is ignored")
            .cmd_bytes(&restore("l:plain", &[]))
            .cmd(&["OBJECT", "FREQ", "l:plain"])
            .cmd_bytes(&restore("l:freq", &["FREQ", "200"]))
            .cmd(&["OBJECT", "FREQ", "l:freq"])
            .cmd_bytes(&restore("l:zero", &["FREQ", "0"]))
            .cmd(&["OBJECT", "FREQ", "l:zero"])
            .cmd_bytes(&restore("l:idle", &["IDLETIME", "1000"]))
            .cmd(&["OBJECT", "FREQ", "l:idle"])
            .cmd(&["OBJECT", "IDLETIME", "l:idle"])],
    );
}

/// What a key looks like from outside, for comparing across servers.
fn observe(conn: &mut Conn, key: &str) -> Vec<String> {
    ["GET", "TTL", "OBJECT ENCODING", "TYPE"]
        .iter()
        .map(|cmd| {
            let mut args: Vec<&str> = cmd.split(' ').collect();
            args.push(key);
            canon(&conn.call_parsed(&args))
        })
        .collect()
}

/// Payloads cross in both directions: what one server DUMPs the other
/// RESTOREs to the same value, TTL and encoding, and DUMPs back identically.
#[test]
fn payloads_cross_between_servers() {
    let pair = Pair::start();
    let mut redis = pair.redis.conn();
    let mut ferrodis = pair.ferrodis.conn();
    let values: Vec<Vec<u8>> = vec![
        b"1".to_vec(),
        b"-32768".to_vec(),
        b"2147483648".to_vec(),
        b"hello".to_vec(),
        b"".to_vec(),
        vec![b'a'; 44],
        vec![b'a'; 45],
        bytes(1024, 4, 9),
        bytes(100 * 1024, 3, 10),
        (0..=255u8).collect(),
    ];
    cross(&mut redis, &mut ferrodis, "redis to ferrodis", &values);
    cross(&mut ferrodis, &mut redis, "ferrodis to redis", &values);
}

/// SET each value on `from`, DUMP it there, RESTORE it on `to`, compare.
fn cross(from: &mut Conn, to: &mut Conn, label: &str, values: &[Vec<u8>]) {
    for (i, v) in values.iter().enumerate() {
        let key = format!("x:{label}:{i}");
        from.call(&[b"SET".as_slice(), key.as_bytes(), v, b"EX", b"1000"]);
        let dumped = from.call_parsed(&["DUMP", &key]);
        let payload = dumped.bytes().expect("DUMP returns a bulk").to_vec();
        let ok = to.call_parsed(&[b"RESTORE".as_slice(), key.as_bytes(), b"1000000", &payload]);
        assert_eq!(ok, Reply::Simple("OK".into()), "{label}: RESTORE {key}");
        assert_eq!(observe(from, &key), observe(to, &key), "{label}: {key}");
        let back = to.call_parsed(&["DUMP", &key]);
        assert_eq!(
            back.bytes(),
            Some(&payload[..]),
            "{label}: DUMP {key} again"
        );
    }
}
