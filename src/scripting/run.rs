//! Running a script: the context its `redis` API works in, the error
//! handler that turns Lua errors into Redis's error replies, and the hook
//! that keeps the server answering while a script runs long.
//!
//! `redis.call`, `redis.pcall` (`call.rs`), `redis.setresp`,
//! `redis.set_repl` and the hook are registered once per state and reach
//! the running script's context (the server, the script's client) through
//! a pointer a run publishes for exactly its duration. The script is
//! called on the Lua stack itself, with `__redis__err__handler` as the
//! message handler, which, as Redis's, turns any error into a table with
//! `err`, `source` and `line`; what it returns is written from the stack
//! to the caller.
//!
//! Every 100,000 instructions the hook asks the tick whether to go on.
//! Past `busy-reply-threshold` the tick serves other clients (they get
//! BUSY except for the few commands allowed then) through
//! [`Server::process_events_while_blocked`], and stops the script when
//! SCRIPT KILL or SHUTDOWN NOSAVE asked for it.

use std::cell::{Cell, RefCell};
use std::ops::Range;

use mlua::state::RawLua;
use mlua::{ffi, Function, HookTriggers, Lua, Table, Value, Variadic, VmState};

use super::convert::{self, error_table};
use super::{Running, ScriptFlags};
use crate::commands::{Args, CmdError, CmdResult};
use crate::protocol::reply::ReplyBuf;
use crate::server::client::{Client, Stream};
use crate::server::{evict, Server};

/// Instructions between two looks at the clock (Redis's count hook).
const HOOK_INSTRUCTIONS: u32 = 100_000;

/// Scripts between two steps of the collector (Redis's `LUA_GC_CYCLE_PERIOD`).
const GC_PERIOD: u32 = 50;

/// What a killed script is told.
const KILLED: &str = "Script killed by user with SCRIPT KILL...";

/// How a script is being run.
#[derive(Debug, Clone, Copy)]
pub struct RunRequest<'a> {
    /// The SHA1 of an EVAL script, the name of a function: errors and the
    /// slow-script log line name it.
    pub name: &'a str,
    pub flags: ScriptFlags,
    /// Called by EVAL_RO, EVALSHA_RO or FCALL_RO.
    pub read_only: bool,
    /// EVAL family (true) or FCALL.
    pub is_eval: bool,
}

/// The state a run's Lua callbacks share.
pub(super) struct RunCtx<'a> {
    pub(super) srv: &'a mut Server,
    pub(super) client: Box<Client>,
    /// Writes are refused (EVAL_RO, `no-writes`).
    pub(super) read_only: bool,
    /// Memory was over `maxmemory` when the script started, and it does
    /// not declare `allow-oom`: `denyoom` commands are refused until it writes.
    pub(super) oom: bool,
    /// `redis.set_repl` flags in force.
    pub(super) repl: i64,
    /// Buffers `redis.call` builds its argument vector in.
    pub(super) scratch: (Vec<u8>, Vec<Range<usize>>),
    /// A panic in a command the script called, resumed once Lua returned.
    pub(super) panic: Option<Box<dyn std::any::Any + Send>>,
}

/// An error raised by a `redis` API function written with mlua, carried
/// through Lua to the handler.
#[derive(Debug)]
struct RaisedError {
    /// `-CODE message` or a message without code ([`convert::error_text`]'s input).
    text: Vec<u8>,
}

impl std::fmt::Display for RaisedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&String::from_utf8_lossy(&self.text))
    }
}

impl std::error::Error for RaisedError {}

