//! Functions, differentially against redis-server 7.0: FUNCTION LOAD and
//! every error of a library's first line and body, LIST/STATS/DUMP/
//! RESTORE/DELETE/FLUSH replies in RESP2 and RESP3, DUMP payload bytes,
//! and persistence: RDB files both ways (a Redis file with a library loads
//! here and ours loads there), DEBUG RELOAD, AOF rewrite in both base
//! forms and the propagation of FUNCTION commands.
//!
//! Redis lists libraries and functions in hash-table order, random per
//! process, so replies listing several are compared one library at a time
//! (LIBRARYNAME) or as multisets.

use std::fs;
use std::time::Duration;

use crate::util::server::{temp_dir, Builder, Flavor};
use crate::util::*;

/// `#!lua name=<lib>` with one function `<f>` returning its first key and
/// argument.
fn lib(name: &str, f: &str) -> String {
    format!("#!lua name={name}\nredis.register_function('{f}', function(keys, args) return {{keys[1], args[1]}} end)\n")
}

/// A library body after `#!lua name=x\n`.
fn body(code: &str) -> String {
    format!("#!lua name=x\n{code}")
}

/// Replies to HELLO differ only in the connection id.
const HELLO: Mask = Mask::Pairs(&["id"]);

#[test]
fn load_errors() {
    let register = |args: &str| body(&format!("redis.register_function({args})"));
    let bodies = [
        body("return 1"),
        register("'f-1', function() end"),
        register("'', function() end"),
        register("nil, function() end"),
        register("'f'"),
        register("'f', 5"),
        register("'f', function() end, 'extra'"),
        register("{}"),
        register("{function_name='f'}"),
        register("{callback=function() end}"),
        register("{function_name='f', callback=function() end, flags='no-writes'}"),
        register("{function_name='f', callback=function() end, flags={5}}"),
        register("{function_name='f', callback=function() end, flags={'foo'}}"),
        register("{function_name='f', callback=function() end, description=5}"),
        register("{function_name=true, callback=function() end}"),
        register("{function_name='f', callback=5}"),
        register("{function_name='f', callback=function() end, extra=1}"),
        register("{[1]='f', callback=function() end}"),
        register("{[true]='f', callback=function() end}"),
        body("redis.call('set', 'a', 'b')"),
        body("redis.pcall('ping')"),
        body("redis.setresp(3)"),
        body("redis.sha1hex('x')"),
        body("x = 5"),
        body("redis.x = 5"),
        body("string.len('x')"),
        body("return pairs"),
        body("local x = (("),
        body("error('boom')"),
        body("nosuch()"),
        body("redis.log(redis.LOG_WARNING)"),
        body("redis.log('x', 'y')"),
        body("redis.log(7, 'y')"),
        body("redis.register_function(redis.REDIS_VERSION_NUM, function() end)"),
        body("redis.register_function('v' .. redis.LOG_NOTICE, function() end)"),
        register("'f\\0x', function() end"),
        body("while true do end"),
    ];
    let mut cases = vec![Case::new("first line")
        .cmd(&["FUNCTION", "LOAD", "return 1"])
        .cmd(&["FUNCTION", "LOAD", "#!lua name=x"])
        .cmd(&["FUNCTION", "LOAD", "#!lua\nreturn 1"])
        .cmd(&["FUNCTION", "LOAD", "#!foo name=x\nreturn 1"])
        .cmd(&["FUNCTION", "LOAD", "#!foo name=a-b\nreturn 1"])
        .cmd(&["FUNCTION", "LOAD", "#!lua name=a-b\nreturn 1"])
        .cmd(&["FUNCTION", "LOAD", "#!lua name=\nreturn 1"])
        .cmd(&["FUNCTION", "LOAD", "#!lua name=\"a\nreturn 1"])
        .cmd(&["FUNCTION", "LOAD", "#!lua foo=bar name=q\nreturn 1"])
        .cmd(&["FUNCTION", "LOAD", "#!lua name=q foo\nreturn 1"])
        .cmd(&["FUNCTION", "LOAD", "#!lua name=y name=z\nreturn 1"])
        .cmd(&["FUNCTION", "LOAD", "#!LUA NAME=q\nreturn 1"])
        .cmd(&["FUNCTION", "LOAD", "replace"])
        .cmd(&["FUNCTION", "LOAD", "foo", "bar"])
        .cmd(&["FUNCTION", "LOAD", "replace", "replace", "bar"])
        .cmd(&["FUNCTION", "LOAD"])
        .cmd(&["FUNCTION", "LIST"])];
    // Each body names its own library, so one that loads does not turn
    // the next into "already exists".
    let mut b = Case::new("bodies");
    for (i, code) in bodies.iter().enumerate() {
        let code = code.replacen("name=x", &format!("name=x{i}"), 1);
        b = b.cmd(&["FUNCTION", "LOAD", &code]);
    }
    b = b
        .masked(Mask::Unordered, &["FUNCTION", "LIST"])
        .cmd(&["FUNCTION", "FLUSH"]);
    cases.push(b);
    diff(&cases);
}

