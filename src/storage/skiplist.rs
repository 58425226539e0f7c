//! The ordered half of a big sorted set: Redis's skiplist (`t_zset.c`),
//! elements ordered by score then member bytes, each level's links
//! carrying the number of elements they jump over (the span), so an
//! element's rank and the element at a rank are found in O(log n).
//!
//! Nodes live in one vector of 16-byte slots and link by index: a node
//! is its head slot (score, member id, backward link) followed by one slot
//! per level, so a search step touches one place in memory, as a Redis
//! node with its level array does. Freed nodes are reused by nodes of the
//! same height; nothing is unsafe. A node holds its member's id in the
//! sorted set's dictionary, not the member: the bytes are stored once, as
//! Redis shares one string between its dict and skiplist, and every method
//! that compares members is handed `key`, the lookup from id to bytes. The
//! node at slot 0 is the header, which holds no element.

/// Most levels a node may have (`ZSKIPLIST_MAXLEVEL`).
const MAX_LEVEL: usize = 32;
/// Chance of one more level, in quarters (`ZSKIPLIST_P` 0.25).
const LEVEL_ODDS: u64 = 4;
/// No node.
pub const NIL: u32 = u32::MAX;
/// The header node.
const HEAD: u32 = 0;

#[derive(Debug, Clone, Copy)]
struct Link {
    forward: u32,
    span: usize,
}

/// A node's head or one of its links, packed in two words:
/// head `a` = score bits, `b` = member id | backward << 32;
/// link `a` = forward | height << 32 (the node's number of levels, kept in
/// its first link), `b` = span.
#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    a: u64,
    b: u64,
}

const LOW: u64 = 0xffff_ffff;

/// A skiplist of (score, member) pairs; members are unique (the caller's
/// dictionary sees to that).
#[derive(Debug, Clone)]
pub struct Skiplist {
    slots: Vec<Slot>,
    /// Freed nodes by height.
    free: Vec<Vec<u32>>,
    tail: u32,
    len: usize,
    level: usize,
    rng: u64,
}

impl Default for Skiplist {
    fn default() -> Self {
        Self::new()
    }
}

/// Order of (score, member) pairs: by score, then by member bytes.
/// `(score, member) < (than_score, than_member)`. The members are only
/// fetched when the scores tie: fetching one reaches into the dictionary,
/// a cache miss per skiplist step otherwise.
fn less<'a>(
    score: f64,
    member: impl FnOnce() -> &'a [u8],
    than_score: f64,
    than_member: impl FnOnce() -> &'a [u8],
) -> bool {
    score < than_score || (score == than_score && member() < than_member())
}

impl Skiplist {
    pub fn new() -> Skiplist {
        let mut slots = vec![Slot::default(); 1 + MAX_LEVEL];
        slots[0].b = u64::from(NIL) << 32;
        for (i, slot) in slots.iter_mut().enumerate().skip(1) {
            slot.a = u64::from(NIL) | if i == 1 { (MAX_LEVEL as u64) << 32 } else { 0 };
        }
        Skiplist {
            slots,
            free: vec![Vec::new(); MAX_LEVEL + 1],
            tail: NIL,
            len: 0,
            level: 1,
            rng: 0x9E37_79B9_7F4A_7C15,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn link(&self, id: u32, i: usize) -> Link {
        let slot = self.slots[id as usize + 1 + i];
        Link {
            forward: (slot.a & LOW) as u32,
            span: slot.b as usize,
        }
    }

    fn set_link(&mut self, id: u32, i: usize, link: Link) {
        let slot = &mut self.slots[id as usize + 1 + i];
        slot.a = (slot.a & !LOW) | u64::from(link.forward);
        slot.b = link.span as u64;
    }

    fn add_span(&mut self, id: u32, i: usize, delta: isize) {
        let slot = &mut self.slots[id as usize + 1 + i];
        slot.b = slot.b.wrapping_add_signed(delta as i64);
    }

    fn height(&self, id: u32) -> usize {
        (self.slots[id as usize + 1].a >> 32) as usize
    }

    fn set_backward(&mut self, id: u32, back: u32) {
        let slot = &mut self.slots[id as usize];
        slot.b = (slot.b & LOW) | u64::from(back) << 32;
    }

    pub fn score(&self, id: u32) -> f64 {
        f64::from_bits(self.slots[id as usize].a)
    }

    /// The dictionary id of the node's member.
    pub fn elem(&self, id: u32) -> u32 {
        (self.slots[id as usize].b & LOW) as u32
    }

    /// The node after `id`, `NIL` at the end.
    pub fn next(&self, id: u32) -> u32 {
        self.link(id, 0).forward
    }

    /// The node before `id`, `NIL` at the start.
    pub fn prev(&self, id: u32) -> u32 {
        (self.slots[id as usize].b >> 32) as u32
    }

    pub fn first(&self) -> u32 {
        self.link(HEAD, 0).forward
    }

    pub fn last(&self) -> u32 {
        self.tail
    }

    /// Levels for a new node: each further level with probability 1/4.
    fn random_level(&mut self) -> usize {
        let mut level = 1;
        loop {
            // xorshift64*: the level only needs to be unpredictable enough
            // to keep the list balanced.
            self.rng ^= self.rng >> 12;
            self.rng ^= self.rng << 25;
            self.rng ^= self.rng >> 27;
            let r = self.rng.wrapping_mul(0x2545_F491_4F6C_DD1D);
            if level >= MAX_LEVEL || !(r >> 32).is_multiple_of(LEVEL_ODDS) {
                return level;
            }
            level += 1;
        }
    }

    /// For each level, the last node before (score, member) and its rank.
    fn path<'k>(
        &self,
        score: f64,
        member: &[u8],
        key: &impl Fn(u32) -> &'k [u8],
    ) -> ([u32; MAX_LEVEL], [usize; MAX_LEVEL]) {
        let mut update = [HEAD; MAX_LEVEL];
        let mut rank = [0usize; MAX_LEVEL];
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            rank[i] = if i == self.level - 1 { 0 } else { rank[i + 1] };
            loop {
                let link = self.link(x, i);
                if link.forward == NIL {
                    break;
                }
                let f = link.forward;
                if !less(self.score(f), || key(self.elem(f)), score, || member) {
                    break;
                }
                rank[i] += link.span;
                x = link.forward;
            }
            update[i] = x;
        }
        (update, rank)
    }

