//! The process title that `ps` and `/proc/<pid>/cmdline` show, set as
//! Redis's `setproctitle` sets it under `set-proc-title yes`: the
//! `proc-title-template` expanded (`{title} {listen-addr} {server-mode}`
//! gives `ferrodis *:6379`), written over the memory that held the command
//! line, and NUL-padded. Snapshot and rewrite children take Redis's titles
//! (`redis-rdb-bgsave`, `redis-aof-rewrite`) so tools that look for them
//! find them.
//!
//! The command line's memory is found when the process starts: glibc
//! passes `argc`/`argv` to the functions of `.init_array`. The arguments
//! are copied first (everything that needs them later asks [`args`], not
//! `std::env::args`, which reads the overwritten memory), and the
//! environment, whose strings follow the arguments, is moved to the heap
//! so its space may hold a title longer than the command line.

use std::ffi::{c_char, c_int, CStr, CString, OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::sync::{Mutex, OnceLock};

use crate::config::Config;

/// The process's arguments as it was started.
static ARGS: OnceLock<Vec<OsString>> = OnceLock::new();

/// The writable span that held the command line (and the environment).
struct Area {
    base: *mut u8,
    len: usize,
}

// SAFETY: the span belongs to the process for its whole life and is only
// written under the mutex.
unsafe impl Send for Area {}

static AREA: Mutex<Option<Area>> = Mutex::new(None);

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[used]
#[link_section = ".init_array"]
static CAPTURE: extern "C" fn(c_int, *const *const c_char, *const *const c_char) = capture;

extern "C" {
    static mut environ: *mut *mut c_char;
}

/// Runs before `main`, with the arguments glibc passes to initialisers.
extern "C" fn capture(argc: c_int, argv: *const *const c_char, _envp: *const *const c_char) {
    if argv.is_null() || argc <= 0 {
        return;
    }
    // SAFETY: glibc passes main's own argc/argv: `argc` valid pointers to
    // NUL-terminated strings. `environ` is the process's environment, a
    // NULL-terminated array of such strings; nothing else runs yet.
    unsafe {
        let arg = |i: usize| *argv.add(i) as *mut u8;
        let args: Vec<OsString> = (0..argc as usize)
            .map(|i| OsStr::from_bytes(CStr::from_ptr(arg(i).cast()).to_bytes()).to_owned())
            .collect();
        let base = arg(0);
        let mut end = base;
        for (i, a) in args.iter().enumerate() {
            if arg(i) != end {
                break;
            }
            end = end.add(a.len() + 1);
        }
        // The environment's strings, where they follow on, are copied
        // to the heap and their space joins the title's.
        let env = environ;
        if !env.is_null() {
            let mut moved: Vec<*mut c_char> = Vec::new();
            let mut i = 0;
            while !(*env.add(i)).is_null() {
                let s = *env.add(i);
                let bytes = CStr::from_ptr(s).to_bytes();
                if s.cast::<u8>() == end {
                    end = end.add(bytes.len() + 1);
                }
                moved.push(CString::new(bytes).unwrap_or_default().into_raw());
                i += 1;
            }
            moved.push(std::ptr::null_mut());
            environ = Box::leak(moved.into_boxed_slice()).as_mut_ptr();
        }
        let _ = ARGS.set(args);
        if let Ok(mut area) = AREA.lock() {
            *area = Some(Area {
                base,
                len: end.offset_from(base) as usize,
            });
        }
    }
}

/// The arguments the process was started with.
pub fn args() -> Vec<OsString> {
    ARGS.get()
        .cloned()
        .unwrap_or_else(|| std::env::args_os().collect())
}

/// The template's expansion with `title` for `{title}` (Redis's
/// `expandProcTitleTemplate`), trimmed of spaces; `None` for an unknown
/// variable or an unclosed brace, which CONFIG SET already refuses.
pub fn expand(config: &Config, title: &str) -> Option<String> {
    let template = config.text("proc-title-template");
    let out = crate::config::expand_template(template.as_bytes(), |var| {
        let value = match var {
            b"title" => title.to_string(),
            b"listen-addr" if config.port != 0 => {
                let addr = config.bind.first().map_or("*", String::as_str);
                format!("{addr}:{}", config.port)
            }
            b"listen-addr" => format!("unixsocket:{}", config.unixsocket),
            b"server-mode" => String::new(),
            b"config-file" => config
                .config_file()
                .map_or("-".to_string(), |p| p.display().to_string()),
            b"port" => config.port.to_string(),
            b"tls-port" => "0".to_string(),
            b"unixsocket" => config.unixsocket.clone(),
            _ => return None,
        };
        Some(value.into_bytes())
    })?;
    Some(String::from_utf8_lossy(&out).trim_matches(' ').to_string())
}

/// Sets the title from the template; `title` stands for `{title}`, the
/// program as it was started when `None`.
pub fn set(config: &Config, title: Option<&str>) {
    let program = args()
        .first()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_default();
    let Some(text) = expand(config, title.unwrap_or(&program)) else {
        return;
    };
    let Ok(guard) = AREA.lock() else {
        return;
    };
    let Some(area) = guard.as_ref() else {
        return;
    };
    if area.len == 0 {
        return;
    }
    let n = text.len().min(area.len - 1);
    // SAFETY: `area` is the span of the process's own argument and
    // environment strings, `len` bytes long; nothing reads it but the
    // kernel (for /proc) now that both were copied.
    unsafe {
        std::ptr::copy_nonoverlapping(text.as_ptr(), area.base, n);
        std::ptr::write_bytes(area.base.add(n), 0, area.len - n);
    }
}
