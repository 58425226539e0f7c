//! What the four libraries share with Lua's C API: raising errors as the C
//! functions do, checking arguments with `luaL_check*`'s rules and texts,
//! and Lua 5.1's number/string conversions (`%.14g`, `lua_str2number`).
//!
//! A Rust callback cannot raise a Lua error itself: mlua would wrap it in a
//! userdata, where a C library raises a string. So each library function is
//! a Rust closure that reports failure through a marker value, called by a
//! small C-ABI trampoline that holds no Rust state and raises the string with
//! `luaL_where` or `luaL_argerror`, as the C function would have.
//!
//! mlua keeps every value a Rust handle holds in one auxiliary Lua stack,
//! itself limited to `LUAI_MAXCSTACK` slots. The C libraries return up to
//! that many values and nest thousands of tables deep, so results go back
//! through one table ([`Spread`], unpacked onto the stack by the
//! trampoline) and decoders park the containers they fill in one table too
//! ([`Nest`]) instead of holding a handle per level.

use std::ffi::{c_char, c_int};

use mlua::{ffi, Function, LightUserData, Lua, MultiValue, Table, Value};

/// `LUAI_MAXCSTACK`: the stack slots one C function may use.
pub(crate) const MAX_STACK: usize = 8000;

/// How a library call failed.
#[derive(Debug)]
pub(crate) enum Fail {
    /// `luaL_error`: the text, after the calling line's position.
    Error(Vec<u8>),
    /// `luaL_argerror`: argument number and the text in parentheses.
    Arg(i32, Vec<u8>),
    /// An error the Lua core raises inside the C function, without a
    /// position (`table index is nil`).
    Raw(Vec<u8>),
}

impl Fail {
    pub(crate) fn msg(text: impl Into<Vec<u8>>) -> Fail {
        Fail::Error(text.into())
    }

    pub(crate) fn arg(n: usize, text: impl Into<Vec<u8>>) -> Fail {
        Fail::Arg(i32::try_from(n).unwrap_or(i32::MAX), text.into())
    }
}

impl From<mlua::Error> for Fail {
    fn from(e: mlua::Error) -> Fail {
        Fail::Error(e.to_string().into_bytes())
    }
}

pub(crate) type Res<T> = Result<T, Fail>;

/// The markers' addresses: a failed call returns the first, the kind and
/// the text; a spread result the second, the table and the count.
static FAIL_MARK: u8 = 0;
static SPREAD_MARK: u8 = 0;

fn mark() -> *mut std::ffi::c_void {
    std::ptr::addr_of!(FAIL_MARK) as *mut std::ffi::c_void
}

fn spread_mark() -> *mut std::ffi::c_void {
    std::ptr::addr_of!(SPREAD_MARK) as *mut std::ffi::c_void
}

/// Many results, gathered in a table the trampoline unpacks.
pub(crate) struct Spread {
    table: Table,
    len: usize,
}

impl Spread {
    pub(crate) fn new(lua: &Lua) -> mlua::Result<Spread> {
        Ok(Spread {
            table: lua.create_table()?,
            len: 0,
        })
    }

    pub(crate) fn push(&mut self, v: Value) -> mlua::Result<()> {
        self.len += 1;
        self.table.raw_set(self.len, v)
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Sets result `i` (1-based, within the length).
    pub(crate) fn set(&self, i: usize, v: Value) -> mlua::Result<()> {
        self.table.raw_set(i, v)
    }

    pub(crate) fn last(&self) -> mlua::Result<Option<Value>> {
        if self.len == 0 {
            return Ok(None);
        }
        self.table.raw_get(self.len).map(Some)
    }

    pub(crate) fn pop(&mut self) -> mlua::Result<()> {
        if self.len > 0 {
            self.table.raw_set(self.len, Value::Nil)?;
            self.len -= 1;
        }
        Ok(())
    }

    pub(crate) fn finish(self) -> MultiValue {
        MultiValue::from_iter([
            Value::LightUserData(LightUserData(spread_mark())),
            Value::Table(self.table),
            Value::Number(self.len as f64),
        ])
    }
}

/// Containers a decoder is filling, parked while it decodes their children.
pub(crate) struct Nest {
    stack: Table,
    len: usize,
}

impl Nest {
    pub(crate) fn new(lua: &Lua) -> mlua::Result<Nest> {
        Ok(Nest {
            stack: lua.create_table()?,
            len: 0,
        })
    }

    pub(crate) fn park(&mut self, t: Table) -> mlua::Result<()> {
        self.len += 1;
        self.stack.raw_set(self.len, t)
    }

