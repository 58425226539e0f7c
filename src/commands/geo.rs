//! GEO commands (Redis's `geo.c`): a geospatial index is a sorted set whose
//! scores are 52-bit geohashes (storage/geohash.rs). GEOADD is ZADD with
//! encoded scores, and propagates as that ZADD; GEOPOS, GEODIST and
//! GEOHASH decode scores; the search family (GEOSEARCH[STORE], GEORADIUS
//! and its variants) scans the nine cells around a centre and keeps the
//! members inside the shape.
//!
//! Arguments are checked in Redis's order, which decides the error a client
//! sees: the source key's type first, then the centre and size, then the
//! options left to right, then their combinations. A search over a missing
//! key skips reading a FROMMEMBER/BYMEMBER member but still checks the rest.

use std::cmp::Ordering;
use std::io::Write;

use super::zset::{add_pairs, limits, lookup_read, zset_at};
use super::{parse_int, Args, CmdError, CmdResult};
use crate::server::client::Client;
use crate::server::keyspace::event;
use crate::server::Server;
use crate::storage::dict::Id;
use crate::storage::float::parse_f64;
use crate::storage::geohash::{self, Search, Shape};
use crate::storage::listpack::IntBuf;
use crate::storage::pqsort::pqsort;
use crate::storage::value::{Kind, Value};
use crate::storage::zset::{AddFlags, Pos, ZSet};

const NOT_DECODED: &str = "ERR could not decode requested zset member";

/// Formats into a stack buffer: replies of numbers don't allocate.
fn format_into<'b>(buf: &'b mut [u8; 64], args: std::fmt::Arguments<'_>) -> &'b [u8] {
    let mut w = &mut buf[..];
    // 64 bytes hold every number printed here; a longer one is cut short.
    let _ = w.write_fmt(args);
    let left = w.len();
    &buf[..64 - left]
}

/// A coordinate as Redis prints one (`addReplyHumanLongDouble`): 17
/// decimals without trailing zeros, a bulk string in RESP2 and a double
/// in RESP3.
fn reply_coord(c: &mut Client, v: f64) {
    let mut buf = [0u8; 64];
    let mut text = format_into(&mut buf, format_args!("{v:.17}"));
    while let [rest @ .., b'0'] = text {
        text = rest;
    }
    if let [rest @ .., b'.'] = text {
        text = rest;
    }
    if c.reply.is_resp3() {
        c.reply.raw(b",");
        c.reply.raw(text);
        c.reply.raw(b"\r\n");
    } else {
        c.reply.bulk(text);
    }
}

/// A distance with four decimals, a bulk string in both protocols.
fn reply_distance(c: &mut Client, d: f64) {
    let mut buf = [0u8; 64];
    c.reply.bulk(format_into(&mut buf, format_args!("{d:.4}")));
}

/// C's `%f`, as Redis prints the refused pair.
fn c_f(v: f64) -> String {
    if v.is_infinite() {
        if v > 0.0 { "inf" } else { "-inf" }.to_string()
    } else {
        format!("{v:.6}")
    }
}

/// A longitude and latitude argument pair (Redis's `extractLongLatOrReply`).
fn parse_long_lat(args: &Args, at: usize) -> Result<(f64, f64), CmdError> {
    let long = parse_f64(args.get(at)).ok_or(CmdError::NotFloat)?;
    let lat = parse_f64(args.get(at + 1)).ok_or(CmdError::NotFloat)?;
    if !geohash::valid(long, lat) {
        return Err(CmdError::Message(
            format!(
                "ERR invalid longitude,latitude pair {},{}",
                c_f(long),
                c_f(lat)
            )
            .into(),
        ));
    }
    Ok((long, lat))
}

/// Metres in one unit.
fn parse_unit(arg: &[u8]) -> Result<f64, CmdError> {
    const UNITS: [(&str, f64); 4] = [("m", 1.0), ("km", 1000.0), ("ft", 0.3048), ("mi", 1609.34)];
    UNITS
        .iter()
        .find(|(name, _)| arg.eq_ignore_ascii_case(name.as_bytes()))
        .map(|&(_, m)| m)
        .ok_or_else(|| {
            CmdError::Message("ERR unsupported unit provided. please use M, KM, FT, MI".into())
        })
}

