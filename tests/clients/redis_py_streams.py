"""redis-py's stream API as an event log uses it: xadd with explicit and
generated IDs and trimming, xrange/xrevrange, xread in a polling loop and
blocked until another connection adds, xdel, xtrim, in RESP2 and RESP3.
Prints one line per check; tests/clients.rs runs it against both servers
and compares the output. Generated IDs follow the clock, so only their
shape is printed."""

import re
import sys
import threading
import time

import redis

PORT = int(sys.argv[1])


def conn(**kw):
    return redis.Redis(host="127.0.0.1", port=PORT, socket_timeout=10, **kw)


def show(name, value):
    print(f"{name}: {value!r}", flush=True)


def shape(entry_id):
    return bool(re.fullmatch(rb"\d+-\d+", entry_id))


def log(r, label):
    r.flushall()
    for i in range(1, 6):
        r.xadd("events", {"n": i, "kind": "click" if i % 2 else "view"}, id=f"{i}-0")
    show(f"{label} xlen", r.xlen("events"))
    show(f"{label} xrange", r.xrange("events", "-", "+", count=3))
    show(f"{label} xrevrange", r.xrevrange("events", "+", "(3-0"))
    generated = r.xadd("events", {"n": 6}, maxlen=4, approximate=False)
    show(f"{label} generated id", shape(generated))
    show(f"{label} after maxlen", r.xlen("events"))
    show(f"{label} xdel", r.xdel("events", "4-0", "99-0"))
    show(f"{label} xtrim", r.xtrim("events", minid="5-1"))
    try:
        r.xadd("events", {"n": 0}, id="1-0")
    except redis.ResponseError as e:
        show(f"{label} old id", str(e))


def poll(r, label):
    r.flushall()
    last = "0-0"
    seen = []
    for batch in range(3):
        for i in range(4):
            r.xadd("jobs", {"job": f"{batch}.{i}"}, id=f"{batch + 1}-{i}")
        while True:
            reply = r.xread({"jobs": last}, count=3)
            if not reply:
                break
            entries = reply[0][1] if isinstance(reply, list) else reply[b"jobs"][0]
            for entry_id, fields in entries:
                seen.append(fields[b"job"].decode())
                last = entry_id
    show(f"{label} polled", seen)


def blocked(r, label):
    r.flushall()
    r.xadd("chat", {"m": "before"}, id="1-0")
    out = {}

    def reader():
        out["reply"] = conn(protocol=r.connection_pool.connection_kwargs.get("protocol", 2)).xread(
            {"chat": "$"}, block=5000)

    t = threading.Thread(target=reader)
    t.start()
    while int(r.info("clients")["blocked_clients"]) == 0:
        time.sleep(0.01)
    r.xadd("chat", {"m": "hello"}, id="2-0")
    t.join()
    show(f"{label} blocked read", out["reply"])
    show(f"{label} timeout", r.xread({"chat": "$"}, block=50))


for protocol in (2, 3):
    r = conn(protocol=protocol)
    label = f"resp{protocol}"
    log(r, label)
    poll(r, label)
    blocked(r, label)
