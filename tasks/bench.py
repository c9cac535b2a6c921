"""The bench's no-op task: the engine's per-task overhead, with nothing of ours in it."""

from __future__ import annotations

import time

from reconcile.bench.noop import COUNT_KEY, FIRST_KEY, LAST_KEY, NOOP_TASK
from reconcile.locks import redis_client
from tasks import app


@app.task(name=NOOP_TASK, ignore_result=True)
def noop() -> None:
    """Count one run and stamp its time (the first run's stamp is kept)."""
    now = time.time()
    pipe = redis_client().pipeline(transaction=False)
    pipe.incr(COUNT_KEY)
    pipe.setnx(FIRST_KEY, now)
    pipe.set(LAST_KEY, now)
    pipe.execute()
