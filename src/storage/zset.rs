//! The sorted-set type's two encodings, as Redis 7.0 keeps them: a
//! listpack of member, score, member, score... in score order while the
//! set is small, and a skiplist with a member-to-score dictionary once it
//! is not.
//!
//! A set becomes a skiplist when an insertion would take it past
//! `zset-max-listpack-entries` members or add a member longer than
//! `zset-max-listpack-value` bytes. Writes never convert back; only the
//! commands that build a set whole (ZRANGESTORE, ZUNIONSTORE...) pick the
//! encoding for what they built ([`ZSet::from_sorted`]). Scores in the
//! listpack are integers when the score is one a `long long` holds
//! exactly, else their `%.17g` text, as Redis writes them, so the bytes
//! (and DUMP payloads) match Redis's.
//!
//! Commands walk either encoding with [`Pos`] cursors: by rank, from the
//! first element past a bound, forwards or backwards.

use super::dict::{Dict, Meta};
use super::float::{double_to_i64, format_g17, parse_f64_bound, parse_f64_lenient, G17_MAX};
use super::listpack::{element_size, Entry, ExactListpack, IntBuf, Listpack};
use super::skiplist::{Skiplist, NIL};
use super::value::Bytes;

/// The thresholds that decide the encoding (`zset-max-listpack-*`).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Most members a listpack may hold.
    pub entries: usize,
    /// Longest member a listpack may hold.
    pub value: usize,
}

/// The skiplist form: members to scores, and the order. The skiplist
/// refers to members by their dictionary ids, so each is stored once.
#[derive(Default)]
pub struct Big {
    pub dict: Dict<Bytes, f64>,
    pub list: Skiplist,
}

impl Big {
    /// Adds a member known to be absent.
    fn add_new(&mut self, member: &[u8], score: f64) {
        let id = self.dict.add(Bytes::new(member), score, Meta::default());
        let dict = &self.dict;
        self.list.insert(score, id, |i| dict.key(i).as_slice());
    }

    /// Removes `member`; its score if it was there.
    fn remove(&mut self, member: &[u8]) -> Option<f64> {
        let id = self.dict.find(member)?;
        let score = *self.dict.value(id);
        let dict = &self.dict;
        self.list.remove(score, id, |i| dict.key(i).as_slice());
        self.dict.remove_id(id);
        Some(score)
    }

    /// The member at skiplist node `node`.
    pub fn member(&self, node: u32) -> &[u8] {
        self.dict.key(self.list.elem(node)).as_slice()
    }
}

/// A sorted-set value.
pub enum ZSet {
    /// `listpack`: member, score pairs in (score, member) order.
    Listpack(ExactListpack),
    /// `skiplist`.
    Skiplist(Box<Big>),
}

/// A cursor on one element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pos {
    /// The member's offset in the listpack.
    Lp(usize),
    /// The skiplist node.
    Sl(u32),
}

/// ZADD's options.
#[derive(Debug, Clone, Copy, Default)]
pub struct AddFlags {
    pub incr: bool,
    pub nx: bool,
    pub xx: bool,
    pub gt: bool,
    pub lt: bool,
}

/// What an addition did (Redis's `ZADD_OUT_*`), with the score it left.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Added {
    /// A new member.
    New(f64),
    /// An existing member got another score.
    Updated(f64),
    /// An existing member kept its score.
    Same(f64),
    /// The options forbade the change.
    Nop,
}

/// An increment made the score NaN (`-inf` + `inf`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NanScore;

/// A score's listpack form: the integer, else the `%.17g` text.
struct ScoreText {
    int: IntBuf,
    text: [u8; G17_MAX],
}

impl ScoreText {
    fn new() -> ScoreText {
        ScoreText {
            int: IntBuf::default(),
            text: [0; G17_MAX],
        }
    }

    fn of(&mut self, score: f64) -> &[u8] {
        match double_to_i64(score) {
            Some(i) => crate::protocol::reply::format_i64(i, &mut self.int),
            None => format_g17(score, &mut self.text),
        }
    }
}

/// The score a listpack element holds.
fn lp_score(e: Option<Entry<'_>>) -> f64 {
    match e {
        Some(Entry::Int(v)) => v as f64,
        Some(Entry::Str(s)) => parse_f64_lenient(s),
        None => 0.0,
    }
}

/// Whether (score, member) sorts before (other score, other member).
fn sorts_before(score: f64, member: &[u8], other: f64, other_member: &[u8]) -> bool {
    score < other || (score == other && member < other_member)
}

