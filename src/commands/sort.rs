//! SORT and SORT_RO (Redis's `sort.c`): the elements of a list, set or
//! sorted set, ordered by themselves or by weights that a BY pattern
//! names (`weight_*`, or `hash_*->field`), numerically or by collation;
//! a LIMIT window of them, each replaced by what GET patterns name;
//! replied, or stored as a list.
//!
//! Where ties leave the order to the algorithm, Redis's is followed: a
//! whole sort is glibc's `qsort`, a stable merge sort, so tied elements
//! keep the order they were loaded in (a stable sort here gives the
//! same); a BY sort narrowed by LIMIT is Redis's partial quicksort,
//! which places ties its own way and is reproduced step by step in
//! `storage/pqsort.rs`. ALPHA without STORE collates with the C library's
//! `strcoll` in the locale the server started with, as Redis does.

use std::cmp::Ordering;

use super::introspection::KeyRef;
use super::{parse_int, Args, CmdError, CmdResult};
use crate::server::client::Client;
use crate::server::keyspace::event;
use crate::server::Server;
use crate::storage::float::parse_f64_weight;
use crate::storage::listpack::{Entry, IntBuf};
use crate::storage::pqsort::pqsort;
use crate::storage::quicklist::{Options, Quicklist, Where};
use crate::storage::value::{Kind, Value};

/// What one SORT request asks for.
struct Request<'a> {
    desc: bool,
    alpha: bool,
    /// LIMIT's offset and count; a negative count means all.
    limit: (i64, i64),
    by: Option<&'a [u8]>,
    /// BY a pattern without `*`: the elements keep their stored order.
    dontsort: bool,
    gets: Vec<&'a [u8]>,
    store: Option<&'a [u8]>,
}

impl<'a> Request<'a> {
    /// Reads the options after the key, in any order, the last of each
    /// winning; SORT_RO knows no STORE.
    fn parse(args: &Args<'a>, readonly: bool, full_access: bool) -> Result<Request<'a>, CmdError> {
        let mut req = Request {
            desc: false,
            alpha: false,
            limit: (0, -1),
            by: None,
            dontsort: false,
            gets: Vec::new(),
            store: None,
        };
        let mut i = 2;
        while i < args.len() {
            let left = args.len() - i - 1;
            if args.is(i, "asc") {
                req.desc = false;
            } else if args.is(i, "desc") {
                req.desc = true;
            } else if args.is(i, "alpha") {
                req.alpha = true;
            } else if args.is(i, "limit") && left >= 2 {
                req.limit = (parse_int(args.get(i + 1))?, parse_int(args.get(i + 2))?);
                i += 2;
            } else if !readonly && args.is(i, "store") && left >= 1 {
                req.store = Some(args.get(i + 1));
                i += 1;
            } else if args.is(i, "by") && left >= 1 {
                let pattern = args.get(i + 1);
                req.by = Some(pattern);
                // Redis reads patterns as C strings, up to a NUL byte.
                req.dontsort = !c_str(pattern).contains(&b'*');
                if !req.dontsort && !full_access {
                    return Err(acl_denied("BY"));
                }
                i += 1;
            } else if args.is(i, "get") && left >= 1 {
                if !full_access {
                    return Err(acl_denied("GET"));
                }
                req.gets.push(args.get(i + 1));
                i += 1;
            } else {
                return Err(CmdError::Syntax);
            }
            i += 1;
        }
        Ok(req)
    }
}

/// BY and GET patterns name keys an ACL user may not reach.
fn acl_denied(option: &str) -> CmdError {
    CmdError::Message(
        format!("ERR {option} option of SORT denied due to insufficient ACL permissions.").into(),
    )
}

/// Bytes followed by a NUL, so C's string functions read them in place.
struct CBytes(Vec<u8>);

impl CBytes {
    fn new(b: &[u8]) -> CBytes {
        let mut v = Vec::with_capacity(b.len() + 1);
        v.extend_from_slice(b);
        v.push(0);
        CBytes(v)
    }

    fn from_entry(e: Entry<'_>) -> CBytes {
        let mut buf = IntBuf::default();
        CBytes::new(e.as_bytes(&mut buf))
    }

