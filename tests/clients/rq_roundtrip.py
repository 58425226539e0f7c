"""RQ's round trip: enqueue jobs, run `rq worker --burst` until the queue is
empty, read the results and the registries back. Prints one line per check;
tests/clients.rs runs it against both servers and compares the output."""

import os
import subprocess
import sys

from redis import Redis
from rq import Queue
from rq.job import Job

PORT = int(sys.argv[1])
HERE = os.path.dirname(os.path.abspath(__file__))


def show(name, value):
    print(f"{name}: {value!r}", flush=True)


def main():
    r = Redis(host="127.0.0.1", port=PORT, socket_timeout=10)
    r.flushall()
    q = Queue("default", connection=r)
    ok = q.enqueue("jobs.add", 2, 3, job_id="job-add")
    bad = q.enqueue("jobs.fail", job_id="job-fail")
    later = q.enqueue("jobs.add", 40, 2, job_id="job-later", depends_on=ok)
    show("queued", (len(q), ok.get_status(), later.get_status()))
    worker = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "rq"), "worker", "--burst",
         "--url", f"redis://127.0.0.1:{PORT}", "--path", HERE, "default"],
        capture_output=True, text=True, timeout=120)
    if worker.returncode != 0:
        sys.stderr.write(worker.stdout + worker.stderr)
        sys.exit(f"rq worker exited {worker.returncode}")
    for job_id in ("job-add", "job-fail", "job-later"):
        job = Job.fetch(job_id, connection=r)
        show(job_id, (job.get_status(), job.result))
    show("failed registry", q.failed_job_registry.get_job_ids())
    show("finished registry", sorted(q.finished_job_registry.get_job_ids()))
    show("left in queue", len(q))


if __name__ == "__main__":
    main()