impl Default for ZSet {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for ZSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.iter().map(|(m, s)| (m.to_vec(), s)))
            .finish()
    }
}

impl PartialEq for ZSet {
    /// Same members with the same scores, whatever the encodings.
    fn eq(&self, other: &ZSet) -> bool {
        self.len() == other.len()
            && self.iter().all(|(m, s)| {
                let mut buf = IntBuf::default();
                other.score(m.as_bytes(&mut buf)).is_some_and(|o| o == s)
            })
    }
}

impl Eq for ZSet {}

impl Clone for ZSet {
    fn clone(&self) -> ZSet {
        self.duplicate()
    }
}

impl ZSet {
    /// An empty set, encoded as a listpack.
    pub fn new() -> ZSet {
        ZSet::Listpack(Listpack::new().into_exact())
    }

    /// A set of `elems`, sorted by (score, member) and distinct, in the
    /// encoding Redis gives a set built whole.
    pub fn from_sorted(elems: &[(Vec<u8>, f64)], limits: Limits) -> ZSet {
        let total: usize = elems.iter().map(|(m, _)| m.len()).sum();
        let small = elems.len() <= limits.entries
            && elems.iter().all(|(m, _)| m.len() <= limits.value)
            && Listpack::new().safe_to_add(total);
        if small {
            let mut lp = Listpack::new();
            let mut text = ScoreText::new();
            for (m, s) in elems {
                lp.push_back(m);
                lp.push_back(text.of(*s));
            }
            return ZSet::Listpack(lp.into_exact());
        }
        let mut big = Big::default();
        big.dict.reserve(elems.len());
        for (m, s) in elems {
            big.add_new(m, *s);
        }
        ZSet::Skiplist(Box::new(big))
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        match self {
            ZSet::Listpack(lp) => lp.len() / 2,
            ZSet::Skiplist(b) => b.list.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `OBJECT ENCODING`'s answer.
    pub fn encoding(&self) -> &'static str {
        match self {
            ZSet::Listpack(_) => "listpack",
            ZSet::Skiplist(_) => "skiplist",
        }
    }

    fn lp_find(lp: &ExactListpack, member: &[u8]) -> Option<usize> {
        lp.find(lp.first()?, member, 1)
    }

    /// The score of `member`.
    pub fn score(&self, member: &[u8]) -> Option<f64> {
        match self {
            ZSet::Listpack(lp) => {
                let pos = Self::lp_find(lp, member)?;
                Some(lp_score(lp.next(pos).and_then(|p| lp.get(p))))
            }
            ZSet::Skiplist(b) => b.dict.get(member).copied(),
        }
    }

    /// The first element.
    pub fn first(&self) -> Option<Pos> {
        match self {
            ZSet::Listpack(lp) => lp.first().map(Pos::Lp),
            ZSet::Skiplist(b) => Some(b.list.first()).filter(|&n| n != NIL).map(Pos::Sl),
        }
    }

    /// The last element.
    pub fn last(&self) -> Option<Pos> {
        match self {
            ZSet::Listpack(lp) => lp.last().and_then(|p| lp.prev(p)).map(Pos::Lp),
            ZSet::Skiplist(b) => Some(b.list.last()).filter(|&n| n != NIL).map(Pos::Sl),
        }
    }

    /// The element after `pos`.
    pub fn next(&self, pos: Pos) -> Option<Pos> {
        match (self, pos) {
            (ZSet::Listpack(lp), Pos::Lp(p)) => lp.next(p).and_then(|s| lp.next(s)).map(Pos::Lp),
            (ZSet::Skiplist(b), Pos::Sl(n)) => {
                Some(b.list.next(n)).filter(|&n| n != NIL).map(Pos::Sl)
            }
            _ => None,
        }
    }

    /// The element before `pos`.
    pub fn prev(&self, pos: Pos) -> Option<Pos> {
        match (self, pos) {
            (ZSet::Listpack(lp), Pos::Lp(p)) => lp.prev(p).and_then(|s| lp.prev(s)).map(Pos::Lp),
            (ZSet::Skiplist(b), Pos::Sl(n)) => {
                Some(b.list.prev(n)).filter(|&n| n != NIL).map(Pos::Sl)
            }
            _ => None,
        }
    }

    /// Steps forwards, or backwards when `rev`.
    pub fn step(&self, pos: Pos, rev: bool) -> Option<Pos> {
        if rev {
            self.prev(pos)
        } else {
            self.next(pos)
        }
    }

    /// The member and score at `pos`.
    pub fn get(&self, pos: Pos) -> (Entry<'_>, f64) {
        match (self, pos) {
            (ZSet::Listpack(lp), Pos::Lp(p)) => (
                lp.get(p).unwrap_or(Entry::Str(b"")),
                lp_score(lp.next(p).and_then(|s| lp.get(s))),
            ),
            (ZSet::Skiplist(b), Pos::Sl(n)) => (Entry::Str(b.member(n)), b.list.score(n)),
            _ => (Entry::Str(b""), 0.0),
        }
    }

    /// The element at 0-based `rank`.
    pub fn at_rank(&self, rank: usize) -> Option<Pos> {
        match self {
            ZSet::Listpack(lp) => {
                let index = i64::try_from(rank.checked_mul(2)?).ok()?;
                lp.seek(index).map(Pos::Lp)
            }
            ZSet::Skiplist(b) => Some(b.list.at_rank(rank.checked_add(1)?))
                .filter(|&n| n != NIL)
                .map(Pos::Sl),
        }
    }

    /// The 0-based rank of `member` from the lowest score, and its score.
    pub fn rank(&self, member: &[u8]) -> Option<(usize, f64)> {
        match self {
            ZSet::Listpack(_) => {
                let mut pos = self.first();
                let mut rank = 0;
                while let Some(p) = pos {
                    let (m, s) = self.get(p);
                    if m.eq_bytes(member) {
                        return Some((rank, s));
                    }
                    rank += 1;
                    pos = self.next(p);
                }
                None
            }
            ZSet::Skiplist(b) => {
                let id = b.dict.find(member)?;
                let score = *b.dict.value(id);
                let rank = b.list.rank(score, id, |i| b.dict.key(i).as_slice());
                Some((rank.checked_sub(1)?, score))
            }
        }
    }

    /// The first element for which `past_start` holds, given a predicate
    /// that is false and then true along the order.
    pub fn first_where(&self, past_start: impl Fn(f64, &[u8]) -> bool) -> Option<Pos> {
        match self {
            ZSet::Listpack(_) => {
                let mut pos = self.first();
                while let Some(p) = pos {
                    let (m, s) = self.get(p);
                    if past_start(s, m.as_bytes(&mut IntBuf::default())) {
                        return Some(p);
                    }
                    pos = self.next(p);
                }
                None
            }
            ZSet::Skiplist(b) => Some(
                b.list
                    .first_where(|s, e| past_start(s, b.dict.key(e).as_slice())),
            )
            .filter(|&n| n != NIL)
            .map(Pos::Sl),
        }
    }

    /// The last element for which `before_end` holds, given a predicate
    /// that is true and then false along the order.
    pub fn last_where(&self, before_end: impl Fn(f64, &[u8]) -> bool) -> Option<Pos> {
        match self {
            ZSet::Listpack(_) => {
                let mut found = None;
                let mut pos = self.first();
                while let Some(p) = pos {
                    let (m, s) = self.get(p);
                    if !before_end(s, m.as_bytes(&mut IntBuf::default())) {
                        break;
                    }
                    found = Some(p);
                    pos = self.next(p);
                }
                found
            }
            ZSet::Skiplist(b) => Some(
                b.list
                    .last_where(|s, e| before_end(s, b.dict.key(e).as_slice())),
            )
            .filter(|&n| n != NIL)
            .map(Pos::Sl),
        }
    }

    /// Adds or updates `member` as ZADD does (Redis's `zsetAdd`): the
    /// options decide, an increment adds to the current score, and a
    /// listpack becomes a skiplist before a member it can't take.
    pub fn add(
        &mut self,
        member: &[u8],
        score: f64,
        flags: AddFlags,
        limits: Limits,
    ) -> Result<Added, NanScore> {
        let mut score = score;
        if let Some(current) = self.score(member) {
            if flags.nx {
                return Ok(Added::Nop);
            }
            if flags.incr {
                score += current;
                if score.is_nan() {
                    return Err(NanScore);
                }
            }
            if (flags.lt && score >= current) || (flags.gt && score <= current) {
                return Ok(Added::Nop);
            }
            if score == current {
                return Ok(Added::Same(score));
            }
            self.remove(member);
            self.insert_new(member, score);
            return Ok(Added::Updated(score));
        }
        if flags.xx {
            return Ok(Added::Nop);
        }
        if let ZSet::Listpack(lp) = self {
            if lp.len() / 2 + 1 > limits.entries
                || member.len() > limits.value
                || !lp.safe_to_add(member.len())
            {
                self.convert();
            }
        }
        self.insert_new(member, score);
        Ok(Added::New(score))
    }

    /// Inserts a member known to be absent, in place in the order.
    fn insert_new(&mut self, member: &[u8], score: f64) {
        match self {
            ZSet::Listpack(lp) => {
                let mut at = lp.first();
                while let Some(p) = at {
                    let s = lp_score(lp.next(p).and_then(|sp| lp.get(sp)));
                    let mut buf = IntBuf::default();
                    let m = lp.get(p).map(|e| e.as_bytes(&mut buf)).unwrap_or(b"");
                    if sorts_before(score, member, s, m) {
                        break;
                    }
                    at = lp.next(p).and_then(|sp| lp.next(sp));
                }
                let mut text = ScoreText::new();
                let score = text.of(score);
                let room = element_size(member) + element_size(score);
                lp.edit(room, |lp| match at {
                    Some(p) => {
                        if let Some(mp) = lp.insert_before(p, member) {
                            lp.insert_after(mp, score);
                        }
                    }
                    None => {
                        lp.push_back(member);
                        lp.push_back(score);
                    }
                });
            }
            ZSet::Skiplist(b) => b.add_new(member, score),
        }
    }

    /// Removes `member`; its score if it was there.
    pub fn remove(&mut self, member: &[u8]) -> Option<f64> {
        match self {
            ZSet::Listpack(lp) => {
                let pos = Self::lp_find(lp, member)?;
                let score = lp_score(lp.next(pos).and_then(|p| lp.get(p)));
                lp.edit(0, |lp| lp.delete_range_at(pos, 2));
                Some(score)
            }
            ZSet::Skiplist(b) => b.remove(member),
        }
    }

    /// Turns a listpack into a skiplist (Redis's `zsetConvert`).
    pub fn convert(&mut self) {
        if let ZSet::Listpack(_) = self {
            let mut big = Big::default();
            big.dict.reserve(self.len());
            for (m, s) in self.iter() {
                let mut buf = IntBuf::default();
                big.add_new(m.as_bytes(&mut buf), s);
            }
            *self = ZSet::Skiplist(Box::new(big));
        }
    }

    /// Members and scores from the lowest.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            set: self,
            pos: self.first(),
        }
    }

    /// A copy, in the same encoding (COPY).
    pub fn duplicate(&self) -> ZSet {
        match self {
            ZSet::Listpack(lp) => ZSet::Listpack(lp.clone()),
            ZSet::Skiplist(b) => {
                let mut copy = Big::default();
                copy.dict.reserve(b.dict.len());
                for (m, s) in self.iter() {
                    copy.add_new(m.as_bytes(&mut IntBuf::default()), s);
                }
                ZSet::Skiplist(Box::new(copy))
            }
        }
    }

    /// Heap bytes owned beyond the value itself.
    pub fn heap_size(&self) -> usize {
        match self {
            ZSet::Listpack(lp) => lp.total_bytes(),
            ZSet::Skiplist(b) => {
                let keys: usize = b.dict.iter().map(|(m, _)| m.heap_size()).sum();
                std::mem::size_of::<Big>()
                    + b.dict.buckets() * 4
                    + b.dict.len() * b.dict.entry_size()
                    + keys
                    + b.list.heap_size()
            }
        }
    }
}

