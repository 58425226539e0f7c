"""The Celery app of the Celery round trip: kombu's Redis transport as the
broker and the Redis result backend, on the port in CELERY_REDIS_PORT. The
round trip and the worker it starts both import it."""

import os

from celery import Celery

URL = f"redis://127.0.0.1:{os.environ['CELERY_REDIS_PORT']}/0"
app = Celery("celery_tasks", broker=URL, backend=URL)
app.conf.update(
    broker_connection_retry_on_startup=True,
    worker_prefetch_multiplier=1,
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
)


@app.task
def add(a, b):
    return a + b


@app.task
def total(numbers):
    return sum(numbers)


@app.task(bind=True, max_retries=3)
def flaky(self):
    # Fails on the first run; the retry is a real second delivery through
    # the broker (with a short countdown, so an ETA message).
    if self.request.retries == 0:
        raise self.retry(exc=RuntimeError("first run fails on purpose"), countdown=0.05)
    return f"succeeded on retry {self.request.retries}"


@app.task
def fail():
    raise ValueError("this task fails on purpose")
