//! Lua scripting, differentially against redis-server 7.0: EVAL and its
//! siblings, every conversion between replies and Lua values in RESP2 and
//! RESP3, the error forms (`script: <sha>, on @user_script:N.`), the
//! sandbox, SCRIPT's management replies, shebang flags, read-only scripts,
//! SELECT inside scripts, error and command statistics, what scripts write
//! to the AOF, and busy scripts with a second client (BUSY, SCRIPT KILL,
//! UNKILLABLE, SHUTDOWN NOSAVE).

use std::time::{Duration, Instant};

use crate::util::resp::encode_cmd;
use crate::util::*;

/// HELLO replies differ only in the connection id.
const HELLO: Mask = Mask::Pairs(&["id"]);

/// `EVAL <script> 0`.
fn eval(script: &str) -> Vec<String> {
    vec!["EVAL".into(), script.into(), "0".into()]
}

/// One case per script, each run as `EVAL <script> 0` after `setup`.
fn eval_cases(prefix: &str, setup: &[&[&str]], scripts: &[&str]) -> Vec<Case> {
    scripts
        .iter()
        .map(|s| {
            let mut c = Case::new(&format!("{prefix}: {s}"));
            for cmd in setup {
                c = c.cmd(cmd);
            }
            c.cmd_bytes(&eval(s))
        })
        .collect()
}

/// Every rule from Lua to a reply, and from replies back to Lua, in RESP2.
#[test]
fn conversions_resp2() {
    let setup: &[&[&str]] = &[
        &["FLUSHALL"],
        &["SET", "s", "x"],
        &["HSET", "h", "a", "1"],
        &["ZADD", "z", "1.5", "m"],
        &["SADD", "st", "only"],
        &["RPUSH", "l", "a", "b"],
    ];
    diff(&eval_cases(
        "resp2",
        setup,
        &[
            "return 1",
            "return 3.99",
            "return -3.99",
            "return 1e20",
            "return 0/0",
            "return 'str'",
            "return 'a\\0b'",
            "return true",
            "return false",
            "return nil",
            "return {}",
            "return {1, 'x', {2, {true, false}}, 3.7}",
            "return {1, 2, nil, 4}",
            "return {ok='fine'}",
            "return {ok='a\\r\\nb'}",
            "return {err='My error'}",
            "return {err='a\\r\\nb'}",
            "return {err='x'}",
            "return {1, {err='E nested'}, 3}",
            "return {1, 2, ok='x'}",
            "return redis.status_reply('OK2')",
            "return redis.error_reply('foo')",
            "return redis.error_reply('-FOO bar')",
            "return redis.status_reply()",
            "return redis.error_reply(1)",
            "return {double=1.5}",
            "return {big_number='123456789012345678901234567890'}",
            "return {verbatim_string={format='txt', string='hi'}}",
            "return {map={a=1}}",
            "return {set={a=true}}",
            "return redis.call('get', 's')",
            "return redis.call('get', 'nokey')",
            "return redis.call('hgetall', 'h')",
            "return redis.call('zscore', 'z', 'm')",
            "return redis.call('smembers', 'st')",
            "return redis.call('lrange', 'l', 0, -1)",
            "return redis.call('lrange', 'nol', 0, -1)",
            "return redis.call('ping')",
            "return redis.call('incr', 'n')",
            "return type(redis.call('get', 'nokey'))",
            "return redis.call('type', 's')",
            "return redis.pcall('incr', 's')",
            "return {redis.pcall('incr', 's'), 1}",
            "local r = redis.pcall('incr', 's') return r.err",
            "return redis.call('set', 'f', 3.7)",
            "redis.call('set', 'f', 3.7) return redis.call('get', 'f')",
            "redis.call('set', 'f', 10) return redis.call('get', 'f')",
            "return redis.call('get', 3)",
            "return redis.call('echo', 1e17)",
            "return redis.call('echo', 2^53 + 1)",
            "return redis.call('echo', 2^63)",
            "return redis.call('echo', -2^63)",
            "return redis.call('echo', 0/-1)",
            "return redis.call('echo', 1/0)",
            "return redis.call('echo', 0.1)",
            "return redis.call('echo', 1e-5)",
            "return redis.call('echo', -7)",
            "return redis.call('echo', '')",
            "local t = {} for i = 1, 100 do t = {t} end return t",
            "return {verbatim_string={format='txt'}}",
            "return {verbatim_string='x', 1}",
            "return {verbatim_string={format='markdown', string='a\\r\\nb'}}",
            "return {double='x', 2}",
            "return {map={{1}, {2}}}",
            "return {set={[1]=false}}",
            "return {err=1, ok=2, 3}",
            "return {big_number='1\\r\\n2'}",
            "local t = {} for i = 1, 100 do t = {i, t, 'x'} end return redis.call('echo', #t)",
            "return {redis.call('hgetall', 'h'), {redis.call('lrange', 'l', 0, -1)}}",
        ],
    ));
}

