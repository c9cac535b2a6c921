"""Approve pending entries whose validation window has passed (the beat task's work)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update

from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import EarningEntry

BATCH = 1000


def approve_due(now: datetime | None = None) -> int:
    """Move every `pending` entry past its window to `approved`; return how many moved.

    Idempotent: a second run finds nothing pending past its window. Rows another
    transaction holds locked are skipped (the next run takes them), and the status is
    checked again under the lock, so an entry held meanwhile stays held.
    """
    now = now or datetime.now(UTC)
    moved = 0
    while True:
        with unit_of_work() as uow:
            s = uow.session
            ids = list(s.scalars(select(EarningEntry.id).where(
                EarningEntry.status == "pending", EarningEntry.approve_after <= now)
                .order_by(EarningEntry.id).limit(BATCH).with_for_update(skip_locked=True)))
            if ids:
                s.execute(update(EarningEntry).where(EarningEntry.id.in_(ids),
                                                     EarningEntry.status == "pending")
                          .values(status="approved", status_changed_at=now))
        moved += len(ids)
        if len(ids) < BATCH:
            return moved
