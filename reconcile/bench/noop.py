"""The engine's own limit: how fast the same workers run a task that does nothing.

`reconcile.noop` (tasks/bench.py) counts each run in Redis and stamps the first and last
run's time. The bench publishes every noop task before the workers start, so the figure
is the workers' consuming rate, not the publisher's.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, cast

NOOP_TASK = "reconcile.noop"
COUNT_KEY = "reconcile:bench:noop:count"
FIRST_KEY = "reconcile:bench:noop:first"
LAST_KEY = "reconcile:bench:noop:last"


def publish(redis_url: str, count: int) -> None:
    """Queue `count` noop tasks on the normal queue, over one producer connection."""
    from celery import Celery

    from reconcile.config import broker_url

    app = Celery("reconcile-bench")
    app.config_from_object("celeryconfig")
    app.conf.broker_url = broker_url(redis_url)
    try:
        with app.producer_or_acquire() as producer:
            for _ in range(count):
                app.send_task(NOOP_TASK, queue="normal", producer=producer)
    finally:
        app.close()


def wait_for_noops(redis_url: str, count: int, timeout: float,
                   alive: Callable[[], None] | None = None) -> tuple[int, float]:
    """Wait until `count` noop tasks have run; return (runs, seconds from first to last)."""
    import redis

    client = redis.Redis.from_url(redis_url, socket_timeout=10, socket_connect_timeout=10)
    deadline = time.monotonic() + timeout
    try:
        while True:
            done = int(cast(Any, client.get(COUNT_KEY)) or 0)
            if done >= count or time.monotonic() > deadline:
                break
            if alive is not None:
                alive()
            time.sleep(0.1)
        first, last = (float(v or 0) for v in cast(list[Any], client.mget(FIRST_KEY, LAST_KEY)))
    finally:
        client.close()
    # Rate between the first and the last run: n runs span n - 1 intervals.
    return max(done - 1, 0), max(last - first, 0.0)
