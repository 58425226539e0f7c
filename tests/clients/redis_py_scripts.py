"""redis-py's scripting as applications use it: `Lock` (acquire, extend,
reacquire, release, all EVALSHA with EVAL fallback), `register_script`
with its NOSCRIPT retry after SCRIPT FLUSH, scripts in pipelines, and
script errors. Prints one line per check; tests/clients.rs runs it against
both servers and compares the output."""

import sys

import redis
from redis.exceptions import LockError, LockNotOwnedError, NoScriptError, ResponseError

PORT = int(sys.argv[1])


def show(name, value):
    print(f"{name}: {value!r}", flush=True)


def locks(r):
    lock = r.lock("resource", timeout=10)
    show("acquire", lock.acquire(blocking=False))
    show("owned", lock.owned())
    show("second acquire", r.lock("resource", timeout=10).acquire(blocking=False))
    show("extend", lock.extend(5))
    show("ttl grew", r.pttl("resource") > 10000)
    show("reacquire", lock.reacquire())
    show("release", lock.release())
    show("locked after release", lock.locked())
    other = r.lock("resource", timeout=10)
    other.acquire(blocking=False)
    r.set("resource", "someone else")
    try:
        other.release()
    except LockNotOwnedError as e:
        show("release not owned", str(e))
    try:
        other.extend(5)
    except LockError as e:
        show("extend not owned", type(e).__name__)
    with r.lock("ctx", timeout=5):
        show("inside with", r.exists("ctx"))
    show("after with", r.exists("ctx"))


def registered(r):
    incr_by = r.register_script("return redis.call('INCRBY', KEYS[1], ARGV[1])")
    show("sha", incr_by.sha)
    show("first call", incr_by(keys=["counter"], args=[5]))
    r.script_flush()
    show("after flush", incr_by(keys=["counter"], args=[2]))
    show("exists", r.script_exists(incr_by.sha))
    p = r.pipeline()
    incr_by(keys=["counter"], args=[1], client=p)
    incr_by(keys=["counter"], args=[1], client=p)
    show("pipeline", p.execute())
    multi = r.register_script("return {KEYS[1], ARGV[1], redis.call('GET', KEYS[1])}")
    show("table", multi(keys=["counter"], args=["x"]))
    failing = r.register_script("return redis.call('INCR', KEYS[1])")
    r.set("text", "abc")
    try:
        failing(keys=["text"])
    except ResponseError as e:
        show("script error", str(e))
    try:
        r.evalsha("0" * 40, 0)
    except NoScriptError as e:
        show("noscript", str(e))
    show("eval_ro", r.eval_ro("return redis.call('GET', KEYS[1])", 1, "counter"))


def main():
    r = redis.Redis(host="127.0.0.1", port=PORT, socket_timeout=10, decode_responses=True)
    r.flushall()
    r.script_flush()
    locks(r)
    registered(r)
    r3 = redis.Redis(host="127.0.0.1", port=PORT, socket_timeout=10, decode_responses=True, protocol=3)
    show("resp3 eval", r3.eval("redis.setresp(3) return redis.call('HGETALL', KEYS[1])", 1, "nohash"))
    show("resp3 lock", r3.lock("r3", timeout=5).acquire(blocking=False))


main()
