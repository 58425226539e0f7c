//! The ordered half of a big sorted set: Redis's skiplist (`t_zset.c`),
//! elements ordered by score then member bytes, each level's links
//! carrying the number of elements they jump over (the span), so an
//! element's rank and the element at a rank are found in O(log n).
//!
//! Nodes live in one vector and link by index, with a free list for
//! reuse, so there is no unsafe pointer juggling. A node holds its
//! member's id in the sorted set's dictionary, not the member: the bytes
//! are stored once, as Redis shares one string between its dict and
//! skiplist, and every method that compares members is handed `key`, the
//! lookup from id to bytes. Index 0 is the header, which holds no element.

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

#[derive(Debug, Clone)]
struct Node {
    score: f64,
    /// The member's id in the dictionary.
    elem: u32,
    backward: u32,
    links: Box<[Link]>,
}

/// A skiplist of (score, member) pairs; members are unique (the caller's
/// dictionary sees to that).
#[derive(Debug, Clone)]
pub struct Skiplist {
    nodes: Vec<Node>,
    free: Vec<u32>,
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
        Skiplist {
            nodes: vec![Node {
                score: 0.0,
                elem: 0,
                backward: NIL,
                links: vec![
                    Link {
                        forward: NIL,
                        span: 0
                    };
                    MAX_LEVEL
                ]
                .into_boxed_slice(),
            }],
            free: Vec::new(),
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

    fn node(&self, id: u32) -> &Node {
        &self.nodes[id as usize]
    }

    fn node_mut(&mut self, id: u32) -> &mut Node {
        &mut self.nodes[id as usize]
    }

    pub fn score(&self, id: u32) -> f64 {
        self.node(id).score
    }

    /// The dictionary id of the node's member.
    pub fn elem(&self, id: u32) -> u32 {
        self.node(id).elem
    }

    /// The node after `id`, `NIL` at the end.
    pub fn next(&self, id: u32) -> u32 {
        self.node(id).links[0].forward
    }

    /// The node before `id`, `NIL` at the start.
    pub fn prev(&self, id: u32) -> u32 {
        self.node(id).backward
    }

    pub fn first(&self) -> u32 {
        self.node(HEAD).links[0].forward
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
                let link = self.node(x).links[i];
                if link.forward == NIL {
                    break;
                }
                let f = self.node(link.forward);
                if !less(f.score, || key(f.elem), score, || member) {
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
                self.node_mut(HEAD).links[i].span = self.len;
            }
            self.level = level;
        }
        let node = Node {
            score,
            elem,
            backward: NIL,
            links: vec![
                Link {
                    forward: NIL,
                    span: 0
                };
                level
            ]
            .into_boxed_slice(),
        };
        let id = match self.free.pop() {
            Some(id) => {
                self.nodes[id as usize] = node;
                id
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as u32
            }
        };
        for i in 0..level {
            let prev = self.node(update[i]).links[i];
            self.node_mut(id).links[i] = Link {
                forward: prev.forward,
                span: prev.span - (rank[0] - rank[i]),
            };
            self.node_mut(update[i]).links[i] = Link {
                forward: id,
                span: (rank[0] - rank[i]) + 1,
            };
        }
        for (i, &u) in update.iter().enumerate().take(self.level).skip(level) {
            self.node_mut(u).links[i].span += 1;
        }
        self.node_mut(id).backward = if update[0] == HEAD { NIL } else { update[0] };
        let next = self.next(id);
        if next == NIL {
            self.tail = id;
        } else {
            self.node_mut(next).backward = id;
        }
        self.len += 1;
        id
    }

    /// Removes the member with dictionary id `elem` and `score`; whether
    /// it was there.
    pub fn remove<'k>(&mut self, score: f64, elem: u32, key: impl Fn(u32) -> &'k [u8]) -> bool {
        let (update, _) = self.path(score, key(elem), &key);
        let x = self.node(update[0]).links[0].forward;
        if x == NIL || self.score(x) != score || self.elem(x) != elem {
            return false;
        }
        self.unlink(x, &update);
        true
    }

    fn unlink(&mut self, x: u32, update: &[u32; MAX_LEVEL]) {
        for (i, &u) in update.iter().enumerate().take(self.level) {
            let link = self.node(u).links[i];
            if link.forward == x {
                let xl = self.node(x).links[i];
                self.node_mut(u).links[i] = Link {
                    forward: xl.forward,
                    span: link.span + xl.span - 1,
                };
            } else {
                self.node_mut(u).links[i].span -= 1;
            }
        }
        let (next, back) = (self.next(x), self.prev(x));
        if next == NIL {
            self.tail = back;
        } else {
            self.node_mut(next).backward = back;
        }
        while self.level > 1 && self.node(HEAD).links[self.level - 1].forward == NIL {
            self.level -= 1;
        }
        self.len -= 1;
        self.free.push(x);
        self.node_mut(x).links = Box::new([]);
    }

    /// 1-based rank of the member with dictionary id `elem`, 0 when
    /// absent (Redis's `zslGetRank`).
    pub fn rank<'k>(&self, score: f64, elem: u32, key: impl Fn(u32) -> &'k [u8]) -> usize {
        let member = key(elem);
        let mut rank = 0;
        let mut x = HEAD;
        for i in (0..self.level).rev() {
            loop {
                let link = self.node(x).links[i];
                if link.forward == NIL {
                    break;
                }
                let f = self.node(link.forward);
                if less(score, || member, f.score, || key(f.elem)) {
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
                let link = self.node(x).links[i];
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
                let f = self.node(x).links[i].forward;
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
                let f = self.node(x).links[i].forward;
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
        self.nodes
            .iter()
            .map(|n| std::mem::size_of::<Node>() + std::mem::size_of_val(&*n.links))
            .sum::<usize>()
            + self.free.capacity() * 4
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
