"""Idempotency keys: a replayed request gets the first answer and creates nothing.

The first request with a key inserts a placeholder row in its own transaction; the
primary key (user, key) lets exactly one of any number of racing twins win. A twin that
comes while the winner still runs is answered at once, 409 IN_PROGRESS with Retry-After
(holding a thread to wait for the winner is what let duplicates tie up the API); once the
winner has answered, a replay gets that answer. A transient failure releases the key so
the client may retry; a placeholder older than STALE_AFTER (its owner died) may be taken
over. Keys are kept for RETENTION: the housekeeping task deletes older rows, and an older
row still there counts as gone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, tuple_, update
from sqlalchemy.exc import IntegrityError

from reconcile.errors import IdempotencyInProgress, ValidationFailed
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import IdempotencyRecord

IN_PROGRESS = 0
STALE_AFTER = timedelta(seconds=120)
# How long a key is remembered: a client retrying a lost answer does so within minutes; a
# day also covers a job that re-sends a batch overnight. After that the same key starts a
# new request (a repeated submission then meets 409 DUPLICATE_SUBMISSION anyway).
RETENTION = timedelta(hours=24)
# A twin finishes in milliseconds: one second is enough to come back for its answer.
RETRY_AFTER_SECONDS = 1
_TAKEOVERS = 3


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


def _forget(row: IdempotencyRecord) -> None:
    """Delete this very row (not a newer one a twin reserved meanwhile)."""
    with unit_of_work() as uow:
        uow.session.execute(delete(IdempotencyRecord).where(
            IdempotencyRecord.user_id == row.user_id, IdempotencyRecord.key == row.key,
            IdempotencyRecord.created_at == row.created_at))


def claim(user_id: int, key: str, fingerprint: str) -> Stored | None:
    """Reserve the key (None: go ahead) or return the answer a twin already gave; 409
    IN_PROGRESS while that twin still runs."""
    for _ in range(_TAKEOVERS):
        if _reserve(user_id, key, fingerprint):
            return None
        row = _read(user_id, key)
        if row is None:
            continue  # released by a failed twin: try again to reserve it
        age = datetime.now(UTC) - row.created_at
        if age > RETENTION or (row.status_code == IN_PROGRESS and age > STALE_AFTER):
            _forget(row)  # expired, or its owner died: the key is free again
            continue
        if row.body_hash != fingerprint:
            raise ValidationFailed([{"field": "Idempotency-Key",
                                     "message": "already used with a different request body"}])
        if row.status_code != IN_PROGRESS:
            return Stored(row.status_code, row.response)
        break
    raise IdempotencyInProgress("a request with this Idempotency-Key is still running; "
                                "repeat it shortly for its answer",
                                retry_after=RETRY_AFTER_SECONDS)


def purge_expired(now: datetime | None = None, batch: int = 5000) -> int:
    """Delete up to `batch` keys older than RETENTION; return how many."""
    cutoff = (now or datetime.now(UTC)) - RETENTION
    expired = (select(IdempotencyRecord.user_id, IdempotencyRecord.key)
               .where(IdempotencyRecord.created_at < cutoff).limit(batch))
    with unit_of_work() as uow:
        done = uow.session.execute(delete(IdempotencyRecord).where(
            tuple_(IdempotencyRecord.user_id, IdempotencyRecord.key).in_(expired)))
        return int(done.rowcount or 0)  # type: ignore[attr-defined]


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
