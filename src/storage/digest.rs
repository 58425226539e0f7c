//! `DEBUG DIGEST` and `DEBUG DIGEST-VALUE`: Redis's SHA1-based signature
//! of a dataset, computed exactly as `debug.c` does, so two servers (or a
//! server before and after a reload) can be compared by one hex string.
//!
//! Two operations build it: [`xor`] folds the SHA1 of some bytes into a
//! digest (order-independent, for members of unordered collections and
//! for the keys of a database), [`mix`] also hashes the digest itself
//! afterwards (order-dependent, for the parts of one element). Each data
//! type adds its arm to [`value_digest`].

use super::db::Db;
use super::dict::Id;
use super::float::{format_g17, G17_MAX};
use super::listpack::IntBuf;
use super::value::{Kind, Value};

/// A digest: 20 bytes, all zero for nothing.
pub type Digest = [u8; 20];

fn sha1(data: &[u8]) -> Digest {
    sha1_smol::Sha1::from(data).digest().bytes()
}

/// `digest ^= SHA1(data)` (Redis's `xorDigest`).
pub fn xor(digest: &mut Digest, data: &[u8]) {
    for (d, h) in digest.iter_mut().zip(sha1(data)) {
        *d ^= h;
    }
}

/// `digest = SHA1(digest ^ SHA1(data))` (Redis's `mixDigest`).
pub fn mix(digest: &mut Digest, data: &[u8]) {
    xor(digest, data);
    *digest = sha1(digest);
}

/// Redis's type numbers (`OBJ_STRING`, `OBJ_HASH`...), which the digest covers.
fn type_number(kind: Kind) -> u32 {
    match kind {
        Kind::String => 0,
        Kind::List => 1,
        Kind::Set => 2,
        Kind::ZSet => 3,
        Kind::Hash => 4,
        Kind::Stream => 6,
    }
}

/// Folds a value (its type, contents, and whether it has a deadline) into
/// `digest` (Redis's `xorObjectDigest`).
pub fn value_digest(digest: &mut Digest, value: &Value, has_expire: bool) {
    mix(digest, &type_number(value.kind()).to_be_bytes());
    match value {
        Value::Str(s) => {
            let mut tmp = [0u8; 20];
            mix(digest, s.bytes(&mut tmp));
        }
        // Elements in order, each mixed in (Redis's `mixStringObjectDigest`).
        Value::List(l) => l.for_each(|e| mix(digest, e.as_bytes(&mut IntBuf::default()))),
        Value::Hash(h) => {
            for (field, value) in h.iter() {
                let mut element = Digest::default();
                mix(&mut element, field.as_bytes(&mut IntBuf::default()));
                mix(&mut element, value.as_bytes(&mut IntBuf::default()));
                xor(digest, &element);
            }
        }
        // Each member's SHA1 folded in, in any order.
        Value::Set(set) => {
            for member in set.iter() {
                xor(digest, member.as_bytes(&mut IntBuf::default()));
            }
        }
        // Each member with its score as `%.17g` text, in any order.
        Value::ZSet(z) => {
            for (member, score) in z.iter() {
                let mut element = Digest::default();
                mix(&mut element, member.as_bytes(&mut IntBuf::default()));
                let mut text = [0u8; G17_MAX];
                mix(&mut element, format_g17(score, &mut text));
                xor(digest, &element);
            }
        }
        // Each live entry in order: its ID as `ms.seq`, then its fields
        // and values; consumer groups are not covered, as in Redis.
        Value::Stream(s) => {
            for entry in s.iter() {
                let text = format!("{}.{}", entry.id.ms, entry.id.seq);
                mix(digest, text.as_bytes());
                for (field, value) in entry.fields() {
                    mix(digest, field.as_bytes(&mut IntBuf::default()));
                    mix(digest, value.as_bytes(&mut IntBuf::default()));
                }
            }
        }
    }
    if has_expire {
        xor(digest, b"!!expire!!");
    }
}

/// The digest of one key's value, zeros for a missing key (`DEBUG DIGEST-VALUE`).
pub fn key_digest(db: &Db, id: Option<Id>) -> Digest {
    let mut digest = Digest::default();
    if let Some(id) = id {
        value_digest(&mut digest, db.value(id), db.expire_of(id).is_some());
    }
    digest
}

/// The digest of every database (`DEBUG DIGEST`, Redis's `computeDatasetDigest`).
pub fn dataset_digest<'a>(dbs: impl Iterator<Item = &'a Db>) -> Digest {
    let mut out = Digest::default();
    for (index, db) in dbs.enumerate() {
        if db.is_empty() {
            continue;
        }
        mix(&mut out, &(index as u32).to_be_bytes());
        for id in db.ids() {
            let mut digest = Digest::default();
            mix(&mut digest, db.key(id).as_slice());
            value_digest(&mut digest, db.value(id), db.expire_of(id).is_some());
            xor(&mut out, &digest);
        }
    }
    out
}