/// The same under `redis.setresp(3)` and for a RESP3 caller.
#[test]
fn conversions_resp3() {
    let setup: &[&[&str]] = &[
        &["FLUSHALL"],
        &["HSET", "h", "a", "1"],
        &["ZADD", "z", "1.5", "m"],
        &["SADD", "st", "only"],
    ];
    let scripts = [
        "redis.setresp(3) return redis.call('hgetall', 'h')",
        "redis.setresp(3) return redis.call('zscore', 'z', 'm')",
        "redis.setresp(3) return redis.call('smembers', 'st')",
        "redis.setresp(3) return redis.call('get', 'nokey')",
        "redis.setresp(3) return {redis.call('get', 'nokey')}",
        "redis.setresp(3) return {redis.call('hgetall', 'h'), redis.call('smembers', 'st')}",
        "redis.setresp(3) local r = redis.call('hgetall', 'h') return {r.map, r}",
        "redis.setresp(3) return redis.call('config', 'get', 'maxmemory')",
        "redis.setresp(3) return redis.pcall('incr', 'h')",
        "return {verbatim_string={format='markdown', string='a\\r\\nb'}}",
        "return {big_number='1\\r\\n2'}",
        "return {map={x={set={a=true}}}}",
        "redis.setresp(3) return redis.call('exists', 'h') == 1",
        "redis.setresp(3) local r = redis.call('hgetall', 'h') return r.map.a",
        "redis.setresp(3) local r = redis.call('zscore', 'z', 'm') return tostring(r.double)",
        "redis.setresp(3) return {true, false}",
        "return {true, false}",
        "redis.setresp(3) redis.setresp(2) return redis.call('hgetall', 'h')",
        "return {double=1.5}",
        "return {big_number='12345678901234567890'}",
        "return {verbatim_string={format='txt', string='hi'}}",
        "return {map={a=1}}",
        "return {set={a=true}}",
        "return nil",
        "return false",
        "redis.setresp(3) return false",
        "return redis.setresp(4)",
        "return redis.setresp()",
    ];
    diff(&eval_cases("resp2 caller", setup, &scripts));
    let mut cases = Vec::new();
    for s in scripts {
        let mut c = Case::new(&format!("resp3 caller: {s}")).masked(HELLO, &["HELLO", "3"]);
        for cmd in setup {
            c = c.cmd(cmd);
        }
        cases.push(c.cmd_bytes(&eval(s)));
    }
    diff(&cases);
}

