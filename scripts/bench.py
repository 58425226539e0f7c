#!/usr/bin/env python3
"""Side-by-side benchmark of ferrodis and real redis-server (`make bench`).

Both servers run with the same flags (no persistence), pinned to the same
core when the machine has two or more, and redis-benchmark is pinned to
another. Every benchmark runs against ferrodis and redis alternately for
several rounds; the table reports the median of the rounds and the ratio
ferrodis / redis. Results go to stdout and to docs/benchmarks.md.

Environment: ROUNDS (default 3), REQUESTS (default 200000), QUICK=1 for a
short matrix, LONG=1 to add the 10M-key growth run.
"""

import csv
import datetime
import hashlib
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FERRODIS = os.path.join(ROOT, "target", "release", "ferrodis")
ROUNDS = int(os.environ.get("ROUNDS", "3"))
REQUESTS = int(os.environ.get("REQUESTS", "200000"))
QUICK = os.environ.get("QUICK") == "1"
LONG = os.environ.get("LONG") == "1"

# Commands of the default matrix and the redis-benchmark test names they map to.
TESTS = ["ping_mbulk", "set", "get", "incr", "mset"]
# Collection commands, run with the smallest value size only. The pops
# take what the pushes (and ZPOPMIN what ZADD) before them left (no
# FLUSHALL in between), and redis-benchmark fills the list each LRANGE
# test reads.
COLLECTION_TESTS = ["lpush", "rpush", "lpop", "rpop", "lrange_100", "lrange_300", "lrange_600", "hset", "sadd",
                    "spop", "zadd", "zpopmin"]
KEEP_DATA = {"lpop", "rpop", "spop", "zpopmin"}
# Commands redis-benchmark has no test for, run as custom commands with the
# collection tests. PFCOUNT counts the sketch PFADD filled.
CUSTOM_TESTS = {
    "pfadd": ["PFADD", "hll", "__rand_int__"],
    "pfcount": ["PFCOUNT", "hll"],
    "geosearch": ["GEOSEARCH", "geo", "FROMLONLAT", "15", "37", "BYRADIUS", "50", "km", "COUNT", "10", "ASC"],
    "xadd": ["XADD", "stream", "*", "f1", "v1", "f2", "__rand_int__", "f3", "v3"],
    "xrange": ["XRANGE", "stream", "-", "+", "COUNT", "100"],
}
SET_SCRIPT = "return redis.call('SET',KEYS[1],ARGV[1])"
CUSTOM_TESTS["eval"] = ["EVAL", SET_SCRIPT, "1", "key:__rand_int__", "__rand_int__"]
CUSTOM_TESTS["evalsha"] = ["EVALSHA", hashlib.sha1(SET_SCRIPT.encode()).hexdigest(), "1", "key:__rand_int__",
                           "__rand_int__"]
# XRANGE reads the stream XADD filled.
KEEP_DATA |= {"pfcount", "xrange"}
# Keys a custom test reads, written before it runs: 1600 places on a
# 0.05-degree grid around Sicily for GEOSEARCH.
PREPARE = {
    "evalsha": ["SCRIPT", "LOAD", SET_SCRIPT],
    "geosearch": ["GEOADD", "geo"] + [v for i in range(1600)
                                      for v in (f"{13 + (i % 40) * 0.05:.2f}", f"{36 + (i // 40) * 0.05:.2f}", f"p{i}")],
}
# What collection_memory_run fills, in its order.
COLLECTIONS = ("1M hashes of 5 small fields", "one list of 10M short elements",
               "one stream of 1M entries of 3 small fields")
PIPELINES = [1, 16]
SIZES = [3, 1024]
CLIENTS = 50
KEYSPACE = 100000


def cores():
    """(server core, client core) when there are at least two cores."""
    n = os.cpu_count() or 1
    if n >= 2 and shutil.which("taskset"):
        return "1", "0"
    return None, None