/// Members and scores in order.
pub struct Iter<'a> {
    set: &'a ZSet,
    pos: Option<Pos>,
}

impl<'a> Iterator for Iter<'a> {
    type Item = (Entry<'a>, f64);

    fn next(&mut self) -> Option<Self::Item> {
        let pos = self.pos?;
        self.pos = self.set.next(pos);
        Some(self.set.get(pos))
    }
}

/// A score interval, each end inclusive or not (Redis's `zrangespec`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScoreRange {
    pub min: f64,
    pub max: f64,
    pub min_ex: bool,
    pub max_ex: bool,
}

impl ScoreRange {
    /// Parses `min` and `max` as ZRANGEBYSCORE takes them: a float,
    /// `(` before one for an open end, `-inf`/`+inf`.
    pub fn parse(min: &[u8], max: &[u8]) -> Option<ScoreRange> {
        let bound = |b: &[u8]| -> Option<(f64, bool)> {
            match b.split_first() {
                Some((b'(', rest)) => Some((parse_f64_bound(rest)?, true)),
                _ => Some((parse_f64_bound(b)?, false)),
            }
        };
        let (min, min_ex) = bound(min)?;
        let (max, max_ex) = bound(max)?;
        Some(ScoreRange {
            min,
            max,
            min_ex,
            max_ex,
        })
    }

