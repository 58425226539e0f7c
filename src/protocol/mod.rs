//! RESP, the Redis wire protocol: the incremental request parser and the
//! reply writers for RESP2 and RESP3.

pub mod parser;
pub mod reply;
