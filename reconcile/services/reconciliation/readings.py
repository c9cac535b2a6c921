"""The platform readings the anomaly rules compare with (docs/fraud.md): each post's
previous reading, and the views per hour of an affiliate's earlier posts on a platform."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.orm import Session

from reconcile.persistence.models import Post, Snapshot
from reconcile.rules.anomaly import Point

# The newest reading of each post (read before a batch writes its own snapshots).
_LATEST = select(func.max(Snapshot.id)).group_by(Snapshot.post_id)


def previous_readings(session: Session, posts: Sequence[int]) -> dict[int, Point]:
    """Each post's newest reading with a view count."""
    if not posts:
        return {}
    rows = session.execute(
        select(Snapshot.post_id, Snapshot.fetched_at, Snapshot.views)
        .where(Snapshot.id.in_(_LATEST.where(Snapshot.post_id.in_(posts))),
               Snapshot.views.is_not(None))).all()
    return {post: Point(at, views) for post, at, views in rows if views is not None}


def baseline_rates(session: Session, posts: Sequence[tuple[int, int, str]]
                   ) -> dict[int, list[float]]:
    """Per (post, affiliate, platform): views per hour, publication to newest reading, of
    each earlier post (a lower id) of that affiliate on that platform. One query, on the
    rate each post keeps (posts.views_per_hour): no snapshot of theirs is read."""
    pairs = sorted({(affiliate, platform) for _, affiliate, platform in posts})
    if not pairs:
        return {}
    conn = session.connection()
    mine = [tuple_(Post.affiliate_id, Post.platform).in_(pairs),
            Post.views_per_hour.is_not(None)]
    # Per affiliate and platform: its posts' ids in order, and their rates in that order.
    kept: dict[tuple[int, str], tuple[list[int], list[Any]]] = {}
    if conn.dialect.name == "postgresql":
        # One row per affiliate and platform, its posts in two arrays: the driver turns an
        # array into a list far faster than it makes a row per post.
        for affiliate, platform, ids, values in conn.execute(
                select(Post.affiliate_id, Post.platform,
                       func.array_agg(aggregate_order_by(Post.id, Post.id)),
                       func.array_agg(aggregate_order_by(Post.views_per_hour, Post.id)))
                .where(*mine).group_by(Post.affiliate_id, Post.platform)):
            kept[(affiliate, platform)] = (list(ids), list(values))
    else:
        for post, affiliate, platform, rate in conn.execute(
                select(Post.id, Post.affiliate_id, Post.platform, Post.views_per_hour)
                .where(*mine).order_by(Post.id)):
            ids, values = kept.setdefault((affiliate, platform), ([], []))
            ids.append(post)
            values.append(rate)
    out: dict[int, list[float]] = {}
    for post, affiliate, platform in posts:
        ids, values = kept.get((affiliate, platform), ([], []))
        out[post] = values[:bisect_left(ids, post)]  # the earlier ones: a lower id
    return out
