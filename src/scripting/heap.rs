//! The interpreters' heap: Lua allocates straight from the C allocator,
//! outside the server's counted heap, as in Redis, whose `used_memory`
//! leaves Lua out and whose `used_memory_lua` is Lua's own count.
//!
//! mlua's allocator goes through the global allocator, so every Lua
//! allocation paid for the counting allocator's atomic updates and for
//! mlua's bookkeeping on top of `malloc`. A state is created with it and
//! switched to [`lua_alloc`] at once: the blocks it already holds came from
//! the same C allocator (the counting allocator forwards to it unchanged),
//! so `free` and `realloc` take them, and their bytes are taken off the
//! counted figure as if they had been freed.

use std::alloc::Layout;
use std::ffi::c_void;

use mlua::{ffi, Lua};

use crate::server::memory;

/// Moves `lua`'s heap to [`lua_alloc`]; Lua's memory figures
/// (`Lua::used_memory`) then come from Lua's own count.
pub fn use_c_allocator(lua: &Lua) {
    let counted = lua.used_memory();
    lua.exec_raw_lua(|raw| {
        // SAFETY: replaces the allocator of a state nothing is running
        // in; every block it holds is one `lua_alloc` can free.
        unsafe { ffi::lua_setallocf(raw.state(), lua_alloc, std::ptr::null_mut()) }
    });
    memory::forget(counted);
}

/// Lua's allocation function over `realloc` and `free`. It never fails
/// back to Lua: code working on the stack relies on allocations raising
/// no Lua error, so running out of memory aborts, as Rust's allocations do.
unsafe extern "C" fn lua_alloc(
    _ud: *mut c_void,
    ptr: *mut c_void,
    _osize: usize,
    nsize: usize,
) -> *mut c_void {
    if nsize == 0 {
        libc::free(ptr);
        return std::ptr::null_mut();
    }
    let p = libc::realloc(ptr, nsize);
    if p.is_null() {
        std::alloc::handle_alloc_error(
            Layout::from_size_align(nsize, 16).unwrap_or(Layout::new::<u128>()),
        );
    }
    p
}
