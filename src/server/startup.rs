//! Start-up and the end of the process: daemonizing, logging, the file
//! descriptor limit `maxclients` needs, the pid file, the banner lines
//! Redis prints, loading the append-only file or the snapshot, then the
//! loop until shutdown.

use std::io::Write;

use super::{logging, signals, Server, REDIS_VERSION};
use crate::config::{Config, Supervised};

/// Descriptors kept free for listeners, log and persistence files (Redis's `CONFIG_MIN_RESERVED_FDS`).
const RESERVED_FDS: u64 = 32;

/// Runs the server with `config` until it shuts down. `Err` carries the
/// reason it could not start; the caller exits with status 1.
pub fn start(mut config: Config) -> Result<(), String> {
    // SORT ... ALPHA collates with strcoll in the environment's locale,
    // as Redis sets LC_COLLATE from it at start.
    // SAFETY: no other thread runs yet; the argument is a static C string.
    unsafe { libc::setlocale(libc::LC_COLLATE, c"".as_ptr()) };
    if config.daemonize {
        daemonize()?;
        // A daemon always leaves a pid file, Redis's default one if none is set.
        if config.pidfile.is_empty() {
            config.force_set(b"pidfile", b"/var/run/redis.pid")?;
        }
    }
    logging::init(config.loglevel, &config.logfile)?;
    super::crash::install_hook();
    super::crash::set_fatal_handlers(config.flag("crash-log-enabled") == Some(true));
    log::warn!("oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo");
    log::warn!(
        "Redis version={REDIS_VERSION}, bits={}, commit=00000000, modified=0, pid={}, just started",
        usize::BITS,
        std::process::id()
    );
    // Redis words it by whether it was given any argument at all.
    let args = super::proctitle::args();
    if args.len() > 1 {
        log::warn!("Configuration loaded");
    } else {
        log::warn!(
            "Warning: no config file specified, using the default config. In order to specify a config file use {} /path/to/redis.conf",
            args.first().map(|a| a.to_string_lossy()).unwrap_or_default()
        );
    }
    // From here on the server is being initialised: its lines carry `M`.
    logging::mark_server();
    adjust_open_files(&mut config);
    log::info!("monotonic clock: POSIX clock_gettime");
    let mut srv = Server::new(config).map_err(|e| e.to_string())?;
    if srv.config.flag("set-proc-title") == Some(true) {
        super::proctitle::set(&srv.config, None);
    }
    write_pidfile(&srv.config.pidfile);
    signals::install();
    // The logo when asked for, or when logging to a terminal, as Redis shows it.
    let to_terminal = srv.config.logfile.is_empty()
        // SAFETY: isatty only inspects the descriptor.
        && unsafe { libc::isatty(libc::STDOUT_FILENO) } == 1;
    if srv.config.always_show_logo || to_terminal {
        let logo = logging::logo(REDIS_VERSION, "standalone", srv.port(), std::process::id());
        log::info!(target: logging::RAW, "{logo}");
    } else {
        log::info!("Running mode=standalone, port={}.", srv.port());
    }
    log::warn!("Server initialized");
    warn_overcommit();
    refuse_modules(&srv.config.loadmodules)?;
    srv.load_users_at_startup()?;
    if srv.config.flag("disable-thp") == Some(true) {
        super::os_tuning::disable_thp();
    }
    srv.apply_oom_score_adj();
    srv.remove_dead_temp_files();
    srv.load_data_at_startup()?;
    log::info!("Ready to accept connections");
    let maxmemory = srv.config.maxmemory;
    if maxmemory > 0 && maxmemory < 1024 * 1024 {
        log::warn!("WARNING: You specified a maxmemory value that is less than 1MB (current value is {maxmemory} bytes). Are you sure this is what you really want?");
    }
    notify_supervisor(srv.config.supervised);
    srv.run().map_err(|e| format!("Event loop failed: {e}"))
}

/// Raises the open-file limit so `maxclients` connections fit, lowering
/// `maxclients` when the system refuses, as Redis's `adjustOpenFilesLimit` does.
pub fn adjust_open_files(config: &mut Config) {
    let wanted = config.maxclients as u64 + RESERVED_FDS;
    // SAFETY: getrlimit/setrlimit read and write the struct we own.
    unsafe {
        let mut lim: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return;
        }
        if lim.rlim_cur >= wanted {
            return;
        }
        let mut target = wanted;
        while target > lim.rlim_cur {
            let new = libc::rlimit {
                rlim_cur: target,
                rlim_max: lim.rlim_max.max(target),
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &new) == 0 {
                return;
            }
            let capped = libc::rlimit {
                rlim_cur: target.min(lim.rlim_max),
                rlim_max: lim.rlim_max,
            };
            if capped.rlim_cur >= wanted && libc::setrlimit(libc::RLIMIT_NOFILE, &capped) == 0 {
                return;
            }
            target = target.saturating_sub(16);
        }
        let usable = lim.rlim_cur.saturating_sub(RESERVED_FDS).max(1);
        log::warn!(
            "You requested maxclients of {} requiring at least {wanted} max file descriptors.",
            config.maxclients
        );
        log::warn!(
            "Server can't set maximum open files to {wanted} because of OS error: {}.",
            crate::config::strerror(&std::io::Error::last_os_error())
        );
        log::warn!(
            "Current maximum open files is {}. maxclients has been reduced to {usable} to compensate for low ulimit. If you need higher maxclients increase 'ulimit -n'.",
            lim.rlim_cur
        );
        // Through the parameter table, so CONFIG GET reports it as Redis does.
        if let Err(e) = config.force_set(b"maxclients", usable.to_string().as_bytes()) {
            log::warn!("Could not lower maxclients: {e}");
        }
    }
}

