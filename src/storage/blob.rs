//! A byte string of fixed length in an allocation of exactly its size, behind a
//! thin pointer and a 32-bit length, with a 16-bit field for its owner in
//! the room a `Box<[u8]>` spends on a 64-bit length: a small value keeps
//! its bytes and a number of its own in the 16 bytes a keyspace value
//! allows its variants.
//!
//! It holds the entries of the listpacks that small hashes and sorted sets
//! keep by the million, where every byte of per-value overhead shows; the
//! bytes come from [`memory::alloc_bytes`], whose small blocks carry no
//! allocator header.

use std::ptr::NonNull;

use crate::server::memory;

pub struct Blob {
    /// The bytes, or a dangling pointer when there are none.
    ptr: NonNull<u8>,
    len: u32,
    /// The owner's field.
    pub aux: u16,
}

// SAFETY: a Blob owns its bytes as a Box<[u8]> would and never shares them.
unsafe impl Send for Blob {}
// SAFETY: shared access only reads.
unsafe impl Sync for Blob {}

impl Blob {
    /// A copy of `bytes`, which must be shorter than 4 GB (listpacks
    /// are far shorter: writers keep them under a gigabyte, and a loaded
    /// one's own header holds its size in 32 bits).
    pub fn new(bytes: &[u8], aux: u16) -> Blob {
        let len = u32::try_from(bytes.len()).expect("blobs are shorter than 4 GB");
        if len == 0 {
            return Blob {
                ptr: NonNull::dangling(),
                len,
                aux,
            };
        }
        let ptr = memory::alloc_bytes(bytes.len());
        // SAFETY: the new allocation holds `len` bytes and cannot overlap `bytes`.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), ptr.as_ptr(), bytes.len()) };
        Blob { ptr, len, aux }
    }

    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: `ptr` holds `len` initialised bytes (or is dangling with
        // length 0), owned by this blob for its whole life.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len as usize) }
    }

    /// The bytes, for changes that keep their length.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as in `as_slice`, and `&mut self` makes the access unique.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len as usize) }
    }

    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Drop for Blob {
    fn drop(&mut self) {
        if self.len != 0 {
            // SAFETY: allocated in `new` with this very length.
            unsafe { memory::free_bytes(self.ptr, self.len as usize) }
        }
    }
}

impl Clone for Blob {
    fn clone(&self) -> Blob {
        Blob::new(self.as_slice(), self.aux)
    }
}

impl PartialEq for Blob {
    fn eq(&self, other: &Blob) -> bool {
        self.aux == other.aux && self.as_slice() == other.as_slice()
    }
}

impl Eq for Blob {}

impl std::fmt::Debug for Blob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} ({})", self.as_slice(), self.aux)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holds_its_bytes() {
        for len in [0usize, 1, 40, 1000] {
            let v: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let b = Blob::new(&v, 7);
            assert_eq!(
                (b.as_slice(), b.len(), b.is_empty()),
                (&v[..], len, len == 0)
            );
            assert_eq!(b.aux, 7);
            assert_eq!(b.clone(), b);
        }
        let mut b = Blob::new(b"abc", 0);
        b.as_mut_slice().copy_from_slice(b"xyz");
        assert_eq!(b.as_slice(), b"xyz");
        assert_eq!(std::mem::size_of::<Blob>(), 16);
        assert_eq!(std::mem::size_of::<Option<Blob>>(), 16);
    }
}
