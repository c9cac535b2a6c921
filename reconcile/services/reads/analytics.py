"""The advertiser's unified view of a campaign: claims against what was measured.

`claimed` sums each post's latest report (an update supersedes the earlier claim);
`verified` sums each post's latest snapshot, every metric from its own source (views from
the platform, clicks from tracked links or the platform's link clicks, conversions from
postbacks), never a claim; `verified_by_source` splits each sum by source. Numbers with no
source that measures them, and the engagement that snapshots from before sources held
under clicks and conversions (`legacy_engagement`), are shown by source but never summed
into `verified`. A report counts as reconciled once its status is no longer PENDING.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import func, select

from reconcile.persistence.db import unit_of_work
from reconcile.persistence.latest import is_latest_report
from reconcile.persistence.models import Alert, Post, ReconciliationLog, Report, Snapshot, User
from reconcile.rules import Status
from reconcile.rules.sources import NONE, PLATFORM, POSTBACK, TRACKED
from reconcile.services.access import visible_campaign
from reconcile.services.alerts.view import alert_view
from reconcile.services.principal import Principal
from reconcile.services.reads.funnel import funnel
from reconcile.vocabulary import AlertStatus

METRICS = ("views", "clicks", "conversions")
MEASURED = frozenset({PLATFORM, TRACKED, POSTBACK})
SUCCESS = (Status.MATCHED, Status.DISCREPANCY_LOW)
RECENT_ALERTS = 10
BY_POST = 100  # the newest posts listed one by one with their funnel


def _group(rows: list[dict[str, Any]]) -> dict[str, Any]:
    by_status = Counter(r["status"] for r in rows)
    reconciled = sum(n for s, n in by_status.items() if s != Status.PENDING)
    success = sum(by_status[s] for s in SUCCESS)
    return {
        "posts": len(rows),
        "claimed": {m: sum(r["claimed"][m] for r in rows) for m in METRICS},
        "verified": {m: sum(r["verified"][m] or 0 for r in rows) for m in METRICS},
        "verified_by_source": _by_source(rows),
        "funnel": funnel([r["verified"] for r in rows]),
        "by_status": dict(sorted(by_status.items())),
        "reconciled": reconciled,
        "success_rate": round(success / reconciled, 4) if reconciled else None,
    }


def _by_source(rows: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    split: dict[str, Counter[str]] = {m: Counter() for m in METRICS}
    for r in rows:
        for m in METRICS:
            if r["seen"][m] is not None:
                split[m][r["sources"].get(m, NONE)] += r["seen"][m]
    return {m: dict(sorted(split[m].items())) for m in METRICS}


def _post_row(r: Any) -> dict[str, Any]:
    seen = dict(zip(METRICS, r[9:12], strict=True))
    sources = r[12] or {}
    return {"post_id": r[0], "url": r[13], "report_id": r[14],
            "platform": r[1], "affiliate_id": r[2], "affiliate_name": r[3],
            "trust_score": r[4], "claimed": dict(zip(METRICS, r[5:8], strict=True)),
            "status": r[8], "seen": seen, "sources": sources,
            "verified": {m: seen[m] if sources.get(m, PLATFORM if m == "views" else None)
                         in MEASURED else None for m in METRICS}}


def summarise(rows: list[dict[str, Any]], reports: int) -> dict[str, Any]:
    """Fold one row per post into totals, reconciliation and the per-platform/affiliate cuts."""
    whole = _group(rows)
    by_platform = {}
    for platform in sorted({r["platform"] for r in rows}):
        by_platform[platform] = _group([r for r in rows if r["platform"] == platform])
    by_affiliate = {}
    for affiliate in sorted({r["affiliate_id"] for r in rows}):
        mine = [r for r in rows if r["affiliate_id"] == affiliate]
        by_affiliate[affiliate] = {**_group(mine), "name": mine[0]["affiliate_name"],
                                   "trust_score": mine[0]["trust_score"]}
    return {
        "totals": {"posts": whole["posts"], "reports": reports, "claimed": whole["claimed"],
                   "verified": whole["verified"], "funnel": whole["funnel"],
                   "verified_by_source": whole["verified_by_source"]},
        "reconciliation": {"by_status": whole["by_status"], "reconciled": whole["reconciled"],
                           "success_rate": whole["success_rate"],
                           "pending": whole["by_status"].get(Status.PENDING, 0)},
        "by_platform": [{"platform": p, **g} for p, g in by_platform.items()],
        "by_affiliate": [{"affiliate_id": a, **g} for a, g in by_affiliate.items()],
        "by_post": [_post_view(r) for r in sorted(rows, key=lambda r: -r["post_id"])[:BY_POST]],
    }


def _post_view(r: dict[str, Any]) -> dict[str, Any]:
    """One post: its latest claim and status, each metric's source, and its funnel."""
    return {"post_id": r["post_id"], "report_id": r["report_id"], "url": r["url"],
            "platform": r["platform"], "affiliate_id": r["affiliate_id"],
            "affiliate_name": r["affiliate_name"], "status": r["status"],
            "claimed": r["claimed"], "verified": r["verified"],
            "sources": {m: r["sources"].get(m) for m in METRICS},  # null: not measured yet
            "funnel": funnel([r["verified"]])}


def campaign_analytics(principal: Principal, campaign_id: int) -> dict[str, Any]:
    with unit_of_work() as uow:
        s = uow.session
        campaign = visible_campaign(s, principal, campaign_id)
        last_snapshot = (select(Snapshot.post_id, func.max(Snapshot.id).label("sid"))
                         .group_by(Snapshot.post_id).subquery())
        rows = s.execute(
            select(Post.id, Post.platform, Post.affiliate_id, User.name, User.trust_score,
                   Report.claimed_views, Report.claimed_clicks, Report.claimed_conversions,
                   ReconciliationLog.status, Snapshot.views, Snapshot.clicks,
                   Snapshot.conversions, Snapshot.sources, Post.normalized_url, Report.id)
            .join(Report, Report.post_id == Post.id)
            .join(ReconciliationLog, ReconciliationLog.report_id == Report.id)
            .join(User, User.id == Post.affiliate_id)
            .outerjoin(last_snapshot, last_snapshot.c.post_id == Post.id)
            .outerjoin(Snapshot, Snapshot.id == last_snapshot.c.sid)
            .where(Post.campaign_id == campaign_id, is_latest_report())
        ).all()
        reports = s.scalar(select(func.count()).select_from(Report).join(Post)
                           .where(Post.campaign_id == campaign_id)) or 0
        alerts = (select(Alert).join(Report, Report.id == Alert.report_id)
                  .join(Post, Post.id == Report.post_id).where(Post.campaign_id == campaign_id))
        open_alerts = s.scalar(alerts.where(Alert.status == AlertStatus.OPEN)
                               .with_only_columns(func.count())) or 0
        recent = s.scalars(alerts.order_by(Alert.id.desc()).limit(RECENT_ALERTS)).all()
        posts = [_post_row(r) for r in rows]
        return {"campaign_id": campaign_id,
                "sources": {"views": PLATFORM, "clicks": campaign.clicks_source,
                            "conversions": campaign.conversions_source},
                **summarise(posts, reports),
                "open_alerts": open_alerts, "recent_alerts": [alert_view(a) for a in recent]}
