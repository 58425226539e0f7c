//! `struct` (struct 0.2 as Redis patches it): `pack`, `unpack` and `size`
//! of binary records described by a format string — `<`/`>` endianness,
//! `!n` alignment, `b B h H l L T iN IN` integers of 1 to 32 bytes through a
//! 64-bit C `long`, `f d` floats, `cN` fixed strings (`c0`: the whole string
//! or the previous number as length), `s` zero-terminated strings, `x`
//! padding. Sizes are x86-64's; integer conversions follow its C casts.

use mlua::{Lua, MultiValue, Table, Value};

use super::args::{self, Fail, Res, Spread, MAX_STACK};

/// The largest integer size, in bytes.
const MAX_INT_SIZE: i32 = 32;
/// The default of `!`: the alignment of a double.
const MAX_ALIGN: i32 = 8;

#[derive(Clone, Copy, PartialEq)]
enum Endian {
    Big,
    Little,
}

struct Header {
    endian: Endian,
    align: usize,
}

impl Header {
    fn new() -> Header {
        Header {
            endian: Endian::Little,
            align: 1,
        }
    }
}

/// A format string read as C reads it: stops at a NUL, and reading past
/// the end gives NUL.
struct Format<'a> {
    fmt: &'a [u8],
    pos: usize,
}

impl Format<'_> {
    fn next_opt(&mut self) -> Option<u8> {
        let c = *self.fmt.get(self.pos)?;
        if c == 0 {
            return None;
        }
        self.pos += 1;
        Some(c)
    }

    /// `getnum`: decimal digits as a C `int`, or `default`; Redis refuses
    /// a count past `INT_MAX`.
    fn num(&mut self, default: i32) -> Res<i32> {
        let mut seen = false;
        let mut a: i32 = 0;
        while let Some(&c) = self.fmt.get(self.pos).filter(|c| c.is_ascii_digit()) {
            a = a
                .checked_mul(10)
                .and_then(|a| a.checked_add(i32::from(c - b'0')))
                .ok_or_else(|| Fail::msg("integral size overflow"))?;
            self.pos += 1;
            seen = true;
        }
        Ok(if seen { a } else { default })
    }
}

/// `optsize`: the bytes option `opt` takes (0 for the non-sized ones).
fn opt_size(opt: u8, fmt: &mut Format) -> Res<usize> {
    Ok(match opt {
        b'B' | b'b' => 1,
        b'H' | b'h' => 2,
        b'L' | b'l' | b'T' | b'd' => 8,
        b'f' => 4,
        b'x' => 1,
        b'c' => fmt.num(1)? as usize,
        b'i' | b'I' => {
            let sz = fmt.num(4)?;
            if sz > MAX_INT_SIZE {
                return Err(Fail::msg(format!(
                    "integral size {sz} is larger than limit of {MAX_INT_SIZE}"
                )));
            }
            sz as usize
        }
        _ => 0,
    })
}

/// `gettoalign`: padding before an item of `size` bytes at offset `len`.
fn to_align(len: usize, h: &Header, opt: u8, size: usize) -> usize {
    if size == 0 || opt == b'c' {
        return 0;
    }
    let size = size.min(h.align);
    size.wrapping_sub(len & (size - 1)) & (size - 1)
}

/// `controloptions`: space, endianness, alignment, or an invalid option.
fn control(opt: u8, fmt: &mut Format, h: &mut Header) -> Res<()> {
    match opt {
        b' ' => {}
        b'>' => h.endian = Endian::Big,
        b'<' => h.endian = Endian::Little,
        b'!' => {
            let a = fmt.num(MAX_ALIGN)?;
            if a <= 0 || a & (a - 1) != 0 {
                return Err(Fail::msg(format!("alignment {a} is not a power of 2")));
            }
            h.align = a as usize;
        }
        _ => {
            let mut text = b"invalid format option '".to_vec();
            text.push(opt);
            text.push(b'\'');
            return Err(Fail::arg(1, text));
        }
    }
    Ok(())
}

/// C's `(unsigned long)d` for a non-negative double on x86-64.
fn double_to_ulong(d: f64) -> u64 {
    if d.is_nan() {
        // cvttsd2si's "integer indefinite".
        return 1 << 63;
    }
    if d < args::TWO_63 {
        args::double_to_long(d) as u64
    } else if d < 2.0 * args::TWO_63 {
        d as u64
    } else {
        // cvttsd2si of d - 2^63 overflows to 2^63, which the xor clears.
        0
    }
}

