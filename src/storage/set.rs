//! The set type's two encodings, as Redis 7.0 keeps them: an intset while
//! every member is an integer and there are at most
//! `set-max-intset-entries` of them, a hash table of members otherwise.
//!
//! A set becomes a table, once and for all, when a member that is not an
//! integer in Redis's strict sense arrives or the intset would grow past
//! the limit (Redis's `setTypeAdd`); it never converts back. Redis 7.0 has
//! no listpack sets. The table is the keyspace's own [`Dict`] with no
//! values, whose cursor gives SSCAN Redis's guarantees.

use super::dict::{Dict, Id};
use super::intset::Intset;
use super::listpack::{Entry, IntBuf};
use super::value::Bytes;
use crate::protocol::parser::parse_i64_strict;

/// The table form: members, no values.
pub type Table = Dict<Bytes, ()>;

/// Redis caps the intset limit at 2^30 entries, whatever the setting.
const INTSET_MAX_CAP: usize = 1 << 30;

/// A set value.
pub enum Set {
    /// `intset`: sorted integers.
    Intset(Intset),
    /// `hashtable`.
    Table(Box<Table>),
}

impl std::fmt::Debug for Set {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set()
            .entries(self.iter().map(|m| m.to_vec()))
            .finish()
    }
}

impl PartialEq for Set {
    /// Same members, whatever the encodings.
    fn eq(&self, other: &Set) -> bool {
        self.len() == other.len()
            && self
                .iter()
                .all(|m| other.contains(m.as_bytes(&mut IntBuf::default())))
    }
}

impl Eq for Set {}

impl Clone for Set {
    fn clone(&self) -> Set {
        self.duplicate()
    }
}

impl Default for Set {
    fn default() -> Self {
        Set::Intset(Intset::new())
    }
}

impl Set {
    /// An empty set in the encoding Redis picks for a set whose first
    /// member is `first` (Redis 7.0's `setTypeCreate`).
    pub fn for_member(first: &[u8]) -> Set {
        if parse_i64_strict(first).is_some() {
            Set::default()
        } else {
            Set::Table(Box::default())
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Set::Intset(s) => s.len(),
            Set::Table(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `OBJECT ENCODING`'s answer.
    pub fn encoding(&self) -> &'static str {
        match self {
            Set::Intset(_) => "intset",
            Set::Table(_) => "hashtable",
        }
    }

    pub fn contains(&self, member: &[u8]) -> bool {
        match self {
            Set::Intset(s) => parse_i64_strict(member).is_some_and(|v| s.contains(v)),
            Set::Table(t) => t.find(member).is_some(),
        }
    }

    /// Whether an integer is a member, without formatting it for an intset.
    pub fn contains_entry(&self, member: Entry<'_>) -> bool {
        match (self, member) {
            (Set::Intset(s), Entry::Int(v)) => s.contains(v),
            (_, m) => self.contains(m.as_bytes(&mut IntBuf::default())),
        }
    }

    /// Adds `member`; true if it is new. `max_intset` is
    /// `set-max-intset-entries`.
    pub fn add(&mut self, member: &[u8], max_intset: usize) -> bool {
        if let Set::Intset(s) = self {
            match parse_i64_strict(member) {
                Some(v) => {
                    if !s.insert(v) {
                        return false;
                    }
                    if s.len() > max_intset.min(INTSET_MAX_CAP) {
                        self.convert();
                    }
                    return true;
                }
                None => self.convert(),
            }
        }
        match self {
            Set::Table(t) => match t.lookup(member) {
                Ok(_) => false,
                Err(vacant) => {
                    t.add_vacant(vacant, Bytes::new(member), (), Default::default());
                    true
                }
            },
            Set::Intset(_) => false,
        }
    }

    /// [`add`](Self::add) of a member in hand, without formatting an
    /// integer bound for an intset.
    pub fn add_entry(&mut self, member: Entry<'_>, max_intset: usize) -> bool {
        match (&mut *self, member) {
            (Set::Intset(s), Entry::Int(v)) => {
                if !s.insert(v) {
                    return false;
                }
                if s.len() > max_intset.min(INTSET_MAX_CAP) {
                    self.convert();
                }
                true
            }
            (_, m) => self.add(m.as_bytes(&mut IntBuf::default()), max_intset),
        }
    }

    /// Removes `member`; true if it was present.
    pub fn remove(&mut self, member: &[u8]) -> bool {
        match self {
            Set::Intset(s) => parse_i64_strict(member).is_some_and(|v| s.remove(v)),
            Set::Table(t) => t.remove(member).is_some(),
        }
    }

    /// Turns an intset into a table (Redis's `setTypeConvert`).
    pub fn convert(&mut self) {
        let Set::Intset(s) = self else {
            return;
        };
        let mut t = Table::new();
        t.reserve(s.len());
        let mut tmp = IntBuf::default();
        for v in s.iter() {
            t.insert(
                Bytes::new(crate::protocol::reply::format_i64(v, &mut tmp)),
                (),
            );
        }
        *self = Set::Table(Box::new(t));
    }

    /// Members, in the encoding's order (ascending for an intset).
    pub fn iter(&self) -> Iter<'_> {
        match self {
            Set::Intset(s) => Iter::Intset(s, 0),
            Set::Table(t) => Iter::Table(Box::new(t.iter().map(|(m, _)| Entry::Str(m.as_slice())))),
        }
    }

    /// Every member's slot: an intset index or a table entry id, for
    /// callers that pick members at random and must not pick one twice.
    pub fn slots(&self) -> Vec<Id> {
        match self {
            Set::Intset(s) => (0..s.len() as Id).collect(),
            Set::Table(t) => t.ids().collect(),
        }
    }

    /// A uniformly random member's slot; None only for an empty set.
    pub fn random_slot(&self, rand: &mut impl FnMut() -> u64) -> Option<Id> {
        match self {
            Set::Intset(s) if s.is_empty() => None,
            Set::Intset(s) => Some((rand() % s.len() as u64) as Id),
            Set::Table(t) => t.random(rand),
        }
    }

    /// The member in `slot`.
    pub fn at(&self, slot: Id) -> Option<Entry<'_>> {
        match self {
            Set::Intset(s) => s.get(slot as usize).map(Entry::Int),
            Set::Table(t) => Some(Entry::Str(t.key(slot).as_slice())),
        }
    }

