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

/// Reads one RESP reply (what a command wrote) into a Lua value. Also
/// says whether it was an error reply.
pub fn reply_to_lua(lua: &Lua, bytes: &[u8]) -> mlua::Result<(Value, bool)> {
    let mut r = Reader { lua, bytes, pos: 0 };
    let is_error = bytes.first() == Some(&b'-');
    let v = r.value(0)?;
    Ok((v, is_error))
}

struct Reader<'a> {
    lua: &'a Lua,
    bytes: &'a [u8],
    pos: usize,
}

fn malformed() -> mlua::Error {
    mlua::Error::RuntimeError("malformed reply".into())
}

impl Reader<'_> {
    fn line(&mut self) -> mlua::Result<&[u8]> {
        let rest = self.bytes.get(self.pos..).ok_or_else(malformed)?;
        let end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(malformed)?;
        self.pos += end + 2;
        Ok(&rest[..end])
    }

    fn int_line(&mut self) -> mlua::Result<i64> {
        let line = self.line()?;
        crate::protocol::parser::parse_i64_strict(line).ok_or_else(malformed)
    }

    fn bulk(&mut self, len: i64) -> mlua::Result<&[u8]> {
        let len = usize::try_from(len).map_err(|_| malformed())?;
        let data = self
            .bytes
            .get(self.pos..self.pos + len)
            .ok_or_else(malformed)?;
        self.pos += len + 2;
        Ok(data)
    }

    fn value(&mut self, depth: usize) -> mlua::Result<Value> {
        if depth > MAX_DEPTH {
            return Err(malformed());
        }
        let kind = *self.bytes.get(self.pos).ok_or_else(malformed)?;
        self.pos += 1;
        let lua = self.lua;
        Ok(match kind {
            b'+' => {
                let t = lua.create_table()?;
                t.raw_set("ok", lua.create_string(self.line()?)?)?;
                Value::Table(t)
            }
            b'-' => {
                let line = self.line()?;
                let mut text = Vec::with_capacity(line.len() + 1);
                text.push(b'-');
                text.extend_from_slice(line);
                let t = error_table(lua, &text)?;
                t.raw_set("ignore_err_stats_update", true)?;
                Value::Table(t)
            }
            b':' => Value::Number(self.int_line()? as f64),
            b'$' => match self.int_line()? {
                -1 => Value::Boolean(false),
                len => Value::String(lua.create_string(self.bulk(len)?)?),
            },
            b'*' => match self.int_line()? {
                -1 => Value::Boolean(false),
                n => {
                    let t = lua.create_table_with_capacity(n.max(0) as usize, 0)?;
                    for i in 1..=n {
                        t.raw_set(i, self.value(depth + 1)?)?;
                    }
                    Value::Table(t)
                }
            },
            b'_' => {
                self.line()?;
                Value::Nil
            }
            b'#' => Value::Boolean(self.line()? == b"t"),
            b',' => {
                let line = self.line()?;
                let d = match line {
                    b"inf" => f64::INFINITY,
                    b"-inf" => f64::NEG_INFINITY,
                    b"nan" | b"-nan" => f64::NAN,
                    _ => std::str::from_utf8(line)
                        .ok()
                        .and_then(|s| s.parse().ok())
                        .ok_or_else(malformed)?,
                };
                wrapped(lua, "double", Value::Number(d))?
            }
            b'(' => {
                let s = lua.create_string(self.line()?)?;
                wrapped(lua, "big_number", Value::String(s))?
            }
            b'=' => {
                let len = self.int_line()?;
                let data = self.bulk(len)?;
                let (format, text) = if data.len() >= 4 && data[3] == b':' {
                    data.split_at(3)
                } else {
                    (&b"txt"[..], &b":"[..])
                };
                let t = lua.create_table()?;
                t.raw_set("format", lua.create_string(format)?)?;
                t.raw_set("string", lua.create_string(&text[1..])?)?;
                wrapped(lua, "verbatim_string", Value::Table(t))?
            }
            b'%' => {
                let n = self.int_line()?;
                let t = lua.create_table()?;
                for _ in 0..n {
                    let k = self.value(depth + 1)?;
                    let v = self.value(depth + 1)?;
                    if !k.is_nil() {
                        t.raw_set(k, v)?;
                    }
                }
                wrapped(lua, "map", Value::Table(t))?
            }
            b'~' => {
                let n = self.int_line()?;
                let t = lua.create_table()?;
                for _ in 0..n {
                    let k = self.value(depth + 1)?;
                    if !k.is_nil() {
                        t.raw_set(k, true)?;
                    }
                }
                wrapped(lua, "set", Value::Table(t))?
            }
            b'|' => {
                // Attributes are not passed to scripts: skip them.
                let n = self.int_line()?;
                for _ in 0..n * 2 {
                    self.value(depth + 1)?;
                }
                self.value(depth)?
            }
            _ => return Err(malformed()),
        })
    }
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

/// `{field = v}`.
fn wrapped(lua: &Lua, field: &str, v: Value) -> mlua::Result<Value> {
    let t = lua.create_table_with_capacity(0, 1)?;
    t.raw_set(field, v)?;
    Ok(Value::Table(t))
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
    let t = lua.create_table()?;
    t.raw_set("err", lua.create_string(error_text(raw))?)?;
    Ok(t)
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

    #[test]
    fn replies_read_back_and_written_out() {
        let lua = Lua::new();
        let (v, err) = reply_to_lua(&lua, b"*3\r\n:1\r\n$-1\r\n+OK\r\n").unwrap();
        assert!(!err);
        let mut out = ReplyBuf::new();
        lua_to_reply(&mut out, &v, false, &mut Vec::new()).unwrap();
        // false from the null bulk is a null; the status stays a status.
        assert_eq!(out.pending(), b"*3\r\n:1\r\n$-1\r\n+OK\r\n");
        let (v, err) = reply_to_lua(&lua, b"%1\r\n$1\r\na\r\n,1.5\r\n").unwrap();
        assert!(!err);
        let mut out = ReplyBuf::new();
        out.set_resp3(true);
        lua_to_reply(&mut out, &v, true, &mut Vec::new()).unwrap();
        assert_eq!(out.pending(), b"%1\r\n$1\r\na\r\n,1.5\r\n");
        let (_, err) = reply_to_lua(&lua, b"-ERR x\r\n").unwrap();
        assert!(err);
    }
}
