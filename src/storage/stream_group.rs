//! The consumer groups of a stream. Streams carry an optional box of
//! them (`Stream::groups`), so a stream without groups pays one pointer;
//! the groups, their pending entries and consumers live here.

/// A stream's consumer groups.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Groups {}

impl Groups {
    /// Number of groups.
    pub fn len(&self) -> usize {
        0
    }

    pub fn is_empty(&self) -> bool {
        true
    }

    /// Heap bytes the groups own, for MEMORY USAGE.
    pub fn heap_size(&self) -> usize {
        0
    }
}
