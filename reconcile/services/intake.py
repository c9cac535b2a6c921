"""Intake control: an operator's pause switch and backpressure on the ready queues."""

from __future__ import annotations

import json
import time
from typing import Any, cast

import redis

from reconcile.bootstrap import active_rules
from reconcile.dispatch import QUEUES
from reconcile.errors import IntakePaused, Overloaded
from reconcile.locks import redis_client

PAUSED_KEY = "reconcile:intake:paused"


def queue_depths() -> dict[str, int]:
    """Ready (not yet taken) jobs per queue, read from the broker."""
    pipe = redis_client().pipeline(transaction=False)
    for name in QUEUES:
        pipe.llen(name)
    return dict(zip(QUEUES, (int(n) for n in pipe.execute()), strict=True))


def oldest_ready_age_seconds() -> float | None:
    """Age of the oldest ready job, from the `sent_at` header the dispatcher stamps."""
    client, oldest = redis_client(), None
    for name in QUEUES:
        # kombu pushes left and pops right, so index -1 is the oldest ready job.
        raw = cast(bytes | None, client.lindex(name, -1))
        if raw is None:
            continue
        try:
            sent = float(json.loads(raw)["headers"]["sent_at"])
        except (ValueError, KeyError, TypeError):
            continue
        oldest = sent if oldest is None else min(oldest, sent)
    return None if oldest is None else round(max(time.time() - oldest, 0.0), 3)


def is_paused() -> bool:
    return bool(redis_client().exists(PAUSED_KEY))


def set_paused(paused: bool) -> dict[str, Any]:
    client = redis_client()
    if paused:
        client.set(PAUSED_KEY, str(time.time()))
    else:
        client.delete(PAUSED_KEY)
    return {"paused": paused}


def check_intake() -> None:
    """Refuse a submission while paused or while the ready queues are over the limit.

    If Redis itself is unreachable the submission is still taken: it is committed to the
    database and the sweep dispatches it once the broker is back.
    """
    try:
        pipe = redis_client().pipeline(transaction=False)
        pipe.exists(PAUSED_KEY)
        for name in QUEUES:
            pipe.llen(name)
        paused, *depths = pipe.execute()
    except redis.RedisError:
        return
    if paused:
        raise IntakePaused("submissions are paused by an operator", retry_after=60)
    limit = active_rules().intake.max_queue_depth
    if sum(int(d) for d in depths) > limit:
        raise Overloaded(f"more than {limit} jobs are waiting; submit again later",
                         retry_after=30)
