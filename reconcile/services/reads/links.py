"""Read side: the tracked links the caller may see, newest first, with their counts.

An affiliate's own links, a client's campaigns' links, everything for ADMIN and ANALYST.
The counts are the link stats' (`reconcile.services.tracking.links.link_stats`): counted
clicks, and counted conversions not reversed.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, func, select

from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Click, Conversion, TrackedLink
from reconcile.services.access import own_campaigns
from reconcile.services.principal import Principal
from reconcile.services.tracking.links import link_view
from reconcile.vocabulary import Role


def _visible(q: Select, principal: Principal) -> Select:
    if principal.role == Role.AFFILIATE:
        return q.where(TrackedLink.affiliate_id == principal.user_id)
    if principal.role == Role.CLIENT:
        return q.where(TrackedLink.campaign_id.in_(own_campaigns(principal)))
    return q


def list_links(principal: Principal, *, campaign_id: int | None = None,
               after: int | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Links, newest first, each with `id` (the cursor key) and its counted numbers."""
    q = _visible(select(TrackedLink), principal)
    if campaign_id is not None:
        q = q.where(TrackedLink.campaign_id == campaign_id)
    if after is not None:
        q = q.where(TrackedLink.id < after)
    with unit_of_work() as uow:
        s = uow.session
        links = s.scalars(q.order_by(TrackedLink.id.desc()).limit(limit)).all()
        ids = [link.id for link in links]
        clicks = dict(s.execute(
            select(Click.link_id, func.count()).where(Click.link_id.in_(ids),
                                                      Click.counted.is_(True))
            .group_by(Click.link_id)).all()) if ids else {}
        sales = dict(s.execute(
            select(Click.link_id, func.count()).select_from(Conversion)
            .join(Click, Click.click_id == Conversion.click_id)
            .where(Click.link_id.in_(ids), Conversion.status == "counted",
                   Conversion.reversed_at.is_(None))
            .group_by(Click.link_id)).all()) if ids else {}
        return [{"id": link.id, **link_view(link),
                 "clicks": {"counted": int(clicks.get(link.id, 0))},
                 "conversions": {"counted": int(sales.get(link.id, 0))}} for link in links]
