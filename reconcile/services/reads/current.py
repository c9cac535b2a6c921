"""Each post's current state as one SQL row: its latest report and latest snapshot.

The latest report of a post is its highest id (an update supersedes the earlier claim); its
latest snapshot is likewise the highest id among the post's snapshots, whichever report
took it. Both are found per post with one backward probe of an index on (post_id, id)
(migration 0013), so the cost follows the posts asked for, never the size of the history.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, func, select, text

from reconcile.persistence import tallies
from reconcile.persistence.models import Post, ReconciliationLog, Report, Snapshot

METRICS = ("views", "clicks", "conversions")


def latest_report_id() -> ColumnElement[int]:
    """The id of the newest report of the Post in the enclosing query."""
    return (select(func.max(Report.id)).where(Report.post_id == Post.id)
            .correlate(Post).scalar_subquery())


def latest_snapshot_id() -> ColumnElement[int]:
    """The id of the newest snapshot of the Post in the enclosing query (None: none yet)."""
    return (select(func.max(Snapshot.id)).where(Snapshot.post_id == Post.id)
            .correlate(Post).scalar_subquery())


def current_rows(campaign_id: int, newest: int | None = None) -> Select:
    """One row per post of the campaign that has a report (only the `newest` posts if given,
    newest first): who, where, the latest claim and status, what the latest snapshot saw and
    each metric's source (None where absent)."""
    pointers = (select(Post.id.label("post_id"), Post.platform, Post.affiliate_id,
                       Post.normalized_url.label("url"),
                       latest_report_id().label("report_id"),
                       latest_snapshot_id().label("snapshot_id"))
                .where(Post.campaign_id == campaign_id))
    # Either is a fence: the planner would otherwise inline this subquery and run each probe
    # once per place its result is used. The LIMIT sits inside, so only `newest` posts are
    # probed (posts (campaign_id, id) read backwards).
    pointers = (pointers.offset(0) if newest is None else
                pointers.order_by(Post.id.desc()).limit(newest))
    cur = pointers.subquery("cur")
    rows = (
        select(cur.c.post_id, cur.c.platform, cur.c.affiliate_id, cur.c.url, cur.c.report_id,
               Report.claimed_views, Report.claimed_clicks, Report.claimed_conversions,
               ReconciliationLog.status,
               Snapshot.views.label("seen_views"), Snapshot.clicks.label("seen_clicks"),
               Snapshot.conversions.label("seen_conversions"),
               *[Snapshot.sources[m].as_string().label(f"source_{m}") for m in METRICS])
        .select_from(cur)
        .join(Report, Report.id == cur.c.report_id)
        .join(ReconciliationLog, ReconciliationLog.report_id == cur.c.report_id)
        .outerjoin(Snapshot, Snapshot.id == cur.c.snapshot_id)
    )
    return rows if newest is None else rows.order_by(cur.c.post_id.desc())


def grouped_rows(session: Any, campaign_id: int) -> list[Any]:
    """The campaign's posts folded into groups that share everything the analytics tell
    apart (status, each metric's source and whether it was seen), once by platform
    (affiliate_id None) and once by affiliate (platform None), with the count of posts and
    the sums of claims and seen numbers of each group (None where the group's posts saw
    nothing), from the running counts the database keeps of each post's current row
    (reconcile/persistence/tallies.py, POSTS): the cost follows the number of groups and of
    posts changed since the last fold, not the number of posts."""
    sql = tallies.post_cuts_sql(session.get_bind().dialect.name)
    return list(session.execute(text(sql), {"campaign": campaign_id}).all())
