//! GEO commands, differentially against redis-server 7.0: GEOADD and its
//! options, GEOPOS/GEOHASH/GEODIST on places and on scores no GEOADD
//! wrote, every search command and option over points spread across the
//! globe (cities, poles' edges, the antimeridian, the equator) in both
//! encodings of the underlying sorted set, equal distances under COUNT,
//! units, RESP2 and RESP3, each error in Redis's check order, WRONGTYPE,
//! the stores (scores, encodings, deletion when nothing matches), and the
//! events and AOF records writes leave.

use std::fs;

use crate::server_cmds::{COMMAND_DOCS, COMMAND_INFO};
use crate::util::rng::Rng;
use crate::util::*;

/// Replies to HELLO differ only in the connection id.
const HELLO: Mask = Mask::Pairs(&["id"]);

/// A case of one command per line, arguments split on spaces.
fn script(name: &str, text: &str) -> Case {
    lines(Case::new(name), text)
}

/// `case` followed by one command per line of `text`.
fn lines(case: Case, text: &str) -> Case {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .fold(case, |case, line| {
            let args: Vec<&str> = line.split(' ').collect();
            if args[0].eq_ignore_ascii_case("hello") {
                case.masked(HELLO, &args)
            } else {
                case.cmd(&args)
            }
        })
}

/// Places with exact coordinates, from everyday cities to the corners of
/// the accepted range.
const PLACES: &[(&str, &str, &str)] = &[
    ("Palermo", "13.361389", "38.115556"),
    ("Catania", "15.087269", "37.502669"),
    ("Rome", "12.496366", "41.902782"),
    ("Paris", "2.352222", "48.856613"),
    ("London", "-0.127758", "51.507351"),
    ("NewYork", "-74.005974", "40.712776"),
    ("Tokyo", "139.691711", "35.689487"),
    ("Sydney", "151.209290", "-33.868820"),
    ("Santiago", "-70.669266", "-33.448891"),
    ("Reykjavik", "-21.817439", "64.126521"),
    ("Longyearbyen", "15.633", "78.223"),
    ("McMurdo", "166.668", "-77.846"),
    ("Suva", "178.441895", "-18.124809"),
    ("Taveuni", "-179.98", "-16.8"),
    ("Kiritimati", "-157.47", "1.87"),
    ("Quito", "-78.467834", "-0.180653"),
    ("Null", "0", "0"),
    ("Antimeridian", "180", "0"),
    ("Antimeridian2", "-180", "0"),
    ("North", "0", "85.05112878"),
    ("South", "0", "-85.05112878"),
    ("NorthEast", "180", "85.05112878"),
    ("SouthWest", "-180", "-85.05112878"),
    ("Equator1", "45.000001", "0.000001"),
    ("Equator2", "-45.5", "-0.000001"),
];

/// `GEOADD key lon lat member ...` for every place.
fn add_places(case: Case, key: &str) -> Case {
    let mut cmd = vec!["GEOADD", key];
    for (name, long, lat) in PLACES {
        cmd.extend([*long, *lat, *name]);
    }
    case.cmd(&cmd)
}

#[test]
fn geoadd_options_and_errors() {
    diff(&[script(
        "geoadd",
        "
        GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania
        ZRANGE g 0 -1 WITHSCORES
        GEOADD g 13.361389 38.115556 Palermo
        GEOADD g CH 13.361389 38.115556 Palermo 15 37 Catania
        GEOADD g NX 1 1 Palermo 2 2 new
        GEOADD g XX 1 1 Palermo 3 3 other
        GEOADD g XX CH 1 1 Palermo 4 4 Palermo
        GEOADD g NX CH nx 5 5 x
        ZRANGE g 0 -1 WITHSCORES
        GEOADD g XX NX 1 1 a
        GEOADD g NX XX 1 1 a
        GEOADD g 1 1
        GEOADD g 1 1 a 2
        GEOADD g NX 1 1
        GEOADD g NX XX CH
        GEOADD g GT 1 1 a
        GEOADD g 181 10 a
        GEOADD g -180.000001 10 a
        GEOADD g 10 85.06 a
        GEOADD g 10 -85.06 a
        GEOADD g inf 10 a
        GEOADD g 10 -inf a
        GEOADD g 1e300 10 a
        GEOADD g nan 10 a
        GEOADD g x 10 a
        GEOADD g 10 x a
        GEOADD g 1 1 ok 181 1 bad
        EXISTS ok
        GEOADD g 0x10 -0 hex
        GEOADD g 180 85.05112878 corner -180 -85.05112878 corner2
        ZRANGE g 0 -1 WITHSCORES
        OBJECT ENCODING g
        SET s x
        GEOADD s 1 1 a
        GEOADD s 181 1 a
        ",
    )]);
}