/// A size that must be a non-negative number.
fn parse_size(arg: &[u8], what: &str) -> Result<f64, CmdError> {
    parse_f64(arg).ok_or_else(|| CmdError::Message(format!("ERR need numeric {what}").into()))
}

/// `radius unit` (Redis's `extractDistanceOrReply`).
fn parse_radius(args: &Args, at: usize) -> Result<(Shape, f64), CmdError> {
    let r = parse_size(args.get(at), "radius")?;
    if r < 0.0 {
        return Err(CmdError::Message("ERR radius cannot be negative".into()));
    }
    Ok((Shape::Radius(r), parse_unit(args.get(at + 1))?))
}

/// `width height unit` (Redis's `extractBoxOrReply`).
fn parse_box(args: &Args, at: usize) -> Result<(Shape, f64), CmdError> {
    let width = parse_size(args.get(at), "width")?;
    let height = parse_size(args.get(at + 1), "height")?;
    if width < 0.0 || height < 0.0 {
        return Err(CmdError::Message(
            "ERR height or width cannot be negative".into(),
        ));
    }
    Ok((Shape::Box { width, height }, parse_unit(args.get(at + 2))?))
}

/// The centre of the cell a member's score names.
fn member_position(z: &ZSet, member: &[u8]) -> Option<(f64, f64)> {
    z.score(member).map(geohash::decode)
}

// ---- GEOADD ----------------------------------------------------------------

/// `GEOADD key [NX|XX] [CH] longitude latitude member [...]`: ZADD with the
/// positions encoded, propagated as that ZADD.
pub fn geoadd(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let (mut nx, mut xx, mut ch) = (false, false, false);
    let mut at = 2;
    while at < args.len() {
        if args.is(at, "nx") {
            nx = true;
        } else if args.is(at, "xx") {
            xx = true;
        } else if args.is(at, "ch") {
            ch = true;
        } else {
            break;
        }
        at += 1;
    }
    let left = args.len() - at;
    if !left.is_multiple_of(3) || (nx && xx) || left == 0 {
        return Err(CmdError::Syntax);
    }
    let mut scores = Vec::with_capacity(left / 3);
    for i in (at..args.len()).step_by(3) {
        let (long, lat) = parse_long_lat(args, i)?;
        scores.push(geohash::encode(long, lat).unwrap_or(0));
    }
    srv.propagator.rewrite_with(|| {
        let mut argv = Vec::with_capacity(at + scores.len() * 2);
        argv.push(b"zadd".to_vec());
        argv.extend(args.iter().take(at).skip(1).map(<[u8]>::to_vec));
        for (i, s) in scores.iter().enumerate() {
            argv.push(s.to_string().into_bytes());
            argv.push(args.get(at + i * 3 + 2).to_vec());
        }
        argv
    });
    let pairs: Vec<(f64, &[u8])> = scores
        .iter()
        .enumerate()
        .map(|(i, &s)| (s as f64, args.get(at + i * 3 + 2)))
        .collect();
    let flags = AddFlags {
        nx,
        xx,
        ..AddFlags::default()
    };
    add_pairs(srv, c, args.get(1), &pairs, flags, ch)
}

// ---- decoding reads ----------------------------------------------------------

/// `GEOPOS key [member ...]`: a null array for each missing member.
pub fn geopos(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let z = lookup_read(srv, c, args.get(1))?;
    c.reply.array_len(args.len() - 2);
    for m in args.iter().skip(2) {
        match z.and_then(|z| member_position(z, m)) {
            Some((long, lat)) => {
                c.reply.array_len(2);
                reply_coord(c, long);
                reply_coord(c, lat);
            }
            None => c.reply.null_array(),
        }
    }
    Ok(())
}

/// `GEOHASH key [member ...]`: 11-character standard geohashes.
pub fn geohash(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let z = lookup_read(srv, c, args.get(1))?;
    c.reply.array_len(args.len() - 2);
    for m in args.iter().skip(2) {
        match z.and_then(|z| z.score(m)) {
            Some(s) => c.reply.bulk(&geohash::geohash_string(s)),
            None => c.reply.null(),
        }
    }
    Ok(())
}