/// Registers `__redis__err__handler` (also where runs find it) and the
/// parts of the `redis` API that act on the running script, in a new state.
pub(super) fn install(lua: &Lua, globals: &Table, redis: &Table) -> mlua::Result<()> {
    let handler = lua.create_function(error_handler)?;
    globals.raw_set("__redis__err__handler", handler.clone())?;
    // SAFETY: stores the function pushed as argument in the registry.
    unsafe {
        lua.exec_raw::<()>(handler, |l| {
            ffi::lua_pushlightuserdata(l, handler_key());
            ffi::lua_insert(l, -2);
            ffi::lua_rawset(l, ffi::LUA_REGISTRYINDEX);
        })
    }?;
    let active = ActiveSlot(Box::default());
    super::call::register(lua, redis, &*active.0)?;
    lua.set_app_data(active);
    redis.raw_set(
        "setresp",
        lua.create_function(|lua, a: Variadic<Value>| {
            let resp = match a.first() {
                Some(Value::Integer(v)) if a.len() == 1 => *v,
                Some(Value::Number(v)) if a.len() == 1 => *v as i64,
                _ => return Err(raised("redis.setresp() requires one argument.")),
            };
            if resp != 2 && resp != 3 {
                return Err(raised("RESP version must be 2 or 3."));
            }
            with_ctx(lua, |ctx| {
                if let Ok(mut c) = ctx.try_borrow_mut() {
                    c.client.reply.set_resp3(resp == 3);
                }
            });
            Ok(())
        })?,
    )?;
    redis.raw_set(
        "set_repl",
        lua.create_function(|lua, a: Variadic<Value>| {
            let flags = match a.first() {
                Some(Value::Integer(v)) if a.len() == 1 => *v,
                Some(Value::Number(v)) if a.len() == 1 => *v as i64,
                _ => return Err(raised("redis.set_repl() requires two arguments.")),
            };
            if flags & !super::api::REPL_ALL != 0 {
                return Err(raised(
                    "Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE.",
                ));
            }
            with_ctx(lua, |ctx| {
                if let Ok(mut c) = ctx.try_borrow_mut() {
                    c.repl = flags;
                }
            });
            Ok(())
        })?,
    )
}

/// A run's context as its callbacks share it.
pub(super) type Ctx<'a> = RefCell<RunCtx<'a>>;

/// What a state's callbacks share with its runs. The callbacks are
/// registered once per state and find the running script's context
/// through `ctx`, null between runs: binding them to each run (a Lua
/// scope) would allocate them again for every script.
#[derive(Debug)]
pub(super) struct Active {
    ctx: Cell<*const ()>,
    /// Scripts run since the last collector step.
    runs_since_gc: Cell<u32>,
}

impl Default for Active {
    fn default() -> Self {
        Active {
            ctx: Cell::new(std::ptr::null()),
            runs_since_gc: Cell::new(0),
        }
    }
}

impl Active {
    /// The context of the run in progress, if any.
    ///
    /// # Safety
    /// The reference is used within the callback that asked for it.
    pub(super) unsafe fn current<'c>(&'c self) -> Option<&'c Ctx<'c>> {
        // SAFETY: a non-null pointer is the address of the context of the
        // run in progress: `ActiveGuard` publishes it only while that
        // context is alive (the guard is dropped first) and restores the
        // previous value on every exit. The state is used by the loop's
        // thread alone, and the RefCell refuses a second borrow if a
        // callback re-enters.
        self.ctx.get().cast::<Ctx<'c>>().as_ref()
    }
}

/// The state's [`Active`], boxed so that its address, which `redis.call`
/// and `redis.pcall` keep, never moves.
struct ActiveSlot(Box<Active>);

/// The registry key of the error handler: the address of a static.
fn handler_key() -> *mut std::ffi::c_void {
    static KEY: u8 = 0;
    std::ptr::addr_of!(KEY).cast_mut().cast()
}

/// Publishes a run's context to the callbacks for as long as it lives,
/// and puts back what was there before, also when unwinding.
struct ActiveGuard<'a> {
    active: &'a Active,
    previous: *const (),
}

