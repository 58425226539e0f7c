//! `cjson` (lua-cjson 2.1.0 as Redis ships it): JSON encode/decode with its
//! settings (`encode_sparse_array`, `encode_max_depth`, `decode_max_depth`,
//! `encode_number_precision`, `encode_keep_buffer`,
//! `encode_invalid_numbers`, `decode_invalid_numbers`), `cjson.null` (a
//! NULL light userdata) and `cjson.new()` for an instance with its own
//! settings. Output and errors are byte for byte lua-cjson's: `/` escaped,
//! numbers through `%.14g`, tables with keys 1..n (not too sparse) as
//! arrays and everything else — the empty table too — as objects, and the
//! decoder reading its input as a C string (a NUL ends it), numbers through
//! `strtod`.

use std::cell::RefCell;
use std::rc::Rc;

use std::ffi::c_int;

use mlua::{ffi, LightUserData, Lua, LuaString, MultiValue, Table, Value};

use super::args::{self, Fail, Nest, Res, MAX_STACK};

/// One instance's settings, lua-cjson 2.1.0's defaults.
struct Config {
    sparse_convert: bool,
    sparse_ratio: i32,
    sparse_safe: i32,
    encode_max_depth: i32,
    decode_max_depth: i32,
    /// 0 refuse, 1 allow, 2 encode as null.
    encode_invalid_numbers: i32,
    decode_invalid_numbers: bool,
    keep_buffer: bool,
    precision: i32,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            sparse_convert: false,
            sparse_ratio: 2,
            sparse_safe: 10,
            encode_max_depth: 1000,
            decode_max_depth: 1000,
            encode_invalid_numbers: 0,
            decode_invalid_numbers: true,
            keep_buffer: true,
            precision: 14,
        }
    }
}

type Shared = Rc<RefCell<Config>>;

fn null() -> Value {
    Value::LightUserData(LightUserData(std::ptr::null_mut()))
}

/// The `cjson` table: a new instance with default settings.
pub fn module(lua: &Lua) -> mlua::Result<Table> {
    let cfg: Shared = Rc::default();
    let t = lua.create_table()?;
    let c = cfg.clone();
    t.raw_set(
        "encode",
        args::function(lua, move |lua, a| encode(lua, &c.borrow(), &to_vec(a)))?,
    )?;
    let c = cfg.clone();
    t.raw_set(
        "decode",
        args::function(lua, move |lua, a| decode(lua, &c.borrow(), &to_vec(a)))?,
    )?;
    let c = cfg.clone();
    t.raw_set(
        "encode_sparse_array",
        args::function(lua, move |lua, a| {
            let a = arg_init(a, 3)?;
            let mut cfg = c.borrow_mut();
            let mut convert = i32::from(cfg.sparse_convert);
            let r1 = enum_option(lua, &a, 1, &mut convert, &["off", "on"])?;
            cfg.sparse_convert = convert != 0;
            let r2 = integer_option(&a, 2, &mut cfg.sparse_ratio, 0, i32::MAX)?;
            let r3 = integer_option(&a, 3, &mut cfg.sparse_safe, 0, i32::MAX)?;
            Ok(MultiValue::from_iter([r1, r2, r3]))
        })?,
    )?;
    let int_setting = |field: fn(&mut Config) -> &mut i32, min: i32, max: i32| {
        let c = cfg.clone();
        move |_: &Lua, a: MultiValue| {
            let a = arg_init(a, 1)?;
            let mut cfg = c.borrow_mut();
            let v = integer_option(&a, 1, field(&mut cfg), min, max)?;
            Ok(MultiValue::from_iter([v]))
        }
    };
    t.raw_set(
        "encode_max_depth",
        args::function(lua, int_setting(|c| &mut c.encode_max_depth, 1, i32::MAX))?,
    )?;
    t.raw_set(
        "decode_max_depth",
        args::function(lua, int_setting(|c| &mut c.decode_max_depth, 1, i32::MAX))?,
    )?;
    t.raw_set(
        "encode_number_precision",
        args::function(lua, int_setting(|c| &mut c.precision, 1, 14))?,
    )?;
    let bool_setting = |get: fn(&Config) -> bool, set: fn(&mut Config, bool)| {
        let c = cfg.clone();
        move |lua: &Lua, a: MultiValue| {
            let a = arg_init(a, 1)?;
            let mut cfg = c.borrow_mut();
            let mut v = i32::from(get(&cfg));
            let r = enum_option(lua, &a, 1, &mut v, &["off", "on"])?;
            set(&mut cfg, v != 0);
            Ok(MultiValue::from_iter([r]))
        }
    };
    t.raw_set(
        "encode_keep_buffer",
        args::function(
            lua,
            bool_setting(|c| c.keep_buffer, |c, v| c.keep_buffer = v),
        )?,
    )?;
    t.raw_set(
        "decode_invalid_numbers",
        args::function(
            lua,
            bool_setting(
                |c| c.decode_invalid_numbers,
                |c, v| c.decode_invalid_numbers = v,
            ),
        )?,
    )?;
    let c = cfg.clone();
    t.raw_set(
        "encode_invalid_numbers",
        args::function(lua, move |lua, a| {
            let a = arg_init(a, 1)?;
            let mut cfg = c.borrow_mut();
            let r = enum_option(
                lua,
                &a,
                1,
                &mut cfg.encode_invalid_numbers,
                &["off", "on", "null"],
            )?;
            Ok(MultiValue::from_iter([r]))
        })?,
    )?;
    t.raw_set("new", lua.create_function(|lua, ()| module(lua))?)?;
    t.raw_set("_NAME", "cjson")?;
    t.raw_set("_VERSION", "2.1.0")?;
    t.raw_set("null", null())?;
    Ok(t)
}

