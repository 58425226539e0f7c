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

use mlua::{ffi, Lua, Table};

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

/// Writes what a script returned, the value on top of the stack, to its
/// caller, and pops it. `script_resp3` is the protocol the script last
/// chose with `redis.setresp`, which decides how booleans go out. Error
/// tables, also nested in arrays, are written as errors and listed in
/// `errors` for the statistics. Where nesting exhausts Lua's stack, the
/// value is Redis's `reached lua stack limit` error.
///
/// # Safety
/// `l` is a state at the API's base or in a C function, with a value on
/// its stack. Only raw reads are made, so no Lua code runs and nothing
/// raises.
pub unsafe fn write_reply(
    l: *mut ffi::lua_State,
    out: &mut ReplyBuf,
    script_resp3: bool,
    errors: &mut WrittenErrors,
) {
    // A table takes four slots at most: itself, a key, its value and a copy.
    if ffi::lua_checkstack(l, 4) == 0 {
        const LIMIT: &[u8] = b"ERR reached lua stack limit";
        out.error_line(LIMIT);
        errors.push((LIMIT.to_vec(), false));
    } else {
        match ffi::lua_type(l, -1) {
            ffi::LUA_TSTRING => out.bulk(bytes_at(l, -1)),
            ffi::LUA_TBOOLEAN => {
                let b = ffi::lua_toboolean(l, -1) != 0;
                if script_resp3 {
                    out.boolean(b);
                } else if b {
                    out.int(1);
                } else {
                    out.null();
                }
            }
            ffi::LUA_TNUMBER => out.int(number_to_int(ffi::lua_tonumber(l, -1))),
            ffi::LUA_TTABLE => table_to_reply(l, out, script_resp3, errors),
            _ => out.null(),
        }
    }
    ffi::lua_pop(l, 1);
}

/// Pushes `field` of the table at `idx` (below the top), read raw, and
/// returns its type.
unsafe fn raw_field(l: *mut ffi::lua_State, idx: c_int, field: &[u8]) -> c_int {
    push_bytes(l, field);
    ffi::lua_rawget(l, idx - 1)
}

/// Whether the table at `idx` has `field` set to a string; pushes it then.
unsafe fn string_field(l: *mut ffi::lua_State, idx: c_int, field: &[u8]) -> bool {
    if raw_field(l, idx, field) == ffi::LUA_TSTRING {
        return true;
    }
    ffi::lua_pop(l, 1);
    false
}