/// `GEODIST key member1 member2 [M|KM|FT|MI]`: the unit is checked before the key.
pub fn geodist(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    let to_metres = match args.len() {
        4 => 1.0,
        5 => parse_unit(args.get(4))?,
        _ => return Err(CmdError::Syntax),
    };
    let z = lookup_read(srv, c, args.get(1))?;
    let pos = z.and_then(|z| {
        Some((
            member_position(z, args.get(2))?,
            member_position(z, args.get(3))?,
        ))
    });
    match pos {
        Some(((long1, lat1), (long2, lat2))) => {
            reply_distance(c, geohash::distance(long1, lat1, long2, lat2) / to_metres);
        }
        None => c.reply.null(),
    }
    Ok(())
}

// ---- searches ----------------------------------------------------------------

/// Which search command runs, which fixes where its arguments are.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    /// GEORADIUS[_RO] key longitude latitude radius unit ...
    Radius { store: bool },
    /// GEORADIUSBYMEMBER[_RO] key member radius unit ...
    ByMember { store: bool },
    /// GEOSEARCH key ...
    Search,
    /// GEOSEARCHSTORE destination source ...
    SearchStore,
}

impl Form {
    fn is_search(self) -> bool {
        matches!(self, Form::Search | Form::SearchStore)
    }

    /// Whether STORE and STOREDIST with a key are options.
    fn stores_radius(self) -> bool {
        matches!(
            self,
            Form::Radius { store: true } | Form::ByMember { store: true }
        )
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Sort {
    None,
    Asc,
    Desc,
}

/// A parsed search request.
struct Request<'a> {
    search: Search,
    store: Option<&'a [u8]>,
    store_dist: bool,
    with_dist: bool,
    with_hash: bool,
    with_coord: bool,
    sort: Sort,
    /// Results wanted; 0 for all.
    count: usize,
    any: bool,
}

/// A member found inside the shape.
struct Found {
    pos: Pos,
    score: f64,
    dist: f64,
    long: f64,
    lat: f64,
}

/// Reads a search request (Redis's `georadiusGeneric` up to the search).
/// `z` is the source set, None when the key is missing.
fn parse_request<'a>(
    args: &Args<'a>,
    form: Form,
    z: Option<&ZSet>,
) -> Result<Request<'a>, CmdError> {
    let mut centre = None;
    let mut shape = None;
    let mut store = None;
    let base = match form {
        Form::Radius { .. } => {
            centre = Some(parse_long_lat(args, 2)?);
            shape = Some(parse_radius(args, 4)?);
            6
        }
        Form::ByMember { .. } => {
            if let Some(z) = z {
                centre = Some(
                    member_position(z, args.get(2))
                        .ok_or_else(|| CmdError::Message(NOT_DECODED.into()))?,
                );
                shape = Some(parse_radius(args, 3)?);
            }
            5
        }
        Form::Search => 2,
        Form::SearchStore => {
            store = Some(args.get(1));
            3
        }
    };
    let mut req = Request {
        search: Search {
            long: 0.0,
            lat: 0.0,
            shape: Shape::Radius(0.0),
            to_metres: 1.0,
        },
        store,
        store_dist: false,
        with_dist: false,
        with_hash: false,
        with_coord: false,
        sort: Sort::None,
        count: 0,
        any: false,
    };
    let (mut from_member, mut from_lonlat, mut by_radius, mut by_box) =
        (false, false, false, false);
    let mut i = base;
    while i < args.len() {
        let left = args.len() - i - 1;
        if args.is(i, "withdist") {
            req.with_dist = true;
        } else if args.is(i, "withhash") {
            req.with_hash = true;
        } else if args.is(i, "withcoord") {
            req.with_coord = true;
        } else if args.is(i, "any") {
            req.any = true;
        } else if args.is(i, "asc") {
            req.sort = Sort::Asc;
        } else if args.is(i, "desc") {
            req.sort = Sort::Desc;
        } else if args.is(i, "count") && left >= 1 {
            let n = parse_int(args.get(i + 1))?;
            if n <= 0 {
                return Err(CmdError::Message("ERR COUNT must be > 0".into()));
            }
            req.count = usize::try_from(n).unwrap_or(usize::MAX);
            i += 1;
        } else if (args.is(i, "store") || args.is(i, "storedist"))
            && left >= 1
            && form.stores_radius()
        {
            req.store_dist = args.is(i, "storedist");
            req.store = Some(args.get(i + 1));
            i += 1;
        } else if args.is(i, "storedist") && form == Form::SearchStore {
            req.store_dist = true;
        } else if args.is(i, "frommember") && left >= 1 && form.is_search() && !from_lonlat {
            if let Some(z) = z {
                centre = Some(
                    member_position(z, args.get(i + 1))
                        .ok_or_else(|| CmdError::Message(NOT_DECODED.into()))?,
                );
            }
            from_member = true;
            i += 1;
        } else if args.is(i, "fromlonlat") && left >= 2 && form.is_search() && !from_member {
            centre = Some(parse_long_lat(args, i + 1)?);
            from_lonlat = true;
            i += 2;
        } else if args.is(i, "byradius") && left >= 2 && form.is_search() && !by_box {
            shape = Some(parse_radius(args, i + 1)?);
            by_radius = true;
            i += 2;
        } else if args.is(i, "bybox") && left >= 3 && form.is_search() && !by_radius {
            shape = Some(parse_box(args, i + 1)?);
            by_box = true;
            i += 3;
        } else {
            return Err(CmdError::Syntax);
        }
        i += 1;
    }
    if req.store.is_some() && (req.with_dist || req.with_hash || req.with_coord) {
        let what = if form == Form::SearchStore {
            "GEOSEARCHSTORE"
        } else {
            "STORE option in GEORADIUS"
        };
        return Err(CmdError::Message(
            format!("ERR {what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
                .into(),
        ));
    }
    let name = || String::from_utf8_lossy(args.get(0)).into_owned();
    if form.is_search() && !(from_member || from_lonlat) {
        return Err(CmdError::Message(
            format!(
                "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {}",
                name()
            )
            .into(),
        ));
    }
    if form.is_search() && !(by_radius || by_box) {
        return Err(CmdError::Message(
            format!(
                "ERR exactly one of BYRADIUS and BYBOX can be specified for {}",
                name()
            )
            .into(),
        ));
    }
    if req.any && req.count == 0 {
        return Err(CmdError::Message(
            "ERR the ANY argument requires COUNT argument".into(),
        ));
    }
    if let (Some((long, lat)), Some((shape, to_metres))) = (centre, shape) {
        req.search = Search {
            long,
            lat,
            shape,
            to_metres,
        };
    }
    // COUNT keeps the nearest, so it sorts unless ANY takes the first found.
    if req.count != 0 && req.sort == Sort::None && !req.any {
        req.sort = Sort::Asc;
    }
    Ok(req)
}

