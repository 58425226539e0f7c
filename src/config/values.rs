//! Values of each kind read from their text and written back: numbers
//! with memory units, percentages or octal digits, enums and flag sets,
//! `save` points, `client-output-buffer-limit` classes, OOM score
//! values, keyspace event letters, string checks and the proc-title
//! template, and `dir`.

use std::path::Path;

use crate::protocol::parser::{parse_i64_strict, strtoll};

use super::load::LoadState;
use super::table::{StrCheck, MEM, OCT, PCT};
use super::{
    strerror, ClientBufferLimit, NOTIFY_ALL, NOTIFY_EVICTED, NOTIFY_EXPIRED, NOTIFY_GENERIC,
    NOTIFY_HASH, NOTIFY_KEYEVENT, NOTIFY_KEYSPACE, NOTIFY_KEY_MISS, NOTIFY_LIST, NOTIFY_MODULE,
    NOTIFY_NEW, NOTIFY_SET, NOTIFY_STREAM, NOTIFY_STRING, NOTIFY_ZSET,
};

pub(super) fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

pub(super) fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// Redis's `memtoull`: digits then an optional unit (b, k, kb, m, mb, g,
/// gb, case-insensitive). Overflow of the digits saturates and the unit
/// multiplication wraps, as in C.
pub(crate) fn memtoull(s: &[u8]) -> Option<u64> {
    if s.first() == Some(&b'-') {
        return None;
    }
    let digits = s.iter().take_while(|c| c.is_ascii_digit()).count();
    let unit = s[digits..].to_ascii_lowercase();
    let mul: u64 = match unit.as_slice() {
        b"" | b"b" => 1,
        b"k" => 1000,
        b"kb" => 1024,
        b"m" => 1000 * 1000,
        b"mb" => 1024 * 1024,
        b"g" => 1000 * 1000 * 1000,
        b"gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    if digits >= 128 {
        return None;
    }
    let mut v: u64 = 0;
    for &d in &s[..digits] {
        v = v.saturating_mul(10).saturating_add(u64::from(d - b'0'));
    }
    Some(v.wrapping_mul(mul))
}

pub(super) fn parse_number(
    arg: &[u8],
    min: i64,
    max: i64,
    unsigned: bool,
    fmt: u8,
) -> Result<i64, String> {
    let mut parsed = None;
    if fmt & MEM != 0 {
        parsed = memtoull(arg).map(|v| v as i64);
    }
    if parsed.is_none() && fmt & PCT != 0 && arg.len() > 1 && arg.last() == Some(&b'%') {
        if let Some(v) = parse_i64_strict(&arg[..arg.len() - 1]).filter(|v| *v >= 0) {
            // Percentages are stored negated.
            parsed = Some(-v);
        }
    }
    if parsed.is_none() && fmt & OCT != 0 {
        parsed = parse_octal(arg);
    }
    if parsed.is_none() && fmt == 0 {
        parsed = parse_i64_strict(arg);
    }
    let Some(v) = parsed else {
        return Err(if fmt & MEM != 0 && fmt & PCT != 0 {
            "argument must be a memory or percent value"
        } else if fmt & MEM != 0 {
            "argument must be a memory value"
        } else if fmt & OCT != 0 {
            "argument couldn't be parsed as an octal number"
        } else {
            "argument couldn't be parsed into an integer"
        }
        .to_string());
    };
    if unsigned {
        let (u, lo, hi) = (v as u64, min as u64, max as u64);
        if u > hi || u < lo {
            return Err(if fmt & OCT != 0 {
                format!("argument must be between {lo:o} and {hi:o} inclusive")
            } else {
                format!("argument must be between {lo} and {hi} inclusive")
            });
        }
    } else if fmt & PCT != 0 && v < 0 {
        if v < min {
            return Err(format!(
                "percentage argument must be less or equal to {}",
                -min
            ));
        }
    } else if v > max || v < min {
        return Err(format!(
            "argument must be between {min} and {max} inclusive"
        ));
    }
    Ok(v)
}

/// C `strtoll(s, &end, 8)` requiring the whole string and no overflow.
fn parse_octal(s: &[u8]) -> Option<i64> {
    let (v, complete, overflow) = strtoll(s, 8);
    (complete && !overflow).then_some(v)
}

