//! CONFIG GET and CONFIG SET: parameters found by name or pattern, values
//! validated and stored all or nothing, with Redis's error texts, and each
//! value rendered as CONFIG GET shows it.

use crate::protocol::parser::strtoll;
use crate::storage::float::parse_f64;
use crate::storage::glob::glob_match;

use super::load::LoadState;
use super::table::{
    entries, lookup, Entry, Kind, Value, HIDDEN, IMMUTABLE, MULTI_ARG, OBUF_CLASSES, PROTECTED,
    TABLE,
};
use super::tokens::split_args;
use super::values::{
    change_dir, check_string, current_dir_string, enum_name, format_num, format_percentile, lossy,
    notify_flags_to_string, notify_string_to_flags, parse_enum, parse_number, parse_obuf,
    parse_oom, parse_save, yes_no,
};
use super::{Config, SHUTDOWN_NOSAVE, SHUTDOWN_SAVE};

/// `CONFIG_BINDADDR_MAX`.
const MAX_BIND_ADDRESSES: usize = 16;
/// `CONFIG_REPL_BACKLOG_MIN_SIZE`.
const REPL_BACKLOG_MIN_SIZE: i64 = 16 * 1024;
/// `CONFIG_MIN_HZ` / `CONFIG_MAX_HZ`: hz is a hint, clamped rather than refused.
const MIN_HZ: i64 = 1;
const MAX_HZ: i64 = 500;

impl Config {
    /// CONFIG GET: (name, value) pairs for every parameter matching one of
    /// the patterns, each once. Names are the table's spelling (an alias
    /// matched as such is reported under the alias). Redis itself returns
    /// them in hash-table order, which is randomised per process; here they
    /// come in a stable order: by pattern, then by table position.
    pub fn get(&self, patterns: &[&[u8]]) -> Vec<(&'static str, Vec<u8>)> {
        self.matches(patterns)
            .into_iter()
            .map(|(e, _)| (e.name(), self.value_bytes(e.idx)))
            .collect()
    }

    /// Like [`Config::get`] but with the reply names byte for byte as Redis
    /// sends them: a parameter asked for by exact name (no glob characters)
    /// is echoed with the caller's spelling, e.g. `CONFIG GET PORT` replies
    /// `PORT`.
    pub fn get_reply(&self, patterns: &[&[u8]]) -> Vec<(Vec<u8>, Vec<u8>)> {
        self.matches(patterns)
            .into_iter()
            .map(|(e, asked)| {
                let name = asked.map_or_else(|| e.name().as_bytes().to_vec(), <[u8]>::to_vec);
                (name, self.value_bytes(e.idx))
            })
            .collect()
    }