impl<'a> ActiveGuard<'a> {
    fn enter(active: &'a Active, ctx: &Ctx<'_>) -> ActiveGuard<'a> {
        let ptr = (ctx as *const Ctx<'_>).cast::<()>();
        let previous = active.ctx.replace(ptr);
        ActiveGuard { active, previous }
    }
}

impl Drop for ActiveGuard<'_> {
    fn drop(&mut self) {
        self.active.ctx.set(self.previous);
    }
}

/// Runs `f` on the running script's context; `None` outside a run.
fn with_ctx<R>(lua: &Lua, f: impl FnOnce(&Ctx<'_>) -> R) -> Option<R> {
    let slot = lua.app_data_ref::<ActiveSlot>()?;
    // SAFETY: the context is used only within `f`.
    let ctx = unsafe { slot.0.current() }?;
    Some(f(ctx))
}

/// The hook that lets a long script be interrupted: every
/// [`HOOK_INSTRUCTIONS`] it calls the running script's tick, which says
/// whether to stop. Public so that the functions engine can put it back
/// after loading a library under a hook of its own (the load timeout).
pub fn install_hook(lua: &Lua) -> mlua::Result<()> {
    lua.set_hook(
        HookTriggers::new().every_nth_instruction(HOOK_INSTRUCTIONS),
        |lua, _| {
            if with_ctx(lua, tick) == Some(true) {
                return Err(mlua::Error::RuntimeError(KILLED.into()));
            }
            Ok(VmState::Continue)
        },
    )
}

/// Redis's `__redis__err__handler`: any error becomes a table with `err`
/// (code first), and `source` and `line` of the script code that raised
/// it (a C function's caller when a library function raised it).
fn error_handler(lua: &Lua, err: Value) -> mlua::Result<Table> {
    let t = match unwrap_error(lua, err)? {
        Value::Table(t) => t,
        other => {
            let s = lua
                .coerce_string(other)?
                .map(|s| s.as_bytes().to_vec())
                .unwrap_or_else(|| b"nil".to_vec());
            let mut text = b"ERR ".to_vec();
            text.extend_from_slice(&s);
            let t = lua.create_table()?;
            t.raw_set("err", lua.create_string(&text)?)?;
            t
        }
    };
    let mut level = 1;
    while let Some((what, source, line)) = lua.inspect_stack(level, |d| {
        let s = d.source();
        (s.what, s.source.map(|s| s.into_owned()), d.current_line())
    }) {
        let internal = source.as_deref().is_some_and(|s| s.starts_with('='));
        if what != "C" && !internal {
            if let Some(source) = source {
                t.raw_set("source", source)?;
            }
            if let Some(line) = line {
                t.raw_set("line", line as i64)?;
            }
            break;
        }
        level += 1;
    }
    Ok(t)
}

/// An error raised by a function written in Rust (mlua hands it over as
/// a userdata) as the error table Redis raises there; other values as
/// they are.
pub(super) fn unwrap_error(lua: &Lua, err: Value) -> mlua::Result<Value> {
    let Value::Error(e) = err else {
        return Ok(err);
    };
    let t = match innermost(&e) {
        Some(raised) => error_table(lua, &raised.text)?,
        None => error_table(lua, plain_message(&e).as_bytes())?,
    };
    Ok(Value::Table(t))
}

/// The error a `redis` API function raised, found through mlua's wrapping.
fn innermost(e: &mlua::Error) -> Option<&RaisedError> {
    match e {
        mlua::Error::CallbackError { cause, .. } => innermost(cause),
        mlua::Error::WithContext { cause, .. } => innermost(cause),
        mlua::Error::ExternalError(e) => e.downcast_ref::<RaisedError>(),
        _ => None,
    }
}

/// The message of an error raised by a library function written in Rust.
fn plain_message(e: &mlua::Error) -> String {
    match e {
        mlua::Error::CallbackError { cause, .. } => plain_message(cause),
        mlua::Error::WithContext { cause, .. } => plain_message(cause),
        mlua::Error::RuntimeError(m) => m.clone(),
        other => other.to_string(),
    }
}

/// What a script is called with: its keys and arguments, two ranges of
/// the command's arguments.
pub struct Inputs<'a> {
    pub args: &'a Args<'a>,
    pub keys: Range<usize>,
    pub argv: Range<usize>,
    /// EVAL's are the globals KEYS and ARGV; a function gets them as its
    /// two arguments.
    pub as_globals: bool,
}

