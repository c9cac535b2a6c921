"""Anomalies on the platform's own numbers (truth.md; `[anomaly]` in the rules file).

Bought views are echoed back by the platform, so the claim matches and no claim rule fires;
these rules look at the platform's numbers themselves. Each raises a VIEW_ANOMALY alert
(FRAUD) that carries its evidence: the numbers, the baseline and the threshold.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from reconcile.rules.alerts import FRAUD, AlertSpec
from reconcile.rules.ruleset import AnomalyRules

VIEW_ANOMALY = "VIEW_ANOMALY"
# One alert rule per anomaly, so a post can carry each once (alerts are unique per report
# and rule).
VELOCITY, ENGAGEMENT, CLICK_RATE = "A1", "A2", "A3"


@dataclass(frozen=True)
class Point:
    """One platform reading of a post: when, and how many views it showed."""

    at: datetime
    views: int


def views_per_hour(earlier: Point, later: Point, min_hours: float = 0.0) -> float | None:
    """Views gained per hour between two readings; None when less than min_hours (or no
    time at all) passed between them."""
    hours = (later.at - earlier.at).total_seconds() / 3600
    if hours <= 0 or hours < min_hours:
        return None
    return max(later.views - earlier.views, 0) / hours


def post_rate(views: int | None, published_at: datetime | None,
              fetched_at: datetime | None) -> float | None:
    """A post's views per hour from publication to a reading (the velocity baseline's unit;
    None without views, a publication time, or time between them)."""
    if views is None or published_at is None or fetched_at is None:
        return None
    return views_per_hour(Point(published_at, 0), Point(fetched_at, views))


@dataclass(frozen=True)
class Reading:
    """What one attempt read for a post, and what it is compared with."""

    views: int | None
    likes: int | None
    comments: int | None
    counted_clicks: int | None  # clicks from the post's own source (tracked or platform)
    velocity: float | None  # views per hour since the previous reading (or publication)
    baseline_rates: Sequence[float]  # the affiliate's earlier posts on this platform


def _velocity(r: Reading, rules: AnomalyRules) -> AlertSpec | None:
    if r.velocity is None or len(r.baseline_rates) < rules.velocity_min_posts:
        return None
    median = statistics.median(r.baseline_rates)
    limit = rules.velocity_factor * median
    if median <= 0 or r.velocity <= limit:
        return None
    return AlertSpec(VELOCITY, VIEW_ANOMALY, FRAUD, "HIGH",
                     f"Views arriving {r.velocity / median:.0f}x faster than usual",
                     f"{r.velocity:.0f} views per hour, against a median of {median:.1f} over "
                     f"the affiliate's {len(r.baseline_rates)} earlier posts on this platform.",
                     {"rule": "velocity", "views_per_hour": round(r.velocity, 2),
                      "baseline_median": round(median, 2),
                      "baseline_posts": len(r.baseline_rates),
                      "velocity_factor": rules.velocity_factor, "threshold": round(limit, 2)})


def _engagement(r: Reading, rules: AnomalyRules) -> AlertSpec | None:
    if r.views is None or r.views < rules.min_views or (r.likes is None and r.comments is None):
        return None
    engaged = (r.likes or 0) + (r.comments or 0)
    rate = engaged / r.views
    if rate >= rules.min_engagement_rate:
        return None
    return AlertSpec(ENGAGEMENT, VIEW_ANOMALY, FRAUD, "MEDIUM",
                     f"Engagement {rate:.3%} at {r.views} views",
                     f"{engaged} likes and comments on {r.views} views, below "
                     f"{rules.min_engagement_rate:.2%}.",
                     {"rule": "engagement", "views": r.views, "likes": r.likes,
                      "comments": r.comments, "engagement_rate": round(rate, 6),
                      "min_engagement_rate": rules.min_engagement_rate,
                      "min_views": rules.min_views})


def _click_rate(r: Reading, rules: AnomalyRules) -> AlertSpec | None:
    if r.views is None or r.counted_clicks is None or r.views < rules.click_rate_min_views:
        return None
    rate = r.counted_clicks / r.views
    if rate <= rules.max_click_rate:
        return None
    return AlertSpec(CLICK_RATE, VIEW_ANOMALY, FRAUD, "MEDIUM",
                     f"{rate:.0%} of views clicked through",
                     f"{r.counted_clicks} counted clicks on {r.views} views, above "
                     f"{rules.max_click_rate:.0%}.",
                     {"rule": "click_rate", "views": r.views, "clicks": r.counted_clicks,
                      "click_rate": round(rate, 6), "max_click_rate": rules.max_click_rate,
                      "min_views": rules.click_rate_min_views})


def anomalies(reading: Reading, rules: AnomalyRules) -> list[AlertSpec]:
    """Return the VIEW_ANOMALY alerts one reading of a post raises."""
    found = (_velocity(reading, rules), _engagement(reading, rules),
             _click_rate(reading, rules))
    return [spec for spec in found if spec is not None]
