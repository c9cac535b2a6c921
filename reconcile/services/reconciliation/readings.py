"""The platform readings the anomaly rules compare with (docs/fraud.md): each post's
previous reading, and the views per hour of an affiliate's earlier posts on a platform."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, tuple_
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
    rows = session.connection().execute(
        select(Post.id, Post.affiliate_id, Post.platform, Post.views_per_hour)
        .where(tuple_(Post.affiliate_id, Post.platform).in_(pairs),
               Post.views_per_hour.is_not(None))
        .order_by(Post.id)).all()
    rates: dict[tuple[int, str], list[tuple[int, float]]] = {}
    for post, affiliate, platform, rate in rows:
        if rate is not None:
            rates.setdefault((affiliate, platform), []).append((post, rate))
    return {post: [rate for earlier, rate in rates.get((affiliate, platform), [])
                   if earlier < post]
            for post, affiliate, platform in posts}
