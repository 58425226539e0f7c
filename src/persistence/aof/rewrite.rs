//! A base file in command form (`aof-use-rdb-preamble no`): the commands
//! that rebuild the keyspace, as Redis's `rewriteAppendOnlyFileRio` writes
//! them: `FUNCTION LOAD` for each function library, `SELECT` for each
//! non-empty database, then one command per key (`RPUSH` batches of 64
//! elements for a list, `SADD` batches of 64 members for a set, `ZADD`
//! batches of 64 score-member pairs for a sorted set) and `PEXPIREAT` for
//! keys with a deadline.
//!
//! With the preamble on (the default) the base is an RDB file written by
//! `rdb/save.rs` instead; both are loaded by `reader.rs`.

use std::io::{self, Write};
use std::time::Duration;

use crate::protocol::reply::format_i64;
use crate::server::propagate::{int_arg, write_command};
use crate::storage::db::Db;
use crate::storage::float::{format_g17, G17_MAX};
use crate::storage::hash::Hash;
use crate::storage::listpack::IntBuf;
use crate::storage::quicklist::Quicklist;
use crate::storage::set::Set;
use crate::storage::stream::Stream;
use crate::storage::stream_group::Groups;
use crate::storage::value::Value;
use crate::storage::zset::ZSet;

/// The annotation `aof-timestamp-enabled` writes before the commands of
/// a new second (and at the top of a base in command form); loaders skip it.
pub fn timestamp_annotation(unix_secs: u64) -> String {
    format!("#TS:{unix_secs}\r\n")
}

/// Bytes gathered before they are written.
const CHUNK: usize = 64 * 1024;
/// Most elements (fields, or field-value pairs) one rebuilding command
/// carries (Redis's `AOF_REWRITE_ITEMS_PER_CMD`).
pub const ITEMS_PER_CMD: usize = 64;

/// `HMSET key field value ...` commands rebuilding `h`, 64 fields each.
fn write_hash(buf: &mut Vec<u8>, key: &[u8], h: &Hash) {
    let mut text = Vec::new();
    let mut ends = Vec::with_capacity(2 * ITEMS_PER_CMD);
    let mut it = h.iter().peekable();
    while it.peek().is_some() {
        text.clear();
        ends.clear();
        for (field, value) in it.by_ref().take(ITEMS_PER_CMD) {
            for e in [field, value] {
                let mut tmp = IntBuf::default();
                text.extend_from_slice(e.as_bytes(&mut tmp));
                ends.push(text.len());
            }
        }
        let starts = std::iter::once(0).chain(ends.iter().copied());
        let elements = starts.zip(ends.iter()).map(|(a, &b)| &text[a..b]);
        let head = [&b"HMSET"[..], key];
        let argv: Vec<&[u8]> = head.into_iter().chain(elements).collect();
        write_command(buf, argv.into_iter());
    }
}

/// `SADD key member ...` commands rebuilding `set`, 64 members each (Redis's
/// `rewriteSetObject`).
fn write_set(buf: &mut Vec<u8>, key: &[u8], set: &Set) {
    let mut left = set.len();
    let mut tmp = [0u8; 20];
    for (i, member) in set.iter().enumerate() {
        if i % ITEMS_PER_CMD == 0 {
            let args = 2 + left.min(ITEMS_PER_CMD);
            buf.push(b'*');
            buf.extend_from_slice(format_i64(args as i64, &mut tmp));
            buf.extend_from_slice(b"\r\n");
            bulk(buf, b"SADD");
            bulk(buf, key);
        }
        bulk(buf, member.as_bytes(&mut IntBuf::default()));
        left -= 1;
    }
}

/// `ZADD key score member ...` commands rebuilding `z`, 64 pairs each,
/// scores as `%.17g` text (Redis's `rewriteSortedSetObject`).
fn write_zset(buf: &mut Vec<u8>, key: &[u8], z: &ZSet) {
    let mut text = Vec::new();
    let mut ends = Vec::with_capacity(2 * ITEMS_PER_CMD);
    let mut it = z.iter().peekable();
    while it.peek().is_some() {
        text.clear();
        ends.clear();
        for (member, score) in it.by_ref().take(ITEMS_PER_CMD) {
            let mut g = [0u8; G17_MAX];
            text.extend_from_slice(format_g17(score, &mut g));
            ends.push(text.len());
            text.extend_from_slice(member.as_bytes(&mut IntBuf::default()));
            ends.push(text.len());
        }
        let starts = std::iter::once(0).chain(ends.iter().copied());
        let elements = starts.zip(ends.iter()).map(|(a, &b)| &text[a..b]);
        let head = [&b"ZADD"[..], key];
        let argv: Vec<&[u8]> = head.into_iter().chain(elements).collect();
        write_command(buf, argv.into_iter());
    }
}

