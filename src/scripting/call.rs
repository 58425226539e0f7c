//! `redis.call` and `redis.pcall`: the command a script calls, run
//! through the command table with the script's client after Redis's
//! checks in Redis's order (unknown, arity, `noscript`, the ACL hook,
//! writes in read-only scripts, MISCONF, OOM).
//!
//! Both are C functions that work on the Lua stack itself: the arguments
//! are read off it into buffers kept between calls, and the command's
//! reply is pushed onto it as the Lua value Redis makes of it
//! ([`convert::push_reply`]), so a call holds no handle to a Lua value and
//! allocates nothing of its own. An error is an error table, raised by
//! `redis.call` and returned by `redis.pcall`, as Redis does; the raise
//! happens in the C function's own frame once every Rust value of the
//! call is gone, since Lua's error is a `longjmp`.

use std::ffi::c_int;
use std::ops::Range;
use std::panic::{catch_unwind, AssertUnwindSafe};

use mlua::{ffi, Function, Lua, Table};

use super::convert;
use super::run::{write_denied, Active, RunCtx};
use crate::commands::{self, flags, Args, CommandId, Lookup};
use crate::server::{acl, evict};

/// What a call leaves on top of the stack: its result, or the error
/// table to raise.
#[derive(Debug, Clone, Copy)]
enum Outcome {
    Value,
    Raise,
}

/// Registers `redis.call` and `redis.pcall` on `redis`; they find the
/// running script through `active`, which outlives the state.
pub(super) fn register(lua: &Lua, redis: &Table, active: *const Active) -> mlua::Result<()> {
    let functions: [(&str, ffi::lua_CFunction); 2] = [("call", redis_call), ("pcall", redis_pcall)];
    for (name, f) in functions {
        // SAFETY: pushes one C closure over one light userdata.
        let func = unsafe {
            lua.exec_raw::<Function>((), |l| {
                ffi::lua_pushlightuserdata(l, active.cast_mut().cast());
                ffi::lua_pushcclosure(l, f, 1);
            })
        }?;
        redis.raw_set(name, func)?;
    }
    Ok(())
}

unsafe extern "C-unwind" fn redis_call(l: *mut ffi::lua_State) -> c_int {
    match entry(l, true) {
        Outcome::Value => 1,
        Outcome::Raise => ffi::lua_error(l),
    }
}

unsafe extern "C-unwind" fn redis_pcall(l: *mut ffi::lua_State) -> c_int {
    match entry(l, false) {
        Outcome::Value => 1,
        Outcome::Raise => ffi::lua_error(l),
    }
}

/// Runs a call and leaves its outcome on top of the stack. It never
/// unwinds: a panic is kept in the run's context, for the run to resume
/// once Lua has returned, and the script is stopped with an error.
///
/// # Safety
/// `l` is running one of the C functions [`register`] made, whose
/// upvalue is the state's [`Active`].
unsafe fn entry(l: *mut ffi::lua_State, raise: bool) -> Outcome {
    let active = ffi::lua_touserdata(l, ffi::lua_upvalueindex(1)).cast::<Active>();
    let Some(ctx) = active.as_ref().and_then(|a| a.current()) else {
        return fail(
            l,
            true,
            b"This Redis API is not supported outside of a script.",
            false,
        );
    };
    if ffi::lua_gettop(l) == 0 {
        return fail(
            l,
            raise,
            b"Please specify at least one argument for this redis lib call",
            false,
        );
    }
    let Ok(mut c) = ctx.try_borrow_mut() else {
        return fail(l, raise, b"ERR redis.call is not allowed here", false);
    };
    match catch_unwind(AssertUnwindSafe(|| call(&mut c, l, raise))) {
        Ok(outcome) => outcome,
        Err(panic) => {
            c.panic = Some(panic);
            fail(l, true, b"ERR the command panicked", false)
        }
    }
}

/// Pushes the error table for `text` (with `ignore_err_stats_update`
/// when the error was counted already); `redis.call` raises it.
///
/// # Safety
/// `l` has two free stack slots.
unsafe fn fail(l: *mut ffi::lua_State, raise: bool, text: &[u8], ignore_stats: bool) -> Outcome {
    convert::push_error_table(l, text, ignore_stats);
    if raise {
        Outcome::Raise
    } else {
        Outcome::Value
    }
}

/// `redis.call(...)` (`raise`) or `redis.pcall(...)` with the context
/// borrowed.
///
/// # Safety
/// `l` is the state running the call, its (one or more) arguments on
/// the stack.
unsafe fn call(c: &mut RunCtx, l: *mut ffi::lua_State, raise: bool) -> Outcome {
    let n = ffi::lua_gettop(l);
    // The argument buffers are kept between calls: no allocation per call.
    let (mut data, mut ranges) = std::mem::take(&mut c.scratch);
    data.clear();
    ranges.clear();
    let outcome = if read_args(l, n, &mut data, &mut ranges) {
        run_command(c, l, raise, &Args::new(&data, &ranges))
    } else {
        fail(
            l,
            raise,
            b"Lua redis lib command arguments must be strings or integers",
            false,
        )
    };
    c.scratch = (data, ranges);
    outcome
}

