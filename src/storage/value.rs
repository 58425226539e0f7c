//! Keys and values as the keyspace stores them.
//!
//! Both are 24 bytes. Keys and string values up to 22 bytes are stored
//! inline, without a heap allocation; integers are stored as `i64`, so INCR
//! never formats or parses. String values also remember the encoding Redis
//! would report (`int`, `embstr`, `raw`), since `OBJECT ENCODING` and
//! clients that inspect it see the difference: a string written by APPEND or
//! SETRANGE is `raw` even when short, and only SET-like commands produce
//! `embstr` (up to 44 bytes) or `int`.

use std::borrow::Cow;

use super::dict::DictKey;
use super::hash::Hash;
use super::quicklist::Quicklist;
use super::set::Set;
use super::stream::Stream;
use super::zset::ZSet;

/// Longest byte string kept inline.
pub const INLINE_MAX: usize = 22;
/// Longest string Redis stores as `embstr` (`OBJ_ENCODING_EMBSTR_SIZE_LIMIT`).
pub const EMBSTR_MAX: usize = 44;
/// Integers Redis keeps as shared objects, 0 to this bound (`OBJ_SHARED_INTEGERS`).
const SHARED_INTEGERS: i64 = 10000;
/// Longest string Redis tries to read as an integer (`LONG_STR_SIZE`... 20 digits and a sign).
const INT_CANDIDATE_MAX: usize = 20;

/// An immutable byte string: inline when short, boxed otherwise.
#[derive(Clone, PartialEq, Eq)]
pub enum Bytes {
    Inline { len: u8, buf: [u8; INLINE_MAX] },
    Heap(Box<[u8]>),
}

impl Bytes {
    pub fn new(b: &[u8]) -> Self {
        if b.len() <= INLINE_MAX {
            let mut buf = [0u8; INLINE_MAX];
            buf[..b.len()].copy_from_slice(b);
            Bytes::Inline {
                len: b.len() as u8,
                buf,
            }
        } else {
            Bytes::Heap(b.into())
        }
    }

    pub fn as_slice(&self) -> &[u8] {
        match self {
            Bytes::Inline { len, buf } => &buf[..*len as usize],
            Bytes::Heap(b) => b,
        }
    }

    /// Heap bytes this value owns beyond its own 24.
    pub fn heap_size(&self) -> usize {
        match self {
            Bytes::Inline { .. } => 0,
            Bytes::Heap(b) => b.len(),
        }
    }
}

impl std::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", String::from_utf8_lossy(self.as_slice()))
    }
}

impl DictKey for Bytes {
    fn key_bytes(&self) -> &[u8] {
        self.as_slice()
    }
}

/// A string value and the encoding Redis would give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Str {
    /// `int`: a decimal integer stored as one. Redis shares small ones
    /// between keys (`OBJECT REFCOUNT` shows that).
    Int(i64),
    /// `int` too, but a private copy (COPY duplicates the object, so Redis
    /// never reports it as shared).
    UnsharedInt(i64),
    /// `embstr`: written whole by a SET-like command, at most 44 bytes.
    Embstr(Bytes),
    /// `raw`: long, or modified in place (APPEND, SETRANGE, SETBIT...).
    Raw(Box<Vec<u8>>),
}

impl Str {
    /// The encoding Redis picks for a freshly written string (`tryObjectEncoding`).
    pub fn from_bytes(b: &[u8]) -> Str {
        if b.len() <= INT_CANDIDATE_MAX {
            if let Some(i) = crate::protocol::parser::parse_i64_strict(b) {
                return Str::Int(i);
            }
        }
        Str::plain(b)
    }

    /// A string as Redis's `createStringObject` makes it: never an integer,
    /// `embstr` up to 44 bytes, `raw` above (INCRBYFLOAT results, for one).
    pub fn plain(b: &[u8]) -> Str {
        if b.len() <= EMBSTR_MAX {
            Str::Embstr(Bytes::new(b))
        } else {
            Str::Raw(Box::new(b.to_vec()))
        }
    }

    /// A copy as Redis's `dupStringObject` makes it (COPY).
    pub fn duplicate(&self) -> Str {
        match self {
            Str::Int(i) | Str::UnsharedInt(i) => Str::UnsharedInt(*i),
            other => other.clone(),
        }
    }

