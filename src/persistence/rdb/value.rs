//! One value with its type byte: the unit both DUMP payloads and snapshot
//! entries are made of.
//!
//! Each data type keeps its own encoding in its own module; this one only
//! maps [`Value`] variants to type bytes and back, so a new type adds a
//! module and one arm to each `match` here. A snapshot puts the key between
//! the type byte and the value, so both halves are also available apart
//! ([`type_of`] and [`write_body`], [`read_body`]).

#![deny(clippy::indexing_slicing)]

use super::{hash, list, set, stream, string, zset, RdbError, Reader};
use crate::storage::quicklist::Options;
use crate::storage::value::Value;

/// The encoding thresholds loaded values are fitted to, as Redis fits
/// them on load (the `*-max-listpack-*` settings); each type adds its own.
#[derive(Debug, Clone, Copy)]
pub struct Thresholds {
    pub hash: crate::storage::hash::Limits,
    pub list: Options,
    /// `set-max-intset-entries`.
    pub set_intset: usize,
    pub zset: crate::storage::zset::Limits,
}

impl Thresholds {
    /// Redis's defaults.
    pub const DEFAULT: Thresholds = Thresholds {
        hash: crate::storage::hash::Limits {
            entries: 512,
            value: 64,
        },
        list: Options { fill: -2, depth: 0 },
        set_intset: 512,
        zset: crate::storage::zset::Limits {
            entries: 128,
            value: 64,
        },
    };

    /// The thresholds `config` sets.
    pub fn of(config: &crate::config::Config) -> Thresholds {
        Thresholds {
            hash: crate::storage::hash::Limits {
                entries: config.hash_max_listpack_entries,
                value: config.hash_max_listpack_value,
            },
            list: Options {
                fill: config.list_max_listpack_size,
                depth: config.list_compress_depth,
            },
            set_intset: config.set_max_intset_entries,
            zset: crate::storage::zset::Limits {
                entries: config.zset_max_listpack_entries,
                value: config.zset_max_listpack_value,
            },
        }
    }
}

/// Type byte of a string value (`RDB_TYPE_STRING`).
pub const TYPE_STRING: u8 = 0;

/// Every type byte Redis 7.0 defines, with the type and encoding it
/// announces, so an error about a value ferrodis cannot load yet says
/// which one it is.
const TYPE_NAMES: &[(u8, &str)] = &[
    (0, "string"),
    (1, "list, linked list"),
    (2, "set, hash table"),
    (3, "zset, text scores"),
    (4, "hash, hash table"),
    (5, "zset, binary scores"),
    (6, "module value, pre-release format"),
    (7, "module value"),
    (9, "hash, zipmap"),
    (10, "list, ziplist"),
    (11, "set, intset"),
    (12, "zset, ziplist"),
    (13, "hash, ziplist"),
    (14, "list, quicklist"),
    (15, "stream, listpacks"),
    (16, "hash, listpack"),
    (17, "zset, listpack"),
    (18, "list, quicklist of listpacks"),
    (19, "stream, listpacks with consumer group metadata"),
];

/// The type and encoding a type byte stands for, if Redis defines it.
pub fn type_name(t: u8) -> Option<&'static str> {
    TYPE_NAMES
        .iter()
        .find(|&&(byte, _)| byte == t)
        .map(|&(_, name)| name)
}

/// The type byte `value` is saved with.
pub fn type_of(value: &Value) -> u8 {
    match value {
        Value::Str(_) => TYPE_STRING,
        Value::Hash(h) => hash::type_of(h),
        Value::List(_) => list::TYPE_LIST_QUICKLIST_2,
        Value::Set(s) => set::type_of(s),
        Value::ZSet(z) => zset::type_of(z),
        Value::Stream(_) => stream::TYPE_STREAM_LISTPACKS_2,
    }
}

/// Appends the encoded value without its type byte.
pub fn write_body(out: &mut Vec<u8>, value: &Value, compress: bool) {
    match value {
        Value::Str(s) => string::write_value(out, s, compress),
        Value::Hash(h) => hash::write(out, h, compress),
        Value::List(l) => list::write_value(out, l, compress),
        Value::Set(s) => set::write(out, s, compress),
        Value::ZSet(z) => zset::write(out, z, compress),
        Value::Stream(s) => stream::write(out, s, compress),
    }
}

/// Appends the type byte and the encoded value.
pub fn write(out: &mut Vec<u8>, value: &Value, compress: bool) {
    out.push(type_of(value));
    write_body(out, value, compress);
}

/// Reads the value a type byte, already read, announces, in the encoding
/// `limits` give it (lists are created with the configured fill and
/// depth, as Redis creates them).
pub fn read_body(t: u8, r: &mut Reader, limits: &Thresholds) -> Result<Value, RdbError> {
    match t {
        TYPE_STRING => string::read_value(r).map(Value::Str),
        hash::TYPE_HASH
        | hash::TYPE_HASH_ZIPMAP
        | hash::TYPE_HASH_ZIPLIST
        | hash::TYPE_HASH_LISTPACK => hash::read(t, r, limits.hash).map(Value::Hash),
        list::TYPE_LIST
        | list::TYPE_LIST_ZIPLIST
        | list::TYPE_LIST_QUICKLIST
        | list::TYPE_LIST_QUICKLIST_2 => {
            list::read_value(t, r, limits.list).map(|l| Value::List(Box::new(l)))
        }
        set::TYPE_SET | set::TYPE_SET_INTSET => set::read(t, r, limits.set_intset).map(Value::Set),
        zset::TYPE_ZSET
        | zset::TYPE_ZSET_2
        | zset::TYPE_ZSET_ZIPLIST
        | zset::TYPE_ZSET_LISTPACK => zset::read(t, r, limits.zset).map(Value::ZSet),
        stream::TYPE_STREAM_LISTPACKS | stream::TYPE_STREAM_LISTPACKS_2 => {
            stream::read(t, r).map(|s| Value::Stream(Box::new(s)))
        }
        other => Err(RdbError::UnsupportedType(other)),
    }
}

/// Reads a type byte and the value it announces.
pub fn read(r: &mut Reader, limits: &Thresholds) -> Result<Value, RdbError> {
    let t = r.u8()?;
    read_body(t, r, limits)
}
