//! `CLIENT` subcommands: identity, listing and killing connections, reply
//! modes, pausing, and the connection flags Redis 7 exposes.

use std::fmt::Write as _;

use super::{parse_int, reply_help, Args, CmdError, CmdResult};
use crate::protocol::reply::REPLY_CHUNK;
use crate::server::blocking::Unblock;
use crate::server::client::{Client, ReplyMode};
use crate::server::tracking::Options;
use crate::server::{PauseKind, Server};

const HELP: &[&str] = &[
    "CACHING (YES|NO)",
    "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
    "GETREDIR",
    "    Return the client ID we are redirecting to when tracking is enabled.",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
    "         [OPTIN] [OPTOUT] [NOLOOP]",
    "    Control server assisted client side caching.",
    "TRACKINGINFO",
    "    Report tracking status for the current connection.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
];

/// `CLIENT HELP`
pub fn help(_srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    reply_help(c, args, HELP);
    Ok(())
}

/// `CLIENT ID`
pub fn id(_srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    c.reply.int(c.id as i64);
    Ok(())
}

/// `CLIENT GETNAME`
pub fn getname(_srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    match c.name.take() {
        Some(name) => {
            c.reply.bulk(&name);
            c.name = Some(name);
        }
        None => c.reply.null(),
    }
    Ok(())
}

/// Whether every byte is printable ASCII other than space, as Redis requires of names.
fn valid_name(v: &[u8]) -> bool {
    v.iter().all(|&b| (b'!'..=b'~').contains(&b))
}

/// Sets or (with an empty name) clears the connection name.
pub fn set_name(c: &mut Client, name: &[u8]) -> CmdResult {
    if !valid_name(name) {
        return Err(CmdError::BadClientName);
    }
    c.name = if name.is_empty() {
        None
    } else {
        Some(name.to_vec())
    };
    Ok(())
}

/// `CLIENT SETNAME name`
pub fn setname(_srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    set_name(c, args.get(2))?;
    c.reply.ok();
    Ok(())
}

/// Appends a client's `CLIENT LIST` line (without the newline).
pub fn describe(srv: &Server, c: &Client, out: &mut String) {
    let now = srv.clock.now_ms;
    let qbuf = c.qbuf_in_use;
    let qbuf_free = c.query.data.len().saturating_sub(qbuf);
    let (rbs, rbp) = (c.reply.size(), c.reply.peak());
    let omem = c.reply.overflow_len();
    let obl = c.reply.pending_len() - omem;
    let oll = omem.div_ceil(REPLY_CHUNK);
    let (multi, multi_mem) = c
        .multi
        .as_ref()
        .map_or((-1, 0), |m| (m.count as i64, m.mem));
    let tot_mem = c.memory();
    let cmd = c.last_cmd.map_or("NULL", |id| srv.commands.all[id].name);
    let (sub, psub, ssub) = srv.pubsub.counts(c.id);
    let redir = srv.tracking.client(c.id).map_or(-1, |t| t.redirect as i64);
    let _ = write!(
        out,
        "id={} addr={} laddr={} fd={} name={} age={} idle={} flags={} db={} sub={sub} psub={psub} ssub={ssub} multi={multi} \
         qbuf={qbuf} qbuf-free={qbuf_free} argv-mem={} multi-mem={multi_mem} rbs={rbs} rbp={rbp} obl={obl} oll={oll} omem={omem} \
         tot-mem={tot_mem} events={} cmd={cmd} user={} redir={redir} resp={}",
        c.id,
        c.addr,
        c.laddr,
        c.fd,
        String::from_utf8_lossy(c.name.as_deref().unwrap_or_default()),
        now.saturating_sub(c.ctime_ms) / 1000,
        now.saturating_sub(c.last_interaction) / 1000,
        c.flag_letters(srv.tracking_flags(c.id), srv.watches.is_dirty(c.id)),
        c.db,
        c.argv_mem,
        if c.want_write { "rw" } else { "r" },
        String::from_utf8_lossy(c.user.as_deref().unwrap_or(b"default")),
        c.resp(),
    );
}

/// `CLIENT INFO`
pub fn info(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    let mut s = String::new();
    describe(srv, c, &mut s);
    s.push('\n');
    c.reply.verbatim(s.as_bytes());
    Ok(())
}

/// Client types `TYPE` filters accept; every connection here is a normal one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ClientType {
    Normal,
    Replica,
    Master,
    Pubsub,
}

fn client_type(name: &[u8]) -> Result<ClientType, CmdError> {
    let t = match name.to_ascii_lowercase().as_slice() {
        b"normal" => ClientType::Normal,
        b"slave" | b"replica" => ClientType::Replica,
        b"master" => ClientType::Master,
        b"pubsub" => ClientType::Pubsub,
        _ => return Err(CmdError::UnknownClientType(until_nul(name).to_vec())),
    };
    Ok(t)
}