    fn matches<'a>(&self, patterns: &[&'a [u8]]) -> Vec<(Entry, Option<&'a [u8]>)> {
        let mut out: Vec<(Entry, Option<&'a [u8]>)> = Vec::new();
        let seen = |out: &Vec<(Entry, Option<&[u8]>)>, name: &[u8]| {
            out.iter().any(|(e, asked)| {
                asked
                    .unwrap_or(e.name().as_bytes())
                    .eq_ignore_ascii_case(name)
            })
        };
        for &pat in patterns {
            if !pat.iter().any(|c| matches!(c, b'[' | b'*' | b'?')) {
                if seen(&out, pat) {
                    continue;
                }
                if let Some(e) = lookup(pat) {
                    out.push((e, Some(pat)));
                }
                continue;
            }
            for e in entries() {
                if e.param().flags & HIDDEN != 0 || seen(&out, e.name().as_bytes()) {
                    continue;
                }
                if glob_match(pat, e.name().as_bytes(), true) {
                    out.push((e, None));
                }
            }
        }
        out
    }

    /// CONFIG SET name value [name value ...], all or nothing, as a client
    /// connected from the local host (relevant only for
    /// `enable-protected-configs local`). See [`Config::set_from_client`].
    pub fn set(&mut self, args: &[&[u8]]) -> Result<Vec<&'static str>, String> {
        self.set_from_client(args, true)
    }

    /// CONFIG SET with the caller's locality (unix socket or loopback),
    /// which decides whether protected parameters (`dir`, `dbfilename`)
    /// may change under `enable-protected-configs local`.
    ///
    /// On success returns the canonical names of the parameters set, in
    /// argument order, so the server can apply side effects (listening
    /// port, bind addresses, maxclients...). If such an effect fails the
    /// server should restore a clone taken before the call and reply with
    /// [`Config::set_failure`]. Errors are the full reply line without `-`.
    pub fn set_from_client(
        &mut self,
        args: &[&[u8]],
        local_client: bool,
    ) -> Result<Vec<&'static str>, String> {
        if args.is_empty() {
            return Err("ERR wrong number of arguments for 'config|set' command".to_string());
        }
        if args.len() % 2 == 1 {
            return Err("ERR syntax error".to_string());
        }
        let protected_ok = match self.enum_value("enable-protected-configs") {
            1 => true,
            2 => local_client,
            _ => false,
        };
        let mut chosen: Vec<Entry> = Vec::new();
        let mut unknown: Option<&[u8]> = None;
        let mut failure: Option<(String, &str)> = None;
        for pair in args.chunks(2) {
            let Some(e) = lookup(pair[0]) else {
                if failure.is_none() && unknown.is_none() {
                    unknown = Some(pair[0]);
                }
                continue;
            };
            if unknown.is_some() || failure.is_some() {
                continue;
            }
            let flags = e.param().flags;
            if flags & IMMUTABLE != 0 {
                failure = Some((lossy(pair[0]), "can't set immutable config"));
            } else if flags & PROTECTED != 0 && !protected_ok {
                failure = Some((lossy(pair[0]), "can't set protected config"));
            } else if chosen.contains(&e) {
                failure = Some((lossy(pair[0]), "duplicate parameter"));
            }
            chosen.push(e);
        }
        if let Some(name) = unknown {
            return Err(format!(
                "ERR Unknown option or number of arguments for CONFIG SET - '{}'",
                lossy(name)
            ));
        }
        if let Some((name, why)) = failure {
            return Err(Config::set_failure(&name, why));
        }

        let backup = self.values.clone();
        let old_dir = std::env::current_dir().ok();
        for (e, pair) in chosen.iter().zip(args.chunks(2)) {
            let value = pair[1];
            let split: Vec<&[u8]> = if e.param().flags & MULTI_ARG != 0 {
                if value.is_empty() {
                    Vec::new()
                } else {
                    value.split(|&c| c == b' ').collect()
                }
            } else {
                vec![value]
            };
            if let Err(why) = self.set_param(e.idx, &split, None) {
                self.values = backup;
                if let Some(d) = old_dir {
                    // Best effort, as Redis's own rollback of `dir`.
                    let _ = std::env::set_current_dir(d);
                }
                return Err(Config::set_failure(e.name(), &why));
            }
        }
        self.clamp_hz();
        // Applying a new backlog size enforces a floor (only on change).
        let backlog = Config::index("repl-backlog-size");
        if let (Some(Value::Num(old)), Some(Value::Num(new))) =
            (backup.get(backlog), self.values.get_mut(backlog))
        {
            if *new != *old && *new < REPL_BACKLOG_MIN_SIZE {
                *new = REPL_BACKLOG_MIN_SIZE;
            }
        }
        self.sync();
        let mut names: Vec<&'static str> = Vec::new();
        for e in chosen {
            let n = e.param().name;
            if !names.contains(&n) {
                names.push(n);
            }
        }
        Ok(names)
    }

    /// Set a parameter the way a config-file line would, bypassing the
    /// immutable/protected checks: for startup-time adjustments Redis makes
    /// itself (e.g. `pidfile` defaulting to `/var/run/redis.pid` when
    /// daemonizing). `value` is split on spaces for multi-value parameters.
    /// Errors are the bare reason (e.g. "argument must be 'yes' or 'no'").
    pub fn force_set(&mut self, name: &[u8], value: &[u8]) -> Result<(), String> {
        let Some(e) = lookup(name) else {
            return Err("Bad directive or wrong number of arguments".to_string());
        };
        let split: Vec<&[u8]> = if e.param().flags & MULTI_ARG != 0 {
            value.split(|&c| c == b' ').collect()
        } else {
            vec![value]
        };
        self.set_param(e.idx, &split, None)?;
        self.clamp_hz();
        self.sync();
        Ok(())
    }

    /// The reply line for a CONFIG SET that failed on `name` because of
    /// `reason` (also for failures of side effects applied by the server).
    pub fn set_failure(name: &str, reason: &str) -> String {
        format!("ERR CONFIG SET failed (possibly related to argument '{name}') - {reason}")
    }

    pub(super) fn clamp_hz(&mut self) {
        let i = Config::index("hz");
        if let Some(Value::Num(hz)) = self.values.get_mut(i) {
            *hz = (*hz).clamp(MIN_HZ, MAX_HZ);
        }
    }

    pub(super) fn value_bytes(&self, idx: usize) -> Vec<u8> {
        let (Some(p), Some(v)) = (TABLE.get(idx), self.values.get(idx)) else {
            return Vec::new();
        };
        match (v, &p.kind) {
            (Value::Bool(b), _) => yes_no(*b).as_bytes().to_vec(),
            (Value::Num(n), Kind::Num { fmt, .. }) => format_num(*n, *fmt).into_bytes(),
            (Value::Enum(v), Kind::Enum { names, .. }) => {
                enum_name(names, *v, p.flags & MULTI_ARG != 0).into_bytes()
            }
            (Value::Str(s), _) => s.clone().unwrap_or_default(),
            (Value::Dir, _) => current_dir_string().into_bytes(),
            (Value::Save(params), _) => params
                .iter()
                .map(|(s, c)| format!("{s} {c}"))
                .collect::<Vec<_>>()
                .join(" ")
                .into_bytes(),
            (Value::Obuf(limits), _) => limits
                .iter()
                .zip(OBUF_CLASSES)
                .map(|(l, class)| {
                    format!(
                        "{class} {} {} {}",
                        l.hard_limit_bytes, l.soft_limit_bytes, l.soft_limit_seconds
                    )
                })
                .collect::<Vec<_>>()
                .join(" ")
                .into_bytes(),
            (Value::Oom(v), _) => v
                .iter()
                .map(|x| x.to_string())
                .collect::<Vec<_>>()
                .join(" ")
                .into_bytes(),
            (Value::Notify(f), _) => notify_flags_to_string(*f).into_bytes(),
            (Value::Bind(addrs), _) => addrs.join(&b' '),
            (Value::ReplicaOf(Some((h, port))), _) => {
                let mut out = h.clone();
                out.extend_from_slice(format!(" {port}").as_bytes());
                out
            }
            (Value::ReplicaOf(None), _) => Vec::new(),
            (Value::Percentiles(p), _) => p
                .iter()
                .map(|x| format_percentile(*x))
                .collect::<Vec<_>>()
                .join(" ")
                .into_bytes(),
            _ => Vec::new(),
        }
    }

    /// Parse and store one parameter. `load` is `Some` while reading config
    /// text (it changes how `save` lines combine).
    pub(super) fn set_param(
        &mut self,
        idx: usize,
        args: &[&[u8]],
        load: Option<&mut LoadState>,
    ) -> Result<(), String> {
        let Some(p) = TABLE.get(idx) else {
            return Err("unknown parameter".to_string());
        };
        // In config text Redis splits a multi-argument parameter given as
        // one quoted argument (`save "3600 1"`, `--save "3600 1"`).
        let split: Vec<Vec<u8>>;
        let split_refs: Vec<&[u8]>;
        let args =
            if load.is_some() && p.flags & MULTI_ARG != 0 && args.len() == 1 && !args[0].is_empty()
            {
                split = split_args(args[0]).ok_or("Unbalanced quotes in configuration line")?;
                split_refs = split.iter().map(Vec::as_slice).collect();
                &split_refs[..]
            } else {
                args
            };
        let arg = args.first().copied().unwrap_or_default();
        let new = match &p.kind {
            Kind::Bool(_) => {
                if arg.eq_ignore_ascii_case(b"yes") {
                    if p.name == "activedefrag" {
                        // Like a Redis built without its patched jemalloc.
                        return Err("Active defragmentation cannot be enabled: it requires a Redis server \
                                    compiled with a modified Jemalloc like the one shipped by default with \
                                    the Redis source distribution"
                            .to_string());
                    }
                    Value::Bool(true)
                } else if arg.eq_ignore_ascii_case(b"no") {
                    Value::Bool(false)
                } else {
                    return Err("argument must be 'yes' or 'no'".to_string());
                }
            }
            Kind::Num {
                min,
                max,
                unsigned,
                fmt,
                ..
            } => Value::Num(parse_number(arg, *min, *max, *unsigned, *fmt)?),
            Kind::Enum { names, .. } => {
                let v = parse_enum(names, args, p.flags & MULTI_ARG != 0)?;
                if p.flags & MULTI_ARG != 0 && v & SHUTDOWN_SAVE != 0 && v & SHUTDOWN_NOSAVE != 0 {
                    return Err(
                        "shutdown options SAVE and NOSAVE can't be used simultaneously".to_string(),
                    );
                }
                Value::Enum(v)
            }
            Kind::Str {
                default,
                check,
                binary,
            } => {
                let mut s = arg.to_vec();
                if !binary {
                    // C strings end at the first NUL.
                    if let Some(nul) = s.iter().position(|&c| c == 0) {
                        s.truncate(nul);
                    }
                }
                check_string(*check, &s)?;
                if default.is_none() && s.is_empty() {
                    Value::Str(None)
                } else {
                    Value::Str(Some(s))
                }
            }
            Kind::Dir => {
                if args.len() != 1 {
                    return Err("wrong number of arguments".to_string());
                }
                change_dir(arg)?;
                Value::Dir
            }
            Kind::Save => {
                let Some(Value::Save(current)) = self.values.get(idx) else {
                    return Err("internal error".to_string());
                };
                Value::Save(parse_save(current, args, load)?)
            }
            Kind::ObufLimits => {
                let Some(Value::Obuf(current)) = self.values.get(idx) else {
                    return Err("internal error".to_string());
                };
                Value::Obuf(parse_obuf(current, args)?)
            }
            Kind::OomValues => Value::Oom(parse_oom(args)?),
            Kind::Notify => {
                if args.len() != 1 {
                    return Err("wrong number of arguments".to_string());
                }
                Value::Notify(notify_string_to_flags(arg)?)
            }
            Kind::Bind => {
                if args.len() > MAX_BIND_ADDRESSES {
                    return Err("Too many bind addresses specified.".to_string());
                }
                if args.len() == 1 && arg.is_empty() {
                    Value::Bind(Vec::new())
                } else {
                    Value::Bind(args.iter().map(|a| a.to_vec()).collect())
                }
            }
            Kind::ReplicaOf => {
                if args.len() != 2 {
                    return Err("wrong number of arguments".to_string());
                }
                // Redis forgets the old master before validating the port.
                if let Some(v) = self.values.get_mut(idx) {
                    *v = Value::ReplicaOf(None);
                }
                if args[0].eq_ignore_ascii_case(b"no") && args[1].eq_ignore_ascii_case(b"one") {
                    Value::ReplicaOf(None)
                } else {
                    let (port, rest_ok, _) = strtoll(args[1], 10);
                    let port = port as i32;
                    if !(0..=65535).contains(&port) || !rest_ok {
                        return Err("Invalid master port".to_string());
                    }
                    Value::ReplicaOf(Some((args[0].to_vec(), port)))
                }
            }
            Kind::Percentiles => {
                let mut out = Vec::new();
                if !(args.len() == 1 && arg.is_empty()) {
                    for a in args {
                        let Some(v) = parse_f64(a) else {
                            return Err(
                                "Invalid latency-tracking-info-percentiles parameters".to_string()
                            );
                        };
                        if !(0.0..=100.0).contains(&v) {
                            return Err(
                                "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
                                    .to_string(),
                            );
                        }
                        out.push(v);
                    }
                }
                Value::Percentiles(out)
            }
        };
        if let Some(why) = unsupported(p.name, &new) {
            return Err(why.to_string());
        }
        if let Some(slot) = self.values.get_mut(idx) {
            *slot = new;
        }
        Ok(())
    }
}

