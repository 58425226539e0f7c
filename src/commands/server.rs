//! Server commands: database-wide operations (DBSIZE, FLUSHDB, FLUSHALL,
//! SWAPDB), TIME, SHUTDOWN and CONFIG.

use super::connection::parse_db_index;
use super::{reply_help, Args, CmdError, CmdResult};
use crate::config::{Config, SHUTDOWN_FORCE, SHUTDOWN_NOSAVE, SHUTDOWN_SAVE};
use crate::server::client::Client;
use crate::server::{Server, ShutdownRequest};

/// `DBSIZE`
pub fn dbsize(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    c.reply.int(srv.db(c.db).len() as i64);
    Ok(())
}

/// FLUSHDB/FLUSHALL's optional `SYNC|ASYNC`: whether the keys are freed
/// off the loop (without either, as `lazyfree-lazy-user-flush` says).
fn flush_mode(srv: &Server, args: &Args) -> Result<bool, CmdError> {
    match args.len() {
        1 => Ok(srv.config.lazyfree_lazy_user_flush),
        2 if args.is(1, "sync") => Ok(false),
        2 if args.is(1, "async") => Ok(true),
        _ => Err(CmdError::Syntax),
    }
}

/// `FLUSHDB [ASYNC|SYNC]`
pub fn flushdb(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let lazy = flush_mode(srv, args)?;
    srv.dirty += srv.flush_db_lazy(c.db, lazy) as u64;
    srv.tracking_invalidate_all();
    srv.propagator.force();
    c.reply.ok();
    Ok(())
}

/// `FLUSHALL [ASYNC|SYNC]`
pub fn flushall(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let lazy = flush_mode(srv, args)?;
    let removed: usize = (0..srv.db_count())
        .map(|db| srv.flush_db_lazy(db, lazy))
        .sum();
    srv.dirty += removed as u64;
    srv.tracking_invalidate_all();
    srv.propagator.force();
    // As Redis 7.0: a running snapshot is now stale and is stopped, and
    // with save points configured the empty dataset is saved at once
    // (resetting the changes counter on success). A failed save is logged;
    // the reply is still OK.
    srv.kill_save_child();
    if !srv.config.save_params.is_empty() {
        srv.save_now();
    }
    c.reply.ok();
    Ok(())
}

/// `SWAPDB index1 index2`
pub fn swapdb(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let a = parse_db_index(args.get(1)).map_err(|_| CmdError::InvalidFirstDbIndex)?;
    let b = parse_db_index(args.get(2)).map_err(|_| CmdError::InvalidSecondDbIndex)?;
    let n = srv.db_count() as i64;
    if !(0..n).contains(&a) || !(0..n).contains(&b) {
        return Err(CmdError::DbIndexOutOfRange);
    }
    srv.swap_dbs(a as usize, b as usize);
    srv.dirty += 1;
    c.reply.ok();
    Ok(())
}

/// `TIME`
pub fn time(_srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    c.reply.array_len(2);
    c.reply.bulk_int(now.as_secs() as i64);
    c.reply.bulk_int(i64::from(now.subsec_micros()));
    Ok(())
}

/// `SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT]`
pub fn shutdown(srv: &mut Server, _c: &mut Client, args: &Args) -> CmdResult {
    let (mut nosave, mut save, mut abort) = (false, false, false);
    let (mut now, mut force) = (false, false);
    for i in 1..args.len() {
        if args.is(i, "nosave") {
            nosave = true;
        } else if args.is(i, "save") {
            save = true;
        } else if args.is(i, "now") {
            now = true;
        } else if args.is(i, "force") {
            force = true;
        } else if args.is(i, "abort") {
            abort = true;
        } else {
            return Err(CmdError::Syntax);
        }
    }
    if (abort && (nosave || save || now || force)) || (nosave && save) {
        return Err(CmdError::Syntax);
    }
    // While a script is busy only SHUTDOWN NOSAVE may stop the server.
    if !nosave && srv.scripting.is_busy() {
        return Err(CmdError::Message(srv.scripting.busy_error().into()));
    }
    if abort {
        // Shutdown is immediate here: there is never one in progress to abort.
        return Err(CmdError::Message("ERR No shutdown in progress.".into()));
    }
    let mut flags = 0;
    for (on, flag) in [
        (nosave, SHUTDOWN_NOSAVE),
        (save, SHUTDOWN_SAVE),
        (force, SHUTDOWN_FORCE),
    ] {
        if on {
            flags |= flag;
        }
    }
    // A partial dataset is never saved.
    if srv.is_loading() {
        flags = flags & !SHUTDOWN_SAVE | SHUTDOWN_NOSAVE;
    }
    if !srv.shutdown_save(flags) {
        return Err(CmdError::ShutdownFailed(
            "Errors trying to SHUTDOWN. Check logs.",
        ));
    }
    srv.shutdown = Some(ShutdownRequest::Command);
    Ok(())
}

const CONFIG_HELP: &[&str] = &[
    "GET <pattern>",
    "    Return parameters matching the glob-like <pattern> and their values.",
    "SET <directive> <value>",
    "    Set the configuration <directive> to <value>.",
    "RESETSTAT",
    "    Reset statistics reported by the INFO command.",
    "REWRITE",
    "    Rewrite the configuration file.",
];

/// `CONFIG HELP`
pub fn config_help(_srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    reply_help(c, args, CONFIG_HELP);
    Ok(())
}

/// `CONFIG GET parameter [parameter ...]`
pub fn config_get(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let patterns: Vec<&[u8]> = args.iter().skip(2).collect();
    let pairs = srv.config.get_reply(&patterns);
    c.reply.map_len(pairs.len());
    for (name, value) in &pairs {
        c.reply.bulk(name);
        c.reply.bulk(value);
    }
    Ok(())
}

/// `CONFIG SET parameter value [parameter value ...]`
pub fn config_set(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let rest: Vec<&[u8]> = args.iter().skip(2).collect();
    let before = srv.config.clone();
    let changed = srv
        .config
        .set_from_client(&rest, c.is_local())
        .map_err(|m| CmdError::Message(m.into()))?;
    for name in changed {
        if let Err(reason) = srv.apply_config_change(name, &before) {
            srv.config = before;
            return Err(CmdError::Message(Config::set_failure(name, reason).into()));
        }
    }
    c.reply.ok();
    Ok(())
}

/// `CONFIG RESETSTAT`
pub fn config_resetstat(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    srv.reset_stats();
    c.reply.ok();
    Ok(())
}

/// `CONFIG REWRITE`
pub fn config_rewrite(srv: &mut Server, c: &mut Client, _args: &Args) -> CmdResult {
    let users: Vec<Vec<u8>> = srv
        .acl
        .users
        .values()
        .map(|u| {
            let mut line = u.name.clone();
            line.push(b' ');
            line.extend_from_slice(&u.describe(&srv.commands));
            line
        })
        .collect();
    srv.config
        .rewrite_with_users(Some(&users))
        .map_err(|m| CmdError::Message(m.into()))?;
    log::info!("CONFIG REWRITE executed with success.");
    c.reply.ok();
    Ok(())
}
