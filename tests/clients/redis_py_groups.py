"""redis-py's stream API as a job queue uses it: a consumer group shared
by two workers reading with xreadgroup and acknowledging with xack, a
worker blocked until another connection adds a job, a crashed worker's
jobs taken over with xautoclaim and xclaim, and the introspection
(xpending, xinfo) a monitor reads, in RESP2 and RESP3. Prints one line
per check, leaving out what depends on the clock (idle and delivery
times); tests/clients.rs runs it against both servers and compares."""

import sys
import threading
import time

import redis

PORT = int(sys.argv[1])


def conn(**kw):
    return redis.Redis(host="127.0.0.1", port=PORT, socket_timeout=10, **kw)


def show(name, value):
    print(f"{name}: {value!r}", flush=True)


def entries_of(reply):
    """The entries of a one-stream read: redis-py gives a list of
    [stream, entries] pairs in RESP2 and a map in RESP3."""
    if isinstance(reply, dict):
        (entries,) = reply.values()
        return entries[0] if entries and isinstance(entries[0], list) else entries
    return reply[0][1]


def work_loop(r, proto):
    r.flushall()
    r.xgroup_create("jobs", "workers", id="0", mkstream=True)
    for i in range(1, 8):
        r.xadd("jobs", {"job": i, "proto": proto}, id=f"{i}-0")
    done = {"w1": [], "w2": []}
    turn = 0
    while True:
        worker = "w1" if turn % 2 == 0 else "w2"
        turn += 1
        reply = r.xreadgroup("workers", worker, {"jobs": ">"}, count=2)
        if not reply:
            break
        entries = entries_of(reply)
        for entry_id, fields in entries:
            done[worker].append((entry_id, fields))
            if fields[b"job"] != b"3":  # job 3 "crashes" and stays pending
                r.xack("jobs", "workers", entry_id)
    show("done", done)
    show("pending summary", r.xpending("jobs", "workers"))
    rows = r.xpending_range("jobs", "workers", min="-", max="+", count=10)
    show("pending", [(p["message_id"], p["consumer"], p["times_delivered"]) for p in rows])
    groups = r.xinfo_groups("jobs")
    show("groups", [{k: g[k] for k in sorted(g)} for g in groups])
    consumers = r.xinfo_consumers("jobs", "workers")
    show("consumers", [(c["name"], c["pending"]) for c in consumers])
    time.sleep(0.05)
    show("autoclaim", r.xautoclaim("jobs", "workers", "w3", min_idle_time=20, start_id="0-0"))
    show("claim", r.xclaim("jobs", "workers", "w1", min_idle_time=0, message_ids=["3-0"], justid=True))
    show("history", entries_of(r.xreadgroup("workers", "w1", {"jobs": "0"})))
    show("ack", r.xack("jobs", "workers", "3-0", "99-0"))
    show("delconsumer", r.xgroup_delconsumer("jobs", "workers", "w3"))


def blocked_worker(r):
    r.delete("feed")
    r.xgroup_create("feed", "g", id="$", mkstream=True)
    got = {}

    def wait():
        got["reply"] = conn().xreadgroup("g", "waiter", {"feed": ">"}, block=5000)

    t = threading.Thread(target=wait)
    t.start()
    while int(r.info("clients")["blocked_clients"]) == 0:
        time.sleep(0.01)
    r.xadd("feed", {"msg": "hello"}, id="1-1")
    t.join()
    show("blocked read", entries_of(got["reply"]))
    show("timeout", r.xreadgroup("g", "waiter", {"feed": ">"}, block=30))
    show("nogroup", repr_error(lambda: r.xreadgroup("nope", "c", {"feed": ">"})))
    show("busygroup", repr_error(lambda: r.xgroup_create("feed", "g")))


def repr_error(f):
    try:
        return f()
    except redis.ResponseError as e:
        return f"error: {e}"


for proto in (2, 3):
    r = conn(protocol=proto)
    show("protocol", proto)
    work_loop(r, proto)
    blocked_worker(r)
