//! Differential testing: the same bytes go to ferrodis and to a real
//! redis-server 7.0 started with the same flags, and the replies must match
//! byte for byte.
//!
//! Two styles:
//! * [`Case`]s are static scripts (commands, raw bytes, "expect the server to
//!   close"), each run on a fresh connection to each server, in order, so the
//!   two keyspaces evolve identically. Use [`diff`] / [`Pair::run`].
//! * [`Pair::scenario`] runs a closure against each server and compares the
//!   [`Transcript`]s it records, for flows that depend on earlier replies
//!   (CLIENT KILL ID <the id the server gave us>, server exit, ...).
//!
//! All mismatches of a test are collected and reported together, with the
//! command and both replies escaped, because the list doubles as the to-do
//! list for ferrodis.
//!
//! Some replies legitimately differ (ports, client ids, clocks, hash-table
//! order). The [`Mask`] list below is the complete set of ways to relax the
//! comparison; keep it small so that "compatible" keeps meaning something.

use super::conn::{CloseState, Conn, ReadError};
use super::resp::{escape, escape_all, parse, Reply};
use super::server::{Builder, Flavor, Server};
use std::fmt::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

/// How a reply is compared. Anything but `Exact` needs a reason at the call
/// site.
#[derive(Clone, Copy)]
pub enum Mask {
    /// Byte-for-byte equality.
    Exact,
    /// Only the RESP type byte must match (e.g. COMMAND COUNT: ferrodis
    /// implements fewer commands).
    Type,
    /// Same structure (types, aggregate lengths, nulls); scalar values are
    /// ignored. For clocks: TIME, LASTSAVE.
    Shape,
    /// Aggregate elements compared as a multiset: for replies whose order is
    /// hash-table order in Redis (COMMAND LIST, KEYS).
    Unordered,
    /// A map (RESP3) or flat key/value array (RESP2) compared as an unordered
    /// set of pairs, with the values of the named keys masked: CONFIG GET
    /// (port/dir differ per instance), HELLO (client id).
    Pairs(&'static [&'static str]),
    /// `k=v k=v` lines (CLIENT LIST / CLIENT INFO): line count, field names
    /// and their order must match; values of the named fields are masked.
    Fields(&'static [&'static str]),
    /// INFO text: the set of field names of each section must match; values
    /// are ignored.
    Info,
    /// Anything else: compare `f(reply)` instead of the reply.
    Custom(fn(&Reply) -> String),
}

/// CLIENT LIST / CLIENT INFO fields that depend on the connection, the clock
/// or the allocator rather than on behaviour.
pub const CLIENT_VOLATILE: &[&str] = &[
    "id",
    "addr",
    "laddr",
    "fd",
    "age",
    "idle",
    "qbuf",
    "qbuf-free",
    "argv-mem",
    "multi-mem",
    "rbs",
    "rbp",
    "obl",
    "oll",
    "omem",
    "tot-mem",
];

/// CONFIG GET parameters whose values are per-instance (each test server has
/// its own port and temp dir).
pub const CONFIG_VOLATILE: &[&str] = &["port", "dir", "logfile", "pidfile", "unixsocket"];

