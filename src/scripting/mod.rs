//! Lua scripting: one Lua 5.1 interpreter owned by the loop thread, with
//! the libraries Redis bundles (`libs/`), the EVAL script cache, and the
//! state of the script running now.
//!
//! The stable entry points other parts build on (FUNCTION/FCALL):
//! - [`new_state`] creates a sandboxed interpreter with the `redis` API
//!   registered on its `redis` table ([`api::register`] registers it on a
//!   given table), the error handler and the busy-script hook;
//! - [`run::run`] runs a Lua function as a script for a client, with the
//!   arguments it is called with and its [`ScriptFlags`], and writes its
//!   reply (or returns its error) as EVAL does.
//!
//! While a script runs, the client that called it is out of its slot and
//! the script's commands run through the command table with a client of
//! their own (Redis's Lua client), which carries the database the script
//! selected and the protocol it asked for with `redis.setresp`.
//!
//! [`functions`] holds the libraries of FUNCTION LOAD in a state of their
//! own, apart from EVAL's, as in Redis.

pub mod api;
mod call;
pub mod convert;
pub mod functions;
mod heap;
pub mod libs;
pub mod run;
pub mod sandbox;
pub mod shebang;

use std::collections::HashMap;
use std::time::Instant;

use mlua::{Function, Lua, Table};

pub use shebang::ScriptFlags;

use crate::commands::CmdError;
use crate::server::client::Client;

/// Registry key of the real `redis` table (scripts see a read-only proxy).
pub const REDIS_TABLE: &str = "ferrodis.redis";

/// Bytes Redis counts per cached script besides its body (the SHA1 key and
/// the allocations around the body), for `used_memory_scripts_eval`: what
/// redis-server 7.0.15 reports for short scripts; allocator rounding makes
/// longer ones differ by a few bytes.
const SCRIPT_OVERHEAD: usize = 126;

/// A script in the EVAL cache.
#[derive(Debug)]
pub struct CachedScript {
    pub func: Function,
    pub flags: ScriptFlags,
    pub body_len: usize,
}

/// The script running now, as other clients see it while it is busy.
#[derive(Debug)]
pub struct Running {
    pub started: Instant,
    /// The SHA1 of an EVAL script, the name of a function.
    pub name: String,
    /// EVAL (true) or FCALL: SCRIPT KILL and FUNCTION KILL each stop their own.
    pub is_eval: bool,
    /// Past `busy-reply-threshold`: other clients are served, with BUSY.
    pub timed_out: bool,
    /// SCRIPT KILL (or SHUTDOWN NOSAVE) asked it to stop.
    pub kill: bool,
    /// It ran a write command, so it can no longer be killed.
    pub wrote: bool,
}

/// The interpreter, the EVAL cache and the running script.
pub struct Scripting {
    pub lua: Lua,
    cache: HashMap<String, CachedScript, ahash::RandomState>,
    /// Bytes of the cached bodies and their entries.
    cache_bytes: usize,
    /// Cached scripts that declare flags in a shebang line: while there
    /// are none, dispatch need not look a digest up for its flags.
    flagged: usize,
    pub running: Option<Running>,
    /// The buffer the next run's name is written in: one allocation, not
    /// one per run.
    pub(crate) spare_name: String,
    /// The client scripts run their commands with, kept between runs.
    pub(crate) script_client: Option<Box<Client>>,
    /// The buffers `redis.call` builds argument vectors in, kept between runs.
    pub(crate) call_buffers: (Vec<u8>, Vec<std::ops::Range<usize>>),
}

impl std::fmt::Debug for Scripting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scripting")
            .field("cached", &self.cache.len())
            .field("running", &self.running)
            .finish()
    }
}

/// A digest as the cache keys it, in lower case: borrowed when it already
/// is (clients send it as SCRIPT LOAD gave it), so a lookup copies nothing.
pub fn sha_key(sha: &[u8]) -> std::borrow::Cow<'_, str> {
    // A fold without early exit compiles to a few vector operations.
    let upper = sha.iter().fold(false, |u, b| u | b.is_ascii_uppercase());
    match std::str::from_utf8(sha) {
        Ok(s) if !upper => s.into(),
        _ => String::from_utf8_lossy(sha).to_ascii_lowercase().into(),
    }
}

/// Creates a sandboxed Lua state with the `redis` API, the error handler
/// scripts run under, and the hook that lets a long script be interrupted.
pub fn new_state() -> mlua::Result<Lua> {
    let lua = sandbox::create_state(
        |lua, globals| {
            let redis = lua.create_table()?;
            api::register(lua, &redis)?;
            globals.raw_set("redis", redis.clone())?;
            lua.set_named_registry_value(REDIS_TABLE, redis.clone())?;
            // The bundled libraries, before the globals become read-only.
            libs::open_all(lua)?;
            run::install(lua, globals, &redis)
        },
        run::unwrap_error,
    )?;
    run::install_hook(&lua)?;
    Ok(lua)
}

/// The real `redis` table of a state made by [`new_state`].
pub fn redis_table(lua: &Lua) -> mlua::Result<Table> {
    lua.named_registry_value(REDIS_TABLE)
}

impl Scripting {
    /// The interpreter at start-up; failing to create it is fatal.
    pub fn new() -> mlua::Result<Scripting> {
        Ok(Scripting {
            call_buffers: Default::default(),
            lua: new_state()?,
            cache: HashMap::default(),
            cache_bytes: 0,
            flagged: 0,
            running: None,
            spare_name: String::new(),
            script_client: None,
        })
    }