#[test]
fn positions_hashes_and_distances() {
    let mut c = lines(
        add_places(Case::new("positions, hashes and distances"), "w"),
        "
        ZADD odd -1 neg 1.5 frac 1e20 huge 4503599627370496 top 4503599627370495 below inf pinf -inf ninf 0 zero
        GEOPOS odd neg frac huge top below pinf ninf zero
        GEOHASH odd neg frac huge top below pinf ninf zero
        GEODIST odd neg frac
        GEODIST odd top zero km
        GEOPOS w
        GEOPOS w nope
        GEOPOS nokey a b
        GEOHASH w
        GEOHASH nokey a
        GEODIST w Palermo nope
        GEODIST nokey a b
        GEODIST w Palermo Catania bad
        GEODIST nokey a b bad
        GEODIST w Palermo Catania km extra
        GEODIST w Palermo Palermo
        SET s x
        GEOPOS s a
        GEOHASH s a
        GEODIST s a b
        GEODIST s a b bad
        ",
    );
    for unit in ["", "m", "km", "KM", "ft", "Mi"] {
        for (a, _, _) in PLACES {
            for (b, _, _) in PLACES.iter().step_by(3) {
                let mut cmd = vec!["GEODIST", "w", a, b];
                if !unit.is_empty() {
                    cmd.push(unit);
                }
                c = c.cmd(&cmd);
            }
        }
    }
    let names: Vec<&str> = PLACES.iter().map(|p| p.0).collect();
    let mut pos = vec!["GEOPOS", "w"];
    pos.extend(&names);
    pos.push("missing");
    let mut hash = vec!["GEOHASH", "w"];
    hash.extend(&names);
    hash.push("missing");
    c = c.cmd(&pos).cmd(&hash);
    c = c.masked(HELLO, &["HELLO", "3"]).cmd(&pos).cmd(&hash);
    c = c.cmd(&["GEODIST", "w", "Tokyo", "Sydney", "km"]);
    c = c.cmd(&["GEODIST", "w", "Tokyo", "nope"]);
    c = c.cmd(&["GEOPOS", "nokey", "a"]);
    diff(&[c]);
}

