//! Geohash encoding and distance maths for the GEO commands (Redis's
//! `geohash.c` and `geohash_helper.c`): a position becomes the 52-bit
//! interleaved cell number that is its sorted-set score, a score decodes to
//! its cell's centre, and a search shape becomes the nine cells (centre and
//! neighbours) whose score ranges are scanned.
//!
//! Every formula and constant is Redis's, evaluated in the same order with
//! the same `f64` operations, because clients see the results: scores,
//! printed coordinates, distances to four decimals, and which members a
//! search finds at the edge of its shape.

/// Cells are split this many times per axis: 26 x 2 = 52 bits, which a
/// double holds exactly.
pub const STEP_MAX: u8 = 26;

pub const LONG_MIN: f64 = -180.0;
pub const LONG_MAX: f64 = 180.0;
/// Latitudes the Web Mercator projection covers; positions past them are refused.
pub const LAT_MIN: f64 = -85.05112878;
pub const LAT_MAX: f64 = 85.05112878;

/// The Earth's radius in metres, as Redis uses it for every distance.
const EARTH_RADIUS: f64 = 6372797.560856;
/// Half the Mercator world's width in metres, for the step estimate.
const MERCATOR_MAX: f64 = 20037726.37;
const D_R: f64 = std::f64::consts::PI / 180.0;

/// The base32 alphabet of standard geohash strings.
const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";

fn deg_rad(d: f64) -> f64 {
    d * D_R
}

fn rad_deg(r: f64) -> f64 {
    r / D_R
}

/// A cell: `step` bits per axis, longitude in the odd bits, latitude in the even.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cell {
    pub bits: u64,
    pub step: u8,
}

impl Cell {
    /// Redis marks a neighbour it need not scan as all zero.
    pub fn is_zero(self) -> bool {
        self.bits == 0 && self.step == 0
    }

    /// The scores `[min, max)` of the points inside the cell.
    pub fn score_range(self) -> (u64, u64) {
        let shift = 52 - 2 * u32::from(self.step);
        (self.bits << shift, (self.bits + 1) << shift)
    }
}

/// A closed interval of one coordinate.
#[derive(Debug, Clone, Copy)]
struct Range {
    min: f64,
    max: f64,
}

const LONG_RANGE: Range = Range {
    min: LONG_MIN,
    max: LONG_MAX,
};
const LAT_RANGE: Range = Range {
    min: LAT_MIN,
    max: LAT_MAX,
};

/// The area a cell covers.
#[derive(Debug, Clone, Copy)]
struct Area {
    long: Range,
    lat: Range,
}

/// Spreads the 32 bits of `v` over the even bits of the result.
fn spread(v: u32) -> u64 {
    let mut x = u64::from(v);
    x = (x | (x << 16)) & 0x0000_FFFF_0000_FFFF;
    x = (x | (x << 8)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x << 2)) & 0x3333_3333_3333_3333;
    (x | (x << 1)) & 0x5555_5555_5555_5555
}

