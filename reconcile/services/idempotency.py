"""Idempotency keys: a replayed request gets the first answer and creates nothing.

The first request with a key inserts a placeholder row in its own transaction; the
primary key (user, key) lets exactly one of any number of racing twins win. The others
wait for the winner's answer and return it. A transient failure releases the key so the
client may retry; a placeholder older than STALE_AFTER (its owner died) may be taken over.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError

from reconcile.errors import IdempotencyInProgress, ValidationFailed
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import IdempotencyRecord

IN_PROGRESS = 0
WAIT_SECONDS = 15.0
STALE_AFTER = timedelta(seconds=120)


@dataclass(frozen=True)
class Stored:
    status: int
    body: dict[str, Any]


def _reserve(user_id: int, key: str, fingerprint: str) -> bool:
    try:
        with unit_of_work() as uow:
            uow.session.add(IdempotencyRecord(
                user_id=user_id, key=key, body_hash=fingerprint, status_code=IN_PROGRESS,
                response={}, created_at=datetime.now(UTC),
            ))
    except IntegrityError:
        return False
    return True


def _read(user_id: int, key: str) -> IdempotencyRecord | None:
    with unit_of_work() as uow:
        return uow.session.get(IdempotencyRecord, (user_id, key))


def claim(user_id: int, key: str, fingerprint: str) -> Stored | None:
    """Reserve the key (None: go ahead) or return the answer a twin already gave."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        if _reserve(user_id, key, fingerprint):
            return None
        row = _read(user_id, key)
        if row is None:
            continue  # released by a failed twin: try again to reserve it
        if row.body_hash != fingerprint:
            raise ValidationFailed([{"field": "Idempotency-Key",
                                     "message": "already used with a different request body"}])
        if row.status_code != IN_PROGRESS:
            return Stored(row.status_code, row.response)
        created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=UTC)
        if datetime.now(UTC) - created > STALE_AFTER:
            release(user_id, key, only_in_progress=True)
            continue
        if time.monotonic() > deadline:
            raise IdempotencyInProgress("a request with this Idempotency-Key is still running")
        time.sleep(0.05)  # the twin holds the key for as long as one submission takes


def finish(user_id: int, key: str, status: int, body: dict[str, Any]) -> None:
    """Store the answer every later replay will get."""
    with unit_of_work() as uow:
        uow.session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key)
            .values(status_code=status, response=body)
        )


def release(user_id: int, key: str, only_in_progress: bool = False) -> None:
    """Forget the key after a transient failure, so a retry runs the request again."""
    stmt = delete(IdempotencyRecord).where(
        IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key
    )
    if only_in_progress:
        stmt = stmt.where(IdempotencyRecord.status_code == IN_PROGRESS)
    with unit_of_work() as uow:
        uow.session.execute(stmt)