impl Mask {
    fn name(&self) -> &'static str {
        match self {
            Mask::Exact => "exact",
            Mask::Type => "type only",
            Mask::Shape => "shape only",
            Mask::Unordered => "unordered",
            Mask::Pairs(_) => "unordered pairs",
            Mask::Fields(_) => "k=v field names",
            Mask::Info => "INFO field names",
            Mask::Custom(_) => "custom",
        }
    }

    /// The comparable form of one reply frame (possibly several lines).
    pub fn normalize(&self, raw: &[u8]) -> String {
        if let Mask::Exact = self {
            return escape_all(raw);
        }
        let reply = match parse(raw) {
            Ok(r) => r,
            Err(e) => return format!("<unparseable {}: {e}>", escape(raw)),
        };
        let kind = reply.type_byte() as char;
        match self {
            Mask::Exact => unreachable!(),
            Mask::Type => kind.to_string(),
            Mask::Shape => shape(&reply),
            Mask::Unordered => {
                let mut lines: Vec<String> = match &reply {
                    Reply::Map(pairs) => pairs
                        .iter()
                        .map(|(k, v)| format!("{} => {}", canon(k), canon(v)))
                        .collect(),
                    r => r.items().iter().map(canon).collect(),
                };
                lines.sort();
                header(kind, lines)
            }
            Mask::Pairs(masked) => match reply.pairs() {
                Some(pairs) => {
                    let mut lines: Vec<String> = pairs
                        .iter()
                        .map(|(k, v)| {
                            let key = k.text();
                            let value = if masked.contains(&key.as_str()) {
                                "<masked>".to_string()
                            } else {
                                canon(v)
                            };
                            format!("{} => {value}", canon(k))
                        })
                        .collect();
                    lines.sort();
                    header(kind, lines)
                }
                None => canon(&reply),
            },
            Mask::Fields(masked) => {
                let lines = reply
                    .text()
                    .lines()
                    .map(|line| {
                        line.split(' ')
                            .map(|tok| match tok.split_once('=') {
                                Some((k, _)) if masked.contains(&k) => format!("{k}=*"),
                                _ => tok.to_string(),
                            })
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                    .collect();
                header(kind, lines)
            }
            Mask::Info => {
                let mut section = String::from("(none)");
                let mut lines = Vec::new();
                for line in reply.text().lines() {
                    if let Some(name) = line.strip_prefix("# ") {
                        section = name.trim().to_string();
                        lines.push(format!("# {section}"));
                    } else if let Some((field, _)) = line.split_once(':') {
                        lines.push(format!("{section}/{field}"));
                    }
                }
                lines.sort();
                lines.dedup();
                header(kind, lines)
            }
            Mask::Custom(f) => f(&reply),
        }
    }
}

fn header(kind: char, lines: Vec<String>) -> String {
    let mut out = format!("{kind}");
    for l in lines {
        out.push('\n');
        out.push_str(&l);
    }
    out
}

/// One-line canonical rendering of a parsed reply.
pub fn canon(r: &Reply) -> String {
    let list = |open: &str, items: &[Reply], close: &str| {
        let inner: Vec<String> = items.iter().map(canon).collect();
        format!("{open}{}{close}", inner.join(", "))
    };
    let map = |open: &str, pairs: &[(Reply, Reply)]| {
        let inner: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{}: {}", canon(k), canon(v)))
            .collect();
        format!("{open}{}}}", inner.join(", "))
    };
    match r {
        Reply::Simple(s) => format!("+{s}"),
        Reply::Error(s) => format!("-{s}"),
        Reply::Int(i) => format!(":{i}"),
        Reply::Bulk(b) => escape(b),
        Reply::NullBulk => "$-1".into(),
        Reply::NullArray => "*-1".into(),
        Reply::Array(v) => list("[", v, "]"),
        Reply::Null => "_".into(),
        Reply::Double(d) => format!(",{d}"),
        Reply::Bool(b) => format!("#{}", if *b { 't' } else { 'f' }),
        Reply::BigNum(n) => format!("({n}"),
        Reply::BlobError(b) => format!("!{}", escape(b)),
        Reply::Verbatim(f, b) => format!("={f}:{}", escape(b)),
        Reply::Map(p) => map("%{", p),
        Reply::Set(v) => list("~[", v, "]"),
        Reply::Push(v) => list(">[", v, "]"),
        Reply::Attribute(p, inner) => format!("{} {}", map("|{", p), canon(inner)),
    }
}

fn shape(r: &Reply) -> String {
    let kind = r.type_byte() as char;
    let list = |items: &[Reply]| {
        let inner: Vec<String> = items.iter().map(shape).collect();
        format!("{kind}{}[{}]", items.len(), inner.join(" "))
    };
    match r {
        Reply::NullBulk | Reply::NullArray => format!("{kind}-1"),
        Reply::Array(v) | Reply::Set(v) | Reply::Push(v) => list(v),
        Reply::Map(p) => list(
            &p.iter()
                .flat_map(|(k, v)| [k.clone(), v.clone()])
                .collect::<Vec<_>>(),
        ),
        _ => kind.to_string(),
    }
}

enum Step {
    Send {
        bytes: Vec<u8>,
        /// How many bytes per write(2); usize::MAX sends all at once.
        chunk: usize,
        replies: usize,
        mask: Mask,
    },
    /// The server must close the connection.
    Closed,
    /// Nothing may arrive for a short while (suppressed replies).
    Quiet,
}

/// How long [`Case::quiet`] listens for unexpected bytes.
const QUIET_WAIT: Duration = Duration::from_millis(200);

impl Step {
    fn describe(&self) -> String {
        match self {
            Step::Send { bytes, chunk, .. } => {
                let shown = describe_bytes(bytes);
                if *chunk == usize::MAX {
                    shown
                } else {
                    format!("{shown} (in {chunk}-byte writes)")
                }
            }
            Step::Closed => "<expect the server to close the connection>".into(),
            Step::Quiet => "<expect no reply>".into(),
        }
    }
}

/// Shows a multibulk as the command line it encodes, anything else escaped.
fn describe_bytes(bytes: &[u8]) -> String {
    if let Ok(Reply::Array(args)) = parse(bytes) {
        if args.iter().all(|a| matches!(a, Reply::Bulk(_))) {
            let words: Vec<String> = args
                .iter()
                .map(|a| {
                    let t = a.text();
                    if t.is_empty() || t.contains([' ', '"', '\r', '\n']) || t.len() > 60 {
                        escape(a.bytes().unwrap())
                    } else {
                        t
                    }
                })
                .collect();
            return words.join(" ");
        }
    }
    format!("raw {}", escape(bytes))
}

/// A script run on one fresh connection to each server.
pub struct Case {
    name: String,
    steps: Vec<Step>,
}

/// A case whose steps are the given commands, each compared exactly.
pub fn case(name: &str, cmds: &[&[&str]]) -> Case {
    cmds.iter().fold(Case::new(name), |c, args| c.cmd(args))
}

impl Case {
    pub fn new(name: &str) -> Case {
        Case {
            name: name.to_string(),
            steps: Vec::new(),
        }
    }

    /// A command whose reply must match exactly.
    pub fn cmd(self, args: &[&str]) -> Case {
        self.masked(Mask::Exact, args)
    }

    /// A command with binary arguments.
    pub fn cmd_bytes<A: AsRef<[u8]>>(self, args: &[A]) -> Case {
        self.send(super::resp::encode_cmd(args), usize::MAX, 1, Mask::Exact)
    }

    /// A command whose reply is compared through `mask`.
    pub fn masked(self, mask: Mask, args: &[&str]) -> Case {
        self.send(super::resp::encode_cmd(args), usize::MAX, 1, mask)
    }

    /// Raw bytes in one write, then `replies` reply frames compared exactly.
    pub fn raw(self, bytes: &[u8], replies: usize) -> Case {
        self.send(bytes.to_vec(), usize::MAX, replies, Mask::Exact)
    }

    /// Raw bytes written `chunk` bytes at a time (1 = byte by byte).
    pub fn raw_chunked(self, bytes: &[u8], chunk: usize, replies: usize) -> Case {
        self.send(bytes.to_vec(), chunk.max(1), replies, Mask::Exact)
    }

    pub fn send(mut self, bytes: Vec<u8>, chunk: usize, replies: usize, mask: Mask) -> Case {
        self.steps.push(Step::Send {
            bytes,
            chunk,
            replies,
            mask,
        });
        self
    }

    /// The server must hang up now (after protocol errors, QUIT, ...).
    pub fn closed(mut self) -> Case {
        self.steps.push(Step::Closed);
        self
    }

    /// Nothing may arrive for a moment (CLIENT REPLY OFF/SKIP).
    pub fn quiet(mut self) -> Case {
        self.steps.push(Step::Quiet);
        self
    }
}

/// What one step produced on one server: comparable form (raw bytes for
/// exact comparisons, so a 20 MB reply is not escaped just to be compared)
/// and display form.
#[derive(Clone)]
struct Outcome {
    normalized: Vec<u8>,
    shown: String,
}

impl Outcome {
    fn same(s: String) -> Outcome {
        Outcome {
            normalized: s.clone().into_bytes(),
            shown: s,
        }
    }
}

fn run_case(server: &Server, case: &Case) -> Vec<Outcome> {
    let mut conn = match Conn::try_connect(server.port) {
        Ok(c) => c,
        Err(e) => return vec![Outcome::same(format!("<cannot connect: {e}>"))],
    };
    let mut out = Vec::new();
    for step in &case.steps {
        let (outcome, fatal) = run_step(&mut conn, step);
        out.push(outcome);
        if fatal {
            break;
        }
    }
    out
}

fn run_step(conn: &mut Conn, step: &Step) -> (Outcome, bool) {
    match step {
        Step::Send {
            bytes,
            chunk,
            replies,
            mask,
        } => {
            for piece in bytes.chunks((*chunk).min(bytes.len().max(1))) {
                if let Err(e) = conn.try_send_raw(piece) {
                    return (Outcome::same(format!("<write failed: {e}>")), true);
                }
            }
            let mut raw = Vec::new();
            let mut lines = Vec::new();
            let mut failure = None;
            for _ in 0..*replies {
                match conn.try_read_reply() {
                    Ok(frame) => {
                        if !matches!(mask, Mask::Exact) {
                            lines.push(mask.normalize(&frame));
                        }
                        raw.extend(frame);
                    }
                    Err(e) => {
                        failure = Some(e);
                        break;
                    }
                }
            }
            let mut normalized = match mask {
                Mask::Exact => raw.clone(),
                _ => lines.join("\n").into_bytes(),
            };
            let mut shown = escape(&raw);
            if let Some(e) = &failure {
                normalized.extend(format!("\n{e}").into_bytes());
                shown = format!("{}{e}", escape_prefix(&raw));
            }
            (Outcome { normalized, shown }, failure.is_some())
        }
        Step::Closed => {
            let state = match conn.closed() {
                CloseState::Closed => "<closed>".to_string(),
                CloseState::StillOpen => "<still open>".to_string(),
                CloseState::Data(d) => format!("<sent {} instead of closing>", escape(&d)),
            };
            (Outcome::same(state), true)
        }
        Step::Quiet => {
            let state = match conn.close_state(QUIET_WAIT) {
                CloseState::StillOpen => "<no reply>".to_string(),
                CloseState::Closed => "<closed>".to_string(),
                CloseState::Data(d) => format!("<sent {}>", escape(&d)),
            };
            let fatal = state != "<no reply>";
            (Outcome::same(state), fatal)
        }
    }
}

fn escape_prefix(raw: &[u8]) -> String {
    if raw.is_empty() {
        String::new()
    } else {
        format!("{} then ", escape(raw))
    }
}

/// A ferrodis and a real redis-server started with the same flags.
pub struct Pair {
    pub ferrodis: Server,
    pub redis: Server,
}

/// Runs `cases` against a fresh pair started with default flags.
pub fn diff(cases: &[Case]) {
    Pair::start().run(cases);
}

/// Runs `cases` against a fresh pair started with extra `args`.
pub fn diff_with(args: &[&str], cases: &[Case]) {
    Pair::start_with(args).run(cases);
}

impl Pair {
    pub fn start() -> Pair {
        Pair::start_with(&[])
    }

    pub fn start_with(args: &[&str]) -> Pair {
        Pair::from_builder(Builder::new(Flavor::Redis).args(args))
    }

    /// Starts both flavors from the same builder. Redis goes first so that a
    /// machine without redis-server fails before ferrodis is even tried.
    pub fn from_builder(builder: Builder) -> Pair {
        let redis = builder.clone().flavor(Flavor::Redis).start();
        let ferrodis = builder.flavor(Flavor::Ferrodis).start();
        Pair { ferrodis, redis }
    }

    pub fn servers(&mut self) -> [&mut Server; 2] {
        [&mut self.redis, &mut self.ferrodis]
    }

    /// Each setup command (its key second) run on one server, its DUMP
    /// RESTOREd on the other, both ways: OBJECT ENCODING, DEBUG
    /// DIGEST-VALUE and `read(key)` must then answer alike on both, and
    /// the DUMP bytes too where `same_bytes(key)` says.
    pub fn dump_restore_both_ways(
        &self,
        setups: &[Vec<String>],
        read: impl Fn(&str) -> Vec<String>,
        same_bytes: impl Fn(&str) -> bool,
    ) {
        let (mut r, mut f) = (self.redis.conn(), self.ferrodis.conn());
        for setup in setups {
            let key = setup[1].as_str();
            for redis_first in [true, false] {
                let (from, to) = if redis_first {
                    (&mut r, &mut f)
                } else {
                    (&mut f, &mut r)
                };
                from.call(&["DEL", key]);
                to.call(&["DEL", key]);
                from.call(setup);
                let payload = from.call_parsed(&["DUMP", key]);
                let payload = payload.bytes().unwrap().to_vec();
                assert_eq!(
                    to.call(&[b"RESTORE".as_slice(), key.as_bytes(), b"0", &payload]),
                    b"+OK\r\n",
                    "{key}"
                );
                let extra = read(key);
                let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
                for cmd in [
                    &["OBJECT", "ENCODING", key][..],
                    &["DEBUG", "DIGEST-VALUE", key],
                    &extra,
                ] {
                    if !cmd.is_empty() {
                        assert_eq!(from.call(cmd), to.call(cmd), "{key}: {cmd:?}");
                    }
                }
                if same_bytes(key) {
                    assert_eq!(from.call(&["DUMP", key]), to.call(&["DUMP", key]), "{key}");
                }
            }
        }
    }

    /// Runs every case on both servers; panics listing every mismatch.
    pub fn run(&self, cases: &[Case]) {
        let mut report = Vec::new();
        for case in cases {
            let expected = run_case(&self.redis, case);
            let actual = run_case(&self.ferrodis, case);
            if show() {
                for (step, o) in case.steps.iter().zip(&expected) {
                    eprintln!("[{}] {} => {}", case.name, step.describe(), o.shown);
                }
            }
            for (i, step) in case.steps.iter().enumerate() {
                let Some(want) = expected.get(i) else { break };
                let got = actual
                    .get(i)
                    .cloned()
                    .unwrap_or_else(|| Outcome::same("<not run: an earlier step failed>".into()));
                if want.normalized != got.normalized {
                    let mask = match step {
                        Step::Send { mask, .. } => *mask,
                        _ => Mask::Exact,
                    };
                    report.push(mismatch(
                        &format!("case {:?} step {}: {}", case.name, i + 1, step.describe()),
                        mask,
                        want,
                        &got,
                    ));
                }
            }
        }
        fail_on(report);
    }

    /// Runs `f` against redis, then ferrodis, and compares what each recorded.
    /// A panic inside the ferrodis run (a timeout, say) becomes the last
    /// transcript entry, so the report still shows where the runs diverged.
    pub fn scenario(&mut self, name: &str, f: impl Fn(&mut Server, &mut Transcript)) {
        let mut expected = Transcript::default();
        f(&mut self.redis, &mut expected);
        let mut actual = Transcript::default();
        let ferrodis = &mut self.ferrodis;
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| f(ferrodis, &mut actual))) {
            actual.note("panicked", super::server::panic_message(&*panic));
        }
        if show() {
            for e in &expected.entries {
                eprintln!("[{name}] {} => {}", e.label, e.outcome.shown);
            }
        }
        let missing = || Entry {
            label: "<missing>".into(),
            mask: Mask::Exact,
            outcome: Outcome::same("<no such step>".into()),
        };
        let mut report = Vec::new();
        for i in 0..expected.entries.len().max(actual.entries.len()) {
            let want = expected.entries.get(i).cloned().unwrap_or_else(missing);
            let got = actual.entries.get(i).cloned().unwrap_or_else(missing);
            // Labels are not compared: they may embed per-server values
            // (ids, addresses) and both runs execute the same code anyway.
            if want.outcome.normalized != got.outcome.normalized {
                let mut what = format!("scenario {name:?} step {}: {}", i + 1, want.label);
                if want.label != got.label {
                    let _ = write!(what, " (on ferrodis: {})", got.label);
                }
                report.push(mismatch(&what, want.mask, &want.outcome, &got.outcome));
            }
        }
        fail_on(report);
    }
}

