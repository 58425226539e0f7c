//! Snapshot commands: SAVE, BGSAVE and LASTSAVE. The work itself is in
//! [`crate::server::persistence`]; these only check arguments and reply.

use super::{Args, CmdError, CmdResult};
use crate::server::client::Client;
use crate::server::persistence::BgsaveError;
use crate::server::Server;

/// `SAVE`
pub fn save(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    if srv.persistence.child.is_some() {
        return Err(CmdError::BgsaveInProgress);
    }
    srv.persistence.saves += 1;
    if !srv.save_now() {
        return Err(CmdError::SaveFailed);
    }
    c.reply.ok();
    Ok(())
}

/// `BGSAVE [SCHEDULE]`. SCHEDULE only matters while another kind of child
/// (an AOF rewrite) runs; ferrodis forks for snapshots alone, so it starts
/// the save at once like a plain BGSAVE.
pub fn bgsave(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if args.len() > 1 && !(args.len() == 2 && args.is(1, "schedule")) {
        return Err(CmdError::Syntax);
    }
    match srv.bgsave() {
        Ok(()) => {
            c.reply.simple(b"Background saving started");
            Ok(())
        }
        Err(BgsaveError::InProgress) => Err(CmdError::BgsaveInProgress),
        Err(BgsaveError::Fork) => Err(CmdError::SaveFailed),
    }
}

/// `LASTSAVE`
pub fn lastsave(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    c.reply.int(srv.lastsave as i64);
    Ok(())
}
