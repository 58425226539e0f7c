//! Conversions between Redis replies and Lua values, by Redis 7.0's rules.
//!
//! A command run from a script writes its reply as RESP into the script
//! client's buffer, and that reply is read back into Lua, as Redis reads
//! it back: integers become numbers, bulk strings strings, a status
//! `{ok=...}`, an error `{err=...}`, a null bulk or array `false`, and
//! under `redis.setresp(3)` maps, sets, doubles, big numbers, verbatim
//! strings, booleans and the null in their table forms. The other way,
//! what a script returns is written to its caller: numbers truncated to
//! integers, tables read as arrays up to their first nil unless they carry
//! one of the `err`, `ok`, `double`, `big_number`, `verbatim_string`,
//! `map` or `set` fields.

use std::ffi::c_int;

use mlua::{ffi, Lua, Table, Value};

use crate::protocol::reply::ReplyBuf;

/// Deepest nesting of a reply read back into Lua (Redis's Lua stack
/// checks give up far below what a reply can nest).
const MAX_DEPTH: usize = 1000;

/// A reply that does not parse as RESP (never one a command wrote).
#[derive(Debug, Clone, Copy)]
pub struct Malformed;

/// Pushes one RESP reply (what a command wrote) onto the stack as a Lua
/// value; also says whether it was an error reply. On failure nothing is
/// left pushed.
///
/// # Safety
/// `l` is a state in a C function or at the API's base, where nothing
/// raises a Lua error: creating values allocates, and an allocation
/// failure aborts.
pub unsafe fn push_reply(l: *mut ffi::lua_State, bytes: &[u8]) -> Result<bool, Malformed> {
    let top = ffi::lua_gettop(l);
    let mut r = Reader { l, bytes, pos: 0 };
    match r.value(0) {
        Ok(()) => Ok(bytes.first() == Some(&b'-')),
        Err(e) => {
            ffi::lua_settop(l, top);
            Err(e)
        }
    }
}

