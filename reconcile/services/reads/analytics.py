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

from sqlalchemy import select

from reconcile.persistence import tallies
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Alert, Post, Report, User
from reconcile.rules import Status
from reconcile.rules.sources import NONE, PLATFORM, POSTBACK, TRACKED
from reconcile.services.access import visible_campaign
from reconcile.services.alerts.view import alert_view
from reconcile.services.principal import Principal
from reconcile.services.reads.current import METRICS, current_rows, grouped_rows
from reconcile.services.reads.funnel import funnel
from reconcile.vocabulary import AlertStatus

MEASURED = frozenset({PLATFORM, TRACKED, POSTBACK})
SUCCESS = (Status.MATCHED, Status.DISCREPANCY_LOW)
RECENT_ALERTS = 10
BY_POST = 100  # the newest posts listed one by one with their funnel


def _group(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Totals of some rows, each row standing for `n` posts alike (see `_fold`)."""
    posts = 0
    by_status: Counter[str] = Counter()
    claimed = dict.fromkeys(METRICS, 0)
    verified = dict.fromkeys(METRICS, 0)
    split: dict[str, Counter[str]] = {m: Counter() for m in METRICS}
    for r in rows:  # one pass: this runs once for the campaign and once per platform/affiliate
        n = r["n"]
        posts += n
        by_status[r["status"]] += n
        mine, sure, seen, sources = r["claimed"], r["verified"], r["seen"], r["sources"]
        for m in METRICS:
            claimed[m] += mine[m]
            verified[m] += sure[m] or 0
            if seen[m] is not None:
                split[m][sources.get(m, NONE)] += seen[m]
    reconciled = sum(n for s, n in by_status.items() if s != Status.PENDING)
    success = sum(by_status[s] for s in SUCCESS)
    return {
        "posts": posts,
        "claimed": claimed,
        "verified": verified,
        "verified_by_source": {m: dict(sorted(split[m].items())) for m in METRICS},
        "funnel": funnel([r["verified"] for r in rows]),
        "by_status": dict(sorted(by_status.items())),
        "reconciled": reconciled,
        "success_rate": round(success / reconciled, 4) if reconciled else None,
    }


def _verified(seen: dict[str, int | None], sources: dict[str, str]) -> dict[str, int | None]:
    """A seen number counts as verified only where its source measures it."""
    return {m: seen[m] if sources.get(m, PLATFORM if m == "views" else None) in MEASURED
            else None for m in METRICS}


def _int(value: Any) -> int | None:
    return None if value is None else int(value)  # PostgreSQL sums bigints as numeric


def _fold(g: Any) -> dict[str, Any]:
    """One group of `current.grouped_rows` as a row standing for its n posts: they share
    platform (or affiliate), status, sources and which numbers were seen, so the sums behave
    in every fold below (the funnel included) exactly as the posts one by one would."""
    sources = {m: g[3 + i] for i, m in enumerate(METRICS) if g[3 + i] is not None}
    seen = {m: _int(g[13 + i]) for i, m in enumerate(METRICS)}
    return {"platform": g[0], "affiliate_id": None if g[1] is None else int(g[1]),
            "status": g[2], "n": int(g[9]),
            "claimed": {m: int(g[10 + i] or 0) for i, m in enumerate(METRICS)},
            "seen": seen, "sources": sources, "verified": _verified(seen, sources)}


def _post_row(r: Any) -> dict[str, Any]:
    """One row of `current.current_rows`, as `_post_view` shows it."""
    sources = {m: getattr(r, f"source_{m}") for m in METRICS
               if getattr(r, f"source_{m}") is not None}
    seen = {m: getattr(r, f"seen_{m}") for m in METRICS}
    return {"post_id": r.post_id, "url": r.url, "report_id": r.report_id,
            "platform": r.platform, "affiliate_id": r.affiliate_id, "status": r.status,
            "claimed": {m: getattr(r, f"claimed_{m}") for m in METRICS},
            "seen": seen, "sources": sources, "verified": _verified(seen, sources)}


def summarise(groups: list[dict[str, Any]], reports: int, newest: list[dict[str, Any]],
              names: dict[int, tuple[str, float]]) -> dict[str, Any]:
    """Fold the groups into totals, reconciliation and the per-platform/affiliate cuts;
    `groups` hold every post once under its platform (affiliate_id None) and once under its
    affiliate (platform None), `newest` are the newest posts' rows, `names` each affiliate's
    name and trust score."""
    platforms: dict[str, list[dict[str, Any]]] = {}
    affiliates: dict[int, list[dict[str, Any]]] = {}
    for r in groups:
        if r["affiliate_id"] is None:
            platforms.setdefault(r["platform"], []).append(r)
        else:
            affiliates.setdefault(r["affiliate_id"], []).append(r)
    whole = _group([r for share in platforms.values() for r in share])
    by_platform = {platform: _group(platforms[platform]) for platform in sorted(platforms)}
    by_affiliate = {}
    for affiliate in sorted(affiliates):
        name, trust = names[affiliate]
        by_affiliate[affiliate] = {**_group(affiliates[affiliate]), "name": name,
                                   "trust_score": trust}
    return {
        "totals": {"posts": whole["posts"], "reports": reports, "claimed": whole["claimed"],
                   "verified": whole["verified"], "funnel": whole["funnel"],
                   "verified_by_source": whole["verified_by_source"]},
        "reconciliation": {"by_status": whole["by_status"], "reconciled": whole["reconciled"],
                           "success_rate": whole["success_rate"],
                           "pending": whole["by_status"].get(Status.PENDING, 0)},
        "by_platform": [{"platform": p, **g} for p, g in by_platform.items()],
        "by_affiliate": [{"affiliate_id": a, **g} for a, g in by_affiliate.items()],
        "by_post": [_post_view(r, names[r["affiliate_id"]][0]) for r in newest],
    }


def _post_view(r: dict[str, Any], affiliate_name: str) -> dict[str, Any]:
    """One post: its latest claim and status, each metric's source, and its funnel."""
    return {"post_id": r["post_id"], "report_id": r["report_id"], "url": r["url"],
            "platform": r["platform"], "affiliate_id": r["affiliate_id"],
            "affiliate_name": affiliate_name, "status": r["status"],
            "claimed": r["claimed"], "verified": r["verified"],
            "sources": {m: r["sources"].get(m) for m in METRICS},  # null: not measured yet
            "funnel": funnel([r["verified"]])}


def campaign_analytics(principal: Principal, campaign_id: int) -> dict[str, Any]:
    with unit_of_work() as uow:
        s = uow.session
        campaign = visible_campaign(s, principal, campaign_id)
        # Folded in SQL: a few rows per platform × affiliate × status, however many posts.
        groups = [_fold(g) for g in grouped_rows(s, campaign_id)]
        newest = [_post_row(r) for r in s.execute(
            current_rows(campaign_id, newest=BY_POST)).all()]
        ids = {g["affiliate_id"] for g in groups if g["affiliate_id"] is not None}
        names = {i: (n, t) for i, n, t in s.execute(
            select(User.id, User.name, User.trust_score).where(User.id.in_(ids))).all()}
        # Counts from the running counts (reconcile/persistence/tallies.py), not row by row.
        reports = tallies.one_total(s, tallies.REPORTS, lambda table: [
            table.c.campaign_id == campaign_id])
        open_alerts = tallies.one_total(s, tallies.ALERTS, lambda table: [
            table.c.campaign_id == campaign_id, table.c.status == AlertStatus.OPEN])
        alerts = (select(Alert).join(Report, Report.id == Alert.report_id)
                  .join(Post, Post.id == Report.post_id).where(Post.campaign_id == campaign_id))
        recent = s.scalars(alerts.order_by(Alert.id.desc()).limit(RECENT_ALERTS)).all()
        return {"campaign_id": campaign_id,
                "sources": {"views": PLATFORM, "clicks": campaign.clicks_source,
                            "conversions": campaign.conversions_source},
                **summarise(groups, reports, newest, names),
                "open_alerts": open_alerts, "recent_alerts": [alert_view(a) for a in recent]}
