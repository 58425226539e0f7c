//! The functions engine's Lua state and the environment a library's body
//! runs in when it is loaded.
//!
//! As in Redis 7.0, every library's code runs with one shared globals
//! table that holds nothing itself: its metatable's `__index` points, while
//! a library loads, at the loading API (a `redis` table with only
//! `register_function`, `log`, the `LOG_*` levels and the version fields),
//! and at every other time at the full scripting globals, so the callbacks
//! a library registers see `redis.call`, `string` and the rest when they
//! run. The table refuses writes; names absent from the loading API raise
//! Redis's nonexistent-global error. A load runs at most
//! [`LOAD_TIMEOUT`], checked every [`HOOK_INSTRUCTIONS`] instructions by
//! a hook that stands in for the busy-script hook while the body runs.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use mlua::{Function, HookTriggers, Lua, MultiValue, Table, Value, VmState};

use super::flags;
use super::metadata::{valid_name, BAD_NAME};

/// How long a library's body may run while it is loaded (Redis's
/// `LOAD_TIMEOUT_MS`).
const LOAD_TIMEOUT: Duration = Duration::from_millis(500);
/// Instructions between two checks of the load's time.
const HOOK_INSTRUCTIONS: u32 = 100_000;
/// The chunk name Redis gives library code; errors read `user_function:N:`.
const CHUNK_NAME: &str = "@user_function";
/// What the loading API's `redis` table takes from the scripting API.
const SHARED_API: &[&str] = &[
    "log",
    "LOG_DEBUG",
    "LOG_VERBOSE",
    "LOG_NOTICE",
    "LOG_WARNING",
    "REDIS_VERSION",
    "REDIS_VERSION_NUM",
];

/// A function the body registered.
pub struct Registered {
    pub name: String,
    pub callback: Function,
    pub flags: u32,
    pub description: Option<Vec<u8>>,
}

/// An error raised from Rust with Redis's whole text: reported as it is,
/// where an error raised by Lua code gets `ERR ` before it.
#[derive(Debug)]
struct Raised(String);

impl std::fmt::Display for Raised {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Raised {}

fn raise<T>(msg: &str) -> mlua::Result<T> {
    Err(mlua::Error::external(Raised(format!("ERR {msg}"))))
}

/// The Lua state that holds every library, and the tables the loading
/// environment is built from.
pub struct Engine {
    lua: Lua,
    /// The metatable of the shared globals table, whose `__index` switches.
    globals_meta: Table,
    /// The globals every library's code sees.
    globals: Table,
    load_api: Table,
    runtime: Table,
    /// Calls a function under `xpcall` with a handler that keeps the
    /// error's value as it was raised (no traceback, no conversion).
    catch: Function,
    /// Where `redis.register_function` puts what it registers during a load.
    pending: Rc<RefCell<Vec<Registered>>>,
}

/// Lua helpers for the protected tables, raising at the caller's line.
const PROTECT: &str = r#"
local error, tostring, xpcall = error, tostring, xpcall
local function raw(e) return e end
return function(f)
  return xpcall(f, raw)
end, function()
  error("Attempt to modify a readonly table", 2)
end, function(_, k)
  error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
end
"#;

impl Engine {
    /// The engine of a scripting state (`scripting::new_state`) whose
    /// scripts see the globals `runtime`.
    pub fn new(lua: Lua, runtime: Table) -> mlua::Result<Engine> {
        let (catch, readonly, missing): (Function, Function, Function) =
            lua.load(PROTECT).set_name("=protect").call(())?;
        let pending: Rc<RefCell<Vec<Registered>>> = Rc::new(RefCell::new(Vec::new()));

        let redis = lua.create_table()?;
        let sink = Rc::clone(&pending);
        redis.raw_set(
            "register_function",
            lua.create_function(move |lua, args: MultiValue| {
                let f = register_args(lua, args)?;
                let mut pending = sink.borrow_mut();
                // Case matters here, though not in the server-wide index.
                if pending.iter().any(|p| p.name == f.name) {
                    return raise("Function already exists in the library");
                }
                pending.push(f);
                Ok(())
            })?,
        )?;
        // The log and the version fields are the scripting API's own.
        let api = crate::scripting::redis_table(&lua)?;
        for name in SHARED_API {
            redis.raw_set(*name, api.raw_get::<Value>(*name)?)?;
        }
        protect(&lua, &redis, &readonly, &missing)?;
        let load_api = lua.create_table()?;
        load_api.raw_set("redis", redis)?;
        protect(&lua, &load_api, &readonly, &missing)?;

        let globals = lua.create_table()?;
        let globals_meta = lua.create_table()?;
        globals_meta.raw_set("__newindex", readonly)?;
        globals_meta.raw_set("__index", runtime.clone())?;
        globals.set_metatable(Some(globals_meta.clone()))?;
        Ok(Engine {
            lua,
            globals_meta,
            globals,
            load_api,
            runtime,
            catch,
            pending,
        })
    }

