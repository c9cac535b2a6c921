"""Periodic re-verification: attempt verified reports again at their affiliate's interval.

A report qualifies while it is younger than `reverify.max_age_days`, or while it is inside
its live period (`reverify.live_days` after it was first verified: takedown monitoring,
truth.md; visited every `reverify.live_interval_hours` at most once that age is past), is
the latest report
of its post (an update supersedes the earlier claim), and its last outcome is terminal and
verified, i.e. one that moved trust (MATCHED, a DISCREPANCY_* or AFFILIATE_OVERCLAIMED).
Terminal MISSING and INCOMPLETE reports are left alone: the retry policy already decided how
long to chase their data, and re-verifying them would reopen a finished retry chain.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, exists, literal, or_, select

from reconcile.bootstrap import active_rules
from reconcile.dispatch import NextAttempt, send_attempts
from reconcile.persistence.buckets import bucket_case
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.latest import is_latest_report
from reconcile.persistence.models import Alert, Post, ReconciliationLog, Report, User
from reconcile.platforms.adapters import ADAPTERS
from reconcile.rules import Rules, Status, event_for
from reconcile.rules.post_checks import POST_REMOVED
from reconcile.services.reconciliation.takedown import live_since

log = logging.getLogger("reconcile.tasks.reverify")

VERIFIED = tuple(str(s) for s in Status if event_for(s) is not None)
PRIORITY = "low"
TRIGGER = "reverify"


def _due_before(rules: Rules, now: datetime) -> ColumnElement[Any]:
    """Return the SQL cut-off for the last attempt, chosen by the affiliate's trust bucket;
    past max_age_days (takedown monitoring) no more often than live_interval_hours."""
    hours = rules.reverify.interval_hours

    def cutoff(bucket: str) -> Any:
        return literal(now - timedelta(hours=hours[bucket]),
                       type_=ReconciliationLog.last_attempt_at.type)

    by_bucket = bucket_case(User.trust_score, rules.trust, then=cutoff)
    live = literal(now - timedelta(hours=rules.reverify.live_interval_hours),
                   type_=ReconciliationLog.last_attempt_at.type)
    young = Report.submitted_at > now - timedelta(days=rules.reverify.max_age_days)
    return case((young, by_bucket), (by_bucket < live, by_bucket), else_=live)


def per_sweep(platform: str, rules: Rules) -> int:
    """How many reports of a platform one sweep may send: its share of the platform's calls
    per hour, each call asking for a whole batch of posts (the adapter's batch size)."""
    calls = rules.reverify.calls_per_hour[platform] * rules.reverify.sweep_interval_seconds
    return max(1, int(calls // 3600)) * ADAPTERS[platform].batch_size


def reverify(now: datetime | None = None) -> int:
    """Dispatch the next attempt, at low priority, of every report due for re-verification,
    up to each platform's share per sweep (the longest-waiting first: the rest wait for the
    next sweep, which spreads a burst of verified posts over the day)."""
    rules = active_rules()
    now = now or datetime.now(UTC)
    jobs: list[tuple[int, int]] = []
    for platform in rules.reverify.calls_per_hour:
        jobs += _due(platform, rules, now)
    sent = send_attempts(NextAttempt(report_id, number, PRIORITY, TRIGGER)
                         for report_id, number in jobs)
    if jobs:
        log.info("Re-verification dispatched", extra={"outcome": f"{sent}/{len(jobs)}"})
    return sent


def _due(platform: str, rules: Rules, now: datetime) -> list[tuple[int, int]]:
    """Take one platform's due reports (marking them sent); their (report, next attempt)."""
    due_before = _due_before(rules, now)
    with unit_of_work() as uow:
        live = live_since(uow.session, rules, now)
        logs = uow.session.scalars(
            select(ReconciliationLog)
            .join(Report, Report.id == ReconciliationLog.report_id)
            .join(Post, Post.id == Report.post_id)
            .join(User, User.id == Report.affiliate_id)
            .where(
                Post.platform == platform,
                ReconciliationLog.is_terminal.is_(True),
                ReconciliationLog.status.in_(VERIFIED),
                or_(Report.submitted_at > now - timedelta(days=rules.reverify.max_age_days),
                    and_(ReconciliationLog.verified_at.is_not(None),
                         ReconciliationLog.verified_at >= live)),
                # A post already found taken down spends no more of the platform's calls.
                ~exists().where(Alert.report_id == Report.id, Alert.type == POST_REMOVED),
                ReconciliationLog.last_attempt_at < due_before,
                # A re-verification already sent counts as started, so a backlog on the low
                # queue is not filled with copies; a lost one is sent again an interval later.
                or_(ReconciliationLog.scheduled_retry_at.is_(None),
                    ReconciliationLog.scheduled_retry_at < due_before),
                is_latest_report(),
            )
            .order_by(ReconciliationLog.last_attempt_at)
            .limit(per_sweep(platform, rules))
        ).all()
        jobs = [(rlog.report_id, rlog.attempt_count + 1) for rlog in logs]
        for rlog in logs:
            rlog.scheduled_retry_at = now
    return jobs