    /// Whether Redis would report this value as one of its shared integer
    /// objects, given whether the memory policy allows sharing.
    pub fn is_shared(&self, sharing_allowed: bool) -> bool {
        matches!(self, Str::Int(i) if sharing_allowed && (0..SHARED_INTEGERS).contains(i))
    }

    /// The string's bytes (integers are formatted into `tmp`).
    pub fn bytes<'a>(&'a self, tmp: &'a mut [u8; 20]) -> &'a [u8] {
        match self {
            Str::Int(i) | Str::UnsharedInt(i) => crate::protocol::reply::format_i64(*i, tmp),
            Str::Embstr(b) => b.as_slice(),
            Str::Raw(v) => v,
        }
    }

    /// The bytes as an owned-or-borrowed slice, for callers without a buffer at hand.
    pub fn to_cow(&self) -> Cow<'_, [u8]> {
        match self {
            Str::Int(i) | Str::UnsharedInt(i) => Cow::Owned(i.to_string().into_bytes()),
            Str::Embstr(b) => Cow::Borrowed(b.as_slice()),
            Str::Raw(v) => Cow::Borrowed(v),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Str::Int(i) | Str::UnsharedInt(i) => {
                let mut tmp = [0u8; 20];
                crate::protocol::reply::format_i64(*i, &mut tmp).len()
            }
            Str::Embstr(b) => b.as_slice().len(),
            Str::Raw(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value as an integer, if it is one in Redis's strict sense.
    pub fn as_int(&self) -> Option<i64> {
        match self {
            Str::Int(i) | Str::UnsharedInt(i) => Some(*i),
            Str::Embstr(b) => crate::protocol::parser::parse_i64_strict(b.as_slice()),
            Str::Raw(v) if v.len() <= INT_CANDIDATE_MAX => {
                crate::protocol::parser::parse_i64_strict(v)
            }
            Str::Raw(_) => None,
        }
    }

    /// Mutable bytes for in-place edits; the value becomes `raw`, as Redis's
    /// `dbUnshareStringValue` makes it.
    pub fn make_raw(&mut self) -> &mut Vec<u8> {
        if !matches!(self, Str::Raw(_)) {
            let bytes = self.to_cow().into_owned();
            *self = Str::Raw(Box::new(bytes));
        }
        match self {
            Str::Raw(v) => v,
            _ => unreachable!("just made raw"),
        }
    }

    /// Redis's name for the encoding.
    pub fn encoding(&self) -> &'static str {
        match self {
            Str::Int(_) | Str::UnsharedInt(_) => "int",
            Str::Embstr(_) => "embstr",
            Str::Raw(_) => "raw",
        }
    }

    /// Heap bytes owned beyond the value itself.
    pub fn heap_size(&self) -> usize {
        match self {
            Str::Int(_) | Str::UnsharedInt(_) => 0,
            Str::Embstr(b) => b.heap_size(),
            Str::Raw(v) => std::mem::size_of::<Vec<u8>>() + v.capacity(),
        }
    }
}

/// A value in the keyspace. Other types join as variants holding a box (or,
/// like a hash, at most 16 bytes of their own), so the value stays 24 bytes
/// whatever the type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Str(Str),
    Hash(Hash),
    List(Box<Quicklist>),
    Set(Set),
    ZSet(ZSet),
    Stream(Box<Stream>),
}

/// The type of a value, as `TYPE` names it and WRONGTYPE checks compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    Hash,
    List,
    Set,
    ZSet,
    Stream,
}

impl Value {
    pub fn kind(&self) -> Kind {
        match self {
            Value::Str(_) => Kind::String,
            Value::Hash(_) => Kind::Hash,
            Value::List(_) => Kind::List,
            Value::Set(_) => Kind::Set,
            Value::ZSet(_) => Kind::ZSet,
            Value::Stream(_) => Kind::Stream,
        }
    }

