//! The hash type's two encodings, as Redis 7.0 keeps them: a listpack of
//! field, value, field, value... while the hash is small, and a hash table
//! once it is not.
//!
//! A hash starts as a listpack and becomes a table, once and for all, when
//! it would hold more than `hash-max-listpack-entries` fields or a field or
//! value longer than `hash-max-listpack-value` bytes (Redis never converts
//! back). The listpack is byte for byte the one Redis builds for the same
//! writes (appends for new fields, in-place replacement of values, deletion
//! of both elements), so DUMP payloads and RDB files match Redis's. The
//! table is the keyspace's own [`Dict`], whose small chunks keep a table of
//! a few hundred fields cheap, and whose cursor gives HSCAN Redis's
//! guarantees.

use super::dict::{Dict, Id};
use super::listpack::{self, Entry, ExactListpack, Listpack};
use super::value::Bytes;

/// The thresholds that decide the encoding (`hash-max-listpack-*`).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most fields a listpack may hold.
    pub entries: usize,
    /// Longest field or value a listpack may hold.
    pub value: usize,
}

/// The table form: fields to values.
pub type Table = Dict<Bytes, Bytes>;

/// A hash value.
pub enum Hash {
    /// `listpack`: fields and values alternating, in insertion order. Held
    /// in an exact-size box rather than behind one more pointer, so that a
    /// small hash costs the keyspace a single allocation, as in Redis.
    Listpack(ExactListpack),
    /// `hashtable`.
    Table(Box<Table>),
}

impl std::fmt::Debug for Hash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(self.iter().map(|(k, v)| (k.to_vec(), v.to_vec())))
            .finish()
    }
}

impl PartialEq for Hash {
    /// Same fields with the same values, whatever the encodings.
    fn eq(&self, other: &Hash) -> bool {
        self.len() == other.len()
            && self.iter().all(|(f, v)| {
                let mut buf = Default::default();
                other
                    .get(f.as_bytes(&mut buf))
                    .is_some_and(|o| entries_equal(o, v))
            })
    }
}

impl Eq for Hash {}

impl Clone for Hash {
    fn clone(&self) -> Hash {
        self.duplicate()
    }
}

/// Whether two elements hold the same bytes.
fn entries_equal(a: Entry<'_>, b: Entry<'_>) -> bool {
    let mut buf = Default::default();
    b.eq_bytes(a.as_bytes(&mut buf))
}

impl Default for Hash {
    fn default() -> Self {
        Self::new()
    }
}

impl Hash {
    /// An empty hash, encoded as a listpack.
    pub fn new() -> Hash {
        Hash::Listpack(Listpack::new().into_exact())
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        match self {
            Hash::Listpack(lp) => lp.len() / 2,
            Hash::Table(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `OBJECT ENCODING`'s answer.
    pub fn encoding(&self) -> &'static str {
        match self {
            Hash::Listpack(_) => "listpack",
            Hash::Table(_) => "hashtable",
        }
    }

    /// Position of `field`'s value in a listpack.
    fn value_pos(lp: &ExactListpack, field: &[u8]) -> Option<usize> {
        let pos = lp.find(lp.first()?, field, 1)?;
        lp.next(pos)
    }

    /// The value of `field`.
    pub fn get(&self, field: &[u8]) -> Option<Entry<'_>> {
        match self {
            Hash::Listpack(lp) => lp.get(Self::value_pos(lp, field)?),
            Hash::Table(t) => t.get(field).map(|v| Entry::Str(v.as_slice())),
        }
    }

    /// Whether `field` is present.
    pub fn contains(&self, field: &[u8]) -> bool {
        match self {
            Hash::Listpack(lp) => lp.first().and_then(|p| lp.find(p, field, 1)).is_some(),
            Hash::Table(t) => t.find(field).is_some(),
        }
    }

    /// Converts a listpack to a table when any of `strings` (the fields and
    /// values about to be written) is too long for it, or all of them
    /// together would grow it past the listpack's safety limit (Redis's
    /// `hashTypeTryConversion`).
    pub fn convert_for<'a>(&mut self, strings: impl Iterator<Item = &'a [u8]>, limits: Limits) {
        let Hash::Listpack(lp) = self else {
            return;
        };
        let mut sum = 0usize;
        let mut too_long = false;
        for s in strings {
            if s.len() > limits.value {
                too_long = true;
                break;
            }
            sum = sum.saturating_add(s.len());
        }
        if too_long || !lp.safe_to_add(sum) {
            self.convert();
        }
    }

