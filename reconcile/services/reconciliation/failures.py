"""Jobs that fail for reasons of their own: run them again later, quarantine them after N.

"Its own reason" is anything but the platform's (a platform that is down or says nothing
is the retry policy's business): an answer or a value our code cannot handle, a value the
database refuses, a worker that died while running it. One such job never fails the batch
it ran in; it is noted here, alone, and sent again after `retry.failed.delay_seconds` x
2^(n-1). After `retry.failed.max_tries` failed runs it is quarantined: terminal, with the
reason on its log and an R7 alert (JOB_QUARANTINED, DATA_QUALITY), never retried for ever.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from reconcile.bootstrap import active_rules
from reconcile.dispatch import NextAttempt, send_attempts
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Post, ReconciliationLog, Report
from reconcile.rules import Status, decide_after_failure, event_for, quarantine_alert
from reconcile.services.alerts.raising import raise_alert

log = logging.getLogger("reconcile.tasks.reconciliation")

VERIFIED = frozenset(str(s) for s in Status if event_for(s) is not None)
MAX_REASON = 500


@dataclass(frozen=True)
class Failed:
    """One failed run of a report's next attempt."""

    report_id: int
    attempt_number: int
    trigger: str
    reason: str
    request_id: str | None = None


def describe(exc: BaseException) -> str:
    """A failure's reason as the log keeps it: the exception's type and first line."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {text}"[:MAX_REASON] if text else type(exc).__name__


@dataclass(frozen=True)
class Noted:
    quarantined: bool
    retry_at: datetime | None
    priority: str


def note_failure(failed: Failed, now: datetime | None = None) -> bool:
    """Record the failed run; schedule the next or quarantine. Return True if quarantined."""
    now = now or datetime.now(UTC)
    with unit_of_work() as uow:
        noted = note_failure_in(uow.session, failed, now)
        if noted is None:
            return False
        if noted.retry_at is not None:
            countdown = (noted.retry_at - now).total_seconds()
            job = NextAttempt(failed.report_id, failed.attempt_number, noted.priority,
                              failed.trigger, countdown, failed.request_id)
            uow.after_commit(lambda: send_attempts([job]))
    log.warning("Reconciliation job failed" + (": quarantined" if noted.quarantined else ""),
                extra={"report_id": failed.report_id, "attempt": failed.attempt_number,
                       "error_code": failed.reason[:120]})
    return noted.quarantined


def note_failure_in(session: Session, failed: Failed, now: datetime) -> Noted | None:
    """Record the failed run inside the caller's transaction, sending nothing; None when
    another run of the job had already finished it."""
    row = session.execute(
        select(ReconciliationLog, Report.affiliate_id, Post.platform)
        .join(Report, Report.id == ReconciliationLog.report_id)
        .join(Post, Post.id == Report.post_id)
        .where(ReconciliationLog.report_id == failed.report_id)
        .with_for_update(of=ReconciliationLog)
    ).first()
    if row is None:
        return None
    rlog, affiliate_id, platform = row
    if rlog.attempt_count >= failed.attempt_number or rlog.is_terminal:
        return None  # another run of the job finished it meanwhile
    rlog.failures += 1
    rlog.last_failure = failed.reason[:MAX_REASON]
    retry_at = decide_after_failure(rlog.failures, now, active_rules().retry)
    priority = rlog.job_priority or "normal"
    rlog.taken_at = None
    if retry_at is not None:
        rlog.scheduled_retry_at, rlog.dispatched_at = retry_at, now
        rlog.job_priority, rlog.job_trigger = priority, failed.trigger
        return Noted(False, retry_at, priority)
    # Quarantined: the job stops here. A verified outcome of the report stands (its trust
    # effect too); a report never verified says QUARANTINED.
    if rlog.status not in VERIFIED:
        rlog.status = str(Status.QUARANTINED)
    rlog.is_terminal, rlog.scheduled_retry_at = True, None
    rlog.dispatched_at = rlog.job_priority = rlog.job_trigger = None
    raise_alert(session, quarantine_alert(rlog.failures, rlog.last_failure),
                report_id=failed.report_id, affiliate_id=affiliate_id, platform=platform)
    return Noted(True, None, priority)