/// Appends one `XADD key id field value ...` per entry, as Redis's
/// `rewriteStreamObject` does (an empty stream is made by an XADD that
/// trims itself away), then the `XSETID` that restores the last ID, the
/// count of entries added and the highest deleted ID.
fn write_stream(buf: &mut Vec<u8>, key: &[u8], s: &Stream) {
    let mut fields: Vec<Vec<u8>> = Vec::new();
    if s.is_empty() {
        let argv: [&[u8]; 7] = [b"XADD", key, b"MAXLEN", b"0", b"0-1", b"x", b"y"];
        write_command(buf, argv.into_iter());
    }
    for entry in s.iter() {
        fields.clear();
        for (f, v) in entry.fields() {
            fields.push(f.to_vec());
            fields.push(v.to_vec());
        }
        let id = entry.id.to_vec();
        let head = [&b"XADD"[..], key, &id];
        let argv: Vec<&[u8]> = head
            .into_iter()
            .chain(fields.iter().map(Vec::as_slice))
            .collect();
        write_command(buf, argv.into_iter());
    }
    let last = s.last_id.to_vec();
    let added = int_arg(s.entries_added as i64);
    let deleted = s.max_deleted_entry_id.to_vec();
    let argv: [&[u8]; 7] = [
        b"XSETID",
        key,
        &last,
        b"ENTRIESADDED",
        &added,
        b"MAXDELETEDID",
        &deleted,
    ];
    write_command(buf, argv.into_iter());
    if let Some(groups) = s.groups.as_deref() {
        write_stream_groups(buf, key, groups);
    }
}

/// Appends what rebuilds each consumer group, as Redis's rewrite writes
/// it: `XGROUP CREATE … ENTRIESREAD`, then per consumer in name order an
/// `XCLAIM … FORCE` for each entry it has pending, with its delivery time
/// and count, or an `XGROUP CREATECONSUMER` when it has none.
fn write_stream_groups(buf: &mut Vec<u8>, key: &[u8], groups: &Groups) {
    for (name, g) in groups.iter() {
        let last = g.last_id.to_vec();
        let read = int_arg(g.entries_read);
        let argv: [&[u8]; 7] = [
            b"XGROUP",
            b"CREATE",
            key,
            name,
            &last,
            b"ENTRIESREAD",
            &read,
        ];
        write_command(buf, argv.into_iter());
        for (consumer, c) in g.consumers() {
            if c.pending_len() == 0 {
                let argv: [&[u8]; 5] = [b"XGROUP", b"CREATECONSUMER", key, name, consumer];
                write_command(buf, argv.into_iter());
            }
            for id in c.pending() {
                let Some(p) = g.pending(id) else { continue };
                let (id, time) = (id.to_vec(), int_arg(p.delivery_time));
                let count = int_arg(p.delivery_count as i64);
                let argv: [&[u8]; 12] = [
                    b"XCLAIM",
                    key,
                    name,
                    consumer,
                    b"0",
                    &id,
                    b"TIME",
                    &time,
                    b"RETRYCOUNT",
                    &count,
                    b"JUSTID",
                    b"FORCE",
                ];
                write_command(buf, argv.into_iter());
            }
        }
    }
}

/// Writes a `FUNCTION LOAD` for each library code, which a base in command
/// form starts with (before any `SELECT`), as Redis's `rewriteFunctions`.
pub fn write_functions<'a, W: Write>(
    out: &mut W,
    libraries: impl Iterator<Item = &'a [u8]>,
) -> io::Result<()> {
    let mut buf = Vec::new();
    for code in libraries {
        buf.clear();
        write_command(&mut buf, [&b"FUNCTION"[..], b"LOAD", code].into_iter());
        out.write_all(&buf)?;
    }
    Ok(())
}

