//! Redis 7.0 functions: the libraries loaded with FUNCTION LOAD, the
//! functions they registered, and the Lua state that holds them (its own,
//! apart from EVAL's, as in Redis).
//!
//! A [`Libraries`] is one set of libraries with the index of their
//! functions by name (function names ignore case, library names do not,
//! as in Redis). The server has one current set; FUNCTION RESTORE builds a
//! new set from a payload first and then swaps or joins it, so a payload
//! that fails changes nothing. Creating a library follows Redis's order
//! of checks: metadata, name, engine, an existing library (kept aside
//! under REPLACE and put back if the new code fails), the body, at least
//! one function, and no function name taken by another library.

pub mod loader;
pub mod metadata;

use std::collections::{BTreeMap, HashMap};

use loader::{Engine, Registered};
use metadata::{valid_name, BAD_NAME};

/// The flags a function may be registered with (`flags={...}`), in the
/// order FUNCTION LIST shows them.
pub mod flags {
    pub const NO_WRITES: u32 = 1 << 0;
    pub const ALLOW_OOM: u32 = 1 << 1;
    pub const ALLOW_STALE: u32 = 1 << 2;
    pub const NO_CLUSTER: u32 = 1 << 3;
    pub const ALLOW_CROSS_SLOT_KEYS: u32 = 1 << 4;

    pub const NAMES: &[(u32, &str)] = &[
        (NO_WRITES, "no-writes"),
        (ALLOW_OOM, "allow-oom"),
        (ALLOW_STALE, "allow-stale"),
        (NO_CLUSTER, "no-cluster"),
        (ALLOW_CROSS_SLOT_KEYS, "allow-cross-slot-keys"),
    ];

    /// The flag a name stands for, in any case.
    pub fn by_name(name: &[u8]) -> Option<u32> {
        NAMES
            .iter()
            .find(|(_, n)| n.as_bytes().eq_ignore_ascii_case(name))
            .map(|&(bit, _)| bit)
    }
}

/// The one engine Redis 7.0 has, as FUNCTION LIST and STATS name it.
pub const ENGINE_NAME: &str = "LUA";

/// A function's flags as the script runner takes them.
pub fn script_flags(bits: u32) -> super::ScriptFlags {
    super::ScriptFlags {
        compat: false,
        no_writes: bits & flags::NO_WRITES != 0,
        allow_oom: bits & flags::ALLOW_OOM != 0,
        allow_stale: bits & flags::ALLOW_STALE != 0,
        no_cluster: bits & flags::NO_CLUSTER != 0,
        allow_cross_slot_keys: bits & flags::ALLOW_CROSS_SLOT_KEYS != 0,
    }
}

/// A registered function.
pub struct Function {
    pub name: String,
    pub library: String,
    pub callback: mlua::Function,
    pub flags: u32,
    pub description: Option<Vec<u8>>,
}

/// A loaded library: its code as given and its functions by name.
pub struct Library {
    pub name: String,
    pub code: Vec<u8>,
    pub functions: BTreeMap<String, Function>,
}

/// A set of libraries and the index of their functions.
#[derive(Default)]
pub struct Libraries {
    libraries: BTreeMap<String, Library>,
    /// Lower-cased function name to its library.
    index: HashMap<String, String>,
    /// The buckets Redis's function dictionary would have: it grows to a
    /// power of two and never shrinks until the set is replaced.
    slots: usize,
}

impl Libraries {
    pub fn iter(&self) -> impl Iterator<Item = &Library> {
        self.libraries.values()
    }

    pub fn len(&self) -> usize {
        self.libraries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.libraries.is_empty()
    }

    pub fn function_count(&self) -> usize {
        self.index.len()
    }

    /// The function called `name`, in any case.
    pub fn function(&self, name: &[u8]) -> Option<&Function> {
        let key = String::from_utf8_lossy(name).to_ascii_lowercase();
        let lib = self.index.get(&key)?;
        let lib = self.libraries.get(lib)?;
        lib.functions
            .values()
            .find(|f| f.name.eq_ignore_ascii_case(&key))
    }