    pub fn lua(&self) -> &Lua {
        &self.lua
    }

    /// Compiles and runs a library's body in the loading environment;
    /// returns the functions it registered, or Redis's error text.
    pub fn load(&self, body: &[u8]) -> Result<Vec<Registered>, String> {
        let chunk = self
            .lua
            .load(body)
            .set_name(CHUNK_NAME)
            .set_environment(self.globals.clone())
            .into_function()
            .map_err(|e| match e {
                mlua::Error::SyntaxError { message, .. } => {
                    format!("Error compiling function: {message}")
                }
                e => format!("Error compiling function: {e}"),
            })?;
        self.pending.borrow_mut().clear();
        let result = self.with_index(&self.load_api, || {
            let started = Instant::now();
            let triggers = HookTriggers::new().every_nth_instruction(HOOK_INSTRUCTIONS);
            self.lua.set_hook(triggers, move |_, _| {
                if started.elapsed() > LOAD_TIMEOUT {
                    return raise("FUNCTION LOAD timeout");
                }
                Ok(VmState::Continue)
            })?;
            let result = self.catch.call::<(bool, Value)>(chunk);
            crate::scripting::run::install_hook(&self.lua)?;
            result
        });
        let registered = std::mem::take(&mut *self.pending.borrow_mut());
        let failure = match result {
            Ok((true, _)) => return Ok(registered),
            Ok((false, value)) => value_text(&value),
            Err(e) => error_text(&e),
        };
        Err(format!("Error registering functions: {failure}"))
    }

