"""Run one reconciliation attempt: fetch platform truth, classify, apply effects, once.

An attempt is keyed by (report, attempt number). The fetch happens outside any
transaction; everything the attempt changes commits together, and the unique key makes a
redelivered, duplicated or racing job a no-op.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from reconcile.bootstrap import active_rules
from reconcile.dispatch import get_dispatcher
from reconcile.observability import events as observe
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import (
    Attempt,
    Platform,
    Post,
    ReconciliationLog,
    Report,
    TrustEffect,
)
from reconcile.platforms.fetching import FetchOutcome, fetch_truth_many
from reconcile.rules import (
    METRICS,
    Classification,
    RetryDecision,
    Status,
    classify,
    decide_after_attempt,
    decide_deferral,
    event_for,
)
from reconcile.services.effects import apply_effects, record_deferral

log = logging.getLogger("reconcile.tasks.reconciliation")


@dataclass(frozen=True)
class Job:
    report_id: int
    attempt_number: int
    trigger: str = "submission"
    request_id: str | None = None
    task_id: str | None = None
    trace_id: str | None = None


@dataclass(frozen=True)
class Target:
    """What the fetch needs, read in a short transaction before it."""

    report_id: int
    post_id: int
    affiliate_id: int
    platform: str
    platform_post_id: str
    platform_active: bool
    submitted_at: datetime
    claimed: dict[str, int]
    priority: str
    incomplete_attempts: int
    verified: bool  # the report already moved trust (a rerun or a re-verification)


def load_target(job: Job) -> Target | None:
    """Return what to fetch, or None when this job has nothing left to do."""
    with unit_of_work() as uow:
        s = uow.session
        row = s.execute(
            select(Report, Post, ReconciliationLog, Platform.is_active)
            .join(Post, Post.id == Report.post_id)
            .join(ReconciliationLog, ReconciliationLog.report_id == Report.id)
            .join(Platform, Platform.name == Post.platform)
            .where(Report.id == job.report_id)
        ).first()
        if row is None:
            return None
        report, post, rlog, active = row
        done = s.scalar(
            select(Attempt.id).where(
                Attempt.report_id == job.report_id, Attempt.attempt_number == job.attempt_number
            )
        )
        if done is not None or rlog.attempt_count >= job.attempt_number:
            return None
        if rlog.is_terminal and job.trigger in ("submission", "retry"):
            return None
        incomplete = s.scalar(
            select(func.count()).select_from(Attempt).where(
                Attempt.report_id == job.report_id, Attempt.status == "INCOMPLETE_PLATFORM_DATA"
            )
        )
        verified = s.get(TrustEffect, job.report_id) is not None
        submitted = report.submitted_at
        if submitted.tzinfo is None:  # SQLite drops the zone; values are stored in UTC
            submitted = submitted.replace(tzinfo=UTC)
        return Target(
            report_id=report.id, post_id=post.id, affiliate_id=report.affiliate_id,
            platform=post.platform,
            platform_post_id=post.platform_post_id, platform_active=bool(active),
            submitted_at=submitted,
            claimed={"views": report.claimed_views, "clicks": report.claimed_clicks,
                     "conversions": report.claimed_conversions},
            priority=report.priority, incomplete_attempts=int(incomplete or 0),
            verified=verified,
        )


def run_attempt(job: Job, now: datetime | None = None) -> str | None:
    """Run the job; return the status it recorded, or None when it was a no-op."""
    return run_attempts([job], now)[0]


def run_attempts(jobs: Sequence[Job], now: datetime | None = None) -> list[str | None]:
    """Run several jobs, fetching each platform's posts together; one result per job."""
    started = time.perf_counter()
    for job in jobs:
        log.info("Processing reconciliation job", extra=_extra(job))
    targets = [load_target(job) for job in jobs]
    live = [(job, t) for job, t in zip(jobs, targets, strict=True) if t is not None]
    started_at = datetime.now(UTC)
    fetched: dict[int, FetchOutcome] = {}
    by_platform: dict[str, list[Target]] = {}
    for _, target in live:
        by_platform.setdefault(target.platform, []).append(target)
    for platform, group in by_platform.items():
        if not group[0].platform_active:
            outcomes = {t.platform_post_id: FetchOutcome.deferred_for("platform_disabled")
                        for t in group}
        else:
            outcomes = fetch_truth_many(platform, [t.platform_post_id for t in group])
        for t in group:
            fetched[t.report_id] = outcomes[t.platform_post_id]
    results: dict[int, str | None] = {}
    for job, target in live:
        results[id(job)] = _finish(job, target, fetched[target.report_id], now, started,
                                   started_at)
    for job, maybe in zip(jobs, targets, strict=True):
        if maybe is None:
            log.info("Reconciliation job finished", extra={**_extra(job), "outcome": "no-op"})
    return [results.get(id(job)) for job in jobs]