/// A client's class as Redis's `getClientType` tells it.
fn type_of(cl: &Client) -> ClientType {
    if cl.pubsub {
        ClientType::Pubsub
    } else {
        ClientType::Normal
    }
}

/// Redis prints client-supplied words with `%s`, which stops at a NUL byte.
fn until_nul(s: &[u8]) -> &[u8] {
    &s[..s.iter().position(|&b| b == 0).unwrap_or(s.len())]
}

/// All clients, the caller included, in connection order.
fn all_clients<'a>(srv: &'a Server, me: &'a Client) -> Vec<&'a Client> {
    let mut v: Vec<&Client> = srv.other_clients().chain(std::iter::once(me)).collect();
    v.sort_by_key(|c| c.id);
    v
}

/// `CLIENT LIST [TYPE type] | [ID id ...]`
pub fn list(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let mut out = String::new();
    if args.len() == 4 && args.is(2, "type") {
        let t = client_type(args.get(3))?;
        for cl in all_clients(srv, c) {
            if type_of(cl) == t {
                describe(srv, cl, &mut out);
                out.push('\n');
            }
        }
    } else if args.len() > 3 && args.is(2, "id") {
        let mut ids = Vec::with_capacity(args.len() - 3);
        for a in args.iter().skip(3) {
            ids.push(parse_int(a).map_err(|_| CmdError::Message("ERR Invalid client ID".into()))?);
        }
        let clients = all_clients(srv, c);
        for id in ids {
            if let Some(cl) = clients.iter().find(|cl| cl.id as i64 == id) {
                describe(srv, cl, &mut out);
                out.push('\n');
            }
        }
    } else if args.len() != 2 {
        return Err(CmdError::Syntax);
    } else {
        for cl in all_clients(srv, c) {
            describe(srv, cl, &mut out);
            out.push('\n');
        }
    }
    c.reply.verbatim(out.as_bytes());
    Ok(())
}

/// Filters of `CLIENT KILL`'s option form.
#[derive(Default)]
struct KillFilter {
    id: Option<u64>,
    ctype: Option<ClientType>,
    addr: Option<Vec<u8>>,
    laddr: Option<Vec<u8>>,
    user: Option<Vec<u8>>,
    skipme: bool,
}

impl KillFilter {
    fn matches(&self, cl: &Client) -> bool {
        self.id.is_none_or(|id| cl.id == id)
            && self.ctype.is_none_or(|t| t == type_of(cl))
            && self.addr.as_deref().is_none_or(|a| a == cl.addr.as_bytes())
            && self
                .laddr
                .as_deref()
                .is_none_or(|a| a == cl.laddr.as_bytes())
            && self
                .user
                .as_deref()
                .is_none_or(|u| u == cl.user.as_deref().unwrap_or(b"default"))
    }
}

/// `CLIENT KILL ip:port` or `CLIENT KILL <filter> <value> ...`
pub fn kill(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let old_form = args.len() == 3;
    let mut filter = KillFilter {
        skipme: !old_form,
        ..KillFilter::default()
    };
    if old_form {
        filter.addr = Some(args.get(2).to_vec());
    } else {
        let mut i = 2;
        while i < args.len() {
            let has_value = i + 1 < args.len();
            let value = args.get(i + 1);
            if args.is(i, "id") && has_value {
                let id = parse_int(value)
                    .ok()
                    .filter(|&v| v >= 1)
                    .ok_or(CmdError::Message(
                        "ERR client-id should be greater than 0".into(),
                    ))?;
                filter.id = Some(id as u64);
            } else if args.is(i, "type") && has_value {
                filter.ctype = Some(client_type(value)?);
            } else if args.is(i, "addr") && has_value {
                filter.addr = Some(value.to_vec());
            } else if args.is(i, "laddr") && has_value {
                filter.laddr = Some(value.to_vec());
            } else if args.is(i, "user") && has_value {
                if !srv.acl.users.contains_key(value) {
                    let mut msg = b"ERR No such user '".to_vec();
                    msg.extend_from_slice(until_nul(value));
                    msg.push(b'\'');
                    return Err(CmdError::Message(
                        String::from_utf8_lossy(&msg).into_owned().into(),
                    ));
                }
                filter.user = Some(value.to_vec());
            } else if args.is(i, "skipme") && has_value {
                if value.eq_ignore_ascii_case(b"yes") {
                    filter.skipme = true;
                } else if value.eq_ignore_ascii_case(b"no") {
                    filter.skipme = false;
                } else {
                    return Err(CmdError::Syntax);
                }
            } else {
                return Err(CmdError::Syntax);
            }
            i += 2;
        }
    }
    let victims: Vec<usize> = srv
        .clients
        .iter()
        .filter_map(|(t, cl)| cl.as_deref().filter(|cl| filter.matches(cl)).map(|_| t))
        .collect();
    let mut killed = victims.len();
    for token in victims {
        srv.schedule_close(token);
    }
    if !filter.skipme && filter.matches(c) {
        c.close_after_reply = true;
        killed += 1;
    }
    if old_form {
        if killed == 0 {
            return Err(CmdError::NoSuchClient);
        }
        c.reply.ok();
    } else {
        c.reply.int(killed as i64);
    }
    Ok(())
}

