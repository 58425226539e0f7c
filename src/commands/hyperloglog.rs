//! HyperLogLog commands: PFADD, PFCOUNT, PFMERGE, PFDEBUG and PFSELFTEST.
//!
//! HLLs are plain strings in the layout of `storage/hyperloglog.rs`; these
//! commands only accept strings that pass Redis's header checks, and report
//! sparse bodies that do not decode as Redis does (`INVALIDOBJ`). Like
//! Redis, they change the string in place and say what counts as a change
//! themselves: refreshing the cached cardinality is one (PFCOUNT signals
//! the key and is propagated), while PFDEBUG's conversions only count as
//! dirty so they reach the AOF and replicas.

use std::borrow::Cow;

use super::{Args, CmdError, CmdResult};
use crate::server::client::Client;
use crate::server::keyspace::event;
use crate::server::Server;
use crate::storage::dict::Id;
use crate::storage::hyperloglog as hll;
use crate::storage::value::{Kind, Str, Value};

/// A string that is not an HLL.
const NOT_HLL: CmdError = CmdError::Message(Cow::Borrowed(
    "WRONGTYPE Key is not a valid HyperLogLog string value.",
));
/// A sparse HLL whose opcodes do not cover the registers.
const CORRUPT: CmdError =
    CmdError::Message(Cow::Borrowed("INVALIDOBJ Corrupted HLL object detected"));

impl From<hll::Corrupt> for CmdError {
    fn from(_: hll::Corrupt) -> Self {
        CORRUPT
    }
}

/// The HLL at `id`: a string passing the header checks, else [`NOT_HLL`]
/// (WRONGTYPE for other types is the typed lookup's answer).
fn hll_bytes(srv: &Server, db: usize, id: Id) -> Result<&[u8], CmdError> {
    match srv.db(db).value(id) {
        // An integer-encoded string is never an HLL, as in Redis.
        Value::Str(Str::Embstr(b)) if hll::is_hll(b.as_slice()) => Ok(b.as_slice()),
        Value::Str(Str::Raw(v)) if hll::is_hll(v) => Ok(v),
        Value::Str(_) => Err(NOT_HLL),
        _ => Err(CmdError::WrongType),
    }
}

/// `PFADD key [element ...]`
pub fn pfadd(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let key = args.get(1);
    let max_bytes = srv.config.hll_sparse_max_bytes;
    let (id, mut updated) = match srv.lookup_write_kind(c.db, key, Kind::String)? {
        Some(id) => {
            hll_bytes(srv, c.db, id)?;
            (id, 0)
        }
        None => {
            let value = Value::Str(Str::Raw(Box::new(hll::new_sparse())));
            (srv.db_add(c.db, key, value), 1)
        }
    };
    let value = srv.unshare_string(c.db, id)?;
    for element in args.iter().skip(2) {
        // An element that finds the sparse body damaged stops the command;
        // those before it stay added, unsignalled, as in Redis.
        if hll::add(value, element, max_bytes)? {
            updated += 1;
        }
    }
    if updated > 0 {
        hll::invalidate_cache(value);
        srv.signal_modified_key(c.db, key);
        srv.notify_keyspace_event(event::STRING, "pfadd", c.db, key);
        srv.dirty += updated;
    }
    c.reply.int(i64::from(updated > 0));
    Ok(())
}

/// The union of the HLLs at `keys` (missing keys are empty), looked up for
/// reading; also whether any of them is dense.
fn union(srv: &mut Server, c: &Client, keys: Args) -> Result<(hll::Registers, bool), CmdError> {
    let mut max = hll::Registers::new();
    let mut dense = false;
    for key in keys.iter() {
        let Some(id) = srv.lookup_read_kind(c.db, key, Kind::String)? else {
            continue;
        };
        let bytes = hll_bytes(srv, c.db, id)?;
        dense |= hll::is_dense(bytes);
        max.merge(bytes)?;
    }
    Ok((max, dense))
}