fn to_vec(a: MultiValue) -> Vec<Value> {
    a.into_iter().collect()
}

/// `json_arg_init`: at most `n` arguments, missing ones as nil.
fn arg_init(a: MultiValue, n: usize) -> Res<Vec<Value>> {
    let mut a = to_vec(a);
    if a.len() > n {
        return Err(Fail::arg(n + 1, "found too many arguments"));
    }
    a.resize(n, Value::Nil);
    Ok(a)
}

/// `json_integer_option`: sets from argument `n` unless nil; returns the value.
fn integer_option(a: &[Value], n: usize, setting: &mut i32, min: i32, max: i32) -> Res<Value> {
    if !matches!(a.get(n - 1), None | Some(Value::Nil)) {
        let value = args::check_integer(a, n)? as i32;
        if value < min || value > max {
            // lua-cjson 2.1.0 always names argument 1 here.
            return Err(Fail::arg(
                1,
                format!("expected integer between {min} and {max}"),
            ));
        }
        *setting = value;
    }
    Ok(Value::Number(f64::from(*setting)))
}

/// `json_enum_option` with `bool_true` 1: a boolean or one of `options`.
fn enum_option(
    lua: &Lua,
    a: &[Value],
    n: usize,
    setting: &mut i32,
    options: &[&str],
) -> Res<Value> {
    match a.get(n - 1) {
        None | Some(Value::Nil) => {}
        Some(Value::Boolean(b)) => *setting = i32::from(*b),
        Some(_) => {
            let name = args::check_bytes(a, n)?;
            let Some(i) = options.iter().position(|o| o.as_bytes() == name.as_slice()) else {
                let mut text = b"invalid option '".to_vec();
                text.extend_from_slice(name.split(|&b| b == 0).next().unwrap_or_default());
                text.push(b'\'');
                return Err(Fail::arg(n, text));
            };
            *setting = i as i32;
        }
    }
    Ok(if *setting == 0 || *setting == 1 {
        Value::Boolean(*setting == 1)
    } else {
        let name = options.get(*setting as usize).copied().unwrap_or_default();
        Value::String(lua.create_string(name)?)
    })
}

/* ===== Encoding ===== */

fn cannot(type_name: &str, reason: &str) -> Fail {
    Fail::msg(format!("Cannot serialise {type_name}: {reason}"))
}