    /// The first function of `lib` whose name another library uses.
    fn clash<'a>(&self, lib: &'a Library) -> Option<&'a str> {
        lib.functions
            .values()
            .map(|f| f.name.as_str())
            .find(|name| self.index.contains_key(&name.to_ascii_lowercase()))
    }

    fn link(&mut self, lib: Library) {
        // One library may register two names that differ only in case;
        // the index keeps the first (Redis 7.0.15 counts both, and its
        // FUNCTION DELETE of such a library crashes the server).
        for f in lib.functions.values() {
            self.index
                .entry(f.name.to_ascii_lowercase())
                .or_insert_with(|| lib.name.clone());
        }
        self.libraries.insert(lib.name.clone(), lib);
        self.slots = self.slots.max(self.index.len().next_power_of_two().max(4));
    }

    /// `used_memory_functions`: the bytes Redis 7.0 counts as the
    /// functions' overhead (`functionsMemoryOverhead`) for these libraries,
    /// from the sizes of its structures and jemalloc's size classes.
    pub fn overhead(&self) -> usize {
        // Dictionary entry and bucket pointer sizes.
        const ENTRY: usize = 24;
        const BUCKET: usize = 8;
        // The engine dictionary (one entry, four buckets), the library
        // context and the Lua engine's own records.
        const FIXED: usize = ENTRY + 4 * BUCKET + 32 + 112;
        // A functionInfo, and the Lua engine's record of its callback.
        const FUNCTION: usize = 48 + 8;
        // A functionLibInfo.
        const LIBRARY: usize = 32;
        let functions: usize = self
            .iter()
            .flat_map(|lib| lib.functions.values())
            .map(|f| {
                FUNCTION
                    + sds_size(f.name.len())
                    + f.description.as_ref().map_or(0, |d| sds_size(d.len()))
            })
            .sum();
        let libraries: usize = self
            .iter()
            .map(|lib| LIBRARY + sds_size(lib.name.len()) + sds_size(lib.code.len()))
            .sum();
        FIXED + ENTRY * self.index.len() + BUCKET * self.slots + functions + libraries
    }

    fn unlink(&mut self, name: &str) -> Option<Library> {
        let lib = self.libraries.remove(name)?;
        for f in lib.functions.values() {
            self.index.remove(&f.name.to_ascii_lowercase());
        }
        Some(lib)
    }

    /// Adds every library of `src`: refused if a name is taken, unless
    /// `replace` lets a library replace the one of its name (a function
    /// name taken by another library is refused either way). On a refusal
    /// nothing changes.
    fn join(&mut self, src: Libraries, replace: bool) -> Result<(), String> {
        let mut replaced = Vec::new();
        for name in src.libraries.keys() {
            if self.libraries.contains_key(name) {
                if !replace {
                    return Err(format!("Library {name} already exists"));
                }
                replaced.extend(self.unlink(name));
            }
        }
        if let Some(name) = src.iter().find_map(|lib| self.clash(lib)) {
            let err = format!("Function {name} already exists");
            for lib in replaced {
                self.link(lib);
            }
            return Err(err);
        }
        for (_, lib) in src.libraries {
            self.link(lib);
        }
        Ok(())
    }
}

/// How FUNCTION RESTORE treats the libraries already loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestorePolicy {
    /// They are all deleted first.
    Flush,
    /// The payload's are added; any name taken refuses the restore.
    Append,
    /// The payload's replace those of the same names.
    Replace,
}

/// The functions engine: its Lua state and the current libraries.
pub struct Functions {
    engine: Engine,
    current: Libraries,
    /// The arguments of the FCALL running now, for FUNCTION STATS.
    pub running_command: Option<crate::commands::OwnedArgs>,
}

impl Functions {
    /// The engine on a sandboxed scripting state of its own, whose
    /// functions run with the `redis` API as EVAL scripts do.
    pub fn new() -> mlua::Result<Self> {
        let lua = super::new_state()?;
        let runtime = super::sandbox::script_env(&lua)?;
        Ok(Functions {
            engine: Engine::new(lua, runtime)?,
            current: Libraries::default(),
            running_command: None,
        })
    }

    pub fn lua(&self) -> &mlua::Lua {
        self.engine.lua()
    }