/// Gathers the even bits of `v` into 32 bits.
fn squash(v: u64) -> u32 {
    let mut x = v & 0x5555_5555_5555_5555;
    x = (x | (x >> 1)) & 0x3333_3333_3333_3333;
    x = (x | (x >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
    x = (x | (x >> 4)) & 0x00FF_00FF_00FF_00FF;
    x = (x | (x >> 8)) & 0x0000_FFFF_0000_FFFF;
    ((x | (x >> 16)) & 0x0000_0000_FFFF_FFFF) as u32
}

/// Whether (longitude, latitude) is a position GEO commands accept.
pub fn valid(long: f64, lat: f64) -> bool {
    (LONG_MIN..=LONG_MAX).contains(&long) && (LAT_MIN..=LAT_MAX).contains(&lat)
}

/// The cell of `step` bits per axis holding the position, over the given
/// ranges; None outside the accepted positions.
fn encode_in(long_r: Range, lat_r: Range, long: f64, lat: f64, step: u8) -> Option<Cell> {
    if !valid(long, lat) || lat < lat_r.min || lat > lat_r.max {
        return None;
    }
    let scale = (1u64 << step) as f64;
    let lat_off = (lat - lat_r.min) / (lat_r.max - lat_r.min) * scale;
    let long_off = (long - long_r.min) / (long_r.max - long_r.min) * scale;
    Some(Cell {
        bits: spread(lat_off as u32) | (spread(long_off as u32) << 1),
        step,
    })
}

/// The score of a position (checked with [`valid`] first).
pub fn encode(long: f64, lat: f64) -> Option<u64> {
    encode_in(LONG_RANGE, LAT_RANGE, long, lat, STEP_MAX).map(|c| c.bits)
}

fn decode_area(cell: Cell) -> Area {
    let lat_i = f64::from(squash(cell.bits));
    let long_i = f64::from(squash(cell.bits >> 1));
    let scale = (1u64 << cell.step) as f64;
    let lat_s = LAT_RANGE.max - LAT_RANGE.min;
    let long_s = LONG_RANGE.max - LONG_RANGE.min;
    Area {
        lat: Range {
            min: LAT_RANGE.min + (lat_i / scale) * lat_s,
            max: LAT_RANGE.min + ((lat_i + 1.0) / scale) * lat_s,
        },
        long: Range {
            min: LONG_RANGE.min + (long_i / scale) * long_s,
            max: LONG_RANGE.min + ((long_i + 1.0) / scale) * long_s,
        },
    }
}

/// A score as C's `(uint64_t)` cast turns it into cell bits on x86-64,
/// where Redis runs: truncation, with negative and out-of-range values
/// wrapping rather than saturating.
fn score_bits(score: f64) -> u64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    // cvttsd2si answers i64::MIN for what it cannot convert.
    let signed = |v: f64| {
        if !(-TWO_63..TWO_63).contains(&v) {
            i64::MIN
        } else {
            v as i64
        }
    };
    // NaN takes the first path, as the compiled comparison sends it.
    if score.is_nan() || score < TWO_63 {
        signed(score) as u64
    } else {
        (signed(score - TWO_63) as u64) ^ (1 << 63)
    }
}

/// The centre of the cell a score names, clamped to the accepted ranges:
/// what GEOPOS prints and what distances are measured from.
pub fn decode(score: f64) -> (f64, f64) {
    let area = decode_area(Cell {
        bits: score_bits(score),
        step: STEP_MAX,
    });
    let long = ((area.long.min + area.long.max) / 2.0).clamp(LONG_MIN, LONG_MAX);
    let lat = ((area.lat.min + area.lat.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    (long, lat)
}

/// The 11-character standard geohash of a score: its centre re-encoded
/// over latitudes -90..90, the last character always `0` since only 52
/// bits exist.
pub fn geohash_string(score: f64) -> [u8; 11] {
    let (long, lat) = decode(score);
    let std_lat = Range {
        min: -90.0,
        max: 90.0,
    };
    let bits = encode_in(LONG_RANGE, std_lat, long, lat, STEP_MAX).map_or(0, |c| c.bits);
    let mut out = [ALPHABET[0]; 11];
    for (i, ch) in out.iter_mut().take(10).enumerate() {
        let idx = (bits >> (52 - (i + 1) * 5)) & 0x1f;
        *ch = ALPHABET[idx as usize];
    }
    out
}

fn lat_distance(lat1: f64, lat2: f64) -> f64 {
    EARTH_RADIUS * (deg_rad(lat2) - deg_rad(lat1)).abs()
}

/// The haversine distance in metres between two positions.
pub fn distance(long1: f64, lat1: f64, long2: f64, lat2: f64) -> f64 {
    let v = ((deg_rad(long2) - deg_rad(long1)) / 2.0).sin();
    // Same longitude: the distance is along the meridian alone.
    if v == 0.0 {
        return lat_distance(lat1, lat2);
    }
    let (lat1r, lat2r) = (deg_rad(lat1), deg_rad(lat2));
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS * a.sqrt().asin()
}

/// The area a search covers, sizes in the request's unit.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    Radius(f64),
    Box { width: f64, height: f64 },
}

/// A search: its centre, shape, and the unit's size in metres. Sizes are
/// kept in the unit and converted where Redis converts them, since the
/// order of the roundings decides matches at the shape's edge.
#[derive(Debug, Clone, Copy)]
pub struct Search {
    pub long: f64,
    pub lat: f64,
    pub shape: Shape,
    pub to_metres: f64,
}

impl Search {
    /// The distance from the centre to a point inside the shape, None outside.
    pub fn distance_within(&self, long: f64, lat: f64) -> Option<f64> {
        match self.shape {
            Shape::Radius(r) => {
                let d = distance(self.long, self.lat, long, lat);
                (d <= r * self.to_metres).then_some(d)
            }
            Shape::Box { width, height } => {
                if lat_distance(lat, self.lat) > height * self.to_metres / 2.0 {
                    return None;
                }
                if distance(long, lat, self.long, lat) > width * self.to_metres / 2.0 {
                    return None;
                }
                Some(distance(self.long, self.lat, long, lat))
            }
        }
    }

    /// The bounding box: min longitude, min latitude, max longitude, max latitude.
    fn bounds(&self) -> [f64; 4] {
        let (half_h, half_w) = match self.shape {
            Shape::Radius(r) => (r, r),
            Shape::Box { width, height } => (height / 2.0, width / 2.0),
        };
        let (half_h, half_w) = (self.to_metres * half_h, self.to_metres * half_w);
        let lat_delta = rad_deg(half_h / EARTH_RADIUS);
        let long_top = rad_deg(half_w / EARTH_RADIUS / deg_rad(self.lat + lat_delta).cos());
        let long_bottom = rad_deg(half_w / EARTH_RADIUS / deg_rad(self.lat - lat_delta).cos());
        // The widest edge is the one nearer the equator.
        let long_delta = if self.lat < 0.0 {
            long_bottom
        } else {
            long_top
        };
        [
            self.long - long_delta,
            self.lat - lat_delta,
            self.long + long_delta,
            self.lat + lat_delta,
        ]
    }

    /// The cells to scan, in Redis's order: the centre's cell, then north,
    /// south, east, west, north-east, north-west, south-east, south-west.
    /// Cells not to scan are zero ([`Cell::is_zero`]): those that cannot
    /// hold a match, and a cell equal to the one scanned just before it
    /// (huge radii).
    pub fn cells(&self) -> [Cell; 9] {
        let b = self.bounds();
        let radius = match self.shape {
            Shape::Radius(r) => r,
            Shape::Box { width, height } => {
                ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt()
            }
        } * self.to_metres;
        let mut step = estimate_step(radius, self.lat);
        let locate = |step| {
            let hash = encode_in(LONG_RANGE, LAT_RANGE, self.long, self.lat, step)
                .unwrap_or(Cell { bits: 0, step });
            (hash, neighbours(hash), decode_area(hash))
        };
        let (mut hash, mut n, mut area) = locate(step);
        // Near a cell's edge the estimate can be one step too fine for the
        // neighbours to cover the whole box.
        let too_fine = decode_area(n[0]).lat.max < b[3]
            || decode_area(n[1]).lat.min > b[1]
            || decode_area(n[2]).long.max < b[2]
            || decode_area(n[3]).long.min > b[0];
        if step > 1 && too_fine {
            step -= 1;
            (hash, n, area) = locate(step);
        }
        if step >= 2 {
            const Z: Cell = Cell { bits: 0, step: 0 };
            let [north, south, east, west, ne, nw, se, sw] = &mut n;
            if area.lat.min < b[1] {
                (*south, *sw, *se) = (Z, Z, Z);
            }
            if area.lat.max > b[3] {
                (*north, *ne, *nw) = (Z, Z, Z);
            }
            if area.long.min < b[0] {
                (*west, *sw, *nw) = (Z, Z, Z);
            }
            if area.long.max > b[2] {
                (*east, *se, *ne) = (Z, Z, Z);
            }
        }
        let [north, south, east, west, ne, nw, se, sw] = n;
        let mut out = [hash, north, south, east, west, ne, nw, se, sw];
        // Redis compares with the last scanned cell only once it has
        // scanned a neighbour, never with the centre.
        let mut last: Option<Cell> = None;
        for cell in out.iter_mut().skip(1).filter(|c| !c.is_zero()) {
            if last == Some(*cell) {
                *cell = Cell::default();
            } else {
                last = Some(*cell);
            }
        }
        out
    }
}

/// The coarsest step whose cells are about as big as the search radius,
/// coarser towards the poles, where cells narrow.
fn estimate_step(mut range: f64, lat: f64) -> u8 {
    if range == 0.0 {
        return STEP_MAX;
    }
    let mut step: i32 = 1;
    while range < MERCATOR_MAX {
        range *= 2.0;
        step += 1;
    }
    step -= 2;
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, i32::from(STEP_MAX)) as u8
}

/// Moves a cell one step along longitude (odd bits), wrapping around.
fn move_long(cell: Cell, east: bool) -> Cell {
    let shift = 64 - 2 * u32::from(cell.step);
    let x = cell.bits & 0xaaaa_aaaa_aaaa_aaaa;
    let y = cell.bits & 0x5555_5555_5555_5555;
    let zz = 0x5555_5555_5555_5555u64 >> shift;
    let x = if east {
        x.wrapping_add(zz + 1)
    } else {
        (x | zz).wrapping_sub(zz + 1)
    };
    Cell {
        bits: (x & (0xaaaa_aaaa_aaaa_aaaa >> shift)) | y,
        step: cell.step,
    }
}

/// Moves a cell one step along latitude (even bits), wrapping around.
fn move_lat(cell: Cell, north: bool) -> Cell {
    let shift = 64 - 2 * u32::from(cell.step);
    let x = cell.bits & 0xaaaa_aaaa_aaaa_aaaa;
    let y = cell.bits & 0x5555_5555_5555_5555;
    let zz = 0xaaaa_aaaa_aaaa_aaaau64 >> shift;
    let y = if north {
        y.wrapping_add(zz + 1)
    } else {
        (y | zz).wrapping_sub(zz + 1)
    };
    Cell {
        bits: x | (y & (0x5555_5555_5555_5555 >> shift)),
        step: cell.step,
    }
}

/// North, south, east, west, north-east, north-west, south-east, south-west.
fn neighbours(c: Cell) -> [Cell; 8] {
    [
        move_lat(c, true),
        move_lat(c, false),
        move_long(c, true),
        move_long(c, false),
        move_lat(move_long(c, true), true),
        move_lat(move_long(c, false), true),
        move_lat(move_long(c, true), false),
        move_lat(move_long(c, false), false),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GEOADD, GEOPOS and GEOHASH answers of redis-server 7.0.15.
    #[test]
    fn scores_and_centres_match_redis() {
        let s = encode(13.361389, 38.115556).unwrap();
        assert_eq!(s, 3479099956230698);
        assert_eq!(encode(15.087269, 37.502669), Some(3479447370796909));
        let (long, lat) = decode(s as f64);
        assert_eq!(format!("{long:.17}"), "13.36138933897018433");
        assert_eq!(format!("{lat:.17}"), "38.11555639549629859");
        assert_eq!(&geohash_string(s as f64), b"sqc8b49rny0");
        assert_eq!(&geohash_string(3479447370796909.0), b"sqdtr74hyu0");
        assert_eq!(encode(181.0, 0.0), None);
        assert_eq!(encode(0.0, 85.1), None);
    }

    #[test]
    fn distances_match_redis() {
        let (a, b) = (decode(3479099956230698.0), decode(3479447370796909.0));
        assert_eq!(
            format!("{:.4}", distance(a.0, a.1, b.0, b.1)),
            "166274.1516"
        );
    }

    #[test]
    fn interleaving_round_trips() {
        for v in [0u32, 1, 0x3ff_ffff, 0xdead_beef, u32::MAX] {
            assert_eq!(squash(spread(v)), v);
        }
    }

    #[test]
    fn neighbours_wrap_at_the_antimeridian() {
        let c = Cell { bits: 0, step: 1 };
        let west = move_long(c, false);
        assert_eq!(west.bits, 0b10);
        assert_eq!(move_long(west, true), c);
    }

    #[test]
    fn scores_cast_as_c_does() {
        assert_eq!(score_bits(1.9), 1);
        assert_eq!(score_bits(-1.0), u64::MAX);
        assert_eq!(score_bits(f64::NAN), 1 << 63);
        assert_eq!(score_bits(1e19), 10_000_000_000_000_000_000);
    }
}