/// Lower-case hex, as DEBUG replies with it.
pub fn hex(digest: &Digest) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::hash::{Hash, Limits};
    use crate::storage::value::Str;

    /// Digests redis-server 7.0.15 gave for the same datasets.
    #[test]
    fn matches_redis() {
        let mut db = Db::new();
        assert_eq!(hex(&dataset_digest([&db].into_iter())), "0".repeat(40));
        db.add(b"s", Value::Str(Str::from_bytes(b"v")), 0);
        let mut h = Hash::new();
        let limits = Limits {
            entries: 512,
            value: 64,
        };
        h.set(b"f", b"1", limits);
        h.set(b"g", b"abc", limits);
        let id = db.add(b"h", Value::Hash(h), 0);
        assert_eq!(
            hex(&key_digest(&db, Some(id))),
            "95b14e0fa6ef9eaca475067d39aa5c666380abf8"
        );
        assert_eq!(
            hex(&dataset_digest([&db].into_iter())),
            "fe91cbdaa7fe8b6e0cd286e6212959fc5abb6446"
        );
        let mut h2 = Hash::new();
        h2.set(b"a", b"b", limits);
        let id = db.add(b"h2", Value::Hash(h2), 0);
        db.set_expire(id, u64::MAX / 2);
        assert_eq!(
            hex(&key_digest(&db, Some(id))),
            "01ce97e79e107255ae83a560e4c2070114b00ba6"
        );
        assert_eq!(
            hex(&dataset_digest([&db].into_iter())),
            "c7d6476074013e755d10d952c8b90cd49e99dfe3"
        );
    }

    /// Sets: the xor of their members' SHA1s, whatever the encoding, as
    /// redis-server 7.0.15 computed them.
    #[test]
    fn sets_match_redis() {
        use crate::storage::set::Set;
        let mut db = Db::new();
        let mut d = Set::for_member(b"a");
        let mut e = Set::for_member(b"1");
        for m in [&b"a"[..], b"b", b"1"] {
            d.add(m, 512);
        }
        for m in [&b"1"[..], b"2", b"3"] {
            e.add(m, 512);
        }
        assert_eq!((d.encoding(), e.encoding()), ("hashtable", "intset"));
        let d = db.add(b"d", Value::Set(d), 0);
        let e = db.add(b"e", Value::Set(e), 0);
        assert_eq!(
            hex(&key_digest(&db, Some(d))),
            "e8f32bbb1ad9bf537c8867de4f19fec9e001296d"
        );
        assert_eq!(
            hex(&key_digest(&db, Some(e))),
            "2a462a3f51a1db89738ebbeef0c47ce1bbc85246"
        );
        assert_eq!(
            hex(&dataset_digest([&db].into_iter())),
            "9a42a7a7447ea9b556782ca0abb9c229114b7f5d"
        );
    }

    /// DEBUG DIGEST-VALUE on redis-server 7.0.15 after `ZADD z 1 a 2.5 b
    /// 0.1 c -0 d`, `ZADD w -0 d` and `ZADD x 0.1 c`, in both encodings.
    #[test]
    fn sorted_sets_match_redis() {
        use crate::storage::zset::{AddFlags, Limits, ZSet};
        let limits = Limits {
            entries: 128,
            value: 64,
        };
        let cases: [(&[(&str, f64)], &str); 3] = [
            (
                &[("a", 1.0), ("b", 2.5), ("c", 0.1), ("d", -0.0)],
                "945644ed52fc362edbd1a7274ff843b44a43d859",
            ),
            (&[("d", -0.0)], "baebd57bc339c2d9a156cb2911ecf2234f499b86"),
            (&[("c", 0.1)], "eae1ca938b0890f074d9bda717872cc640f2451a"),
        ];
        for (members, want) in cases {
            let mut z = ZSet::new();
            for (m, s) in members {
                z.add(m.as_bytes(), *s, AddFlags::default(), limits)
                    .unwrap();
            }
            let mut db = Db::new();
            let id = db.add(b"z", Value::ZSet(z.clone()), 0);
            assert_eq!(hex(&key_digest(&db, Some(id))), want);
            z.convert();
            let id = db.add(b"z2", Value::ZSet(z), 0);
            assert_eq!(hex(&key_digest(&db, Some(id))), want);
        }
    }
}