SERVER_CORE, CLIENT_CORE = cores()


def pinned(core, argv):
    return (["taskset", "-c", core] + argv) if core else argv


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A server process on a free port, with persistence off."""

    def __init__(self, name, binary, extra=()):
        self.name = name
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix=f"bench-{name}-")
        argv = [binary, "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", self.dir,
                "--logfile", os.path.join(self.dir, "log"),
                "--enable-debug-command", "yes", *extra]
        self.proc = subprocess.Popen(pinned(SERVER_CORE, argv))
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                if self.cli("PING").strip() == "PONG":
                    return
            except subprocess.CalledProcessError:
                pass
            time.sleep(0.05)
        raise SystemExit(f"{name} did not start on port {self.port}")

    def cli(self, *args):
        return subprocess.run(["redis-cli", "-p", str(self.port), *args],
                              capture_output=True, text=True, check=True).stdout

    def info(self, field):
        for line in self.cli("INFO", "memory").splitlines():
            if line.startswith(field + ":"):
                return int(line.split(":", 1)[1])
        return 0

    def cpu_seconds(self):
        """User + system CPU time the server has used so far."""
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


def run_benchmark(server, test, pipeline, size, requests=REQUESTS, keyspace=KEYSPACE):
    """One redis-benchmark run; returns (ops/s, p50 ms, p99 ms, max ms, server CPU µs per request)."""
    argv = ["redis-benchmark", "-p", str(server.port), "-n", str(requests),
            "-c", str(CLIENTS), "-P", str(pipeline), "-d", str(size),
            "-r", str(keyspace), "--csv"]
    argv += CUSTOM_TESTS.get(test, ["-t", test])
    cpu_before = server.cpu_seconds()
    out = subprocess.run(pinned(CLIENT_CORE, argv), capture_output=True, text=True, check=True).stdout
    cpu_us = (server.cpu_seconds() - cpu_before) * 1e6 / requests
    # The command of a custom test may hold commas (EVAL's script): read the CSV properly.
    for cells in csv.reader(out.splitlines()):
        # Some tests first run what they need (LRANGE's LPUSH): take the
        # row of the test asked for.
        if cells and cells[0].upper().startswith(test.upper()):
            # test, rps, avg, min, p50, p95, p99, max
            return float(cells[1]), float(cells[4]), float(cells[6]), float(cells[7]), cpu_us
    raise SystemExit(f"no result from redis-benchmark: {out!r}")


def median_runs(servers, test, pipeline, size, **kw):
    results = {s.name: [] for s in servers}
    for _ in range(ROUNDS):
        for s in servers:
            results[s.name].append(run_benchmark(s, test, pipeline, size, **kw))
    return {name: tuple(statistics.median(r[i] for r in runs) for i in range(5))
            for name, runs in results.items()}


def throughput_table(ferrodis, redis):
    rows = []
    tests = TESTS[:3] if QUICK else TESTS
    for size in SIZES[:1] if QUICK else SIZES:
        for pipeline in PIPELINES:
            extra = COLLECTION_TESTS + list(CUSTOM_TESTS) if size == SIZES[0] and not QUICK else []
            for test in tests + extra:
                for s in (ferrodis, redis):
                    if test not in KEEP_DATA:
                        s.cli("FLUSHALL")
                    if test in PREPARE:
                        s.cli(*PREPARE[test])
                m = median_runs([ferrodis, redis], test, pipeline, size)
                f, r = m["ferrodis"], m["redis"]
                row = (f"{test.upper()} -P {pipeline} -d {size}", f[0], r[0], f[0] / r[0], f[1], r[1], f[2], r[2],
                       f[4], r[4], r[4] / f[4] if f[4] else 0.0)
                rows.append(row)
                print("{:<24} {:>12.0f} {:>12.0f} {:>6.2f}x  p50 {:.3f}/{:.3f}  p99 {:.3f}/{:.3f}"
                      "  cpu/req {:.2f}/{:.2f} us ({:.2f}x)".format(*row), flush=True)
    return rows


def memory_run(ferrodis, redis, keys=1_000_000):
    """RSS and used_memory after the same DEBUG POPULATE (16-byte keys and values)."""
    out = {}
    for s in (ferrodis, redis):
        s.cli("FLUSHALL")
        time.sleep(0.5)
        before = s.info("used_memory_rss")
        s.cli("DEBUG", "POPULATE", str(keys), "kkkkkkkk", "16")
        time.sleep(0.5)
        out[s.name] = (s.info("used_memory_rss"), s.info("used_memory"), before)
        s.cli("FLUSHALL")
    return out


def resp(*args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(out)


def pipe_in(server, payload):
    subprocess.run(["redis-cli", "-p", str(server.port), "--pipe"], input=payload,
                   capture_output=True, check=True)


def collection_memory_run():
    """RSS growth after 1M hashes of 5 small fields, after one list of
    10M short elements, and after one stream of 1M entries of 3 small
    fields, each on a fresh server (memory freed by FLUSHALL stays in the
    process), filled with redis-cli --pipe."""
    fields = [x for i in range(5) for x in (f"f{i}", f"v{i}")]
    hashes = b"".join(resp("HSET", f"h:{i}", *fields) for i in range(1_000_000))
    batch = [f"e{i % 1000}" for i in range(1000)]
    lists = resp("RPUSH", "biglist", *batch) * 10_000
    stream = b"".join(resp("XADD", "bigstream", "*", "a", i % 1000, "b", "xyz", "c", i) for i in range(1_000_000))
    out = {"ferrodis": [], "redis": []}
    for payload in (hashes, lists, stream):
        for name, binary in (("ferrodis", FERRODIS), ("redis", "redis-server")):
            s = Server(name, binary)
            try:
                before = s.info("used_memory_rss")
                pipe_in(s, payload)
                time.sleep(0.5)
                out[name].append((s.info("used_memory_rss") - before, s.info("used_memory")))
            finally:
                s.stop()
    return out


def transaction_run(ferrodis, redis, transactions=20_000):
    """MULTI, 10 SETs, EXEC, sent through one `redis-cli --pipe` connection
    (redis-benchmark cannot send MULTI/EXEC); transactions per second,
    median of the rounds, alternating the servers."""
    block = resp("MULTI") + b"".join(resp("SET", f"tx:{i}", "v") for i in range(10)) + resp("EXEC")
    payload = block * transactions
    runs = {"ferrodis": [], "redis": []}
    for _ in range(ROUNDS):
        for s in (ferrodis, redis):
            start = time.perf_counter()
            pipe_in(s, payload)
            runs[s.name].append(transactions / (time.perf_counter() - start))
    return statistics.median(runs["ferrodis"]), statistics.median(runs["redis"])


def consumer_group_run(ferrodis, redis, entries=200_000, batch=10):
    """A consumer-group worker loop through one `redis-cli --pipe`
    connection: `XREADGROUP GROUP g c COUNT 10 STREAMS s >` then the XACK
    of the ten entries it gets (explicit IDs make them known in advance),
    over a stream filled first and not timed; entries consumed and
    acknowledged per second, median of the rounds, alternating the servers."""
    fill = b"".join(resp("XADD", "grp:s", f"{i}-1", "f", "v", "g", "w") for i in range(1, entries + 1))
    loop = b"".join(resp("XREADGROUP", "GROUP", "g", "c", "COUNT", batch, "STREAMS", "grp:s", ">")
                    + resp("XACK", "grp:s", "g", *(f"{i}-1" for i in range(b, b + batch)))
                    for b in range(1, entries + 1, batch))
    runs = {"ferrodis": [], "redis": []}
    for _ in range(ROUNDS):
        for s in (ferrodis, redis):
            s.cli("DEL", "grp:s")
            pipe_in(s, fill)
            s.cli("XGROUP", "CREATE", "grp:s", "g", "0")
            start = time.perf_counter()
            pipe_in(s, loop)
            runs[s.name].append(entries / (time.perf_counter() - start))
            s.cli("DEL", "grp:s")
    return statistics.median(runs["ferrodis"]), statistics.median(runs["redis"])


def large_value_run(ferrodis, redis):
    """SET/GET of 100 KB values: shows no quadratic copying."""
    rows = []
    for test in ("set", "get"):
        m = median_runs([ferrodis, redis], test, 1, 100 * 1024, requests=20000, keyspace=1000)
        rows.append((test.upper() + " -d 102400", m["ferrodis"][0], m["redis"][0],
                     m["ferrodis"][0] / m["redis"][0]))
    return rows


def eviction_run(ferrodis, redis, headroom=8 << 20):
    """SET -d 1024 with maxmemory already reached under allkeys-lru: every
    write evicts. The limit is each server's own used_memory plus
    `headroom`, filled first by a run over a keyspace far larger than fits."""
    for s in (ferrodis, redis):
        s.cli("FLUSHALL")
        s.cli("CONFIG", "SET", "maxmemory-policy", "allkeys-lru")
        s.cli("CONFIG", "SET", "maxmemory", str(s.info("used_memory") + headroom))
        run_benchmark(s, "set", 16, 1024, requests=50000, keyspace=1000000)
    try:
        m = median_runs([ferrodis, redis], "set", 1, 1024, keyspace=1000000)
    finally:
        for s in (ferrodis, redis):
            s.cli("CONFIG", "SET", "maxmemory", "0")
            s.cli("CONFIG", "SET", "maxmemory-policy", "noeviction")
            s.cli("FLUSHALL")
    f, r = m["ferrodis"][0], m["redis"][0]
    return ("SET -d 1024 allkeys-lru at maxmemory", f, r, f / r)


def pubsub_run(ferrodis, redis, fanouts=((1, 200000), (50, 20000))):
    """PUBLISH to 1 and to 50 subscribers: messages delivered per second,
    from the first publish until every subscriber has read every message.
    redis-benchmark publishes (-c 50 -P 16); one thread per subscriber
    drains its socket and counts bytes, every message being the same size."""
    payload = "x" * 16
    # A delivered message is the same frame as a command of those three words.
    frame = len(resp("message", "bench", payload))
    confirmation = b"*3\r\n$9\r\nsubscribe\r\n$5\r\nbench\r\n:1\r\n"
    rows = []
    for subscribers, publishes in fanouts:
        per_server = {}
        for s in (ferrodis, redis):
            socks = []
            for _ in range(subscribers):
                sock = socket.create_connection(("127.0.0.1", s.port))
                sock.sendall(resp("SUBSCRIBE", "bench"))
                got = b""
                while len(got) < len(confirmation):
                    got += sock.recv(len(confirmation) - len(got))
                socks.append(sock)
            expected = publishes * frame

            def drain(sock):
                seen = 0
                while seen < expected:
                    chunk = sock.recv(1 << 16)
                    if not chunk:
                        break
                    seen += len(chunk)
            threads = [threading.Thread(target=drain, args=(k,)) for k in socks]
            for t in threads:
                t.start()
            start = time.perf_counter()
            subprocess.run(pinned(CLIENT_CORE, [
                "redis-benchmark", "-p", str(s.port), "-n", str(publishes), "-c", str(CLIENTS),
                "-P", "16", "-q", "PUBLISH", "bench", payload]),
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            for t in threads:
                t.join()
            elapsed = time.perf_counter() - start
            for k in socks:
                k.close()
            per_server[s.name] = publishes * subscribers / elapsed
        f, r = per_server["ferrodis"], per_server["redis"]
        rows.append((f"PUBLISH to {subscribers}", f, r, f / r))
    return rows


def probe_latencies(port, stop, rate_hz=1000):
    """Sends GET at a fixed rate until `stop()` is true; returns latencies in ms."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    request = b"*2\r\n$3\r\nGET\r\n$5\r\nprobe\r\n"
    period = 1.0 / rate_hz
    latencies = []
    next_send = time.perf_counter()
    while not stop():
        now = time.perf_counter()
        if now < next_send:
            time.sleep(next_send - now)
        start = time.perf_counter()
        sock.sendall(request)
        reply = b""
        while not reply.endswith(b"\r\n"):
            reply += sock.recv(64)
        latencies.append((time.perf_counter() - start) * 1000)
        next_send += period
    sock.close()
    return latencies