/// Copies the call's `n` arguments into one buffer, numbers written as
/// Redis writes them; false when one is neither a string nor a number.
///
/// # Safety
/// `l` holds `n` values on its stack.
unsafe fn read_args(
    l: *mut ffi::lua_State,
    n: c_int,
    data: &mut Vec<u8>,
    ranges: &mut Vec<Range<usize>>,
) -> bool {
    for i in 1..=n {
        let start = data.len();
        match ffi::lua_type(l, i) {
            ffi::LUA_TSTRING => data.extend_from_slice(convert::bytes_at(l, i)),
            ffi::LUA_TNUMBER => write_number(ffi::lua_tonumber(l, i), data),
            _ => return false,
        }
        ranges.push(start..data.len());
    }
    true
}

/// Writes a number as Redis passes it to a command, `%.17g`; integers
/// under 10^17, which that prints as their digits, the faster way.
fn write_number(v: f64, data: &mut Vec<u8>) {
    const DIGITS_ONLY: f64 = 1e17;
    let i = v as i64;
    if v.abs() < DIGITS_ONLY && (i as f64).to_bits() == v.to_bits() {
        let mut tmp = [0u8; 20];
        data.extend_from_slice(crate::protocol::reply::format_i64(i, &mut tmp));
    } else {
        let mut buf = [0u8; crate::storage::float::G17_MAX];
        data.extend_from_slice(crate::storage::float::format_g17(v, &mut buf));
    }
}

/// Checks and runs the command and pushes its reply.
///
/// # Safety
/// `l` has a free stack slot.
unsafe fn run_command(c: &mut RunCtx, l: *mut ffi::lua_State, raise: bool, args: &Args) -> Outcome {
    let id = match check_call(c, args) {
        Ok(id) => id,
        Err((text, id)) => {
            let srv = &mut *c.srv;
            if let Some(id) = id {
                srv.stats.commands[id].rejected_calls += 1;
            }
            srv.stats.count_error(&convert::error_text(text.as_bytes()));
            return fail(l, raise, text.as_bytes(), true);
        }
    };
    let spec = c.srv.commands.all[id];
    if spec.has(flags::WRITE) {
        if let Some(r) = c.srv.scripting.running.as_mut() {
            r.wrote = true;
        }
    }
    let aof_before = c.srv.propagator.is_enabled();
    let propagate = c.repl & super::api::REPL_AOF != 0;
    if !propagate && aof_before {
        c.srv.propagator.pause();
    }
    commands::call(c.srv, &mut c.client, id, args);
    if !propagate && aof_before {
        c.srv.propagator.resume();
    }
    let pushed = convert::push_reply(l, c.client.reply.pending());
    c.client.reply.discard_from(0);
    match pushed {
        // An error reply is an error table already, marked as counted.
        Ok(true) if raise => Outcome::Raise,
        Ok(_) => Outcome::Value,
        Err(convert::Malformed) => fail(l, true, b"malformed reply", false),
    }
}

/// Redis's checks before a script's command runs, in its order: the
/// command, or the error text and the command when one was found.
fn check_call(c: &mut RunCtx, args: &Args) -> Result<CommandId, (String, Option<CommandId>)> {
    let srv = &mut *c.srv;
    let id = match srv.commands.lookup(args) {
        Lookup::Found(id) => id,
        _ => return Err(("Unknown Redis command called from script".into(), None)),
    };
    let spec = srv.commands.all[id];
    if !spec.arity_ok(args.len()) {
        return Err((
            "Wrong number of args calling Redis command from script".into(),
            Some(id),
        ));
    }
    if spec.has(flags::NOSCRIPT) {
        return Err((
            "This Redis command is not allowed from script".into(),
            Some(id),
        ));
    }
    acl_check(c, id, args).map_err(|e| (e, Some(id)))?;
    let srv = &mut *c.srv;
    if spec.has(flags::WRITE) {
        if c.read_only {
            return Err((
                "Write commands are not allowed from read-only scripts.".into(),
                Some(id),
            ));
        }
        if let Some(e) = write_denied(srv) {
            let mut text = String::from("-");
            text.push_str(&String::from_utf8_lossy(&e.text()));
            return Err((text, Some(id)));
        }
    }
    let wrote = srv.scripting.running.as_ref().is_some_and(|r| r.wrote);
    if c.oom && !wrote && spec.has(flags::DENYOOM) {
        return Err((format!("-{}", evict::OOM_ERROR), Some(id)));
    }
    Ok(id)
}

/// Whether the user running the script may run this command, with
/// Redis's wording for scripts; a refusal is logged as the `lua` context.
fn acl_check(c: &mut RunCtx, id: CommandId, args: &Args) -> Result<(), String> {
    let srv = &mut *c.srv;
    let Err(refusal) = acl::check(srv, c.client.user.as_deref(), id, args) else {
        return Ok(());
    };
    let spec = srv.commands.all[id];
    acl::log_refusal(srv, &c.client, refusal, acl::Context::Lua, spec, args);
    Err(match refusal {
        acl::Refusal::Command => "The user executing the script can't run this command or subcommand",
        acl::Refusal::Key(_) => {
            "The user executing the script can't access at least one of the keys mentioned in the command"
        }
        acl::Refusal::Channel(_) => {
            "The user executing the script can't publish to the channel mentioned in the command"
        }
    }
    .into())
}