/// `FERRODIS_TEST_SHOW=1` prints every step with redis's reply: the quickest
/// way to see what a case expects.
fn show() -> bool {
    std::env::var_os("FERRODIS_TEST_SHOW").is_some()
}

fn fail_on(report: Vec<String>) {
    if !report.is_empty() {
        panic!(
            "{} mismatch(es) between ferrodis and redis-server:\n\n{}",
            report.len(),
            report.join("\n")
        );
    }
}

fn mismatch(what: &str, mask: Mask, want: &Outcome, got: &Outcome) -> String {
    let mut s = format!("{what}\n");
    let _ = writeln!(s, "    mask:     {}", mask.name());
    let _ = writeln!(s, "    redis:    {}", want.shown);
    let _ = writeln!(s, "    ferrodis: {}", got.shown);
    if want.shown == got.shown || want.shown.len() > 200 {
        // Same display but different normalized form, or too long to eyeball:
        // show the lines that differ.
        let want_text = String::from_utf8_lossy(&want.normalized);
        let got_text = String::from_utf8_lossy(&got.normalized);
        let w: Vec<&str> = want_text.lines().collect();
        let g: Vec<&str> = got_text.lines().collect();
        if w.len() > 1 || g.len() > 1 {
            for l in w.iter().filter(|l| !g.contains(l)) {
                let _ = writeln!(s, "    only in redis:    {l}");
            }
            for l in g.iter().filter(|l| !w.contains(l)) {
                let _ = writeln!(s, "    only in ferrodis: {l}");
            }
        } else if let Some(at) = first_difference(&want.normalized, &got.normalized) {
            let around = |b: &[u8]| {
                let from = at.saturating_sub(80);
                escape(&b[from.min(b.len())..(at + 80).min(b.len())])
            };
            let _ = writeln!(s, "    first difference at byte {at} of the compared form:");
            let _ = writeln!(s, "      redis:    ...{}...", around(&want.normalized));
            let _ = writeln!(s, "      ferrodis: ...{}...", around(&got.normalized));
        }
    }
    s
}

