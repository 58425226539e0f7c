//! The interpreter's sandbox, as Redis 7.0 sets its Lua state up.
//!
//! Scripts see the base library without the functions that reach the
//! file system or change environments (`dofile`, `loadfile`, `print`,
//! `setfenv`, `getfenv`, `newproxy`), plus `table`, `string`, `math`,
//! `coroutine`, the `redis` API and the libraries Redis bundles. Redis
//! patches its Lua to make tables read-only; the vendored Lua 5.1 has no
//! such flag, so the globals and each library are seen through proxies:
//! empty tables whose `__index` is the real table and whose `__newindex`
//! refuses with Redis's message. Reading a global that does not exist is an
//! error too. `rawset` and `setmetatable` refuse the proxies, so the
//! protection cannot be peeled off from a script.
//!
//! `math.random` is Redis's: a `rand48` generator, one sequence across
//! scripts from rand48's initial state (Redis 7.0 replicates effects, so
//! it no longer reseeds before each script).

use std::cell::Cell;
use std::rc::Rc;

use mlua::{Function, Lua, LuaOptions, StdLib, Table, Value, Variadic};

/// Registry key of the proxy scripts see as their environment.
pub const SCRIPT_ENV: &str = "ferrodis.env";

/// Globals of the base library scripts do not get.
const REMOVED: &[&str] = &[
    "dofile", "loadfile", "print", "setfenv", "getfenv", "newproxy",
];

/// Globals that stay writable tables rather than read-only proxies.
const NOT_PROXIED: &[&str] = &["_G", "KEYS", "ARGV"];

/// The `rand48` state behind `math.random`, shared with whoever reseeds it.
#[derive(Debug, Clone, Default)]
pub struct Rand48(Rc<Cell<u64>>);

impl Rand48 {
    const A: u64 = 0x5DEECE66D;
    const C: u64 = 0xB;
    const MASK: u64 = (1 << 48) - 1;
    /// `REDIS_LRAND48_MAX`.
    pub const MAX: i32 = i32::MAX;

    /// The state before any seeding (rand48's default `X2 X1 X0`).
    const INITIAL: u64 = 0x1234_ABCD_330E;

    /// Back to the initial state.
    pub fn reset(&self) {
        self.0.set(Self::INITIAL);
    }

    /// `srand48(seed)`: the seed's low 32 bits above the constant 0x330E.
    pub fn seed(&self, seed: i32) {
        self.0.set((u64::from(seed as u32) << 16) | 0x330E);
    }

    /// `lrand48()`: the next 31 bits.
    pub fn next(&self) -> i32 {
        let x = self.0.get().wrapping_mul(Self::A).wrapping_add(Self::C) & Self::MASK;
        self.0.set(x);
        (x >> 17) as i32
    }
}

/// Creates a Lua state with Redis's libraries and read-only globals;
/// `extra` adds globals (the `redis` table, the bundled libraries) before
/// everything is made read-only. `unwrap` turns an error raised by a Rust
/// function into the error table Redis would have raised.
pub fn create_state(
    extra: impl FnOnce(&Lua, &Table) -> mlua::Result<()>,
    unwrap: fn(&Lua, Value) -> mlua::Result<Value>,
) -> mlua::Result<Lua> {
    let lua = Lua::new_with(
        StdLib::TABLE | StdLib::STRING | StdLib::MATH,
        LuaOptions::default(),
    )?;
    super::heap::use_c_allocator(&lua);
    let globals = lua.globals();
    let rand = Rand48::default();
    rand.reset();
    install_random(&lua, &globals, &rand)?;
    lua.set_app_data(rand);
    extra(&lua, &globals)?;
    let unwrap = lua.create_function(unwrap)?;
    protect(&lua, &globals, unwrap)?;
    for name in REMOVED {
        globals.raw_set(*name, Value::Nil)?;
    }
    Ok(lua)
}

/// Redis's `math.random` and `math.randomseed` over [`Rand48`].
fn install_random(lua: &Lua, globals: &Table, rand: &Rand48) -> mlua::Result<()> {
    let math: Table = globals.raw_get("math")?;
    let r = rand.clone();
    let random = lua.create_function(move |lua, args: Variadic<Value>| {
        let n = f64::from(r.next() % Rand48::MAX) / f64::from(Rand48::MAX);
        let int_arg = |i: usize| -> mlua::Result<i64> {
            match args.get(i) {
                Some(Value::Integer(v)) => Ok(*v),
                Some(Value::Number(v)) => Ok(*v as i32 as i64),
                Some(Value::String(s)) => s
                    .to_str()
                    .ok()
                    .and_then(|s| s.trim().parse::<f64>().ok())
                    .map(|v| v as i32 as i64)
                    .ok_or_else(|| bad_argument(lua, i + 1, "number expected, got string")),
                other => Err(bad_argument(
                    lua,
                    i + 1,
                    &format!(
                        "number expected, got {}",
                        other.map_or("no value", Value::type_name)
                    ),
                )),
            }
        };
        match args.len() {
            0 => Ok(n),
            1 => {
                let u = int_arg(0)?;
                if u < 1 {
                    return Err(bad_argument(lua, 1, "interval is empty"));
                }
                Ok((n * u as f64).floor() + 1.0)
            }
            2 => {
                let l = int_arg(0)?;
                let u = int_arg(1)?;
                if l > u {
                    return Err(bad_argument(lua, 2, "interval is empty"));
                }
                Ok((n * (u - l + 1) as f64).floor() + l as f64)
            }
            _ => Err(mlua::Error::RuntimeError(format!(
                "{}wrong number of arguments",
                position(lua)
            ))),
        }
    })?;
    let r = rand.clone();
    let randomseed = lua.create_function(move |_, seed: f64| {
        r.seed(seed as i32);
        Ok(())
    })?;
    math.raw_set("random", random)?;
    math.raw_set("randomseed", randomseed)?;
    Ok(())
}