    pub fn libraries(&self) -> &Libraries {
        &self.current
    }

    /// FUNCTION LOAD: compiles `code` into the current libraries;
    /// returns the library's name.
    pub fn load(&mut self, code: &[u8], replace: bool) -> Result<String, String> {
        create(&self.engine, &mut self.current, code, replace)
    }

    /// FUNCTION DELETE: whether the library existed.
    pub fn delete(&mut self, name: &[u8]) -> bool {
        std::str::from_utf8(name).is_ok_and(|name| self.current.unlink(name).is_some())
    }

    /// FUNCTION FLUSH, and the flushes of a reload.
    pub fn flush(&mut self) {
        self.current = Libraries::default();
    }

    /// FUNCTION RESTORE of the libraries with these codes; on an error
    /// nothing changes.
    pub fn restore(&mut self, codes: &[Vec<u8>], policy: RestorePolicy) -> Result<(), String> {
        let mut restored = Libraries::default();
        for code in codes {
            create(&self.engine, &mut restored, code, false)?;
        }
        match policy {
            RestorePolicy::Flush => {
                self.current = restored;
                Ok(())
            }
            RestorePolicy::Append => self.current.join(restored, false),
            RestorePolicy::Replace => self.current.join(restored, true),
        }
    }

    /// Bytes the engine's Lua state uses (`used_memory_vm_functions`), in
    /// whole kilobytes as Lua's collector counts it.
    pub fn vm_memory(&self) -> usize {
        self.engine.lua().used_memory() / 1024 * 1024
    }
}

/// The allocation of an sds string of `len` bytes: its header, the bytes
/// and a NUL, rounded up to jemalloc's size class.
fn sds_size(len: usize) -> usize {
    let header = match len {
        0..32 => 1,
        32..256 => 3,
        256..65536 => 5,
        _ => 9,
    };
    jemalloc_class(header + len + 1)
}

/// jemalloc's size class for `n` bytes: 8, multiples of 16 up to 128,
/// then four classes per doubling.
fn jemalloc_class(n: usize) -> usize {
    match n {
        0..=8 => 8,
        9..=128 => n.div_ceil(16) * 16,
        _ => {
            let step = n.next_power_of_two() / 8;
            n.div_ceil(step) * step
        }
    }
}

/// Creates the library `code` defines in `libs`, as Redis's
/// `functionsCreateWithLibraryCtx` does.
fn create(
    engine: &Engine,
    libs: &mut Libraries,
    code: &[u8],
    replace: bool,
) -> Result<String, String> {
    let md = metadata::parse(code)?;
    if !valid_name(&md.name) {
        return Err(BAD_NAME.into());
    }
    if !md.engine.eq_ignore_ascii_case(ENGINE_NAME.as_bytes()) {
        return Err(format!(
            "Engine '{}' not found",
            String::from_utf8_lossy(&md.engine)
        ));
    }
    // Checked as ASCII letters, digits and underscores above.
    let name = String::from_utf8_lossy(&md.name).into_owned();
    let old = if libs.libraries.contains_key(&name) {
        if !replace {
            return Err(format!("Library '{name}' already exists"));
        }
        libs.unlink(&name)
    } else {
        None
    };
    let result = engine.load(md.body).and_then(|registered| {
        if registered.is_empty() {
            return Err("No functions registered".to_string());
        }
        let lib = library(&name, code, registered);
        match libs.clash(&lib) {
            Some(f) => Err(format!("Function {f} already exists")),
            None => Ok(lib),
        }
    });
    match result {
        Ok(lib) => {
            libs.link(lib);
            Ok(name)
        }
        Err(e) => {
            if let Some(old) = old {
                libs.link(old);
            }
            Err(e)
        }
    }
}

