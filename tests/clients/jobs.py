"""Job functions the RQ round trip enqueues; the worker imports them."""


def add(a, b):
    return a + b


def fail():
    raise ValueError("this job fails on purpose")
