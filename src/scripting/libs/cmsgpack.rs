//! `cmsgpack` (lua-cmsgpack 0.4.0): MessagePack for Lua values. `pack`
//! encodes each argument and concatenates them; `unpack` decodes a stream
//! into as many values, `unpack_one`/`unpack_limit` decode some of it and
//! return the offset to go on from. Encoding choices are lua-cmsgpack's:
//! integral numbers as the smallest (u)int form, other numbers as a float
//! when one holds them exactly, else a double; tables whose keys are 1..n as
//! arrays, others as maps; nesting past 16 tables and unsupported values as
//! nil. Decoding knows no bin or ext types (a format error, as in 0.4.0)
//! and has no depth limit of its own but lives within Lua's stack limit, as
//! the C code's `luaL_checkstack` calls do.

use mlua::{Lua, MultiValue, Table, Value};

use super::args::{self, Fail, Nest, Res, Spread, MAX_STACK};

/// Tables nested deeper than this encode as nil (survives cycles).
const MAX_NESTING: usize = 16;
/// The `luaL_checkstack` texts of the C decoder: per value, per array.
const TOO_MANY: &str = "too many return values at once; use unpack_one or unpack_limit instead.";
const IN_ARRAY: &str = "in function mp_decode_to_lua_array";

fn encode_bytes(out: &mut Vec<u8>, s: &[u8]) {
    let len = s.len();
    if len < 32 {
        out.push(0xa0 | len as u8);
    } else if len <= 0xff {
        out.extend_from_slice(&[0xd9, len as u8]);
    } else if len <= 0xffff {
        out.push(0xda);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0xdb);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    }
    out.extend_from_slice(s);
}

