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
from reconcile.services.reads.funnel import STEPS, funnel
from reconcile.vocabulary import AlertStatus

MEASURED = frozenset({PLATFORM, TRACKED, POSTBACK})
SUCCESS = (Status.MATCHED, Status.DISCREPANCY_LOW)
RECENT_ALERTS = 10
BY_POST = 100  # the newest posts listed one by one with their funnel


# Each funnel step's (top, bottom) metrics, as indexes into METRICS.
_STEPS = tuple((name, METRICS.index(top), METRICS.index(bottom)) for name, top, bottom in STEPS)


class _Share:
    """The totals of one share of the campaign (all of it, a platform, an affiliate), kept
    as its groups are added: each group stands for n posts alike, and every figure below
    (the funnel included) comes out as the posts one by one would give it (docs/sources.md:
    a step's rate is taken over the posts where both of its numbers were verified)."""

    __slots__ = ("posts", "by_status", "claimed", "verified", "measured", "split", "steps")

    def __init__(self) -> None:
        self.posts = 0
        self.by_status: Counter[str] = Counter()
        self.claimed = [0, 0, 0]
        self.verified = [0, 0, 0]
        self.measured = [False, False, False]  # whether some post had the metric verified
        self.split: list[Counter[str]] = [Counter(), Counter(), Counter()]
        self.steps = [[0, 0], [0, 0]]  # per step: Σ top, Σ bottom where both were verified

    def add(self, n: int, status: str, claimed: tuple[int, ...],
            seen: tuple[int | None, ...], sources: tuple[str | None, ...],
            verified: tuple[int | None, ...]) -> None:
        self.posts += n
        self.by_status[status] += n
        totals, sums, measured, split = self.claimed, self.verified, self.measured, self.split
        for i, (claim, sure, saw, source) in enumerate(
                zip(claimed, verified, seen, sources, strict=True)):
            totals[i] += claim
            if sure is not None:
                sums[i] += sure
                measured[i] = True
            if saw is not None:
                split[i][source or NONE] += saw
        for step, (_, top, bottom) in zip(self.steps, _STEPS, strict=True):
            upper, lower = verified[top], verified[bottom]
            if upper is not None and lower is not None:
                step[0] += upper
                step[1] += lower

    def view(self) -> dict[str, Any]:
        by_status = self.by_status
        reconciled = sum(n for s, n in by_status.items() if s != Status.PENDING)
        success = sum(by_status[s] for s in SUCCESS)
        sums = {m: self.verified[i] if self.measured[i] else None
                for i, m in enumerate(METRICS)}
        rates = {name: round(self.steps[k][1] / self.steps[k][0], 4) if self.steps[k][0]
                 else None for k, (name, _, _) in enumerate(_STEPS)}
        return {
            "posts": self.posts,
            "claimed": dict(zip(METRICS, self.claimed, strict=True)),
            "verified": dict(zip(METRICS, self.verified, strict=True)),
            "verified_by_source": {m: dict(sorted(self.split[i].items()))
                                   for i, m in enumerate(METRICS)},
            "funnel": {**sums, **rates},
            "by_status": dict(sorted(by_status.items())),
            "reconciled": reconciled,
            "success_rate": round(success / reconciled, 4) if reconciled else None,
        }


def _verified(seen: dict[str, int | None], sources: dict[str, str]) -> dict[str, int | None]:
    """A seen number counts as verified only where its source measures it."""
    return dict(zip(METRICS, _measured(tuple(seen[m] for m in METRICS),
                                       tuple(sources.get(m) for m in METRICS)), strict=True))


def _measured(seen: tuple[int | None, ...],
              sources: tuple[str | None, ...]) -> tuple[int | None, ...]:
    """Each seen number where its source measures it, else None, in METRICS' order; views
    that name no source come from the platform."""
    views, clicks, conversions = seen
    return (views if (sources[0] or PLATFORM) in MEASURED else None,
            clicks if sources[1] in MEASURED else None,
            conversions if sources[2] in MEASURED else None)


def _post_row(r: Any) -> dict[str, Any]:
    """One row of `current.current_rows`, as `_post_view` shows it."""
    sources = {m: getattr(r, f"source_{m}") for m in METRICS
               if getattr(r, f"source_{m}") is not None}
    seen = {m: getattr(r, f"seen_{m}") for m in METRICS}
    return {"post_id": r.post_id, "url": r.url, "report_id": r.report_id,
            "platform": r.platform, "affiliate_id": r.affiliate_id, "status": r.status,
            "claimed": {m: getattr(r, f"claimed_{m}") for m in METRICS},
            "seen": seen, "sources": sources, "verified": _verified(seen, sources)}


def summarise(groups: list[Any], reports: int, newest: list[dict[str, Any]],
              names: dict[int, tuple[str, float]]) -> dict[str, Any]:
    """Fold the groups of `current.grouped_rows` (every post once under its platform, with
    affiliate_id None, and once under its affiliate, with platform None) into totals,
    reconciliation and the per-platform/affiliate cuts; `newest` are the newest posts'
    rows, `names` each affiliate's name and trust score. One pass over the groups."""
    whole = _Share()
    platforms: dict[str, _Share] = {}
    affiliates: dict[int, _Share] = {}
    for g in groups:
        sources, seen = tuple(g[3:6]), tuple(g[13:16])
        args = (g[9], g[2], tuple(g[10:13]), seen, sources, _measured(seen, sources))
        if g[1] is None:
            share = platforms.get(g[0]) or platforms.setdefault(g[0], _Share())
            whole.add(*args)
        else:
            share = affiliates.get(g[1]) or affiliates.setdefault(int(g[1]), _Share())
        share.add(*args)
    total = whole.view()
    by_platform = {platform: platforms[platform].view() for platform in sorted(platforms)}
    by_affiliate = {}
    for affiliate in sorted(affiliates):
        name, trust = names[affiliate]
        by_affiliate[affiliate] = {**affiliates[affiliate].view(), "name": name,
                                   "trust_score": trust}
    return {
        "totals": {"posts": total["posts"], "reports": reports, "claimed": total["claimed"],
                   "verified": total["verified"], "funnel": total["funnel"],
                   "verified_by_source": total["verified_by_source"]},
        "reconciliation": {"by_status": total["by_status"], "reconciled": total["reconciled"],
                           "success_rate": total["success_rate"],
                           "pending": total["by_status"].get(Status.PENDING, 0)},
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
        # Folded in SQL: a few rows per platform and per affiliate, however many posts.
        groups = grouped_rows(s, campaign_id)
        newest = [_post_row(r) for r in s.execute(
            current_rows(campaign_id, newest=BY_POST)).all()]
        ids = {int(g[1]) for g in groups if g[1] is not None}
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