#[test]
fn search_errors_in_redis_order() {
    let c = lines(
        add_places(Case::new("search errors"), "w"),
        "
        SET s x
        GEOSEARCH s FROMLONLAT 1000 1 BYBOX 1 1 bad
        GEORADIUS s 1000 1 1 bad
        GEORADIUSBYMEMBER s nope 1 bad
        GEOSEARCHSTORE d s FROMLONLAT 1 1 BYRADIUS 1 km
        GEOSEARCHSTORE s w FROMLONLAT 1 1 BYRADIUS 1 km STOREDIST
        TYPE s
        GEOSEARCH w FROMLONLAT 1 1
        GEOSEARCH w BYRADIUS 1 km WITHDIST
        GEOSEARCH w FROMMEMBER Palermo WITHDIST
        GEOSEARCH w FROMMEMBER nope BYRADIUS 1 km
        GEOSEARCH w FROMMEMBER Palermo BYRADIUS 1 km FROMMEMBER Rome
        GEOSEARCH w FROMLONLAT 1 1 FROMMEMBER Palermo BYRADIUS 1 km
        GEOSEARCH w FROMMEMBER Palermo FROMLONLAT 1 1 BYRADIUS 1 km
        GEOSEARCH w FROMLONLAT 1 1 BYRADIUS 1 km BYBOX 1 1 km
        GEOSEARCH w FROMLONLAT 1 1 BYBOX 1 1 km BYRADIUS 1 km
        GEOSEARCH w FROMLONLAT 1 1 BYRADIUS 1
        GEOSEARCH w FROMLONLAT 1 1 BYBOX 1 1
        GEOSEARCH w FROMLONLAT 1 BYRADIUS 1 km
        GEOSEARCH w FROMLONLAT 181 1 BYRADIUS 1 km
        GEOSEARCH w FROMLONLAT 1 x BYRADIUS 1 km
        GEOSEARCH w FROMLONLAT 1 1 BYRADIUS -1 km
        GEOSEARCH w FROMLONLAT 1 1 BYRADIUS x km
        GEOSEARCH w FROMLONLAT 1 1 BYRADIUS 1 yd
        GEOSEARCH w FROMLONLAT 1 1 BYBOX x 1 km
        GEOSEARCH w FROMLONLAT 1 1 BYBOX 1 x km
        GEOSEARCH w FROMLONLAT 1 1 BYBOX -1 1 km
        GEOSEARCH w FROMLONLAT 1 1 BYBOX 1 -1 km
        GEOSEARCH w FROMLONLAT 1 1 BYBOX 1 1 yd
        GEOSEARCH w FROMLONLAT 1 1 BYRADIUS 1 km ANY
        GEOSEARCH w FROMLONLAT 1 1 BYRADIUS 1 km COUNT 0
        GEOSEARCH w FROMLONLAT 1 1 BYRADIUS 1 km COUNT -3
        GEOSEARCH w FROMLONLAT 1 1 BYRADIUS 1 km COUNT x
        GEOSEARCH w FROMLONLAT 1 1 BYRADIUS 1 km COUNT
        GEOSEARCH w FROMLONLAT 1 1 BYRADIUS 1 km STORE d
        GEOSEARCH w FROMLONLAT 1 1 BYRADIUS 1 km STOREDIST
        GEOSEARCH w FROMLONLAT 1 1 BYRADIUS 1 km bogus
        GEOSEARCH w FROMLONLAT 1 1 BYRADIUS 1 km COUNT 0 WITHDIST bogus
        GEOSEARCH w FROMLONLAT 1 1 BYRADIUS x km FROMMEMBER nope
        GEOSEARCHSTORE d w FROMLONLAT 1 1 BYRADIUS 1 km WITHDIST
        GEOSEARCHSTORE d w FROMLONLAT 1 1 BYRADIUS 1 km WITHHASH STOREDIST
        GEOSEARCHSTORE d w FROMLONLAT 1 1 BYRADIUS 1 km STORE x
        GEOSEARCHSTORE d w FROMLONLAT 1 1
        GEOSEARCHSTORE d w BYBOX 1 1 km
        GEORADIUS w 1 1 1 km WITHDIST STORE d
        GEORADIUS w 1 1 1 km STOREDIST d WITHCOORD
        GEORADIUS w 1 1 1 km STORE
        GEORADIUS w 1 1 1 km FROMLONLAT 1 1
        GEORADIUS w 1 1 1 km BYRADIUS 1 km
        GEORADIUS w 181 1 1 km
        GEORADIUS w 1 1 -1 km
        GEORADIUS w 1 1 x km
        GEORADIUS w 1 1 1 yd
        GEORADIUS w 1 1 1 km ANY
        GEORADIUS_RO w 1 1 1 km STORE d
        GEORADIUS_RO w 1 1 1 km STOREDIST d
        GEORADIUSBYMEMBER w nope 1 km
        GEORADIUSBYMEMBER w Palermo -1 km
        GEORADIUSBYMEMBER w Palermo 1 yd
        GEORADIUSBYMEMBER_RO w Palermo 1 km STORE d
        GEORADIUSBYMEMBER w Palermo 1 km WITHHASH STORE d
        GEORADIUSBYMEMBER nokey nope x yd
        GEORADIUSBYMEMBER nokey nope 1 km STORE d
        GEORADIUSBYMEMBER nokey nope 1 km bogus
        GEORADIUS nokey 1 1 1 yd
        GEOSEARCH nokey FROMMEMBER nope BYRADIUS 1 km
        GEOSEARCH nokey FROMMEMBER nope BYRADIUS 1 yd
        GEOSEARCH nokey FROMLONLAT 181 1 BYRADIUS 1 km
        GEOSEARCH nokey FROMMEMBER nope BYRADIUS 1 km ANY
        GEOSEARCH
        GEOSEARCH w FROMLONLAT 1 1 BYRADIUS
        GEORADIUS w 1 1 1
        GEORADIUSBYMEMBER w Palermo 1
        GEOSEARCHSTORE d w FROMLONLAT 1 1 BYRADIUS
        GEOSEARCH w FROMLONLAT 1 1 BYRADIUS 1e400 km
        GEOSEARCH w FROMLONLAT 1 1 BYRADIUS nan km
        GEOSEARCH w FROMLONLAT 1 1 BYBOX inf 1e400 km
        GEORADIUS w 1 1 inf km COUNT 2
        GEOSEARCH w FROMLONLAT 1 1 BYBOX inf inf km COUNT 3 WITHDIST
        GEOSEARCH w FROMLONLAT 1 1 BYRADIUS 0x10 km WITHDIST
        ",
    );
    diff(&[c]);
}

