//! Loading: `redis-server` style arguments and config files (with
//! `include`), line by line as Redis's `loadServerConfigFromString`
//! reads them, and its fatal error block.

use std::fs;
use std::io::Read;
use std::path::PathBuf;

use crate::storage::glob::glob_match;

use super::table::{lookup, MULTI_ARG};
use super::tokens::{repr, split_args, trim};
use super::values::{current_dir_string, lossy};
use super::{strerror, Config};

/// The version printed in the fatal config error header.
const REDIS_VERSION: &str = "7.0.15";
/// Directives Redis 7.0 still tolerates in a config file and ignores.
const DEPRECATED: [&str; 3] = [
    "list-max-ziplist-entries",
    "list-max-ziplist-value",
    "lua-replicate-commands",
];

/// State kept while loading config text, mirroring two statics Redis uses
/// for the odd accumulate-then-replace semantics of `save` lines.
#[derive(Default)]
pub(super) struct LoadState {
    pub(super) reading_file: bool,
    pub(super) save_loaded: bool,
}

/// Why loading failed: either Redis's fatal block or a plain log line
/// (unreadable files are reported through the log in Redis).
enum LoadError {
    Fatal(String),
    Log(String),
}

impl Config {
    /// Build the configuration from `redis-server` style arguments (without
    /// argv[0]): an optional config file path (or `-` for stdin) followed by
    /// `--name value...` options, which become config lines appended after
    /// the file, exactly as redis-server does. On error returns the complete
    /// text Redis prints on stderr (already newline-terminated; print it
    /// as-is with `eprint!`), after which the caller should exit with 1.
    pub fn from_args(args: &[String]) -> Result<Config, String> {
        let mut cfg = Config::new();
        let mut j = 0;
        let mut file = None;
        if let Some(first) = args.first() {
            if !first.starts_with('-') {
                let abs = absolute_path(first);
                cfg.config_file = Some(PathBuf::from(&abs));
                file = Some(abs);
                j = 1;
            }
        }
        let mut from_stdin = false;
        let mut options: Vec<u8> = Vec::new();
        let mut handled_last = true;
        while j < args.len() {
            let arg = args[j].as_bytes();
            let last = j + 1 == args.len();
            if arg == b"-" && (j == 0 || last) {
                from_stdin = true;
            } else if handled_last && arg.starts_with(b"--") {
                if !options.is_empty() {
                    options.push(b'\n');
                }
                options.extend_from_slice(&arg[2..]);
                options.push(b' ');
                // `--port 6380` as one argument carries its own value.
                if split_args(arg).map_or(0, |a| a.len()) == 1 {
                    handled_last = false;
                    let next_is_option = !last && args[j + 1].starts_with("--");
                    if arg.eq_ignore_ascii_case(b"--save") && (next_is_option || last) {
                        // A bare `--save` means `save ""` (pre-7.0 habit).
                        options.extend_from_slice(b"\"\"");
                        handled_last = next_is_option;
                    }
                } else {
                    handled_last = true;
                }
            } else {
                options.extend_from_slice(&repr(arg));
                options.push(b' ');
                handled_last = true;
            }
            j += 1;
        }

        let mut text = Vec::new();
        if let Some(path) = &file {
            match read_config_path(path) {
                Ok(t) => text = t,
                Err(e) => return Err(e),
            }
        }
        if from_stdin {
            let mut buf = Vec::new();
            if std::io::stdin().read_to_end(&mut buf).is_ok() {
                text.extend_from_slice(&buf);
            }
        }
        text.push(b'\n');
        text.extend_from_slice(&options);
        let mut state = LoadState::default();
        match cfg.load_text(&text, &mut state) {
            Ok(()) => {}
            Err(LoadError::Fatal(m)) | Err(LoadError::Log(m)) => return Err(m),
        }
        cfg.sync();
        Ok(cfg)
    }

