"""Intake control: an operator's pause switch and backpressure on the ready queues.

The pause switch lives in PostgreSQL (table `switches`), so a Redis restart without
persistence never resumes intake behind the operator's back. Redis keeps a copy that
expires after CACHE_SECONDS, so a submission normally costs one Redis round trip (the copy
and the queue depths in one pipeline), not a database read; when the copy is missing or
Redis is down, the database answers.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, cast

import redis
from sqlalchemy import select

from reconcile.bootstrap import active_rules
from reconcile.broker import add_depths
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


# The ready queues whose depth the backpressure limit counts.
DEPTH_QUEUES: tuple[str, ...] = QUEUES


def intake_reads() -> list[tuple[str, str]]:
    """What check_intake reads from Redis, as (command, key): the API reads them in the
    same round trip as the request's rate limit and hands the answers to the check."""
    return [("GET", CACHE_KEY), *(("LLEN", queue) for queue in DEPTH_QUEUES)]


def check_intake(answers: Sequence[Any] | None = None) -> None:
    """Refuse a submission while paused or while the ready queues are over the limit.

    `answers`: intake_reads() already answered (in that order); read here if None.
    If Redis itself is unreachable the pause still holds (read from the database) but the
    depth cannot be known: the submission is taken, committed, and the sweep dispatches it
    once the broker is back.
    """
    if answers is not None:
        copy, *depths = answers
    else:
        try:
            pipe = redis_client().pipeline(transaction=False)
            pipe.get(CACHE_KEY)
            add_depths(pipe, DEPTH_QUEUES)
            copy, *depths = pipe.execute()
        except redis.RedisError:
            if _stored():
                raise IntakePaused("submissions are paused by an operator",
                                   retry_after=60) from None
            return
    if _from_copy(copy):
        raise IntakePaused("submissions are paused by an operator", retry_after=60)
    limit = active_rules().intake.max_queue_depth
    if sum(int(d) for d in depths) > limit:
        raise Overloaded(f"more than {limit} jobs are waiting; submit again later",
                         retry_after=30)