def growth_run(ferrodis, redis, keys=10_000_000):
    """Fixed-rate latency while the keyspace grows: a pipelined filler adds
    ~`keys` new keys while a probe sends one GET per millisecond."""
    out = {}
    for s in (ferrodis, redis):
        s.cli("FLUSHALL")
        filler = subprocess.Popen(pinned(CLIENT_CORE, [
            "redis-benchmark", "-p", str(s.port), "-t", "set", "-n", str(keys), "-c", "4",
            "-P", "16", "-d", "3", "-r", str(keys * 1000), "-q"]),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        lat = sorted(probe_latencies(s.port, lambda: filler.poll() is not None))
        n = int(s.cli("DBSIZE"))
        p999 = lat[min(len(lat) - 1, len(lat) * 999 // 1000)]
        out[s.name] = (len(lat), p999, lat[-1], n)
        s.cli("FLUSHALL")
    return out


def main():
    if not os.path.exists(FERRODIS):
        raise SystemExit("build first: make build")
    ferrodis = Server("ferrodis", FERRODIS)
    redis = Server("redis", "redis-server")
    try:
        print(f"rounds={ROUNDS} requests={REQUESTS} clients={CLIENTS} keyspace={KEYSPACE} "
              f"server core={SERVER_CORE} client core={CLIENT_CORE}", flush=True)
        print("{:<24} {:>12} {:>12} {:>7}  {}".format("benchmark", "ferrodis/s", "redis/s", "ratio",
                                                       "latency ms ferrodis/redis"), flush=True)
        # Memory first, on fresh servers: after the throughput runs, memory
        # the allocator has not returned to the OS would count as RSS.
        mem = memory_run(ferrodis, redis)
        coll = None if QUICK else collection_memory_run()
        if coll:
            for i, what in enumerate(COLLECTIONS):
                f, r = coll["ferrodis"][i], coll["redis"][i]
                print("memory, {}: RSS growth ferrodis {} redis {} ({:.2f}x); used_memory {} / {}".format(
                    what, f[0], r[0], f[0] / r[0] if r[0] else 0.0, f[1], r[1]), flush=True)
        rows = throughput_table(ferrodis, redis)
        print("memory, 1M keys: RSS ferrodis {} redis {} ({:.2f}x); used_memory {} / {}".format(
            mem["ferrodis"][0], mem["redis"][0], mem["ferrodis"][0] / mem["redis"][0],
            mem["ferrodis"][1], mem["redis"][1]), flush=True)
        tx = transaction_run(ferrodis, redis)
        print("{:<24} {:>12.0f} {:>12.0f} {:>6.2f}x".format("MULTI + 10 SET + EXEC", tx[0], tx[1],
                                                           tx[0] / tx[1]), flush=True)
        group = consumer_group_run(ferrodis, redis)
        print("{:<24} {:>12.0f} {:>12.0f} {:>6.2f}x  entries/s".format("XREADGROUP + XACK", group[0], group[1],
                                                                      group[0] / group[1]), flush=True)
        large = [] if QUICK else large_value_run(ferrodis, redis)
        for row in large:
            print("{:<24} {:>12.0f} {:>12.0f} {:>6.2f}x".format(*row), flush=True)
        evict = eviction_run(ferrodis, redis)
        print("{:<24} {:>12.0f} {:>12.0f} {:>6.2f}x".format(*evict), flush=True)
        pubsub = pubsub_run(ferrodis, redis)
        for row in pubsub:
            print("{:<24} {:>12.0f} {:>12.0f} {:>6.2f}x  messages delivered/s".format(*row), flush=True)
        growth = growth_run(ferrodis, redis) if LONG else None
        if growth:
            for name, (probes, p999, worst, n) in growth.items():
                print(f"growth to {n} keys, {name}: {probes} probes, p99.9 {p999:.3f} ms, max {worst:.3f} ms", flush=True)
        write_markdown(rows, mem, large, growth, coll, tx, pubsub, evict, group)
    finally:
        ferrodis.stop()
        redis.stop()


def write_markdown(rows, mem, large, growth, coll, tx, pubsub, evict, group):
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(l.split(":", 1)[1].strip() for l in f if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    lines = [
        "# Benchmarks",
        "",
        "Produced by `make bench` (`scripts/bench.py`); rerun it to refresh this page.",
        "Ratios are ferrodis / redis-server 7.0.15 measured in the same run, alternating",
        f"the two servers for {ROUNDS} rounds and taking the median. Absolute numbers",
        "depend on the machine and its load; compare ratios.",
        "",
        f"- date: {datetime.date.today().isoformat()}",
        f"- machine: {cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        f"- servers pinned to core {SERVER_CORE}, redis-benchmark to core {CLIENT_CORE}"
        if SERVER_CORE else "- not pinned (fewer than two cores or no taskset)",
        f"- `redis-benchmark -t <test> -n {REQUESTS} -c {CLIENTS} -P <p> -d <size> -r {KEYSPACE} --csv`",
        "- the collection tests (LPUSH, RPUSH, LPOP, RPOP, LRANGE_*, HSET) run with `-d 3` only;",
        "  LPOP and RPOP take what the pushes before them left",
        "- PFADD and PFCOUNT are custom commands (`PFADD hll __rand_int__`, `PFCOUNT hll`)",
        "  run with the collection tests; PFCOUNT counts the sketch PFADD filled",
        "- GEOSEARCH is a custom command (`GEOSEARCH geo FROMLONLAT 15 37 BYRADIUS 50 km COUNT 10 ASC`)",
        "  over 1600 places on a 0.05-degree grid, written before it runs",
        "- both servers: `--save '' --appendonly no`",
        "- micro-benchmarks of the parser, reply encoding and keyspace: `cargo bench --bench micro`",
        "- profiling notes and what each change gave: `performance.md`",
        "",
        "## Throughput and latency",
        "",
        "The last column is server CPU time per request, redis / ferrodis: how many",
        "times more work Redis spends on each request. Where both servers reach the",
        "same ops/s, redis-benchmark's own core is the limit, and this column is what",
        "shows the servers' difference.",
        "",
        "| benchmark | ferrodis ops/s | redis ops/s | ratio | p50 ms (f / r) | p99 ms (f / r) | CPU µs/req (f / r) | CPU ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, fo, ro, ratio, fp50, rp50, fp99, rp99, fcpu, rcpu, cpu_ratio in rows:
        lines.append(f"| {name} | {fo:.0f} | {ro:.0f} | {ratio:.2f} | {fp50:.3f} / {rp50:.3f} | {fp99:.3f} / {rp99:.3f} "
                     f"| {fcpu:.2f} / {rcpu:.2f} | {cpu_ratio:.2f} |")
    lines += ["", "Transactions (MULTI, 10 SETs, EXEC) through one `redis-cli --pipe` connection,",
              "transactions per second:", "",
              "| benchmark | ferrodis tx/s | redis tx/s | ratio |", "|---|---:|---:|---:|",
              f"| MULTI + 10 SET + EXEC | {tx[0]:.0f} | {tx[1]:.0f} | {tx[0] / tx[1]:.2f} |"]
    lines += ["", "A consumer-group worker loop (`XREADGROUP GROUP g c COUNT 10 STREAMS s >`, then",
              "XACK of the ten entries) through one `redis-cli --pipe` connection, entries per second:", "",
              "| benchmark | ferrodis entries/s | redis entries/s | ratio |", "|---|---:|---:|---:|",
              f"| XREADGROUP + XACK | {group[0]:.0f} | {group[1]:.0f} | {group[0] / group[1]:.2f} |"]
    lines += ["", "Writes that evict: `-t set -d 1024 -r 1000000`, maxmemory reached (each server's",
              "used_memory + 8 MB, allkeys-lru):", "",
              "| benchmark | ferrodis ops/s | redis ops/s | ratio |", "|---|---:|---:|---:|",
              f"| {evict[0]} | {evict[1]:.0f} | {evict[2]:.0f} | {evict[3]:.2f} |"]
    f, r = mem["ferrodis"], mem["redis"]
    lines += [
        "",
        "## Memory",
        "",
        "`DEBUG POPULATE 1000000 kkkkkkkk 16` (16-byte keys, 16-byte values) on an empty server.",
        "",
        "| | ferrodis | redis | ratio |",
        "|---|---:|---:|---:|",
        f"| RSS bytes | {f[0]} | {r[0]} | {f[0] / r[0]:.2f} |",
        f"| used_memory bytes | {f[1]} | {r[1]} | {f[1] / r[1]:.2f} |",
    ]
    if coll:
        lines += ["", "Collections, each on a fresh server, filled through `redis-cli --pipe`:", "",
                  "| | ferrodis RSS growth | redis RSS growth | ratio | ferrodis used_memory | redis used_memory |",
                  "|---|---:|---:|---:|---:|---:|"]
        for i, what in enumerate(COLLECTIONS):
            f, r = coll["ferrodis"][i], coll["redis"][i]
            lines.append(f"| {what} | {f[0]} | {r[0]} | {f[0] / r[0] if r[0] else 0.0:.2f} | {f[1]} | {r[1]} |")
    if large:
        lines += ["", "## Large values (100 KB)", "", "| benchmark | ferrodis ops/s | redis ops/s | ratio |",
                  "|---|---:|---:|---:|"]
        lines += [f"| {n} | {fo:.0f} | {ro:.0f} | {ra:.2f} |" for n, fo, ro, ra in large]
    if pubsub:
        lines += ["", "## Pub/sub fan-out", "",
                  "`redis-benchmark -c 50 -P 16 PUBLISH bench <16 bytes>` to a channel with 1 or 50",
                  "subscribers, each drained by its own thread: messages delivered per second, from the",
                  "first publish until every subscriber has read every message.", "",
                  "| benchmark | ferrodis msgs/s | redis msgs/s | ratio |", "|---|---:|---:|---:|"]
        lines += [f"| {n} | {fo:.0f} | {ro:.0f} | {ra:.2f} |" for n, fo, ro, ra in pubsub]
    if growth:
        lines += ["", "## Latency while growing to 10M keys", "",
                  "A filler (`redis-benchmark -t set -c 4 -P 16 -r 10000000000`) adds ~10M new keys",
                  "while a probe sends one GET per millisecond and times each reply.", "",
                  "| server | probes | p99.9 ms | max ms | keys at end |", "|---|---:|---:|---:|---:|"]
        lines += [f"| {n} | {probes} | {p999:.3f} | {worst:.3f} | {k} |" for n, (probes, p999, worst, k) in growth.items()]
    path = os.path.join(ROOT, "docs", "benchmarks.md")
    with open(path, "w") as out:
        out.write("\n".join(lines) + "\n")
    print(f"wrote {os.path.relpath(path, ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
