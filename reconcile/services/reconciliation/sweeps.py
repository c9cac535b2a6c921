"""The safety net: send again the jobs whose message can really be lost.

Every report's outstanding job (its next attempt, a retry, a re-run) is noted on its log
when it is handed to the broker: when (dispatched_at), to which queue (job_priority), why
(job_trigger); a worker notes when it begins it (taken_at). A job due by now is sent again
only when its message cannot be anywhere:

- a worker began it more than LOST_AFTER ago and it has not finished: the task's hard time
  limit is shorter than that, so the worker died (kill -9, a lost node) and the message sits
  unacknowledged in the broker until the visibility timeout, two days away. This counts as
  a failed run of the job (quarantined after `retry.failed.max_tries`);
- no worker began it, and it is older than every message still waiting in its queue (the
  queues are first in, first out), or was never handed over: the broker lost it (a restart
  without persistence), the publish after the commit never happened, or the worker holding
  its countdown died.

A message still waiting in its queue behind a backlog is never sent twice: under a backlog
that used to add a duplicate of every waiting report every 30 s and trip OVERLOADED early.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, literal, or_, select, update

from reconcile.broker import UNKNOWN, oldest_ready_sent_at
from reconcile.dispatch import NextAttempt, send_attempts
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import ReconciliationLog, Report
from reconcile.services.reconciliation.failures import Failed, note_failure_in
from reconcile.vocabulary import QUEUES

log = logging.getLogger("reconcile.tasks.sweep")

# A job is due this long after its time (submission, retry, re-run) before the sweep looks
# at it, and must be this much older than the oldest message of its queue to be missing.
GRACE = timedelta(seconds=60)
# Longer than the task's hard time limit (90 s): a job begun this long ago is not running.
LOST_AFTER = timedelta(seconds=150)
BATCH = 1000
LOST_REASON = "WorkerLost: the worker running it stopped before it finished"

OldestSent = Callable[[str], "float | None | object"]


def _not_waiting_before(oldest: dict[str, Any], now: datetime) -> Any:
    """SQL: per the job's queue, the latest dispatch time a message no longer waiting there
    can have (NULL when that queue's oldest message is unknown: nothing is missing)."""
    def cutoff(queue: str) -> Any:
        sent = oldest.get(queue)
        if sent is UNKNOWN:
            value = None
        else:
            at = now if sent is None else min(now, datetime.fromtimestamp(float(sent), UTC))
            value = at - GRACE
        return literal(value, type_=ReconciliationLog.dispatched_at.type)
    queue = func.coalesce(ReconciliationLog.job_priority, Report.priority)
    return case(*((queue == q, cutoff(q)) for q in QUEUES), else_=cutoff("none"))


def sweep(now: datetime | None = None, *, oldest_sent: OldestSent = oldest_ready_sent_at) -> int:
    """Send again every due job whose message can be lost; return how many were sent."""
    now = now or datetime.now(UTC)
    cutoffs = _not_waiting_before({q: oldest_sent(q) for q in QUEUES}, now)
    due = or_(
        and_(ReconciliationLog.attempt_count == 0, ReconciliationLog.scheduled_retry_at.is_(None),
             Report.submitted_at <= now - GRACE),
        ReconciliationLog.scheduled_retry_at <= now - GRACE,
    )
    taken_and_lost = and_(ReconciliationLog.taken_at.is_not(None),
                          ReconciliationLog.taken_at <= now - LOST_AFTER)
    never_reached = and_(ReconciliationLog.taken_at.is_(None), or_(
        ReconciliationLog.dispatched_at.is_(None), ReconciliationLog.dispatched_at <= cutoffs))
    with unit_of_work() as uow:
        s = uow.session
        rows = s.execute(
            select(ReconciliationLog.report_id, ReconciliationLog.attempt_count,
                   func.coalesce(ReconciliationLog.job_priority, Report.priority),
                   func.coalesce(ReconciliationLog.job_trigger, "retry"),
                   ReconciliationLog.taken_at.is_not(None))
            .join(Report, Report.id == ReconciliationLog.report_id)
            .where(ReconciliationLog.is_terminal.is_(False), due,
                   or_(taken_and_lost, never_reached))
            .order_by(ReconciliationLog.report_id).limit(BATCH)
            .with_for_update(of=ReconciliationLog, skip_locked=True)
        ).all()
        jobs: list[tuple[int, int, str, str, float | None]] = []
        for report_id, count, priority, trigger, taken in rows:
            if not taken:
                jobs.append((report_id, count + 1, priority, trigger, None))
                continue
            # A worker died running it: a failed run of this job, tried again after the
            # failure delay (or quarantined).
            noted = note_failure_in(s, Failed(report_id, count + 1, trigger, LOST_REASON), now)
            if noted is not None and noted.retry_at is not None:
                jobs.append((report_id, count + 1, priority, trigger,
                             (noted.retry_at - now).total_seconds()))
        fresh = [j[0] for j in jobs if j[4] is None]
        if fresh:
            s.execute(update(ReconciliationLog)
                      .where(ReconciliationLog.report_id.in_(fresh))
                      .values(dispatched_at=now, taken_at=None))
    sent = send_attempts(NextAttempt(report_id, number, priority, trigger, countdown)
                         for report_id, number, priority, trigger, countdown in jobs)
    if rows:
        log.info("Sweep re-dispatched overdue reports", extra={"outcome": f"{sent}/{len(rows)}"})
    return sent
