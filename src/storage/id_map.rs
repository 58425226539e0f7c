//! A map from dictionary entry ids to `u32`s, for a field only some
//! entries have: the keyspace keeps each volatile key's place in its expiry
//! index here rather than in every entry, which keeps entries 8 bytes
//! smaller (56 instead of 64).
//!
//! Ids are dense (the dictionary's arena hands out and reuses small
//! numbers), so the map is an array of pages of 4096 slots, each page
//! allocated the first time one of its ids gets a value: O(1) without
//! hashing, and no page is copied when the map grows. Pages are kept until
//! [`IdMap::clear`]; a database whose keys have no TTL has none.

use super::dict::Id;

/// Slots per page (log2).
const PAGE_BITS: u32 = 12;
const PAGE: usize = 1 << PAGE_BITS;

#[derive(Debug, Default)]
pub struct IdMap {
    pages: Vec<Option<Box<[u32; PAGE]>>>,
}

impl IdMap {
    fn locate(id: Id) -> (usize, usize) {
        let i = id as usize;
        (i >> PAGE_BITS, i & (PAGE - 1))
    }

    /// The value stored for `id`, 0 if none.
    pub fn get(&self, id: Id) -> u32 {
        let (p, o) = Self::locate(id);
        self.pages
            .get(p)
            .and_then(|page| page.as_ref())
            .map_or(0, |page| page[o])
    }

    /// Stores `v` for `id` (0 removes it).
    pub fn set(&mut self, id: Id, v: u32) {
        let (p, o) = Self::locate(id);
        if p >= self.pages.len() {
            if v == 0 {
                return;
            }
            self.pages.resize_with(p + 1, || None);
        }
        match &mut self.pages[p] {
            Some(page) => page[o] = v,
            None if v == 0 => {}
            slot => {
                let mut page = Box::new([0u32; PAGE]);
                page[o] = v;
                *slot = Some(page);
            }
        }
    }

    /// Forgets every value and gives the pages back.
    pub fn clear(&mut self) {
        self.pages = Vec::new();
    }

    /// Heap bytes the map holds.
    pub fn heap_size(&self) -> usize {
        self.pages.capacity() * std::mem::size_of::<Option<Box<[u32; PAGE]>>>()
            + self.pages.iter().flatten().count() * PAGE * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_by_id() {
        let mut m = IdMap::default();
        assert_eq!(m.get(5), 0);
        m.set(5, 0);
        assert_eq!(m.heap_size(), 0, "storing nothing allocates nothing");
        m.set(5, 7);
        m.set(70_000, 9);
        assert_eq!((m.get(5), m.get(70_000), m.get(6)), (7, 9, 0));
        m.set(5, 0);
        assert_eq!(m.get(5), 0);
        m.clear();
        assert_eq!(m.get(70_000), 0);
    }
}
