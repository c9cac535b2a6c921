"""Everything a batch of attempts changes, written in one transaction: attempts, snapshots,
logs, trust, alerts.

The statements are per batch, not per attempt: the affiliates are locked together, every
table gets one multi-row write, and the R2 repeat check is one query. The per-attempt rules
still run one attempt after the other, in the batch's order, against the state the earlier
attempts of the batch left.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, insert, select

from reconcile.persistence.bulk import TableWrites, insert_rows
from reconcile.persistence.db import UnitOfWork, unit_of_work
from reconcile.persistence.models import (
    Attempt,
    Post,
    ReconciliationLog,
    Report,
    Snapshot,
    TrustEffect,
    TrustLedger,
    User,
    table_of,
)
from reconcile.rules import (
    Classification,
    RetryDecision,
    Rules,
    alerts_for_attempt,
    classify,
    event_for,
    plan_effect,
    trust_threshold_alert,
)
from reconcile.rules.anomaly import post_rate
from reconcile.rules.sources import PLATFORM_COUNTS
from reconcile.services.alerts.hooks import told_together
from reconcile.services.alerts.raising import raise_alert
from reconcile.services.earnings import settle
from reconcile.services.reconciliation.outcome import Outcome, PostEffect, Written
from reconcile.services.reconciliation.post_checks import PostChecks
from reconcile.services.reconciliation.repeat_check import RepeatCheck
from reconcile.services.reconciliation.targets import Job, Target

_STOP = RetryDecision(True, None, False, None)


# Lowest id first, so two batches that share affiliates never wait on each other in a circle.
# NO KEY UPDATE (key_share): excludes every other writer of these rows as FOR UPDATE does,
# but not the foreign-key checks of inserts that reference them. With FOR UPDATE every new
# post or report of an affiliate in a running batch waited for the batch to commit (the
# API's p99 at one caller beside a draining pool: 150-250 ms; docs/performance.md).
_LOCK = (select(User.id, User.trust_score)
         .where(User.id.in_(bindparam("ids", expanding=True)))
         .order_by(User.id).with_for_update(key_share=True))
# Per report: its attempt count, and its post's current trust effect (whose report, event,
# delta), which any report of the post may replace.
_STATE = (select(ReconciliationLog.report_id, ReconciliationLog.attempt_count,
                 TrustEffect.report_id, TrustEffect.event, TrustEffect.delta)
          .join(Report, Report.id == ReconciliationLog.report_id)
          .outerjoin(TrustEffect, TrustEffect.post_id == Report.post_id)
          .where(ReconciliationLog.report_id.in_(bindparam("ids", expanding=True))))
_ATTEMPTS = table_of(Attempt)
# Rows come back keyed, not in order: asking for their order makes SQLite insert one by one.
_NEW_ATTEMPTS = insert(_ATTEMPTS).returning(
    _ATTEMPTS.c.id, _ATTEMPTS.c.report_id, _ATTEMPTS.c.attempt_number)


def _metrics_json(result: Classification, sources: dict[str, str]) -> dict[str, Any]:
    return {
        m: {"claimed": r.claimed, "observed": r.observed, "difference": r.difference,
            "pct": r.pct, "source": sources.get(m, "platform" if m == "views" else "none"),
            "verifiable": r.verifiable}
        for m, r in result.metrics.items()
    }


def _snapshot_row(o: Outcome, attempt_id: int, now: datetime) -> dict[str, Any]:
    """The platform's report and the compared clicks and conversions, with their sources."""
    fetched = o.fetched
    return {
        "attempt_id": attempt_id, "report_id": o.target.report_id,
        "post_id": o.target.post_id, "attempt_number": o.job.attempt_number,
        "fetched_at": now, **{c: fetched.metrics.get(c) for c in PLATFORM_COUNTS},
        "author": fetched.author,
        "published_at": fetched.published_at, "caption": fetched.caption,
        "clicks": o.observed.get("clicks"), "conversions": o.observed.get("conversions"),
        "sources": dict(o.sources),
    }