struct Reader<'a> {
    l: *mut ffi::lua_State,
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn line(&mut self) -> Result<&[u8], Malformed> {
        let rest = self.bytes.get(self.pos..).ok_or(Malformed)?;
        let end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or(Malformed)?;
        self.pos += end + 2;
        Ok(&rest[..end])
    }

    fn int_line(&mut self) -> Result<i64, Malformed> {
        let line = self.line()?;
        crate::protocol::parser::parse_i64_strict(line).ok_or(Malformed)
    }

    fn bulk(&mut self, len: i64) -> Result<&[u8], Malformed> {
        let len = usize::try_from(len).map_err(|_| Malformed)?;
        let data = self.bytes.get(self.pos..self.pos + len).ok_or(Malformed)?;
        self.pos += len + 2;
        Ok(data)
    }

    /// How many elements an aggregate header may announce: each takes at
    /// least three bytes, so tables are never sized past the reply.
    fn capacity(&self, n: i64) -> c_int {
        let most = self.bytes.len().saturating_sub(self.pos) / 3;
        c_int::try_from(usize::try_from(n).unwrap_or(0).min(most)).unwrap_or(c_int::MAX)
    }

    /// Pushes the next value.
    unsafe fn value(&mut self, depth: usize) -> Result<(), Malformed> {
        // A value pushes at most three slots of its own (a wrapper, its
        // table, a string); nested values make sure of theirs.
        if depth > MAX_DEPTH || ffi::lua_checkstack(self.l, 3) == 0 {
            return Err(Malformed);
        }
        let kind = *self.bytes.get(self.pos).ok_or(Malformed)?;
        self.pos += 1;
        let l = self.l;
        match kind {
            b'+' => {
                let line = self.line()?;
                ffi::lua_createtable(l, 0, 1);
                push_bytes(l, line);
                ffi::lua_setfield(l, -2, c"ok".as_ptr());
            }
            b'-' => {
                let line = self.line()?;
                let mut text = Vec::with_capacity(line.len() + 1);
                text.push(b'-');
                text.extend_from_slice(line);
                push_error_table(l, &text, true);
            }
            b':' => ffi::lua_pushnumber(l, self.int_line()? as f64),
            b'$' => match self.int_line()? {
                -1 => ffi::lua_pushboolean(l, 0),
                len => push_bytes(l, self.bulk(len)?),
            },
            b'*' => match self.int_line()? {
                -1 => ffi::lua_pushboolean(l, 0),
                n => {
                    ffi::lua_createtable(l, self.capacity(n), 0);
                    for i in (1..=c_int::MAX).take(usize::try_from(n).unwrap_or(0)) {
                        self.value(depth + 1)?;
                        ffi::lua_rawseti_(l, -2, i);
                    }
                }
            },
            b'_' => {
                self.line()?;
                ffi::lua_pushnil(l);
            }
            b'#' => {
                let t = self.line()? == b"t";
                ffi::lua_pushboolean(l, c_int::from(t));
            }
            b',' => {
                let line = self.line()?;
                let d = match line {
                    b"inf" => f64::INFINITY,
                    b"-inf" => f64::NEG_INFINITY,
                    b"nan" | b"-nan" => f64::NAN,
                    _ => std::str::from_utf8(line)
                        .ok()
                        .and_then(|s| s.parse().ok())
                        .ok_or(Malformed)?,
                };
                ffi::lua_createtable(l, 0, 1);
                ffi::lua_pushnumber(l, d);
                ffi::lua_setfield(l, -2, c"double".as_ptr());
            }
            b'(' => {
                let line = self.line()?;
                ffi::lua_createtable(l, 0, 1);
                push_bytes(l, line);
                ffi::lua_setfield(l, -2, c"big_number".as_ptr());
            }
            b'=' => {
                let len = self.int_line()?;
                let data = self.bulk(len)?;
                let (format, text) = if data.len() >= 4 && data[3] == b':' {
                    data.split_at(3)
                } else {
                    (&b"txt"[..], &b":"[..])
                };
                ffi::lua_createtable(l, 0, 1);
                ffi::lua_createtable(l, 0, 2);
                push_bytes(l, format);
                ffi::lua_setfield(l, -2, c"format".as_ptr());
                push_bytes(l, &text[1..]);
                ffi::lua_setfield(l, -2, c"string".as_ptr());
                ffi::lua_setfield(l, -2, c"verbatim_string".as_ptr());
            }
            b'%' => {
                let n = self.int_line()?;
                ffi::lua_createtable(l, 0, 1);
                ffi::lua_createtable(l, 0, self.capacity(n));
                for _ in 0..n {
                    self.value(depth + 1)?;
                    self.value(depth + 1)?;
                    if ffi::lua_type(l, -2) == ffi::LUA_TNIL {
                        ffi::lua_pop(l, 2);
                    } else {
                        ffi::lua_rawset(l, -3);
                    }
                }
                ffi::lua_setfield(l, -2, c"map".as_ptr());
            }
            b'~' => {
                let n = self.int_line()?;
                ffi::lua_createtable(l, 0, 1);
                ffi::lua_createtable(l, 0, self.capacity(n));
                for _ in 0..n {
                    self.value(depth + 1)?;
                    if ffi::lua_type(l, -1) == ffi::LUA_TNIL {
                        ffi::lua_pop(l, 1);
                    } else {
                        ffi::lua_pushboolean(l, 1);
                        ffi::lua_rawset(l, -3);
                    }
                }
                ffi::lua_setfield(l, -2, c"set".as_ptr());
            }
            b'|' => {
                // Attributes are not passed to scripts: skip them.
                let n = self.int_line()?;
                for _ in 0..n.saturating_mul(2) {
                    self.value(depth + 1)?;
                    ffi::lua_pop(l, 1);
                }
                self.value(depth)?;
            }
            _ => return Err(Malformed),
        }
        Ok(())
    }
}

/// The bytes of the string at `idx`, valid while it stays on the stack.
///
/// # Safety
/// The value at `idx` is a string (a number would be converted in place).
pub unsafe fn bytes_at<'a>(l: *mut ffi::lua_State, idx: c_int) -> &'a [u8] {
    let mut len = 0;
    let p = ffi::lua_tolstring(l, idx, &mut len);
    if p.is_null() {
        return &[];
    }
    std::slice::from_raw_parts(p.cast(), len)
}

/// Pushes a Lua string of `s`.
///
/// # Safety
/// `l` is a state with a free stack slot.
pub unsafe fn push_bytes(l: *mut ffi::lua_State, s: &[u8]) {
    ffi::lua_pushlstring_(l, s.as_ptr().cast(), s.len());
}

/// Pushes a new Lua array of `items` (KEYS, ARGV, a function's keys and
/// arguments).
///
/// # Safety
/// `l` is a state with two free stack slots.
pub unsafe fn push_strings<'a>(
    l: *mut ffi::lua_State,
    items: impl ExactSizeIterator<Item = &'a [u8]>,
) {
    ffi::lua_createtable(l, c_int::try_from(items.len()).unwrap_or(c_int::MAX), 0);
    for (i, item) in (1..=c_int::MAX).zip(items) {
        push_bytes(l, item);
        ffi::lua_rawseti_(l, -2, i);
    }
}

