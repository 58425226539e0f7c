//! ferrodis: a Redis 7.0 compatible server.
//!
//! One thread runs one `mio` event loop that owns every connection and the
//! whole keyspace, so nothing is locked. Bytes flow from a client's socket
//! through the resumable RESP parser ([`protocol`]) to the command table
//! ([`commands`]), whose handlers work on the keyspace ([`storage`]) and
//! write replies straight into the client's output buffer. [`server`] holds
//! the loop, the clients and the timed sweep; [`config`] the parameter table.

pub mod cli;
pub mod commands;
pub mod config;
pub mod persistence;
pub mod protocol;
pub mod scripting;
pub mod server;
pub mod storage;

/// Every binary and test linking this crate counts its heap use, so
/// `INFO memory` reports real numbers.
#[global_allocator]
static ALLOC: server::memory::CountingAlloc = server::memory::CountingAlloc;
