//! Test harness shared by every test module.
//!
//! * [`server`]: start ferrodis ([`TestServer`]) or real redis-server
//!   ([`RealRedis`]) on a free port in a private temp dir, killed on drop.
//! * [`conn`]: [`Conn`], a raw RESP client that returns exact reply bytes
//!   and never blocks forever.
//! * [`resp`]: framing/parsing of RESP2 and RESP3 replies, [`escape`].
//! * [`diff`]: differential testing against real Redis ([`diff`], [`Pair`],
//!   [`Case`], [`Mask`]).
//! * [`keyspace`]: masks for clock-dependent replies ([`keyspace::TTL`],
//!   [`keyspace::DEBUG_OBJECT`]), a full SCAN, INFO fields, bounded polling.
//! * [`rng`]: [`rng::Rng`], the seeded generator randomised tests draw from.
//! * [`tools`]: redis-cli / redis-benchmark / one-shot binary runs with
//!   deadlines.
//!
//! Helpers that only some test modules use would otherwise trip the
//! `dead_code` lint in this single test binary, hence the allow.
#![allow(dead_code, unused_imports)]

pub mod conn;
pub mod diff;
pub mod keyspace;
pub mod resp;
pub mod rng;
pub mod server;
pub mod tools;

pub use conn::{CloseState, Conn};
pub use diff::{
    canon, case, diff, diff_with, Case, Mask, Pair, Transcript, CLIENT_VOLATILE, CONFIG_VOLATILE,
};
pub use resp::{escape, parse, Reply};
pub use server::{on_both, on_builder, Builder, Flavor, RealRedis, Server, TestServer};
pub use tools::{
    assert_success, redis_benchmark, redis_cli, redis_cli_stdin, run_for, run_server_binary,
};

/// Deterministic pseudo-random bytes (xorshift) taking `distinct` different
/// values from 0: small alphabets compress well, 256 does not.
pub fn noise(len: usize, distinct: u64, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x % distinct) as u8
        })
        .collect()
}
