//! The parts of the `redis` table that need no running script: version
//! fields, the log and replication constants, `redis.log`, `redis.sha1hex`,
//! `redis.error_reply`, `redis.status_reply`, `redis.replicate_commands`
//! and the debugger's `redis.breakpoint`/`redis.debug`, which do nothing
//! outside the debugger. `redis.call`, `redis.pcall`, `redis.setresp` and
//! `redis.set_repl` act on the running script and are bound for each run
//! (`run.rs`).

use mlua::{Lua, Table, Value, Variadic};

use super::convert::error_table;
use crate::server::REDIS_VERSION;

/// `LOG_*` levels, as Redis numbers them.
const LOG_LEVELS: [&str; 4] = ["LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING"];

/// `redis.set_repl` flags (Redis's `PROPAGATE_AOF` and `PROPAGATE_REPL`).
pub const REPL_AOF: i64 = 1;
pub const REPL_REPLICA: i64 = 2;
pub const REPL_ALL: i64 = REPL_AOF | REPL_REPLICA;

/// `REDIS_VERSION_NUM`: 0x00MMmmpp.
fn version_num() -> i64 {
    REDIS_VERSION
        .split('.')
        .map(|p| p.parse::<i64>().unwrap_or(0))
        .fold(0, |acc, p| (acc << 8) | p)
}

fn runtime(msg: &str) -> mlua::Error {
    mlua::Error::RuntimeError(msg.to_owned())
}

/// Registers on `redis` everything of the `redis` API that needs no
/// running script.
pub fn register(lua: &Lua, redis: &Table) -> mlua::Result<()> {
    redis.raw_set("REDIS_VERSION", REDIS_VERSION)?;
    redis.raw_set("REDIS_VERSION_NUM", version_num())?;
    for (i, name) in LOG_LEVELS.iter().enumerate() {
        redis.raw_set(*name, i as i64)?;
    }
    redis.raw_set("REPL_NONE", 0)?;
    redis.raw_set("REPL_AOF", REPL_AOF)?;
    redis.raw_set("REPL_SLAVE", REPL_REPLICA)?;
    redis.raw_set("REPL_REPLICA", REPL_REPLICA)?;
    redis.raw_set("REPL_ALL", REPL_ALL)?;
    redis.raw_set("log", lua.create_function(log)?)?;
    redis.raw_set(
        "sha1hex",
        lua.create_function(|lua, args: Variadic<Value>| {
            if args.len() != 1 {
                return Err(runtime("wrong number of arguments"));
            }
            let data = match &args[0] {
                Value::String(s) => s.as_bytes().to_vec(),
                Value::Integer(i) => i.to_string().into_bytes(),
                Value::Number(n) => lua
                    .coerce_string(Value::Number(*n))?
                    .map(|s| s.as_bytes().to_vec())
                    .unwrap_or_default(),
                _ => Vec::new(),
            };
            Ok(sha1_hex(&data))
        })?,
    )?;
    redis.raw_set(
        "error_reply",
        lua.create_function(|lua, args: Variadic<Value>| match args.first() {
            Some(Value::String(s)) if args.len() == 1 => {
                let s = s.as_bytes();
                let mut raw = Vec::with_capacity(s.len() + 1);
                if s.first() != Some(&b'-') {
                    raw.push(b'-');
                }
                raw.extend_from_slice(&s);
                error_table(lua, &raw)
            }
            _ => error_table(lua, b"wrong number or type of arguments"),
        })?,
    )?;
    redis.raw_set(
        "status_reply",
        lua.create_function(|lua, args: Variadic<Value>| match args.first() {
            Some(Value::String(s)) if args.len() == 1 => {
                let t = lua.create_table()?;
                t.raw_set("ok", s.clone())?;
                Ok(t)
            }
            _ => error_table(lua, b"wrong number or type of arguments"),
        })?,
    )?;
    redis.raw_set("replicate_commands", lua.create_function(|_, ()| Ok(true))?)?;
    redis.raw_set("breakpoint", lua.create_function(|_, ()| Ok(false))?)?;
    redis.raw_set(
        "debug",
        lua.create_function(|_, _: Variadic<Value>| Ok(()))?,
    )?;
    Ok(())
}

/// `redis.log(level, message ...)`: the arguments that are strings or
/// numbers, joined by spaces, to the server log at that level.
fn log(lua: &Lua, args: Variadic<Value>) -> mlua::Result<()> {
    if args.len() < 2 {
        return Err(runtime("redis.log() requires two arguments or more."));
    }
    let level = match &args[0] {
        Value::Integer(i) => *i,
        Value::Number(n) => *n as i64,
        _ => return Err(runtime("First argument must be a number (log level).")),
    };
    if !(0..LOG_LEVELS.len() as i64).contains(&level) {
        return Err(runtime("Invalid debug level."));
    }
    let mut msg = Vec::new();
    for (i, a) in args.iter().skip(1).enumerate() {
        let s = match a {
            Value::String(s) => Some(s.clone()),
            Value::Integer(_) | Value::Number(_) => lua.coerce_string(a.clone())?,
            _ => None,
        };
        if let Some(s) = s {
            if i != 0 {
                msg.push(b' ');
            }
            msg.extend_from_slice(&s.as_bytes());
        }
    }
    let text = String::from_utf8_lossy(&msg);
    match level {
        0 => log::trace!("{text}"),
        1 => log::debug!("{text}"),
        2 => log::info!("{text}"),
        _ => log::warn!("{text}"),
    }
    Ok(())
}

/// Lower-case hex SHA1, as script names and `redis.sha1hex` spell it.
pub fn sha1_hex(data: &[u8]) -> String {
    sha1_hex_in(data, &mut [0; 40]).to_owned()
}

/// [`sha1_hex`] written in `out`: EVAL names its script with no allocation.
pub fn sha1_hex_in<'a>(data: &[u8], out: &'a mut [u8; 40]) -> &'a str {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = sha1_smol::Sha1::from(data).digest().bytes();
    for (pair, b) in out.chunks_exact_mut(2).zip(digest) {
        pair[0] = HEX[usize::from(b >> 4)];
        pair[1] = HEX[usize::from(b & 15)];
    }
    std::str::from_utf8(out).unwrap_or_default()
}