/// The members inside the shape, in Redis's cell-scan order; with ANY,
/// the scan stops at `limit`.
fn find(z: &ZSet, search: &Search, limit: usize) -> Vec<Found> {
    let mut out = Vec::new();
    for cell in search.cells().into_iter().filter(|c| !c.is_zero()) {
        if limit != 0 && out.len() >= limit {
            break;
        }
        let (min, max) = cell.score_range();
        let (min, max) = (min as f64, max as f64);
        let mut pos = z.first_where(|s, _| s >= min);
        while let Some(p) = pos {
            let score = z.get(p).1;
            if score >= max {
                break;
            }
            let (long, lat) = geohash::decode(score);
            if let Some(dist) = search.distance_within(long, lat) {
                out.push(Found {
                    pos: p,
                    score,
                    dist,
                    long,
                    lat,
                });
                if limit != 0 && out.len() >= limit {
                    break;
                }
            }
            pos = z.step(p, false);
        }
    }
    out
}

/// Replies with the results: members alone, or each with what was asked.
fn reply_found(c: &mut Client, z: &ZSet, found: &[Found], req: &Request<'_>) {
    let options =
        usize::from(req.with_dist) + usize::from(req.with_hash) + usize::from(req.with_coord);
    c.reply.array_len(found.len());
    let mut buf = IntBuf::default();
    for f in found {
        if options > 0 {
            c.reply.array_len(options + 1);
        }
        c.reply.bulk(z.get(f.pos).0.as_bytes(&mut buf));
        if req.with_dist {
            reply_distance(c, f.dist / req.search.to_metres);
        }
        if req.with_hash {
            c.reply.int(f.score as i64);
        }
        if req.with_coord {
            c.reply.array_len(2);
            reply_coord(c, f.long);
            reply_coord(c, f.lat);
        }
    }
}