/// Errors: how Redis words them and where it says they happened.
#[test]
fn errors() {
    let setup: &[&[&str]] = &[&["FLUSHALL"], &["SET", "s", "x"]];
    diff(&eval_cases(
        "error",
        setup,
        &[
            "return redis.call('nosuch')",
            "return redis.call('get')",
            "return redis.call('incr', 'a', 'b')",
            "return redis.call('incr', 's')",
            "return redis.call('lpush', 's', 'x')",
            "return redis.call()",
            "return redis.pcall()",
            "return redis.pcall('nosuch')",
            "return redis.call('set', {}, 1)",
            "return redis.call('eval', 'return 1', 0)",
            "return redis.call('multi')",
            "return redis.call('blpop', 'x', 0)",
            "return redis.call('subscribe', 'x')",
            "return redis.call('xread', 'block', '10', 'streams', 'st', '0')",
            "return redis.call('XREAD', 'count', '1', 'block', 'x', 'streams', 'st')",
            "return redis.call('xreadgroup', 'group', 'g', 'c', 'block', '0', 'streams', 'st', '>')",
            "return redis.call('xread', 'streams', 'st', '0')",
            "return redis.call('xadd', 'st', '1-1', 'f', 'v')",
            "error('boom')",
            "error({err='X y'})",
            "error({err='X y'}, 2)",
            "local function f() error('deep') end\nf()",
            "\n\nreturn redis.call('nosuch')",
            "syntax error here",
            "return x",
            "x = 1",
            "local t = nil return t.x",
            "local ok, e = pcall(redis.call, 'nosuch') return e",
            "local ok, e = pcall(redis.call, 'incr', 's') return e",
            "local ok, e = pcall(redis.call, 'incr', 's') return type(e)",
            "local ok, e = pcall(redis.call, 'nosuch') error(e)",
            "local ok, e = pcall(function() error('z') end) return e",
            "local ok, e = pcall(redis.log) return e",
            "return pcall(error, {err='x'})",
            "return redis.log(1)",
            "return redis.log(99, 'x')",
            "return redis.log(redis.LOG_WARNING)",
            "return redis.sha1hex()",
            "return redis.set_repl(9)",
            "return redis.set_repl()",
            "return redis.setresp(1, 2)",
        ],
    ));
    diff(&[case(
        "numkeys",
        &[
            &["EVAL", "return 1", "5"],
            &["EVAL", "return 1", "-1"],
            &["EVAL", "return 1", "abc"],
            &["EVAL", "return 1"],
            &["EVALSHA", "ffffffffffffffffffffffffffffffffffffffff", "0"],
            &["EVALSHA", "abc", "0"],
            &[
                "EVALSHA_RO",
                "ffffffffffffffffffffffffffffffffffffffff",
                "0",
            ],
        ],
    )]);
}

