"""Pause and resume the workers' queue consumers (Celery remote control).

The capacity phase queues its submissions while the workers consume nothing, then lets
them drain the backlog: the same way the no-op baseline is measured (tasks queued before
any is consumed), so `ratio_to_noop` compares like with like.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from reconcile.bench.stage import BenchError
from reconcile.vocabulary import QUEUES


@contextmanager
def control(redis_url: str) -> Iterator[Any]:
    from celery import Celery

    from reconcile.config import broker_url

    app = Celery("reconcile-bench-control")
    app.config_from_object("celeryconfig")
    app.conf.broker_url = broker_url(redis_url)
    try:
        yield app.control
    finally:
        app.close()


# The bench runs one Celery worker (with a pool of --workers processes): one reply each.
# Waiting for that many replies, not for the timeout, lets the busy phase's probe start
# as the workers start draining (without it each call waited its full 10 s).
WORKER_NODES = 1


def _everyone_answered(replies: list[dict[str, Any]] | None, what: str) -> None:
    answered = len(replies or [])
    if answered < WORKER_NODES:
        raise BenchError(f"{what}: {answered} of {WORKER_NODES} workers answered")


def pause(redis_url: str) -> None:
    """Stop every worker consuming the attempt queues (jobs stay queued, none is lost)."""
    with control(redis_url) as ctl:
        for queue in QUEUES:
            _everyone_answered(ctl.cancel_consumer(queue, reply=True, timeout=10,
                                                   limit=WORKER_NODES),
                               f"pausing queue {queue}")


def resume(redis_url: str) -> None:
    """Let the workers consume the attempt queues again, high first as configured."""
    with control(redis_url) as ctl:
        for queue in QUEUES:
            _everyone_answered(ctl.add_consumer(queue, reply=True, timeout=10,
                                                limit=WORKER_NODES),
                               f"resuming queue {queue}")
