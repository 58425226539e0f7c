//! The four C libraries Redis 7.0 links into its Lua, rebuilt in Rust:
//! `cjson` (lua-cjson 2.1.0), `cmsgpack` (lua-cmsgpack 0.4.0), `bit`
//! (LuaBitOp 1.0.2) and `struct` (Roberto Ierusalimschy's struct 0.2), with
//! their outputs, number formatting and error texts as Redis's.
//!
//! Errors must reach scripts the way the C libraries raise them: as plain
//! strings prefixed with the caller's position (`user_script:1: ...`), or as
//! `bad argument #n to 'name' (...)` with the name Lua finds at the call
//! site. [`args`] turns a Rust failure into exactly that.

mod args;
pub mod bit;
pub mod cjson;
pub mod cmsgpack;
pub mod structlib;

#[cfg(test)]
mod cases;

use mlua::Lua;

/// Installs the globals `cjson`, `cmsgpack`, `bit` and `struct`.
pub fn open_all(lua: &Lua) -> mlua::Result<()> {
    let globals = lua.globals();
    globals.raw_set("cjson", cjson::module(lua)?)?;
    globals.raw_set("cmsgpack", cmsgpack::module(lua)?)?;
    globals.raw_set("bit", bit::module(lua)?)?;
    globals.raw_set("struct", structlib::module(lua)?)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    /// Seeded random inputs to every library, recorded from real Redis
    /// (`cases/fuzz.lua`): results and error texts folded into checksums.
    #[test]
    fn fuzz_matches_redis() {
        super::cases::replay(include_str!("cases/fuzz.expected"));
    }

    /// Native stack for the deep-nesting test: far less than the nesting
    /// would need if the libraries recursed.
    const SMALL_STACK: usize = 256 << 10;

    /// The decoders and the JSON encoder walk nesting without recursion:
    /// the deepest Redis's limits allow runs on a small native stack.
    #[test]
    fn deep_nesting_needs_no_native_stack() {
        const DEEP: &[&str] = &[
            "return type(cmsgpack.unpack(string.rep('\\145', 3999) .. '\\1'))",
            "return type(cmsgpack.unpack(string.rep('\\129\\1', 3999) .. '\\1'))",
            "cjson.decode_max_depth(100000) \
             return type(cjson.decode(string.rep('[', 7990) .. string.rep(']', 7990)))",
            "cjson.encode_max_depth(100000) local t = {} local c = t \
             for i = 1, 7996 do c[1] = {} c = c[1] end return type(cjson.encode(t))",
        ];
        std::thread::Builder::new()
            .stack_size(SMALL_STACK)
            .spawn(|| {
                let lua = mlua::Lua::new();
                super::open_all(&lua).expect("libraries install");
                for script in DEEP {
                    let got: String = lua.load(*script).eval().expect(script);
                    assert!(got == "table" || got == "string", "{script}: {got}");
                }
            })
            .expect("thread starts")
            .join()
            .expect("deep nesting on a small stack");
    }
}
