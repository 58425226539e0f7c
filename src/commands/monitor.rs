//! `MONITOR`: the client becomes a monitor, sent every command executed
//! from then on (the feeding is `server/monitor.rs`).

use super::{Args, CmdError, CmdResult};
use crate::server::client::Client;
use crate::server::Server;

/// `MONITOR`
pub fn monitor(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    // A transaction or the AOF loader expects one reply per command.
    if c.denies_blocking() {
        return Err(CmdError::Message(
            "ERR MONITOR isn't allowed for DENY BLOCKING client".into(),
        ));
    }
    // Asking again changes nothing and, as in Redis, says nothing.
    if !c.monitor {
        srv.add_monitor(c);
        c.reply.ok();
    }
    Ok(())
}