    /// Sets `field` to `value`; true if the field is new. A listpack
    /// becomes a table first if either is too long for it, and after if it
    /// grew past `limits.entries` fields (Redis's `hashTypeSet`).
    pub fn set(&mut self, field: &[u8], value: &[u8], limits: Limits) -> bool {
        if matches!(self, Hash::Listpack(_))
            && (field.len() > limits.value || value.len() > limits.value)
        {
            self.convert();
        }
        match self {
            // Each edit reserves what it adds, so the bytes grow by one
            // reallocation to their new exact size, as Redis's `lpInsert`.
            Hash::Listpack(lp) => {
                if let Some(pos) = Self::value_pos(lp, field) {
                    let old = lp.entry_size(pos).unwrap_or(0);
                    let room = listpack::element_size(value).saturating_sub(old);
                    lp.edit(room, |lp| lp.replace(pos, value));
                    return false;
                }
                let room = listpack::element_size(field) + listpack::element_size(value);
                lp.edit(room, |lp| {
                    lp.push_back(field);
                    lp.push_back(value);
                });
                if lp.len() / 2 > limits.entries {
                    self.convert();
                }
                true
            }
            Hash::Table(t) => match t.lookup(field) {
                Ok(id) => {
                    *t.value_mut(id) = Bytes::new(value);
                    false
                }
                Err(vacant) => {
                    t.add_vacant(
                        vacant,
                        Bytes::new(field),
                        Bytes::new(value),
                        Default::default(),
                    );
                    true
                }
            },
        }
    }

    /// Removes `field`; true if it was present.
    pub fn remove(&mut self, field: &[u8]) -> bool {
        match self {
            Hash::Listpack(lp) => {
                let Some(pos) = lp.first().and_then(|p| lp.find(p, field, 1)) else {
                    return false;
                };
                lp.edit(0, |lp| lp.delete_range_at(pos, 2));
                true
            }
            Hash::Table(t) => t.remove(field).is_some(),
        }
    }

    /// Turns a listpack into a table (Redis's `hashTypeConvertListpack`).
    pub fn convert(&mut self) {
        let Hash::Listpack(lp) = self else {
            return;
        };
        let mut t = Table::new();
        t.reserve(lp.len() / 2);
        let mut it = lp.iter();
        let mut buf = Default::default();
        while let (Some(f), Some(v)) = (it.next(), it.next()) {
            let mut vbuf = Default::default();
            t.insert(
                Bytes::new(f.as_bytes(&mut buf)),
                Bytes::new(v.as_bytes(&mut vbuf)),
            );
        }
        *self = Hash::Table(Box::new(t));
    }

    /// Fields and values, in the encoding's order.
    pub fn iter(&self) -> Iter<'_> {
        match self {
            Hash::Listpack(lp) => Iter::Listpack(lp.iter()),
            Hash::Table(t) => Iter::Table(Box::new(t.iter())),
        }
    }

    /// A sampler for random picks.
    pub fn sampler(&self) -> Sampler<'_> {
        match self {
            Hash::Listpack(lp) => {
                let mut fields = Vec::with_capacity(lp.len() / 2);
                let mut pos = lp.first();
                while let Some(p) = pos {
                    fields.push(p);
                    pos = lp.next(p).and_then(|v| lp.next(v));
                }
                Sampler::Listpack(lp, fields)
            }
            Hash::Table(t) => Sampler::Table(t),
        }
    }

    /// A copy, in the same encoding (COPY).
    pub fn duplicate(&self) -> Hash {
        match self {
            Hash::Listpack(lp) => Hash::Listpack(lp.clone()),
            Hash::Table(t) => {
                let mut copy = Table::new();
                copy.reserve(t.len());
                for (f, v) in t.iter() {
                    copy.insert(f.clone(), v.clone());
                }
                Hash::Table(Box::new(copy))
            }
        }
    }

    /// Heap bytes owned beyond the value itself.
    pub fn heap_size(&self) -> usize {
        match self {
            Hash::Listpack(lp) => lp.total_bytes(),
            Hash::Table(t) => {
                let entries: usize = t.iter().map(|(f, v)| f.heap_size() + v.heap_size()).sum();
                std::mem::size_of::<Table>() + t.buckets() * 4 + t.len() * t.entry_size() + entries
            }
        }
    }
}