#[test]
fn load_replace_delete_list() {
    let f = lib("lib", "f");
    let f2 = lib("lib", "g");
    let other = lib("other", "F");
    let flagged = "#!lua name=flagged\nredis.register_function{function_name='h', callback=function() return 1 end, flags={'no-writes', 'ALLOW-OOM', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys', 'no-writes'}, description='does\\0things'}";
    let numbered = body("redis.register_function(5, function() end)");
    let cases = [
        Case::new("load")
            .cmd(&["FUNCTION", "LOAD", &f])
            .cmd(&["FUNCTION", "LOAD", &f])
            .cmd(&["FUNCTION", "LOAD", &other])
            .cmd(&["FUNCTION", "LOAD", "REPLACE", &f2])
            .cmd(&["FUNCTION", "LOAD", "REPLACE", &body("error('x')")])
            .cmd(&["FUNCTION", "LIST"])
            .cmd(&["FUNCTION", "LOAD", "replace", &other])
            .cmd(&["FUNCTION", "LOAD", flagged])
            .cmd(&["FUNCTION", "LOAD", &numbered]),
        Case::new("list")
            .cmd(&["FUNCTION", "LIST", "LIBRARYNAME", "flagged"])
            .cmd(&["FUNCTION", "LIST", "libraryname", "FLAG*", "withcode"])
            .cmd(&["FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "l?b"])
            .cmd(&["FUNCTION", "LIST", "LIBRARYNAME", "nomatch"])
            .cmd(&["FUNCTION", "LIST", "LIBRARYNAME", "x"])
            .cmd(&["FUNCTION", "LIST", "LIBRARYNAME"])
            .cmd(&["FUNCTION", "LIST", "foo"])
            .cmd(&["FUNCTION", "LIST", "withcode", "withcode"])
            .cmd(&["FUNCTION", "LIST", "libraryname", "a", "libraryname", "b"])
            .masked(Mask::Unordered, &["FUNCTION", "LIST"])
            .cmd(&["FUNCTION", "STATS"])
            .cmd(&["FUNCTION", "STATS", "x"]),
        Case::new("resp3")
            .masked(HELLO, &["HELLO", "3"])
            .cmd(&["FUNCTION", "LIST", "LIBRARYNAME", "flagged", "WITHCODE"])
            .cmd(&["FUNCTION", "LIST", "LIBRARYNAME", "lib"])
            .cmd(&["FUNCTION", "STATS"]),
        Case::new("delete and flush")
            .cmd(&["FUNCTION", "DELETE", "nosuch"])
            .cmd(&["FUNCTION", "DELETE", "LIB"])
            .cmd(&["FUNCTION", "DELETE", "lib"])
            .cmd(&["FUNCTION", "DELETE", "lib"])
            .cmd(&["FUNCTION", "DELETE"])
            .cmd(&["FUNCTION", "DELETE", "a", "b"])
            .cmd(&["FUNCTION", "LOAD", &f])
            .cmd(&["FUNCTION", "FLUSH", "foo"])
            .cmd(&["FUNCTION", "FLUSH", "async", "sync"])
            .cmd(&["FUNCTION", "FLUSH", "ASYNC"])
            .cmd(&["FUNCTION", "STATS"])
            .cmd(&["FUNCTION", "LOAD", &f])
            .cmd(&["FUNCTION", "FLUSH", "sync"])
            .cmd(&["FUNCTION", "FLUSH"])
            .cmd(&["FUNCTION", "LIST"]),
        Case::new("others")
            .cmd(&["FUNCTION", "KILL"])
            .cmd(&["FUNCTION", "KILL", "x"])
            .cmd(&["FUNCTION", "HELP"])
            .cmd(&["FUNCTION", "help", "x"])
            .cmd(&["FUNCTION", "NOSUCH"])
            .cmd(&["FUNCTION"])
            // Subcommands are listed in hash-table order by Redis.
            .masked(Mask::Type, &["COMMAND", "INFO", "FUNCTION"]),
    ];
    let mut docs = Case::new("command docs");
    for sub in [
        "delete", "dump", "flush", "help", "kill", "list", "load", "restore", "stats",
    ] {
        let name = format!("function|{sub}");
        docs = docs
            .cmd(&["COMMAND", "INFO", &name])
            .cmd(&["COMMAND", "DOCS", &name]);
    }
    let cases: Vec<Case> = cases.into_iter().chain([docs]).collect();
    diff(&cases);
}

#[test]
fn dump_and_restore() {
    let f = lib("lib", "f");
    let long = format!(
        "#!lua name=long\nredis.register_function('long', function() return '{}' end)",
        "ab".repeat(100)
    );
    // A payload is the FUNCTION2 entries, then the RDB version and CRC-64.
    let sealed = |body: &[u8]| {
        let mut p = body.to_vec();
        p.extend_from_slice(&10u16.to_le_bytes());
        p.extend_from_slice(&crc64(&p).to_le_bytes());
        p
    };
    let mut two = vec![0xf5, f.len() as u8];
    two.extend_from_slice(f.as_bytes());
    two.extend_from_slice(&two.clone());
    let bad_code = sealed(b"\xf5\x08return 1");
    let not_function = sealed(b"\x00\x01k\x01v");
    let pre_ga = sealed(b"\xf6\x01x");
    // Redis 7.0's release candidates saved name, engine, description and
    // the code without its first line.
    let mut rc = b"\xf6\x02rc\x03LUA\x01\x04desc".to_vec();
    let rc_body = b"\nredis.register_function('rcf', function() return 'rc' end)";
    rc.push(rc_body.len() as u8);
    rc.extend_from_slice(rc_body);
    let rc_no_desc = sealed(&[&rc[..8], b"\x00", &rc[14..]].concat());
    let rc = sealed(&rc);
    let cut = sealed(b"\xf5\x82");
    let cases = [
        Case::new("empty")
            .cmd(&["FUNCTION", "DUMP"])
            .cmd(&["FUNCTION", "DUMP", "x"]),
        Case::new("bytes")
            .cmd(&["FUNCTION", "LOAD", &f])
            .cmd(&["FUNCTION", "DUMP"])
            .cmd(&["FUNCTION", "FLUSH"])
            .cmd(&["FUNCTION", "LOAD", &long])
            .cmd(&["FUNCTION", "DUMP"])
            .cmd(&["CONFIG", "SET", "rdbcompression", "no"])
            .cmd(&["FUNCTION", "DUMP"])
            .cmd(&["CONFIG", "SET", "rdbcompression", "yes"]),
        Case::new("errors")
            .cmd(&["FUNCTION", "RESTORE"])
            .cmd(&["FUNCTION", "RESTORE", "abc"])
            .cmd(&["FUNCTION", "RESTORE", "abc", "foo"])
            .cmd(&["FUNCTION", "RESTORE", "abc", "flush", "x"])
            .cmd_bytes(&[&b"FUNCTION"[..], b"RESTORE", bad_code.as_slice()])
            .cmd_bytes(&[&b"FUNCTION"[..], b"RESTORE", not_function.as_slice()])
            .cmd_bytes(&[&b"FUNCTION"[..], b"RESTORE", pre_ga.as_slice()])
            .cmd_bytes(&[&b"FUNCTION"[..], b"RESTORE", cut.as_slice()])
            // Redis lists several libraries in hash order: one at a time.
            .cmd(&["FUNCTION", "DELETE", "long"])
            .cmd_bytes(&[&b"FUNCTION"[..], b"RESTORE", rc.as_slice()])
            .cmd(&["FUNCTION", "LIST", "WITHCODE"])
            .cmd(&["FUNCTION", "DUMP"])
            .cmd_bytes(&[
                &b"FUNCTION"[..],
                b"RESTORE",
                rc_no_desc.as_slice(),
                b"REPLACE",
            ])
            .cmd(&["FUNCTION", "DELETE", "rc"])
            .cmd_bytes(&[
                &b"FUNCTION"[..],
                b"RESTORE",
                sealed(&two).as_slice(),
                b"FLUSH",
            ])
            .cmd(&["FUNCTION", "LIST", "LIBRARYNAME", "long"]),
    ];
    diff(&cases);
    // Policies, with payloads each server dumped itself.
    let mut pair = Pair::start();
    let other = lib("other", "g");
    let clash = lib("clash", "f");
    pair.scenario("restore policies", |s, t| {
        let mut c = s.conn();
        c.call(&["FUNCTION", "LOAD", &f]);
        let one = c
            .call_parsed(&["FUNCTION", "DUMP"])
            .bytes()
            .unwrap()
            .to_vec();
        c.call(&["FUNCTION", "FLUSH"]);
        c.call(&["FUNCTION", "LOAD", &clash]);
        let clashing = c
            .call_parsed(&["FUNCTION", "DUMP"])
            .bytes()
            .unwrap()
            .to_vec();
        c.call(&["FUNCTION", "FLUSH"]);
        let restore = |c: &mut Conn, t: &mut Transcript, payload: &[u8], policy: &[u8]| {
            let mut args: Vec<&[u8]> = vec![b"FUNCTION", b"RESTORE", payload];
            if !policy.is_empty() {
                args.push(policy);
            }
            let raw = c.call(&args);
            t.reply(
                &format!("RESTORE {}", String::from_utf8_lossy(policy)),
                Mask::Exact,
                &raw,
            );
        };
        restore(&mut c, t, &one, b"");
        t.call(&mut c, &["FUNCTION", "LIST"]);
        restore(&mut c, t, &one, b"");
        restore(&mut c, t, &one, b"APPEND");
        restore(&mut c, t, &one, b"replace");
        restore(&mut c, t, &clashing, b"APPEND");
        restore(&mut c, t, &clashing, b"REPLACE");
        t.call(&mut c, &["FUNCTION", "LOAD", &other]);
        restore(&mut c, t, &clashing, b"FLUSH");
        t.call(&mut c, &["FUNCTION", "LIST"]);
        t.call(&mut c, &["FCALL", "f", "1", "k", "a"]);
        t.call(&mut c, &["FCALL", "g", "0"]);
        t.call(&mut c, &["FUNCTION", "FLUSH"]);
    });
    // The same library dumps to the same bytes on both, and each server
    // restores the other's payload.
    let (mut r, mut fc) = (pair.redis.conn(), pair.ferrodis.conn());
    for c in [&mut r, &mut fc] {
        c.call(&["FUNCTION", "LOAD", &f]);
    }
    let from_redis = r
        .call_parsed(&["FUNCTION", "DUMP"])
        .bytes()
        .unwrap()
        .to_vec();
    let from_ferrodis = fc
        .call_parsed(&["FUNCTION", "DUMP"])
        .bytes()
        .unwrap()
        .to_vec();
    assert_eq!(from_redis, from_ferrodis);
    for (c, payload) in [(&mut r, &from_ferrodis), (&mut fc, &from_redis)] {
        let args: [&[u8]; 4] = [b"FUNCTION", b"RESTORE", payload, b"FLUSH"];
        assert_eq!(c.call(&args), b"+OK\r\n");
        assert_eq!(
            c.call(&["FUNCTION", "LIST", "WITHCODE"]),
            r_list_withcode(&f)
        );
        assert_eq!(
            c.call(&["FCALL", "f", "1", "k", "a"]),
            b"*2\r\n$1\r\nk\r\n$1\r\na\r\n"
        );
    }
}

/// FUNCTION LIST WITHCODE of the one library [`lib`] builds for `lib`, `f`.
fn r_list_withcode(code: &str) -> Vec<u8> {
    format!(
        "*1\r\n*8\r\n$12\r\nlibrary_name\r\n$3\r\nlib\r\n$6\r\nengine\r\n$3\r\nLUA\r\n$9\r\nfunctions\r\n*1\r\n*6\r\n$4\r\nname\r\n$1\r\nf\r\n$11\r\ndescription\r\n$-1\r\n$5\r\nflags\r\n*0\r\n$12\r\nlibrary_code\r\n${}\r\n{code}\r\n",
        code.len()
    )
    .into_bytes()
}

/// Redis's CRC-64 (Jones), for payloads the tests build.
fn crc64(data: &[u8]) -> u64 {
    let mut crc = 0u64;
    for &b in data {
        crc ^= u64::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x95ac_9329_ac4b_c9b5
            } else {
                crc >> 1
            };
        }
    }
    crc
}

