"""Re-run reconciliation on demand, at high priority, as durably as a submission.

Scope: explicit `report_ids`, or the latest report of a post, of every post of a campaign
or of a platform (an update supersedes the earlier claim, so only the current one is
re-checked). Without `force`, reports whose reconciliation is terminal are skipped and
listed in `skipped`: re-running them would repeat a settled outcome; `force` re-checks
them too. A report not yet terminal gets its next attempt now instead of waiting.

A re-run is written down before it is sent: its report's log is reopened (not terminal)
with its job due now, so the sweep sends it again if the broker refuses it or a worker dies
running it. Re-runs take the intake's checks (pause, ready-queue depth) and have their own
limit: at most `intake.max_rerun_backlog` of them waiting pool-wide, so a burst of them
cannot bury the high queue (503 OVERLOADED beyond it; a request larger than the limit is
refused outright, 422).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from reconcile.bootstrap import active_rules
from reconcile.dispatch import NextAttempt, send_attempts
from reconcile.errors import NotFound, Overloaded, ValidationFailed
from reconcile.persistence.db import serialise_on, unit_of_work
from reconcile.persistence.latest import is_latest_report
from reconcile.persistence.models import Post, ReconciliationLog, Report
from reconcile.services.access import visible_campaign, visible_posts
from reconcile.services.audit import Actor, record
from reconcile.services.intake.control import check_intake
from reconcile.services.principal import Principal
from reconcile.services.reconciliation.reopen import reopen

PRIORITY, TRIGGER = "high", "rerun"
# The most reports one request may look at; what it may send is the re-run limit.
MAX_REPORTS = 5000


def outstanding_reruns(session: Session) -> int:
    """Re-runs sent at high priority whose attempt has not committed yet, pool-wide."""
    return int(session.scalar(
        select(func.count()).select_from(ReconciliationLog).where(
            ReconciliationLog.job_trigger == TRIGGER, ReconciliationLog.job_priority == PRIORITY,
            ReconciliationLog.is_terminal.is_(False))) or 0)


def _admit(session: Session, count: int) -> None:
    """Refuse re-runs beyond the pool-wide limit (requests are admitted one at a time)."""
    limit = active_rules().intake.max_rerun_backlog
    if count > limit:
        raise ValidationFailed([{"field": "body", "message":
                                 f"{count} reports to re-run, more than the {limit} allowed "
                                 "at once; narrow the scope"}])
    serialise_on(session, "reruns")
    waiting = outstanding_reruns(session)
    if waiting + count > limit:
        raise Overloaded(f"{waiting} re-runs are still waiting (limit {limit}); "
                         "re-run again later", retry_after=30)


def rerun(
    principal: Principal, *, report_ids: list[int] | None = None, post_id: int | None = None,
    campaign_id: int | None = None, platform: str | None = None, force: bool = False,
    request_id: str | None = None,
) -> dict[str, Any]:
    """Reopen and dispatch attempt `attempt_count + 1` of each report in scope; return what
    was sent."""
    check_intake()
    q = (select(ReconciliationLog.report_id, ReconciliationLog.attempt_count,
                ReconciliationLog.is_terminal)
         .join(Report, Report.id == ReconciliationLog.report_id)
         .join(Post, Post.id == Report.post_id))
    q = visible_posts(q, principal)
    with unit_of_work() as uow:
        s = uow.session
        if report_ids is not None:
            q = q.where(Report.id.in_(set(report_ids)))
        else:
            q = q.where(is_latest_report())
            if post_id is not None:
                q = q.where(Post.id == post_id)
            elif campaign_id is not None:
                visible_campaign(s, principal, campaign_id)
                q = q.where(Post.campaign_id == campaign_id)
            else:
                q = q.where(Post.platform == platform)
        rows = s.execute(q.order_by(ReconciliationLog.report_id).limit(MAX_REPORTS + 1)).all()
        if report_ids is not None and len(rows) != len(set(report_ids)):
            raise NotFound("no such report")  # never say which ids exist for someone else
        if post_id is not None and not rows:
            raise NotFound("no such post")
        if len(rows) > MAX_REPORTS:
            raise ValidationFailed([{"field": "body", "message":
                                     f"more than {MAX_REPORTS} reports; narrow the scope"}])
        jobs = [(r.report_id, r.attempt_count + 1) for r in rows if force or not r.is_terminal]
        skipped = [r.report_id for r in rows if not force and r.is_terminal]
        _admit(s, len(jobs))
        reopen(s, [r for r, _ in jobs], PRIORITY, TRIGGER, datetime.now(UTC))
        scope = ({"report_ids": sorted(set(report_ids))} if report_ids is not None
                 else {"post_id": post_id} if post_id is not None
                 else {"campaign_id": campaign_id} if campaign_id is not None
                 else {"platform": platform})
        record(s, Actor.of(principal, request_id), "reconciliation.rerun",
               next(iter(scope.items())),
               after={**scope, "force": force, "enqueued": len(jobs),
                      "skipped": len(skipped), "report_ids": [r for r, _ in jobs][:100]})

        uow.after_commit(lambda: send_attempts(
            NextAttempt(report_id, attempt, PRIORITY, TRIGGER, request_id=request_id)
            for report_id, attempt in jobs))
    return {"enqueued": len(jobs), "report_ids": [r for r, _ in jobs], "skipped": skipped,
            "force": force}
