//! The fuzz layer: seeded generators that feed every reader of untrusted
//! bytes random, truncated and damaged input, and check that nothing
//! panics, that bad input is refused with an error, and that the server
//! keeps serving.
//!
//! In process, thousands of cases a second: the RESP request parser
//! ([`parser`]), and the RDB file loader, the DUMP payload decoder, the AOF
//! command reader, the AOF file loader and the manifest parser
//! ([`loaders`]), each seeded with files and payloads that ferrodis's own
//! encoders and a real redis-server write. Against the binary, fewer
//! cases ([`server`]): damaged RESP on several connections, RESTORE of
//! damaged payloads, and start-up on damaged RDB and AOF files.
//!
//! Every generator runs for a bounded time ([`engine`]): a couple of
//! seconds in `make test`, `FERRODIS_FUZZ_SECONDS` each in `make fuzz`. The
//! seed is printed; a failure prints the case's seed and its input shrunk
//! to the bytes that matter, and `FERRODIS_FUZZ_SEED=<seed>` replays it.

mod engine;
mod loaders;
mod mutate;
mod parser;
mod server;