/// Parses an ON/OFF argument.
fn on_off(arg: &[u8]) -> Result<bool, CmdError> {
    if arg.eq_ignore_ascii_case(b"on") {
        Ok(true)
    } else if arg.eq_ignore_ascii_case(b"off") {
        Ok(false)
    } else {
        Err(CmdError::Syntax)
    }
}

/// `CLIENT REPLY ON|OFF|SKIP`
pub fn reply(_srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if args.is(2, "on") {
        c.reply_mode = ReplyMode::On;
        c.reply.ok();
    } else if args.is(2, "off") {
        c.reply_mode = ReplyMode::Off;
    } else if args.is(2, "skip") {
        if c.reply_mode != ReplyMode::Off {
            c.reply_mode = ReplyMode::SkipNext;
        }
    } else {
        return Err(CmdError::Syntax);
    }
    Ok(())
}

/// `CLIENT NO-EVICT ON|OFF`
pub fn no_evict(_srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    c.no_evict = on_off(args.get(2))?;
    c.reply.ok();
    Ok(())
}

/// `CLIENT PAUSE timeout [WRITE|ALL]`
pub fn pause(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if args.len() > 4 {
        return Err(super::subcommand_syntax(args));
    }
    let mut kind = PauseKind::All;
    if args.len() == 4 {
        if args.is(3, "write") {
            kind = PauseKind::Write;
        } else if args.is(3, "all") {
            kind = PauseKind::All;
        } else {
            return Err(CmdError::Message(
                "ERR CLIENT PAUSE mode must be WRITE or ALL".into(),
            ));
        }
    }
    let ms = super::keys::parse_timeout_ms(args.get(2))?;
    let until = if ms == 0 {
        0
    } else {
        srv.clock.now_ms.saturating_add(ms as u64)
    };
    // A new pause never shortens one in force, and ALL wins over WRITE, as in Redis.
    let stronger = match (srv.pause.kind, kind) {
        (Some(PauseKind::All), PauseKind::Write) => srv.pause.until_ms > srv.clock.now_ms,
        _ => false,
    };
    if !stronger {
        srv.pause.kind = Some(kind);
    }
    srv.pause.until_ms = srv.pause.until_ms.max(until);
    c.reply.ok();
    Ok(())
}

/// `CLIENT UNPAUSE`
pub fn unpause(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    srv.pause.kind = None;
    srv.pause.until_ms = 0;
    srv.resume_paused();
    c.reply.ok();
    Ok(())
}

/// `CLIENT UNBLOCK id [TIMEOUT|ERROR]`: ends a blocked client's wait with
/// its timeout reply or the `-UNBLOCKED` error; 1 if it was blocked.
pub fn unblock(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if args.len() > 4 {
        return Err(super::subcommand_syntax(args));
    }
    if args.len() == 4 && !args.is(3, "timeout") && !args.is(3, "error") {
        return Err(CmdError::Message(
            "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR".into(),
        ));
    }
    let id = parse_int(args.get(2))?;
    let how = if args.len() == 4 && args.is(3, "error") {
        Unblock::Error
    } else {
        Unblock::Timeout
    };
    let unblocked = u64::try_from(id).is_ok_and(|id| srv.unblock(id, how));
    c.reply.int(i64::from(unblocked));
    Ok(())
}