def apply_outcomes(
    uow: UnitOfWork, outcomes: Sequence[Outcome], rules: Rules, *, started_at: datetime,
    duration_ms: float,
) -> list[Written]:
    """Record the attempts and apply their outcomes, in order; one Written per outcome.

    A duplicate (report, attempt number) raises IntegrityError and writes nothing.
    """
    conn = uow.session.connection()
    now = datetime.now(UTC)
    # Attempts for one affiliate queue up on its row, so no trust update is lost and each
    # batch sees the alerts committed before it (R2). SQLite has no row locks: it serialises
    # whole transactions instead (BEGIN IMMEDIATE).
    affiliates = sorted({o.target.affiliate_id for o in outcomes})
    scores = {uid: float(score) for uid, score in conn.execute(_LOCK, {"ids": affiliates})}
    # The unique (report, attempt number) key decides here who does the work.
    attempt_rows = [_attempt_row(o, rules, started_at, now, duration_ms) for o in outcomes]
    attempt_ids = {(report, number): attempt_id for attempt_id, report, number
                   in conn.execute(_NEW_ATTEMPTS, attempt_rows)}
    # Read what the post checks compare with before this batch's snapshots join it.
    checks = PostChecks(uow, outcomes, rules)
    read = [o for o in outcomes if any(v is not None for v in o.fetched.metrics.values())]
    insert_rows(conn, Snapshot, [
        _snapshot_row(o, attempt_ids[(o.target.report_id, o.job.attempt_number)], now)
        for o in read])
    _keep_rates(conn, read, now)
    # The batch's alerts are told to their listeners (earnings holds) once, at the end of
    # this block: one pass over the posts they concern instead of one per alert.
    with told_together(uow.session):
        # The post's flags are in place before anything the outcome decides reads them.
        checks.apply(outcomes, now)
        reports = sorted({o.target.report_id for o in outcomes})
        state = {row[0]: row[1:] for row in conn.execute(_STATE, {"ids": reports})}
        posts = {o.target.report_id: o.target.post_id for o in outcomes}
        batch = _Batch(conn, scores, state, RepeatCheck(conn, outcomes, rules, now), posts)
        written = [batch.apply(uow, o, row["metrics"], rules, now)
                   for o, row in zip(outcomes, attempt_rows, strict=True)]
        batch.flush()
    _settle_earnings(uow, outcomes, written, now)
    return written


def _keep_rates(conn: Any, read: Sequence[Outcome], now: datetime) -> None:
    """Each post's views per hour as of its new snapshot, which is now its newest: the
    velocity baseline of the affiliate's later posts (readings.baseline_rates)."""
    rates = TableWrites(Post, "id")
    for o in read:  # in batch order: a post read twice keeps its later reading
        rates.set(o.target.post_id, views_per_hour=post_rate(
            o.fetched.metrics.get("views"), o.fetched.published_at, now))
    rates.update(conn)


def _settle_earnings(uow: UnitOfWork, outcomes: Sequence[Outcome], written: Sequence[Written],
                     now: datetime) -> None:
    """Settle the earnings of each report this batch brought to a terminal status, in the
    same transaction (earnings.md): a replay finds no difference and writes nothing.
    Only campaigns with a rate card earn (Target.earns), so a batch on the others costs no
    statement here. Campaign, then post order: every batch takes the budget locks in one
    order."""
    done = {(o.target.post_id, o.target.report_id)
            for o, w in zip(outcomes, written, strict=True)
            if w.applied and o.decision.terminal and o.target.earns}
    if not done:
        return
    campaigns = dict(uow.session.execute(select(Post.id, Post.campaign_id).where(
        Post.id.in_(sorted({post for post, _ in done})))).all())
    for _, _, report_id in sorted((campaigns[post], post, report) for post, report in done):
        settle(uow.session, report_id, now)


