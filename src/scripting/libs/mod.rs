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
}