/// Stores the results at `dst` (scores: geohashes, or distances in the
/// request's unit), or deletes `dst` when there are none; replies with the count.
fn store_found(
    srv: &mut Server,
    c: &mut Client,
    dst: &[u8],
    elems: Vec<(Vec<u8>, f64)>,
    name: &'static str,
) {
    let n = elems.len();
    if n == 0 {
        if srv.db_delete(c.db, dst) {
            srv.notify_keyspace_event(event::GENERIC, "del", c.db, dst);
            srv.dirty += 1;
        }
    } else {
        let mut elems = elems;
        elems.sort_by(|a, b| a.1.total_cmp(&b.1).then_with(|| a.0.cmp(&b.0)));
        let z = ZSet::from_sorted(&elems, limits(srv));
        srv.set_key(c.db, dst, Value::ZSet(z), false);
        srv.notify_keyspace_event(event::ZSET, name, c.db, dst);
        srv.dirty += n as u64;
    }
    c.reply.int(n as i64);
}

/// Orders results by distance as Redis does: a full sort (glibc's, which
/// is stable) when all are returned, its partial quicksort when COUNT
/// keeps fewer, whose order among equal distances differs.
fn sort_found(found: &mut [Found], sort: Sort, wanted: usize) {
    let asc = |a: &Found, b: &Found| a.dist.partial_cmp(&b.dist).unwrap_or(Ordering::Equal);
    let mut cmp = |a: &Found, b: &Found| match sort {
        Sort::Desc => asc(b, a),
        _ => asc(a, b),
    };
    if sort == Sort::None || wanted == 0 {
        return;
    }
    if wanted == found.len() {
        found.sort_by(cmp);
    } else {
        pqsort(found, 0, wanted as i64 - 1, &mut cmp);
    }
}

/// The body of every search command.
fn search(srv: &mut Server, c: &mut Client, args: &Args, form: Form) -> CmdResult {
    let src = if form == Form::SearchStore { 2 } else { 1 };
    let id: Option<Id> = srv.lookup_read_kind(c.db, args.get(src), Kind::ZSet)?;
    let z = id.and_then(|id| zset_at(srv, c.db, id));
    let req = parse_request(args, form, z)?;
    let event_name = if form.is_search() {
        "geosearchstore"
    } else {
        "georadiusstore"
    };
    let Some(z) = z else {
        match req.store {
            Some(dst) => store_found(srv, c, dst, Vec::new(), event_name),
            None => c.reply.array_len(0),
        }
        return Ok(());
    };
    let mut found = find(z, &req.search, if req.any { req.count } else { 0 });
    let wanted = if req.count == 0 {
        found.len()
    } else {
        req.count.min(found.len())
    };
    sort_found(&mut found, req.sort, wanted);
    found.truncate(wanted);
    match req.store {
        None => reply_found(c, z, &found, &req),
        Some(dst) => {
            let elems = found
                .iter()
                .map(|f| {
                    let score = if req.store_dist {
                        f.dist / req.search.to_metres
                    } else {
                        f.score
                    };
                    (z.get(f.pos).0.to_vec(), score)
                })
                .collect();
            store_found(srv, c, dst, elems, event_name);
        }
    }
    Ok(())
}

/// `GEOSEARCH key FROMMEMBER member|FROMLONLAT longitude latitude
/// BYRADIUS radius unit|BYBOX width height unit [ASC|DESC] [COUNT count [ANY]]
/// [WITHCOORD] [WITHDIST] [WITHHASH]`
pub fn geosearch(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    search(srv, c, args, Form::Search)
}

/// `GEOSEARCHSTORE destination source ... [STOREDIST]`
pub fn geosearchstore(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    search(srv, c, args, Form::SearchStore)
}

/// `GEORADIUS key longitude latitude radius unit [WITH...] [COUNT count [ANY]]
/// [ASC|DESC] [STORE key|STOREDIST key]`
pub fn georadius(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    search(srv, c, args, Form::Radius { store: true })
}

/// `GEORADIUS_RO`: GEORADIUS without STORE.
pub fn georadius_ro(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    search(srv, c, args, Form::Radius { store: false })
}

/// `GEORADIUSBYMEMBER key member radius unit ...`
pub fn georadiusbymember(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    search(srv, c, args, Form::ByMember { store: true })
}

/// `GEORADIUSBYMEMBER_RO`: GEORADIUSBYMEMBER without STORE.
pub fn georadiusbymember_ro(srv: &mut Server, c: &mut Client, args: &Args) -> CmdResult {
    search(srv, c, args, Form::ByMember { store: false })
}
