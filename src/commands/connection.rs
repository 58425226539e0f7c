//! Connection commands: PING, ECHO, QUIT, SELECT, AUTH, HELLO, RESET.

use super::{parse_int, Args, CmdError, CmdResult};
use crate::protocol::reply::shared;
use crate::server::acl::{Context, DEFAULT_USER};
use crate::server::client::{Client, ReplyMode};
use crate::server::{Server, REDIS_VERSION};

/// `PING [message]`; a subscribed RESP2 client gets `pong` and the
/// message (empty without one) as an array, like a published message.
pub fn ping(_srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    match args.len() {
        1 | 2 if c.pubsub && !c.reply.is_resp3() => {
            c.reply.array_len(2);
            c.reply.bulk(b"pong");
            c.reply.bulk(args.get(1));
        }
        1 => c.reply.raw(shared::PONG),
        2 => c.reply.bulk(args.get(1)),
        _ => return Err(CmdError::WrongArity("ping")),
    }
    Ok(())
}

/// `ECHO message`
pub fn echo(_srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    c.reply.bulk(args.get(1));
    Ok(())
}

/// `QUIT`: dispatch answers it before anything else; this entry exists for
/// `COMMAND` and is reached only through paths that skip that shortcut.
pub fn quit(_srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    c.reply.ok();
    c.close_after_reply = true;
    Ok(())
}

/// `SELECT index`
pub fn select(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let db = parse_db_index(args.get(1))?;
    c.db = db_in_range(srv, db)?;
    c.reply.ok();
    Ok(())
}

/// Parses a database index as Redis's `getIntFromObject` does (an int).
pub fn parse_db_index(arg: &[u8]) -> Result<i64, CmdError> {
    let v = parse_int(arg)?;
    if i32::try_from(v).is_err() {
        return Err(CmdError::IntOutOfRange);
    }
    Ok(v)
}

/// Checks a parsed index against `databases`.
pub fn db_in_range(srv: &Server, db: i64) -> Result<usize, CmdError> {
    usize::try_from(db)
        .ok()
        .filter(|&d| d < srv.db_count())
        .ok_or(CmdError::DbIndexOutOfRange)
}

/// Authenticates `c` as `user`, or records the failure in the ACL LOG.
fn authenticate(srv: &mut Server, c: &mut Client, args: &Args, user: &[u8], pass: &[u8]) -> bool {
    if srv.acl.authenticate(user, pass) {
        c.authenticated = true;
        c.user = (user != DEFAULT_USER).then(|| user.to_vec());
        return true;
    }
    let context = if c.multi.is_some() || c.in_exec {
        Context::Multi
    } else {
        Context::Toplevel
    };
    srv.acl_log_entry(c, "auth", context, args.get(0).to_vec(), user.to_vec());
    false
}

/// `AUTH [username] password`
pub fn auth(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if args.len() > 3 {
        return Err(CmdError::Syntax);
    }
    let (user, pass) = if args.len() == 2 {
        if srv.acl.default_nopass() {
            return Err(CmdError::AuthWithoutPassword);
        }
        (DEFAULT_USER, args.get(1))
    } else {
        (args.get(1), args.get(2))
    };
    if !authenticate(srv, c, args, user, pass) {
        return Err(CmdError::WrongPass);
    }
    c.reply.ok();
    Ok(())
}

/// `HELLO [protover [AUTH username password] [SETNAME clientname]]`
pub fn hello(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let mut version = None;
    let mut i = 1;
    if args.len() >= 2 {
        let v = parse_int(args.get(1)).map_err(|_| CmdError::HelloVersionNotInteger)?;
        if !(2..=3).contains(&v) {
            return Err(CmdError::NoProto);
        }
        version = Some(v);
        i = 2;
    }
    let mut credentials = None;
    let mut name = None;
    while i < args.len() {
        let more = args.len() - 1 - i;
        if args.is(i, "auth") && more >= 2 {
            credentials = Some((args.get(i + 1), args.get(i + 2)));
            i += 3;
        } else if args.is(i, "setname") && more >= 1 {
            name = Some(args.get(i + 1));
            i += 2;
        } else {
            let opt = args.get(i);
            let end = opt.iter().position(|&b| b == 0).unwrap_or(opt.len());
            return Err(CmdError::HelloSyntax(opt[..end].to_vec()));
        }
    }
    if let Some((user, pass)) = credentials {
        if !authenticate(srv, c, args, user, pass) {
            return Err(CmdError::WrongPass);
        }
    }
    if !c.authenticated {
        return Err(CmdError::HelloNoAuth);
    }
    if let Some(name) = name {
        super::client::set_name(c, name)?;
    }
    if let Some(v) = version {
        c.reply.set_resp3(v == 3);
    }
    c.reply.map_len(7);
    c.reply.bulk(b"server");
    c.reply.bulk(b"redis");
    c.reply.bulk(b"version");
    c.reply.bulk(REDIS_VERSION.as_bytes());
    c.reply.bulk(b"proto");
    c.reply.int(i64::from(c.resp()));
    c.reply.bulk(b"id");
    c.reply.int(c.id as i64);
    c.reply.bulk(b"mode");
    c.reply.bulk(b"standalone");
    c.reply.bulk(b"role");
    c.reply.bulk(b"master");
    c.reply.bulk(b"modules");
    c.reply.array_len(0);
    Ok(())
}

/// `RESET`: back to a fresh connection's state.
pub fn reset(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    reset_client(srv, c);
    c.reply.simple(b"RESET");
    Ok(())
}

/// Everything RESET undoes, in one place: each feature that gives a
/// connection state of its own adds its undoing here.
pub fn reset_client(srv: &mut Server, c: &mut Client) {
    c.multi = None;
    srv.unwatch_all(c.id);
    srv.remove_monitor(c);
    srv.pubsub_drop_client(c);
    srv.tracking_disable(c);
    c.db = 0;
    c.reply.set_resp3(false);
    c.name = None;
    c.reply_mode = ReplyMode::On;
    c.no_evict = false;
    c.user = None;
    c.authenticated = !srv.auth_required();
}