/// How a script's call ended.
enum Ended {
    /// It returned, and its value was written to the caller.
    Returned,
    /// It raised this error table.
    Failed(Table),
    /// It raised a value of another type (the handler itself failed).
    FailedWith(String),
    /// It could not be called.
    NotRun(mlua::Error),
}

/// Runs `func` as a script for `caller` with `inputs`, and writes its
/// reply to `caller`; an error the handler must count is returned instead.
pub fn run(
    srv: &mut Server,
    caller: &mut Client,
    lua: &Lua,
    func: &Function,
    inputs: &Inputs,
    req: &RunRequest,
) -> CmdResult {
    let f = req.flags;
    if !f.compat {
        if req.read_only && !f.no_writes {
            return Err(CmdError::Message(
                "ERR Can not execute a script with write flag using *_ro command.".into(),
            ));
        }
        if !f.no_writes {
            if let Some(e) = write_denied(srv) {
                return Err(e);
            }
        }
    }
    let oom =
        !f.allow_oom && srv.config.maxmemory > 0 && srv.perform_evictions() == evict::Evicted::Fail;
    if oom && !f.compat && !f.no_writes {
        return Err(CmdError::Message(evict::OOM_ERROR.into()));
    }
    let Some(active) = lua
        .app_data_ref::<ActiveSlot>()
        .map(|slot| &*slot.0 as *const Active)
    else {
        return Err(CmdError::Message("ERR no scripting context".into()));
    };
    // SAFETY: the slot lives as long as the state, which `lua` holds.
    let active = unsafe { &*active };
    let mut client = srv
        .scripting
        .script_client
        .take()
        .unwrap_or_else(|| Box::new(script_client()));
    client.db = caller.db;
    // The script's commands run as the user who called it.
    client.user.clone_from(&caller.user);
    client.reply.set_resp3(false);
    client.authenticated = true;
    let mut name = std::mem::take(&mut srv.scripting.spare_name);
    name.clear();
    name.push_str(req.name);
    srv.scripting.running = Some(Running {
        started: srv.command_started,
        name,
        is_eval: req.is_eval,
        timed_out: false,
        kill: false,
        wrote: false,
    });
    let scratch = std::mem::take(&mut srv.scripting.call_buffers);
    let ctx: Ctx = RefCell::new(RunCtx {
        srv,
        client,
        read_only: req.read_only || f.no_writes,
        oom,
        repl: super::api::REPL_ALL,
        scratch,
        panic: None,
    });
    let reply_mark = caller.reply.mark();
    let mut errors = Vec::new();
    let ended = lua.exec_raw_lua(|raw| {
        // SAFETY: `call_script` leaves the stack as it found it.
        unsafe {
            call_script(
                raw,
                active,
                &ctx,
                func,
                inputs,
                &mut caller.reply,
                &mut errors,
            )
        }
    });
    let RunCtx {
        srv,
        client,
        scratch,
        panic,
        ..
    } = ctx.into_inner();
    srv.scripting.call_buffers = scratch;
    srv.scripting.script_client = Some(client);
    let timed_out = match srv.scripting.running.take() {
        Some(r) => {
            srv.scripting.spare_name = r.name;
            r.timed_out
        }
        None => false,
    };
    if let Some(panic) = panic {
        std::panic::resume_unwind(panic);
    }
    // Each run leaves garbage; a collector step every few runs keeps the
    // heap small without a full cycle (Redis steps every 50 scripts).
    let runs = active.runs_since_gc.get() + 1;
    active.runs_since_gc.set(runs % GC_PERIOD);
    if runs == GC_PERIOD {
        let _ = lua.gc_step();
    }
    if srv.shutdown.is_some() && timed_out {
        // SHUTDOWN NOSAVE while the script ran: Redis exits without replying.
        caller.reply.discard_from(reply_mark);
        caller.close_asap = true;
        return Ok(());
    }
    let failure = match ended {
        Ended::Returned => {
            count_written_errors(srv, caller, &errors);
            return Ok(());
        }
        Ended::Failed(t) => return script_error(srv, caller, req, &t),
        Ended::FailedWith(type_name) => type_name,
        Ended::NotRun(e) => plain_message(&e),
    };
    Err(CmdError::Message(
        format!("ERR Error running script {}, {failure}", req.name).into(),
    ))
}