fn encode_int(out: &mut Vec<u8>, n: i64) {
    if n >= 0 {
        if n <= 127 {
            out.push(n as u8);
        } else if n <= 0xff {
            out.extend_from_slice(&[0xcc, n as u8]);
        } else if n <= 0xffff {
            out.push(0xcd);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        } else if n <= 0xffff_ffff {
            out.push(0xce);
            out.extend_from_slice(&(n as u32).to_be_bytes());
        } else {
            out.push(0xcf);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    } else if n >= -32 {
        out.push(n as i8 as u8);
    } else if n >= -128 {
        out.extend_from_slice(&[0xd0, n as i8 as u8]);
    } else if n >= -32768 {
        out.push(0xd1);
        out.extend_from_slice(&(n as i16).to_be_bytes());
    } else if n >= -2_147_483_648 {
        out.push(0xd2);
        out.extend_from_slice(&(n as i32).to_be_bytes());
    } else {
        out.push(0xd3);
        out.extend_from_slice(&n.to_be_bytes());
    }
}

fn encode_number(out: &mut Vec<u8>, d: f64) {
    // IS_INT64_EQUIVALENT: the C cast to int64 gives the number back.
    let i = args::double_to_long(d);
    if !d.is_infinite() && i as f64 == d {
        encode_int(out, i);
        return;
    }
    let f = d as f32;
    if f64::from(f) == d {
        out.push(0xca);
        out.extend_from_slice(&f.to_be_bytes());
    } else {
        out.push(0xcb);
        out.extend_from_slice(&d.to_be_bytes());
    }
}

fn encode_header(out: &mut Vec<u8>, n: usize, fix: u8, ops: [u8; 2]) {
    if n <= 15 {
        out.push(fix | n as u8);
    } else if n <= 0xffff {
        out.push(ops[0]);
        out.extend_from_slice(&(n as u16).to_be_bytes());
    } else {
        out.push(ops[1]);
        out.extend_from_slice(&(n as u32).to_be_bytes());
    }
}

/// `table_is_an_array`: every key a number >= 1 that a C int holds exactly,
/// and the largest key equal to the count.
fn is_array(t: &Table) -> bool {
    let mut count: i32 = 0;
    let mut max: i32 = 0;
    for pair in t.pairs::<Value, Value>() {
        let Ok((k, _)) = pair else { return false };
        let n = match k {
            Value::Integer(i) => i as f64,
            Value::Number(n) => n,
            _ => return false,
        };
        if n <= 0.0 || n.is_infinite() || f64::from(n as i32) != n {
            return false;
        }
        max = max.max(n as i32);
        count = count.wrapping_add(1);
    }
    max == count
}

fn encode(out: &mut Vec<u8>, v: &Value, level: usize) -> Res<()> {
    match v {
        Value::String(s) => encode_bytes(out, &s.as_bytes()),
        Value::Boolean(b) => out.push(if *b { 0xc3 } else { 0xc2 }),
        Value::Integer(i) => encode_number(out, *i as f64),
        Value::Number(n) => encode_number(out, *n),
        Value::Table(t) if level < MAX_NESTING => {
            if is_array(t) {
                let len = t.raw_len();
                encode_header(out, len, 0x90, [0xdc, 0xdd]);
                for j in 1..=len {
                    encode(out, &t.raw_get::<Value>(j)?, level + 1)?;
                }
            } else {
                let len = t.pairs::<Value, Value>().count();
                encode_header(out, len, 0x80, [0xde, 0xdf]);
                for pair in t.pairs::<Value, Value>() {
                    let (k, v) = pair?;
                    encode(out, &k, level + 1)?;
                    encode(out, &v, level + 1)?;
                }
            }
        }
        _ => out.push(0xc0),
    }
    Ok(())
}

fn pack(lua: &Lua, args: MultiValue) -> Res<MultiValue> {
    if args.is_empty() {
        return Err(Fail::arg(0, "MessagePack pack needs input."));
    }
    let mut out = Vec::new();
    for v in args.iter() {
        encode(&mut out, v, 0)?;
    }
    Ok(MultiValue::from_iter([Value::String(
        lua.create_string(&out)?,
    )]))
}

/// Why decoding stopped.
enum Stop {
    Eof,
    BadFormat,
    Lua(Fail),
}

impl From<mlua::Error> for Stop {
    fn from(e: mlua::Error) -> Stop {
        Stop::Lua(e.into())
    }
}

struct Decoder<'a, 'l> {
    lua: &'l Lua,
    data: &'a [u8],
    pos: usize,
    /// Stack slots the C decoder would hold now, against `MAX_STACK`.
    slots: usize,
    nest: Nest,
}

impl Decoder<'_, '_> {
    fn take(&mut self, n: usize) -> Result<&[u8], Stop> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.data.len())
            .ok_or(Stop::Eof)?;
        let s = &self.data[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    /// Peeks the `n` bytes after the type byte without consuming.
    fn need(&self, n: usize) -> Result<(), Stop> {
        if self.data.len() - self.pos < n {
            return Err(Stop::Eof);
        }
        Ok(())
    }

    fn be(&mut self, n: usize) -> Result<u64, Stop> {
        self.need(1 + n)?;
        let s = self.take(1 + n)?;
        Ok(s[1..]
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b)))
    }

    fn check_stack(&self, extra: usize, what: &str) -> Result<(), Stop> {
        if self.slots + extra > MAX_STACK {
            let text = format!("stack overflow ({what})");
            return Err(Stop::Lua(Fail::msg(text)));
        }
        Ok(())
    }

    fn string(&mut self, header: usize, len: u64) -> Result<Value, Stop> {
        let len = usize::try_from(len).map_err(|_| Stop::Eof)?;
        self.need(header.checked_add(len).ok_or(Stop::Eof)?)?;
        let lua = self.lua;
        let s = self.take(header + len)?;
        Ok(Value::String(lua.create_string(&s[header..])?))
    }

    /// The next item: a whole scalar, or the header of a container.
    fn item(&mut self) -> Result<Item, Stop> {
        self.need(1)?;
        self.check_stack(1, TOO_MANY)?;
        let b = self.data[self.pos];
        Ok(Item::Scalar(match b {
            0xcc => Value::Number(self.be(1)? as f64),
            0xd0 => Value::Number(f64::from(self.be(1)? as u8 as i8)),
            0xcd => Value::Number(self.be(2)? as f64),
            0xd1 => Value::Number(f64::from(self.be(2)? as u16 as i16)),
            0xce => Value::Number(self.be(4)? as f64),
            0xd2 => Value::Number(f64::from(self.be(4)? as u32 as i32)),
            // lua_pushunsigned is lua_pushinteger in Lua 5.1: a signed 64-bit cast.
            0xcf => Value::Number(self.be(8)? as i64 as f64),
            0xd3 => Value::Number(self.be(8)? as i64 as f64),
            0xc0 => {
                self.take(1)?;
                Value::Nil
            }
            0xc2 | 0xc3 => {
                self.take(1)?;
                Value::Boolean(b == 0xc3)
            }
            0xca => Value::Number(f64::from(f32::from_bits(self.be(4)? as u32))),
            0xcb => Value::Number(f64::from_bits(self.be(8)?)),
            0xd9 => {
                self.need(2)?;
                let len = u64::from(self.data[self.pos + 1]);
                self.string(2, len)?
            }
            0xda => {
                self.need(3)?;
                let len = u64::from(u16::from_be_bytes([
                    self.data[self.pos + 1],
                    self.data[self.pos + 2],
                ]));
                self.string(3, len)?
            }
            0xdb => {
                self.need(5)?;
                let s = &self.data[self.pos + 1..self.pos + 5];
                let len = u64::from(u32::from_be_bytes([s[0], s[1], s[2], s[3]]));
                self.string(5, len)?
            }
            0xdc => return Ok(Item::Array(self.be(2)?)),
            0xdd => return Ok(Item::Array(self.be(4)?)),
            0xde => return Ok(Item::Map(self.be(2)?)),
            0xdf => return Ok(Item::Map(self.be(4)?)),
            _ if b & 0x80 == 0 => {
                self.take(1)?;
                Value::Number(f64::from(b))
            }
            _ if b & 0xe0 == 0xe0 => {
                self.take(1)?;
                Value::Number(f64::from(b as i8))
            }
            _ if b & 0xe0 == 0xa0 => self.string(1, u64::from(b & 0x1f))?,
            _ if b & 0xf0 == 0x90 => {
                self.take(1)?;
                return Ok(Item::Array(u64::from(b & 0x0f)));
            }
            _ if b & 0xf0 == 0x80 => {
                self.take(1)?;
                return Ok(Item::Map(u64::from(b & 0x0f)));
            }
            _ => return Err(Stop::BadFormat),
        }))
    }

    /// One whole value. Containers are filled without recursion: `open`
    /// holds the unfinished ones, the innermost table in hand and the
    /// others parked in the nest, while the stack-slot count follows the C
    /// decoder's (table and index per array, table and key per map).
    fn value(&mut self) -> Result<Value, Stop> {
        let mut open: Vec<Open> = Vec::new();
        let mut current: Option<Table> = None;
        loop {
            let mut v = match self.item()? {
                Item::Scalar(v) => v,
                Item::Array(n) => {
                    let t = self.lua.create_table()?;
                    self.slots += 1;
                    self.check_stack(1, IN_ARRAY)?;
                    self.slots += 1;
                    if n > 0 {
                        self.enter(&mut current, t)?;
                        open.push(Open::Array { next: 1, len: n });
                        continue;
                    }
                    self.slots -= 2;
                    Value::Table(t)
                }
                Item::Map(n) => {
                    let t = self.lua.create_table()?;
                    self.slots += 1;
                    if n > 0 {
                        self.enter(&mut current, t)?;
                        open.push(Open::Map { left: n, key: None });
                        continue;
                    }
                    self.slots -= 1;
                    Value::Table(t)
                }
            };
            // Put the finished value in its container, closing every
            // container it completes.
            loop {
                let (Some(frame), Some(t)) = (open.last_mut(), current.as_ref()) else {
                    return Ok(v);
                };
                match frame {
                    Open::Array { next, len } => {
                        t.raw_set(*next as f64, v)?;
                        if *next < *len {
                            *next += 1;
                            break;
                        }
                        self.slots -= 2;
                    }
                    Open::Map { left, key } => {
                        let Some(k) = key.take() else {
                            *key = Some(v);
                            self.slots += 1;
                            break;
                        };
                        self.slots -= 1;
                        match &k {
                            Value::Nil => {
                                return Err(Stop::Lua(Fail::Raw(b"table index is nil".to_vec())))
                            }
                            Value::Number(d) if d.is_nan() => {
                                return Err(Stop::Lua(Fail::Raw(b"table index is NaN".to_vec())))
                            }
                            _ => t.raw_set(k, v)?,
                        }
                        *left -= 1;
                        if *left > 0 {
                            break;
                        }
                        self.slots -= 1;
                    }
                }
                open.pop();
                v = current.take().map_or(Value::Nil, Value::Table);
                if !open.is_empty() {
                    current = Some(self.nest.resume()?);
                }
            }
        }
    }

    /// Makes `t` the container being filled, parking the one it is in.
    fn enter(&mut self, current: &mut Option<Table>, t: Table) -> Result<(), Stop> {
        if let Some(outer) = current.replace(t) {
            self.nest.park(outer)?;
        }
        Ok(())
    }
}

