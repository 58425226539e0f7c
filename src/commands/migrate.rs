//! MIGRATE: keys moved to another server (ferrodis or Redis) by sending it
//! RESTORE commands over a cached connection, and deleted here once the
//! target acknowledged them (unless COPY). What was deleted propagates as
//! one DEL of those keys, as Redis rewrites the command.

use std::time::Duration;

use super::introspection::KeyRef;
use super::{parse_int, Args, CmdError, CmdResult};
use crate::persistence::rdb::payload;
use crate::server::client::Client;
use crate::server::keyspace::event;
use crate::server::migrate::WireError;
use crate::server::propagate::write_command;
use crate::server::Server;

/// MIGRATE's options.
struct Options<'a> {
    copy: bool,
    replace: bool,
    user: Option<&'a [u8]>,
    password: Option<&'a [u8]>,
    /// Index of the first key and how many there are.
    first_key: usize,
    num_keys: usize,
}

fn parse<'a>(args: &'a Args) -> Result<Options<'a>, CmdError> {
    let mut o = Options {
        copy: false,
        replace: false,
        user: None,
        password: None,
        first_key: 3,
        num_keys: 1,
    };
    let mut j = 6;
    while j < args.len() {
        let more = args.len() - 1 - j;
        if args.is(j, "copy") {
            o.copy = true;
        } else if args.is(j, "replace") {
            o.replace = true;
        } else if args.is(j, "auth") {
            if more < 1 {
                return Err(CmdError::Syntax);
            }
            o.password = Some(args.get(j + 1));
            j += 1;
        } else if args.is(j, "auth2") {
            if more < 2 {
                return Err(CmdError::Syntax);
            }
            o.user = Some(args.get(j + 1));
            o.password = Some(args.get(j + 2));
            j += 2;
        } else if args.is(j, "keys") {
            if !args.get(3).is_empty() {
                return Err(CmdError::Message(
                    "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string"
                        .into(),
                ));
            }
            o.first_key = j + 1;
            o.num_keys = args.len() - j - 1;
            break;
        } else {
            return Err(CmdError::Syntax);
        }
        j += 1;
    }
    Ok(o)
}

/// `MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE]
/// [AUTH password | AUTH2 username password] [KEYS key ...]`
pub fn migrate(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let o = parse(args)?;
    let timeout_ms = parse_int(args.get(5))?;
    let dbid = parse_int(args.get(4))?;
    let timeout = Duration::from_millis(if timeout_ms <= 0 {
        1000
    } else {
        timeout_ms as u64
    });
    let keys: Vec<&[u8]> = (o.first_key..o.first_key + o.num_keys)
        .map(|i| args.get(i))
        .filter(|&k| srv.lookup_read(c.db, k).is_some())
        .collect();
    if keys.is_empty() {
        c.reply.simple(b"NOKEY");
        return Ok(());
    }
    let (host, port) = (args.get(1), args.get(2));
    // One retry, for a cached connection the target has closed meanwhile.
    let mut may_retry = true;
    loop {
        match transfer(srv, c, &o, host, port, dbid, timeout, &keys) {
            Ok(()) => return Ok(()),
            Err(Failure::Final(e)) => return Err(e),
            Err(Failure::Wire(WireError::Connect)) => {
                return Err(CmdError::Message(
                    "IOERR error or timeout connecting to the client".into(),
                ))
            }
            Err(Failure::Wire(e)) => {
                srv.migrate.close(host, port);
                if may_retry && !e.timed_out() {
                    may_retry = false;
                    continue;
                }
                return Err(io_error(&e));
            }
        }
    }
}

/// The reply for a transfer that failed on the wire.
fn io_error(e: &WireError) -> CmdError {
    let what = if matches!(e, WireError::Write(_)) {
        "writing"
    } else {
        "reading"
    };
    CmdError::Message(format!("IOERR error or timeout {what} to target instance").into())
}

enum Failure {
    /// Nothing was acknowledged yet: the caller may retry or report it.
    Wire(WireError),
    /// The reply, after some keys may have moved: never retried.
    Final(CmdError),
}