    fn bytes(&self) -> &[u8] {
        self.0.split_last().map_or(&[][..], |(_, b)| b)
    }

    /// `strcoll` of the two, which stops at the first NUL of either.
    fn collate(&self, other: &CBytes) -> Ordering {
        // SAFETY: both buffers end with a NUL (see `new`) and live across
        // the call; strcoll only reads them.
        let r = unsafe { libc::strcoll(self.0.as_ptr().cast(), other.0.as_ptr().cast()) };
        r.cmp(&0)
    }
}

/// One element to sort: itself, its numeric weight, and for ALPHA BY the
/// value its pattern named (none when the key or field is missing).
struct Item {
    elem: CBytes,
    score: f64,
    by: Option<CBytes>,
}

impl Item {
    fn new(e: Entry<'_>) -> Item {
        Item {
            elem: CBytes::from_entry(e),
            score: 0.0,
            by: None,
        }
    }
}

/// `SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA] [STORE destination]`
pub fn sort(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    sort_generic(srv, c, args, false)
}

/// `SORT_RO key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC] [ALPHA]`
pub fn sort_ro(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    sort_generic(srv, c, args, true)
}

/// Both commands, SORT_RO being SORT without STORE (Redis's
/// `sortCommandGeneric`): options are checked before the key's type.
fn sort_generic(srv: &mut Server, c: &mut Client, args: &Args, readonly: bool) -> CmdResult {
    let name = if readonly { "sort_ro" } else { "sort" };
    let full_access = c.replays_aof()
        || srv
            .commands
            .all
            .iter()
            .position(|s| s.name == name)
            .is_some_and(|id| {
                crate::server::acl::full_key_access(srv, c.user.as_deref(), id, args)
            });
    let mut req = Request::parse(args, readonly, full_access)?;
    let db = c.db;
    let id = srv.lookup_read(db, args.get(1));
    let kind = id.map_or(Kind::List, |id| srv.db(db).value(id).kind());
    if !matches!(kind, Kind::List | Kind::Set | Kind::ZSet) {
        return Err(CmdError::WrongType);
    }
    // A set's own order differs between servers (and runs), so what is
    // stored from one is sorted, that a replica or the AOF stores the same.
    if req.dontsort && kind == Kind::Set && req.store.is_some() {
        req.dontsort = false;
        req.alpha = true;
        req.by = None;
    }
    if let Some(id) = id {
        // Redis turns a listpack sorted set into a skiplist for SORT, for
        // good, without counting the key as changed.
        if let Value::ZSet(z) = srv.reencode(db, id) {
            z.convert();
        }
    }
    let len = id.map_or(0, |id| match srv.db(db).value(id) {
        Value::List(l) => l.len(),
        Value::Set(s) => s.len(),
        Value::ZSet(z) => z.len(),
        _ => 0,
    }) as i64;
    let (mut start, mut end) = window_of(req.limit, len);
    let mut items = match id {
        Some(id) => load(srv.db(db).value(id), &req, &mut start, &mut end),
        None => Vec::new(),
    };
    if !req.dontsort {
        if !weigh(srv, c, &req, &mut items) {
            return Err(CmdError::Message(
                "ERR One or more scores can't be converted into double".into(),
            ));
        }
        let store = req.store.is_some();
        let mut cmp = |a: &Item, b: &Item| compare(a, b, &req, store);
        let whole = start == 0 && end == items.len() as i64 - 1;
        if req.by.is_some() && !whole {
            pqsort(&mut items, start, end, &mut cmp);
        } else {
            items.sort_by(cmp);
        }
    }

    let window = usize::try_from(start)
        .ok()
        .and_then(|s| items.get(s..usize::try_from(end + 1).ok()?))
        .unwrap_or_default();
    let rows = window.len();
    let out_len = if req.gets.is_empty() {
        rows
    } else {
        rows * req.gets.len()
    };
    let Some(dst) = req.store else {
        c.reply.array_len(out_len);
        for item in window {
            if req.gets.is_empty() {
                c.reply.bulk(item.elem.bytes());
            }
            for pattern in &req.gets {
                match lookup_by_pattern(srv, c, pattern, item.elem.bytes()) {
                    Some(v) => c.reply.bulk(&v),
                    None => c.reply.null(),
                }
            }
        }
        return Ok(());
    };
    store(srv, c, dst, window, &req.gets);
    c.reply.int(out_len as i64);
    Ok(())
}

/// The LIMIT window as first and last index (last below first when
/// empty), each count clamped to the length first, as Redis 7.0.8 on
/// does, so no sum overflows.
fn window_of((offset, count): (i64, i64), len: i64) -> (i64, i64) {
    let start = offset.clamp(0, len);
    let count = count.clamp(-1, len);
    let end = if count < 0 {
        len - 1
    } else {
        start + count - 1
    };
    if start >= len {
        (len - 1, len - 2)
    } else {
        (start, end.min(len - 1))
    }
}

/// Gives each item what it is sorted by: its BY value for ALPHA, else its
/// numeric weight (a missing BY value weighs 0). False when a weight is
/// no number, after every lookup was made, as Redis makes them all.
fn weigh(srv: &mut Server, c: &Client, req: &Request, items: &mut [Item]) -> bool {
    let mut all_numbers = true;
    for item in items {
        let named = match req.by {
            Some(pattern) => match lookup_by_pattern(srv, c, pattern, item.elem.bytes()) {
                Some(v) => Some(v),
                None => continue,
            },
            None => None,
        };
        if req.alpha {
            item.by = named.as_deref().map(CBytes::new);
        } else {
            let weight = named.as_deref().unwrap_or(item.elem.bytes());
            match parse_f64_weight(weight) {
                Some(v) => item.score = v,
                None => all_numbers = false,
            }
        }
    }
    all_numbers
}

/// Stores the window (or what its GET patterns name, empty strings for
/// nothing) as a list at `dst`; an empty result deletes `dst`.
fn store(srv: &mut Server, c: &Client, dst: &[u8], window: &[Item], gets: &[&[u8]]) {
    // Redis builds the list with the quicklist's defaults, not the
    // configured `list-max-listpack-size` and `list-compress-depth`.
    let mut list = Quicklist::with_options(Options::default());
    for item in window {
        if gets.is_empty() {
            list.push(item.elem.bytes(), Where::Tail);
        }
        for pattern in gets {
            let v = lookup_by_pattern(srv, c, pattern, item.elem.bytes());
            list.push(v.as_deref().unwrap_or_default(), Where::Tail);
        }
    }
    let db = c.db;
    if !list.is_empty() {
        let pushed = list.len() as u64;
        srv.set_key(db, dst, Value::List(Box::new(list)), false);
        srv.notify_keyspace_event(event::LIST, "sortstore", db, dst);
        srv.dirty += pushed;
    } else if srv.db_delete(db, dst) {
        srv.notify_keyspace_event(event::GENERIC, "del", db, dst);
        srv.dirty += 1;
    }
}

/// The elements to sort, in the value's own order. Unsorted lists and
/// sorted sets load only the window, from its far end when DESC, and
/// the window then starts at 0.
fn load(value: &Value, req: &Request, start: &mut i64, end: &mut i64) -> Vec<Item> {
    let mut items = Vec::new();
    let wanted = usize::try_from(*end - *start + 1).unwrap_or(0);
    match value {
        Value::List(l) if req.dontsort && wanted > 0 => {
            let from = *start as usize;
            let from = if req.desc { l.len() - 1 - from } else { from };
            l.visit(from, req.desc, |e| {
                items.push(Item::new(e));
                items.len() < wanted
            });
            *end -= *start;
            *start = 0;
        }
        // An empty window of a list left unsorted loads nothing.
        Value::List(_) if req.dontsort => {}
        Value::ZSet(z) if req.dontsort => {
            if wanted > 0 {
                let from = *start as usize;
                let rank = if req.desc { z.len() - 1 - from } else { from };
                let mut pos = z.at_rank(rank);
                while let Some(p) = pos.filter(|_| items.len() < wanted) {
                    items.push(Item::new(z.get(p).0));
                    pos = z.step(p, req.desc);
                }
            }
            *end -= *start;
            *start = 0;
        }
        Value::List(l) => l.for_each(|e| items.push(Item::new(e))),
        Value::Set(s) => items.extend(s.iter().map(Item::new)),
        Value::ZSet(z) => items.extend(z.iter().map(|(m, _)| Item::new(m))),
        _ => {}
    }
    items
}

/// Redis's `sortCompare`: numeric weights with ties broken by the
/// elements' bytes; or ALPHA, by the BY values (a missing one first) or
/// the elements, collated, or compared as bytes when storing.
fn compare(a: &Item, b: &Item, req: &Request, store: bool) -> Ordering {
    let strings = |x: &CBytes, y: &CBytes| {
        if store {
            x.bytes().cmp(y.bytes())
        } else {
            x.collate(y)
        }
    };
    let ord = if !req.alpha {
        match a.score.partial_cmp(&b.score) {
            Some(o) if o.is_ne() => o,
            _ => a.elem.bytes().cmp(b.elem.bytes()),
        }
    } else if req.by.is_some() {
        match (&a.by, &b.by) {
            (Some(x), Some(y)) => strings(x, y),
            (x, y) => x.is_some().cmp(&y.is_some()),
        }
    } else {
        strings(&a.elem, &b.elem)
    };
    if req.desc {
        ord.reverse()
    } else {
        ord
    }
}

/// The text of `b` as C reads it: up to its first NUL byte.
fn c_str(b: &[u8]) -> &[u8] {
    b.iter().position(|&x| x == 0).map_or(b, |n| &b[..n])
}

/// What a BY or GET pattern names for `elem` (Redis's
/// `lookupKeyByPattern`): `#` is the element itself; otherwise the first
/// `*` is replaced by the element to make a key, whose string value is
/// taken, or with `->field` after the `*`, that field of its hash. A
/// pattern without `*`, a missing key or field, or a key of another type
/// names nothing. The lookups are reads, counted as hits or misses.
fn lookup_by_pattern(srv: &mut Server, c: &Client, pattern: &[u8], elem: &[u8]) -> Option<Vec<u8>> {
    let text = c_str(pattern);
    if text == b"#" {
        return Some(elem.to_vec());
    }
    let star = text.iter().position(|&b| b == b'*')?;
    let arrow = text[star + 1..]
        .windows(2)
        .position(|w| w == b"->")
        .map(|i| star + 1 + i)
        .filter(|&f| f + 2 < text.len());
    let (key_end, field) = match arrow {
        Some(f) => (f, Some(&pattern[f + 2..])),
        None => (pattern.len(), None),
    };
    let mut key = Vec::with_capacity(key_end + elem.len());
    key.extend_from_slice(&pattern[..star]);
    key.extend_from_slice(elem);
    key.extend_from_slice(&pattern[star + 1..key_end]);
    let id = srv.lookup_read(c.db, &key)?;
    match (srv.db(c.db).value(id), field) {
        (Value::Str(s), None) => Some(s.to_cow().into_owned()),
        (Value::Hash(h), Some(f)) => h.get(f).map(|e| e.to_vec()),
        _ => None,
    }
}

/// The keys of a SORT line as Redis's `sortGetKeys` finds them: the
/// sorted key, and the last STORE's destination. Options are skipped
/// with their arguments, except STORE's, so a destination that spells an
/// option is read as one, as Redis reads it.
pub fn sort_keys(args: &Args) -> Vec<KeyRef> {
    let mut keys: Vec<KeyRef> = vec![(1, &["RO", "access"])];
    let mut store = None;
    let mut i = 2;
    while i < args.len() {
        if args.is(i, "limit") {
            i += 2;
        } else if args.is(i, "get") || args.is(i, "by") {
            i += 1;
        } else if args.is(i, "store") && i + 1 < args.len() {
            store = Some(i + 1);
        }
        i += 1;
    }
    if let Some(pos) = store {
        keys.push((pos, &["OW", "update"]));
    }
    keys
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn store_key_is_the_last_one() {
        let data = b"sortkstorealimit12storebget#";
        let ranges = [
            0..4,
            4..5,
            5..10,
            10..11,
            11..16,
            16..17,
            17..18,
            18..23,
            23..24,
            24..27,
            27..28,
        ];
        let args = Args::new(data, &ranges);
        let keys = sort_keys(&args);
        assert_eq!(keys.iter().map(|k| k.0).collect::<Vec<_>>(), vec![1, 8]);
    }
}
