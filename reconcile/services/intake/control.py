"""Intake control: an operator's pause switch and backpressure on the ready queues.

The pause switch lives in PostgreSQL (table `switches`), so a Redis restart without
persistence never resumes intake behind the operator's back. Redis keeps a copy that
expires after CACHE_SECONDS, so a submission normally costs one Redis round trip (the copy
and the queue depths in one pipeline), not a database read; when the copy is missing or
Redis is down, the database answers.
"""

from __future__ import annotations

import contextlib
import json
import time
from datetime import UTC, datetime
from typing import Any, cast

import redis
from sqlalchemy import select

from reconcile.bootstrap import active_rules
from reconcile.errors import IntakePaused, Overloaded
from reconcile.locks import redis_client
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Switch
from reconcile.services.audit import SYSTEM, Actor, record
from reconcile.vocabulary import QUEUES

INTAKE_SWITCH = "intake_paused"
CACHE_KEY = "reconcile:intake:paused"  # "1" or "0": a copy of the switch, never the truth
# How stale a copy can be at worst (an API process racing a change of the switch).
CACHE_SECONDS = 10


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


UNKNOWN = object()  # a queue's oldest message could not be read: assume anything may wait
_SCAN = 10


def oldest_ready_sent_at(queue: str) -> float | None | object:
    """When the oldest message still waiting in the queue was sent (unix seconds), None if
    no message waits there, UNKNOWN if the oldest ones carry no `sent_at` header."""
    client = redis_client()
    pipe = client.pipeline(transaction=False)
    pipe.llen(queue)
    pipe.lrange(queue, -_SCAN, -1)  # kombu pops from the right: the oldest are last
    depth, oldest = pipe.execute()
    for raw in reversed(cast(list[bytes], oldest)):
        try:
            return float(json.loads(raw)["headers"]["sent_at"])
        except (ValueError, KeyError, TypeError, RecursionError):
            continue
    # Nothing with the header among what was read: no job of ours waits, unless more waits.
    return None if int(depth) <= _SCAN else UNKNOWN


def _stored() -> bool:
    """Read the switch from the database."""
    with unit_of_work() as uow:
        return bool(uow.session.scalar(select(Switch.is_on).where(Switch.name == INTAKE_SWITCH)))


def _remember(paused: bool) -> None:
    with contextlib.suppress(redis.RedisError):  # the next reader asks the database
        redis_client().set(CACHE_KEY, "1" if paused else "0", ex=CACHE_SECONDS)


def _from_copy(copy: bytes | None) -> bool:
    if copy is None:
        paused = _stored()
        _remember(paused)
        return paused
    return copy == b"1"


def is_paused() -> bool:
    try:
        copy = cast(bytes | None, redis_client().get(CACHE_KEY))
    except redis.RedisError:
        return _stored()
    return _from_copy(copy)


def set_paused(paused: bool, actor: Actor = SYSTEM) -> dict[str, Any]:
    """Pause or resume intake, and record who did it.

    The cached copy is dropped inside the transaction: if Redis cannot be reached the change
    is rolled back (503), so no API process keeps acting on a copy that says otherwise.
    """
    with unit_of_work() as uow:
        switch = uow.session.scalars(
            select(Switch).where(Switch.name == INTAKE_SWITCH).with_for_update()
        ).one()
        before = {"paused": switch.is_on}
        switch.is_on, switch.changed_at = paused, datetime.now(UTC)
        record(uow.session, actor, "intake.paused" if paused else "intake.resumed",
               ("intake", INTAKE_SWITCH), before=before, after={"paused": paused})
        redis_client().delete(CACHE_KEY)
    _remember(paused)
    return {"paused": paused}


def check_intake() -> None:
    """Refuse a submission while paused or while the ready queues are over the limit.

    If Redis itself is unreachable the pause still holds (read from the database) but the
    depth cannot be known: the submission is taken, committed, and the sweep dispatches it
    once the broker is back.
    """
    try:
        pipe = redis_client().pipeline(transaction=False)
        pipe.get(CACHE_KEY)
        for name in QUEUES:
            pipe.llen(name)
        copy, *depths = pipe.execute()
    except redis.RedisError:
        if _stored():
            raise IntakePaused("submissions are paused by an operator", retry_after=60) from None
        return
    if _from_copy(copy):
        raise IntakePaused("submissions are paused by an operator", retry_after=60)
    limit = active_rules().intake.max_queue_depth
    if sum(int(d) for d in depths) > limit:
        raise Overloaded(f"more than {limit} jobs are waiting; submit again later",
                         retry_after=30)
