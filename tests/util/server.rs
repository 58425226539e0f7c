//! Spawning server processes: ferrodis under test and the real redis-server
//! it is compared against.
//!
//! Both are started the same way ([`Builder`]) so a differential test sees
//! two servers that differ only in implementation: a free port on 127.0.0.1,
//! no RDB snapshots, and a private temp dir holding the log, pid file and
//! sockets. Each server is killed when its handle drops; if that happens
//! because the test is panicking, the server's log and stderr are printed so
//! the failure can be understood from the CI output alone.

use super::conn::Conn;
use std::fs;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Upper bound for a server to start answering PING.
pub const START_TIMEOUT: Duration = Duration::from_secs(10);

/// Upper bound for a server to exit after SHUTDOWN or SIGTERM.
pub const EXIT_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Ferrodis,
    Redis,
}

impl Flavor {
    pub fn name(self) -> &'static str {
        match self {
            Flavor::Ferrodis => "ferrodis",
            Flavor::Redis => "redis",
        }
    }

    /// The executable to run. redis-server comes from PATH: `make test`
    /// installs it (scripts/ensure-redis.sh). Setting `FERRODIS_TEST_BIN`
    /// (e.g. to `redis-server`) runs the suite against another binary in
    /// place of ferrodis: with redis itself every test must pass, which is
    /// how the harness and the expectations are validated.
    pub fn program(self) -> PathBuf {
        match self {
            Flavor::Ferrodis => std::env::var_os("FERRODIS_TEST_BIN")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_ferrodis"))),
            // By its full path, as an init system starts it: Redis finds
            // its own executable from argv[0] (DEBUG RESTART needs that).
            Flavor::Redis => find_on_path("redis-server").unwrap_or_else(|| "redis-server".into()),
        }
    }

    /// A `Command` for the binary that fails loudly when it is missing, so a
    /// machine without redis never turns differential tests into passes.
    pub fn command(self) -> Command {
        let program = self.program();
        if self == Flavor::Redis && find_on_path("redis-server").is_none() {
            panic!(
                "redis-server is not on PATH: the differential tests need real Redis 7.0 \
                 (run scripts/ensure-redis.sh, which `make test` does)"
            );
        }
        Command::new(program)
    }
}

