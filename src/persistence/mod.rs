//! Persistence: Redis's own on-disk formats, so a data directory can move
//! between Redis and ferrodis in either direction.
//!
//! [`rdb`] holds the RDB encodings. DUMP and RESTORE already speak them (a
//! DUMP payload is one RDB-encoded value with a version and checksum), and
//! full snapshots are built from the same pieces. [`aof`] holds the
//! append-only file: its manifest, reader, writer and rewrite.

pub mod aof;
pub mod rdb;