def next_job(decision: RetryDecision, target: Target, now: datetime) -> dict[str, Any]:
    """The log's columns for the job the decision sends next (dispatched after the commit),
    or cleared when there is none."""
    if decision.terminal or decision.retry_at is None:
        return {"dispatched_at": None, "taken_at": None, "job_priority": None,
                "job_trigger": None}
    return {"dispatched_at": now, "taken_at": None, "job_priority": target.priority,
            "job_trigger": "retry"}


def _attempt_row(o: Outcome, rules: Rules, started_at: datetime, now: datetime,
                 duration_ms: float) -> dict[str, Any]:
    result = o.result
    return {
        "report_id": o.target.report_id, "attempt_number": o.job.attempt_number,
        "status": str(result.status),
        "discrepancy_level": str(result.level) if result.level else None,
        "missing_reason": o.fetched.missing_reason, "confidence_ratio": result.confidence,
        "max_discrepancy_pct": result.max_discrepancy_pct,
        "metrics": _metrics_json(result, o.sources),
        "rules_version": rules.version, "trigger": o.job.trigger, "task_id": o.job.task_id,
        "started_at": started_at, "finished_at": now, "duration_ms": duration_ms,
    }


class _Batch:
    """The batch's state as its attempts change it, and the rows they leave to write."""

    def __init__(self, conn: Any, scores: dict[int, float],
                 state: dict[int, Any], repeats: RepeatCheck, posts: dict[int, int]) -> None:
        self.conn, self.scores, self.repeats = conn, scores, repeats
        self.counts = {report: int(row[0]) for report, row in state.items()}
        # Keyed by post: two reports of one post in a batch share (and replace) one effect.
        self.effects: dict[int, PostEffect | None] = {
            posts[report]: PostEffect(row[1], row[2], float(row[3])) if row[1] is not None
            else None
            for report, row in state.items()
        }
        self.had_effect = {post for post, effect in self.effects.items() if effect}
        self.touched: dict[int, int] = {}  # post -> affiliate, for posts whose effect changed
        self.logs = TableWrites(ReconciliationLog, "report_id")
        self.ledger: list[dict[str, Any]] = []

    def apply(self, uow: UnitOfWork, o: Outcome, metrics: dict[str, Any], rules: Rules,
              now: datetime) -> Written:
        target, result, decision = o.target, o.result, o.decision
        report, affiliate = target.report_id, target.affiliate_id
        if self.counts[report] > o.job.attempt_number:
            # A later attempt already decided the outcome; this one is history.
            return Written(False, self.scores[affiliate])
        self.counts[report] = o.job.attempt_number
        self.logs.set(report, attempt_count=o.job.attempt_number, last_attempt_at=now,
                      scheduled_retry_at=None if decision.terminal else decision.retry_at,
                      failures=0, last_failure=None, **next_job(decision, target, now))
        if o.keep_outcome:
            # A re-run that found nothing new: the verified outcome stands, and so it ends.
            self.logs.set(report, is_terminal=True)
            return Written(True, self.scores[affiliate])
        trust_delta = self._apply_trust(uow, o, rules)
        self.logs.set(
            report, status=str(result.status),
            discrepancy_level=str(result.level) if result.level else None,
            is_terminal=decision.terminal, missing_reason=o.fetched.missing_reason,
            confidence_ratio=result.confidence, missing_fields=list(result.missing_fields),
            max_discrepancy_pct=result.max_discrepancy_pct, metrics=metrics,
            rules_version=rules.version,
        )
        if trust_delta is not None:
            self.logs.set(report, trust_delta=trust_delta)
        if target.verified_at is None and event_for(result.status) is not None:
            # The live period of takedown monitoring counts from the first verified outcome.
            self.logs.set(report, verified_at=now)
        for spec in alerts_for_attempt(
            result, terminal=decision.terminal, missing_reason=o.fetched.missing_reason,
            recent_high_discrepancy_same_platform=self.repeats.seen_before(target),
            rules=rules.classification,
        ):
            if raise_alert(uow.session, spec, report_id=report, affiliate_id=affiliate,
                           platform=target.platform) is not None:
                self.repeats.raised(target, spec)
        return Written(True, self.scores[affiliate])

    def _apply_trust(self, uow: UnitOfWork, o: Outcome, rules: Rules) -> float | None:
        """Make the post's one trust effect that of this report's outcome, unless a newer
        report of the post already holds it; return this report's effect delta, if any."""
        post, report, affiliate = o.target.post_id, o.target.report_id, o.target.affiliate_id
        effect = self.effects.get(post)
        if effect is not None and effect.report_id > report:
            return None  # a newer claim for the post decides its effect; this one is history
        event = event_for(o.result.status)
        if event is None:  # missing data: whatever was verified stands
            return effect.delta if effect is not None and effect.report_id == report else None
        before = self.scores[affiliate]
        entries = plan_effect(before, (effect.event, effect.delta) if effect else None,
                              o.result.status, rules.trust)
        if not entries:  # the same outcome as the effect standing: it passes to this report
            assert effect is not None
            self.effects[post] = PostEffect(report, effect.event, effect.delta)
            self.touched[post] = affiliate
            return effect.delta
        for entry in entries:
            # A reversal undoes the effect of the report that had it, and says so.
            self.ledger.append({
                "affiliate_id": affiliate,
                "report_id": effect.report_id if entry.reverses and effect else report,
                "event": entry.event, "delta": entry.delta, "score_after": entry.score_after,
                "rules_version": rules.version,
            })
        self.scores[affiliate] = entries[-1].score_after
        applied = entries[-1]
        self.effects[post] = PostEffect(report, applied.event, applied.delta)
        self.touched[post] = affiliate
        spec = trust_threshold_alert(before, self.scores[affiliate], rules.trust)
        if spec is not None:
            raise_alert(uow.session, spec, report_id=report, affiliate_id=affiliate,
                        platform=o.target.platform)
        return applied.delta

    def flush(self) -> None:
        """Write what the batch's attempts left: ledger, trust effects, scores, logs."""
        insert_rows(self.conn, TrustLedger, self.ledger)
        effects = TableWrites(TrustEffect, "post_id")
        new = []
        now = datetime.now(UTC)
        for post, affiliate in self.touched.items():
            effect = self.effects[post]
            assert effect is not None  # an effect is replaced, never removed
            values = {"report_id": effect.report_id, "event": effect.event,
                      "delta": effect.delta, "updated_at": now}
            if post in self.had_effect:
                effects.set(post, **values)
            else:
                new.append({"post_id": post, "affiliate_id": affiliate, **values})
        insert_rows(self.conn, TrustEffect, new)
        effects.update(self.conn)
        users = TableWrites(User, "id")
        for affiliate in set(self.touched.values()):
            users.set(affiliate, trust_score=self.scores[affiliate])
        users.update(self.conn)
        self.logs.update(self.conn)


def record_deferral(
    job: Job, target: Target, reason: str, decision: RetryDecision, rules: Rules
) -> None:
    """Note a deferred job on the log without spending an attempt.

    A verified report keeps its outcome: a re-run of it that meets a platform down or off
    simply ends (the next re-verification tries again)."""
    now = datetime.now(UTC)
    with unit_of_work() as uow:
        rlog = uow.session.scalars(
            select(ReconciliationLog).where(ReconciliationLog.report_id == target.report_id)
        ).one()
        if rlog.attempt_count >= job.attempt_number:
            return
        if target.verified:
            if not rlog.is_terminal:
                rlog.is_terminal, rlog.scheduled_retry_at = True, None
                for column, value in next_job(_STOP, target, now).items():
                    setattr(rlog, column, value)
            return
        rlog.missing_reason = reason
        rlog.scheduled_retry_at = None if decision.terminal else decision.retry_at
        rlog.failures, rlog.last_failure = 0, None
        for column, value in next_job(decision, target, now).items():
            setattr(rlog, column, value)
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