/// A search of every kind around `(long, lat)` with size `size` metres'
/// worth of `unit`, with the options in `opts`.
fn searches(
    mut c: Case,
    key: &str,
    centre: Centre<'_>,
    size: f64,
    unit: &str,
    opts: &[&str],
) -> Case {
    let to_m = match unit.to_ascii_lowercase().as_str() {
        "km" => 1000.0,
        "ft" => 0.3048,
        "mi" => 1609.34,
        _ => 1.0,
    };
    let n = format!("{}", size / to_m);
    let half = format!("{}", size / to_m / 2.0);
    let from: Vec<&str> = match centre {
        Centre::Pos(long, lat) => vec!["FROMLONLAT", long, lat],
        Centre::Member(m) => vec!["FROMMEMBER", m],
    };
    for shape in [
        vec!["BYRADIUS", n.as_str(), unit],
        vec!["BYBOX", n.as_str(), n.as_str(), unit],
        vec!["BYBOX", n.as_str(), half.as_str(), unit],
    ] {
        let mut cmd = vec!["GEOSEARCH", key];
        cmd.extend(&from);
        cmd.extend(&shape);
        cmd.extend(opts);
        c = c.cmd(&cmd);
    }
    let mut cmd = match centre {
        Centre::Pos(long, lat) => vec!["GEORADIUS", key, long, lat, n.as_str(), unit],
        Centre::Member(m) => vec!["GEORADIUSBYMEMBER_RO", key, m, n.as_str(), unit],
    };
    cmd.extend(opts);
    c.cmd(&cmd)
}

#[derive(Clone, Copy)]
enum Centre<'a> {
    Pos(&'a str, &'a str),
    Member(&'a str),
}

/// Fixed searches over the places, every option and unit, in both protocols.
#[test]
fn searches_over_places() {
    let mut c = add_places(Case::new("searches over places"), "w");
    let options: &[&[&str]] = &[
        &[],
        &["ASC"],
        &["DESC"],
        &["WITHDIST"],
        &["WITHCOORD", "WITHHASH"],
        &["WITHDIST", "WITHCOORD", "WITHHASH", "ASC"],
        &["COUNT", "3"],
        &["COUNT", "3", "DESC", "WITHDIST"],
        &["COUNT", "2", "ANY"],
        &["COUNT", "2", "ANY", "DESC"],
        &["COUNT", "100"],
        &["withdist", "count", "1", "asc"],
    ];
    let sizes = [0.0, 1.0, 5e4, 5e5, 2e6, 7e6, 2e7, 1e8];
    let centres = [
        Centre::Pos("13", "38"),
        Centre::Pos("179.9", "-17"),
        Centre::Pos("-179.9", "-17"),
        Centre::Pos("0", "0"),
        Centre::Pos("0", "84"),
        Centre::Pos("0", "-85.05"),
        Centre::Pos("-75", "40"),
        Centre::Member("Palermo"),
        Centre::Member("Taveuni"),
        Centre::Member("North"),
        Centre::Member("Quito"),
    ];
    for (i, centre) in centres.iter().enumerate() {
        for (j, size) in sizes.iter().enumerate() {
            let unit = ["m", "km", "KM", "ft", "mi", "Mi"][(i + j) % 6];
            let opts = options[(i * 7 + j) % options.len()];
            c = searches(c, "w", *centre, *size, unit, opts);
        }
    }
    c = c.masked(HELLO, &["HELLO", "3"]);
    for opts in options {
        c = searches(c, "w", Centre::Pos("13", "38"), 1e6, "km", opts);
    }
    diff(&[c]);
}

