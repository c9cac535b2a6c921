"""Periodic re-verification: attempt verified reports again at their affiliate's interval.

A report qualifies while it is younger than `reverify.max_age_days`, is the latest report
of its post (an update supersedes the earlier claim), and its last outcome is terminal and
verified, i.e. one that moved trust (MATCHED, a DISCREPANCY_* or AFFILIATE_OVERCLAIMED).
Terminal MISSING and INCOMPLETE reports are left alone: the retry policy already decided how
long to chase their data, and re-verifying them would reopen a finished retry chain.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, select

from reconcile.bootstrap import active_rules
from reconcile.dispatch import NextAttempt, send_attempts
from reconcile.persistence.buckets import bucket_case
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.latest import is_latest_report
from reconcile.persistence.models import ReconciliationLog, Report, User
from reconcile.rules import Rules, Status, event_for

log = logging.getLogger("reconcile.tasks.reverify")

VERIFIED = tuple(str(s) for s in Status if event_for(s) is not None)
BATCH = 1000
PRIORITY = "low"
TRIGGER = "reverify"


def _due_before(rules: Rules, now: datetime) -> ColumnElement[Any]:
    """Return the SQL cut-off for the last attempt, chosen by the affiliate's trust bucket."""
    hours = rules.reverify.interval_hours

    def cutoff(bucket: str) -> datetime:
        return now - timedelta(hours=hours[bucket])

    return bucket_case(User.trust_score, rules.trust, then=cutoff)


def reverify(now: datetime | None = None) -> int:
    """Dispatch the next attempt, at low priority, of every report due for re-verification."""
    rules = active_rules()
    now = now or datetime.now(UTC)
    due_before = _due_before(rules, now)
    with unit_of_work() as uow:
        logs = uow.session.scalars(
            select(ReconciliationLog)
            .join(Report, Report.id == ReconciliationLog.report_id)
            .join(User, User.id == Report.affiliate_id)
            .where(
                ReconciliationLog.is_terminal.is_(True),
                ReconciliationLog.status.in_(VERIFIED),
                Report.submitted_at > now - timedelta(days=rules.reverify.max_age_days),
                ReconciliationLog.last_attempt_at < due_before,
                # A re-verification already sent counts as started, so a backlog on the low
                # queue is not filled with copies; a lost one is sent again an interval later.
                or_(ReconciliationLog.scheduled_retry_at.is_(None),
                    ReconciliationLog.scheduled_retry_at < due_before),
                is_latest_report(),
            )
            .order_by(ReconciliationLog.last_attempt_at)
            .limit(BATCH)
        ).all()
        jobs = [(rlog.report_id, rlog.attempt_count + 1) for rlog in logs]
        for rlog in logs:
            rlog.scheduled_retry_at = now
    sent = send_attempts(NextAttempt(report_id, number, PRIORITY, TRIGGER)
                         for report_id, number in jobs)
    if jobs:
        log.info("Re-verification dispatched", extra={"outcome": f"{sent}/{len(jobs)}"})
    return sent