    pub(crate) fn resume(&mut self) -> mlua::Result<Table> {
        let t = self.stack.raw_get(self.len)?;
        self.len -= 1;
        Ok(t)
    }
}

/// A Lua function running `f`, raising its failures as the C library would.
pub(crate) fn function<F>(lua: &Lua, f: F) -> mlua::Result<Function>
where
    F: Fn(&Lua, MultiValue) -> Res<MultiValue> + 'static,
{
    let inner = lua.create_function(move |lua, args: MultiValue| match f(lua, args) {
        Ok(values) => Ok(values),
        Err(fail) => {
            let (kind, text) = match fail {
                Fail::Error(text) => (-1, text),
                Fail::Raw(text) => (-2, text),
                Fail::Arg(n, text) => (i64::from(n.max(0)), text),
            };
            Ok(MultiValue::from_iter([
                Value::LightUserData(LightUserData(mark())),
                Value::Integer(kind),
                Value::String(lua.create_string(text)?),
            ]))
        }
    })?;
    // SAFETY: pushes one C closure over the function just pushed as argument.
    unsafe {
        lua.exec_raw::<Function>(inner, |state| {
            ffi::lua_pushcclosure(state, trampoline, 1);
        })
    }
}

/// Calls upvalue 1 with every argument and returns its results, or raises
/// the error it reported. No Rust value lives in this frame, so the
/// `longjmp` of `lua_error` skips nothing that needs dropping.
unsafe extern "C-unwind" fn trampoline(state: *mut ffi::lua_State) -> c_int {
    let nargs = ffi::lua_gettop(state);
    ffi::lua_pushvalue(state, ffi::lua_upvalueindex(1));
    ffi::lua_insert(state, 1);
    ffi::lua_call(state, nargs, ffi::LUA_MULTRET);
    let nresults = ffi::lua_gettop(state);
    if nresults == 3
        && ffi::lua_type(state, 1) == ffi::LUA_TLIGHTUSERDATA
        && ffi::lua_touserdata(state, 1) == mark()
    {
        let kind = ffi::lua_tointeger(state, 2);
        if kind == -2 {
            ffi::lua_settop(state, 3);
            ffi::lua_error(state);
        }
        if kind >= 0 {
            let text: *const c_char = ffi::lua_tolstring(state, 3, std::ptr::null_mut());
            ffi::luaL_argerror(state, kind as c_int, text);
        }
        ffi::luaL_where(state, 1);
        ffi::lua_pushvalue(state, 3);
        ffi::lua_concat(state, 2);
        ffi::lua_error(state);
    }
    if nresults == 3
        && ffi::lua_type(state, 1) == ffi::LUA_TLIGHTUSERDATA
        && ffi::lua_touserdata(state, 1) == spread_mark()
    {
        let n = ffi::lua_tointeger(state, 3) as c_int;
        ffi::lua_settop(state, 2);
        ffi::lua_remove(state, 1);
        if ffi::lua_checkstack(state, n) == 0 {
            ffi::luaL_error(state, c"stack overflow (too many results)".as_ptr());
        }
        for i in 1..=n {
            ffi::lua_rawgeti(state, 1, ffi::lua_Integer::from(i));
        }
        return n;
    }
    nresults
}

/// `luaL_typename`, with "no value" for a missing argument.
pub(crate) fn type_name(v: Option<&Value>) -> &'static str {
    match v {
        None => "no value",
        Some(Value::Nil) => "nil",
        Some(Value::Boolean(_)) => "boolean",
        Some(Value::Integer(_) | Value::Number(_)) => "number",
        Some(Value::String(_)) => "string",
        Some(Value::Table(_)) => "table",
        Some(Value::Function(_)) => "function",
        Some(Value::Thread(_)) => "thread",
        Some(_) => "userdata",
    }
}

/// `lua_typename` of a raw type tag.
pub(crate) fn tag_name(t: c_int) -> &'static str {
    match t {
        ffi::LUA_TNIL => "nil",
        ffi::LUA_TBOOLEAN => "boolean",
        ffi::LUA_TNUMBER => "number",
        ffi::LUA_TSTRING => "string",
        ffi::LUA_TTABLE => "table",
        ffi::LUA_TFUNCTION => "function",
        ffi::LUA_TTHREAD => "thread",
        _ => "userdata",
    }
}

/// `luaL_typerror`'s failure for argument `n` (1-based).
pub(crate) fn type_error(args: &[Value], n: usize, expected: &str) -> Fail {
    let got = type_name(args.get(n - 1));
    Fail::arg(n, format!("{expected} expected, got {got}"))
}