    /// Redis's `loadServerConfigFromString`.
    fn load_text(&mut self, text: &[u8], state: &mut LoadState) -> Result<(), LoadError> {
        state.reading_file = true;
        let lines: Vec<&[u8]> = text.split(|&c| c == b'\n').collect();
        for (i, raw) in lines.iter().enumerate() {
            let line = trim(raw);
            if line.is_empty() || line[0] == b'#' {
                continue;
            }
            let fatal = |msg: &str| LoadError::Fatal(fatal_text(Some((i + 1, line)), msg));
            let Some(mut argv) = split_args(line) else {
                return Err(fatal("Unbalanced quotes in configuration line"));
            };
            if argv.is_empty() {
                continue;
            }
            argv[0].make_ascii_lowercase();
            let argc = argv.len();
            let refs: Vec<&[u8]> = argv.iter().map(Vec::as_slice).collect();
            if let Some(e) = lookup(&argv[0]) {
                if e.param().flags & MULTI_ARG == 0 && argc != 2 {
                    return Err(fatal("wrong number of arguments"));
                }
                if let Err(why) = self.set_param(e.idx, &refs[1..], Some(state)) {
                    return Err(fatal(&why));
                }
                continue;
            }
            let name = argv[0].as_slice();
            if argc == 2 && DEPRECATED.iter().any(|d| d.as_bytes() == name) {
                continue;
            }
            if name == b"include" && argc == 2 {
                self.include(&argv[1], state)?;
            } else if name == b"rename-command" && argc == 3 {
                self.rename_commands
                    .push((argv[1].clone(), argv[2].clone()));
                if let Err(why) = crate::commands::resolve_renames(&self.rename_commands) {
                    return Err(fatal(why));
                }
            } else if name == b"user" && argc >= 2 {
                crate::server::acl::file::check_config_line(&argv, &self.users)
                    .map_err(|e| fatal(&e))?;
                self.users.push(argv[1..].to_vec());
            } else if name == b"loadmodule" && argc >= 2 {
                self.loadmodules.push(argv[1..].to_vec());
            } else if name.contains(&b'.') {
                if argc < 2 {
                    return Err(fatal("Module config specified without value"));
                }
                // No module can claim it: Redis aborts once startup is done.
                return Err(LoadError::Log(log_line(
                    "Module Configuration detected without loadmodule directive or no ApplyConfig call: aborting",
                )));
            } else if name == b"sentinel" {
                if argc != 1 {
                    return Err(fatal("sentinel directive while not in sentinel mode"));
                }
            } else {
                return Err(fatal("Bad directive or wrong number of arguments"));
            }
        }

        let logfile = self.text("logfile");
        if !logfile.is_empty() {
            if let Err(e) = fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(&logfile)
            {
                return Err(LoadError::Fatal(fatal_text(
                    None,
                    &format!("Can't open the log file: {}", strerror(&e)),
                )));
            }
        }
        self.clamp_hz();
        state.reading_file = false;
        Ok(())
    }

    /// `include path`, where the last path component may hold wildcards
    /// (matching files are read in sorted order; no match is fine).
    fn include(&mut self, path: &[u8], state: &mut LoadState) -> Result<(), LoadError> {
        let path = String::from_utf8_lossy(path).into_owned();
        if !path.contains(['*', '?', '[']) {
            let text = read_config_path(&path).map_err(LoadError::Log)?;
            return self.load_text(&text, state);
        }
        let (dir, pattern) = match path.rfind('/') {
            Some(i) => (&path[..=i], &path[i + 1..]),
            None => ("", path.as_str()),
        };
        let mut found: Vec<String> = match fs::read_dir(if dir.is_empty() { "." } else { dir }) {
            Ok(rd) => rd
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| {
                    (!n.starts_with('.') || pattern.starts_with('.'))
                        && glob_match(pattern.as_bytes(), n.as_bytes(), false)
                })
                .map(|n| format!("{dir}{n}"))
                .collect(),
            Err(_) => Vec::new(),
        };
        found.sort();
        let mut text = Vec::new();
        for f in found {
            text.extend(read_config_path(&f).map_err(LoadError::Log)?);
        }
        self.load_text(&text, state)
    }
}