fn bad_argument(lua: &Lua, arg: usize, msg: &str) -> mlua::Error {
    mlua::Error::RuntimeError(format!(
        "{}bad argument #{arg} to 'random' ({msg})",
        position(lua)
    ))
}

/// `chunk:line: ` of the Lua code calling the running library function,
/// as `luaL_error` starts its messages.
fn position(lua: &Lua) -> String {
    lua.inspect_stack(1, |d| {
        let src = d.source().short_src.map(|s| s.into_owned());
        match (src, d.current_line()) {
            (Some(src), Some(line)) => format!("{src}:{line}: "),
            _ => String::new(),
        }
    })
    .unwrap_or_default()
}

/// Lua half of the protection: the proxies, the error on unknown globals,
/// the guarded `rawset`, `setmetatable` and `loadstring`, and Redis's
/// `pcall`, which gives the message of an error table rather than the table.
const PROTECT: &str = r#"
local backing, proxied, unwrap = ...
local error, rawset, setmetatable, loadstring, load, setfenv, tostring =
  error, rawset, setmetatable, loadstring, load, setfenv, tostring
local pairs, next, ipairs, pcall, type = pairs, next, ipairs, pcall, type
local readonly = setmetatable({}, {__mode = 'k'})
local function refuse() error('Attempt to modify a readonly table', 2) end
local function proxy(t)
  local p = setmetatable({}, {__index = t, __newindex = refuse})
  readonly[p] = t
  return p
end
for _, name in ipairs(proxied) do
  backing[name] = proxy(backing[name])
end
getmetatable('').__index = backing.string
local env = proxy(backing)
backing._G = env
setmetatable(backing, {__index = function(_, k)
  error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
end})
backing.rawset = function(t, k, v)
  if readonly[t] then error('Attempt to modify a readonly table', 0) end
  return rawset(t, k, v)
end
backing.setmetatable = function(t, m)
  if readonly[t] then error('Attempt to modify a readonly table', 0) end
  return setmetatable(t, m)
end
backing.pairs = function(t) return pairs(readonly[t] or t) end
backing.ipairs = function(t) return ipairs(readonly[t] or t) end
backing.next = function(t, k) return next(readonly[t] or t, k) end
local function caught(ok, ...)
  if ok then return ok, ... end
  local e = unwrap((...))
  if type(e) == 'table' and type(e.err) == 'string' then e = e.err end
  return false, e
end
backing.pcall = function(...) return caught(pcall(...)) end
backing.loadstring = function(s, name)
  local f, e = loadstring(s, name)
  if f then setfenv(f, env) end
  return f, e
end
backing.load = function(fn, name)
  local f, e = load(fn, name)
  if f then setfenv(f, env) end
  return f, e
end
return env
"#;

/// Makes the globals and every library table read-only for scripts; the
/// proxy scripts see as their environment is kept in the registry.
fn protect(lua: &Lua, globals: &Table, unwrap: Function) -> mlua::Result<()> {
    let mut proxied = Vec::new();
    for pair in globals.pairs::<Value, Value>() {
        let (k, v) = pair?;
        if let (Value::String(name), Value::Table(_)) = (&k, &v) {
            let name = name.to_str()?.to_owned();
            if !NOT_PROXIED.contains(&name.as_str()) {
                proxied.push(name);
            }
        }
    }
    let setup: Function = lua.load(PROTECT).set_name("=sandbox").into_function()?;
    let env: Table = setup.call((globals.clone(), proxied, unwrap))?;
    lua.set_named_registry_value(SCRIPT_ENV, env)?;
    Ok(())
}

/// The proxy scripts run in.
pub fn script_env(lua: &Lua) -> mlua::Result<Table> {
    lua.named_registry_value(SCRIPT_ENV)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The sequence of redis-server 7.0.15's `math.random(1000)` after
    /// start: 397, 841, 354.
    #[test]
    fn random_matches_redis() {
        let lua = create_state(|_, _| Ok(()), |_, v| Ok(v)).unwrap();
        let env = script_env(&lua).unwrap();
        let f = lua
            .load("return {math.random(1000), math.random(1000), math.random(1000)}")
            .set_environment(env)
            .into_function()
            .unwrap();
        let t: Vec<i64> = f.call(()).unwrap();
        assert_eq!(t, [397, 841, 354]);
    }

    #[test]
    fn globals_are_read_only() {
        let lua = create_state(|_, _| Ok(()), |_, v| Ok(v)).unwrap();
        let env = script_env(&lua).unwrap();
        for (code, msg) in [
            ("x = 1", "Attempt to modify a readonly table"),
            ("string.x = 1", "Attempt to modify a readonly table"),
            ("return y", "nonexistent global variable 'y'"),
            ("rawset(_G, 'x', 1)", "Attempt to modify a readonly table"),
            ("return print", "nonexistent global variable 'print'"),
        ] {
            let f = lua
                .load(code)
                .set_environment(env.clone())
                .into_function()
                .unwrap();
            let err = f.call::<Value>(()).unwrap_err().to_string();
            assert!(err.contains(msg), "{code}: {err}");
        }
        let f = lua
            .load("local t = {} t.a = 1 return ('ab'):len() + t.a + #KEYS")
            .set_environment(env)
            .into_function();
        assert!(f.is_ok());
    }
}