/// `lua_tonumber`: numbers, and strings Lua converts.
pub(crate) fn to_number(v: &Value) -> Option<f64> {
    match v {
        Value::Integer(i) => Some(*i as f64),
        Value::Number(n) => Some(*n),
        Value::String(s) => str2number(&s.as_bytes()),
        _ => None,
    }
}

/// `luaL_checknumber` on argument `n` (1-based).
pub(crate) fn check_number(args: &[Value], n: usize) -> Res<f64> {
    args.get(n - 1)
        .and_then(to_number)
        .ok_or_else(|| type_error(args, n, "number"))
}

/// `luaL_checkinteger`: the number cast as C casts a double to `long`
/// (x86-64 gives the minimum for anything out of range, NaN included).
pub(crate) fn check_integer(args: &[Value], n: usize) -> Res<i64> {
    check_number(args, n).map(double_to_long)
}

/// `luaL_optinteger`: `default` for nil or a missing argument.
pub(crate) fn opt_integer(args: &[Value], n: usize, default: i64) -> Res<i64> {
    match args.get(n - 1) {
        None | Some(Value::Nil) => Ok(default),
        Some(_) => check_integer(args, n),
    }
}

/// 2^63 as a double.
pub(crate) const TWO_63: f64 = (1u64 << 63) as f64;

/// C's `(long)d` on x86-64.
pub(crate) fn double_to_long(d: f64) -> i64 {
    if (-TWO_63..TWO_63).contains(&d) {
        d as i64
    } else {
        i64::MIN
    }
}

/// `luaL_checklstring`: strings, and numbers as Lua prints them.
pub(crate) fn check_bytes(args: &[Value], n: usize) -> Res<Vec<u8>> {
    match args.get(n - 1) {
        Some(Value::String(s)) => Ok(s.as_bytes().to_vec()),
        Some(Value::Integer(i)) => Ok(number_bytes(*i as f64)),
        Some(Value::Number(d)) => Ok(number_bytes(*d)),
        _ => Err(type_error(args, n, "string")),
    }
}

/// A number as Lua 5.1 turns it into a string (`%.14g`).
pub(crate) fn number_bytes(d: f64) -> Vec<u8> {
    let mut out = Vec::with_capacity(24);
    fmt_g(d, 14, &mut out);
    out
}

/// Appends `d` formatted with C's `%.<precision>g`.
pub(crate) fn fmt_g(d: f64, precision: i32, out: &mut Vec<u8>) {
    let mut buf = [0u8; 64];
    // SAFETY: the buffer's size is passed; the format takes one int and one double.
    let n = unsafe {
        libc::snprintf(
            buf.as_mut_ptr().cast(),
            buf.len(),
            c"%.*g".as_ptr(),
            precision as c_int,
            d,
        )
    };
    let n = usize::try_from(n).unwrap_or(0).min(buf.len() - 1);
    out.extend_from_slice(&buf[..n]);
}

/// C's `strtod` on NUL-terminated bytes: the value and how many bytes it
/// took (0 when none).
pub(crate) fn strtod(terminated: &[u8]) -> (f64, usize) {
    if terminated.last() != Some(&0) {
        return (0.0, 0);
    }
    let start = terminated.as_ptr().cast::<c_char>();
    let mut end = start.cast_mut();
    // SAFETY: the slice ends with a NUL, so strtod stops inside it.
    let d = unsafe { libc::strtod(start, &mut end) };
    (d, end as usize - start as usize)
}

/// Lua 5.1's `luaO_str2d`: `strtod`, or hexadecimal through `strtoul`,
/// then nothing but white space to the end (a NUL ends the string).
pub(crate) fn str2number(s: &[u8]) -> Option<f64> {
    let text = s.split(|&b| b == 0).next().unwrap_or_default();
    let mut terminated = Vec::with_capacity(text.len() + 1);
    terminated.extend_from_slice(text);
    terminated.push(0);
    let (mut d, mut used) = strtod(&terminated);
    if used == 0 {
        return None;
    }
    if matches!(text.get(used), Some(b'x' | b'X')) {
        let start = terminated.as_ptr().cast::<c_char>();
        let mut end = start.cast_mut();
        // SAFETY: NUL-terminated as above.
        let u = unsafe { libc::strtoul(start, &mut end, 16) };
        d = u as f64;
        used = end as usize - start as usize;
    }
    let rest = text.get(used..).unwrap_or_default();
    rest.iter()
        .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c))
        .then_some(d)
}
