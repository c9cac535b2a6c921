"""Bulk re-reconciliation for operators: the next attempt of many reports, at low priority.

Only each post's latest report is re-run (an update supersedes the earlier claim), terminal
or not. The reports are read in pages by id, so any number of them fits in memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, func, select

from reconcile.dispatch import get_dispatcher
from reconcile.errors import NotFound, ValidationFailed
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Campaign, Post, ReconciliationLog, Report
from reconcile.rules import Status

PAGE = 500


@dataclass(frozen=True)
class Scope:
    campaign_id: int | None = None
    platform: str | None = None
    status: str | None = None
    since: datetime | None = None


def _query(scope: Scope) -> Select:
    latest = select(func.max(Report.id)).group_by(Report.post_id)
    q = (select(ReconciliationLog.report_id, ReconciliationLog.attempt_count)
         .join(Report, Report.id == ReconciliationLog.report_id)
         .join(Post, Post.id == Report.post_id)
         .where(Report.id.in_(latest)))
    if scope.campaign_id is not None:
        q = q.where(Post.campaign_id == scope.campaign_id)
    if scope.platform is not None:
        q = q.where(Post.platform == scope.platform)
    if scope.status is not None:
        q = q.where(ReconciliationLog.status == scope.status)
    if scope.since is not None:
        q = q.where(Report.submitted_at >= scope.since)
    return q


def count_in_scope(scope: Scope) -> int:
    """Check the scope and count the reports it selects."""
    if scope.campaign_id is None and scope.platform is None and scope.status is None:
        raise ValidationFailed([{"field": "scope",
                                 "message": "give --campaign, --platform or --status"}])
    if scope.status is not None and scope.status not in {s.value for s in Status}:
        raise ValidationFailed([{"field": "status", "message": f"unknown status {scope.status}"}])
    with unit_of_work() as uow:
        if scope.campaign_id is not None and uow.session.get(Campaign, scope.campaign_id) is None:
            raise NotFound(f"no campaign {scope.campaign_id}")
        return int(uow.session.scalar(select(func.count()).select_from(_query(scope).subquery()))
                   or 0)


def rereconcile(scope: Scope) -> Iterator[tuple[int, int]]:
    """Dispatch each report's next attempt; yield (sent, seen) after every page."""
    dispatcher, after = get_dispatcher(), 0
    while True:
        with unit_of_work() as uow:
            page = uow.session.execute(
                _query(scope).where(ReconciliationLog.report_id > after)
                .order_by(ReconciliationLog.report_id).limit(PAGE)
            ).all()
        if not page:
            return
        sent = sum(dispatcher.reconcile(r.report_id, r.attempt_count + 1, priority="low",
                                        trigger="rerun") for r in page)
        after = page[-1].report_id
        yield sent, len(page)