/// Calls the script under the error handler, with the run's context
/// published for its callbacks, and writes what it returned to `out`.
///
/// # Safety
/// `raw` is the state at the API's base; everything that can raise a Lua
/// error runs inside the protected call.
unsafe fn call_script(
    raw: &RawLua,
    active: &Active,
    ctx: &Ctx,
    func: &Function,
    inputs: &Inputs,
    out: &mut ReplyBuf,
    errors: &mut convert::WrittenErrors,
) -> Ended {
    let l = raw.state();
    let base = ffi::lua_gettop(l);
    // The handler, the function, and two tables with a key and a value.
    if ffi::lua_checkstack(l, 6) == 0 {
        return Ended::NotRun(mlua::Error::StackError);
    }
    ffi::lua_pushlightuserdata(l, handler_key());
    ffi::lua_rawget(l, ffi::LUA_REGISTRYINDEX);
    if let Err(e) = raw.push(func) {
        ffi::lua_settop(l, base);
        return Ended::NotRun(e);
    }
    let keys = inputs.keys.clone().map(|i| inputs.args.get(i));
    let argv = inputs.argv.clone().map(|i| inputs.args.get(i));
    let nargs = if inputs.as_globals {
        set_global_array(l, b"KEYS", keys);
        set_global_array(l, b"ARGV", argv);
        0
    } else {
        convert::push_strings(l, keys);
        convert::push_strings(l, argv);
        2
    };
    let status = {
        let _active = ActiveGuard::enter(active, ctx);
        ffi::lua_pcall(l, nargs, 1, base + 1)
    };
    let ended = if status == ffi::LUA_OK {
        let resp3 = ctx.borrow().client.reply.is_resp3();
        convert::write_reply(l, out, resp3, errors);
        Ended::Returned
    } else if ffi::lua_type(l, -1) == ffi::LUA_TTABLE {
        match raw.pop_value() {
            Value::Table(t) => Ended::Failed(t),
            other => Ended::FailedWith(other.type_name().to_owned()),
        }
    } else {
        let name = std::ffi::CStr::from_ptr(ffi::lua_typename(l, ffi::lua_type(l, -1)));
        Ended::FailedWith(name.to_string_lossy().into_owned())
    };
    ffi::lua_settop(l, base);
    ended
}

/// The error reply of a script that failed with the error table `t`:
/// `<err> script: <name>, on <source>:<line>.`. An error a command
/// already counted is not counted again, but the call still failed.
fn script_error(srv: &mut Server, caller: &mut Client, req: &RunRequest, t: &Table) -> CmdResult {
    let msg: Vec<u8> = match t.raw_get::<Value>("err") {
        Ok(Value::String(s)) => s.as_bytes().to_vec(),
        _ => b"ERR unknown error".to_vec(),
    };
    let mut text = convert::trim_line_ends(&msg).to_vec();
    let source: Option<String> = t.raw_get("source").ok().flatten();
    let line: Option<i64> = t.raw_get("line").ok().flatten();
    if let (Some(source), Some(line)) = (source, line) {
        text.extend_from_slice(format!(" script: {}, on {source}:{line}.", req.name).as_bytes());
    }
    let ignore = matches!(
        t.raw_get::<Value>("ignore_err_stats_update"),
        Ok(Value::Boolean(true))
    );
    if ignore {
        caller.reply.error_line(&text);
        if let Some(id) = caller.last_cmd {
            srv.stats.commands[id].failed_calls += 1;
        }
        return Ok(());
    }
    Err(CmdError::Message(
        String::from_utf8_lossy(&text).into_owned().into(),
    ))
}