/// Snapshots and rewrites fork: with overcommit off the kernel may refuse
/// the fork of a big server, so Redis warns, and so does ferrodis.
fn warn_overcommit() {
    let Ok(mode) = std::fs::read_to_string("/proc/sys/vm/overcommit_memory") else {
        return;
    };
    if mode.trim() != "1" {
        log::warn!("WARNING Memory overcommit must be enabled! Without it, a background save or replication may fail under low memory condition. Being disabled, it can can also cause failures without low memory condition, see https://github.com/jemalloc/jemalloc/issues/1328. To fix this issue add 'vm.overcommit_memory = 1' to /etc/sysctl.conf and then reboot or run the command 'sysctl vm.overcommit_memory=1' for this to take effect.");
    }
}

/// `loadmodule`: this server has no module API, so start-up fails as Redis
/// fails on a module it cannot load, with the same two log lines.
fn refuse_modules(modules: &[Vec<Vec<u8>>]) -> Result<(), String> {
    let Some(path) = modules.first().and_then(|m| m.first()) else {
        return Ok(());
    };
    let path = String::from_utf8_lossy(path);
    let why = if std::path::Path::new(path.as_ref()).exists() {
        "modules are not supported by this server".to_string()
    } else {
        format!("{path}: cannot open shared object file: No such file or directory")
    };
    log::warn!("Module {path} failed to load: {why}");
    Err(format!("Can't load module from {path}: server aborting"))
}

/// Tells a supervisor the server is ready, as Redis does: systemd through
/// the datagram socket in `NOTIFY_SOCKET`, upstart by stopping itself
/// until the supervisor resumes it.
fn notify_supervisor(mode: Supervised) {
    let mode = match mode {
        Supervised::Auto if std::env::var_os("UPSTART_JOB").is_some() => Supervised::Upstart,
        Supervised::Auto if std::env::var_os("NOTIFY_SOCKET").is_some() => Supervised::Systemd,
        other => other,
    };
    match mode {
        Supervised::No | Supervised::Auto => {}
        Supervised::Upstart => {
            log::info!("supervised by upstart, will stop to signal readiness.");
            // SAFETY: raising a signal at ourselves has no memory effects.
            unsafe {
                libc::raise(libc::SIGSTOP);
            }
        }
        Supervised::Systemd => {
            let Some(path) = std::env::var_os("NOTIFY_SOCKET") else {
                log::warn!(
                    "systemd supervision requested or auto-detected, but NOTIFY_SOCKET environment variable is not set"
                );
                return;
            };
            log::info!("Supervised by systemd. Please make sure you set appropriate values for TimeoutStartSec and TimeoutStopSec in your service unit.");
            for msg in ["STATUS=Ready to accept connections\n", "READY=1\n"] {
                if let Err(e) = systemd_notify(&path, msg.as_bytes()) {
                    log::warn!("Can't send notification to systemd: {e}");
                    return;
                }
            }
        }
    }
}

/// One `sd_notify` datagram; a leading `@` names an abstract socket.
fn systemd_notify(path: &std::ffi::OsStr, msg: &[u8]) -> std::io::Result<()> {
    use std::os::linux::net::SocketAddrExt;
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::net::{SocketAddr, UnixDatagram};
    let bytes = path.as_bytes();
    let addr = match bytes.strip_prefix(b"@") {
        Some(name) => SocketAddr::from_abstract_name(name)?,
        None => SocketAddr::from_pathname(path)?,
    };
    UnixDatagram::unbound()?.send_to_addr(msg, &addr)?;
    Ok(())
}

fn write_pidfile(path: &str) {
    if path.is_empty() {
        return;
    }
    match std::fs::File::create(path).and_then(|mut f| writeln!(f, "{}", std::process::id())) {
        Ok(()) => {}
        Err(e) => log::warn!("Failed to write PID file: {e}"),
    }
}

/// Detaches from the terminal: fork, the parent exits, the child starts a
/// new session with standard streams on /dev/null.
fn daemonize() -> Result<(), String> {
    // SAFETY: called before any other thread exists; the child continues
    // with a copy of this single-threaded process.
    unsafe {
        match libc::fork() {
            -1 => return Err(format!("fork failed: {}", std::io::Error::last_os_error())),
            0 => {}
            _ => libc::_exit(0),
        }
        libc::setsid();
        let fd = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        if fd >= 0 {
            libc::dup2(fd, 0);
            libc::dup2(fd, 1);
            libc::dup2(fd, 2);
            if fd > 2 {
                libc::close(fd);
            }
        }
    }
    Ok(())
}

impl Server {
    /// `DEBUG RESTART` (`graceful`: rewrite the config file, save as a
    /// shutdown would) and `DEBUG CRASH-AND-RECOVER` (neither): the same
    /// executable with the same arguments replaces this process after
    /// `delay_ms`. Returns only when the restart could not go ahead, with
    /// the reason logged.
    pub(crate) fn restart(&mut self, graceful: bool, delay_ms: u64) {
        use std::os::unix::process::CommandExt;
        if graceful && self.config.config_file().is_some() {
            if let Err(e) = self.config.rewrite() {
                log::warn!("Can't restart: configuration rewrite process failed: {e}");
                return;
            }
        }
        if graceful && !self.shutdown_save(0) {
            log::warn!("Can't restart: error preparing for shutdown");
            return;
        }
        // Every other descriptor is close-on-exec; the listeners go now so
        // that nobody connects to a socket that will not answer.
        self.listeners.close(self.poll.registry());
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let err = std::process::Command::new(&self.executable)
            .args(super::proctitle::args().into_iter().skip(1))
            .exec();
        log::warn!("Can't restart: {err}");
        std::process::exit(1);
    }
}
