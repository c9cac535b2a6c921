"""Everything an attempt changes, written in one transaction: attempt, snapshot, log,
trust, alerts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from reconcile.persistence.db import UnitOfWork, unit_of_work
from reconcile.persistence.models import (
    Alert,
    Attempt,
    ReconciliationLog,
    Snapshot,
    TrustEffect,
    TrustLedger,
    User,
)
from reconcile.platforms.fetching import FetchOutcome
from reconcile.rules import (
    Classification,
    RetryDecision,
    Rules,
    alerts_for_attempt,
    classify,
    plan_effect,
    trust_threshold_alert,
)
from reconcile.services.alerting import raise_alert

if TYPE_CHECKING:
    from reconcile.services.attempts import Job, Target


def _metrics_json(result: Classification) -> dict[str, Any]:
    return {
        m: {"claimed": r.claimed, "observed": r.observed, "difference": r.difference, "pct": r.pct}
        for m, r in result.metrics.items()
    }


def apply_effects(
    uow: UnitOfWork, job: Job, target: Target, result: Classification, fetched: FetchOutcome,
    decision: RetryDecision, rules: Rules, *, started_at: datetime, duration_ms: float,
    keep_outcome: bool = False,
) -> bool:
    """Record the attempt and apply its outcome; return False when a later attempt won."""
    s = uow.session
    now = datetime.now(UTC)
    # Lock the affiliate first: attempts for one affiliate queue up here, so no trust update
    # is lost and each sees the alerts committed before it (R2's repeat check). SQLite
    # serialises whole transactions instead (BEGIN IMMEDIATE).
    user = s.scalars(select(User).where(User.id == target.affiliate_id).with_for_update()).one()
    attempt = Attempt(
        report_id=target.report_id, attempt_number=job.attempt_number, status=str(result.status),
        discrepancy_level=str(result.level) if result.level else None,
        missing_reason=fetched.missing_reason, confidence_ratio=result.confidence,
        max_discrepancy_pct=result.max_discrepancy_pct, metrics=_metrics_json(result),
        rules_version=rules.version, trigger=job.trigger, task_id=job.task_id,
        started_at=started_at, finished_at=now, duration_ms=duration_ms,
    )
    s.add(attempt)
    s.flush()  # the unique (report, attempt number) key decides here who does the work
    if any(v is not None for v in fetched.metrics.values()):
        s.add(Snapshot(
            attempt_id=attempt.id, report_id=target.report_id, post_id=target.post_id,
            attempt_number=job.attempt_number, fetched_at=now, **fetched.metrics,
        ))
    rlog = s.scalars(
        select(ReconciliationLog).where(ReconciliationLog.report_id == target.report_id)
    ).one()
    if rlog.attempt_count > job.attempt_number:
        return False  # a later attempt already decided the outcome; this one is history
    rlog.attempt_count = job.attempt_number
    rlog.last_attempt_at = now
    rlog.scheduled_retry_at = None if decision.terminal else decision.retry_at
    if keep_outcome:
        return True
    trust_delta = _apply_trust(s, user, target, result, rules)
    rlog.status = str(result.status)
    rlog.discrepancy_level = attempt.discrepancy_level
    rlog.is_terminal = decision.terminal
    rlog.missing_reason = fetched.missing_reason
    rlog.confidence_ratio = result.confidence
    rlog.missing_fields = list(result.missing_fields)
    rlog.max_discrepancy_pct = result.max_discrepancy_pct
    rlog.metrics = attempt.metrics
    if trust_delta is not None:
        rlog.trust_delta = trust_delta
    rlog.rules_version = rules.version
    repeat = _recent_high_discrepancy(s, target, rules, now)
    for spec in alerts_for_attempt(
        result, terminal=decision.terminal, missing_reason=fetched.missing_reason,
        recent_high_discrepancy_same_platform=repeat, rules=rules.classification,
    ):
        raise_alert(s, spec, report_id=target.report_id, affiliate_id=target.affiliate_id,
                    platform=target.platform)
    return True


def _apply_trust(s: Any, user: User, target: Target, result: Classification,
                 rules: Rules) -> float | None:
    """Apply the report's one trust effect (or replace it); return the effect's delta."""
    effect = s.get(TrustEffect, target.report_id)
    current = (effect.event, effect.delta) if effect else None
    entries = plan_effect(user.trust_score, current, result.status, rules.trust)
    if not entries:
        return effect.delta if effect else None
    before = user.trust_score
    for entry in entries:
        s.add(TrustLedger(
            affiliate_id=user.id, report_id=target.report_id, event=entry.event,
            delta=entry.delta, score_after=entry.score_after, rules_version=rules.version,
        ))
        user.trust_score = entry.score_after
    applied = [e for e in entries if not e.reverses]
    if applied:
        if effect is None:
            effect = TrustEffect(report_id=target.report_id, affiliate_id=user.id,
                                 event=applied[-1].event, delta=applied[-1].delta)
            s.add(effect)
        else:
            effect.event, effect.delta = applied[-1].event, applied[-1].delta
    elif effect is not None:
        s.delete(effect)
    spec = trust_threshold_alert(before, user.trust_score, rules.trust)
    if spec is not None:
        raise_alert(s, spec, report_id=target.report_id, affiliate_id=user.id,
                    platform=target.platform)
    return applied[-1].delta if applied else 0.0


def _recent_high_discrepancy(s: Any, target: Target, rules: Rules, now: datetime) -> bool:
    since = now - timedelta(hours=rules.alerts.repeat_window_hours)
    return s.scalar(
        select(Alert.id).where(
            Alert.affiliate_id == target.affiliate_id, Alert.platform == target.platform,
            Alert.type == "HIGH_DISCREPANCY", Alert.created_at >= since,
            Alert.report_id != target.report_id,
        ).limit(1)
    ) is not None


def record_deferral(
    job: Job, target: Target, reason: str, decision: RetryDecision, rules: Rules
) -> None:
    """Note a deferred job on the log without spending an attempt."""
    with unit_of_work() as uow:
        rlog = uow.session.scalars(
            select(ReconciliationLog).where(ReconciliationLog.report_id == target.report_id)
        ).one()
        if rlog.attempt_count >= job.attempt_number:
            return
        rlog.missing_reason = reason
        rlog.scheduled_retry_at = None if decision.terminal else decision.retry_at
        if not decision.terminal:
            return
        # The window closed while the platform was down or disabled: terminal missing.
        rlog.status, rlog.is_terminal = "MISSING_PLATFORM_DATA", True
        missing = classify(target.claimed, dict.fromkeys(target.claimed), 0.0,
                           rules.classification)
        for spec in alerts_for_attempt(missing, terminal=True, missing_reason=reason,
                                       recent_high_discrepancy_same_platform=False):
            raise_alert(uow.session, spec, report_id=target.report_id,
                        affiliate_id=target.affiliate_id, platform=target.platform)
