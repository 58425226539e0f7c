//! Criterion micro-benchmarks of the hot paths: the request parser (whole
//! and chunked delivery: a quadratic parser shows up in the chunked one),
//! reply encoding, and keyspace GET/SET/INCR at 1K and 1M keys.
//!
//! Run with `cargo bench --bench micro`; `make bench` compares the whole
//! server with real Redis instead.

use criterion::{
    black_box, criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput,
};

use ferrodis::protocol::parser::{Limits, RequestParser};
use ferrodis::protocol::reply::ReplyBuf;
use ferrodis::storage::db::Db;
use ferrodis::storage::value::{Str, Value};

/// `n` pipelined `SET key:<i> <16 bytes>` requests.
fn pipeline(n: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for i in 0..n {
        let key = format!("key:{i:012}");
        out.extend_from_slice(
            format!(
                "*3\r\n$3\r\nSET\r\n${}\r\n{key}\r\n$16\r\n0123456789abcdef\r\n",
                key.len()
            )
            .as_bytes(),
        );
    }
    out
}

/// Feeds `input` to a parser `chunk` bytes at a time, as reads would, and
/// returns the number of requests parsed.
fn parse_all(input: &[u8], chunk: usize) -> usize {
    let mut parser = RequestParser::new();
    let limits = Limits::default();
    let mut buf: Vec<u8> = Vec::with_capacity(input.len().min(1 << 20));
    let mut requests = 0;
    for piece in input.chunks(chunk) {
        buf.extend_from_slice(piece);
        while let Ok(true) = parser.parse(&buf, &limits) {
            requests += 1;
        }
        let consumed = parser.consumed();
        buf.drain(..consumed);
        parser.shift(consumed);
    }
    requests
}

fn parser(c: &mut Criterion) {
    let mut g = c.benchmark_group("parser");
    let input = pipeline(1000);
    g.throughput(Throughput::Bytes(input.len() as u64));
    g.bench_function("1000 SETs whole", |b| {
        b.iter(|| parse_all(black_box(&input), input.len()))
    });
    g.bench_function("1000 SETs in 16-byte reads", |b| {
        b.iter(|| parse_all(black_box(&input), 16))
    });
    let mut big = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$8388608\r\n".to_vec();
    big.extend(std::iter::repeat_n(b'x', 8 << 20));
    big.extend_from_slice(b"\r\n");
    g.throughput(Throughput::Bytes(big.len() as u64));
    g.sample_size(10);
    g.bench_function("8 MB bulk in 16 KB reads", |b| {
        b.iter(|| parse_all(black_box(&big), 16 * 1024))
    });
    g.finish();
}

fn replies(c: &mut Criterion) {
    let mut g = c.benchmark_group("reply");
    let value = [b'v'; 64];
    g.bench_function("bulk 64 B", |b| {
        b.iter_batched_ref(
            ReplyBuf::new,
            |r| {
                r.bulk(black_box(&value));
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("integer", |b| {
        b.iter_batched_ref(
            ReplyBuf::new,
            |r| r.int(black_box(1234567)),
            BatchSize::SmallInput,
        )
    });
    g.bench_function("array of 100 bulks", |b| {
        b.iter_batched_ref(
            ReplyBuf::new,
            |r| {
                r.array_len(100);
                for _ in 0..100 {
                    r.bulk(black_box(&value[..16]));
                }
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

fn filled_db(keys: usize) -> Db {
    let mut db = Db::new();
    for i in 0..keys {
        db.upsert(
            format!("key:{i}").as_bytes(),
            Value::Str(Str::from_bytes(b"0123456789abcdef")),
            false,
            0,
            0,
        );
    }
    db
}

fn keyspace(c: &mut Criterion) {
    let mut g = c.benchmark_group("keyspace");
    for keys in [1_000usize, 1_000_000] {
        let mut db = filled_db(keys);
        let names: Vec<Vec<u8>> = (0..1024)
            .map(|i| format!("key:{}", i * 7919 % keys).into_bytes())
            .collect();
        let mut i = 0;
        g.bench_with_input(BenchmarkId::new("get", keys), &keys, |b, _| {
            b.iter(|| {
                i = (i + 1) % names.len();
                black_box(db.find(&names[i], 0).map(|id| db.value(id).encoding()))
            })
        });
        g.bench_with_input(BenchmarkId::new("set", keys), &keys, |b, _| {
            b.iter(|| {
                i = (i + 1) % names.len();
                db.upsert(
                    &names[i],
                    Value::Str(Str::from_bytes(b"fedcba9876543210")),
                    false,
                    0,
                    0,
                );
            })
        });
        db.upsert(b"counter", Value::Str(Str::Int(0)), false, 0, 0);
        g.bench_with_input(BenchmarkId::new("incr", keys), &keys, |b, _| {
            b.iter(|| {
                if let Some(id) = db.find(b"counter", 0) {
                    if let Value::Str(s) = db.value_mut(id) {
                        let v = s.as_int().unwrap_or(0);
                        *s = Str::Int(v.wrapping_add(1));
                    }
                }
            })
        });
    }
    g.finish();
}

criterion_group!(benches, parser, replies, keyspace);
criterion_main!(benches);
