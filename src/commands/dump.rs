//! DUMP and RESTORE: a value serialized as RDB encodes it, carried through
//! the protocol, so keys move between servers (ferrodis or Redis) intact.
//!
//! The encoding itself lives in [`crate::persistence::rdb`]; this file only
//! looks keys up and applies RESTORE's options in Redis's order: options,
//! then the existing key, then the TTL, then the payload.

use super::{parse_int, Args, CmdError, CmdResult};
use crate::persistence::rdb::payload::{self, PayloadError};
use crate::server::client::Client;
use crate::server::keyspace::LRU_CLOCK_MAX;
use crate::server::Server;

/// `DUMP key`
pub fn dump(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    match srv.lookup_read(c.db, args.get(1), c.no_touch) {
        Some(id) => {
            let bytes = payload::dump(srv.dbs[c.db].value(id), srv.config.rdbcompression);
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
    let value = payload::restore(args.get(3)).map_err(|e| match e {
        PayloadError::VersionOrChecksum => CmdError::DumpPayload,
        PayloadError::BadData(_) => CmdError::BadDataFormat,
    })?;
    let now = srv.clock.now_ms as i64;
    let clock = srv.lru_clock();
    let lfu = srv.config.maxmemory_policy.is_lfu();
    let db = &mut srv.dbs[c.db];
    let replaced = opts.replace && db.remove(key, now as u64);
    // Redis adds the current time with C's wrapping arithmetic, so a huge
    // relative TTL lands in the past and the key is not created.
    let deadline = match ttl {
        0 => None,
        t if opts.absttl => Some(t),
        t => Some(t.wrapping_add(now)),
    };
    if deadline.is_some_and(|t| t <= now) {
        if replaced {
            srv.dirty += 1;
        }
        c.reply.ok();
        return Ok(());
    }
    let id = db.add(key, value, clock);
    if let Some(t) = deadline {
        db.set_expire(id, t as u64);
    }
    // The access field holds either a time or, under an LFU policy, the
    // minute and a counter (`lru_clock` gives the minute with the initial
    // counter, which FREQ replaces); Redis applies whichever option fits
    // the policy and ignores the other.
    match (lfu, opts.idle, opts.freq) {
        (false, Some(idle), _) => db.touch(id, clock_after_idle(clock, idle)),
        (true, _, Some(freq)) => db.touch(id, clock & !0xff | u32::from(freq)),
        _ => {}
    }
    srv.dirty += 1;
    c.reply.ok();
    Ok(())
}

/// The access clock of a key last used `idle` seconds before `clock`, with
/// Redis's arithmetic (`objectSetLRUOrLFU`): the seconds are scaled to ms
/// and back with wrapping 64-bit multiplication, an underflow adds one
/// clock period, and the result keeps its low 24 bits, so `OBJECT
/// IDLETIME` reports what Redis would for any IDLETIME given.
fn clock_after_idle(clock: u32, idle: i64) -> u32 {
    let idle = idle.wrapping_mul(1000) / 1000;
    let mut at = i64::from(clock).wrapping_sub(idle);
    if at < 0 {
        at += LRU_CLOCK_MAX as i64;
    }
    (at as u64 & LRU_CLOCK_MAX) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `OBJECT IDLETIME` as Redis computes it from the stored clock.
    fn reported(clock: u32, lru: u32) -> u64 {
        let (now, lru) = (u64::from(clock), u64::from(lru));
        if now >= lru {
            now - lru
        } else {
            now + (LRU_CLOCK_MAX - lru)
        }
    }

    /// Values observed on redis-server 7.0.15 with its clock at 77340.
    #[test]
    fn idle_time_matches_redis() {
        let clock = 77340;
        for (idle, want) in [
            (0, 0),
            (1000, 1000),
            (77341, 77341),
            (16777214, 16777214),
            (16777215, 0),
            (16777216, 1),
            (100000000, 16113920),
            (9223372036854775, 14898167),
            (9223372036854776, 1879048),
            (i64::MAX, 16777214),
        ] {
            assert_eq!(
                reported(clock, clock_after_idle(clock, idle)),
                want,
                "{idle}"
            );
        }
    }
}
