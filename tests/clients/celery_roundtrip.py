"""Celery's round trip: a worker (solo pool, a subprocess) on kombu's Redis
transport, `delay()` with `.get(timeout=...)`, a task that fails, one that
retries, a group and a chord, then the broker's keys once the worker has
stopped. Prints one line per check; tests/clients.rs runs it against both
servers and compares the output."""

import os
import signal
import subprocess
import sys

PORT = sys.argv[1]
os.environ["CELERY_REDIS_PORT"] = PORT
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from celery import chord, group  # noqa: E402
from redis import Redis  # noqa: E402

from celery_tasks import add, app, fail, flaky, total  # noqa: E402

TIMEOUT = 15


def show(name, value):
    print(f"{name}: {value!r}", flush=True)


def start_worker():
    return subprocess.Popen(
        [os.path.join(os.path.dirname(sys.executable), "celery"), "-A", "celery_tasks",
         "worker", "--pool=solo", "--concurrency=1", "--without-gossip",
         "--without-mingle", "--without-heartbeat", "--loglevel=WARNING",
         "--hostname=roundtrip@localhost"],
        cwd=HERE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def stop(worker):
    """SIGTERM is Celery's warm shutdown: the worker finishes and acks. Its
    output."""
    worker.send_signal(signal.SIGTERM)
    output, _ = worker.communicate(timeout=TIMEOUT)
    return output


def checks(queued):
    show("add", queued.get(timeout=TIMEOUT))
    show("add state", queued.state)
    failing = fail.delay()
    try:
        failing.get(timeout=TIMEOUT)
        show("fail", "no error")
    except ValueError as e:
        show("fail", (type(e).__name__, str(e)))
    show("fail state", failing.state)
    show("flaky", flaky.delay().get(timeout=TIMEOUT))
    show("group", group(add.s(i, i) for i in range(4))().get(timeout=TIMEOUT))
    show("chord", chord(add.s(i, 10 * i) for i in range(3))(total.s()).get(timeout=TIMEOUT))


def main():
    r = Redis(host="127.0.0.1", port=int(PORT), socket_timeout=10)
    r.flushall()
    queued = add.delay(2, 3)
    show("queued before the worker", r.llen("celery"))
    worker = start_worker()
    try:
        checks(queued)
    except BaseException:
        sys.stderr.write(f"celery worker's output:\n{stop(worker)}")
        raise
    output = stop(worker)
    if worker.returncode != 0:
        sys.stderr.write(output)
        sys.exit(f"celery worker exited {worker.returncode}")
    show("left in the queue", r.llen("celery"))
    show("unacked", r.hlen("unacked"))
    show("results stored", len(r.keys("celery-task-meta-*")))
    app.close()


if __name__ == "__main__":
    main()