fn find_on_path(program: &str) -> Option<PathBuf> {
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

/// A fresh private directory under the system temp dir. The pid keeps
/// concurrent `cargo test` runs apart, the counter keeps tests apart.
pub fn temp_dir(label: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir =
        std::env::temp_dir().join(format!("ferrodis-test-{}-{n}-{label}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("mkdir {}: {e}", dir.display()));
    dir
}

/// A port that was free a moment ago. Another process can grab it before the
/// server binds, so [`Builder::start`] retries on "address in use".
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().unwrap().port()
}

/// Starts ferrodis: `TestServer::start()` or `TestServer::start_with(&[..])`.
pub struct TestServer;

/// Starts real redis-server with the same flags as [`TestServer`].
pub struct RealRedis;

impl TestServer {
    pub fn start() -> Server {
        Self::start_with(&[])
    }

    pub fn start_with(args: &[&str]) -> Server {
        Self::builder().args(args).start()
    }

    pub fn builder() -> Builder {
        Builder::new(Flavor::Ferrodis)
    }
}

impl RealRedis {
    pub fn start() -> Server {
        Self::start_with(&[])
    }

    pub fn start_with(args: &[&str]) -> Server {
        Self::builder().args(args).start()
    }

    pub fn builder() -> Builder {
        Builder::new(Flavor::Redis)
    }
}

/// How to start one server. Cloned by the differential harness to start the
/// two flavors identically.
#[derive(Clone)]
pub struct Builder {
    flavor: Flavor,
    config: Option<String>,
    args: Vec<String>,
    /// `RLIMIT_NOFILE` for the server process (soft and hard), if set.
    fd_limit: Option<u64>,
}

impl Builder {
    pub fn new(flavor: Flavor) -> Builder {
        Builder {
            flavor,
            config: None,
            args: Vec::new(),
            fd_limit: None,
        }
    }

    /// Starts the server under an open-file limit of `n`, as `ulimit -n` would.
    pub fn fd_limit(mut self, n: u64) -> Builder {
        self.fd_limit = Some(n);
        self
    }

    pub fn flavor(mut self, flavor: Flavor) -> Builder {
        self.flavor = flavor;
        self
    }

    /// Writes `text` to a config file in the server's dir and passes it as
    /// the first argument, where redis-server requires it. The harness flags
    /// and [`args`](Self::args) come after it and so override it.
    pub fn config(mut self, text: &str) -> Builder {
        self.config = Some(text.to_string());
        self
    }

    /// Extra `--option value` arguments, placed after the harness's own so
    /// they win. `{dir}` in an argument stands for the server's temp dir
    /// (e.g. `--pidfile {dir}/x.pid`).
    pub fn args(mut self, args: &[&str]) -> Builder {
        self.args.extend(args.iter().map(|s| s.to_string()));
        self
    }

    /// Starts the server and waits until it answers PING (or NOAUTH).
    pub fn start(self) -> Server {
        // NOAUTH still proves it is up (servers with requirepass).
        self.start_until(|r| r.starts_with(b"+") || r.starts_with(b"-NOAUTH"))
    }

    /// Starts the server and waits until it answers PING in any way,
    /// `-LOADING` included: a server still loading its dataset.
    pub fn start_answering(self) -> Server {
        self.start_until(|_| true)
    }

    fn start_until(self, answered: impl Fn(&[u8]) -> bool) -> Server {
        const ATTEMPTS: usize = 5;
        for attempt in 1..=ATTEMPTS {
            let mut server = self.spawn();
            match server.wait_ready(&answered) {
                Ok(()) => return server,
                Err(why) => {
                    let logs = server.logs();
                    let port_taken = logs.contains("Address already in use")
                        || logs.contains("AddrInUse")
                        || logs.contains("address in use");
                    if port_taken && attempt < ATTEMPTS {
                        continue;
                    }
                    // Dropping `server` while panicking prints its logs.
                    server.keep_dir = true;
                    panic!(
                        "{} did not start: {why}\ncommand: {}",
                        self.flavor.name(),
                        server.command_line
                    );
                }
            }
        }
        unreachable!()
    }

    /// Spawns without waiting for readiness (the port is still reserved).
    pub fn spawn(&self) -> Server {
        let dir = temp_dir(self.flavor.name());
        let port = free_port();
        let log = dir.join(format!("{}.log", self.flavor.name()));
        let mut argv: Vec<String> = Vec::new();
        let config = self.config.as_ref().map(|text| {
            let path = dir.join("test.conf");
            fs::write(&path, text).expect("write config file");
            path
        });
        if let Some(path) = &config {
            argv.push(path.display().to_string());
        }
        argv.extend(
            [
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--logfile",
                &log.display().to_string(),
                "--dir",
                &dir.display().to_string(),
            ]
            .map(String::from),
        );
        let dir_text = dir.display().to_string();
        argv.extend(self.args.iter().map(|a| a.replace("{dir}", &dir_text)));
        let stdout = fs::File::create(dir.join("stdout")).unwrap();
        let stderr = fs::File::create(dir.join("stderr")).unwrap();
        let command_line = format!("{} {}", self.flavor.program().display(), shell_words(&argv));
        let mut command = self.flavor.command();
        if let Some(n) = self.fd_limit {
            // SAFETY: the closure runs in the forked child before exec and
            // only calls setrlimit, which is async-signal-safe.
            unsafe {
                command.pre_exec(move || {
                    let lim = libc::rlimit {
                        rlim_cur: n,
                        rlim_max: n,
                    };
                    if libc::setrlimit(libc::RLIMIT_NOFILE, &lim) == 0 {
                        Ok(())
                    } else {
                        Err(std::io::Error::last_os_error())
                    }
                });
            }
        }
        let child = command
            .args(&argv)
            .current_dir(&dir)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {command_line}: {e}"));
        Server {
            flavor: self.flavor,
            port,
            dir,
            log,
            config,
            child: Some(child),
            exit: None,
            command_line,
            keep_dir: false,
        }
    }
}

/// A log's text. Servers echo bytes from damaged files into their logs,
/// and those need not be UTF-8; one such byte must not hide the rest.
fn read_lossy(path: &Path) -> String {
    String::from_utf8_lossy(&fs::read(path).unwrap_or_default()).into_owned()
}

fn shell_words(args: &[String]) -> String {
    args.iter()
        .map(|a| {
            if a.is_empty() || a.contains(' ') {
                format!("{a:?}")
            } else {
                a.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// A running server. Killed (SIGKILL) on drop.
pub struct Server {
    pub flavor: Flavor,
    pub port: u16,
    dir: PathBuf,
    log: PathBuf,
    config: Option<PathBuf>,
    child: Option<Child>,
    exit: Option<ExitStatus>,
    command_line: String,
    /// Set when something failed, so the files stay around for inspection.
    keep_dir: bool,
}

impl Server {
    pub fn conn(&self) -> Conn {
        Conn::connect(self.port)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn log_path(&self) -> &Path {
        &self.log
    }

    pub fn config_path(&self) -> Option<&Path> {
        self.config.as_deref()
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("server process handle").id()
    }

    pub fn log(&self) -> String {
        read_lossy(&self.log)
    }

    /// The incremental AOF files under the default `appenddirname`,
    /// oldest first, as one text.
    pub fn incremental_aof(&self) -> String {
        let dir = self.dir.join("appendonlydir");
        let mut incr: Vec<_> = fs::read_dir(&dir)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_else(|_| Vec::new());
        incr.retain(|p| p.to_string_lossy().ends_with(".incr.aof"));
        incr.sort();
        incr.iter().map(|p| read_lossy(p)).collect()
    }

    /// Log file, stdout and stderr, labelled; what a failing test prints.
    pub fn logs(&self) -> String {
        let mut out = String::new();
        for (label, path) in [
            ("log file", self.log.clone()),
            ("stdout", self.dir.join("stdout")),
            ("stderr", self.dir.join("stderr")),
        ] {
            let text = read_lossy(&path);
            let lines: Vec<&str> = text.lines().collect();
            let tail = &lines[lines.len().saturating_sub(200)..];
            out.push_str(&format!(
                "----- {} {label} ({}) -----\n",
                self.flavor.name(),
                path.display()
            ));
            for l in tail {
                out.push_str(l);
                out.push('\n');
            }
        }
        out
    }

    /// The exit status if the process has ended (without blocking).
    pub fn try_exit(&mut self) -> Option<ExitStatus> {
        if self.exit.is_none() {
            if let Some(child) = self.child.as_mut() {
                self.exit = child.try_wait().ok().flatten();
            }
        }
        self.exit
    }

    /// Polls until the process exits; panics after [`EXIT_TIMEOUT`].
    pub fn wait_exit(&mut self) -> ExitStatus {
        let deadline = Instant::now() + EXIT_TIMEOUT;
        loop {
            if let Some(status) = self.try_exit() {
                return status;
            }
            if Instant::now() > deadline {
                panic!(
                    "{} still running {EXIT_TIMEOUT:?} after being asked to exit",
                    self.flavor.name()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends a signal (e.g. `libc::SIGTERM`) to the server process.
    pub fn signal(&self, sig: i32) {
        // SAFETY: kill(2) on a pid we spawned and have not reaped yet.
        let rc = unsafe { libc::kill(self.pid() as libc::pid_t, sig) };
        assert_eq!(rc, 0, "kill({}, {sig}) failed", self.pid());
    }

    fn wait_ready(&mut self, answered: &dyn Fn(&[u8]) -> bool) -> Result<(), String> {
        let deadline = Instant::now() + START_TIMEOUT;
        let mut last = String::from("never connected");
        while Instant::now() < deadline {
            if let Some(status) = self.try_exit() {
                return Err(format!("exited with {status} before accepting connections"));
            }
            match Conn::try_connect(self.port) {
                Ok(mut c) => {
                    c.set_timeout(Duration::from_secs(2));
                    c.cmd(&["PING"]);
                    match c.try_read_reply() {
                        Ok(r) if answered(&r) => return Ok(()),
                        Ok(r) => last = format!("PING answered {}", super::escape(&r)),
                        Err(e) => last = format!("PING failed: {e}"),
                    }
                }
                Err(e) => last = format!("connect: {e}"),
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Err(format!("not ready after {START_TIMEOUT:?} ({last})"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if std::thread::panicking() {
            // Real redis is the reference; its log is only noise next to
            // the one of the server under test.
            if self.flavor == Flavor::Ferrodis {
                eprintln!("{}", self.logs());
            }
            eprintln!(
                "({} files kept in {})",
                self.flavor.name(),
                self.dir.display()
            );
        } else if !self.keep_dir {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}

/// Runs `check` against real Redis first, which proves the expectation
/// right, then against ferrodis. A failure names the flavor it happened on.
pub fn on_both(args: &[&str], check: impl Fn(&mut Server)) {
    on_builder(Builder::new(Flavor::Redis).args(args), check);
}

/// [`on_both`] for servers that need more than arguments (a config file).
pub fn on_builder(builder: Builder, check: impl Fn(&mut Server)) {
    for flavor in [Flavor::Redis, Flavor::Ferrodis] {
        let mut server = builder.clone().flavor(flavor).start();
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| check(&mut server))) {
            // `server` is still alive: its drop during this panic prints its log.
            panic!("[on {}] {}", flavor.name(), panic_message(&*panic));
        }
    }
}

/// The text of a caught panic.
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "<non-string panic>".into())
}

/// Fills a server of each flavor with `fill`, SAVEs, and loads the file
/// into the other flavor: what `observe` reports must be the same on
/// both sides, and a file ferrodis wrote must pass `redis-check-rdb`.
/// Returns what was observed, for checks of its own.
pub fn rdb_files_both_ways(
    label: &str,
    fill: impl Fn(&mut Conn),
    observe: impl Fn(&mut Conn) -> Vec<Vec<u8>>,
) -> Vec<Vec<u8>> {
    let mut seen = Vec::new();
    for (from, to) in [
        (Flavor::Redis, Flavor::Ferrodis),
        (Flavor::Ferrodis, Flavor::Redis),
    ] {
        let src_dir = temp_dir(&format!("{label}-rdb-src"));
        let dir_arg = src_dir.to_string_lossy().to_string();
        let source = Builder::new(from)
            .args(&["--dir", &dir_arg, "--enable-debug-command", "yes"])
            .start();
        let mut c = source.conn();
        fill(&mut c);
        let before = observe(&mut c);
        assert_eq!(c.call(&["SAVE"]), b"+OK\r\n");
        let rdb = fs::read(src_dir.join("dump.rdb")).expect("dump.rdb");
        drop(c);
        drop(source);
        if from == Flavor::Ferrodis {
            let out = std::process::Command::new("redis-check-rdb")
                .arg(src_dir.join("dump.rdb"))
                .output()
                .expect("run redis-check-rdb");
            assert!(
                out.status.success(),
                "redis-check-rdb: {}",
                String::from_utf8_lossy(&out.stdout)
            );
        }
        let dst_dir = temp_dir(&format!("{label}-rdb-dst"));
        fs::write(dst_dir.join("dump.rdb"), &rdb).expect("write dump.rdb");
        let dir_arg = dst_dir.to_string_lossy().to_string();
        let target = Builder::new(to)
            .args(&["--dir", &dir_arg, "--enable-debug-command", "yes"])
            .start();
        let mut c = target.conn();
        assert_eq!(observe(&mut c), before, "{} -> {}", from.name(), to.name());
        let _ = fs::remove_dir_all(&src_dir);
        let _ = fs::remove_dir_all(&dst_dir);
        seen = before;
    }
    seen
}