    /// A copy, in the same encoding (COPY).
    pub fn duplicate(&self) -> Set {
        match self {
            Set::Intset(s) => Set::Intset(s.clone()),
            Set::Table(t) => {
                let mut copy = Table::new();
                copy.reserve(t.len());
                for (m, _) in t.iter() {
                    copy.insert(m.clone(), ());
                }
                Set::Table(Box::new(copy))
            }
        }
    }

    /// Heap bytes owned beyond the value itself.
    pub fn heap_size(&self) -> usize {
        match self {
            Set::Intset(s) => s.heap_size(),
            Set::Table(t) => {
                let members: usize = t.iter().map(|(m, _)| m.heap_size()).sum();
                std::mem::size_of::<Table>() + t.buckets() * 4 + t.len() * t.entry_size() + members
            }
        }
    }
}

/// Iterator over a set's members.
pub enum Iter<'a> {
    /// The intset and the next index.
    Intset(&'a Intset, usize),
    Table(Box<dyn Iterator<Item = Entry<'a>> + 'a>),
}

impl<'a> Iterator for Iter<'a> {
    type Item = Entry<'a>;

    fn next(&mut self) -> Option<Entry<'a>> {
        match self {
            Iter::Intset(s, i) => {
                let v = s.get(*i)?;
                *i += 1;
                Some(Entry::Int(v))
            }
            Iter::Table(it) => it.next(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(s: &Set) -> Vec<Vec<u8>> {
        let mut m: Vec<Vec<u8>> = s.iter().map(|e| e.to_vec()).collect();
        m.sort();
        m
    }

    #[test]
    fn intset_until_a_string_or_the_limit() {
        let mut s = Set::for_member(b"1");
        assert!(s.add(b"1", 3) && !s.add(b"1", 3));
        assert!(s.add(b"-2", 3) && s.add(b"3", 3));
        assert_eq!(s.encoding(), "intset");
        assert!(s.contains(b"-2") && !s.contains(b"02") && !s.contains(b"x"));
        assert!(s.add(b"4", 3));
        assert_eq!(s.encoding(), "hashtable");
        assert!(s.remove(b"4") && s.remove(b"3") && s.remove(b"-2"));
        assert_eq!(s.encoding(), "hashtable", "never converts back");
        let mut t = Set::for_member(b"1");
        t.add(b"1", 512);
        t.add(b"01", 512);
        assert_eq!(t.encoding(), "hashtable");
        assert_eq!(members(&t), [b"01".to_vec(), b"1".to_vec()]);
        assert_eq!(Set::for_member(b"a").encoding(), "hashtable");
    }

    #[test]
    fn copies_and_slots() {
        let mut a = Set::default();
        for m in [&b"5"[..], b"7", b"9"] {
            a.add(m, 512);
        }
        let mut b = a.duplicate();
        assert_eq!(a, b);
        b.convert();
        assert_eq!(a, b);
        for s in [&a, &b] {
            let mut seen: Vec<Vec<u8>> = s
                .slots()
                .into_iter()
                .filter_map(|id| s.at(id).map(|e| e.to_vec()))
                .collect();
            seen.sort();
            assert_eq!(seen, members(s));
            let mut r = 7u64;
            let slot = s.random_slot(&mut || {
                r += 1;
                r
            });
            assert!(slot.and_then(|id| s.at(id)).is_some());
        }
        assert!(b.add_entry(Entry::Int(11), 512) && a.add_entry(Entry::Int(11), 512));
        assert!(a.contains_entry(Entry::Int(11)) && b.contains_entry(Entry::Int(11)));
        assert_eq!(a, b);
    }
}