/// What the next bytes hold.
enum Item {
    Scalar(Value),
    Array(u64),
    Map(u64),
}

/// A container being filled.
enum Open {
    /// The next index and the count.
    Array { next: u64, len: u64 },
    /// Pairs still to come, and the key of the current one once decoded.
    Map { left: u64, key: Option<Value> },
}

/// `mp_unpack_full`: `limit` 0 with `offset` 0 decodes everything and
/// returns no offset.
fn unpack_full(lua: &Lua, args: &[Value], limit: i64, offset: i64) -> Res<MultiValue> {
    let data = args::check_bytes(args, 1)?;
    let len = data.len();
    let decode_all = limit == 0 && offset == 0;
    if offset < 0 || limit < 0 {
        return Err(Fail::msg(format!(
            "Invalid request to unpack with offset of {offset} and limit of {}.",
            len as i32
        )));
    }
    let start = offset as usize;
    if start > len {
        return Err(Fail::msg(format!(
            "Start offset {offset} greater than input length {}.",
            len as i32
        )));
    }
    let limit = if decode_all {
        i64::from(i32::MAX)
    } else {
        limit
    };
    let mut d = Decoder {
        lua,
        data: &data,
        pos: start,
        slots: args.len(),
        nest: Nest::new(lua)?,
    };
    let mut out = Spread::new(lua)?;
    if !decode_all {
        // The offset comes first; its value is known at the end.
        out.push(Value::Nil)?;
    }
    let mut count: i64 = 0;
    while d.pos < len && count < limit {
        match d.value() {
            Ok(v) => {
                out.push(v)?;
                count += 1;
                d.slots += 1;
            }
            Err(Stop::Eof) => return Err(Fail::msg("Missing bytes in input.")),
            Err(Stop::BadFormat) => return Err(Fail::msg("Bad data format in input.")),
            Err(Stop::Lua(f)) => return Err(f),
        }
    }
    if !decode_all {
        let next = if d.pos == len { -1 } else { d.pos as i32 };
        out.set(1, Value::Number(f64::from(next)))?;
    }
    Ok(out.finish())
}