/// Redis's `getAbsolutePath`: prefix the working directory, consuming
/// leading `../` components.
fn absolute_path(p: &str) -> String {
    let p = p.trim_matches([' ', '\r', '\n', '\t']);
    if p.starts_with('/') {
        return p.to_string();
    }
    let mut abs = current_dir_string();
    if !abs.ends_with('/') {
        abs.push('/');
    }
    let mut rel = p;
    while let Some(rest) = rel.strip_prefix("../") {
        rel = rest;
        if abs.len() > 1 {
            let trimmed = &abs[..abs.len() - 1];
            if let Some(pos) = trimmed.rfind('/') {
                abs.truncate(pos + 1);
            }
        }
    }
    abs + rel
}

fn read_config_path(path: &str) -> Result<Vec<u8>, String> {
    match fs::read(path) {
        Ok(text) => Ok(text),
        // C's fopen() accepts a directory; reading it then yields nothing.
        Err(e) if e.raw_os_error() == Some(libc::EISDIR) => Ok(Vec::new()),
        Err(e) => Err(log_line(&format!(
            "Fatal error, can't open config file '{path}': {}",
            strerror(&e)
        ))),
    }
}

/// A warning formatted like Redis's early log lines
/// (`pid:C 21 Nov 2026 05:07:01.587 # message`).
fn log_line(msg: &str) -> String {
    format!(
        "{}:C {} # {}\n",
        std::process::id(),
        crate::server::logging::timestamp(),
        msg
    )
}

