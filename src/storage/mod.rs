//! The keyspace: databases of keys and values, and the glob matcher used to
//! select keys (and configuration names) by pattern.

pub mod db;
pub mod dict;
pub mod float;
pub mod glob;
pub mod listpack;
pub mod quicklist;
pub mod value;
pub mod ziplist;