/// The sandbox: which globals exist, what is read-only, `math.random`.
#[test]
fn sandbox() {
    let mut scripts: Vec<String> = [
        "os",
        "print",
        "loadstring",
        "dofile",
        "loadfile",
        "require",
        "module",
        "setfenv",
        "getfenv",
        "io",
        "debug",
        "coroutine",
        "newproxy",
        "gcinfo",
        "collectgarbage",
        "unpack",
        "_G",
        "string",
        "table",
        "math",
        "rawget",
        "rawset",
        "select",
        "tostring",
        "tonumber",
        "pcall",
        "xpcall",
        "error",
        "assert",
        "next",
        "pairs",
        "ipairs",
        "type",
        "setmetatable",
        "getmetatable",
        "rawequal",
        "_VERSION",
        "load",
        "package",
        "__redis__err__handler",
    ]
    .iter()
    .map(|g| format!("return type({g})"))
    .collect();
    scripts.extend(
        [
            "rawset(_G, 'x', 1) return x",
            "string.x = 1",
            "redis.x = 1",
            "KEYS = 1",
            "KEYS[1] = 'z' return KEYS[1]",
            "setmetatable(_G, nil) return 1",
            "return _VERSION",
            "return loadstring('return 1')()",
            "return loadstring('x y')",
            "local f = loadstring('return x') return f()",
            "local f = loadstring('y = 1') return f()",
            "return getmetatable('').__index == string",
            "return ('x'):rep(3)",
            "return math.random(1000)",
            "return {math.random(1000), math.random(10, 20), math.floor(math.random() * 100)}",
            "math.randomseed(5) return math.random(1000)",
            "return math.random(0)",
            "return math.random(5, 1)",
            "return math.random('x')",
            "return math.random(1, 2, 3)",
            "return math.random({})",
            "return string.format('%d %s %5.2f', 3, 'x', 1.5)",
            "return table.concat({1, 2}, ',')",
            "return select('#', unpack({1, 2, 3}))",
            "return tostring(1e15)",
            "local t = setmetatable({}, {__index = function() return 1 end}) return t.x",
            "return {redis.REDIS_VERSION, redis.REDIS_VERSION_NUM}",
            "return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}",
            "return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL}",
            "return redis.sha1hex('')",
            "return redis.sha1hex(12)",
            "return redis.replicate_commands()",
            "return redis.breakpoint()",
            "return redis.debug('x')",
            "return redis.log(redis.LOG_WARNING, 'from', 'a script')",
            "return {KEYS[1], ARGV[1]}",
            "return #KEYS + #ARGV",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    let scripts: Vec<&str> = scripts.iter().map(String::as_str).collect();
    diff(&eval_cases("sandbox", &[], &scripts));
    diff(&[case(
        "keys and argv",
        &[
            &[
                "EVAL",
                "return {KEYS[1], KEYS[2], ARGV[1], ARGV[2], #KEYS, #ARGV}",
                "2",
                "k1",
                "k2",
                "a1",
                "a2",
            ],
            &["EVAL", "return {#KEYS, ARGV[1]}", "0", "only-arg"],
            // A script may touch keys it did not declare.
            &[
                "EVAL",
                "redis.call('set', 'undeclared', 1) return redis.call('get', 'undeclared')",
                "0",
            ],
        ],
    )]);
}

/// SCRIPT LOAD / EXISTS / FLUSH / KILL / HELP / DEBUG and EVALSHA.
#[test]
fn script_management() {
    diff(&[case(
        "script",
        &[
            &["SCRIPT", "LOAD", "return 'loaded'"],
            &["EVALSHA", "b534286061d4b9e4026607613b95c06c06015ae8", "0"],
            &["EVALSHA", "B534286061D4B9E4026607613B95C06C06015AE8", "0"],
            &[
                "EVALSHA_RO",
                "b534286061d4b9e4026607613b95c06c06015ae8",
                "0",
            ],
            &[
                "SCRIPT",
                "EXISTS",
                "b534286061d4b9e4026607613b95c06c06015ae8",
                "ffff",
                "B534286061D4B9E4026607613B95C06C06015AE8",
            ],
            &["EVAL", "return 2", "0"],
            &[
                "SCRIPT",
                "EXISTS",
                "7f923f79fe76194c868d7e1d0820de36700eb649",
            ],
            &["SCRIPT", "LOAD", "syntax error"],
            &["SCRIPT", "LOAD", "#!lua flags=bogus\nreturn 1"],
            &["SCRIPT", "LOAD"],
            &["SCRIPT", "FLUSH", "bad"],
            &["SCRIPT", "FLUSH", "sync", "x"],
            &["SCRIPT", "FLUSH", "ASYNC"],
            &[
                "SCRIPT",
                "EXISTS",
                "b534286061d4b9e4026607613b95c06c06015ae8",
            ],
            &["SCRIPT", "LOAD", "return 'loaded'"],
            &["SCRIPT", "FLUSH"],
            &["SCRIPT", "FLUSH", "SYNC"],
            &["EVALSHA", "b534286061d4b9e4026607613b95c06c06015ae8", "0"],
            &["SCRIPT", "KILL"],
            &["SCRIPT", "HELP"],
            &["SCRIPT", "DEBUG", "foo"],
            &["SCRIPT", "DEBUG", "no"],
            &["SCRIPT", "NOSUCH"],
            &["SCRIPT"],
            &["INFO", "keyspace"],
        ],
    )]);
}

/// Shebang flags, read-only scripts, EVAL_RO and SELECT inside scripts.
#[test]
fn flags_and_read_only() {
    diff(&[
        case("shebang", &[
            &["FLUSHALL"],
            &["EVAL", "#!lua\nreturn 1", "0"],
            &["EVAL", "#!lua flags=no-writes\nreturn redis.call('get', 'a')", "0"],
            &["EVAL", "#!lua flags=no-writes\nreturn redis.call('set', 'a', 'b')", "0"],
            &["EVAL", "#!lua flags=allow-oom,allow-stale,no-cluster,allow-cross-slot-keys\nreturn 1", "0"],
            &["EVAL", "#!lua flags=\nreturn 1", "0"],
            &["EVAL", "#!lua flags=bogus\nreturn 1", "0"],
            &["EVAL", "#!lua flags=no-writes,,allow-oom\nreturn 1", "0"],
            &["EVAL", "#!lua name=x\nreturn 1", "0"],
            &["EVAL", "#!luax\nreturn 1", "0"],
            &["EVAL", "#!lua", "0"],
            &["EVAL", "#!lua flags=no-writes\n\nerror('line three')", "0"],
            &["EVAL_RO", "#!lua\nreturn 1", "0"],
            &["EVAL_RO", "#!lua flags=no-writes\nreturn 1", "0"],
        ]),
        case("read-only", &[
            &["FLUSHALL"],
            &["SET", "k", "v"],
            &["EVAL_RO", "return redis.call('get', KEYS[1])", "1", "k"],
            &["EVAL_RO", "return redis.call('set', KEYS[1], 'x')", "1", "k"],
            &["EVAL_RO", "return redis.pcall('del', KEYS[1])", "1", "k"],
            &["GET", "k"],
        ]),
        case("select", &[
            &["FLUSHALL"],
            &["EVAL", "redis.call('select', 3) redis.call('set', 'in3', 1) return redis.call('dbsize')", "0"],
            &["DBSIZE"],
            &["SELECT", "3"],
            &["GET", "in3"],
            &["EVAL", "return redis.call('get', 'in3')", "0"],
            &["EVAL", "return redis.call('select', 99)", "0"],
            &["SELECT", "0"],
            &["EVAL", "return redis.call('get', 'in3')", "0"],
        ]),
        case("out of memory", &[
            &["FLUSHALL"],
            &["CONFIG", "SET", "maxmemory", "1"],
            &["EVAL", "return redis.call('set', 'a', 'b')", "0"],
            &["EVAL", "return redis.pcall('set', 'a', 'b')", "0"],
            &["EVAL", "return redis.call('get', 'a')", "0"],
            &["EVAL", "redis.call('del', 'zz') return redis.call('set', 'a', 'b')", "0"],
            &["EVAL", "#!lua\nreturn 1", "0"],
            &["EVAL", "#!lua flags=no-writes\nreturn 1", "0"],
            &["EVAL", "#!lua flags=allow-oom\nreturn redis.call('set', 'a', 'c')", "0"],
            &["EVAL_RO", "return redis.call('get', 'a')", "0"],
            &["CONFIG", "SET", "maxmemory", "0"],
        ]),
        case("flags of cached scripts", &[
            &["SCRIPT", "FLUSH"],
            &["SCRIPT", "LOAD", "return 3"],
            &["CONFIG", "SET", "maxmemory", "1"],
            &["EVALSHA", "09d3822de862f46d784e6a36848b4f0736dda47a", "0"],
            &["CONFIG", "SET", "maxmemory", "0"],
            &["SCRIPT", "LOAD", "#!lua\nreturn 1"],
            &["SCRIPT", "LOAD", "#!lua flags=no-writes\nreturn 2"],
            &["CONFIG", "SET", "maxmemory", "1"],
            &["EVALSHA", "09d3822de862f46d784e6a36848b4f0736dda47a", "0"],
            &["EVALSHA", "cb70127618f0b0be70c53cf6bfcfa54a29d9b0c0", "0"],
            &["EVALSHA", "CB70127618F0B0BE70C53CF6BFCFA54A29D9B0C0", "0"],
            &["EVALSHA", "ae33f9227913b24d053a555637f98260b23bd3a3", "0"],
            &["EVALSHA_RO", "cb70127618f0b0be70c53cf6bfcfa54a29d9b0c0", "0"],
            &["CONFIG", "SET", "maxmemory", "0"],
            &["SCRIPT", "FLUSH"],
            &["CONFIG", "SET", "maxmemory", "1"],
            &["EVALSHA", "cb70127618f0b0be70c53cf6bfcfa54a29d9b0c0", "0"],
            &["CONFIG", "SET", "maxmemory", "0"],
        ]),
        case("paused writes", &[
            &["CLIENT", "PAUSE", "300", "WRITE"],
            &["EVAL_RO", "return redis.call('get', 'a')", "0"],
            &["EVAL", "#!lua flags=no-writes\nreturn 1", "0"],
            &["EVALSHA_RO", "ffffffffffffffffffffffffffffffffffffffff", "0"],
            &["CLIENT", "UNPAUSE"],
        ]),
        case("in a transaction", &[
            &["FLUSHALL"],
            &["MULTI"],
            &["EVAL", "return redis.call('incr', 'n')", "0"],
            &["EVAL", "return redis.call('nosuch')", "0"],
            &["EXEC"],
        ]),
    ]);
}

/// INFO commandstats and errorstats after scripts that fail in each way,
/// without the timings.
#[test]
fn statistics() {
    fn stats(r: &Reply) -> String {
        let text = r.text();
        let mut lines: Vec<String> = text
            .lines()
            .filter(|l| l.starts_with("cmdstat_") || l.starts_with("errorstat_"))
            .filter(|l| !l.starts_with("cmdstat_config") && !l.starts_with("cmdstat_info"))
            .map(|l| {
                l.split(',')
                    .filter(|f| !f.starts_with("usec"))
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect();
        lines.sort();
        lines.join("\n")
    }
    let scripts = [
        "return redis.call('nosuch')",
        "return redis.call('incr', 's')",
        "return redis.pcall('incr', 's')",
        "return {redis.pcall('incr', 's'), 1}",
        "return {err='x'}",
        "return redis.error_reply('My err')",
        "return {{err='A b'}, {err='C d'}}",
        "error('x')",
        "local ok, e = pcall(redis.call, 'incr', 's') return e",
        "return redis.call('get')",
        "return redis.call('set', {}, 1)",
        "syntax error",
        "redis.call('set', 'k', 1) return redis.call('get', 'k')",
    ];
    let mut cases = Vec::new();
    for s in scripts {
        cases.push(
            Case::new(&format!("stats: {s}"))
                .cmd(&["SET", "s", "x"])
                .cmd(&["CONFIG", "RESETSTAT"])
                .cmd_bytes(&eval(s))
                .masked(Mask::Custom(stats), &["INFO", "commandstats"])
                .masked(Mask::Custom(stats), &["INFO", "errorstats"]),
        );
    }
    cases.push(
        Case::new("stats: scripts in a transaction")
            .cmd(&["SET", "s", "x"])
            .cmd(&["CONFIG", "RESETSTAT"])
            .cmd(&["MULTI"])
            .cmd(&["EVAL", "return {err='x'}", "0"])
            .cmd(&["EVAL", "return redis.pcall('incr', 's')", "0"])
            .cmd(&["EVAL", "return redis.call('incr', 's')", "0"])
            .cmd(&["EXEC"])
            .masked(Mask::Custom(stats), &["INFO", "commandstats"])
            .masked(Mask::Custom(stats), &["INFO", "errorstats"]),
    );
    cases.push(
        Case::new("stats: shebang scripts refused for memory")
            .cmd(&["CONFIG", "RESETSTAT"])
            .cmd(&["CONFIG", "SET", "maxmemory", "1"])
            .cmd(&["EVAL", "#!lua\nreturn 1", "0"])
            .cmd(&["EVAL", "#!lua flags=no-writes\nreturn 1", "0"])
            .cmd(&["CONFIG", "SET", "maxmemory", "0"])
            .masked(Mask::Custom(stats), &["INFO", "commandstats"])
            .masked(Mask::Custom(stats), &["INFO", "errorstats"]),
    );
    diff(&cases);
}

/// The server's incremental AOF files, oldest first, as one text.
fn incremental_aof(srv: &Server) -> String {
    let dir = srv.dir().join("appendonlydir");
    let mut incr: Vec<_> = std::fs::read_dir(&dir)
        .expect("aof dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".incr.aof"))
        .collect();
    incr.sort();
    incr.iter()
        .map(|p| String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned())
        .collect()
}

/// What scripts write to the AOF: the commands they ran, in MULTI/EXEC
/// when more than one, nothing for a script that wrote nothing.
#[test]
fn effects_in_the_aof() {
    let mut pair = Pair::start_with(&["--appendonly", "yes", "--appendfsync", "always"]);
    pair.scenario("what scripts write", |srv, t| {
        let mut c = srv.conn();
        let scripts: &[&[&str]] = &[
            &["EVAL", "return redis.call('get', 'a')", "0"],
            &["EVAL", "return redis.call('set', KEYS[1], ARGV[1])", "1", "k", "v"],
            &["EVAL", "redis.call('set', 'a', '1') redis.call('incr', 'a') return 1", "0"],
            &["EVAL", "redis.call('select', 2) redis.call('set', 'x', 'y') redis.call('select', 0) redis.call('del', 'k')", "0"],
            &["EVAL", "redis.call('incrbyfloat', 'f', '1.5') redis.call('get', 'f')", "0"],
            &["EVAL", "redis.call('set', 'e', '1', 'ex', '100') return 1", "0"],
            &["EVAL", "redis.set_repl(redis.REPL_NONE) redis.call('set', 'hidden', '1') redis.set_repl(redis.REPL_ALL) redis.call('set', 'shown', '1')", "0"],
            &["EVAL", "redis.call('set', 'before', '1') redis.call('nosuch')", "0"],
            &["EVAL", "redis.call('del', 'nothing')", "0"],
            &["SET", "plain", "1"],
        ];
        for cmd in scripts {
            t.call(&mut c, cmd);
        }
        // The PXAT deadline differs between the servers.
        let aof = incremental_aof(srv);
        let aof: String = aof
            .lines()
            .map(|l| if l.len() == 13 && l.bytes().all(|b| b.is_ascii_digit()) { "<ms>" } else { l })
            .collect::<Vec<_>>()
            .join("\n");
        t.note("aof", aof);
    });
}

/// Reads replies until one is not BUSY... or the time is up.
fn wait_busy(c: &mut Conn) -> Vec<u8> {
    let until = Instant::now() + Duration::from_secs(5);
    loop {
        let r = c.call(&["PING"]);
        if r.starts_with(b"-BUSY") || Instant::now() > until {
            return r;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A script past busy-reply-threshold: another client gets BUSY, SCRIPT
/// KILL stops a script that wrote nothing, UNKILLABLE one that wrote,
/// SHUTDOWN NOSAVE stops the server.
#[test]
fn busy_scripts() {
    let mut pair = Pair::start();
    pair.scenario("busy", |srv, t| {
        let mut admin = srv.conn();
        t.call(
            &mut admin,
            &["CONFIG", "SET", "busy-reply-threshold", "100"],
        );
        let mut runner = srv.conn();
        runner.send_raw(&encode_cmd(&[
            "EVAL",
            "local i = 0 while true do i = i + 1 end",
            "0",
        ]));
        let busy = wait_busy(&mut admin);
        t.reply("PING while busy", Mask::Exact, &busy);
        t.call(&mut admin, &["GET", "x"]);
        t.call(&mut admin, &["EVAL", "return 1", "0"]);
        t.call(&mut admin, &["SHUTDOWN"]);
        t.call(&mut admin, &["SCRIPT", "KILL"]);
        let killed = runner.read_reply();
        t.reply("the killed script", Mask::Exact, &killed);
        t.call(&mut admin, &["PING"]);
        t.call(&mut runner, &["PING"]);
        t.call(&mut admin, &["SCRIPT", "KILL"]);

        runner.send_raw(&encode_cmd(&[
            "EVAL",
            "redis.call('set', 'w', '1') while true do end",
            "0",
        ]));
        let busy = wait_busy(&mut admin);
        t.reply("PING while busy", Mask::Exact, &busy);
        t.call(&mut admin, &["SCRIPT", "KILL"]);
        t.call(&mut admin, &["SHUTDOWN"]);
        admin.send_raw(&encode_cmd(&["SHUTDOWN", "NOSAVE"]));
        t.note("shutdown nosave", admin.close_state(Duration::from_secs(5)));
        t.note(
            "the script's caller",
            runner.close_state(Duration::from_secs(5)),
        );
        t.note("exit", srv.wait_exit().code());
    });
}

/// The `redis` crate's `Script`: EVALSHA first, EVAL when the server
/// answers NOSCRIPT (after SCRIPT FLUSH), errors as the crate reports them.
#[test]
fn redis_crate_script() {
    on_both(&[], |srv| {
        let client = redis::Client::open(format!("redis://127.0.0.1:{}/", srv.port)).unwrap();
        let mut con = client.get_connection().unwrap();
        let script = redis::Script::new("return redis.call('INCRBY', KEYS[1], ARGV[1])");
        let first: i64 = script.key("n").arg(5).invoke(&mut con).unwrap();
        assert_eq!(first, 5);
        let _: () = redis::cmd("SCRIPT").arg("FLUSH").query(&mut con).unwrap();
        let again: i64 = script.key("n").arg(2).invoke(&mut con).unwrap();
        assert_eq!(again, 7);
        let exists: Vec<bool> = redis::cmd("SCRIPT")
            .arg("EXISTS")
            .arg(script.get_hash())
            .query(&mut con)
            .unwrap();
        assert_eq!(exists, [true]);
        let _: () = redis::cmd("SET")
            .arg("text")
            .arg("abc")
            .query(&mut con)
            .unwrap();
        let err = script
            .key("text")
            .arg(1)
            .invoke::<i64>(&mut con)
            .unwrap_err();
        assert_eq!(err.code(), Some("ERR"), "{err}");
        let table = redis::Script::new("return {KEYS[1], ARGV[1], tonumber(ARGV[2]) + 1}");
        let got: (String, String, i64) = table.key("k").arg("a").arg(41).invoke(&mut con).unwrap();
        assert_eq!(got, ("k".into(), "a".into(), 42));
    });
}

/// SLOWLOG lists a script's commands after EVAL, from the client `?:0`.
#[test]
fn slowlog_of_scripts() {
    fn entries(r: &Reply) -> String {
        r.items()
            .iter()
            .map(|e| {
                let items = e.items();
                let args: Vec<String> = items
                    .get(3)
                    .map_or(&[][..], Reply::items)
                    .iter()
                    .map(Reply::text)
                    .collect();
                let addr = items.get(4).map(Reply::text).unwrap_or_default();
                let addr = if addr.starts_with("127.0.0.1:") {
                    "<caller>".into()
                } else {
                    addr
                };
                format!("{args:?} {addr}")
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
    diff(&[Case::new("slowlog")
        .cmd(&["CONFIG", "SET", "slowlog-log-slower-than", "0"])
        .cmd(&["SLOWLOG", "RESET"])
        .cmd(&[
            "EVAL",
            "redis.call('set', 'a', '1') return redis.call('get', 'a')",
            "0",
        ])
        .masked(Mask::Custom(entries), &["SLOWLOG", "GET", "10"])]);
}