    pub fn gte_min(&self, v: f64) -> bool {
        if self.min_ex {
            v > self.min
        } else {
            v >= self.min
        }
    }

    pub fn lte_max(&self, v: f64) -> bool {
        if self.max_ex {
            v < self.max
        } else {
            v <= self.max
        }
    }

    /// Whether no score can fall in the range.
    pub fn is_empty(&self) -> bool {
        self.min > self.max || (self.min == self.max && (self.min_ex || self.max_ex))
    }
}

/// One end of a lexicographic range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LexBound {
    /// `-`: before everything.
    Min,
    /// `+`: after everything.
    Max,
    /// `[x`
    Incl(Vec<u8>),
    /// `(x`
    Excl(Vec<u8>),
}

impl LexBound {
    fn parse(b: &[u8]) -> Option<LexBound> {
        match b.split_first() {
            Some((b'+', [])) => Some(LexBound::Max),
            Some((b'-', [])) => Some(LexBound::Min),
            Some((b'[', rest)) => Some(LexBound::Incl(rest.to_vec())),
            Some((b'(', rest)) => Some(LexBound::Excl(rest.to_vec())),
            _ => None,
        }
    }
}

/// A lexicographic interval (Redis's `zlexrangespec`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LexRange {
    pub min: LexBound,
    pub max: LexBound,
}

