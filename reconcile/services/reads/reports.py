"""Read side: a report with its reconciliation, snapshots and alerts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from reconcile.errors import NotFound
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import (
    Alert,
    Post,
    ReconciliationLog,
    Report,
    Snapshot,
)
from reconcile.services.access import may_see_report
from reconcile.services.principal import Principal


def _iso(value: Any) -> str | None:
    return None if value is None else str(value.isoformat())


def reconciliation_view(rlog: ReconciliationLog) -> dict[str, Any]:
    return {
        "status": rlog.status,
        "discrepancy_level": rlog.discrepancy_level,
        "attempt_count": rlog.attempt_count,
        "last_attempt_at": _iso(rlog.last_attempt_at),
        "scheduled_retry_at": _iso(rlog.scheduled_retry_at),
        "is_terminal": rlog.is_terminal,
        "missing_reason": rlog.missing_reason,
        "confidence_ratio": rlog.confidence_ratio,
        "missing_fields": rlog.missing_fields or [],
        "max_discrepancy_pct": rlog.max_discrepancy_pct,
        "trust_delta": rlog.trust_delta,
        "rules_version": rlog.rules_version,
        "metrics": rlog.metrics or {},
    }


def snapshot_view(sn: Snapshot) -> dict[str, Any]:
    """What one attempt saw: the platform's report, and clicks and conversions from their
    sources (`sources` names each compared metric's)."""
    return {
        "attempt": sn.attempt_number, "fetched_at": _iso(sn.fetched_at),
        "views": sn.views, "clicks": sn.clicks, "conversions": sn.conversions,
        "likes": sn.likes, "comments": sn.comments, "shares": sn.shares,
        "link_clicks": sn.link_clicks, "author": sn.author,
        "published_at": _iso(sn.published_at), "caption": sn.caption,
        "sources": sn.sources or {},
    }


def get_report(principal: Principal, report_id: int) -> dict[str, Any]:
    with unit_of_work() as uow:
        s = uow.session
        row = s.execute(
            select(Report, Post, ReconciliationLog)
            .join(Post, Post.id == Report.post_id)
            .join(ReconciliationLog, ReconciliationLog.report_id == Report.id)
            .where(Report.id == report_id)
        ).first()
        if row is None or not may_see_report(s, principal, row[0], row[1]):
            raise NotFound("no such report")
        report, post, rlog = row
        snapshots = s.scalars(
            select(Snapshot).where(Snapshot.report_id == report_id).order_by(Snapshot.id)
        ).all()
        alerts = s.scalars(select(Alert).where(Alert.report_id == report_id).order_by(Alert.id))
        return {
            "report_id": report.id,
            "post_id": post.id,
            "affiliate_id": report.affiliate_id,
            "campaign_id": post.campaign_id,
            "platform": post.platform,
            "url": post.normalized_url,
            "submitted_url": post.url,
            "claimed": {"views": report.claimed_views, "clicks": report.claimed_clicks,
                        "conversions": report.claimed_conversions},
            "submitted_at": _iso(report.submitted_at),
            "priority": report.priority,
            "suspicion_flags": report.suspicion_flags or [],
            "reconciliation": reconciliation_view(rlog),
            "snapshots": [snapshot_view(sn) for sn in snapshots],
            "alerts": [
                {"id": a.id, "type": a.type, "severity": a.severity, "status": a.status}
                for a in alerts
            ],
        }