/// Encodes on the Lua stack itself, as lua-cjson does: nesting costs no
/// mlua handle, and `lua_checkstack` bounds it exactly where Redis's does.
fn encode(lua: &Lua, cfg: &Config, a: &[Value]) -> Res<MultiValue> {
    let [value] = a else {
        return Err(Fail::arg(1, "expected 1 argument"));
    };
    let mut out = Vec::new();
    let mut result = Ok(());
    // SAFETY: the closure runs in a protected C frame whose only argument,
    // at index 1, is the value; it reads the stack within what it pushed
    // and leaves any leftovers to exec_raw's stack guard.
    unsafe {
        lua.exec_raw::<()>(value.clone(), |state| {
            result = Encoder {
                state,
                cfg,
                out: &mut out,
            }
            .value();
        })?;
    }
    result?;
    Ok(MultiValue::from_iter([Value::String(
        lua.create_string(&out)?,
    )]))
}

fn append_string(s: &[u8], out: &mut Vec<u8>) {
    out.reserve(s.len() + 2);
    out.push(b'"');
    for &b in s {
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'/' => out.extend_from_slice(b"\\/"),
            0x08 => out.extend_from_slice(b"\\b"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            0x0c => out.extend_from_slice(b"\\f"),
            b'\r' => out.extend_from_slice(b"\\r"),
            0..=0x1f | 0x7f => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(b >> 4)]);
                out.push(HEX[usize::from(b & 15)]);
            }
            _ => out.push(b),
        }
    }
    out.push(b'"');
}

/// C's `(int)d` on x86-64.
fn double_to_int(d: f64) -> i32 {
    if d > -2_147_483_649.0 && d < 2_147_483_648.0 {
        d as i32
    } else {
        i32::MIN
    }
}

struct Encoder<'a> {
    state: *mut ffi::lua_State,
    cfg: &'a Config,
    out: &'a mut Vec<u8>,
}