fn fatal_text(line: Option<(usize, &[u8])>, msg: &str) -> String {
    let mut s = format!("\n*** FATAL CONFIG FILE ERROR (Redis {REDIS_VERSION}) ***\n");
    if let Some((n, l)) = line {
        s.push_str(&format!(
            "Reading the configuration file, at line {n}\n>>> '{}'\n",
            lossy(l)
        ));
    }
    s.push_str(msg);
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::test_util::*;
    use crate::config::values::current_dir_string;
    use crate::config::LogLevel;

    #[test]
    fn from_args_merges_file_and_options() {
        let path = temp_file(
            "merge",
            "# comment\n\nport 7000\nsave 100 1\nsave 200 2\nslave-read-only no\n",
        );
        let p = path.to_string_lossy().into_owned();
        let c = Config::from_args(&args(&[&p, "--port", "6380", "--save", ""])).unwrap();
        assert_eq!(c.port, 6380);
        assert!(c.save_params.is_empty());
        assert!(!c.replica_read_only);
        assert_eq!(c.config_file(), Some(path.as_path()));
        // Save lines accumulate within a load, replacing the defaults once.
        let c = Config::from_args(&args(&[&p])).unwrap();
        assert_eq!(c.save_params, vec![(100, 1), (200, 2)]);
        let c = Config::from_args(&args(&[&p, "--save", "9", "9"])).unwrap();
        assert_eq!(c.save_params, vec![(100, 1), (200, 2), (9, 9)]);
        // A bare --save means save "".
        let c = Config::from_args(&args(&["--save", "--port", "1234"])).unwrap();
        assert!(c.save_params.is_empty());
        assert_eq!(c.port, 1234);
        let c = Config::from_args(&args(&["--port", "1", "--save"])).unwrap();
        assert!(c.save_params.is_empty());
        // Name and value in one argument.
        let c = Config::from_args(&args(&["--port 6390", "--loglevel", "debug"])).unwrap();
        assert_eq!(c.port, 6390);
        assert_eq!(c.loglevel, LogLevel::Debug);
        // Multi-value options.
        let c = Config::from_args(&args(&["--bind", "127.0.0.1", "::1", "--hz", "0"])).unwrap();
        assert_eq!(c.bind, vec!["127.0.0.1".to_string(), "::1".to_string()]);
        assert_eq!(c.hz, 1);
        let _ = fs::remove_file(path);
    }

    #[test]
    fn fatal_errors_match_redis_text() {
        let e = Config::from_args(&args(&["--port", "abc"])).unwrap_err();
        assert_eq!(
            e,
            "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the configuration file, at line 2\n\
             >>> 'port \"abc\"'\nargument couldn't be parsed into an integer\n"
        );
        let e = Config::from_args(&args(&["--port", "1", "2"])).unwrap_err();
        assert!(e.ends_with(">>> 'port \"1\" \"2\"'\nwrong number of arguments\n"));
        let e = Config::from_args(&args(&["--port"])).unwrap_err();
        assert!(e.ends_with(">>> 'port'\nwrong number of arguments\n"));
        let e = Config::from_args(&args(&["--foo", "bar"])).unwrap_err();
        assert!(e.ends_with("Bad directive or wrong number of arguments\n"));
        let e = Config::from_args(&args(&["--unixsocketperm", "999"])).unwrap_err();
        assert!(e.ends_with("argument couldn't be parsed as an octal number\n"));
        let e = Config::from_args(&args(&["--unixsocketperm", "1000"])).unwrap_err();
        assert!(e.ends_with("argument must be between 0 and 777 inclusive\n"));
        let e = Config::from_args(&args(&["--cluster-enabled", "yes"])).unwrap_err();
        assert!(e.ends_with(
            ">>> 'cluster-enabled \"yes\"'\nCluster mode is not supported by this server\n"
        ));
        let path = temp_file("bad", "port 7000\n\n  # c\nsave \"a\n");
        let p = path.to_string_lossy().into_owned();
        let e = Config::from_args(&args(&[&p, "--port", "1"])).unwrap_err();
        assert!(e.ends_with("at line 4\n>>> 'save \"a'\nUnbalanced quotes in configuration line\n"));
        let _ = fs::remove_file(path);
        let e = Config::from_args(&args(&["/nonexistent/ferrodis.conf"])).unwrap_err();
        assert!(e.contains("# Fatal error, can't open config file '/nonexistent/ferrodis.conf': No such file or directory"));
        // Deprecated directives are tolerated, with the right arity only.
        assert!(Config::from_args(&args(&["--list-max-ziplist-entries", "5"])).is_ok());
        assert!(Config::from_args(&args(&["--lua-replicate-commands"])).is_err());
    }

    #[test]
    fn directives_and_includes() {
        let inc = temp_file("inc", "timeout 5\nsave 200 2\n");
        let main = temp_file(
            "main",
            &format!(
                "save 100 1\ninclude {}\nsave 300 3\nsave 400 4\nrename-command flushall \"\"\nuser default on nopass ~* &* +@all\n",
                inc.display()
            ),
        );
        let c = Config::from_args(&args(&[&main.to_string_lossy()])).unwrap();
        assert_eq!(c.timeout, 5);
        // After an include Redis stops accumulating: each save line replaces.
        assert_eq!(c.save_params, vec![(400, 4)]);
        assert_eq!(c.rename_commands, vec![(b"flushall".to_vec(), Vec::new())]);
        assert_eq!(
            c.users,
            vec![["default", "on", "nopass", "~*", "&*", "+@all"]
                .map(|w| w.as_bytes().to_vec())
                .to_vec()]
        );
        let _ = fs::remove_file(inc);
        let _ = fs::remove_file(main);
    }

    #[test]
    fn absolute_paths() {
        assert_eq!(absolute_path("/a/b"), "/a/b");
        let cwd = current_dir_string();
        assert_eq!(
            absolute_path("x.conf"),
            format!("{}/x.conf", cwd.trim_end_matches('/'))
        );
    }
}