/// `PFCOUNT key [key ...]`
pub fn pfcount(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if args.len() > 2 {
        // Several keys: the union's cardinality, written nowhere.
        let (max, _) = union(srv, c, args.slice_from(1))?;
        c.reply.int(max.count() as i64);
        return Ok(());
    }
    let key = args.get(1);
    let Some(id) = srv.lookup_read_kind(c.db, key, Kind::String)? else {
        c.reply.int(0);
        return Ok(());
    };
    hll_bytes(srv, c.db, id)?;
    let value = srv.unshare_string(c.db, id)?;
    let card = match hll::cached_count(value) {
        Some(card) => card,
        None => {
            let card = hll::count(value)?;
            hll::set_cached_count(value, card);
            // The string changed, so the key is modified and the command
            // propagated, though PFCOUNT counts as a read.
            srv.signal_modified_key(c.db, key);
            srv.dirty += 1;
            card
        }
    };
    c.reply.int(card as i64);
    Ok(())
}

/// `PFMERGE destkey [sourcekey ...]`
pub fn pfmerge(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    // The destination is one of the sources.
    let (max, dense) = union(srv, c, args.slice_from(1))?;
    let key = args.get(1);
    let id = match srv.lookup_write(c.db, key) {
        Some(id) => id,
        None => {
            let value = Value::Str(Str::Raw(Box::new(hll::new_sparse())));
            srv.db_add(c.db, key, value)
        }
    };
    let max_bytes = srv.config.hll_sparse_max_bytes;
    let value = srv.unshare_string(c.db, id)?;
    if dense {
        hll::to_dense(value)?;
    }
    max.raise_into(value, max_bytes);
    hll::invalidate_cache(value);
    srv.signal_modified_key(c.db, key);
    // Redis 7.0 names the event after PFADD.
    srv.notify_keyspace_event(event::STRING, "pfadd", c.db, key);
    srv.dirty += 1;
    c.reply.ok();
    Ok(())
}

/// `PFDEBUG <GETREG|DECODE|ENCODING|TODENSE> key`
pub fn pfdebug(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let (sub, key) = (args.get(1), args.get(2));
    let Some(id) = srv.lookup_write_kind(c.db, key, Kind::String)? else {
        return Err(CmdError::Message(
            "ERR The specified key does not exist".into(),
        ));
    };
    hll_bytes(srv, c.db, id)?;
    let value = srv.unshare_string(c.db, id)?;
    if sub.eq_ignore_ascii_case(b"getreg") {
        if hll::to_dense(value)? {
            // The conversion reaches replicas and the AOF with the command.
            srv.dirty += 1;
        }
        let value = srv.unshare_string(c.db, id)?;
        c.reply.array_len(hll::REGISTERS);
        for r in hll::dense_registers(value).into_iter().flatten() {
            c.reply.int(i64::from(r));
        }
    } else if sub.eq_ignore_ascii_case(b"decode") {
        if hll::is_dense(value) {
            return Err(CmdError::Message("ERR HLL encoding is not sparse".into()));
        }
        c.reply.bulk(hll::decode(value).as_bytes());
    } else if sub.eq_ignore_ascii_case(b"encoding") {
        let name = if hll::is_dense(value) {
            "dense"
        } else {
            "sparse"
        };
        c.reply.simple(name.as_bytes());
    } else if sub.eq_ignore_ascii_case(b"todense") {
        let converted = hll::to_dense(value)?;
        if converted {
            srv.dirty += 1;
        }
        c.reply.int(i64::from(converted));
    } else {
        // Redis formats the name with `%s`, which stops at a NUL.
        let name = sub.split(|&b| b == 0).next().unwrap_or_default();
        return Err(CmdError::Message(
            format!(
                "ERR Unknown PFDEBUG subcommand '{}'",
                String::from_utf8_lossy(name)
            )
            .into(),
        ));
    }
    Ok(())
}

/// `PFSELFTEST`
pub fn pfselftest(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    let max_bytes = srv.config.hll_sparse_max_bytes;
    let state = &mut srv.random_state;
    hll::selftest(max_bytes, &mut || crate::server::next_random(state))
        .map_err(|e| CmdError::Message(e.into()))?;
    c.reply.ok();
    Ok(())
}
