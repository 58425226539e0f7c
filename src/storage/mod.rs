//! The keyspace: databases of keys and values, the encodings of the data
//! types, and the glob matcher used to select keys (and configuration
//! names) by pattern.

pub mod blob;
pub mod db;
pub mod dict;
pub mod digest;
pub mod float;
pub mod geohash;
pub mod glob;
pub mod hash;
pub mod hyperloglog;
pub mod id_map;
pub mod intset;
pub mod lazyfree;
pub mod listpack;
pub mod pqsort;
pub mod quicklist;
pub mod set;
pub mod skiplist;
pub mod stream;
pub mod stream_group;
pub mod stream_id;
pub mod value;
pub mod ziplist;
pub mod zset;
