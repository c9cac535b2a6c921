"""The safety net: re-dispatch work whose message was lost (broker down, worker gone)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, or_, select

from reconcile.dispatch import get_dispatcher
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import ReconciliationLog, Report

log = logging.getLogger("reconcile.tasks.sweep")

# A report with no attempt this long after submission has lost its message.
UNATTEMPTED_AFTER = timedelta(seconds=60)
# Give a countdown task this long past its due time before assuming it is lost.
OVERDUE_AFTER = timedelta(seconds=30)
BATCH = 1000


def sweep(now: datetime | None = None) -> int:
    """Dispatch the next attempt of every report that should have run by now."""
    now = now or datetime.now(UTC)
    with unit_of_work() as uow:
        rows = uow.session.execute(
            select(ReconciliationLog.report_id, ReconciliationLog.attempt_count, Report.priority)
            .join(Report, Report.id == ReconciliationLog.report_id)
            .where(
                ReconciliationLog.is_terminal.is_(False),
                or_(
                    and_(
                        ReconciliationLog.attempt_count == 0,
                        ReconciliationLog.scheduled_retry_at.is_(None),
                        Report.submitted_at <= now - UNATTEMPTED_AFTER,
                    ),
                    ReconciliationLog.scheduled_retry_at <= now - OVERDUE_AFTER,
                ),
            )
            .order_by(ReconciliationLog.report_id)
            .limit(BATCH)
        ).all()
    dispatcher = get_dispatcher()
    sent = sum(
        dispatcher.reconcile(r.report_id, r.attempt_count + 1, priority=r.priority,
                             trigger="retry")
        for r in rows
    )
    if rows:
        log.info("Sweep re-dispatched overdue reports", extra={"outcome": f"{sent}/{len(rows)}"})
    return sent