fn put_integer(out: &mut Vec<u8>, n: f64, endian: Endian, size: usize) {
    let mut value = if n < 0.0 {
        args::double_to_long(n) as u64
    } else {
        double_to_ulong(n)
    };
    let start = out.len();
    out.resize(start + size, 0);
    let bytes = &mut out[start..];
    for i in 0..size {
        let slot = if endian == Endian::Little {
            i
        } else {
            size - 1 - i
        };
        bytes[slot] = (value & 0xff) as u8;
        value >>= 8;
    }
}

fn put_native(out: &mut Vec<u8>, bytes: &[u8], endian: Endian) {
    if endian == Endian::Little {
        out.extend_from_slice(bytes);
    } else {
        out.extend(bytes.iter().rev());
    }
}

fn pack(lua: &Lua, args: &[Value]) -> Res<MultiValue> {
    let fmt_bytes = args::check_bytes(args, 1)?;
    // The C code pushes a nil after the arguments: the first missing one is nil.
    let mut padded = args.to_vec();
    padded.push(Value::Nil);
    let args = padded.as_slice();
    let mut fmt = Format {
        fmt: &fmt_bytes,
        pos: 0,
    };
    let mut h = Header::new();
    let mut arg = 2;
    let mut total: usize = 0;
    let mut out = Vec::new();
    while let Some(opt) = fmt.next_opt() {
        let mut size = opt_size(opt, &mut fmt)?;
        let pad = to_align(total, &h, opt, size);
        total = total.wrapping_add(pad);
        out.resize(out.len() + pad, 0);
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let n = args::check_number(args, arg)?;
                arg += 1;
                put_integer(&mut out, n, h.endian, size);
            }
            b'x' => out.push(0),
            b'f' => {
                let f = args::check_number(args, arg)? as f32;
                arg += 1;
                put_native(&mut out, &f.to_le_bytes(), h.endian);
            }
            b'd' => {
                let d = args::check_number(args, arg)?;
                arg += 1;
                put_native(&mut out, &d.to_le_bytes(), h.endian);
            }
            b'c' | b's' => {
                let s = args::check_bytes(args, arg)?;
                arg += 1;
                if size == 0 {
                    size = s.len();
                }
                // The C code has already moved on: the error names the next argument.
                let data = s
                    .get(..size)
                    .ok_or_else(|| Fail::arg(arg, "string too short"))?;
                out.extend_from_slice(data);
                if opt == b's' {
                    out.push(0);
                    size += 1;
                }
            }
            _ => control(opt, &mut fmt, &mut h)?,
        }
        total = total.wrapping_add(size);
    }
    Ok(MultiValue::from_iter([Value::String(
        lua.create_string(&out)?,
    )]))
}

fn get_integer(bytes: &[u8], endian: Endian, signed: bool) -> f64 {
    let mut l: u64 = 0;
    let mut push = |b: u8| l = (l << 8) | u64::from(b);
    if endian == Endian::Big {
        bytes.iter().for_each(|&b| push(b));
    } else {
        bytes.iter().rev().for_each(|&b| push(b));
    }
    if !signed {
        return l as f64;
    }
    // x86 masks the shift count, as the C code's shift by size*8-1 relies on.
    let shift = (bytes.len() as u32).wrapping_mul(8).wrapping_sub(1);
    let mask = (!0u64).wrapping_shl(shift);
    if l & mask != 0 {
        l |= mask;
    }
    l as i64 as f64
}

fn too_short() -> Fail {
    Fail::arg(2, "data string too short")
}