impl LexRange {
    /// Parses `min` and `max` as ZRANGEBYLEX takes them.
    pub fn parse(min: &[u8], max: &[u8]) -> Option<LexRange> {
        Some(LexRange {
            min: LexBound::parse(min)?,
            max: LexBound::parse(max)?,
        })
    }

    pub fn gte_min(&self, m: &[u8]) -> bool {
        match &self.min {
            LexBound::Min => true,
            LexBound::Max => false,
            LexBound::Incl(b) => m >= &b[..],
            LexBound::Excl(b) => m > &b[..],
        }
    }

    pub fn lte_max(&self, m: &[u8]) -> bool {
        match &self.max {
            LexBound::Min => false,
            LexBound::Max => true,
            LexBound::Incl(b) => m <= &b[..],
            LexBound::Excl(b) => m < &b[..],
        }
    }

    /// Whether no member can fall in the range.
    pub fn is_empty(&self) -> bool {
        match (&self.min, &self.max) {
            (LexBound::Max, _) | (_, LexBound::Min) => true,
            (LexBound::Min, _) | (_, LexBound::Max) => false,
            (LexBound::Incl(a), LexBound::Incl(b)) => a > b,
            (LexBound::Incl(a) | LexBound::Excl(a), LexBound::Incl(b) | LexBound::Excl(b)) => {
                a >= b
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        entries: 4,
        value: 8,
    };

    fn add(z: &mut ZSet, m: &str, s: f64) -> Added {
        z.add(m.as_bytes(), s, AddFlags::default(), LIMITS).unwrap()
    }

    fn members(z: &ZSet) -> Vec<(Vec<u8>, f64)> {
        z.iter().map(|(m, s)| (m.to_vec(), s)).collect()
    }

    #[test]
    fn both_encodings_keep_the_order() {
        let mut z = ZSet::new();
        assert_eq!(add(&mut z, "b", 2.0), Added::New(2.0));
        assert_eq!(add(&mut z, "a", 2.0), Added::New(2.0));
        assert_eq!(add(&mut z, "c", 1.5), Added::New(1.5));
        assert_eq!(add(&mut z, "c", 1.5), Added::Same(1.5));
        assert_eq!(add(&mut z, "c", 3.0), Added::Updated(3.0));
        let want: Vec<(Vec<u8>, f64)> = vec![
            (b"a".to_vec(), 2.0),
            (b"b".to_vec(), 2.0),
            (b"c".to_vec(), 3.0),
        ];
        assert_eq!(members(&z), want);
        assert_eq!(z.encoding(), "listpack");
        let mut big = z.clone();
        big.convert();
        assert_eq!(big.encoding(), "skiplist");
        assert_eq!(members(&big), want);
        assert_eq!(big, z);
        for set in [&z, &big] {
            assert_eq!(set.rank(b"b"), Some((1, 2.0)));
            assert_eq!(set.get(set.at_rank(2).unwrap()).1, 3.0);
            assert!(set.at_rank(3).is_none());
            let p = set.first_where(|s, _| s > 2.0).unwrap();
            assert!(set.get(p).0.eq_bytes(b"c"));
            let p = set.last_where(|s, _| s <= 2.0).unwrap();
            assert!(set.get(p).0.eq_bytes(b"b"));
            assert!(set.get(set.prev(p).unwrap()).0.eq_bytes(b"a"));
        }
        add(&mut z, "d", 0.0);
        assert_eq!(z.encoding(), "listpack");
        add(&mut z, "e", 0.0);
        assert_eq!(z.encoding(), "skiplist");
        let mut long = ZSet::new();
        add(&mut long, "123456789", 1.0);
        assert_eq!(long.encoding(), "skiplist");
        assert_eq!(z.remove(b"e"), Some(0.0));
        assert_eq!(z.remove(b"e"), None);
        assert_eq!(z.encoding(), "skiplist", "never converts back");
    }

    #[test]
    fn options_decide_as_zadd_does() {
        let mut z = ZSet::new();
        let f = |incr, nx, xx, gt, lt| AddFlags {
            incr,
            nx,
            xx,
            gt,
            lt,
        };
        assert_eq!(
            z.add(b"a", 1.0, f(false, false, true, false, false), LIMITS),
            Ok(Added::Nop)
        );
        assert!(z.is_empty());
        add(&mut z, "a", 1.0);
        assert_eq!(
            z.add(b"a", 5.0, f(false, true, false, false, false), LIMITS),
            Ok(Added::Nop)
        );
        assert_eq!(
            z.add(b"a", 0.0, f(false, false, false, true, false), LIMITS),
            Ok(Added::Nop)
        );
        assert_eq!(
            z.add(b"a", 2.0, f(true, false, false, false, false), LIMITS),
            Ok(Added::Updated(3.0))
        );
        add(&mut z, "i", f64::INFINITY);
        assert_eq!(
            z.add(
                b"i",
                f64::NEG_INFINITY,
                f(true, false, false, false, false),
                LIMITS
            ),
            Err(NanScore)
        );
    }

    /// The bytes redis-server 7.0.15 DUMPed for `ZADD z -0 a 1.5 b 0.1 i
    /// 1e20 m inf k`: integers where the score is one, `%.17g` else.
    #[test]
    fn listpack_bytes_match_redis() {
        let mut z = ZSet::new();
        let limits = Limits {
            entries: 128,
            value: 64,
        };
        for (s, m) in [
            (-0.0, "a"),
            (1.5, "b"),
            (0.1, "i"),
            (1e20, "m"),
            (f64::INFINITY, "k"),
        ] {
            z.add(m.as_bytes(), s, AddFlags::default(), limits).unwrap();
        }
        let mut lp = Listpack::new();
        for e in [
            "a",
            "0",
            "i",
            "0.10000000000000001",
            "b",
            "1.5",
            "m",
            "1e+20",
            "k",
            "inf",
        ] {
            lp.push_back(e.as_bytes());
        }
        let ZSet::Listpack(got) = &z else {
            panic!("converted")
        };
        assert_eq!(&*got.encoded(), lp.as_bytes());
        assert_eq!(ZSet::from_sorted(&members(&z), limits), z);
    }

    #[test]
    fn ranges_parse_and_bound() {
        let r = ScoreRange::parse(b"(1", b"+inf").unwrap();
        assert!(!r.gte_min(1.0) && r.gte_min(1.5) && r.lte_max(f64::INFINITY));
        assert!(ScoreRange::parse(b"(1", b"1").unwrap().is_empty());
        assert!(ScoreRange::parse(b"x", b"1").is_none());
        assert!(ScoreRange::parse(b"nan", b"1").is_none());
        assert_eq!(
            ScoreRange::parse(b"(", b"1").map(|r| (r.min, r.min_ex)),
            Some((0.0, true))
        );
        let l = LexRange::parse(b"[b", b"(d").unwrap();
        assert!(l.gte_min(b"b") && !l.gte_min(b"a") && l.lte_max(b"c") && !l.lte_max(b"d"));
        assert!(LexRange::parse(b"b", b"+").is_none());
        assert!(LexRange::parse(b"+", b"-").unwrap().is_empty());
        assert!(LexRange::parse(b"(a", b"(a").unwrap().is_empty());
        assert!(!LexRange::parse(b"[a", b"[a").unwrap().is_empty());
    }
}