def _extra(job: Job) -> dict[str, Any]:
    return {"report_id": job.report_id, "attempt": job.attempt_number,
            "request_id": job.request_id, "task_id": job.task_id, "trace_id": job.trace_id}


def _finish(job: Job, target: Target, fetched: FetchOutcome, now: datetime | None,
            started: float, started_at: datetime) -> str | None:
    """Classify one fetched report and commit everything the attempt changes."""
    rules = active_rules()
    now = now or datetime.now(UTC)
    extra = {**_extra(job), "platform": target.platform}
    if fetched.deferred and target.verified:
        # The verified outcome stands; the next re-verification sweep tries again.
        log.info("Reconciliation job finished",
                 extra={**extra, "outcome": "deferred", "missing_reason": fetched.missing_reason})
        return None
    if fetched.deferred:
        deferral = decide_deferral(
            target.submitted_at, now, rules.retry, reason=fetched.missing_reason or "",
            reopen_at=fetched.reopen_at,
        )
        record_deferral(job, target, fetched.missing_reason or "", deferral, rules)
        observe.deferred(fetched.missing_reason)
        _schedule(job, target, deferral, same_attempt=True)
        log.info("Reconciliation job finished",
                 extra={**extra, "outcome": "deferred", "missing_reason": fetched.missing_reason})
        return None
    observed = {m: fetched.metrics.get(m) for m in METRICS}
    hours = (now - target.submitted_at).total_seconds() / 3600
    result: Classification = classify(target.claimed, observed, hours, rules.classification)
    if result.status == Status.MISSING_PLATFORM_DATA and fetched.missing_reason is None:
        # The platform answered for the post but showed none of its metrics: to us the
        # post's data was not found, which is what the reason must say.
        fetched = replace(fetched, missing_reason="not_found")
    # Data that goes missing after a report was verified neither undoes the verified
    # outcome nor starts a new retry chain: the attempt is kept as history only.
    keep_outcome = target.verified and event_for(result.status) is None
    decision: RetryDecision = (
        RetryDecision(True, None, True, fetched.missing_reason) if keep_outcome
        else decide_after_attempt(
            result.status, job.attempt_number, target.submitted_at, now, rules.retry,
            missing_reason=fetched.missing_reason, retry_after_seconds=fetched.retry_after,
            incomplete_attempts_so_far=target.incomplete_attempts,
        )
    )
    try:
        with unit_of_work() as uow:
            applied = apply_effects(
                uow, job, target, result, fetched, decision, rules, keep_outcome=keep_outcome,
                started_at=started_at, duration_ms=(time.perf_counter() - started) * 1000,
            )
            uow.after_commit(observe.attempt_committed(
                uow.session, target.affiliate_id, result.status, fetched.missing_reason, started))
    except IntegrityError:
        # Another delivery of the same attempt committed first: nothing more to do.
        log.info("Reconciliation job finished", extra={**extra, "outcome": "duplicate"})
        return None
    if applied:
        _schedule(job, target, decision, same_attempt=False)
    log.info(
        "Reconciliation job finished",
        extra={**extra, "status": str(result.status), "missing_reason": fetched.missing_reason,
               "duration_ms": round((time.perf_counter() - started) * 1000, 1)},
    )
    return str(result.status)


def _schedule(job: Job, target: Target, decision: RetryDecision, *, same_attempt: bool) -> None:
    if decision.terminal or decision.retry_at is None:
        return
    delay = max((decision.retry_at - datetime.now(UTC)).total_seconds(), 0.0)
    number = job.attempt_number if same_attempt else job.attempt_number + 1
    get_dispatcher().reconcile(
        target.report_id, number, priority=target.priority, countdown=delay,
        trigger="retry", request_id=job.request_id,
    )


