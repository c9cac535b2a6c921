"""Reopen reports for a re-run: their job is written down before it is sent."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from reconcile.persistence.models import ReconciliationLog


def reopen(session: Session, report_ids: Sequence[int], priority: str, trigger: str,
           now: datetime) -> None:
    """Make each report's next attempt due now, as a job sent to `priority`'s queue.

    The log stops being terminal until that attempt commits (its outcome, if it moves no
    trust, leaves a verified one standing), so the sweep sends the job again if its message
    is lost, as it does for a submission's. The failure count starts again: a forced re-run
    is how an operator takes up a quarantined report once its cause is fixed.
    """
    if not report_ids:
        return
    session.execute(
        update(ReconciliationLog)
        .where(ReconciliationLog.report_id.in_(sorted(report_ids)))
        .values(is_terminal=False, scheduled_retry_at=now, dispatched_at=now, taken_at=None,
                job_priority=priority, job_trigger=trigger, failures=0, last_failure=None)
    )