    /// Inserts the member with dictionary id `elem`, known to be absent;
    /// returns its node.
    pub fn insert<'k>(&mut self, score: f64, elem: u32, key: impl Fn(u32) -> &'k [u8]) -> u32 {
        let (mut update, mut rank) = self.path(score, key(elem), &key);
        let level = self.random_level();
        if level > self.level {
            for i in self.level..level {
                rank[i] = 0;
                update[i] = HEAD;
                let forward = self.link(HEAD, i).forward;
                self.set_link(
                    HEAD,
                    i,
                    Link {
                        forward,
                        span: self.len,
                    },
                );
            }
            self.level = level;
        }
        let id = match self.free[level].pop() {
            Some(id) => id,
            None => {
                let id = self.slots.len();
                self.slots.resize(id + 1 + level, Slot::default());
                id as u32
            }
        };
        self.slots[id as usize] = Slot {
            a: score.to_bits(),
            b: u64::from(elem) | u64::from(NIL) << 32,
        };
        self.slots[id as usize + 1].a = (level as u64) << 32;
        for i in 0..level {
            let prev = self.link(update[i], i);
            self.set_link(
                id,
                i,
                Link {
                    forward: prev.forward,
                    span: prev.span - (rank[0] - rank[i]),
                },
            );
            self.set_link(
                update[i],
                i,
                Link {
                    forward: id,
                    span: (rank[0] - rank[i]) + 1,
                },
            );
        }
        for (i, &u) in update.iter().enumerate().take(self.level).skip(level) {
            self.add_span(u, i, 1);
        }
        self.set_backward(id, if update[0] == HEAD { NIL } else { update[0] });
        let next = self.next(id);
        if next == NIL {
            self.tail = id;
        } else {
            self.set_backward(next, id);
        }
        self.len += 1;
        id
    }

    /// Removes the member with dictionary id `elem` and `score`; whether
    /// it was there.
    pub fn remove<'k>(&mut self, score: f64, elem: u32, key: impl Fn(u32) -> &'k [u8]) -> bool {
        let (update, _) = self.path(score, key(elem), &key);
        let x = self.link(update[0], 0).forward;
        if x == NIL || self.score(x) != score || self.elem(x) != elem {
            return false;
        }
        self.unlink(x, &update);
        true
    }

    fn unlink(&mut self, x: u32, update: &[u32; MAX_LEVEL]) {
        for (i, &u) in update.iter().enumerate().take(self.level) {
            let link = self.link(u, i);
            if link.forward == x {
                let xl = self.link(x, i);
                self.set_link(
                    u,
                    i,
                    Link {
                        forward: xl.forward,
                        span: link.span + xl.span - 1,
                    },
                );
            } else {
                self.add_span(u, i, -1);
            }
        }
        let (next, back) = (self.next(x), self.prev(x));
        if next == NIL {
            self.tail = back;
        } else {
            self.set_backward(next, back);
        }
        while self.level > 1 && self.link(HEAD, self.level - 1).forward == NIL {
            self.level -= 1;
        }
        self.len -= 1;
        let height = self.height(x);
        if let Some(free) = self.free.get_mut(height) {
            free.push(x);
        }
    }

    /// 1-based rank of the member with dictionary id `elem`, 0 when
    /// absent (Redis's `zslGetRank`).
    pub fn rank<'k>(&self, score: f64, elem: u32, key: impl Fn(u32) -> &'k [u8]) -> usize {
        let member = key(elem);
        let mut rank = 0;
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let link = self.link(x, i);
                if link.forward == NIL {
                    break;
                }
                let f = link.forward;
                if less(score, || member, self.score(f), || key(self.elem(f))) {
                    break;
                }
                rank += link.span;
                x = link.forward;
            }
            if x != HEAD && self.elem(x) == elem {
                return rank;
            }
        }
        0
    }

    /// The node at 1-based `rank`, `NIL` past the end.
    pub fn at_rank(&self, rank: usize) -> u32 {
        let mut traversed = 0;
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let link = self.link(x, i);
                if link.forward == NIL || traversed + link.span > rank {
                    break;
                }
                traversed += link.span;
                x = link.forward;
            }
            if traversed == rank {
                return if x == HEAD { NIL } else { x };
            }
        }
        NIL
    }

    /// The first node for which `after_start` holds (a predicate on the
    /// score and member id that is false then true along the list), `NIL`
    /// if none.
    pub fn first_where(&self, after_start: impl Fn(f64, u32) -> bool) -> u32 {
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let f = self.link(x, i).forward;
                if f == NIL || after_start(self.score(f), self.elem(f)) {
                    break;
                }
                x = f;
            }
        }
        self.next(x)
    }

    /// The last node for which `before_end` holds (true then false along
    /// the list), `NIL` if none.
    pub fn last_where(&self, before_end: impl Fn(f64, u32) -> bool) -> u32 {
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let f = self.link(x, i).forward;
                if f == NIL || !before_end(self.score(f), self.elem(f)) {
                    break;
                }
                x = f;
            }
        }
        if x == HEAD {
            NIL
        } else {
            x
        }
    }

    /// Heap bytes held.
    pub fn heap_size(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Slot>()
            + self.free.iter().map(|f| f.capacity() * 4).sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn members(sl: &Skiplist, names: &[Vec<u8>]) -> Vec<(f64, Vec<u8>)> {
        let mut out = Vec::new();
        let mut x = sl.first();
        while x != NIL {
            out.push((sl.score(x), names[sl.elem(x) as usize].clone()));
            x = sl.next(x);
        }
        out
    }

    #[test]
    fn ranks_follow_the_order_through_inserts_and_removals() {
        // Member ids index `names`, as the dictionary's ids would.
        let names: Vec<Vec<u8>> = (0..400).map(|i| format!("m{i}").into_bytes()).collect();
        let key = |id: u32| names[id as usize].as_slice();
        let mut sl = Skiplist::new();
        let mut model: Vec<(f64, u32)> = Vec::new();
        let mut seed = 7u64;
        for round in 0..3000u64 {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let score = ((seed >> 33) % 50) as f64;
            let elem = ((seed >> 40) % 400) as u32;
            if let Some(i) = model.iter().position(|&(_, e)| e == elem) {
                let (s, e) = model.remove(i);
                assert!(sl.remove(s, e, key));
                assert!(!sl.remove(s, e, key));
            } else if round % 3 != 0 {
                model.push((score, elem));
                sl.insert(score, elem, key);
            }
        }
        model.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| key(a.1).cmp(key(b.1))));
        let want: Vec<(f64, Vec<u8>)> = model.iter().map(|&(s, e)| (s, key(e).to_vec())).collect();
        assert_eq!(members(&sl, &names), want);
        assert_eq!(sl.len(), model.len());
        for (i, &(s, e)) in model.iter().enumerate() {
            assert_eq!(sl.rank(s, e, key), i + 1);
            assert_eq!(sl.elem(sl.at_rank(i + 1)), e);
        }
        assert_eq!(sl.at_rank(model.len() + 1), NIL);
        assert_eq!(sl.rank(1000.0, 0, key), 0);
        let mut back = Vec::new();
        let mut x = sl.last();
        while x != NIL {
            back.push(sl.elem(x));
            x = sl.prev(x);
        }
        back.reverse();
        assert_eq!(back, model.iter().map(|p| p.1).collect::<Vec<_>>());
        let first = sl.first_where(|s, _| s >= 10.0);
        assert!(sl.score(first) >= 10.0);
        assert!(sl.prev(first) == NIL || sl.score(sl.prev(first)) < 10.0);
        let last = sl.last_where(|s, _| s <= 10.0);
        assert!(sl.score(last) <= 10.0);
    }
}
