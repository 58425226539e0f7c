//! One value with its type byte: the unit both DUMP payloads and snapshot
//! entries are made of.
//!
//! Each data type keeps its own encoding in its own module; this one only
//! maps [`Value`] variants to type bytes and back, so a new type adds a
//! module and one arm to each `match` here.

use super::{string, RdbError, Reader};
use crate::storage::value::Value;

/// Type byte of a string value (`RDB_TYPE_STRING`).
pub const TYPE_STRING: u8 = 0;

/// Appends the type byte and the encoded value.
pub fn write(out: &mut Vec<u8>, value: &Value, compress: bool) {
    match value {
        Value::Str(s) => {
            out.push(TYPE_STRING);
            string::write_value(out, s, compress);
        }
    }
}

/// Reads a type byte and the value it announces.
pub fn read(r: &mut Reader) -> Result<Value, RdbError> {
    match r.u8()? {
        TYPE_STRING => string::read_value(r).map(Value::Str),
        other => Err(RdbError::UnsupportedType(other)),
    }
}
