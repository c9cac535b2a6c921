"""Re-run reconciliation on demand, at high priority, after the transaction commits.

Scope: explicit `report_ids`, or the latest report of a post, of every post of a campaign
or of a platform (an update supersedes the earlier claim, so only the current one is
re-checked). Without `force`, reports whose reconciliation is terminal are skipped and
listed in `skipped`: re-running them would repeat a settled outcome; `force` re-checks
them too. A report not yet terminal gets its next attempt now instead of waiting.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from reconcile.dispatch import get_dispatcher
from reconcile.errors import NotFound, ValidationFailed
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Post, ReconciliationLog, Report
from reconcile.services.campaigns import visible_campaign
from reconcile.services.principal import Principal
from reconcile.services.queries import latest_reports, visible_posts

# One request may not flood the high-priority queue; bulk work is the CLI's low-priority
# `rereconcile`.
MAX_REPORTS = 5000


def rerun(
    principal: Principal, *, report_ids: list[int] | None = None, post_id: int | None = None,
    campaign_id: int | None = None, platform: str | None = None, force: bool = False,
    request_id: str | None = None,
) -> dict[str, Any]:
    """Dispatch attempt `attempt_count + 1` of each report in scope; return what was sent."""
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
            q = q.where(Report.id.in_(latest_reports()))
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

        def send() -> None:
            dispatcher = get_dispatcher()
            for report_id, attempt in jobs:
                dispatcher.reconcile(report_id, attempt, priority="high", trigger="rerun",
                                     request_id=request_id)

        uow.after_commit(send)
    return {"enqueued": len(jobs), "report_ids": [r for r, _ in jobs], "skipped": skipped,
            "force": force}