pub(super) fn parse_enum(
    names: &[(&str, i32)],
    args: &[&[u8]],
    bitflags: bool,
) -> Result<i32, String> {
    let err = || {
        let list = names.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
        format!("argument(s) must be one of the following: {list}")
    };
    if args.is_empty() || (!bitflags && args.len() != 1) {
        return Err(err());
    }
    let mut v = 0;
    for a in args {
        match names
            .iter()
            .find(|(n, _)| n.as_bytes().eq_ignore_ascii_case(a))
        {
            Some((_, x)) => v |= x,
            None => return Err(err()),
        }
    }
    Ok(v)
}

pub(super) fn enum_name(names: &[(&str, i32)], v: i32, bitflags: bool) -> String {
    let mut parts: Vec<&str> = Vec::new();
    let mut unmatched = v;
    for &(n, x) in names {
        if x == v {
            return n.to_string();
        }
        if bitflags && x != 0 && x == (unmatched & x) {
            parts.push(n);
            unmatched &= !x;
        }
    }
    if parts.is_empty() || unmatched != 0 {
        return "unknown".to_string();
    }
    parts.join(" ")
}

pub(super) fn check_string(check: StrCheck, s: &[u8]) -> Result<(), String> {
    let is_path = s.contains(&b'/') || s.contains(&b'\\');
    let fail = |m: &str| Err(m.to_string());
    match check {
        StrCheck::None => Ok(()),
        StrCheck::DbFilename if is_path => fail("dbfilename can't be a path, just a filename"),
        StrCheck::AofFilename if s.is_empty() => fail("appendfilename can't be empty"),
        StrCheck::AofFilename if is_path => fail("appendfilename can't be a path, just a filename"),
        StrCheck::AofDirname if s.is_empty() => fail("appenddirname can't be empty"),
        StrCheck::AofDirname if is_path => fail("appenddirname can't be a path, just a dirname"),
        StrCheck::Hostname if s.len() >= 256 => fail("Hostnames must be less than 256 characters"),
        StrCheck::Hostname
            if !s
                .iter()
                .all(|c| c.is_ascii_alphanumeric() || *c == b'-' || *c == b'.') =>
        {
            fail("Hostnames may only contain alphanumeric characters, hyphens or dots")
        }
        StrCheck::ProcTitle if !valid_proc_title(s) => {
            fail("template format is invalid or contains unknown variables")
        }
        _ => Ok(()),
    }
}

/// A proc-title template is valid when every `{var}` is known and the
/// expansion (with an empty title, as Redis validates it) is not blank:
/// everything but the title and what may be empty expands to text.
fn valid_proc_title(t: &[u8]) -> bool {
    let expanded = expand_template(t, |var| match var {
        b"title" | b"server-mode" | b"unixsocket" | b"config-file" => Some(Vec::new()),
        b"listen-addr" | b"port" | b"tls-port" => Some(b"x".to_vec()),
        _ => None,
    });
    expanded.is_some_and(|e| e.iter().any(|&b| b != b' '))
}

/// Redis's `sdstemplate`: each `{name}` replaced by what `var` gives for it,
/// `{{` for a literal brace. `None` for a name `var` does not know, a brace
/// left open or one at the end.
pub fn expand_template(t: &[u8], mut var: impl FnMut(&[u8]) -> Option<Vec<u8>>) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(t.len());
    let mut i = 0;
    while i < t.len() {
        if t[i] != b'{' {
            out.push(t[i]);
            i += 1;
            continue;
        }
        if t.get(i + 1)? == &b'{' {
            out.push(b'{');
            i += 2;
            continue;
        }
        let len = t[i + 1..].iter().position(|&c| c == b'}')?;
        out.extend_from_slice(&var(&t[i + 1..i + 1 + len])?);
        i += len + 2;
    }
    Some(out)
}