/// Values this server cannot honour, refused wherever they are set (file,
/// command line, CONFIG SET) rather than accepted and ignored: a server
/// started from such a config would silently be something else.
fn unsupported(name: &str, value: &Value) -> Option<&'static str> {
    match (name, value) {
        ("cluster-enabled", Value::Bool(true)) => {
            Some("Cluster mode is not supported by this server")
        }
        ("tls-port", Value::Num(n)) if *n != 0 => Some("TLS is not supported by this server"),
        ("syslog-enabled", Value::Bool(true)) => Some("syslog is not supported by this server"),
        ("replicaof", Value::ReplicaOf(Some(_))) => {
            Some("Replication is not supported by this server")
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::test_util::*;

    #[test]
    fn get_patterns_aliases_and_hidden() {
        let c = Config::new();
        let names = |pats: &[&[u8]]| c.get(pats).into_iter().map(|(n, _)| n).collect::<Vec<_>>();
        assert_eq!(names(&[b"maxmemory"]), vec!["maxmemory"]);
        assert_eq!(names(&[b"nonexistent"]), Vec::<&str>::new());
        let mut z = names(&[b"*max*ziplist*"]);
        z.sort_unstable();
        assert_eq!(
            z,
            vec![
                "hash-max-ziplist-entries",
                "hash-max-ziplist-value",
                "list-max-ziplist-size",
                "zset-max-ziplist-entries",
                "zset-max-ziplist-value"
            ]
        );
        // Patterns match case-insensitively; each parameter appears once.
        assert_eq!(names(&[b"PORT*", b"port", b"po?t"]), vec!["port"]);
        // Hidden parameters need their exact name.
        assert!(names(&[b"*delay*"]).iter().all(|n| *n != "key-load-delay"));
        assert_eq!(names(&[b"key-load-delay"]), vec!["key-load-delay"]);
        assert_eq!(names(&[b"slave-read-only"]), vec!["slave-read-only"]);
        // Exact names are echoed with the caller's spelling.
        let r = c.get_reply(&[b"PORT", b"port", b"Port"]);
        assert_eq!(r, vec![(b"PORT".to_vec(), b"6379".to_vec())]);
        assert_eq!(c.value_of(b"lua-time-limit"), Some(b"5000".to_vec()));
    }

    #[test]
    fn force_set_bypasses_immutability() {
        let mut c = Config::new();
        c.force_set(b"pidfile", b"/var/run/redis.pid").unwrap();
        assert_eq!(c.pidfile, "/var/run/redis.pid");
        assert_eq!(get1(&c, "pidfile"), "/var/run/redis.pid");
        assert!(c.force_set(b"daemonize", b"maybe").is_err());
        assert!(c.force_set(b"nope", b"1").is_err());
    }

    #[test]
    fn hz_and_backlog_are_adjusted_on_apply() {
        let mut c = Config::new();
        set(&mut c, &["hz", "1000"]).unwrap();
        assert_eq!(get1(&c, "hz"), "500");
        assert_eq!(c.hz, 500);
        set(&mut c, &["hz", "0"]).unwrap();
        assert_eq!(c.hz, 1);
        set(&mut c, &["repl-backlog-size", "1"]).unwrap();
        assert_eq!(get1(&c, "repl-backlog-size"), "16384");
    }

    #[test]
    fn set_errors_and_atomicity() {
        let mut c = Config::new();
        assert_eq!(set(&mut c, &["port"]).unwrap_err(), "ERR syntax error");
        assert_eq!(
            set(&mut c, &["foo", "bar", "daemonize", "yes"]).unwrap_err(),
            "ERR Unknown option or number of arguments for CONFIG SET - 'foo'"
        );
        // The first problem wins: an immutable parameter before an unknown one.
        assert_eq!(
            set(&mut c, &["DAEMONIZE", "yes", "foo", "bar"]).unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'DAEMONIZE') - can't set immutable config"
        );
        assert_eq!(
            set_err(&mut c, "dir", "/tmp"),
            "ERR CONFIG SET failed (possibly related to argument 'dir') - can't set protected config"
        );
        assert_eq!(
            set(&mut c, &["maxmemory", "1gb", "MAXMEMORY", "2gb"]).unwrap_err(),
            "ERR CONFIG SET failed (possibly related to argument 'MAXMEMORY') - duplicate parameter"
        );
        // An alias is a separate entry: no duplicate error, last one wins.
        set(
            &mut c,
            &[
                "hash-max-ziplist-entries",
                "5",
                "hash-max-listpack-entries",
                "6",
            ],
        )
        .unwrap();
        assert_eq!(c.hash_max_listpack_entries, 6);
        // Value errors name the parameter as registered (alias or canonical).
        assert_eq!(
            set_err(&mut c, "SLAVE-READ-ONLY", "maybe"),
            "ERR CONFIG SET failed (possibly related to argument 'slave-read-only') - argument must be 'yes' or 'no'"
        );
        // All or nothing.
        let err = set(&mut c, &["timeout", "7", "maxmemory", "1x"]).unwrap_err();
        assert!(err.contains("'maxmemory'"));
        assert_eq!(c.timeout, 0);
        assert_eq!(get1(&c, "timeout"), "0");
        let names = set(&mut c, &["timeout", "7", "slave-read-only", "no"]).unwrap();
        assert_eq!(names, vec!["timeout", "replica-read-only"]);
        assert!(!c.replica_read_only);
    }

    #[test]
    fn protected_configs_follow_enable_protected_configs() {
        let mut c = Config::from_args(&args(&["--enable-protected-configs", "local"])).unwrap();
        let a: [&[u8]; 2] = [b"dbfilename", b"x.rdb"];
        assert!(c
            .set_from_client(&a, false)
            .unwrap_err()
            .ends_with("can't set protected config"));
        c.set_from_client(&a, true).unwrap();
        assert_eq!(c.dbfilename, "x.rdb");
        assert!(set_err(&mut c, "dbfilename", "a/b")
            .ends_with("dbfilename can't be a path, just a filename"));
    }
}
