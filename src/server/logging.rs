//! The server log in Redis's format, through `log` and `env_logger`:
//! `pid:M 21 Nov 2026 05:03:00.123 * message`, with Redis's level marks
//! (`.` debug, `-` verbose, `*` notice, `#` warning), to stdout or `logfile`.
//!
//! A snapshot child logs as Redis's does, with its own pid and the role
//! mark `C` ([`mark_child`]).
//!
//! Redis's levels map onto `log`'s as: debug → trace, verbose → debug,
//! notice → info, warning → warn (and error).

use std::fs::OpenOptions;
use std::io::Write;
use std::os::fd::IntoRawFd;
use std::sync::atomic::{AtomicI32, AtomicU8, Ordering};

use log::LevelFilter;

use crate::config::LogLevel;
use crate::protocol::reply::format_i64;

/// The role mark after the pid: `M` for the server, `C` for a child and
/// for the start-up lines before the server is initialised.
static ROLE: AtomicU8 = AtomicU8::new(b'C');

/// Where [`log_from_handler`] writes: stdout, or a descriptor of its own
/// on `logfile`, opened once at start-up since a handler cannot open files
/// safely by name.
static HANDLER_FD: AtomicI32 = AtomicI32::new(libc::STDOUT_FILENO);

/// The `log` target whose records are written as they are, without the
/// pid, time and level prefix (Redis's `LL_RAW`).
pub const RAW: &str = "raw";

/// The server is initialised: its lines carry `M` from now on (before,
/// as in Redis, they carry `C`).
pub fn mark_server() {
    ROLE.store(b'M', Ordering::Relaxed);
}

/// Called in a forked child: its lines carry its pid and `C`.
pub fn mark_child() {
    ROLE.store(b'C', Ordering::Relaxed);
}

/// The `log` filter for a Redis level.
pub fn filter(level: LogLevel) -> LevelFilter {
    match level {
        LogLevel::Debug => LevelFilter::Trace,
        LogLevel::Verbose => LevelFilter::Debug,
        LogLevel::Notice => LevelFilter::Info,
        LogLevel::Warning => LevelFilter::Warn,
        LogLevel::Nothing => LevelFilter::Off,
    }
}

fn mark(level: log::Level) -> char {
    match level {
        log::Level::Trace => '.',
        log::Level::Debug => '-',
        log::Level::Info => '*',
        log::Level::Warn | log::Level::Error => '#',
    }
}

/// Redis's log timestamp, `21 Nov 2026 05:03:00.123`, in local time.
pub(crate) fn timestamp() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs() as libc::time_t;
    let mut buf = [0u8; 64];
    // SAFETY: localtime_r writes into the zeroed tm we own; strftime writes at
    // most buf.len() bytes and returns how many it wrote.
    let n = unsafe {
        let mut tm: libc::tm = std::mem::zeroed();
        libc::localtime_r(&secs, &mut tm);
        libc::strftime(
            buf.as_mut_ptr().cast(),
            buf.len(),
            c"%d %b %Y %H:%M:%S".as_ptr(),
            &tm,
        )
    };
    format!(
        "{}.{:03}",
        String::from_utf8_lossy(&buf[..n]),
        now.subsec_millis()
    )
}

/// Starts logging at `level`, to `logfile` (stdout when empty).
pub fn init(level: LogLevel, logfile: &str) -> Result<(), String> {
    let mut builder = env_logger::Builder::new();
    // Level changes at run time (CONFIG SET loglevel) go through log::set_max_level,
    // so the builder itself lets everything through.
    builder.filter_level(LevelFilter::Trace);
    builder.format(move |f, record| {
        if record.target() == RAW {
            return writeln!(f, "{}", record.args());
        }
        writeln!(
            f,
            "{}:{} {} {} {}",
            std::process::id(),
            char::from(ROLE.load(Ordering::Relaxed)),
            timestamp(),
            mark(record.level()),
            record.args()
        )
    });
    if !logfile.is_empty() {
        let opened = OpenOptions::new()
            .create(true)
            .append(true)
            .open(logfile)
            .and_then(|file| Ok((file.try_clone()?, file)));
        let (for_handler, file) = opened.map_err(|e| format!("Can't open the log file: {e}"))?;
        HANDLER_FD.store(for_handler.into_raw_fd(), Ordering::Relaxed);
        builder.target(env_logger::Target::Pipe(Box::new(file)));
    } else {
        builder.target(env_logger::Target::Stdout);
    }
    builder.try_init().map_err(|e| e.to_string())?;
    log::set_max_level(filter(level));
    Ok(())
}

/// Logs a warning from a signal handler as Redis's `serverLogFromHandler`
/// does: `pid:signal-handler (unix-seconds) message`, built on the stack
/// and written with one `write`, since a handler may not allocate or lock.
pub fn log_from_handler(msg: &[u8]) {
    if log::max_level() == LevelFilter::Off {
        return;
    }
    let mut line = [0u8; 256];
    let mut len = 0;
    // SAFETY: getpid and time are async-signal-safe and take no pointers
    // but time's optional out-parameter, passed as null.
    let (pid, now) = unsafe { (libc::getpid(), libc::time(std::ptr::null_mut())) };
    let (mut pid_digits, mut time_digits) = ([0u8; 20], [0u8; 20]);
    for part in [
        format_i64(i64::from(pid), &mut pid_digits),
        b":signal-handler (",
        format_i64(now, &mut time_digits),
        b") ",
        msg,
        b"\n",
    ] {
        let room = line.len() - len;
        let take = part.len().min(room);
        line[len..len + take].copy_from_slice(&part[..take]);
        len += take;
    }
    // SAFETY: writes `len` initialised bytes of `line`; a failed write is
    // ignored, as nothing can be done about it inside a handler.
    unsafe {
        libc::write(
            HANDLER_FD.load(Ordering::Relaxed),
            line.as_ptr().cast(),
            len,
        )
    };
}

/// The ASCII logo Redis prints at start-up instead of its `Running mode`
/// line (`asciilogo.h`), ending in an empty line as Redis's does.
pub fn logo(version: &str, mode: &str, port: u16, pid: u32) -> String {
    format!(
        r#"                _._                                                  
           _.-``__ ''-._                                             
      _.-``    `.  `_.  ''-._           Redis {version} (00000000/0) 64 bit
  .-`` .-```.  ```\/    _.,_ ''-._                                  
 (    '      ,       .-`  | `,    )     Running in {mode} mode
 |`-._`-...-` __...-.``-._|'` _.-'|     Port: {port}
 |    `-._   `._    /     _.-'    |     PID: {pid}
  `-._    `-._  `-./  _.-'    _.-'                                   
 |`-._`-._    `-.__.-'    _.-'_.-'|                                  
 |    `-._`-._        _.-'_.-'    |           https://redis.io       
  `-._    `-._`-.__.-'_.-'    _.-'                                   
 |`-._`-._    `-.__.-'    _.-'_.-'|                                  
 |    `-._`-._        _.-'_.-'    |                                  
  `-._    `-._`-.__.-'_.-'    _.-'                                   
      `-._    `-.__.-'    _.-'                                       
          `-._        _.-'                                           
              `-.__.-'                                               
"#
    )
}
