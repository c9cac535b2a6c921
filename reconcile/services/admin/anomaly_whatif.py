"""How many VIEW_ANOMALY alerts rules would have raised on past readings (rules simulate).

Each stored reading (a snapshot) is checked as the attempt that made it was: its views per
hour since the post's previous reading (or since publication), against the affiliate's
earlier posts on the platform (their newest reading in the sample); its engagement; its
counted clicks per view. Pure over loaded rows; `load_readings` reads them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Post, Snapshot
from reconcile.rules import Rules
from reconcile.rules.anomaly import Point, Reading, anomalies, views_per_hour
from reconcile.rules.sources import NONE


@dataclass(frozen=True)
class Past:
    """One stored reading of a post."""

    post_id: int
    affiliate_id: int
    platform: str
    fetched_at: datetime
    published_at: datetime | None
    views: int | None
    likes: int | None
    comments: int | None
    clicks: int | None  # counted clicks, when the post's clicks had a source


def load_readings(size: int, since: datetime | None = None) -> list[Past]:
    """The newest `size` readings, oldest first."""
    q = (select(Snapshot.post_id, Post.affiliate_id, Post.platform, Snapshot.fetched_at,
                Snapshot.published_at, Snapshot.views, Snapshot.likes, Snapshot.comments,
                Snapshot.clicks, Snapshot.sources)
         .join(Post, Post.id == Snapshot.post_id).order_by(Snapshot.id.desc()).limit(size))
    if since is not None:
        q = q.where(Snapshot.fetched_at >= since)
    with unit_of_work() as uow:
        rows = uow.session.execute(q).all()
    return [Past(p, a, pl, f, pub, v, li, c, cl if (src or {}).get("clicks", NONE) != NONE
                 else None)
            for p, a, pl, f, pub, v, li, c, cl, src in reversed(rows)]


def _readings(past: Sequence[Past], min_hours: float) -> list[Reading]:
    previous: dict[int, Point] = {}
    lifetime: dict[tuple[int, str], dict[int, float]] = {}
    out = []
    for r in past:
        key = (r.affiliate_id, r.platform)
        earlier = [rate for post, rate in lifetime.get(key, {}).items() if post < r.post_id]
        before = previous.get(r.post_id) or (
            Point(r.published_at, 0) if r.published_at is not None else None)
        velocity = (views_per_hour(before, Point(r.fetched_at, r.views), min_hours)
                    if before is not None and r.views is not None else None)
        out.append(Reading(r.views, r.likes, r.comments, r.clicks, velocity, earlier))
        if r.views is not None:
            previous[r.post_id] = Point(r.fetched_at, r.views)
            if r.published_at is not None:
                rate = views_per_hour(Point(r.published_at, 0), Point(r.fetched_at, r.views))
                if rate is not None:
                    lifetime.setdefault(key, {})[r.post_id] = rate
    return out


def count_alerts(past: Sequence[Past], rules: Rules) -> dict[str, int]:
    """VIEW_ANOMALY alerts per rule (velocity, engagement, click_rate) these rules raise."""
    found: Counter[str] = Counter()
    for reading in _readings(past, rules.anomaly.velocity_min_hours):
        for spec in anomalies(reading, rules.anomaly):
            found[str(spec.threshold_breached["rule"])] += 1
    return {rule: found.get(rule, 0) for rule in ("velocity", "engagement", "click_rate")}


def compare_anomalies(past: Sequence[Past], current: Rules, candidate: Rules) -> dict[str, Any]:
    """The alerts the current and the candidate thresholds raise on the same readings."""
    return {"readings": len(past), "current": count_alerts(past, current),
            "candidate": count_alerts(past, candidate)}
