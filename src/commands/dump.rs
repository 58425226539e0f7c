//! DUMP and RESTORE: a value serialized as RDB encodes it, carried through
//! the protocol, so keys move between servers (ferrodis or Redis) intact.
//!
//! The encoding itself lives in [`crate::persistence::rdb`]; this file only
//! looks keys up and applies RESTORE's options in Redis's order: options,
//! then the existing key, then the TTL, then the payload.

use super::{parse_int, Args, CmdError, CmdResult};
use crate::persistence::rdb::payload::{self, PayloadError};
use crate::persistence::rdb::value;
use crate::server::client::Client;
use crate::server::keyspace::event;
use crate::server::propagate::int_arg;
use crate::server::Server;

/// `DUMP key`
pub fn dump(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    match srv.lookup_read(c.db, args.get(1)) {
        Some(id) => {
            let bytes = payload::dump(srv.db(c.db).value(id), srv.config.rdbcompression);
            c.reply.bulk(&bytes);
        }
        None => c.reply.null(),
    }
    Ok(())
}

/// RESTORE's options after the payload.
#[derive(Default)]
struct RestoreOptions {
    replace: bool,
    absttl: bool,
    /// Seconds since the last access, from IDLETIME.
    idle: Option<i64>,
    /// The LFU counter, from FREQ.
    freq: Option<u8>,
}

impl RestoreOptions {
    /// Parses `[REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]`.
    /// IDLETIME and FREQ exclude each other: the second one given is a
    /// syntax error, as in Redis.
    fn parse(args: &Args) -> Result<Self, CmdError> {
        let mut opts = RestoreOptions::default();
        let mut i = 4;
        while i < args.len() {
            let has_value = i + 1 < args.len();
            if args.is(i, "replace") {
                opts.replace = true;
            } else if args.is(i, "absttl") {
                opts.absttl = true;
            } else if args.is(i, "idletime") && has_value && opts.freq.is_none() {
                let idle = parse_int(args.get(i + 1))?;
                if idle < 0 {
                    return Err(CmdError::InvalidIdletime);
                }
                opts.idle = Some(idle);
                i += 1;
            } else if args.is(i, "freq") && has_value && opts.idle.is_none() {
                let freq = parse_int(args.get(i + 1))?;
                opts.freq = Some(u8::try_from(freq).map_err(|_| CmdError::InvalidFreq)?);
                i += 1;
            } else {
                return Err(CmdError::Syntax);
            }
            i += 1;
        }
        Ok(opts)
    }
}

/// `RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]`
pub fn restore(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let opts = RestoreOptions::parse(args)?;
    let key = args.get(1);
    if !opts.replace && srv.lookup_write(c.db, key).is_some() {
        return Err(CmdError::BusyKey);
    }
    let ttl = parse_int(args.get(2))?;
    if ttl < 0 {
        return Err(CmdError::InvalidTtl);
    }
    let value = payload::restore_with(
        args.get(3),
        &value::Thresholds::of(&srv.config),
        !srv.debug.skip_checksum_validation,
    )
    .map_err(|e| match e {
        PayloadError::VersionOrChecksum => CmdError::DumpPayload,
        PayloadError::BadData(_) => CmdError::BadDataFormat,
    })?;
    let now = srv.clock.now_ms as i64;
    let access = srv.access_field(opts.idle, opts.freq);
    let replaced = opts.replace && srv.db_delete(c.db, key);
    // Redis adds the current time with C's wrapping arithmetic, so a huge
    // relative TTL lands in the past and the key is not created.
    let deadline = match ttl {
        0 => None,
        t if opts.absttl => Some(t),
        t => Some(t.wrapping_add(now)),
    };
    if srv.keys_expire() && deadline.is_some_and(|t| t <= now) {
        if replaced {
            srv.notify_keyspace_event(event::GENERIC, "del", c.db, key);
            srv.dirty += 1;
            srv.propagator
                .rewrite_with(|| vec![b"DEL".to_vec(), key.to_vec()]);
        }
        c.reply.ok();
        return Ok(());
    }
    let id = srv.db_add_with_expire(c.db, key, value, deadline.map(|t| t as u64));
    srv.set_access(c.db, id, access);
    if let Some(t) = deadline {
        if !opts.absttl {
            // Propagated with the absolute deadline, marked ABSTTL.
            srv.propagator.rewrite_with(|| {
                let mut argv = args.to_vecs();
                argv[2] = int_arg(t);
                argv.push(b"ABSTTL".to_vec());
                argv
            });
        }
    }
    srv.notify_keyspace_event(event::GENERIC, "restore", c.db, key);
    srv.dirty += 1;
    c.reply.ok();
    Ok(())
}