    /// Runs `f` with the shared globals resolving through `index`.
    fn with_index<T>(&self, index: &Table, f: impl FnOnce() -> mlua::Result<T>) -> mlua::Result<T> {
        self.globals_meta.raw_set("__index", index.clone())?;
        let result = f();
        self.globals_meta.raw_set("__index", self.runtime.clone())?;
        result
    }
}

/// The text of a failed call as Redis reports it: an error raised from
/// Rust as it is, one raised by Lua code with `ERR ` first.
fn error_text(e: &mlua::Error) -> String {
    match e {
        mlua::Error::CallbackError { cause, .. } => error_text(cause),
        mlua::Error::ExternalError(inner) => match inner.downcast_ref::<Raised>() {
            Some(Raised(text)) => text.clone(),
            None => format!("ERR {inner}"),
        },
        mlua::Error::RuntimeError(msg) => format!("ERR {msg}"),
        e => format!("ERR {e}"),
    }
}

/// The text of an error value caught by `catch`: a table's `err` field,
/// an error raised from Rust as it is, anything else with `ERR ` first.
fn value_text(value: &Value) -> String {
    match value {
        Value::Error(e) => error_text(e),
        Value::Table(t) => match t.raw_get::<Option<mlua::LuaString>>("err") {
            Ok(Some(s)) => s.to_string_lossy(),
            _ => "ERR table".to_string(),
        },
        Value::String(s) => format!("ERR {}", s.to_string_lossy()),
        v => format!("ERR {}", v.to_string().unwrap_or_default()),
    }
}

/// Makes `t` refuse writes and raise the nonexistent-global error for
/// names it lacks.
fn protect(lua: &Lua, t: &Table, readonly: &Function, missing: &Function) -> mlua::Result<()> {
    let meta = lua.create_table()?;
    meta.raw_set("__newindex", readonly.clone())?;
    meta.raw_set("__index", missing.clone())?;
    t.set_metatable(Some(meta))
}

/// A string argument: a string, or a number in its Lua text (Lua's
/// `lua_isstring` accepts both).
fn string_arg(lua: &Lua, v: Value) -> mlua::Result<Option<Vec<u8>>> {
    if !matches!(v, Value::String(_) | Value::Integer(_) | Value::Number(_)) {
        return Ok(None);
    }
    Ok(lua.coerce_string(v)?.map(|s| s.as_bytes().to_vec()))
}

/// A function name argument; only ASCII names are valid, so other bytes
/// just fail the check that follows.
fn name_arg(lua: &Lua, v: Value) -> mlua::Result<Option<String>> {
    Ok(string_arg(lua, v)?.map(|b| String::from_utf8_lossy(&b).into_owned()))
}

/// The arguments of `redis.register_function`, positional
/// (`name, callback`) or named (a table).
fn register_args(lua: &Lua, args: MultiValue) -> mlua::Result<Registered> {
    let mut args = args.into_iter();
    let (name, callback, flags, description) = match (args.next(), args.next(), args.next()) {
        (Some(Value::Table(t)), None, None) => named_args(lua, t)?,
        (Some(_), None, None) => return raise(
            "calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).",
        ),
        (Some(name), Some(callback), None) => {
            let Some(name) = name_arg(lua, name)? else {
                return raise("first argument to redis.register_function must be a string");
            };
            let Value::Function(callback) = callback else {
                return raise("second argument to redis.register_function must be a function");
            };
            (name, callback, 0, None)
        }
        _ => return raise("wrong number of arguments to redis.register_function"),
    };
    if !valid_name(name.as_bytes()) {
        return raise(BAD_NAME);
    }
    Ok(Registered {
        name,
        callback,
        flags,
        description,
    })
}

type Parts = (String, Function, u32, Option<Vec<u8>>);

/// The named form: `function_name`, `callback`, `flags`, `description`.
fn named_args(lua: &Lua, t: Table) -> mlua::Result<Parts> {
    let (mut name, mut callback, mut fl, mut description) = (None, None, 0, None);
    for pair in t.pairs::<Value, Value>() {
        let (k, v) = pair?;
        let Some(k) = string_arg(lua, k)? else {
            return raise("named argument key given to redis.register_function is not a string");
        };
        match &k[..] {
            b"function_name" => match name_arg(lua, v)? {
                Some(n) => name = Some(n),
                None => {
                    return raise(
                        "function_name argument given to redis.register_function must be a string",
                    )
                }
            },
            b"description" => match string_arg(lua, v)? {
                Some(s) => description = Some(s),
                None => {
                    return raise(
                        "description argument given to redis.register_function must be a string",
                    )
                }
            },
            b"callback" => match v {
                Value::Function(f) => callback = Some(f),
                _ => {
                    return raise(
                        "callback argument given to redis.register_function must be a function",
                    )
                }
            },
            b"flags" => match v {
                Value::Table(list) => fl = flag_list(&list)?,
                _ => return raise(
                    "flags argument to redis.register_function must be a table representing function flags",
                ),
            },
            _ => return raise("unknown argument given to redis.register_function"),
        }
    }
    let Some(name) = name else {
        return raise("redis.register_function must get a function name argument");
    };
    let Some(callback) = callback else {
        return raise("redis.register_function must get a callback argument");
    };
    Ok((name, callback, fl, description))
}

/// The flags of a `flags` table, each a known flag name.
fn flag_list(list: &Table) -> mlua::Result<u32> {
    let mut bits = 0;
    for i in 1..=list.raw_len() {
        let bit = match list.raw_get::<Value>(i)? {
            Value::String(s) => flags::by_name(&s.as_bytes()),
            _ => None,
        };
        match bit {
            Some(b) => bits |= b,
            None => return raise("unknown flag given"),
        }
    }
    Ok(bits)
}