impl Encoder<'_> {
    /// The number at `idx`.
    unsafe fn number(&mut self, idx: c_int) -> Res<()> {
        let d = ffi::lua_tonumber(self.state, idx);
        let invalid = d.is_nan() || d.is_infinite();
        match self.cfg.encode_invalid_numbers {
            0 if invalid => return Err(cannot("number", "must not be NaN or Inf")),
            1 if d.is_nan() => {
                self.out.extend_from_slice(b"nan");
                return Ok(());
            }
            2 if invalid => {
                self.out.extend_from_slice(b"null");
                return Ok(());
            }
            _ => {}
        }
        args::fmt_g(d, self.cfg.precision, self.out);
        Ok(())
    }

    /// The string at `idx` (a string, not a number).
    unsafe fn string(&mut self, idx: c_int) {
        let mut len = 0;
        let p = ffi::lua_tolstring(self.state, idx, &mut len);
        if !p.is_null() {
            append_string(std::slice::from_raw_parts(p.cast::<u8>(), len), self.out);
        }
    }

    /// `lua_array_length` of the table on top: its length, or None for an
    /// object.
    unsafe fn array_length(&mut self) -> Res<Option<i32>> {
        let l = self.state;
        let mut max: i32 = 0;
        let mut items: i32 = 0;
        ffi::lua_pushnil(l);
        while ffi::lua_next(l, -2) != 0 {
            if ffi::lua_type(l, -2) == ffi::LUA_TNUMBER {
                let k = ffi::lua_tonumber(l, -2);
                if k != 0.0 && k.floor() == k && k >= 1.0 {
                    if k > f64::from(max) {
                        max = double_to_int(k);
                    }
                    items = items.wrapping_add(1);
                    ffi::lua_pop(l, 1);
                    continue;
                }
            }
            ffi::lua_pop(l, 2);
            return Ok(None);
        }
        let cfg = self.cfg;
        if cfg.sparse_ratio > 0
            && max > items.wrapping_mul(cfg.sparse_ratio)
            && max > cfg.sparse_safe
        {
            if !cfg.sparse_convert {
                return Err(cannot("table", "excessively sparse array"));
            }
            return Ok(None);
        }
        Ok(Some(max))
    }

    /// The value on top of the stack. Tables are walked without recursion,
    /// with what lua-cjson keeps on the Lua stack: the table and the
    /// element per array level, the table, key and value per object level.
    unsafe fn value(&mut self) -> Res<()> {
        let l = self.state;
        let mut open: Vec<Walk> = Vec::new();
        loop {
            // The value on top: written whole, or its table opened.
            match ffi::lua_type(l, -1) {
                ffi::LUA_TSTRING => self.string(-1),
                ffi::LUA_TNUMBER => self.number(-1)?,
                ffi::LUA_TBOOLEAN => {
                    let text: &[u8] = if ffi::lua_toboolean(l, -1) != 0 {
                        b"true"
                    } else {
                        b"false"
                    };
                    self.out.extend_from_slice(text);
                }
                ffi::LUA_TNIL => self.out.extend_from_slice(b"null"),
                ffi::LUA_TLIGHTUSERDATA if ffi::lua_touserdata(l, -1).is_null() => {
                    self.out.extend_from_slice(b"null");
                }
                ffi::LUA_TTABLE => {
                    let depth = open.len() + 1;
                    if depth > self.cfg.encode_max_depth as usize || ffi::lua_checkstack(l, 3) == 0
                    {
                        return Err(Fail::msg(format!(
                            "Cannot serialise, excessive nesting ({depth})"
                        )));
                    }
                    match self.array_length()? {
                        Some(len) if len > 0 => {
                            self.out.push(b'[');
                            open.push(Walk::Array { next: 1, len });
                            ffi::lua_rawgeti(l, -1, 1);
                            continue;
                        }
                        _ => {
                            self.out.push(b'{');
                            ffi::lua_pushnil(l);
                            if ffi::lua_next(l, -2) != 0 {
                                self.key()?;
                                open.push(Walk::Object);
                                continue;
                            }
                            self.out.push(b'}');
                        }
                    }
                }
                t => return Err(cannot(args::tag_name(t), "type not supported")),
            }
            // The value on top is written: move to the next one, closing
            // every table it completes.
            loop {
                let Some(walk) = open.last_mut() else {
                    return Ok(());
                };
                ffi::lua_pop(l, 1);
                match walk {
                    Walk::Array { next, len } => {
                        if *next < *len {
                            *next += 1;
                            self.out.push(b',');
                            ffi::lua_rawgeti(l, -1, ffi::lua_Integer::from(*next));
                            break;
                        }
                        self.out.push(b']');
                    }
                    Walk::Object => {
                        if ffi::lua_next(l, -2) != 0 {
                            self.out.push(b',');
                            self.key()?;
                            break;
                        }
                        self.out.push(b'}');
                    }
                }
                open.pop();
            }
        }
    }

    /// The key below the value on top, as an object key.
    unsafe fn key(&mut self) -> Res<()> {
        match ffi::lua_type(self.state, -2) {
            ffi::LUA_TNUMBER => {
                self.out.push(b'"');
                self.number(-2)?;
                self.out.extend_from_slice(b"\":");
            }
            ffi::LUA_TSTRING => {
                self.string(-2);
                self.out.push(b':');
            }
            t => {
                return Err(cannot(
                    args::tag_name(t),
                    "table key must be a number or string",
                ))
            }
        }
        Ok(())
    }
}

/// A table being written.
enum Walk {
    /// The index on the stack and the length.
    Array { next: i32, len: i32 },
    /// Its key and value are on the stack.
    Object,
}

/* ===== Decoding ===== */

#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    ObjBegin,
    ObjEnd,
    ArrBegin,
    ArrEnd,
    Str,
    Number,
    Boolean,
    Null,
    Colon,
    Comma,
    End,
    Error,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::ObjBegin => "T_OBJ_BEGIN",
            Kind::ObjEnd => "T_OBJ_END",
            Kind::ArrBegin => "T_ARR_BEGIN",
            Kind::ArrEnd => "T_ARR_END",
            Kind::Str => "T_STRING",
            Kind::Number => "T_NUMBER",
            Kind::Boolean => "T_BOOLEAN",
            Kind::Null => "T_NULL",
            Kind::Colon => "T_COLON",
            Kind::Comma => "T_COMMA",
            Kind::End => "T_END",
            Kind::Error => "T_ERROR",
        }
    }
}

struct Token {
    kind: Kind,
    /// 0-based offset where the token (or its error) starts.
    index: usize,
    number: f64,
    boolean: bool,
    /// What went wrong, for `Kind::Error`.
    error: &'static str,
}