/// The error text Redis keeps in an error table: `-CODE msg` keeps its
/// code, anything else gets `ERR`; the leading `-` and trailing line
/// ends go (Redis's `luaPushErrorBuff`).
pub fn error_text(raw: &[u8]) -> Vec<u8> {
    let (code, msg): (&[u8], &[u8]) = match raw.strip_prefix(b"-") {
        Some(rest) => match rest.iter().position(|&b| b == b' ') {
            Some(sp) => (&rest[..sp], &rest[sp + 1..]),
            None => (b"ERR", rest),
        },
        None => (b"ERR", raw),
    };
    let msg = trim_line_ends(msg);
    let mut out = Vec::with_capacity(code.len() + 1 + msg.len());
    out.extend_from_slice(code);
    out.push(b' ');
    out.extend_from_slice(msg);
    out
}

/// An error table `{err = ...}` for `raw` in either of the forms
/// [`error_text`] reads.
pub fn error_table(lua: &Lua, raw: &[u8]) -> mlua::Result<Table> {
    // SAFETY: pushes one table.
    unsafe { lua.exec_raw((), |l| push_error_table(l, raw, false)) }
}

/// Pushes the error table for `raw` ([`error_table`]), with
/// `ignore_err_stats_update` set when `counted`: the error was counted
/// in the statistics already.
///
/// # Safety
/// `l` is a state with two free stack slots.
pub unsafe fn push_error_table(l: *mut ffi::lua_State, raw: &[u8], counted: bool) {
    ffi::lua_createtable(l, 0, 2);
    push_bytes(l, &error_text(raw));
    ffi::lua_setfield(l, -2, c"err".as_ptr());
    if counted {
        ffi::lua_pushboolean(l, 1);
        ffi::lua_setfield(l, -2, c"ignore_err_stats_update".as_ptr());
    }
}

/// `s` without the CRs and LFs at its ends (Redis's `sdstrim(s, "\r\n")`).
pub fn trim_line_ends(s: &[u8]) -> &[u8] {
    let start = s
        .iter()
        .position(|b| !matches!(b, b'\r' | b'\n'))
        .unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|b| !matches!(b, b'\r' | b'\n'))
        .map_or(start, |e| e + 1);
    &s[start..end.max(start)]
}

/// A Lua number as Redis's `(long long)` cast leaves it: out of range and
/// NaN give the x86 "integer indefinite" value, `i64::MIN`.
pub fn number_to_int(v: f64) -> i64 {
    // 2^63: the first double past i64's range either way.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if (-LIMIT..LIMIT).contains(&v) {
        v as i64
    } else {
        i64::MIN
    }
}

/// Error replies a script's return value wrote: their text, and whether
/// a command already counted them (`ignore_err_stats_update`).
pub type WrittenErrors = Vec<(Vec<u8>, bool)>;

/// Writes what a script returned to its caller. `script_resp3` is the
/// protocol the script last chose with `redis.setresp`, which decides how
/// booleans go out. Error tables, also nested in arrays, are written as
/// errors and listed in `errors` for the statistics.
pub fn lua_to_reply(
    out: &mut ReplyBuf,
    v: &Value,
    script_resp3: bool,
    errors: &mut WrittenErrors,
) -> mlua::Result<()> {
    match v {
        Value::String(s) => out.bulk(&s.as_bytes()),
        Value::Boolean(b) => {
            if script_resp3 {
                out.boolean(*b);
            } else if *b {
                out.int(1);
            } else {
                out.null();
            }
        }
        Value::Integer(i) => out.int(*i),
        Value::Number(n) => out.int(number_to_int(*n)),
        Value::Table(t) => table_to_reply(out, t, script_resp3, errors)?,
        _ => out.null(),
    }
    Ok(())
}