/// Writes the commands rebuilding `dbs` to `out`. Keys whose deadline is
/// before `now_ms` are left out: loading them would only delete them.
/// `key_delay_us` is `rdb-key-save-delay` (tests slow rewrites with it).
pub fn write_commands<W: Write>(
    mut out: W,
    dbs: &[Db],
    now_ms: u64,
    key_delay_us: u64,
) -> io::Result<W> {
    let mut buf = Vec::with_capacity(CHUNK + 1024);
    for (index, db) in dbs.iter().enumerate() {
        if db.is_empty() {
            continue;
        }
        let number = int_arg(index as i64);
        write_command(&mut buf, [&b"SELECT"[..], &number].into_iter());
        for id in db.ids() {
            let deadline = db.expire_of(id);
            if deadline.is_some_and(|t| t < now_ms) {
                continue;
            }
            let key = db.key(id).as_slice();
            match db.value(id) {
                Value::Str(s) => {
                    let value = s.to_cow();
                    write_command(&mut buf, [&b"SET"[..], key, &value].into_iter());
                }
                Value::Hash(h) => write_hash(&mut buf, key, h),
                Value::List(l) => write_list(&mut out, &mut buf, key, l)?,
                Value::Set(set) => write_set(&mut buf, key, set),
                Value::ZSet(z) => write_zset(&mut buf, key, z),
                Value::Stream(st) => write_stream(&mut buf, key, st),
            }
            if let Some(t) = deadline {
                let when = int_arg(t as i64);
                write_command(&mut buf, [&b"PEXPIREAT"[..], key, &when].into_iter());
            }
            if buf.len() >= CHUNK {
                out.write_all(&buf)?;
                buf.clear();
            }
            if key_delay_us > 0 {
                std::thread::sleep(Duration::from_micros(key_delay_us));
            }
        }
    }
    out.write_all(&buf)?;
    Ok(out)
}

/// Appends `RPUSH key e1 .. e64` commands rebuilding `list`, as Redis's
/// `rewriteListObject` batches them, flushing `buf` to `out` as it fills.
fn write_list<W: Write>(
    out: &mut W,
    buf: &mut Vec<u8>,
    key: &[u8],
    list: &Quicklist,
) -> io::Result<()> {
    let mut left = list.len();
    let mut in_cmd = 0;
    let mut result = Ok(());
    let mut tmp = [0u8; 20];
    list.visit(0, false, |e| {
        if in_cmd == 0 {
            let args = 2 + left.min(ITEMS_PER_CMD);
            buf.push(b'*');
            buf.extend_from_slice(format_i64(args as i64, &mut tmp));
            buf.extend_from_slice(b"\r\n");
            bulk(buf, b"RPUSH");
            bulk(buf, key);
        }
        let mut ibuf = [0u8; 20];
        bulk(buf, e.as_bytes(&mut ibuf));
        in_cmd = (in_cmd + 1) % ITEMS_PER_CMD;
        left -= 1;
        if buf.len() >= CHUNK {
            result = out.write_all(buf);
            buf.clear();
        }
        result.is_ok()
    });
    result
}