pub(super) fn parse_save(
    current: &[(i64, i32)],
    args: &[&[u8]],
    load: Option<&mut LoadState>,
) -> Result<Vec<(i64, i32)>, String> {
    if args.len() == 1 && args[0].is_empty() {
        return Ok(Vec::new());
    }
    let invalid = || "Invalid save parameters".to_string();
    if args.len() % 2 == 1 {
        return Err(invalid());
    }
    let mut parsed = Vec::new();
    for pair in args.chunks(2) {
        let (secs, ok1, _) = strtoll(pair[0], 10);
        let (changes, ok2, _) = strtoll(pair[1], 10);
        if !ok1 || !ok2 || secs < 1 || changes < 0 {
            return Err(invalid());
        }
        // `changes` lands in a C int.
        parsed.push((secs, changes as i32));
    }
    // While loading a file, the first `save` line replaces the defaults and
    // later ones accumulate; CONFIG SET always replaces.
    let mut out = match load {
        Some(st) if st.reading_file => {
            if st.save_loaded {
                current.to_vec()
            } else {
                st.save_loaded = true;
                Vec::new()
            }
        }
        _ => Vec::new(),
    };
    out.extend(parsed);
    Ok(out)
}

pub(super) fn parse_obuf(
    current: &[ClientBufferLimit; 3],
    args: &[&[u8]],
) -> Result<[ClientBufferLimit; 3], String> {
    if !args.len().is_multiple_of(4) {
        return Err("Wrong number of arguments in buffer limit configuration.".to_string());
    }
    let mut out = *current;
    for chunk in args.chunks(4) {
        let class = match chunk[0].to_ascii_lowercase().as_slice() {
            b"normal" => 0,
            b"slave" | b"replica" => 1,
            b"pubsub" => 2,
            _ => {
                return Err(
                    "Invalid client class specified in buffer limit configuration.".to_string(),
                )
            }
        };
        let hard = memtoull(chunk[1]);
        let soft = memtoull(chunk[2]);
        let (secs, secs_ok, _) = strtoll(chunk[3], 10);
        // The seconds go through a C int.
        let secs = i64::from(secs as i32);
        match (hard, soft) {
            (Some(hard), Some(soft)) if secs_ok && secs >= 0 => {
                out[class] = ClientBufferLimit {
                    hard_limit_bytes: hard,
                    soft_limit_bytes: soft,
                    soft_limit_seconds: secs,
                };
            }
            _ => {
                return Err(
                    "Error in hard, soft or soft_seconds setting in buffer limit configuration."
                        .to_string(),
                )
            }
        }
    }
    Ok(out)
}

pub(super) fn parse_oom(args: &[&[u8]]) -> Result<[i32; 3], String> {
    if args.len() != 3 {
        return Err("wrong number of arguments".to_string());
    }
    let mut out = [0; 3];
    for (slot, a) in out.iter_mut().zip(args) {
        let (v, ok, _) = strtoll(a, 10);
        if !ok || !(-2000..=2000).contains(&v) {
            return Err(
                "Invalid oom-score-adj-values, elements must be between -2000 and 2000."
                    .to_string(),
            );
        }
        *slot = v as i32;
    }
    Ok(out)
}

pub(super) fn notify_string_to_flags(s: &[u8]) -> Result<u32, String> {
    let mut flags = 0;
    for &c in s {
        flags |= match c {
            b'A' => NOTIFY_ALL,
            b'g' => NOTIFY_GENERIC,
            b'$' => NOTIFY_STRING,
            b'l' => NOTIFY_LIST,
            b's' => NOTIFY_SET,
            b'h' => NOTIFY_HASH,
            b'z' => NOTIFY_ZSET,
            b'x' => NOTIFY_EXPIRED,
            b'e' => NOTIFY_EVICTED,
            b'K' => NOTIFY_KEYSPACE,
            b'E' => NOTIFY_KEYEVENT,
            b't' => NOTIFY_STREAM,
            b'm' => NOTIFY_KEY_MISS,
            b'd' => NOTIFY_MODULE,
            b'n' => NOTIFY_NEW,
            _ => return Err("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".to_string()),
        };
    }
    Ok(flags)
}

/// Note: with every class set the result is `A`, which drops `n` (Redis
/// does the same).
pub(super) fn notify_flags_to_string(f: u32) -> String {
    let mut s = String::new();
    if f & NOTIFY_ALL == NOTIFY_ALL {
        s.push('A');
    } else {
        for (bit, c) in [
            (NOTIFY_GENERIC, 'g'),
            (NOTIFY_STRING, '$'),
            (NOTIFY_LIST, 'l'),
            (NOTIFY_SET, 's'),
            (NOTIFY_HASH, 'h'),
            (NOTIFY_ZSET, 'z'),
            (NOTIFY_EXPIRED, 'x'),
            (NOTIFY_EVICTED, 'e'),
            (NOTIFY_STREAM, 't'),
            (NOTIFY_MODULE, 'd'),
            (NOTIFY_NEW, 'n'),
        ] {
            if f & bit != 0 {
                s.push(c);
            }
        }
    }
    for (bit, c) in [
        (NOTIFY_KEYSPACE, 'K'),
        (NOTIFY_KEYEVENT, 'E'),
        (NOTIFY_KEY_MISS, 'm'),
    ] {
        if f & bit != 0 {
            s.push(c);
        }
    }
    s
}