struct Parser<'a> {
    /// The input up to its first NUL, followed by one NUL.
    data: &'a [u8],
    pos: usize,
    cfg: &'a Config,
    /// The current string token's bytes.
    tmp: Vec<u8>,
    depth: i32,
    /// Stack slots the C parser would hold now, against `MAX_STACK`.
    slots: usize,
    nest: Nest,
}

impl Parser<'_> {
    fn at(&self, i: usize) -> u8 {
        self.data.get(i).copied().unwrap_or(0)
    }

    fn error_token(&self, index: usize, error: &'static str) -> Token {
        Token {
            kind: Kind::Error,
            index,
            number: 0.0,
            boolean: false,
            error,
        }
    }

    fn simple(&self, kind: Kind, index: usize) -> Token {
        Token {
            kind,
            index,
            number: 0.0,
            boolean: false,
            error: "",
        }
    }

    fn is_invalid_number(&self) -> bool {
        let mut p = self.pos;
        if self.at(p) == b'+' {
            return true;
        }
        if self.at(p) == b'-' {
            p += 1;
        }
        let c = self.at(p);
        if c == b'0' {
            let c2 = self.at(p + 1);
            return c2 | 0x20 == b'x' || c2.is_ascii_digit();
        }
        if c <= b'9' {
            return false;
        }
        let word = |w: &[u8]| (0..3).all(|i| self.at(p + i).eq_ignore_ascii_case(&w[i]));
        word(b"inf") || word(b"nan")
    }

    fn number_token(&mut self) -> Token {
        let start = self.pos;
        let (d, used) = args::strtod(self.data.get(start..).unwrap_or(b"\0"));
        if used == 0 {
            return self.error_token(start, "invalid number");
        }
        self.pos += used;
        Token {
            kind: Kind::Number,
            index: start,
            number: d,
            boolean: false,
            error: "",
        }
    }

    fn hex4(&self, at: usize) -> Option<u32> {
        (0..4).try_fold(0u32, |acc, i| {
            let d = char::from(self.at(at + i)).to_digit(16)?;
            Some(acc << 4 | d)
        })
    }

    /// `\uXXXX` (and a surrogate pair) at `pos` into `tmp`.
    fn unicode_escape(&mut self) -> Option<()> {
        let mut cp = self.hex4(self.pos + 2)?;
        let mut len = 6;
        if cp & 0xF800 == 0xD800 {
            if cp & 0x400 != 0 {
                return None;
            }
            if self.at(self.pos + 6) != b'\\' || self.at(self.pos + 7) != b'u' {
                return None;
            }
            let low = self.hex4(self.pos + 8)?;
            if low & 0xFC00 != 0xDC00 {
                return None;
            }
            cp = (((cp & 0x3FF) << 10) | (low & 0x3FF)) + 0x10000;
            len = 12;
        }
        if cp <= 0x7F {
            self.tmp.push(cp as u8);
        } else if cp <= 0x7FF {
            self.tmp
                .extend_from_slice(&[(cp >> 6) as u8 | 0xC0, (cp & 0x3F) as u8 | 0x80]);
        } else if cp <= 0xFFFF {
            self.tmp.extend_from_slice(&[
                (cp >> 12) as u8 | 0xE0,
                ((cp >> 6) & 0x3F) as u8 | 0x80,
                (cp & 0x3F) as u8 | 0x80,
            ]);
        } else {
            self.tmp.extend_from_slice(&[
                (cp >> 18) as u8 | 0xF0,
                ((cp >> 12) & 0x3F) as u8 | 0x80,
                ((cp >> 6) & 0x3F) as u8 | 0x80,
                (cp & 0x3F) as u8 | 0x80,
            ]);
        }
        self.pos += len;
        Some(())
    }

    fn string_token(&mut self) -> Token {
        let start = self.pos;
        self.pos += 1;
        self.tmp.clear();
        loop {
            let ch = self.at(self.pos);
            match ch {
                b'"' => break,
                0 => return self.error_token(self.pos, "unexpected end of string"),
                b'\\' => {
                    let esc = match self.at(self.pos + 1) {
                        b'"' => b'"',
                        b'\\' => b'\\',
                        b'/' => b'/',
                        b'b' => 0x08,
                        b't' => b'\t',
                        b'n' => b'\n',
                        b'f' => 0x0c,
                        b'r' => b'\r',
                        b'u' => {
                            if self.unicode_escape().is_none() {
                                return self.error_token(self.pos, "invalid unicode escape code");
                            }
                            continue;
                        }
                        _ => return self.error_token(self.pos, "invalid escape code"),
                    };
                    self.tmp.push(esc);
                    self.pos += 2;
                }
                _ => {
                    self.tmp.push(ch);
                    self.pos += 1;
                }
            }
        }
        self.pos += 1;
        self.simple(Kind::Str, start)
    }

    fn next_token(&mut self) -> Token {
        while matches!(self.at(self.pos), b' ' | b'\t' | b'\n' | b'\r') {
            self.pos += 1;
        }
        let index = self.pos;
        let ch = self.at(index);
        let single = match ch {
            b'{' => Some(Kind::ObjBegin),
            b'}' => Some(Kind::ObjEnd),
            b'[' => Some(Kind::ArrBegin),
            b']' => Some(Kind::ArrEnd),
            b',' => Some(Kind::Comma),
            b':' => Some(Kind::Colon),
            _ => None,
        };
        if let Some(kind) = single {
            self.pos += 1;
            return self.simple(kind, index);
        }
        match ch {
            0 => return self.simple(Kind::End, index),
            b'"' => return self.string_token(),
            b'-' | b'0'..=b'9' => {
                if !self.cfg.decode_invalid_numbers && self.is_invalid_number() {
                    return self.error_token(index, "invalid number");
                }
                return self.number_token();
            }
            b'f' | b'i' | b'I' | b'n' | b'N' | b't' | b'+' => {}
            _ => return self.error_token(index, "invalid token"),
        }
        let rest = self.data.get(index..).unwrap_or_default();
        if rest.starts_with(b"true") {
            self.pos += 4;
            return Token {
                kind: Kind::Boolean,
                index,
                number: 0.0,
                boolean: true,
                error: "",
            };
        }
        if rest.starts_with(b"false") {
            self.pos += 5;
            return Token {
                kind: Kind::Boolean,
                index,
                number: 0.0,
                boolean: false,
                error: "",
            };
        }
        if rest.starts_with(b"null") {
            self.pos += 4;
            return self.simple(Kind::Null, index);
        }
        if self.cfg.decode_invalid_numbers && self.is_invalid_number() {
            return self.number_token();
        }
        self.error_token(index, "invalid token")
    }

    fn expected(&self, what: &str, token: &Token) -> Fail {
        let found = if token.kind == Kind::Error {
            token.error
        } else {
            token.kind.name()
        };
        Fail::msg(format!(
            "Expected {what} but found {found} at character {}",
            token.index + 1
        ))
    }

    fn descend(&mut self, slots: usize) -> Res<()> {
        self.depth += 1;
        if self.depth <= self.cfg.decode_max_depth && self.slots + slots <= MAX_STACK {
            return Ok(());
        }
        Err(Fail::msg(format!(
            "Found too many nested data structures ({}) at character {}",
            self.depth, self.pos
        )))
    }

    /// An object's key at `token`, and the colon after it.
    fn object_key(&mut self, lua: &Lua, token: &Token) -> Res<LuaString> {
        if token.kind != Kind::Str {
            return Err(self.expected("object key string", token));
        }
        let key = lua.create_string(&self.tmp)?;
        let colon = self.next_token();
        if colon.kind != Kind::Colon {
            return Err(self.expected("colon", &colon));
        }
        Ok(key)
    }

    /// Makes `t` the container being filled, parking the one it is in.
    fn enter(&mut self, current: &mut Option<Table>, t: Table) -> Res<()> {
        if let Some(outer) = current.replace(t) {
            self.nest.park(outer)?;
        }
        Ok(())
    }

    /// The value `first` starts. Containers are filled without recursion:
    /// `open` holds the unfinished ones, the innermost table in hand and
    /// the others parked in the nest; tokens are read, and errors found, in
    /// lua-cjson's order.
    fn value(&mut self, lua: &Lua, first: Token) -> Res<Value> {
        let mut open: Vec<Open> = Vec::new();
        let mut current: Option<Table> = None;
        let mut token = first;
        loop {
            let mut v = match token.kind {
                Kind::Str => Value::String(lua.create_string(&self.tmp)?),
                Kind::Number => Value::Number(token.number),
                Kind::Boolean => Value::Boolean(token.boolean),
                Kind::Null => null(),
                Kind::ArrBegin => {
                    self.descend(2)?;
                    let t = lua.create_table()?;
                    token = self.next_token();
                    if token.kind != Kind::ArrEnd {
                        self.enter(&mut current, t)?;
                        open.push(Open::Array { next: 1 });
                        self.slots += 1;
                        continue;
                    }
                    self.depth -= 1;
                    Value::Table(t)
                }
                Kind::ObjBegin => {
                    self.descend(3)?;
                    let t = lua.create_table()?;
                    token = self.next_token();
                    if token.kind != Kind::ObjEnd {
                        let key = self.object_key(lua, &token)?;
                        token = self.next_token();
                        self.enter(&mut current, t)?;
                        open.push(Open::Object { key });
                        self.slots += 2;
                        continue;
                    }
                    self.depth -= 1;
                    Value::Table(t)
                }
                _ => return Err(self.expected("value", &token)),
            };
            // Put the finished value in its container, closing every
            // container it completes.
            loop {
                let (Some(frame), Some(t)) = (open.last_mut(), current.as_ref()) else {
                    return Ok(v);
                };
                match frame {
                    Open::Array { next } => {
                        t.raw_set(*next, v)?;
                        token = self.next_token();
                        if token.kind != Kind::ArrEnd {
                            if token.kind != Kind::Comma {
                                return Err(self.expected("comma or array end", &token));
                            }
                            *next += 1;
                            token = self.next_token();
                            break;
                        }
                        self.slots -= 1;
                    }
                    Open::Object { key } => {
                        t.raw_set(key.clone(), v)?;
                        token = self.next_token();
                        if token.kind != Kind::ObjEnd {
                            if token.kind != Kind::Comma {
                                return Err(self.expected("comma or object end", &token));
                            }
                            token = self.next_token();
                            *key = self.object_key(lua, &token)?;
                            token = self.next_token();
                            break;
                        }
                        self.slots -= 2;
                    }
                }
                self.depth -= 1;
                open.pop();
                v = current.take().map_or(Value::Nil, Value::Table);
                if !open.is_empty() {
                    current = Some(self.nest.resume()?);
                }
            }
        }
    }
}