/// Uniform random picks of a hash's pairs (HRANDFIELD).
pub enum Sampler<'a> {
    /// The listpack and the position of every field in it.
    Listpack(&'a ExactListpack, Vec<usize>),
    Table(&'a Table),
}

impl Sampler<'_> {
    /// One pair, picked with `rand`; None only for an empty hash.
    pub fn pick(&self, rand: &mut impl FnMut() -> u64) -> Option<(Entry<'_>, Entry<'_>)> {
        match self {
            Sampler::Listpack(lp, fields) => {
                if fields.is_empty() {
                    return None;
                }
                let pos = *fields.get((rand() % fields.len() as u64) as usize)?;
                Some((lp.get(pos)?, lp.get(lp.next(pos)?)?))
            }
            Sampler::Table(t) => t.random(rand).map(|id| table_pair(t, id)),
        }
    }
}

/// Iterator over a hash's fields and values.
pub enum Iter<'a> {
    Listpack(super::listpack::Iter<'a>),
    Table(Box<dyn Iterator<Item = (&'a Bytes, &'a Bytes)> + 'a>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = (Entry<'a>, Entry<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Iter::Listpack(it) => Some((it.next()?, it.next()?)),
            Iter::Table(it) => it
                .next()
                .map(|(f, v)| (Entry::Str(f.as_slice()), Entry::Str(v.as_slice()))),
        }
    }
}

/// Table entries by id, for callers that sample or scan the table.
pub fn table_pair(t: &Table, id: Id) -> (Entry<'_>, Entry<'_>) {
    (
        Entry::Str(t.key(id).as_slice()),
        Entry::Str(t.value(id).as_slice()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        entries: 4,
        value: 8,
    };

    fn set(h: &mut Hash, f: &str, v: &str) -> bool {
        h.convert_for([f.as_bytes(), v.as_bytes()].into_iter(), LIMITS);
        h.set(f.as_bytes(), v.as_bytes(), LIMITS)
    }

    fn value(h: &Hash, f: &str) -> Option<Vec<u8>> {
        h.get(f.as_bytes()).map(|e| e.to_vec())
    }

    #[test]
    fn listpack_until_a_threshold_then_table() {
        let mut h = Hash::new();
        assert!(set(&mut h, "a", "1"));
        assert!(!set(&mut h, "a", "2"));
        assert!(set(&mut h, "b", "x"));
        assert_eq!(h.encoding(), "listpack");
        assert_eq!(value(&h, "a").as_deref(), Some(&b"2"[..]));
        assert!(set(&mut h, "c", "x") && set(&mut h, "d", "x"));
        assert_eq!(h.encoding(), "listpack");
        assert!(set(&mut h, "e", "x"));
        assert_eq!(h.encoding(), "hashtable");
        assert_eq!(h.len(), 5);
        assert!(h.remove(b"e") && !h.remove(b"e"));
        assert_eq!(h.encoding(), "hashtable", "never converts back");
        let mut long = Hash::new();
        set(&mut long, "f", "123456789");
        assert_eq!(long.encoding(), "hashtable");
    }

    /// The listpack holds exactly what Redis's would: appends, in-place
    /// replacement, and both elements of a deleted pair removed.
    #[test]
    fn listpack_bytes_follow_the_writes() {
        let mut h = Hash::new();
        set(&mut h, "f1", "v1");
        set(&mut h, "f2", "12");
        set(&mut h, "f1", "longer");
        h.remove(b"f2");
        let mut lp = Listpack::new();
        lp.push_back(b"f1");
        lp.push_back(b"longer");
        let Hash::Listpack(got) = &h else {
            panic!("converted");
        };
        assert_eq!(&*got.encoded(), lp.as_bytes());
    }

    #[test]
    fn copies_compare_equal_across_encodings() {
        let mut a = Hash::new();
        set(&mut a, "x", "1");
        set(&mut a, "y", "abc");
        let mut b = a.duplicate();
        assert_eq!(a, b);
        b.convert();
        assert_eq!(b.encoding(), "hashtable");
        assert_eq!(a, b);
        assert!(b.contains(b"x") && !b.contains(b"z"));
        set(&mut b, "y", "abd");
        assert_ne!(a, b);
    }
}