    /// `TYPE`'s answer.
    pub fn type_name(&self) -> &'static str {
        match self.kind() {
            Kind::String => "string",
            Kind::Hash => "hash",
            Kind::List => "list",
            Kind::Set => "set",
            Kind::ZSet => "zset",
            Kind::Stream => "stream",
        }
    }

    /// How many allocations freeing the value takes, as Redis's
    /// `lazyfreeGetFreeEffort` counts them: a list's or stream's nodes, a
    /// table's entries, a skiplist's members; 1 for anything in one piece.
    pub fn free_effort(&self) -> usize {
        match self {
            Value::List(l) => l.stats().nodes,
            // Each group is an allocation and so is each pending entry;
            // Redis takes the first group's PEL as every group's.
            Value::Stream(s) => {
                let groups = s.groups.as_deref().map_or(0, |g| {
                    g.len() * (1 + g.iter().next().map_or(0, |(_, first)| first.pel_len()))
                });
                s.node_count() + groups
            }
            Value::Hash(Hash::Table(t)) => t.len(),
            Value::Set(Set::Table(t)) => t.len(),
            Value::ZSet(z @ ZSet::Skiplist(_)) => z.len(),
            _ => 1,
        }
    }

    /// A copy as COPY makes it.
    pub fn duplicate(&self) -> Value {
        match self {
            Value::Str(s) => Value::Str(s.duplicate()),
            Value::Hash(h) => Value::Hash(h.duplicate()),
            Value::List(l) => Value::List(Box::new(l.duplicate())),
            Value::Set(s) => Value::Set(s.duplicate()),
            Value::ZSet(z) => Value::ZSet(z.duplicate()),
            Value::Stream(s) => Value::Stream(s.clone()),
        }
    }

    /// `OBJECT REFCOUNT`'s answer: shared integers report Redis's
    /// `OBJ_SHARED_REFCOUNT`, everything else 1.
    pub fn refcount(&self, sharing_allowed: bool) -> i64 {
        match self {
            Value::Str(s) if s.is_shared(sharing_allowed) => i64::from(i32::MAX),
            _ => 1,
        }
    }

    /// `OBJECT ENCODING`'s answer.
    pub fn encoding(&self) -> &'static str {
        match self {
            Value::Str(s) => s.encoding(),
            Value::Hash(h) => h.encoding(),
            Value::List(_) => "quicklist",
            Value::Set(s) => s.encoding(),
            Value::ZSet(z) => z.encoding(),
            Value::Stream(_) => "stream",
        }
    }

    pub fn heap_size(&self) -> usize {
        match self {
            Value::Str(s) => s.heap_size(),
            Value::Hash(h) => h.heap_size(),
            Value::List(l) => std::mem::size_of::<Quicklist>() + l.heap_size(),
            Value::Set(s) => s.heap_size(),
            Value::ZSet(z) => z.heap_size(),
            Value::Stream(s) => s.heap_size(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(std::mem::size_of::<Bytes>(), 24);
        assert_eq!(std::mem::size_of::<Value>(), 24);
        assert_eq!(std::mem::size_of::<Hash>(), 16);
        assert_eq!(std::mem::size_of::<Set>(), 16);
        assert_eq!(std::mem::size_of::<ZSet>(), 16);
        let dict: crate::storage::dict::Dict<Bytes, Value> = Default::default();
        assert_eq!(dict.entry_size(), 56);
    }

    #[test]
    fn encodings_follow_redis() {
        assert_eq!(Str::from_bytes(b"12345").encoding(), "int");
        assert_eq!(Str::from_bytes(b"-9223372036854775808").encoding(), "int");
        assert_eq!(Str::from_bytes(b"9223372036854775808").encoding(), "embstr");
        assert_eq!(Str::from_bytes(b"012").encoding(), "embstr");
        assert_eq!(Str::from_bytes(&[b'a'; 44]).encoding(), "embstr");
        assert_eq!(Str::from_bytes(&[b'a'; 45]).encoding(), "raw");
        let mut s = Str::from_bytes(b"abc");
        s.make_raw().extend_from_slice(b"def");
        assert_eq!(s.encoding(), "raw");
        assert_eq!(&*s.to_cow(), b"abcdef");
    }

    #[test]
    fn bytes_round_trip() {
        for len in [0, 1, 22, 23, 100] {
            let v: Vec<u8> = (0..len as u8).collect();
            assert_eq!(Bytes::new(&v).as_slice(), &v[..]);
        }
        let mut tmp = [0u8; 20];
        assert_eq!(Str::Int(-42).bytes(&mut tmp), b"-42");
    }
}