/// Seeded random points and searches: small sets in a listpack, large ones
/// in a skiplist, dense clusters where the cells' edges matter.
#[test]
fn random_searches_match_redis() {
    let mut rng = Rng::new(0x6e0);
    let mut c = Case::new("random searches");
    let coord = |rng: &mut Rng| -> (String, String) {
        let frac = |rng: &mut Rng| rng.below(1_000_001) as f64 / 1e6;
        match rng.below(10) {
            0 => (
                rng.pick(&["-180", "180", "179.9999", "-179.9999"])
                    .to_string(),
                format!("{:.6}", frac(rng) * 170.0 - 85.0),
            ),
            1 => (
                format!("{:.6}", frac(rng) * 360.0 - 180.0),
                rng.pick(&["85.05112878", "-85.05112878", "84.9", "-84.9", "0"])
                    .to_string(),
            ),
            2..=5 => (
                format!("{:.6}", 10.0 + frac(rng) * 2.0),
                format!("{:.6}", 40.0 + frac(rng) * 2.0),
            ),
            _ => (
                format!("{:.6}", frac(rng) * 360.0 - 180.0),
                format!("{:.6}", frac(rng) * 170.0 - 85.0),
            ),
        }
    };
    for (key, n) in [("small", 60), ("big", 400)] {
        for i in 0..n {
            let (long, lat) = coord(&mut rng);
            let m = format!("m{i}");
            c = c.cmd(&["GEOADD", key, &long, &lat, &m]);
        }
        c = c.cmd(&["OBJECT", "ENCODING", key]);
    }
    let options: &[&[&str]] = &[
        &[],
        &["WITHDIST"],
        &["ASC", "WITHHASH"],
        &["DESC", "WITHCOORD"],
        &["COUNT", "5"],
        &["COUNT", "20", "DESC"],
        &["COUNT", "3", "ANY"],
    ];
    for _ in 0..250 {
        let key = rng.pick(&["small", "big"]);
        let (long, lat) = coord(&mut rng);
        let member = format!("m{}", rng.below(60));
        let centre = if rng.below(4) == 0 {
            Centre::Member(&member)
        } else {
            Centre::Pos(&long, &lat)
        };
        let size = rng.pick(&[1.0, 100.0, 1e4, 5e4, 2e5, 1e6, 5e6, 2e7]);
        let unit = rng.pick(&["m", "km", "ft", "mi"]);
        let opts = rng.pick(options);
        c = searches(c, key, centre, size, unit, opts);
    }
    diff(&[c]);
}

/// Members at the same spot tie on distance: a full sort keeps the scan
/// order, COUNT's partial sort shuffles them as Redis's does.
#[test]
fn equal_distances_order_as_redis_orders_them() {
    let mut rng = Rng::new(7);
    let spots: Vec<(String, String)> = (0..12)
        .map(|_| {
            (
                format!("{:.3}", 10.0 + rng.below(500) as f64 / 1000.0),
                format!("{:.3}", 10.0 + rng.below(500) as f64 / 1000.0),
            )
        })
        .collect();
    let mut c = Case::new("ties");
    for i in 0..200 {
        let (long, lat) = &spots[rng.below(spots.len())];
        let m = format!("m{i}");
        c = c.cmd(&["GEOADD", "t", long, lat, &m]);
    }
    for _ in 0..150 {
        let (long, lat) = &spots[rng.below(spots.len())];
        let count = rng.between(1, 120).to_string();
        let radius = rng.pick(&["1", "10", "30", "80"]);
        let order = rng.pick(&["ASC", "DESC", "WITHDIST"]);
        c = c.cmd(&[
            "GEOSEARCH",
            "t",
            "FROMLONLAT",
            long,
            lat,
            "BYRADIUS",
            radius,
            "km",
            "COUNT",
            &count,
            order,
        ]);
        c = c.cmd(&["GEORADIUS", "t", long, lat, radius, "km", order]);
    }
    diff(&[c]);
}