/// `CLIENT TRACKING ON|OFF [REDIRECT id] [PREFIX p ...] [BCAST] [OPTIN] [OPTOUT] [NOLOOP]`
///
/// Options are read first, whatever the mode word, so a bad REDIRECT is
/// reported even with OFF or an unknown mode, as in Redis.
pub fn tracking(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let mut redirect = 0u64;
    let mut options = Options::default();
    let mut prefixes: Vec<&[u8]> = Vec::new();
    let mut i = 3;
    while i < args.len() {
        let more = i + 1 < args.len();
        if args.is(i, "redirect") && more {
            i += 1;
            if redirect != 0 {
                return Err(CmdError::Message(
                    "ERR A client can only redirect to a single other client".into(),
                ));
            }
            let id = parse_int(args.get(i))?;
            let target = u64::try_from(id)
                .ok()
                .filter(|&id| id != 0)
                .and_then(|id| find_client(srv, c, id));
            let Some(token) = target else {
                return Err(CmdError::Message(
                    "ERR The client ID you want redirect to does not exist".into(),
                ));
            };
            redirect = id as u64;
            srv.tracking_add_target(redirect, token);
        } else if args.is(i, "bcast") {
            options.bcast = true;
        } else if args.is(i, "optin") {
            options.optin = true;
        } else if args.is(i, "optout") {
            options.optout = true;
        } else if args.is(i, "noloop") {
            options.noloop = true;
        } else if args.is(i, "prefix") && more {
            i += 1;
            prefixes.push(args.get(i));
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if args.is(2, "off") {
        srv.tracking_disable(c);
        c.reply.ok();
        return Ok(());
    }
    if !args.is(2, "on") {
        return Err(CmdError::Syntax);
    }
    if !options.bcast && !prefixes.is_empty() {
        return Err(CmdError::Message(
            "ERR PREFIX option requires BCAST mode to be enabled".into(),
        ));
    }
    let current = srv.tracking.client(c.id).map(|t| t.options);
    if current.is_some_and(|o| o.bcast != options.bcast) {
        return Err(CmdError::Message(
            "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode."
                .into(),
        ));
    }
    if options.bcast && (options.optin || options.optout) {
        return Err(CmdError::Message(
            "ERR OPTIN and OPTOUT are not compatible with BCAST".into(),
        ));
    }
    if options.optin && options.optout {
        return Err(CmdError::Message(
            "ERR You can't specify both OPTIN mode and OPTOUT mode".into(),
        ));
    }
    if current.is_some_and(|o| (options.optin && o.optout) || (options.optout && o.optin)) {
        return Err(CmdError::Message(
            "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode."
                .into(),
        ));
    }
    if options.bcast {
        if let Some(e) = srv.tracking.prefix_collision(c.id, &prefixes) {
            return Err(CmdError::Message(e.into()));
        }
    }
    srv.tracking_enable(c, redirect, options, &prefixes);
    c.reply.ok();
    Ok(())
}

/// The slab token of the client with `id`, the caller included.
fn find_client(srv: &Server, me: &Client, id: u64) -> Option<usize> {
    if me.id == id {
        return Some(me.token);
    }
    srv.other_clients()
        .find(|cl| cl.id == id)
        .map(|cl| cl.token)
}

/// `CLIENT GETREDIR`: the client invalidations go to (0: this one), or
/// -1 without tracking.
pub fn getredir(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    c.reply
        .int(srv.tracking.client(c.id).map_or(-1, |t| t.redirect as i64));
    Ok(())
}

/// `CLIENT TRACKINGINFO`: flags, redirect and prefixes of this connection.
pub fn trackinginfo(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    let state = srv.tracking.client(c.id);
    let mut flags: Vec<&[u8]> = Vec::new();
    match state {
        None => flags.push(b"off"),
        Some(t) => {
            flags.push(b"on");
            let o = t.options;
            if o.bcast {
                flags.push(b"bcast");
            }
            if o.optin {
                flags.push(b"optin");
                if t.caching {
                    flags.push(b"caching-yes");
                }
            }
            if o.optout {
                flags.push(b"optout");
                if t.caching {
                    flags.push(b"caching-no");
                }
            }
            if o.noloop {
                flags.push(b"noloop");
            }
            if t.broken_redirect {
                flags.push(b"broken_redirect");
            }
        }
    }
    c.reply.map_len(3);
    c.reply.bulk(b"flags");
    c.reply.set_len(flags.len());
    for f in flags {
        c.reply.bulk(f);
    }
    c.reply.bulk(b"redirect");
    c.reply.int(state.map_or(-1, |t| t.redirect as i64));
    c.reply.bulk(b"prefixes");
    match state {
        None => c.reply.array_len(0),
        Some(t) => {
            c.reply.array_len(t.prefixes.len());
            for p in &t.prefixes {
                c.reply.bulk(p);
            }
        }
    }
    Ok(())
}

/// `CLIENT CACHING YES|NO`: whether the next command's keys are tracked,
/// in OPTIN mode (YES) or OPTOUT mode (NO).
pub fn caching(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let Some(t) = srv.tracking.client(c.id) else {
        return Err(CmdError::Message(
            "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled"
                .into(),
        ));
    };
    if args.is(2, "yes") {
        if !t.options.optin {
            return Err(CmdError::Message(
                "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode."
                    .into(),
            ));
        }
    } else if args.is(2, "no") {
        if !t.options.optout {
            return Err(CmdError::Message(
                "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode."
                    .into(),
            ));
        }
    } else {
        return Err(CmdError::Syntax);
    }
    srv.tracking_set_caching(c.id);
    c.reply.ok();
    Ok(())
}