fn first_difference(a: &[u8], b: &[u8]) -> Option<usize> {
    a.iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .or(if a.len() != b.len() {
            Some(a.len().min(b.len()))
        } else {
            None
        })
}

#[derive(Clone)]
struct Entry {
    label: String,
    mask: Mask,
    outcome: Outcome,
}

/// What a scenario observed on one server, step by step.
#[derive(Default)]
pub struct Transcript {
    entries: Vec<Entry>,
}

impl Transcript {
    /// Records a raw reply under `label`, compared through `mask`.
    pub fn reply(&mut self, label: &str, mask: Mask, raw: &[u8]) {
        self.entries.push(Entry {
            label: label.to_string(),
            mask,
            outcome: Outcome {
                normalized: match mask {
                    Mask::Exact => raw.to_vec(),
                    _ => mask.normalize(raw).into_bytes(),
                },
                shown: escape(raw),
            },
        });
    }

    /// Records any observation (an exit status, a close state...).
    pub fn note(&mut self, label: &str, value: impl std::fmt::Debug) {
        self.entries.push(Entry {
            label: label.to_string(),
            mask: Mask::Exact,
            outcome: Outcome::same(format!("{value:?}")),
        });
    }

    /// Sends a command, records the reply exactly, returns it parsed.
    pub fn call(&mut self, conn: &mut Conn, args: &[&str]) -> Reply {
        self.call_masked(conn, Mask::Exact, args)
    }

    pub fn call_masked(&mut self, conn: &mut Conn, mask: Mask, args: &[&str]) -> Reply {
        conn.cmd(args);
        let label = args.join(" ");
        match conn.try_read_reply() {
            Ok(raw) => {
                self.reply(&label, mask, &raw);
                parse(&raw).unwrap_or(Reply::Null)
            }
            Err(e) => {
                self.note(&label, ReadFailure(e));
                Reply::Null
            }
        }
    }
}

/// Debug-prints a read failure the same way for both servers.
struct ReadFailure(ReadError);

impl std::fmt::Debug for ReadFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}