/// A container being filled.
enum Open {
    /// The index the next element takes.
    Array { next: i64 },
    /// The key of the pair being read.
    Object { key: LuaString },
}

fn decode(lua: &Lua, cfg: &Config, a: &[Value]) -> Res<MultiValue> {
    if a.len() != 1 {
        return Err(Fail::arg(1, "expected 1 argument"));
    }
    let json = args::check_bytes(a, 1)?;
    if json.len() >= 2 && (json[0] == 0 || json[1] == 0) {
        return Err(Fail::msg("JSON parser does not support UTF-16 or UTF-32"));
    }
    let text = json.split(|&b| b == 0).next().unwrap_or_default();
    let mut data = Vec::with_capacity(text.len() + 1);
    data.extend_from_slice(text);
    data.push(0);
    let nest = Nest::new(lua)?;
    let mut p = Parser {
        data: &data,
        pos: 0,
        cfg,
        tmp: Vec::new(),
        depth: 0,
        slots: 1,
        nest,
    };
    let token = p.next_token();
    let value = p.value(lua, token)?;
    let token = p.next_token();
    if token.kind != Kind::End {
        return Err(p.expected("the end", &token));
    }
    Ok(MultiValue::from_iter([value]))
}

#[cfg(test)]
mod tests {
    /// Every case recorded from real Redis (`cases/cjson.lua`).
    #[test]
    fn matches_redis() {
        super::super::cases::replay(include_str!("cases/cjson.expected"));
    }
}
