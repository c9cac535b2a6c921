"""Counted clicks and conversions per post, as of a time: what reconciliation compares
claims with (truth.md, Sources). Read from the database only: no platform call, no breaker.

A post's numbers are those of its tracked link (a link attached after its first clicks
still credits them). Counted clicks: not filtered, clicked by `as_of`. Counted conversions:
received by `as_of` with status `counted` (inside the attribution window, from a counted
click) and not reversed by `as_of`.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import func, or_, select

from reconcile.persistence.db import Reader
from reconcile.persistence.models import Click, Conversion, TrackedLink


def counted_clicks(session: Reader, post_ids: Collection[int], as_of: datetime) -> dict[int, int]:
    """Each post's counted clicks as of `as_of` (0 for a post without any or without a link)."""
    ids = sorted(set(post_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(TrackedLink.post_id, func.count())
        .join(Click, Click.link_id == TrackedLink.id)
        .where(TrackedLink.post_id.in_(ids), Click.counted.is_(True),
               Click.clicked_at <= as_of)
        .group_by(TrackedLink.post_id)).all()
    return dict.fromkeys(ids, 0) | {int(p or 0): int(n) for p, n in rows}


def counted_conversions(session: Reader, post_ids: Collection[int],
                        as_of: datetime) -> dict[int, int]:
    """Each post's counted conversions as of `as_of`."""
    ids = sorted(set(post_ids))
    if not ids:
        return {}
    rows = session.execute(
        select(TrackedLink.post_id, func.count())
        .join(Click, Click.link_id == TrackedLink.id)
        .join(Conversion, Conversion.click_id == Click.click_id)
        .where(TrackedLink.post_id.in_(ids), Conversion.status == "counted",
               Conversion.received_at <= as_of,
               or_(Conversion.reversed_at.is_(None), Conversion.reversed_at > as_of))
        .group_by(TrackedLink.post_id)).all()
    return dict.fromkeys(ids, 0) | {int(p or 0): int(n) for p, n in rows}


def has_tracked_link(session: Reader, post_ids: Collection[int]) -> set[int]:
    """The posts among `post_ids` that have a tracked link (a claim of tracked clicks or
    postback conversions for any other post cannot be verified: `unverifiable_claim`)."""
    ids = sorted(set(post_ids))
    if not ids:
        return set()
    rows = session.execute(
        select(TrackedLink.post_id).where(TrackedLink.post_id.in_(ids)).distinct()).scalars()
    return {int(p) for p in rows if p is not None}