fn library(name: &str, code: &[u8], registered: Vec<Registered>) -> Library {
    let functions = registered
        .into_iter()
        .map(|r| {
            let f = Function {
                name: r.name,
                library: name.to_string(),
                callback: r.callback,
                flags: r.flags,
                description: r.description,
            };
            (f.name.clone(), f)
        })
        .collect();
    Library {
        name: name.to_string(),
        code: code.to_vec(),
        functions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine() -> Functions {
        Functions::new().unwrap()
    }

    const LIB: &[u8] =
        b"#!lua name=lib\nredis.register_function('f', function(k, a) return 1 end)\n";

    #[test]
    fn load_replace_delete() {
        let mut fs = engine();
        assert_eq!(fs.load(LIB, false), Ok("lib".into()));
        assert_eq!(
            fs.load(LIB, false),
            Err("Library 'lib' already exists".into())
        );
        assert_eq!(fs.load(LIB, true), Ok("lib".into()));
        assert!(fs.libraries().function(b"F").is_some());
        let other = b"#!lua name=other\nredis.register_function('F', function() end)";
        assert_eq!(
            fs.load(other, false),
            Err("Function F already exists".into())
        );
        // A failed REPLACE keeps the old library.
        let broken = b"#!lua name=lib\nredis.register_function('g', function() end) error('x')";
        assert!(fs.load(broken, true).is_err());
        assert!(fs.libraries().function(b"f").is_some());
        assert!(fs.libraries().function(b"g").is_none());
        assert!(fs.delete(b"lib"));
        assert!(!fs.delete(b"lib"));
        assert_eq!(fs.libraries().function_count(), 0);
    }

    #[test]
    fn load_errors() {
        let mut fs = engine();
        for (code, err) in [
            (&b"#!lua name=a-b\n"[..], BAD_NAME.to_string()),
            (b"#!foo name=x\n", "Engine 'foo' not found".into()),
            (b"#!lua name=x\nreturn 1", "No functions registered".into()),
            (
                b"#!lua name=x\nlocal x = ((",
                "Error compiling function: user_function:2: unexpected symbol near '<eof>'".into(),
            ),
            (
                b"#!lua name=x\nredis.call('ping')",
                "Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable 'call'".into(),
            ),
            (
                b"#!lua name=x\nx = 1",
                "Error registering functions: ERR user_function:2: Attempt to modify a readonly table".into(),
            ),
            (
                b"#!lua name=x\nredis.register_function('f', function() end)\nredis.register_function('f', function() end)",
                "Error registering functions: ERR Function already exists in the library".into(),
            ),
            (
                b"#!lua name=x\nredis.register_function{function_name='f', callback=function() end, flags={'nope'}}",
                "Error registering functions: ERR unknown flag given".into(),
            ),
            (
                b"#!lua name=x\nwhile true do end",
                "Error registering functions: ERR FUNCTION LOAD timeout".into(),
            ),
        ] {
            assert_eq!(fs.load(code, false), Err(err), "{}", String::from_utf8_lossy(code));
        }
        assert!(fs.libraries().is_empty());
    }

    #[test]
    fn overhead_as_redis_counts_it() {
        // INFO memory's used_memory_functions on redis-server 7.0.15.
        let mut fs = engine();
        assert_eq!(fs.libraries().overhead(), 200);
        let code = b"#!lua name=m\nredis.register_function('f', function() return 1 end)\nredis.register_function('g', function() return 1 end)";
        fs.load(code, false).unwrap();
        assert_eq!(fs.libraries().overhead(), 576);
        assert_eq!(jemalloc_class(129), 160);
        assert_eq!(jemalloc_class(257), 320);
    }

    #[test]
    fn restore_policies() {
        let mut fs = engine();
        fs.load(LIB, false).unwrap();
        let codes = vec![LIB.to_vec()];
        assert_eq!(
            fs.restore(&codes, RestorePolicy::Append),
            Err("Library lib already exists".into())
        );
        assert_eq!(fs.restore(&codes, RestorePolicy::Replace), Ok(()));
        let clash = vec![b"#!lua name=two\nredis.register_function('f', function() end)".to_vec()];
        assert_eq!(
            fs.restore(&clash, RestorePolicy::Replace),
            Err("Function f already exists".into())
        );
        assert_eq!(fs.restore(&clash, RestorePolicy::Flush), Ok(()));
        assert_eq!(
            fs.libraries()
                .iter()
                .map(|l| l.name.as_str())
                .collect::<Vec<_>>(),
            ["two"]
        );
    }
}