pub(super) fn format_num(n: i64, fmt: u8) -> String {
    if fmt & PCT != 0 && n < 0 {
        format!("{}%", n.unsigned_abs())
    } else if fmt & MEM != 0 {
        (n as u64).to_string()
    } else if fmt & OCT != 0 {
        format!("{:o}", n)
    } else {
        n.to_string()
    }
}

/// Byte counts in config-file form: the largest of gb/mb/kb that divides.
pub(super) fn format_memory(n: i64) -> String {
    const KB: i64 = 1024;
    if n != 0 && n % (KB * KB * KB) == 0 {
        format!("{}gb", n / (KB * KB * KB))
    } else if n != 0 && n % (KB * KB) == 0 {
        format!("{}mb", n / (KB * KB))
    } else if n != 0 && n % KB == 0 {
        format!("{}kb", n / KB)
    } else {
        n.to_string()
    }
}

/// `%f` with trailing zeros (and a trailing dot) removed.
pub(super) fn format_percentile(v: f64) -> String {
    let s = format!("{v:.6}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

pub(super) fn current_dir_string() -> String {
    std::env::current_dir()
        .map(|d| d.to_string_lossy().into_owned())
        .unwrap_or_default()
}

pub(super) fn change_dir(dir: &[u8]) -> Result<(), String> {
    let path = Path::new(<std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(dir));
    std::env::set_current_dir(path).map_err(|e| strerror(&e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::test_util::*;
    use crate::config::{
        is_sensitive, AppendFsync, Config, LogLevel, MaxmemoryPolicy, SHUTDOWN_NOW,
    };

    #[test]
    fn memory_values() {
        assert_eq!(memtoull(b"5"), Some(5));
        assert_eq!(memtoull(b"5b"), Some(5));
        assert_eq!(memtoull(b"5k"), Some(5000));
        assert_eq!(memtoull(b"5KB"), Some(5120));
        assert_eq!(memtoull(b"5m"), Some(5_000_000));
        assert_eq!(memtoull(b"5mb"), Some(5 << 20));
        assert_eq!(memtoull(b"5g"), Some(5_000_000_000));
        assert_eq!(memtoull(b"1Gb"), Some(1 << 30));
        assert_eq!(memtoull(b""), Some(0));
        assert_eq!(memtoull(b"k"), Some(0));
        assert_eq!(memtoull(b"00012"), Some(12));
        assert_eq!(memtoull(b"99999999999999999999"), Some(u64::MAX));
        for bad in [
            &b"-1"[..],
            b"+5",
            b" 5",
            b"5 ",
            b"1.5gb",
            b"1kk",
            b"0x10",
            b"5t",
        ] {
            assert_eq!(memtoull(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
        let mut c = Config::new();
        set(&mut c, &["maxmemory", "1GB"]).unwrap();
        assert_eq!(get1(&c, "maxmemory"), "1073741824");
        assert_eq!(c.maxmemory, 1 << 30);
        assert_eq!(
            set_err(&mut c, "maxmemory", "1.5gb"),
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"
        );
        // A memory value too large for a signed parameter is out of range.
        assert_eq!(
            set_err(&mut c, "proto-max-bulk-len", "18446744073709551615"),
            "ERR CONFIG SET failed (possibly related to argument 'proto-max-bulk-len') - \
             argument must be between 1048576 and 9223372036854775807 inclusive"
        );
        set(&mut c, &["maxmemory-clients", "10%"]).unwrap();
        assert_eq!(get1(&c, "maxmemory-clients"), "10%");
        assert_eq!(
            set_err(&mut c, "maxmemory-clients", "101%"),
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - \
             percentage argument must be less or equal to 100"
        );
        assert_eq!(
            set_err(&mut c, "maxmemory-clients", "-5"),
            "ERR CONFIG SET failed (possibly related to argument 'maxmemory-clients') - \
             argument must be a memory or percent value"
        );
    }

    #[test]
    fn integers_and_bools() {
        let mut c = Config::new();
        set(&mut c, &["timeout", "5"]).unwrap();
        assert_eq!(c.timeout, 5);
        let prefix = "ERR CONFIG SET failed (possibly related to argument 'timeout') - ";
        assert_eq!(
            set_err(&mut c, "timeout", "-1"),
            format!("{prefix}argument must be between 0 and 2147483647 inclusive")
        );
        assert_eq!(
            set_err(&mut c, "timeout", "abc"),
            format!("{prefix}argument couldn't be parsed into an integer")
        );
        set(&mut c, &["slowlog-log-slower-than", "-1"]).unwrap();
        assert_eq!(c.slowlog_log_slower_than, -1);
        assert_eq!(
            set_err(&mut c, "maxclients", "0"),
            "ERR CONFIG SET failed (possibly related to argument 'maxclients') - \
             argument must be between 1 and 4294967295 inclusive"
        );
        // Unsigned parameters see -1 as a huge number.
        assert_eq!(
            set_err(&mut c, "hash-max-listpack-entries", "-1"),
            "ERR CONFIG SET failed (possibly related to argument 'hash-max-listpack-entries') - \
             argument must be between 0 and 9223372036854775807 inclusive"
        );
        set(&mut c, &["protected-mode", "NO"]).unwrap();
        assert!(!c.protected_mode);
        assert_eq!(
            set_err(&mut c, "protected-mode", "maybe"),
            "ERR CONFIG SET failed (possibly related to argument 'protected-mode') - argument must be 'yes' or 'no'"
        );
    }

    #[test]
    fn enums() {
        let mut c = Config::new();
        set(&mut c, &["loglevel", "WARNING"]).unwrap();
        assert_eq!(get1(&c, "loglevel"), "warning");
        assert_eq!(c.loglevel, LogLevel::Warning);
        assert_eq!(
            set_err(&mut c, "loglevel", "foo"),
            "ERR CONFIG SET failed (possibly related to argument 'loglevel') - \
             argument(s) must be one of the following: debug, verbose, notice, warning"
        );
        set(&mut c, &["appendfsync", "always"]).unwrap();
        assert_eq!(c.appendfsync, AppendFsync::Always);
        set(&mut c, &["maxmemory-policy", "allkeys-lru"]).unwrap();
        assert_eq!(c.maxmemory_policy, MaxmemoryPolicy::AllkeysLru);
        // Shared values show the first name.
        set(&mut c, &["oom-score-adj", "relative"]).unwrap();
        assert_eq!(get1(&c, "oom-score-adj"), "yes");
        // Bit-flag enums.
        set(&mut c, &["shutdown-on-sigint", "nosave now"]).unwrap();
        assert_eq!(get1(&c, "shutdown-on-sigint"), "nosave now");
        set(&mut c, &["shutdown-on-sigint", "default now"]).unwrap();
        assert_eq!(get1(&c, "shutdown-on-sigint"), "now");
        assert_eq!(c.shutdown_on_sigint, SHUTDOWN_NOW);
        assert_eq!(
            set_err(&mut c, "shutdown-on-sigint", "save nosave"),
            "ERR CONFIG SET failed (possibly related to argument 'shutdown-on-sigint') - \
             shutdown options SAVE and NOSAVE can't be used simultaneously"
        );
        assert!(set(&mut c, &["shutdown-on-sigint", ""]).is_err());
    }

    #[test]
    fn special_parameters() {
        let mut c = Config::new();
        set(&mut c, &["save", ""]).unwrap();
        assert_eq!(get1(&c, "save"), "");
        assert!(c.save_params.is_empty());
        set(&mut c, &["save", "100 1 200 2"]).unwrap();
        assert_eq!(c.save_params, vec![(100, 1), (200, 2)]);
        for bad in ["100", "0 1", "100 -1", "a b", "100  1"] {
            assert_eq!(
                set_err(&mut c, "save", bad),
                "ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters"
            );
        }
        set(
            &mut c,
            &[
                "client-output-buffer-limit",
                "replica 1mb 2kb 3 pubsub 0 0 0",
            ],
        )
        .unwrap();
        assert_eq!(
            get1(&c, "client-output-buffer-limit"),
            "normal 0 0 0 slave 1048576 2048 3 pubsub 0 0 0"
        );
        assert_eq!(c.client_output_buffer_limits[1].soft_limit_bytes, 2048);
        assert!(
            set_err(&mut c, "client-output-buffer-limit", "master 1 1 1")
                .ends_with("Invalid client class specified in buffer limit configuration.")
        );
        assert!(set_err(&mut c, "client-output-buffer-limit", "normal 1 1")
            .ends_with("Wrong number of arguments in buffer limit configuration."));
        set(&mut c, &["notify-keyspace-events", "KEA"]).unwrap();
        assert_eq!(get1(&c, "notify-keyspace-events"), "AKE");
        set(&mut c, &["notify-keyspace-events", "$lgmE"]).unwrap();
        assert_eq!(get1(&c, "notify-keyspace-events"), "g$lEm");
        set(&mut c, &["notify-keyspace-events", "nKA"]).unwrap();
        assert_eq!(get1(&c, "notify-keyspace-events"), "AK");
        assert!(set_err(&mut c, "notify-keyspace-events", "Q")
            .ends_with("Invalid event class character. Use 'Ag$lshzxeKEtmdn'."));
        set(&mut c, &["oom-score-adj-values", "1 2 3"]).unwrap();
        assert_eq!(get1(&c, "oom-score-adj-values"), "1 2 3");
        assert!(
            set_err(&mut c, "oom-score-adj-values", "1 2").ends_with("wrong number of arguments")
        );
        assert!(set_err(&mut c, "oom-score-adj-values", "1 2 3000")
            .ends_with("Invalid oom-score-adj-values, elements must be between -2000 and 2000."));
        set(
            &mut c,
            &["latency-tracking-info-percentiles", "1.5 99.990 0x10"],
        )
        .unwrap();
        assert_eq!(
            get1(&c, "latency-tracking-info-percentiles"),
            "1.5 99.99 16"
        );
        assert!(
            set_err(&mut c, "latency-tracking-info-percentiles", "101").ends_with(
                "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
            )
        );
        assert!(
            set_err(&mut c, "latency-tracking-info-percentiles", "1e400")
                .ends_with("Invalid latency-tracking-info-percentiles parameters")
        );
        set(&mut c, &["bind", "127.0.0.1 ::1"]).unwrap();
        assert_eq!(c.bind, vec!["127.0.0.1".to_string(), "::1".to_string()]);
        set(&mut c, &["bind", ""]).unwrap();
        assert!(c.bind.is_empty());
        let many = (1..=17)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(" ");
        assert!(set_err(&mut c, "bind", &many).ends_with("Too many bind addresses specified."));
        set(&mut c, &["requirepass", "s3cret"]).unwrap();
        assert_eq!(c.requirepass.as_deref(), Some(&b"s3cret"[..]));
        assert_eq!(get1(&c, "requirepass"), "s3cret");
        set(&mut c, &["requirepass", ""]).unwrap();
        assert_eq!(c.requirepass, None);
        assert!(is_sensitive(b"REQUIREPASS"));
        assert!(!is_sensitive(b"port"));
        assert!(set_err(&mut c, "cluster-announce-hostname", "a_b")
            .ends_with("Hostnames may only contain alphanumeric characters, hyphens or dots"));
        for bad in ["{title}", "{x}", "", "{port"] {
            assert!(set_err(&mut c, "proc-title-template", bad)
                .ends_with("template format is invalid or contains unknown variables"));
        }
        set(&mut c, &["proc-title-template", "{title} {port}"]).unwrap();
    }

    #[test]
    fn formats_for_rewrite() {
        assert_eq!(format_memory(1 << 30), "1gb");
        assert_eq!(format_memory(3 << 20), "3mb");
        assert_eq!(format_memory(2048), "2kb");
        assert_eq!(format_memory(1000), "1000");
        assert_eq!(format_memory(0), "0");
        assert_eq!(format_percentile(99.9), "99.9");
        assert_eq!(format_percentile(50.0), "50");
        assert_eq!(
            notify_flags_to_string(NOTIFY_ALL | NOTIFY_KEYSPACE | NOTIFY_NEW),
            "AK"
        );
    }
}
