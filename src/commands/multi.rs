//! Transactions: MULTI, EXEC, DISCARD, WATCH, UNWATCH, and how dispatch
//! queues commands between MULTI and EXEC (Redis's `multi.c`).
//!
//! A queued command has passed every check dispatch makes (unknown
//! command, arity, authentication, ...); a command refused there dooms the
//! transaction, so EXEC answers EXECABORT. EXEC runs the queue through
//! the same `call` as any command, so each is counted, shown to monitors
//! and propagated; the propagator wraps what they wrote in one
//! MULTI/EXEC block. Runtime errors of a queued command are its reply in
//! EXEC's array and do not stop the rest. The watch table is the
//! server's (`server/multi.rs`).

use super::{call, Args, CmdError, CmdResult, CommandId, CommandSpec};
use crate::server::acl;
use crate::server::client::{Client, ReplyMode};
use crate::server::multi::MultiState;
use crate::server::Server;

fn message(text: &'static str) -> CmdError {
    CmdError::Message(text.into())
}

/// Whether a command runs at once inside MULTI instead of being queued.
pub(crate) fn runs_in_multi(spec: &CommandSpec) -> bool {
    matches!(spec.name, "exec" | "discard" | "multi" | "watch" | "reset")
}

/// Queues a command that passed dispatch's checks and answers `+QUEUED`.
pub(crate) fn queue(srv: &mut Server, c: &mut Client, id: CommandId, args: &Args) {
    let dirty = srv.watches.is_dirty(c.id);
    if let Some(m) = c.multi.as_mut() {
        let keep = !m.aborted && !dirty;
        m.queue(
            id,
            args,
            super::command_flags(srv, srv.commands.all[id], args),
            keep,
        );
    }
    let mark = c.reply.mark();
    c.reply.simple(b"QUEUED");
    super::apply_reply_mode(c, mark);
}

/// A request dispatch refused: EXEC itself refused discards the
/// transaction (if any) and says why; anything else dooms a transaction
/// being queued. Returns the error to reply with.
pub(crate) fn refused_in_multi(
    srv: &mut Server,
    c: &mut Client,
    args: &Args,
    id: Option<CommandId>,
    err: CmdError,
) -> CmdError {
    // A refused EXEC is an aborted transaction even outside MULTI, as
    // Redis words it.
    if let Some(id) = id.filter(|&id| srv.commands.all[id].name == "exec") {
        c.multi = None;
        srv.unwatch_all(c.id);
        // Monitors see the EXEC although it never ran, as in Redis.
        srv.feed_monitors(c, srv.commands.all[id], args);
        // Redis quotes the reason without the generic `ERR` code; other
        // codes (NOAUTH, MISCONF) stay.
        let text = err.text();
        let reason = text.strip_prefix(b"ERR ").unwrap_or(&text);
        return CmdError::Message(
            format!(
                "EXECABORT Transaction discarded because of: {}",
                String::from_utf8_lossy(reason)
            )
            .into(),
        );
    }
    if let Some(m) = c.multi.as_mut() {
        m.aborted = true;
    }
    err
}

/// `MULTI`
pub fn multi(_srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    if c.multi.is_some() {
        return Err(message("ERR MULTI calls can not be nested"));
    }
    c.multi = Some(MultiState::default());
    c.reply.ok();
    Ok(())
}

/// `EXEC`: runs the queue, unless it was doomed (EXECABORT) or a watched
/// key changed or expired (a null reply).
pub fn exec(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    let Some(state) = c.multi.as_mut() else {
        return Err(message("ERR EXEC without MULTI"));
    };
    let aborted = state.aborted;
    // The client stays in its transaction while the queue runs, as CLIENT
    // LIST shows it (flag `x`, `multi=`); nothing queued can begin one.
    let commands = std::mem::take(&mut state.commands);
    let watch_broken = srv.watches.is_dirty(c.id) || srv.watched_key_expired(c.id);
    srv.unwatch_all(c.id);
    if aborted {
        c.multi = None;
        return Err(message(
            "EXECABORT Transaction discarded because of previous errors.",
        ));
    }
    if watch_broken {
        c.multi = None;
        c.reply.null_array();
        return Ok(());
    }
    // A header written while replies are held back is lost, as in Redis,
    // even when a queued CLIENT REPLY ON lets the rest through.
    if !matches!(c.reply_mode, ReplyMode::Off | ReplyMode::Skip) {
        c.reply.array_len(commands.len());
    }
    // What CLIENT LIST shows while EXEC runs is EXEC's own arguments.
    let argv_mem = c.argv_mem;
    c.in_exec = true;
    for (id, argv) in &commands {
        let args = argv.args();
        // The rules may have changed since the command was queued.
        if let Err(refusal) = acl::check(srv, c.user.as_deref(), *id, &args) {
            let spec = srv.commands.all[*id];
            acl::log_refusal(srv, c, refusal, acl::Context::Multi, spec, &args);
            let reason = match refusal {
                acl::Refusal::Command => "no permission to execute the command or subcommand",
                acl::Refusal::Key(_) => "no permission to touch the specified keys",
                acl::Refusal::Channel(_) => {
                    "no permission to access one of the channels used as arguments"
                }
            };
            let err = CmdError::Message(
                format!(
                    "NOPERM ACLs rules changed between the moment the transaction was accumulated \
                     and the EXEC call. This command is no longer allowed for the following \
                     reason: {reason}"
                )
                .into(),
            );
            super::write_error(srv, c, &err);
            continue;
        }
        call(srv, c, *id, &args);
    }
    c.in_exec = false;
    c.argv_mem = argv_mem;
    c.multi = None;
    Ok(())
}

/// `DISCARD`
pub fn discard(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    if c.multi.take().is_none() {
        return Err(message("ERR DISCARD without MULTI"));
    }
    srv.unwatch_all(c.id);
    c.reply.ok();
    Ok(())
}

/// `WATCH key [key ...]`
pub fn watch(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    if c.multi.is_some() {
        return Err(message("ERR WATCH inside MULTI is not allowed"));
    }
    for key in args.iter().skip(1) {
        srv.watch_key(c.id, c.db, key);
    }
    c.reply.ok();
    Ok(())
}

/// `UNWATCH`
pub fn unwatch(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    srv.unwatch_all(c.id);
    c.reply.ok();
    Ok(())
}