/// [`write_reply`] for the table on top, which stays there: one of the
/// special forms (checked in Redis's order) or an array up to its first nil.
unsafe fn table_to_reply(
    l: *mut ffi::lua_State,
    out: &mut ReplyBuf,
    resp3: bool,
    errors: &mut WrittenErrors,
) {
    if string_field(l, -1, b"err") {
        let text = trim_line_ends(bytes_at(l, -1)).to_vec();
        ffi::lua_pop(l, 1);
        out.error_line(&text);
        let ignored = raw_field(l, -1, b"ignore_err_stats_update") == ffi::LUA_TBOOLEAN
            && ffi::lua_toboolean(l, -1) != 0;
        ffi::lua_pop(l, 1);
        errors.push((text, ignored));
        return;
    }
    if string_field(l, -1, b"ok") {
        let text = no_line_ends(trim_line_ends(bytes_at(l, -1)).to_vec());
        ffi::lua_pop(l, 1);
        out.simple(&text);
        return;
    }
    if raw_field(l, -1, b"double") == ffi::LUA_TNUMBER {
        out.double(ffi::lua_tonumber(l, -1));
        ffi::lua_pop(l, 1);
        return;
    }
    ffi::lua_pop(l, 1);
    if string_field(l, -1, b"big_number") {
        let text = no_line_ends(bytes_at(l, -1).to_vec());
        ffi::lua_pop(l, 1);
        if out.is_resp3() {
            out.raw(b"(");
            out.raw(&text);
            out.raw(b"\r\n");
        } else {
            out.bulk(&text);
        }
        return;
    }
    // Pushed on the way: the verbatim table, its format.
    if raw_field(l, -1, b"verbatim_string") == ffi::LUA_TTABLE && string_field(l, -1, b"format") {
        if string_field(l, -2, b"string") {
            let (f, s) = (bytes_at(l, -2), bytes_at(l, -1));
            if out.is_resp3() {
                let mut tmp = [0u8; 20];
                out.raw(b"=");
                out.raw(crate::protocol::reply::format_i64(
                    s.len() as i64 + 4,
                    &mut tmp,
                ));
                out.raw(b"\r\n");
                out.raw(f.get(..3).unwrap_or(f));
                out.raw(b":");
                out.raw(s);
                out.raw(b"\r\n");
            } else {
                out.bulk(s);
            }
            ffi::lua_pop(l, 3);
            return;
        }
        ffi::lua_pop(l, 1);
    }
    ffi::lua_pop(l, 1);
    if raw_field(l, -1, b"map") == ffi::LUA_TTABLE {
        out.map_len(count_pairs(l));
        ffi::lua_pushnil(l);
        while ffi::lua_next(l, -2) != 0 {
            ffi::lua_pushvalue(l, -2);
            write_reply(l, out, resp3, errors);
            write_reply(l, out, resp3, errors);
        }
        ffi::lua_pop(l, 1);
        return;
    }
    ffi::lua_pop(l, 1);
    if raw_field(l, -1, b"set") == ffi::LUA_TTABLE {
        out.set_len(count_pairs(l));
        ffi::lua_pushnil(l);
        while ffi::lua_next(l, -2) != 0 {
            ffi::lua_pop(l, 1);
            ffi::lua_pushvalue(l, -1);
            write_reply(l, out, resp3, errors);
        }
        ffi::lua_pop(l, 1);
        return;
    }
    ffi::lua_pop(l, 1);
    let mut n: c_int = 0;
    while n < c_int::MAX {
        ffi::lua_rawgeti_(l, -1, n + 1);
        let end = ffi::lua_type(l, -1) == ffi::LUA_TNIL;
        ffi::lua_pop(l, 1);
        if end {
            break;
        }
        n += 1;
    }
    out.array_len(usize::try_from(n).unwrap_or(0));
    for i in 1..=n {
        ffi::lua_rawgeti_(l, -1, i);
        write_reply(l, out, resp3, errors);
    }
}

/// The number of pairs in the table on top.
unsafe fn count_pairs(l: *mut ffi::lua_State) -> usize {
    let mut n = 0;
    ffi::lua_pushnil(l);
    while ffi::lua_next(l, -2) != 0 {
        ffi::lua_pop(l, 1);
        n += 1;
    }
    n
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

    /// A reply read into a Lua value and written out again, for a caller
    /// of `resp3` (a script that chose it too), and whether it was an error.
    fn round_trip(lua: &Lua, bytes: &[u8], resp3: bool) -> (Vec<u8>, bool) {
        let mut out = ReplyBuf::new();
        out.set_resp3(resp3);
        let err = lua.exec_raw_lua(|raw| {
            // SAFETY: pushes one value, which the write pops.
            unsafe {
                let err = push_reply(raw.state(), bytes).unwrap();
                write_reply(raw.state(), &mut out, resp3, &mut Vec::new());
                err
            }
        });
        (out.pending().to_vec(), err)
    }

    #[test]
    fn replies_read_back_and_written_out() {
        let lua = Lua::new();
        // false from the null bulk is a null; the status stays a status.
        let (out, err) = round_trip(&lua, b"*3\r\n:1\r\n$-1\r\n+OK\r\n", false);
        assert!(!err);
        assert_eq!(out, b"*3\r\n:1\r\n$-1\r\n+OK\r\n");
        let (out, err) = round_trip(&lua, b"%1\r\n$1\r\na\r\n,1.5\r\n", true);
        assert!(!err);
        assert_eq!(out, b"%1\r\n$1\r\na\r\n,1.5\r\n");
        let (out, err) = round_trip(&lua, b"-ERR x\r\n", false);
        assert!(err);
        assert_eq!(out, b"-ERR x\r\n");
        assert_eq!(
            lua.exec_raw_lua(|raw| unsafe { ffi::lua_gettop(raw.state()) }),
            0
        );
    }
}