#[test]
fn stores_and_their_encodings() {
    let c = lines(
        add_places(Case::new("stores"), "w"),
        "
        GEOSEARCHSTORE d w FROMLONLAT 13 38 BYRADIUS 2000 km
        ZRANGE d 0 -1 WITHSCORES
        OBJECT ENCODING d
        DUMP d
        GEOSEARCHSTORE d w FROMLONLAT 13 38 BYRADIUS 2000 km STOREDIST COUNT 3 DESC
        ZRANGE d 0 -1 WITHSCORES
        GEOSEARCHSTORE d w FROMLONLAT 13 38 BYBOX 4000 4000 mi STOREDIST
        ZRANGE d 0 -1 WITHSCORES
        GEOSEARCHSTORE d w FROMLONLAT 13 38 BYRADIUS 1 m
        EXISTS d
        GEOSEARCHSTORE d nokey FROMLONLAT 13 38 BYRADIUS 1 m
        GEORADIUS w 13 38 2000 km STORE r
        ZRANGE r 0 -1 WITHSCORES
        GEORADIUS w 13 38 2000 km STOREDIST r ASC COUNT 2
        ZRANGE r 0 -1 WITHSCORES
        GEORADIUS w 13 38 2000 km STORE r1 STOREDIST r2
        EXISTS r1 r2
        GEORADIUS w 13 38 2000 km STOREDIST r3 STORE r4
        EXISTS r3 r4
        ZRANGE r4 0 -1 WITHSCORES
        GEORADIUSBYMEMBER w Palermo 500 km STORE r
        ZRANGE r 0 -1 WITHSCORES
        GEORADIUSBYMEMBER w Palermo 1 m STORE r
        ZRANGE r 0 -1 WITHSCORES
        GEORADIUSBYMEMBER w Palermo 0 m STORE r
        GEORADIUS w 100 0 1 m STORE r
        EXISTS r
        GEORADIUS nokey 1 1 1 km STORE w
        EXISTS w
        SET s x
        GEORADIUS nokey 1 1 1 km STORE s
        EXISTS s
        ",
    );
    // Past zset-max-listpack-entries the stored set is a skiplist.
    let mut big = Case::new("big stores");
    for i in 0..200 {
        let long = format!("{:.4}", 10.0 + i as f64 / 1000.0);
        let m = format!("member-{i}");
        big = big.cmd(&["GEOADD", "b", &long, "20", &m]);
    }
    let big = lines(
        big,
        "
        GEOSEARCHSTORE d b FROMLONLAT 10.1 20 BYRADIUS 100 km
        OBJECT ENCODING d
        ZCARD d
        GEOSEARCHSTORE d b FROMLONLAT 10.1 20 BYRADIUS 100 km COUNT 128
        OBJECT ENCODING d
        GEOSEARCHSTORE d b FROMLONLAT 10.1 20 BYRADIUS 100 km COUNT 129 STOREDIST
        OBJECT ENCODING d
        ZRANGE d 0 4 WITHSCORES
        GEOSEARCHSTORE b b FROMLONLAT 10.1 20 BYRADIUS 1 km
        ZRANGE b 0 -1 WITHSCORES
        ",
    );
    let watch = lines(
        add_places(Case::new("writes and WATCH"), "w"),
        "
        WATCH d
        GEOSEARCHSTORE d w FROMLONLAT 13 38 BYRADIUS 1 m
        MULTI
        PING
        EXEC
        WATCH d
        GEOSEARCHSTORE d w FROMLONLAT 13 38 BYRADIUS 100 km
        MULTI
        PING
        EXEC
        WATCH w
        GEOADD w NX 13.361389 38.115556 Palermo
        GEORADIUS w 13 38 100 km
        MULTI
        PING
        EXEC
        WATCH w
        GEOADD w XX 13.361389 38.115556 Palermo 1 1 nothere
        MULTI
        PING
        EXEC
        WATCH w
        GEOADD w 13 38 Palermo
        MULTI
        PING
        EXEC
        ",
    );
    diff(&[c, big, watch]);
}

#[test]
fn wrongtype_and_introspection() {
    let mut c = script(
        "wrongtype",
        "
        LPUSH l a
        GEOADD l 1 1 a
        GEOPOS l a
        GEOHASH l a
        GEODIST l a b
        GEOSEARCH l FROMLONLAT 1 1 BYRADIUS 1 km
        GEOSEARCHSTORE d l FROMLONLAT 1 1 BYRADIUS 1 km
        GEORADIUS l 1 1 1 km
        GEORADIUS_RO l 1 1 1 km
        GEORADIUSBYMEMBER l a 1 km
        GEORADIUSBYMEMBER_RO l a 1 km
        COMMAND GETKEYS GEORADIUS k 1 2 3 m STORE d STOREDIST e
        COMMAND GETKEYS GEORADIUSBYMEMBER k m 3 m STOREDIST e
        COMMAND GETKEYS GEORADIUS k 1 2 3 m
        COMMAND GETKEYSANDFLAGS GEORADIUS k 1 2 3 m STORE d
        COMMAND GETKEYSANDFLAGS GEOSEARCHSTORE d s FROMMEMBER m BYRADIUS 1 m
        ",
    );
    for name in [
        "geoadd",
        "geodist",
        "geohash",
        "geopos",
        "georadius",
        "georadius_ro",
        "georadiusbymember",
        "georadiusbymember_ro",
        "geosearch",
        "geosearchstore",
    ] {
        c = c
            .masked(COMMAND_INFO, &["COMMAND", "INFO", name])
            .masked(COMMAND_DOCS, &["COMMAND", "DOCS", name]);
    }
    // The deprecation fields GEORADIUS brought to the table, on other
    // deprecated commands. (The sorted-set ones still differ in their group
    // name, `sorted_set` where Redis says `sorted-set`.)
    for name in ["brpoplpush", "getset", "hmset", "rpoplpush", "substr"] {
        c = c.masked(COMMAND_DOCS, &["COMMAND", "DOCS", name]);
    }
    diff(&[c]);
}

