//! Persistence commands: SAVE, BGSAVE, BGREWRITEAOF and LASTSAVE. The work
//! itself is in [`crate::server::persistence`] and [`crate::server::aof`];
//! these only check arguments and reply.

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

/// `BGSAVE [SCHEDULE]`. SCHEDULE only matters while an AOF rewrite runs:
/// the save then starts from the timed sweep once the rewrite ends.
pub fn bgsave(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let schedule = args.len() == 2 && args.is(1, "schedule");
    if args.len() > 1 && !schedule {
        return Err(CmdError::Syntax);
    }
    if schedule && srv.aof.child.is_some() && srv.persistence.child.is_none() {
        srv.persistence.bgsave_scheduled = true;
        c.reply.simple(b"Background saving scheduled");
        return Ok(());
    }
    match srv.bgsave() {
        Ok(()) => {
            c.reply.simple(b"Background saving started");
            Ok(())
        }
        Err(BgsaveError::InProgress) => Err(CmdError::BgsaveInProgress),
        Err(BgsaveError::Fork) => Err(CmdError::SaveFailed),
        Err(BgsaveError::OtherChild) => Err(CmdError::Message(
            "ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.".into(),
        )),
    }
}

/// `BGREWRITEAOF`: starts a rewrite, or schedules it while a snapshot
/// child runs.
pub fn bgrewriteaof(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    if srv.aof.child.is_some() {
        return Err(CmdError::Message(
            "ERR Background append only file rewriting already in progress".into(),
        ));
    }
    if srv.has_active_child() {
        srv.aof.rewrite_scheduled = true;
        srv.aof.consecutive_failures = 0;
        c.reply
            .simple(b"Background append only file rewriting scheduled");
        return Ok(());
    }
    if srv.rewrite_background().is_err() {
        return Err(CmdError::Message(
            "ERR Can't execute an AOF background rewriting. Please check the server logs for more information.".into(),
        ));
    }
    c.reply
        .simple(b"Background append only file rewriting started");
    Ok(())
}

/// `LASTSAVE`
pub fn lastsave(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    c.reply.int(srv.lastsave as i64);
    Ok(())
}
