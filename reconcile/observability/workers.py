"""The pool's busy clock, for `worker_idle_ratio`.

Every worker process adds each task's run time to a per-minute Redis counter; every worker
(main process) writes its pool size with each Celery heartbeat (every 2 s). The idle ratio
over the current and the previous minute is then 1 - busy / (live pool slots x seconds).
"""

from __future__ import annotations

import contextlib
import time
from typing import Any, cast

from reconcile.observability.store import PREFIX, client

WORKERS = PREFIX + "workers"
LIVE_SECONDS = 15  # a worker whose heartbeat is older than this is gone
_started: dict[str, float] = {}
_pool = {"size": 1}


def _busy_key(minute: int) -> str:
    return f"{PREFIX}busy:{minute}"


def add_busy(seconds: float, now: float | None = None) -> None:
    """Add one task's run time to this minute's pool-wide busy seconds; never raise."""
    key = _busy_key(int((now or time.time()) // 60))
    try:
        pipe = client().pipeline(transaction=False)
        pipe.incrbyfloat(key, seconds)
        pipe.expire(key, 600)
        pipe.execute()
    except Exception:  # noqa: BLE001, S110 - a lost sample only skews the ratio a little
        pass


def heartbeat(hostname: str, processes: int) -> None:
    with contextlib.suppress(Exception):  # the next heartbeat tries again
        client().hset(WORKERS, hostname, f"{time.time():.3f}:{processes}")


def idle_ratio(now: float | None = None) -> float | None:
    """Return the pool's idle share over the last one to two minutes, None with no worker."""
    now = now or time.time()
    redis = client()
    slots = 0
    for raw in cast(list[bytes], redis.hvals(WORKERS)):
        seen, processes = raw.decode().split(":")
        if now - float(seen) <= LIVE_SECONDS:
            slots += int(processes)
    if slots == 0:
        return None
    minute = int(now // 60)
    samples = cast(list[Any], redis.mget(_busy_key(minute), _busy_key(minute - 1)))
    busy = sum(float(v or 0) for v in samples)
    window = 60 + now % 60
    return round(min(1.0, max(0.0, 1 - busy / (slots * window))), 4)


def connect_signals() -> None:
    """Hook the busy clock and the heartbeat into Celery's worker signals."""
    from celery.signals import heartbeat_sent, task_postrun, task_prerun, worker_init

    def _init(sender: Any = None, **_: Any) -> None:
        _pool["size"] = int(getattr(sender, "concurrency", 1) or 1)

    def _beat(sender: Any = None, **_: Any) -> None:
        heartbeat(sender.eventer.hostname, _pool["size"])

    def _pre(task_id: str = "", **_: Any) -> None:
        _started[task_id] = time.perf_counter()

    def _post(task_id: str = "", **_: Any) -> None:
        from reconcile.observability.trace import forget

        forget()  # the next task in this process starts outside the last one's trace
        began = _started.pop(task_id, None)
        if began is not None:
            add_busy(time.perf_counter() - began)

    for signal, handler in ((worker_init, _init), (heartbeat_sent, _beat),
                            (task_prerun, _pre), (task_postrun, _post)):
        signal.connect(handler, weak=False)
