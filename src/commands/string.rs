//! String commands: GET and SET.

use super::introspection::KeyRef;
use super::{Args, CmdError, CmdResult};
use crate::server::client::Client;
use crate::server::Server;
use crate::storage::value::{Str, Value};

/// `GET key`
pub fn get(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    match srv.lookup_read(c.db, args.get(1), c.no_touch) {
        Some(id) => match srv.dbs[c.db].value(id) {
            Value::Str(s) => {
                let mut tmp = [0u8; 20];
                c.reply.bulk(s.bytes(&mut tmp));
            }
        },
        None => c.reply.null(),
    }
    Ok(())
}

/// `SET key value`
pub fn set(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if args.len() != 3 {
        return Err(CmdError::Syntax);
    }
    let (now, clock) = (srv.clock.now_ms, srv.lru_clock());
    let value = Value::Str(Str::from_bytes(args.get(2)));
    srv.dbs[c.db].set(args.get(1), value, false, now, clock);
    srv.dirty += 1;
    c.reply.ok();
    Ok(())
}

/// SET's key flags depend on whether `GET` is among its options.
pub fn set_keys(args: &Args) -> Vec<KeyRef> {
    let with_get = (3..args.len()).any(|i| args.is(i, "get"));
    let flags: &'static [&'static str] = if with_get {
        &["RW", "access", "update"]
    } else {
        &["OW", "update"]
    };
    vec![(1, flags)]
}