#[test]
fn info_fields() {
    let mut pair = Pair::start();
    let code = "#!lua name=m\nredis.register_function('f', function() return 1 end)\nredis.register_function{function_name='g', callback=function() return 1 end, description='some words'}";
    pair.scenario("info", |s, t| {
        let mut c = s.conn();
        let field = |c: &mut Conn, name: &str| {
            let info = c.call_parsed(&["INFO", "memory"]).text();
            info.lines()
                .find_map(|l| l.strip_prefix(&format!("{name}:")).map(str::to_string))
                .unwrap_or_default()
        };
        for step in ["empty", "loaded", "deleted", "flushed"] {
            match step {
                "loaded" => drop(c.call(&["FUNCTION", "LOAD", code])),
                "deleted" => drop(c.call(&["FUNCTION", "DELETE", "m"])),
                "flushed" => drop(c.call(&["FUNCTION", "FLUSH"])),
                _ => {}
            }
            for name in [
                "number_of_functions",
                "number_of_libraries",
                "used_memory_functions",
            ] {
                t.note(&format!("{step} {name}"), field(&mut c, name));
            }
            let stats = c.call_parsed(&["MEMORY", "STATS"]);
            let caches = stats.pairs().and_then(|pairs| {
                pairs
                    .into_iter()
                    .find(|(k, _)| k.text() == "functions.caches")
                    .and_then(|(_, v)| v.int())
            });
            t.note(&format!("{step} functions.caches"), caches);
        }
    });
}