fn bulk(buf: &mut Vec<u8>, s: &[u8]) {
    let mut tmp = [0u8; 20];
    buf.push(b'$');
    buf.extend_from_slice(format_i64(s.len() as i64, &mut tmp));
    buf.extend_from_slice(b"\r\n");
    buf.extend_from_slice(s);
    buf.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::value::Str;

    #[test]
    fn writes_function_loads() {
        let mut out = Vec::new();
        write_functions(&mut out, [&b"#!lua name=a\nx"[..], b"y"].into_iter()).unwrap();
        assert_eq!(
            out,
            b"*3\r\n$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n$14\r\n#!lua name=a\nx\r\n\
              *3\r\n$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n$1\r\ny\r\n"
        );
    }

    #[test]
    fn writes_select_set_and_pexpireat() {
        let mut dbs = vec![Db::new(), Db::new(), Db::new()];
        dbs[2].add(b"k", Value::Str(Str::from_bytes(b"12")), 0);
        let id = dbs[2].add(b"t", Value::Str(Str::from_bytes(b"v")), 0);
        dbs[2].set_expire(id, 5000);
        let gone = dbs[2].add(b"old", Value::Str(Str::from_bytes(b"v")), 0);
        dbs[2].set_expire(gone, 10);
        let out = write_commands(Vec::new(), &dbs, 100, 0).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.starts_with("*2\r\n$6\r\nSELECT\r\n$1\r\n2\r\n"),
            "{text}"
        );
        assert!(text.contains("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n12\r\n"));
        assert!(text.contains("*3\r\n$9\r\nPEXPIREAT\r\n$1\r\nt\r\n$4\r\n5000\r\n"));
        assert!(!text.contains("old"));
    }

    /// Hashes rebuild with HMSET, at most 64 fields per command.
    #[test]
    fn hashes_in_batches_of_64_fields() {
        use crate::storage::hash::Limits;
        let mut h = Hash::new();
        let limits = Limits {
            entries: 512,
            value: 64,
        };
        for i in 0..130 {
            h.set(format!("f{i}").as_bytes(), b"7", limits);
        }
        let mut dbs = vec![Db::new()];
        dbs[0].add(b"h", Value::Hash(h), 0);
        let text = String::from_utf8(write_commands(Vec::new(), &dbs, 0, 0).unwrap()).unwrap();
        let heads: Vec<&str> = text.matches("\r\n$5\r\nHMSET\r\n").collect();
        assert_eq!(heads.len(), 3);
        assert_eq!(text.matches("*130\r\n$5\r\nHMSET").count(), 2);
        assert!(text.contains("*6\r\n$5\r\nHMSET\r\n$1\r\nh\r\n$4\r\nf128\r\n$1\r\n7\r\n"));
    }

    /// Sorted sets rebuild with ZADD, at most 64 pairs per command.
    #[test]
    fn sorted_sets_in_batches_of_64_pairs() {
        use crate::storage::zset::{AddFlags, Limits};
        let mut z = ZSet::new();
        let limits = Limits {
            entries: 128,
            value: 64,
        };
        for i in 0..130 {
            let score = f64::from(i) + 0.5;
            z.add(
                format!("m{i}").as_bytes(),
                score,
                AddFlags::default(),
                limits,
            )
            .unwrap();
        }
        let mut dbs = vec![Db::new()];
        dbs[0].add(b"z", Value::ZSet(z), 0);
        let text = String::from_utf8(write_commands(Vec::new(), &dbs, 0, 0).unwrap()).unwrap();
        assert_eq!(text.matches("*130\r\n$4\r\nZADD").count(), 2);
        assert!(text.contains("*6\r\n$4\r\nZADD\r\n$1\r\nz\r\n$5\r\n128.5\r\n$4\r\nm128\r\n"));
    }

    #[test]
    fn sets_become_sadd_batches_of_64() {
        let mut dbs = vec![Db::new()];
        let mut set = Set::default();
        for i in 0..130 {
            set.add(i.to_string().as_bytes(), 512);
        }
        dbs[0].add(b"s", Value::Set(set), 0);
        let text = String::from_utf8(write_commands(Vec::new(), &dbs, 0, 0).unwrap()).unwrap();
        assert_eq!(text.matches("$4\r\nSADD\r\n").count(), 3);
        assert_eq!(text.matches("*66\r\n$4\r\nSADD").count(), 2);
        assert!(text.contains("*4\r\n$4\r\nSADD\r\n$1\r\ns\r\n$3\r\n128\r\n$3\r\n129\r\n"));
    }

    #[test]
    fn lists_become_rpush_batches_of_64() {
        let mut dbs = vec![Db::new()];
        let mut list = Quicklist::new(-2, 0);
        for i in 0..130 {
            list.push(
                i.to_string().as_bytes(),
                crate::storage::quicklist::Where::Tail,
            );
        }
        dbs[0].add(b"l", Value::List(Box::new(list)), 0);
        let out = write_commands(Vec::new(), &dbs, 100, 0).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text.matches("$5\r\nRPUSH\r\n").count(), 3);
        assert_eq!(text.matches("*66\r\n").count(), 2);
        assert!(text.contains("*4\r\n$5\r\nRPUSH\r\n$1\r\nl\r\n$3\r\n128\r\n$3\r\n129\r\n"));
    }
}
