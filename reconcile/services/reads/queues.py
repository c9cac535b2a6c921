"""Read the queues: ready depth per queue, scheduled retries, the oldest ready job's age."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from reconcile.broker import oldest_ready_age_seconds, queue_depths
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import ReconciliationLog
from reconcile.services.intake.control import is_paused


def scheduled_count(now: datetime | None = None) -> int:
    """Reports waiting for a retry or a deferred attempt whose time has not come."""
    now = now or datetime.now(UTC)
    with unit_of_work() as uow:
        return int(uow.session.scalar(
            select(func.count()).select_from(ReconciliationLog).where(
                ReconciliationLog.is_terminal.is_(False),
                ReconciliationLog.scheduled_retry_at > now,
            )
        ) or 0)


def queues_snapshot() -> dict[str, Any]:
    return {
        "queues": queue_depths(),
        "scheduled": scheduled_count(),
        "oldest_ready_age_seconds": oldest_ready_age_seconds(),
        "intake_paused": is_paused(),
    }