    /// A cached script by its SHA1 (lower case).
    pub fn cached(&self, sha: &str) -> Option<&CachedScript> {
        self.cache.get(sha)
    }

    /// The cached script `sha`, compiling `body` (after its shebang line,
    /// whose line feed stays so line numbers are the user's) and caching
    /// it first when it is not there yet.
    pub fn compile_and_cache(
        &mut self,
        sha: String,
        body: &[u8],
    ) -> Result<&CachedScript, CmdError> {
        if !self.cache.contains_key(&sha) {
            let (flags, code) = shebang::parse(body)?;
            let func = sandbox::script_env(&self.lua)
                .and_then(|env| {
                    self.lua
                        .load(code)
                        .set_name("@user_script")
                        .set_mode(mlua::chunk::ChunkMode::Text)
                        .set_environment(env)
                        .into_function()
                })
                .map_err(|e| {
                    let msg = match &e {
                        mlua::Error::SyntaxError { message, .. } => message.clone(),
                        other => other.to_string(),
                    };
                    CmdError::Message(
                        format!("ERR Error compiling script (new function): {msg}").into(),
                    )
                })?;
            self.cache_bytes += body.len() + SCRIPT_OVERHEAD;
            self.flagged += usize::from(!flags.compat);
            let script = CachedScript {
                func,
                flags,
                body_len: body.len(),
            };
            self.cache.insert(sha.clone(), script);
        }
        self.cache
            .get(&sha)
            .ok_or_else(|| CmdError::Message("ERR script cache".into()))
    }

    /// Empties the cache (SCRIPT FLUSH) and gives the interpreter's memory back.
    ///
    /// As in Redis, the interpreter itself is made anew, so what scripts
    /// left in it (cjson's settings, say) goes too.
    pub fn flush(&mut self) {
        self.cache.clear();
        self.cache_bytes = 0;
        self.flagged = 0;
        match new_state() {
            Ok(lua) => self.lua = lua,
            Err(e) => {
                log::warn!("Could not create a new Lua interpreter for SCRIPT FLUSH: {e}");
                let _ = self.lua.gc_collect();
            }
        }
    }

    /// The flags dispatch checks for an EVAL-family command (Redis's
    /// `evalGetCommandFlags`): a script that declares its flags in a
    /// shebang is a write (unless `no-writes`) and may be refused for
    /// memory (unless `allow-oom` or `no-writes`), and is no longer only
    /// "may replicate"; a script without one keeps the command's flags.
    pub fn command_flags(&self, args: &crate::commands::Args, by_sha: bool, flags: u32) -> u32 {
        use crate::commands::flags as f;
        let declared = if by_sha {
            let sha = args.get(1);
            if sha.len() != 40 || self.flagged == 0 {
                return flags;
            }
            match self.cache.get(sha_key(sha).as_ref()) {
                Some(script) => script.flags,
                None => return flags,
            }
        } else {
            match shebang::parse(args.get(1)) {
                Ok((declared, _)) => declared,
                Err(_) => return flags,
            }
        };
        if declared.compat {
            return flags;
        }
        let mut flags = flags & !(f::STALE | f::DENYOOM | f::WRITE | f::MAY_REPLICATE);
        if !declared.allow_oom && !declared.no_writes {
            flags |= f::DENYOOM;
        }
        if !declared.no_writes {
            flags |= f::WRITE;
        }
        if declared.allow_stale {
            flags |= f::STALE;
        }
        flags
    }

    pub fn cached_count(&self) -> usize {
        self.cache.len()
    }

    /// `used_memory_scripts_eval`.
    pub fn cache_bytes(&self) -> usize {
        self.cache_bytes
    }

    /// `used_memory_lua`: the interpreter's heap, in whole kilobytes as
    /// Lua's collector counts it.
    pub fn lua_memory(&self) -> usize {
        self.lua.used_memory() / 1024 * 1024
    }

    /// A script has run past `busy-reply-threshold`: other clients get BUSY.
    pub fn is_busy(&self) -> bool {
        self.running.as_ref().is_some_and(|r| r.timed_out)
    }

    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// The BUSY error for the running script.
    pub fn busy_error(&self) -> &'static str {
        busy_error(self.running.as_ref().is_none_or(|r| r.is_eval))
    }

    /// SCRIPT KILL (`from_eval`) or FUNCTION KILL: stops the running script
    /// of that kind unless it already wrote.
    pub fn kill(&mut self, from_eval: bool) -> Result<(), CmdError> {
        let Some(r) = self.running.as_mut() else {
            return Err(CmdError::Message(
                "NOTBUSY No scripts in execution right now.".into(),
            ));
        };
        if r.wrote {
            return Err(CmdError::Message(
                "UNKILLABLE Sorry the script already executed write commands against the dataset. \
                 You can either wait the script termination or kill the server in a hard way using \
                 the SHUTDOWN NOSAVE command."
                    .into(),
            ));
        }
        // Each KILL stops only its own kind; the other gets the BUSY error.
        if r.is_eval != from_eval {
            return Err(CmdError::Message(busy_error(r.is_eval).into()));
        }
        r.kill = true;
        Ok(())
    }
}

/// The BUSY error while an EVAL script (`is_eval`) or a function runs.
fn busy_error(is_eval: bool) -> &'static str {
    if is_eval {
        "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
    } else {
        "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
    }
}