/// Keyspace events of every write, and the AOF: GEOADD is written as the
/// ZADD it became, the stores as received.
#[test]
fn events_and_propagation() {
    let mut pair = Pair::start_with(&[
        "--appendonly",
        "yes",
        "--appendfsync",
        "always",
        "--notify-keyspace-events",
        "KEA",
    ]);
    pair.scenario("events and aof", |srv, t| {
        let mut sub = srv.conn();
        sub.call(&["PSUBSCRIBE", "__key*__:*"]);
        let mut c = srv.conn();
        let writes: &[&[&str]] = &[
            &[
                "GEOADD",
                "g",
                "13.361389",
                "38.115556",
                "Palermo",
                "15.087269",
                "37.502669",
                "Catania",
            ],
            &[
                "GEOADD",
                "g",
                "CH",
                "XX",
                "13.361389",
                "38.115556",
                "Palermo",
                "15",
                "37",
                "Catania",
            ],
            &["GEOADD", "g", "NX", "13.361389", "38.115556", "Palermo"],
            &["GEORADIUS", "g", "15", "37", "200", "km", "STORE", "r"],
            &["GEORADIUS", "g", "15", "37", "200", "km", "STOREDIST", "r2"],
            &[
                "GEORADIUSBYMEMBER",
                "g",
                "Palermo",
                "10",
                "km",
                "STORE",
                "r3",
            ],
            &[
                "GEOSEARCHSTORE",
                "s",
                "g",
                "FROMLONLAT",
                "15",
                "37",
                "BYRADIUS",
                "200",
                "km",
            ],
            &[
                "GEOSEARCHSTORE",
                "s",
                "g",
                "FROMLONLAT",
                "0",
                "0",
                "BYRADIUS",
                "1",
                "km",
            ],
            &[
                "GEOSEARCHSTORE",
                "s",
                "g",
                "FROMLONLAT",
                "0",
                "0",
                "BYRADIUS",
                "1",
                "km",
            ],
            &["GEORADIUS", "g", "0", "0", "1", "km", "STORE", "r"],
            &["GEORADIUS_RO", "g", "15", "37", "200", "km"],
            &["MULTI"],
            &["GEOADD", "g", "1", "1", "m"],
            &["GEOADD", "g", "XX", "2", "2", "m", "3", "3", "absent"],
            &[
                "GEOSEARCHSTORE",
                "s",
                "g",
                "FROMMEMBER",
                "m",
                "BYRADIUS",
                "1000",
                "km",
                "STOREDIST",
            ],
            &["EXEC"],
        ];
        for w in writes {
            let label = w.join(" ");
            t.reply(&label, Mask::Exact, &c.call(w));
        }
        c.call(&["PUBLISH", "done", "x"]);
        c.call(&["SET", "end", "1"]);
        loop {
            let msg = sub.read_parsed();
            let text = canon(&msg);
            t.note("event", &text);
            if text.contains("end") && text.contains("keyevent") {
                break;
            }
        }
        let dir = srv.dir().join("appendonlydir");
        let mut files: Vec<_> = fs::read_dir(&dir)
            .expect("aof dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.to_string_lossy().ends_with(".incr.aof"))
            .collect();
        files.sort();
        let text: String = files
            .iter()
            .map(|p| fs::read_to_string(p).unwrap_or_default())
            .collect();
        t.note("incremental files", text);
    });
}