fn unpack(lua: &Lua, args: &[Value]) -> Res<MultiValue> {
    let fmt_bytes = args::check_bytes(args, 1)?;
    let data = args::check_bytes(args, 2)?;
    let ld = data.len();
    // A size_t in C: a negative offset wraps to a huge one.
    let mut pos = args::opt_integer(args, 3, 1)? as u64 as usize;
    if pos == 0 {
        return Err(Fail::arg(3, "offset must be 1 or greater"));
    }
    pos -= 1;
    let mut fmt = Format {
        fmt: &fmt_bytes,
        pos: 0,
    };
    let mut h = Header::new();
    let mut out = Spread::new(lua)?;
    while let Some(opt) = fmt.next_opt() {
        let mut size = opt_size(opt, &mut fmt)?;
        pos = pos.wrapping_add(to_align(pos, &h, opt, size));
        if size > ld || pos > ld - size {
            return Err(too_short());
        }
        if args.len() + out.len() + 2 > MAX_STACK {
            return Err(Fail::msg("stack overflow (too many results)"));
        }
        let item = data.get(pos..pos + size).unwrap_or_default();
        match opt {
            b'b' | b'B' | b'h' | b'H' | b'l' | b'L' | b'T' | b'i' | b'I' => {
                let signed = opt.is_ascii_lowercase();
                out.push(Value::Number(get_integer(item, h.endian, signed)))?;
            }
            b'x' => {}
            b'f' => {
                let mut b = [0u8; 4];
                b.copy_from_slice(item);
                if h.endian == Endian::Big {
                    b.reverse();
                }
                out.push(Value::Number(f64::from(f32::from_le_bytes(b))))?;
            }
            b'd' => {
                let mut b = [0u8; 8];
                b.copy_from_slice(item);
                if h.endian == Endian::Big {
                    b.reverse();
                }
                out.push(Value::Number(f64::from_le_bytes(b)))?;
            }
            b'c' => {
                if size == 0 {
                    let prev = out.last()?.as_ref().and_then(args::to_number);
                    let Some(n) = prev else {
                        return Err(Fail::msg("format 'c0' needs a previous size"));
                    };
                    out.pop()?;
                    size = if n < 0.0 {
                        args::double_to_long(n) as u64 as usize
                    } else {
                        double_to_ulong(n) as usize
                    };
                    if size > ld || pos > ld - size {
                        return Err(too_short());
                    }
                }
                let s = data.get(pos..pos + size).unwrap_or_default();
                out.push(Value::String(lua.create_string(s)?))?;
            }
            b's' => {
                let rest = data.get(pos..).unwrap_or_default();
                let Some(end) = rest.iter().position(|&b| b == 0) else {
                    return Err(Fail::msg("unfinished string in data"));
                };
                out.push(Value::String(lua.create_string(&rest[..end])?))?;
                size = end + 1;
            }
            _ => control(opt, &mut fmt, &mut h)?,
        }
        pos = pos.wrapping_add(size);
    }
    out.push(Value::Number(pos.wrapping_add(1) as i64 as f64))?;
    Ok(out.finish())
}

fn size(args: &[Value]) -> Res<MultiValue> {
    let fmt_bytes = args::check_bytes(args, 1)?;
    let mut fmt = Format {
        fmt: &fmt_bytes,
        pos: 0,
    };
    let mut h = Header::new();
    let mut pos: usize = 0;
    while let Some(opt) = fmt.next_opt() {
        let size = opt_size(opt, &mut fmt)?;
        pos = pos.wrapping_add(to_align(pos, &h, opt, size));
        if opt == b's' {
            return Err(Fail::arg(1, "option 's' has no fixed size"));
        }
        if opt == b'c' && size == 0 {
            return Err(Fail::arg(1, "option 'c0' has no fixed size"));
        }
        // Letters and digits the sizes did not know are skipped silently.
        if !opt.is_ascii_alphanumeric() {
            control(opt, &mut fmt, &mut h)?;
        }
        pos = pos.wrapping_add(size);
    }
    Ok(MultiValue::from_iter([Value::Number(pos as i64 as f64)]))
}

/// The `struct` table.
pub fn module(lua: &Lua) -> mlua::Result<Table> {
    let t = lua.create_table()?;
    t.raw_set(
        "pack",
        args::function(lua, |lua, a| pack(lua, &a.into_iter().collect::<Vec<_>>()))?,
    )?;
    t.raw_set(
        "unpack",
        args::function(lua, |lua, a| {
            unpack(lua, &a.into_iter().collect::<Vec<_>>())
        })?,
    )?;
    t.raw_set(
        "size",
        args::function(lua, |_, a| size(&a.into_iter().collect::<Vec<_>>()))?,
    )?;
    Ok(t)
}

#[cfg(test)]
mod tests {
    /// Every case recorded from real Redis (`cases/structlib.lua`).
    #[test]
    fn matches_redis() {
        super::super::cases::replay(include_str!("cases/structlib.expected"));
    }

    /// Counts past a C int are errors for every entry point.
    #[test]
    fn size_overflow_is_an_error() {
        let lua = mlua::Lua::new();
        super::super::open_all(&lua).expect("libraries install");
        for fmt in [
            "i4294967295",
            "i99999999999",
            "I2147483648",
            "c4294967295",
            "!4294967296",
        ] {
            for call in ["pack(f, 1)", "unpack(f, 'abcd')", "size(f)"] {
                let script =
                    format!("local f = '{fmt}' return pcall(function() return struct.{call} end)");
                let (ok, _): (bool, mlua::Value) = lua.load(&script).eval().expect("runs");
                assert!(!ok, "{fmt} {call}");
            }
        }
    }
}