/// Redis's RDB files with libraries load here and ours load there; FCALL
/// and FUNCTION LIST answer alike after.
#[test]
fn rdb_files_both_ways() {
    let code = lib("lib", "f");
    let flagged = "#!lua name=flagged\nredis.register_function{function_name='ro', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}, description='reads'}";
    crate::util::server::rdb_files_both_ways(
        "functions",
        |c| {
            assert_eq!(c.call(&["FUNCTION", "LOAD", &code]), b"$3\r\nlib\r\n");
            c.call(&["FUNCTION", "LOAD", flagged]);
            c.call(&["SET", "k", "v"]);
        },
        |c| {
            vec![
                c.call(&["FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "lib"]),
                c.call(&["FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "flagged"]),
                c.call(&["FCALL", "f", "1", "a", "b"]),
                c.call(&["FCALL_RO", "ro", "1", "k"]),
                c.call(&["DEBUG", "DIGEST"]),
            ]
        },
    );
}

/// DEBUG RELOAD keeps libraries (the file carries them); NOSAVE reloads
/// the last file, so a library loaded since is dropped; NOFLUSH without
/// MERGE meets the library already loaded.
#[test]
fn debug_reload() {
    let code = lib("lib", "f");
    let later = lib("later", "g");
    diff_with(
        &["--enable-debug-command", "yes"],
        &[Case::new("reload")
            .cmd(&["FUNCTION", "LOAD", &code])
            .cmd(&["DEBUG", "RELOAD"])
            .cmd(&["FUNCTION", "LIST"])
            .cmd(&["FUNCTION", "LOAD", &later])
            .cmd(&["DEBUG", "RELOAD", "NOSAVE"])
            .cmd(&["FUNCTION", "LIST"])
            .cmd(&["DEBUG", "RELOAD", "NOFLUSH"])
            .cmd(&["DEBUG", "RELOAD", "NOFLUSH", "MERGE"])
            .cmd(&["FUNCTION", "LIST"])],
    );
}

/// Waits for the first rewrite's base file in `dir` (sequence 2: start-up
/// wrote the first) to be listed in the manifest, and returns it.
fn rewritten_base(dir: &std::path::Path) -> Vec<u8> {
    let aof_dir = dir.join("appendonlydir");
    (0..200)
        .find_map(|_| {
            std::thread::sleep(Duration::from_millis(50));
            let manifest = fs::read_to_string(aof_dir.join("appendonly.aof.manifest")).ok()?;
            let name = manifest
                .split_whitespace()
                .find(|w| w.starts_with("appendonly.aof.2.base"))?;
            fs::read(aof_dir.join(name)).ok()
        })
        .expect("a rewritten base")
}

/// BGREWRITEAOF writes libraries into the base (RDB preamble or FUNCTION
/// LOAD commands, as Redis writes them), FUNCTION commands propagate to
/// the AOF verbatim, and a restart loads everything back.
#[test]
fn aof_rewrite_and_restart() {
    let code = lib("lib", "f");
    let other = lib("other", "g");
    for preamble in ["yes", "no"] {
        let mut bases = Vec::new();
        for flavor in [Flavor::Redis, Flavor::Ferrodis] {
            let dir = temp_dir(&format!("functions-aof-{preamble}"));
            let dir_arg = dir.to_string_lossy().to_string();
            let builder = Builder::new(flavor).args(&[
                "--dir",
                &dir_arg,
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--aof-use-rdb-preamble",
                preamble,
            ]);
            let server = builder.clone().start();
            let mut c = server.conn();
            c.call(&["FUNCTION", "LOAD", &code]);
            c.call(&["SET", "k", "v"]);
            assert_eq!(c.call(&["BGREWRITEAOF"]).first(), Some(&b'+'));
            let base = rewritten_base(&dir);
            if preamble == "no" {
                bases.push(base);
            }
            // Propagated after the rewrite, into the new incremental file.
            c.call(&["FUNCTION", "LOAD", &other]);
            c.call(&["FUNCTION", "DELETE", "lib"]);
            c.call(&["FUNCTION", "LOAD", &code]);
            c.call(&["FUNCTION", "FLUSH"]);
            c.call(&["FUNCTION", "LOAD", &other]);
            // The incremental file the manifest lists (the one before the
            // rewrite may linger a moment as history).
            let aof_dir = dir.join("appendonlydir");
            let manifest = fs::read_to_string(aof_dir.join("appendonly.aof.manifest")).unwrap();
            let name = manifest
                .split_whitespace()
                .find(|w| w.ends_with(".incr.aof"))
                .unwrap();
            let incr = fs::read(aof_dir.join(name)).unwrap();
            let incr = String::from_utf8_lossy(&incr).to_string();
            assert_eq!(
                incr.matches("$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n").count(),
                3,
                "{incr}"
            );
            assert!(
                incr.contains("$8\r\nFUNCTION\r\n$6\r\nDELETE\r\n$3\r\nlib\r\n"),
                "{incr}"
            );
            assert!(
                incr.contains("*2\r\n$8\r\nFUNCTION\r\n$5\r\nFLUSH\r\n"),
                "{incr}"
            );
            drop(c);
            drop(server);
            let server = builder.start();
            let mut c = server.conn();
            assert_eq!(
                c.call(&["FUNCTION", "LIST"]),
                c_list_names(&["other"]),
                "{}",
                flavor.name()
            );
            assert_eq!(
                c.call(&["FCALL", "g", "1", "x", "y"]),
                b"*2\r\n$1\r\nx\r\n$1\r\ny\r\n"
            );
            assert_eq!(c.call(&["GET", "k"]), b"$1\r\nv\r\n");
            drop(c);
            drop(server);
            let _ = fs::remove_dir_all(&dir);
        }
        if let [redis, ours] = &bases[..] {
            assert_eq!(
                String::from_utf8_lossy(redis),
                String::from_utf8_lossy(ours)
            );
        }
    }
}

/// FUNCTION LIST of the [`lib`] libraries with these names, each with its
/// one function (named after [`aof_rewrite_and_restart`]'s libraries).
fn c_list_names(names: &[&str]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", names.len());
    for name in names {
        let f = if *name == "other" { "g" } else { "f" };
        out.push_str(&format!(
            "*6\r\n$12\r\nlibrary_name\r\n${}\r\n{name}\r\n$6\r\nengine\r\n$3\r\nLUA\r\n$9\r\nfunctions\r\n*1\r\n*6\r\n$4\r\nname\r\n$1\r\n{f}\r\n$11\r\ndescription\r\n$-1\r\n$5\r\nflags\r\n*0\r\n",
            name.len()
        ));
    }
    out.into_bytes()
}

/// A library exercising FCALL: keys and arguments, writes, reads, reply
/// conversions, errors raised in every way.
const CALLS: &str = r#"#!lua name=calls
redis.register_function('echo', function(keys, args) return {#keys, #args, keys, args} end)
redis.register_function('set', function(keys, args) return redis.call('SET', keys[1], args[1]) end)
redis.register_function{function_name='get', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}}
redis.register_function{function_name='sneaky', callback=function(keys) return redis.call('SET', keys[1], 'x') end, flags={'no-writes'}}
redis.register_function{function_name='oomok', callback=function(keys) return redis.call('SET', keys[1], 'x') end, flags={'allow-oom'}}
redis.register_function('types', function() return {1, 'two', 3.7, true, false, nil, {4, {5}}, {ok='fine'}, {err='ERR bad'}} end)
redis.register_function('status', function() return redis.status_reply('DONE') end)
redis.register_function('failure', function() return redis.error_reply('MYERR custom') end)
redis.register_function('boom', function() error('boom') end)
redis.register_function('nosuch', function() return undefined_thing end)
redis.register_function('global', function() x = 1 end)
redis.register_function('unknown', function() return redis.call('nosuchcommand') end)
redis.register_function('wrongtype', function(keys) return redis.call('LPUSH', keys[1], 'x') end)
redis.register_function('caught', function(keys) return redis.pcall('LPUSH', keys[1], 'x') end)
redis.register_function('resp3', function() redis.setresp(3) return redis.call('HGETALL', 'h') end)
redis.register_function('libs', function() return {string.rep('a', 3), type(redis.sha1hex), math.floor(2.5)} end)
redis.register_function('noscript', function() return redis.call('FCALL', 'echo', '0') end)
redis.register_function('two', function(keys) redis.call('SET', keys[1], '1') return redis.call('INCR', keys[1]) end)
"#;

#[test]
fn fcall() {
    let cases = [
        Case::new("load").cmd(&["FUNCTION", "LOAD", CALLS]),
        Case::new("keys and args")
            .cmd(&["FCALL", "echo", "0"])
            .cmd(&["FCALL", "echo", "2", "k1", "k2", "a1", "a2", "a3"])
            .cmd(&["FCALL", "ECHO", "1", "k"])
            .cmd(&["FCALL_RO", "get", "1", "k"])
            .cmd(&["FCALL", "set", "1", "k", "v"])
            .cmd(&["FCALL_RO", "get", "1", "k"])
            .cmd(&["FCALL", "get", "1", "k"])
            .cmd(&["FCALL", "two", "1", "counter"])
            .cmd(&["GET", "counter"]),
        Case::new("errors")
            .cmd(&["FCALL"])
            .cmd(&["FCALL", "echo"])
            .cmd(&["FCALL", "missing", "0"])
            .cmd(&["FCALL", "missing", "abc"])
            .cmd(&["FCALL", "echo", "abc"])
            .cmd(&["FCALL", "echo", "-1"])
            .cmd(&["FCALL", "echo", "2", "k"])
            .cmd(&["FCALL", "echo", "1.5", "k"])
            .cmd(&["FCALL_RO", "set", "1", "k", "v"])
            .cmd(&["FCALL_RO", "echo", "0"])
            .cmd(&["FCALL", "sneaky", "1", "k"])
            .cmd(&["FCALL", "boom", "0"])
            .cmd(&["FCALL", "nosuch", "0"])
            .cmd(&["FCALL", "global", "0"])
            .cmd(&["FCALL", "unknown", "0"])
            .cmd(&["RPUSH", "list", "a"])
            .cmd(&["SET", "str", "a"])
            .cmd(&["FCALL", "wrongtype", "1", "str"])
            .cmd(&["FCALL", "caught", "1", "str"])
            .cmd(&["FCALL", "noscript", "0"])
            .cmd(&["INFO", "errorstats"]),
        Case::new("replies")
            .cmd(&["FCALL", "types", "0"])
            .cmd(&["FCALL", "status", "0"])
            .cmd(&["FCALL", "failure", "0"])
            .cmd(&["FCALL", "libs", "0"])
            .cmd(&["HSET", "h", "f", "v"])
            .cmd(&["FCALL", "resp3", "0"]),
        Case::new("resp3")
            .masked(HELLO, &["HELLO", "3"])
            .cmd(&["FCALL", "types", "0"])
            .cmd(&["FCALL", "resp3", "0"])
            .cmd(&["FCALL", "echo", "1", "k", "a"]),
        Case::new("introspection")
            .cmd(&["COMMAND", "INFO", "fcall", "fcall_ro"])
            .cmd(&["COMMAND", "DOCS", "fcall", "fcall_ro"])
            .cmd(&["COMMAND", "GETKEYS", "FCALL", "echo", "2", "a", "b", "c"])
            .cmd(&["COMMAND", "GETKEYSANDFLAGS", "FCALL_RO", "get", "1", "a"])
            .cmd(&["COMMAND", "GETKEYS", "FCALL", "echo", "0"]),
        Case::new("in multi")
            .cmd(&["MULTI"])
            .cmd(&["FCALL", "set", "1", "m", "1"])
            .cmd(&["FCALL_RO", "get", "1", "m"])
            .cmd(&["EXEC"]),
        Case::new("oom")
            .cmd(&["CONFIG", "SET", "maxmemory", "1"])
            .cmd(&["FCALL", "set", "1", "k", "v"])
            .cmd(&["FCALL", "oomok", "1", "k"])
            .cmd(&["FCALL_RO", "get", "1", "k"])
            .cmd(&["FCALL", "echo", "0"])
            .cmd(&["CONFIG", "SET", "maxmemory", "0"]),
    ];
    diff(&cases);
}

/// A reply with every `duration_ms` value (a clock) zeroed.
fn without_duration(r: &Reply) -> String {
    fn blank(r: &mut Reply) {
        if let Reply::Array(items) = r {
            let mut after_key = false;
            for item in items.iter_mut() {
                if after_key {
                    *item = Reply::Int(0);
                }
                after_key = matches!(item, Reply::Bulk(k) if k == b"duration_ms");
                blank(item);
            }
        }
    }
    let mut r = r.clone();
    blank(&mut r);
    canon(&r)
}

/// A function past `busy-reply-threshold`: other clients get the FUNCTION
/// variant of BUSY, FUNCTION STATS shows it, SCRIPT KILL refuses,
/// FUNCTION KILL stops it; one that wrote is UNKILLABLE until SHUTDOWN
/// NOSAVE.
#[test]
fn busy_function_and_kill() {
    let code = "#!lua name=busy\nredis.register_function{function_name='spin', callback=function() local i = 0 while true do i = i + 1 end end, flags={'no-writes'}}\nredis.register_function('dirty', function(keys) redis.call('SET', keys[1], 'v') local i = 0 while true do i = i + 1 end end)";
    let mut pair = Pair::start_with(&["--busy-reply-threshold", "50"]);
    pair.scenario("busy", |s, t| {
        let mut a = s.conn();
        let mut b = s.conn();
        a.call(&["FUNCTION", "LOAD", code]);
        a.cmd(&["FCALL", "spin", "0"]);
        let busy = (0..100).find_map(|_| {
            std::thread::sleep(Duration::from_millis(20));
            let r = b.call(&["PING"]);
            r.starts_with(b"-BUSY").then_some(r)
        });
        t.reply("PING while busy", Mask::Exact, &busy.unwrap_or_default());
        t.call_masked(
            &mut b,
            Mask::Custom(without_duration),
            &["FUNCTION", "STATS"],
        );
        t.call(&mut b, &["FUNCTION", "LOAD", code]);
        t.call(&mut b, &["SCRIPT", "KILL"]);
        t.call(&mut b, &["FUNCTION", "KILL"]);
        t.reply("FCALL killed", Mask::Exact, &a.read_reply());
        t.call(&mut a, &["PING"]);
        t.call(&mut b, &["FUNCTION", "STATS"]);
        t.call(&mut b, &["FUNCTION", "KILL"]);
        a.cmd(&["FCALL", "dirty", "1", "k"]);
        let busy = (0..100).find_map(|_| {
            std::thread::sleep(Duration::from_millis(20));
            let r = b.call(&["PING"]);
            r.starts_with(b"-BUSY").then_some(r)
        });
        t.reply("PING while busy", Mask::Exact, &busy.unwrap_or_default());
        t.call(&mut b, &["FUNCTION", "KILL"]);
        b.cmd(&["SHUTDOWN", "NOSAVE"]);
        t.note(
            "caller after SHUTDOWN NOSAVE",
            a.try_read_reply().map_err(|_| "closed"),
        );
        t.note("exit", s.wait_exit().success());
    });
}

/// What FUNCTION commands and FCALL write to the AOF is what Redis writes:
/// FUNCTION commands as they are, a function's writes as the commands it
/// ran (MULTI/EXEC around several), nothing for one that wrote nothing.
#[test]
fn propagation_matches_redis() {
    let writer = "#!lua name=w\nredis.register_function('one', function(keys) return redis.call('SET', keys[1], 'v') end)\nredis.register_function('two', function(keys) redis.call('SET', keys[1], '1') return redis.call('INCR', keys[1]) end)\nredis.register_function{function_name='ro', callback=function(keys) return redis.call('GET', keys[1]) end, flags={'no-writes'}}\nredis.register_function('expiring', function(keys) return redis.call('SET', keys[1], 'v', 'EX', '100') end)";
    let mut files = Vec::new();
    for flavor in [Flavor::Redis, Flavor::Ferrodis] {
        let dir = temp_dir("functions-propagation");
        let dir_arg = dir.to_string_lossy().to_string();
        let server = Builder::new(flavor)
            // `always` writes before replying; `everysec` may wait for a sync.
            .args(&[
                "--dir",
                &dir_arg,
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
            ])
            .start();
        let mut c = server.conn();
        c.call(&["FUNCTION", "LOAD", writer]);
        c.call(&["SELECT", "3"]);
        c.call(&["FCALL", "one", "1", "a"]);
        c.call(&["FCALL", "two", "1", "b"]);
        c.call(&["FCALL_RO", "ro", "1", "a"]);
        c.call(&["FCALL", "ro", "1", "a"]);
        c.call(&["FUNCTION", "RESTORE", "junk"]);
        c.call(&["FUNCTION", "DELETE", "nosuch"]);
        c.call(&["FUNCTION", "FLUSH", "ASYNC"]);
        c.call(&["FUNCTION", "LOAD", writer]);
        c.call(&["FUNCTION", "LOAD", "REPLACE", writer]);
        let aof_dir = dir.join("appendonlydir");
        let manifest = fs::read_to_string(aof_dir.join("appendonly.aof.manifest")).unwrap();
        let name = manifest
            .split_whitespace()
            .find(|w| w.ends_with(".incr.aof"))
            .unwrap();
        files.push(String::from_utf8_lossy(&fs::read(aof_dir.join(name)).unwrap()).to_string());
        drop(c);
        drop(server);
        let _ = fs::remove_dir_all(&dir);
    }
    assert_eq!(files[0], files[1]);
}

/// A MONITOR line without its time and client address.
fn monitor_line(r: &Reply) -> String {
    let text = r.text();
    text.split_once("] ")
        .map_or(text.clone(), |(_, cmd)| cmd.to_string())
}

/// MONITOR shows FCALL, then the commands the function ran.
#[test]
fn monitor_sees_fcall_first() {
    let code = lib("lib", "f");
    let writer = "#!lua name=w\nredis.register_function('w', function(keys) return redis.call('SET', keys[1], 'v') end)";
    let mut pair = Pair::start();
    pair.scenario("monitor", |s, t| {
        let mut c = s.conn();
        c.call(&["FUNCTION", "LOAD", &code]);
        c.call(&["FUNCTION", "LOAD", writer]);
        let mut m = s.conn();
        t.call(&mut m, &["MONITOR"]);
        c.call(&["FCALL", "w", "1", "k"]);
        c.call(&["FCALL_RO", "f", "1", "a", "b"]);
        c.call(&["FCALL", "missing", "0"]);
        for i in 0..4 {
            let raw = m.read_reply();
            t.reply(&format!("line {i}"), Mask::Custom(monitor_line), &raw);
        }
    });
}

/// A snapshot whose library does not compile stops start-up on both
/// servers, each logging why in the same words.
#[test]
fn rdb_with_a_broken_library_stops_startup() {
    let code = b"#!lua name=x\nreturn 1";
    let mut body = b"REDIS0010\xf5".to_vec();
    body.push(code.len() as u8);
    body.extend_from_slice(code);
    body.push(0xff);
    let crc = crc64(&body);
    body.extend_from_slice(&crc.to_le_bytes());
    for flavor in [Flavor::Redis, Flavor::Ferrodis] {
        let dir = temp_dir("functions-broken-rdb");
        fs::write(dir.join("dump.rdb"), &body).unwrap();
        let mut server = Builder::new(flavor)
            .args(&["--dir", dir.to_str().unwrap()])
            .spawn();
        // Redis then runs its RDB check, which finds the file sound, and
        // exits 0; ferrodis exits 1 as for any file it cannot load.
        let status = server.wait_exit();
        if flavor == Flavor::Ferrodis {
            assert_eq!(status.code(), Some(1), "{}", server.logs());
        }
        let logs = server.logs();
        assert!(
            logs.contains("Failed loading library, No functions registered"),
            "{}: {logs}",
            flavor.name()
        );
        let _ = fs::remove_dir_all(&dir);
    }
}

/// CLIENT PAUSE WRITE holds FCALL of a function that writes, not one
/// declared `no-writes` (its flags make it a read, as in Redis), in a
/// transaction too.
#[test]
fn pause_write_follows_function_flags() {
    let code = "#!lua name=p\nredis.register_function{function_name='ro', callback=function() return 1 end, flags={'no-writes'}}\nredis.register_function('w', function() return 2 end)";
    let mut pair = Pair::start();
    pair.scenario("pause", |s, t| {
        let mut c = s.conn();
        let mut admin = s.conn();
        c.call(&["FUNCTION", "LOAD", code]);
        let timed = |c: &mut Conn, args: &[&str]| {
            let started = std::time::Instant::now();
            let reply = c.call(args);
            (reply, started.elapsed() >= Duration::from_millis(200))
        };
        for args in [
            &["FCALL", "ro", "0"][..],
            &["FCALL_RO", "ro", "0"],
            &["FCALL", "w", "0"],
        ] {
            admin.call(&["CLIENT", "PAUSE", "300", "WRITE"]);
            t.note(&format!("{args:?} (reply, held)"), timed(&mut c, args));
            admin.call(&["CLIENT", "UNPAUSE"]);
        }
        c.call(&["MULTI"]);
        c.call(&["FCALL", "ro", "0"]);
        admin.call(&["CLIENT", "PAUSE", "300", "WRITE"]);
        t.note("EXEC of FCALL ro (reply, held)", timed(&mut c, &["EXEC"]));
        admin.call(&["CLIENT", "UNPAUSE"]);
    });
}
