"""Read side: submissions and reconciliation results, filtered to what the caller may see."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, func, select

from reconcile.persistence import tallies
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.latest import is_latest_report
from reconcile.persistence.models import Post, ReconciliationLog, Report
from reconcile.services.access import visible_posts, visible_tallies
from reconcile.services.principal import Principal
from reconcile.services.reads.reports import reconciliation_view


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _claimed(report: Report) -> dict[str, int]:
    return {"views": report.claimed_views, "clicks": report.claimed_clicks,
            "conversions": report.claimed_conversions}


def list_submissions(
    principal: Principal, *, campaign_id: int | None = None, platform: str | None = None,
    status: str | None = None, after: int | None = None, limit: int = 50,
) -> list[dict[str, Any]]:
    """Posts, newest first, each with its latest report's claim and status."""
    q = (
        select(Post, Report, ReconciliationLog)
        .join(Report, Report.post_id == Post.id)
        .join(ReconciliationLog, ReconciliationLog.report_id == Report.id)
        .where(is_latest_report())
    )
    q = visible_posts(q, principal)
    if campaign_id is not None:
        q = q.where(Post.campaign_id == campaign_id)
    if platform is not None:
        q = q.where(Post.platform == platform)
    if status is not None:
        q = q.where(ReconciliationLog.status == status)
    if after is not None:
        q = q.where(Post.id < after)
    with unit_of_work() as uow:
        rows = uow.session.execute(q.order_by(Post.id.desc()).limit(limit)).all()
        return [
            {"post_id": post.id, "campaign_id": post.campaign_id,
             "affiliate_id": post.affiliate_id, "platform": post.platform,
             "url": post.normalized_url, "submitted_url": post.url, "title": post.title,
             "created_at": _iso(post.created_at), "report_id": report.id,
             "status": rlog.status, "discrepancy_level": rlog.discrepancy_level,
             "claimed": _claimed(report), "submitted_at": _iso(report.submitted_at),
             "links": {"report": f"/api/v1/reports/{report.id}"}}
            for post, report, rlog in rows
        ]


def _results_query(principal: Principal, filters: dict[str, Any]) -> Select:
    q = (
        select(Report, Post, ReconciliationLog)
        .join(Post, Post.id == Report.post_id)
        .join(ReconciliationLog, ReconciliationLog.report_id == Report.id)
    )
    q = visible_posts(q, principal)
    columns = {"status": ReconciliationLog.status,
               "discrepancy_level": ReconciliationLog.discrepancy_level,
               "affiliate_id": Report.affiliate_id, "platform": Post.platform,
               "campaign_id": Post.campaign_id}
    for name, column in columns.items():
        if filters.get(name) is not None:
            q = q.where(column == filters[name])
    if filters.get("since") is not None:
        q = q.where(Report.submitted_at >= filters["since"])
    if filters.get("until") is not None:
        q = q.where(Report.submitted_at < filters["until"])
    return q


# The filters the running counts are kept by (reconcile/persistence/tallies.py): a summary
# asked with only these is summed from the tallies; a time window counts the reports.
TALLY_FILTERS = frozenset({"status", "discrepancy_level", "affiliate_id", "platform",
                           "campaign_id"})


def _summary_query(principal: Principal, filters: dict[str, Any], q: Select) -> Select:
    """Counts by status of everything `q` matches: from the running counts when they are
    kept by every filter given (their cost follows the number of keys, not of reports),
    else by counting the matching reports."""
    given = {name: value for name, value in filters.items() if value is not None}
    if set(given) <= TALLY_FILTERS:
        def where(table: Table) -> list[ColumnElement[bool]]:
            return [*visible_tallies(table, principal),
                    *[table.c[name] == value for name, value in given.items()]]
        return tallies.counted(tallies.REPORTS, "status", where=where)
    return q.with_only_columns(ReconciliationLog.status, func.count()).group_by(
        ReconciliationLog.status)


def list_results(
    principal: Principal, *, after: int | None = None, limit: int = 50, **filters: Any
) -> dict[str, Any]:
    """Reports with their reconciliation, newest first, and counts by status of all matches."""
    q = _results_query(principal, filters)
    with unit_of_work() as uow:
        s = uow.session
        counted = _summary_query(principal, filters, q)
        by_status = {status: int(n) for status, n in s.execute(counted).all()}
        if after is not None:
            q = q.where(Report.id < after)
        rows = s.execute(q.order_by(Report.id.desc()).limit(limit)).all()
        items = [
            {"report_id": report.id, "post_id": post.id, "affiliate_id": report.affiliate_id,
             "campaign_id": post.campaign_id, "platform": post.platform,
             "url": post.normalized_url, "claimed": _claimed(report),
             "submitted_at": _iso(report.submitted_at), "status": rlog.status,
             "discrepancy_level": rlog.discrepancy_level,
             "reconciliation": reconciliation_view(rlog)}
            for report, post, rlog in rows
        ]
    return {"items": items, "summary": {"by_status": by_status, "total": sum(by_status.values())}}