fn table_to_reply(
    out: &mut ReplyBuf,
    t: &Table,
    resp3: bool,
    errors: &mut WrittenErrors,
) -> mlua::Result<()> {
    if let Value::String(e) = t.raw_get::<Value>("err")? {
        let text = trim_line_ends(&e.as_bytes()).to_vec();
        out.error_line(&text);
        let ignored = matches!(
            t.raw_get::<Value>("ignore_err_stats_update")?,
            Value::Boolean(true)
        );
        errors.push((text, ignored));
        return Ok(());
    }
    if let Value::String(s) = t.raw_get::<Value>("ok")? {
        let text: Vec<u8> = trim_line_ends(&s.as_bytes()).to_vec();
        out.simple(&no_line_ends(text));
        return Ok(());
    }
    if let Value::Number(d) = t.raw_get::<Value>("double")? {
        out.double(d);
        return Ok(());
    }
    if let Value::Integer(d) = t.raw_get::<Value>("double")? {
        out.double(d as f64);
        return Ok(());
    }
    if let Value::String(s) = t.raw_get::<Value>("big_number")? {
        let text = no_line_ends(s.as_bytes().to_vec());
        if out.is_resp3() {
            out.raw(b"(");
            out.raw(&text);
            out.raw(b"\r\n");
        } else {
            out.bulk(&text);
        }
        return Ok(());
    }
    if let Value::Table(v) = t.raw_get::<Value>("verbatim_string")? {
        if let (Value::String(f), Value::String(s)) =
            (v.raw_get::<Value>("format")?, v.raw_get::<Value>("string")?)
        {
            let (f, s) = (f.as_bytes(), s.as_bytes());
            if out.is_resp3() {
                let mut tmp = [0u8; 20];
                out.raw(b"=");
                out.raw(crate::protocol::reply::format_i64(
                    s.len() as i64 + 4,
                    &mut tmp,
                ));
                out.raw(b"\r\n");
                out.raw(f.get(..3).unwrap_or(&f));
                out.raw(b":");
                out.raw(&s);
                out.raw(b"\r\n");
            } else {
                out.bulk(&s);
            }
            return Ok(());
        }
    }
    if let Value::Table(m) = t.raw_get::<Value>("map")? {
        let pairs: Vec<(Value, Value)> = m.pairs::<Value, Value>().collect::<mlua::Result<_>>()?;
        out.map_len(pairs.len());
        for (k, v) in &pairs {
            lua_to_reply(out, k, resp3, errors)?;
            lua_to_reply(out, v, resp3, errors)?;
        }
        return Ok(());
    }
    if let Value::Table(s) = t.raw_get::<Value>("set")? {
        let keys: Vec<Value> = s
            .pairs::<Value, Value>()
            .map(|p| p.map(|(k, _)| k))
            .collect::<mlua::Result<_>>()?;
        out.set_len(keys.len());
        for k in &keys {
            lua_to_reply(out, k, resp3, errors)?;
        }
        return Ok(());
    }
    let mut n = 0;
    while !t.raw_get::<Value>(n + 1)?.is_nil() {
        n += 1;
    }
    out.array_len(n);
    for i in 1..=n {
        lua_to_reply(out, &t.raw_get::<Value>(i)?, resp3, errors)?;
    }
    Ok(())
}

/// CRs and LFs inside a one-line reply become spaces, as Redis maps them.
fn no_line_ends(mut s: Vec<u8>) -> Vec<u8> {
    for b in &mut s {
        if matches!(*b, b'\r' | b'\n') {
            *b = b' ';
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_texts_as_redis_builds_them() {
        assert_eq!(error_text(b"-WRONGTYPE Operation"), b"WRONGTYPE Operation");
        assert_eq!(error_text(b"-FOO"), b"ERR FOO");
        assert_eq!(error_text(b"my error\r\n"), b"ERR my error");
        assert_eq!(trim_line_ends(b"\r\nab\n"), b"ab");
        assert_eq!(number_to_int(3.99), 3);
        assert_eq!(number_to_int(-3.99), -3);
        assert_eq!(number_to_int(1e20), i64::MIN);
        assert_eq!(number_to_int(f64::NAN), i64::MIN);
    }

    /// A reply read into a Lua value, and whether it was an error.
    fn read(lua: &Lua, bytes: &[u8]) -> (Value, bool) {
        let mut err = false;
        // SAFETY: pushes one value.
        let v = unsafe {
            lua.exec_raw((), |l| {
                err = push_reply(l, bytes).unwrap();
            })
        };
        (v.unwrap(), err)
    }

    #[test]
    fn replies_read_back_and_written_out() {
        let lua = Lua::new();
        let (v, err) = read(&lua, b"*3\r\n:1\r\n$-1\r\n+OK\r\n");
        assert!(!err);
        let mut out = ReplyBuf::new();
        lua_to_reply(&mut out, &v, false, &mut Vec::new()).unwrap();
        // false from the null bulk is a null; the status stays a status.
        assert_eq!(out.pending(), b"*3\r\n:1\r\n$-1\r\n+OK\r\n");
        let (v, err) = read(&lua, b"%1\r\n$1\r\na\r\n,1.5\r\n");
        assert!(!err);
        let mut out = ReplyBuf::new();
        out.set_resp3(true);
        lua_to_reply(&mut out, &v, true, &mut Vec::new()).unwrap();
        assert_eq!(out.pending(), b"%1\r\n$1\r\na\r\n,1.5\r\n");
        let (_, err) = read(&lua, b"-ERR x\r\n");
        assert!(err);
    }
}
