//! `bit`, LuaBitOp 1.0.2: 32-bit operations on Lua numbers. Every argument
//! is normalised as LuaBitOp does it, by adding 2^52+2^51 to the double and
//! keeping the low 32 bits of its representation (rounding to nearest even,
//! wrapping modulo 2^32); results come back as signed 32-bit numbers.

use mlua::{Lua, MultiValue, Table, Value};

use super::args::{self, Res};

/// `barg`: argument `n` (1-based) as 32 bits; a non-number is an error.
fn barg(args: &[Value], n: usize) -> Res<u32> {
    let d = args.get(n - 1).and_then(args::to_number);
    let bits = (d.unwrap_or(0.0) + 6_755_399_441_055_744.0).to_bits() as u32;
    if bits == 0 && d.is_none() {
        return Err(args::type_error(args, n, "number"));
    }
    Ok(bits)
}

fn ret(b: u32) -> Res<MultiValue> {
    Ok(MultiValue::from_iter([Value::Number(f64::from(b as i32))]))
}

/// band/bor/bxor fold the arguments from the last one down, as LuaBitOp does.
fn fold(args: &[Value], op: fn(u32, u32) -> u32) -> Res<MultiValue> {
    let mut b = barg(args, 1)?;
    for i in (2..=args.len()).rev() {
        b = op(b, barg(args, i)?);
    }
    ret(b)
}

fn shift(args: &[Value], op: fn(u32, u32) -> u32) -> Res<MultiValue> {
    let b = barg(args, 1)?;
    let n = barg(args, 2)? & 31;
    ret(op(b, n))
}

fn tohex(lua: &Lua, args: &[Value]) -> Res<MultiValue> {
    let mut b = barg(args, 1)?;
    let mut n = if args.len() < 2 {
        8
    } else {
        barg(args, 2)? as i32
    };
    let mut digits: &[u8; 16] = b"0123456789abcdef";
    if n < 0 {
        // The C negation of INT_MIN is taken as positive by the compiler.
        n = n.checked_neg().unwrap_or(i32::MAX);
        digits = b"0123456789ABCDEF";
    }
    let n = usize::try_from(n.min(8)).unwrap_or(0);
    let mut buf = [0u8; 8];
    for slot in buf[..n].iter_mut().rev() {
        *slot = digits[(b & 15) as usize];
        b >>= 4;
    }
    Ok(MultiValue::from_iter([Value::String(
        lua.create_string(&buf[..n])?,
    )]))
}

/// The `bit` table.
pub fn module(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    let unary = |f: fn(u32) -> u32| {
        move |_: &Lua, a: MultiValue| {
            let a: Vec<Value> = a.into_iter().collect();
            ret(f(barg(&a, 1)?))
        }
    };
    t.raw_set("tobit", args::function(lua, unary(|b| b))?)?;
    t.raw_set("bnot", args::function(lua, unary(|b| !b))?)?;
    t.raw_set("bswap", args::function(lua, unary(u32::swap_bytes))?)?;
    let folding = |op: fn(u32, u32) -> u32| {
        move |_: &Lua, a: MultiValue| fold(&a.into_iter().collect::<Vec<_>>(), op)
    };
    t.raw_set("band", args::function(lua, folding(|a, b| a & b))?)?;
    t.raw_set("bor", args::function(lua, folding(|a, b| a | b))?)?;
    t.raw_set("bxor", args::function(lua, folding(|a, b| a ^ b))?)?;
    let shifting = |op: fn(u32, u32) -> u32| {
        move |_: &Lua, a: MultiValue| shift(&a.into_iter().collect::<Vec<_>>(), op)
    };
    t.raw_set("lshift", args::function(lua, shifting(|b, n| b << n))?)?;
    t.raw_set("rshift", args::function(lua, shifting(|b, n| b >> n))?)?;
    t.raw_set(
        "arshift",
        args::function(lua, shifting(|b, n| ((b as i32) >> n) as u32))?,
    )?;
    t.raw_set("rol", args::function(lua, shifting(u32::rotate_left))?)?;
    t.raw_set("ror", args::function(lua, shifting(u32::rotate_right))?)?;
    t.raw_set(
        "tohex",
        args::function(lua, |lua, a| {
            let a: Vec<Value> = a.into_iter().collect();
            tohex(lua, &a)
        })?,
    )?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    /// Every case recorded from real Redis (`cases/bit.lua`).
    #[test]
    fn matches_redis() {
        super::super::cases::replay(include_str!("cases/bit.expected"));
    }
}