/// The `cmsgpack` table.
pub fn module(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.raw_set("pack", args::function(lua, pack)?)?;
    t.raw_set(
        "unpack",
        args::function(lua, |lua, a| {
            unpack_full(lua, &a.into_iter().collect::<Vec<_>>(), 0, 0)
        })?,
    )?;
    t.raw_set(
        "unpack_one",
        args::function(lua, |lua, a| {
            let a: Vec<Value> = a.into_iter().collect();
            let offset = args::opt_integer(&a, 2, 0)? as i32;
            unpack_full(lua, &a[..a.len().min(1)], 1, i64::from(offset))
        })?,
    )?;
    t.raw_set(
        "unpack_limit",
        args::function(lua, |lua, a| {
            let a: Vec<Value> = a.into_iter().collect();
            let limit = args::check_integer(&a, 2)? as i32;
            let offset = args::opt_integer(&a, 3, 0)? as i32;
            unpack_full(
                lua,
                &a[..a.len().min(1)],
                i64::from(limit),
                i64::from(offset),
            )
        })?,
    )?;
    t.raw_set("_NAME", "cmsgpack")?;
    t.raw_set("_VERSION", "lua-cmsgpack 0.4.0")?;
    t.raw_set("_COPYRIGHT", "Copyright (C) 2012, Salvatore Sanfilippo")?;
    t.raw_set("_DESCRIPTION", "MessagePack C implementation for Lua")?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    /// Every case recorded from real Redis (`cases/cmsgpack.lua`).
    #[test]
    fn matches_redis() {
        super::super::cases::replay(include_str!("cases/cmsgpack.expected"));
    }
}
