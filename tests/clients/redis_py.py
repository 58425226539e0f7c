"""redis-py doing what applications do: transactional pipelines (redis-py's
default), WATCH-based optimistic locking, plain pipelines, pub/sub and
keyspace notifications, in RESP2 and RESP3. Prints one line per check;
tests/clients.rs runs it against both servers and compares the output."""

import sys
import time

import redis

PORT = int(sys.argv[1])


def conn(**kw):
    return redis.Redis(host="127.0.0.1", port=PORT, socket_timeout=10, **kw)


def show(name, value):
    print(f"{name}: {value!r}", flush=True)


def transactions(r):
    r.flushall()
    p = r.pipeline()  # transaction=True by default: MULTI ... EXEC
    p.set("a", 1).incr("a").lpush("l", "x", "y").sadd("s", "m").hset("h", "f", "v")
    show("pipeline", p.execute())
    p = r.pipeline()
    p.set("str", "x").incr("str").get("str")
    show("runtime error kept in place", [repr(x) for x in p.execute(raise_on_error=False)])
    p = r.pipeline(transaction=False)
    p.get("a").llen("l").smembers("s")
    show("plain pipeline", p.execute())


def optimistic_lock(r):
    r.set("counter", 10)
    other = conn()
    attempts = []

    def incr(pipe):
        attempts.append(1)
        value = int(pipe.get("counter"))
        if len(attempts) == 1:
            other.incr("counter")  # a concurrent writer: the first EXEC must fail
        pipe.multi()
        pipe.set("counter", value + 1)

    r.transaction(incr, "counter")
    show("watch retried", (len(attempts), r.get("counter")))
    with r.pipeline() as pipe:
        pipe.watch("counter")
        pipe.multi()
        pipe.incr("counter")
        show("watch untouched", pipe.execute())


def next_message(p, deadline=5.0):
    end = time.time() + deadline
    while time.time() < end:
        m = p.get_message(timeout=0.2)
        if m is not None:
            return m
    return None


def pubsub(r, label):
    p = r.pubsub()
    p.subscribe("news")
    p.psubscribe("n*")
    show(f"{label} subscribe", [next_message(p) for _ in range(2)])
    show(f"{label} publish receivers", r.publish("news", "hello"))
    show(f"{label} messages", [next_message(p) for _ in range(2)])
    show(f"{label} numsub", r.pubsub_numsub("news"))
    p.unsubscribe()
    p.punsubscribe()
    show(f"{label} unsubscribe", [next_message(p) for _ in range(2)])
    p.close()


def notifications(r):
    r.config_set("notify-keyspace-events", "KEA")
    p = r.pubsub()
    p.psubscribe("__key*@0__:*")
    next_message(p)
    r.set("nk", "v")
    r.expire("nk", 100)
    r.delete("nk")
    r.sadd("nset", "a")
    show("keyspace events", [next_message(p) for _ in range(8)])
    p.close()
    r.config_set("notify-keyspace-events", "")


def main():
    r = conn()
    transactions(r)
    optimistic_lock(r)
    pubsub(r, "resp2")
    pubsub(conn(protocol=3), "resp3")
    notifications(r)
    r3 = conn(protocol=3)
    r3.set("k3", "v")
    show("resp3 get", r3.get("k3"))


if __name__ == "__main__":
    main()