/// One attempt: connect (or reuse), send everything, read the replies,
/// delete what the target acknowledged and reply. A target's error reply
/// is the command's reply; a wire failure before any reply is returned.
#[allow(clippy::too_many_arguments)]
fn transfer(
    srv: &mut Server,
    c: &mut Client,
    o: &Options,
    host: &[u8],
    port: &[u8],
    dbid: i64,
    timeout: Duration,
    keys: &[&[u8]],
) -> Result<(), Failure> {
    let now_ms = srv.clock.now_ms;
    let (restores, sent) = restore_commands(srv, c.db, o.replace, keys);
    let target = srv
        .migrate
        .get(host, port, timeout, now_ms / 1000)
        .map_err(Failure::Wire)?;
    let mut out = Vec::with_capacity(restores.len() + 64);
    if let Some(pw) = o.password {
        match o.user {
            Some(user) => write_command(&mut out, [b"AUTH".as_slice(), user, pw].into_iter()),
            None => write_command(&mut out, [b"AUTH".as_slice(), pw].into_iter()),
        }
    }
    let select = target.last_db != dbid;
    if select {
        write_command(
            &mut out,
            [b"SELECT".as_slice(), dbid.to_string().as_bytes()].into_iter(),
        );
    }
    out.extend_from_slice(&restores);
    target.write_all(&out, timeout).map_err(Failure::Wire)?;
    let auth_reply = match o.password {
        Some(_) => Some(target.read_line(timeout).map_err(Failure::Wire)?),
        None => None,
    };
    let select_reply = if select {
        Some(target.read_line(timeout).map_err(Failure::Wire)?)
    } else {
        None
    };
    let mut target_error: Option<Vec<u8>> = None;
    let mut acknowledged = Vec::new();
    let mut wire_error = None;
    for (j, &key) in sent.iter().enumerate() {
        let reply = match target.read_line(timeout) {
            Ok(line) => line,
            Err(e) if j == 0 && target_error.is_none() => return Err(Failure::Wire(e)),
            Err(e) => {
                wire_error = Some(e);
                break;
            }
        };
        let failed = [auth_reply.as_deref(), select_reply.as_deref(), Some(&reply)]
            .into_iter()
            .flatten()
            .find(|line| line.first() == Some(&b'-'));
        match failed {
            Some(line) if target_error.is_none() => {
                target.last_db = -1;
                target_error = Some(line[1..].to_vec());
            }
            Some(_) => {}
            None if !o.copy => acknowledged.push(key),
            None => {}
        }
    }
    if wire_error.is_none() && target_error.is_none() {
        target.last_db = dbid;
    }
    for &key in &acknowledged {
        srv.db_delete(c.db, key);
        srv.notify_keyspace_event(event::GENERIC, "del", c.db, key);
        srv.dirty += 1;
    }
    if !acknowledged.is_empty() {
        let argv: Vec<Vec<u8>> = std::iter::once(b"DEL".to_vec())
            .chain(acknowledged.iter().map(|k| k.to_vec()))
            .collect();
        srv.propagator.rewrite_with(|| argv);
    }
    if wire_error.is_some() {
        srv.migrate.close(host, port);
    }
    if let Some(line) = target_error {
        let mut msg = String::from("ERR Target instance replied with error: ");
        msg.push_str(&String::from_utf8_lossy(&line));
        return Err(Failure::Final(CmdError::Message(msg.into())));
    }
    if let Some(e) = wire_error {
        return Err(Failure::Final(io_error(&e)));
    }
    c.reply.ok();
    Ok(())
}

/// The RESTORE commands that carry `keys` with their remaining TTLs, and
/// the keys they carry: keys that expired since the first look are left out.
fn restore_commands<'k>(
    srv: &mut Server,
    db: usize,
    replace: bool,
    keys: &[&'k [u8]],
) -> (Vec<u8>, Vec<&'k [u8]>) {
    let now_ms = srv.clock.now_ms;
    let compress = srv.config.rdbcompression;
    let mut out = Vec::new();
    let mut sent = Vec::with_capacity(keys.len());
    for &key in keys {
        let Some(id) = srv.lookup_read_no_touch(db, key) else {
            continue;
        };
        let found = srv.db(db);
        let ttl = match found.expire_of(id) {
            Some(at) if at < now_ms => continue,
            Some(at) => (at - now_ms).max(1),
            None => 0,
        };
        let body = payload::dump(found.value(id), compress);
        let ttl = ttl.to_string();
        let mut argv = vec![b"RESTORE".as_slice(), key, ttl.as_bytes(), &body];
        if replace {
            argv.push(b"REPLACE");
        }
        write_command(&mut out, argv.into_iter());
        sent.push(key);
    }
    (out, sent)
}

/// COMMAND GETKEYS for MIGRATE: the key argument, or everything after
/// KEYS (options with values skipped on the way), as Redis finds them.
pub fn migrate_keys(args: &Args) -> Vec<KeyRef> {
    const FLAGS: &[&str] = &["RW", "access", "delete"];
    let (mut first, mut num) = (3, 1);
    let mut i = 6;
    while i < args.len() {
        if args.is(i, "keys") {
            if !args.get(3).is_empty() {
                return Vec::new();
            }
            first = i + 1;
            num = args.len() - first;
            break;
        }
        if args.is(i, "auth") {
            i += 1;
        } else if args.is(i, "auth2") {
            i += 2;
        }
        i += 1;
    }
    (first..first + num).map(|pos| (pos, FLAGS)).collect()
}
