"""Make a tracked link and read its numbers (a submission attaches it to its post:
reconcile.services.intake.link_codes)."""

from __future__ import annotations

import secrets
import string
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reconcile.config import public_base_url
from reconcile.errors import CampaignInactive, NotFound, ValidationFailed
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Campaign, Click, Conversion, TrackedLink
from reconcile.rules import closed_reason
from reconcile.services.principal import Principal
from reconcile.services.tracking import landing

_ALPHABET = string.ascii_letters + string.digits
CODE_LENGTH = 8  # 62^8: guessing a code in use is hopeless


def new_code() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(CODE_LENGTH))


def link_view(link: TrackedLink) -> dict[str, Any]:
    return {"code": link.code, "url": f"{public_base_url()}/r/{link.code}",
            "campaign_id": link.campaign_id, "post_id": link.post_id, "label": link.label,
            "created_at": link.created_at.isoformat()}


def create_link(principal: Principal, campaign_id: int, label: str | None = None) -> dict:
    """Make a link for the affiliate in a running campaign that has a landing URL."""
    for _ in range(5):  # a clash of random codes is all but impossible; retry if it happens
        try:
            with unit_of_work() as uow:
                s = uow.session
                campaign = s.get(Campaign, campaign_id)
                if campaign is None:
                    raise NotFound("no such campaign")
                closed = closed_reason(campaign.status, campaign.start_date, campaign.end_date,
                                       datetime.now(UTC).date())
                if closed is not None:
                    raise CampaignInactive(f"campaign {campaign_id} takes no links: it {closed}")
                if not campaign.landing_url:
                    raise ValidationFailed([{"field": "campaign_id", "message":
                                             "the campaign has no landing_url yet"}])
                link = TrackedLink(code=new_code(), campaign_id=campaign_id,
                                   affiliate_id=principal.user_id, label=label,
                                   created_at=datetime.now(UTC))
                s.add(link)
                s.flush()
                view, url = link_view(link), campaign.landing_url
            landing.remember(view["code"], url)
            return view
        except IntegrityError:
            continue
    raise RuntimeError("could not draw a free link code")


def _visible_link(session: Session, principal: Principal, code: str) -> TrackedLink:
    link = session.scalars(select(TrackedLink).where(TrackedLink.code == code)).first()
    if link is None:
        raise NotFound("no such link")
    if principal.role == "AFFILIATE" and link.affiliate_id != principal.user_id:
        raise NotFound("no such link")
    if principal.role == "CLIENT":
        owner = session.scalar(select(Campaign.client_id).where(Campaign.id == link.campaign_id))
        if owner != principal.client_id:
            raise NotFound("no such link")
    return link


def link_stats(principal: Principal, code: str) -> dict[str, Any]:
    """{code, post_id, clicks: {counted, filtered: {reason: n}}, conversions: {counted}}."""
    with unit_of_work() as uow:
        s = uow.session
        link = _visible_link(s, principal, code)
        rows = s.execute(
            select(Click.counted, Click.filter_reason, func.count())
            .where(Click.link_id == link.id).group_by(Click.counted, Click.filter_reason)).all()
        conversions = s.scalar(
            select(func.count()).select_from(Conversion)
            .join(Click, Click.click_id == Conversion.click_id)
            .where(Click.link_id == link.id, Conversion.status == "counted",
                   Conversion.reversed_at.is_(None)))
        counted = sum(int(n) for ok, _, n in rows if ok)
        filtered = {str(reason): int(n) for ok, reason, n in rows if not ok}
        return {"code": link.code, "post_id": link.post_id, "campaign_id": link.campaign_id,
                "label": link.label, "url": f"{public_base_url()}/r/{link.code}",
                "clicks": {"counted": counted, "filtered": filtered},
                "conversions": {"counted": int(conversions or 0)}}