/// Counts the error replies in what a script returned as Redis does: an
/// error a command already counted only fails the call; another is
/// counted by its code, and fails the call once.
fn count_written_errors(srv: &mut Server, caller: &Client, errors: &convert::WrittenErrors) {
    let Some(id) = caller.last_cmd else {
        return;
    };
    let mut counted = false;
    for (text, ignored) in errors {
        if *ignored {
            srv.stats.commands[id].failed_calls += 1;
        } else {
            srv.stats.count_error(text);
            counted = true;
        }
    }
    if counted {
        srv.stats.commands[id].failed_calls += 1;
    }
}

/// The client a script's commands run with (Redis's Lua client): it has
/// no peer, which SLOWLOG shows as `?:0` (MONITOR shows `lua`).
fn script_client() -> Client {
    let mut c = Client::new(0, usize::MAX, Stream::Fake, "?:0".into(), String::new(), 0);
    c.script = true;
    c
}

/// An error a `redis` API function raises, in Redis's words.
fn raised(msg: &str) -> mlua::Error {
    mlua::Error::external(RaisedError {
        text: msg.as_bytes().to_vec(),
    })
}

/// Why a write cannot run now (MISCONF), as dispatch says it.
pub(super) fn write_denied(srv: &Server) -> Option<CmdError> {
    if srv.writes_denied() {
        return Some(CmdError::Misconf);
    }
    srv.aof
        .write_error
        .as_ref()
        .map(|e| CmdError::Message(format!("MISCONF Errors writing to the AOF file: {e}").into()))
}

/// The hook's question, every [`HOOK_INSTRUCTIONS`]: past the threshold,
/// serve the other clients; then whether the script must stop.
fn tick(ctx: &Ctx<'_>) -> bool {
    let Ok(mut c) = ctx.try_borrow_mut() else {
        return false;
    };
    let srv = &mut *c.srv;
    let threshold = u128::try_from(srv.config.lua_time_limit).unwrap_or(0);
    let Some(r) = srv.scripting.running.as_mut() else {
        return false;
    };
    let first = !r.timed_out;
    if first {
        let elapsed = r.started.elapsed().as_millis();
        if elapsed < threshold {
            return false;
        }
        r.timed_out = true;
        log::warn!(
            "Slow script detected: still in execution after {elapsed} milliseconds. You can try \
             killing the script using the {} command. Script name is: {}.",
            if r.is_eval {
                "SCRIPT KILL"
            } else {
                "FUNCTION KILL"
            },
            r.name
        );
    }
    srv.process_events_while_blocked(first);
    let kill = srv.scripting.running.as_ref().is_some_and(|r| r.kill);
    if kill {
        log::warn!("Lua script killed by user with SCRIPT KILL.");
    }
    kill || srv.shutdown.is_some()
}

/// Sets the global `name` to an array of `items`.
///
/// # Safety
/// `l` is a state with three free stack slots.
unsafe fn set_global_array<'a>(
    l: *mut ffi::lua_State,
    name: &[u8],
    items: impl ExactSizeIterator<Item = &'a [u8]>,
) {
    convert::push_bytes(l, name);
    convert::push_strings(l, items);
    ffi::lua_rawset(l, ffi::LUA_GLOBALSINDEX);
}
