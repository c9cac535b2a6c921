"""Campaigns and the platforms they allow."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reconcile.errors import Forbidden, SourceUnavailable, ValidationFailed
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Campaign, CampaignPlatform, Client, Platform
from reconcile.rules.sources import (
    PLATFORM,
    Sources,
    lacks_landing_url,
    platforms_without_link_clicks,
)
from reconcile.services.access import visible_campaign
from reconcile.services.audit import Actor, record
from reconcile.services.principal import Principal
from reconcile.vocabulary import Role


def campaign_view(session: Session, campaign: Campaign) -> dict[str, Any]:
    platforms = session.scalars(
        select(CampaignPlatform.platform)
        .where(CampaignPlatform.campaign_id == campaign.id)
        .order_by(CampaignPlatform.platform)
    ).all()
    return {
        "id": campaign.id,
        "name": campaign.name,
        "client_id": campaign.client_id,
        "platforms": list(platforms),
        "status": campaign.status,
        "start_date": campaign.start_date.isoformat() if campaign.start_date else None,
        "end_date": campaign.end_date.isoformat() if campaign.end_date else None,
        "sources": {"clicks": campaign.clicks_source,
                    "conversions": campaign.conversions_source},
        "required_tags": list(campaign.required_tags or []),
        "require_verified_handle": campaign.require_verified_handle,
        "landing_url": campaign.landing_url,
        "attribution_window_days": campaign.attribution_window_days,
    }


def check_sources(sources: Sources, platforms: list[str]) -> None:
    """Refuse clicks from the platform on a campaign with a platform that reports none."""
    lacking = platforms_without_link_clicks(platforms)
    if sources.clicks == PLATFORM and lacking:
        raise SourceUnavailable(
            f"clicks cannot come from the platform: {', '.join(lacking)} report(s) no link "
            f"clicks (only x and instagram do); use tracked links")


def check_landing_url(sources: Sources, landing_url: str | None) -> None:
    """Refuse sources that count tracked clicks when the links would have nowhere to land."""
    if lacks_landing_url(sources, landing_url):
        raise ValidationFailed([{"field": "landing_url", "message":
                                 "required when sources.clicks is tracked: the campaign's "
                                 "tracked links land there"}])


def create_campaign(
    principal: Principal,
    *,
    name: str,
    client_id: int,
    platforms: list[str],
    start_date: date | None = None,
    end_date: date | None = None,
    sources: Sources | None = None,
    required_tags: list[str] | None = None,
    require_verified_handle: bool = True,
    request_id: str | None = None,
    landing_url: str | None = None,
    attribution_window_days: int = 30,
) -> dict[str, Any]:
    if principal.role == Role.CLIENT and principal.client_id != client_id:
        raise Forbidden("a client may create campaigns only for itself")
    if start_date and end_date and end_date < start_date:
        raise ValidationFailed([{"field": "end_date", "message": "must not precede start_date"}])
    # Sources named by the caller must be complete; a body that names none (api.md's
    # minimal campaign) takes the defaults and may set the landing URL later
    # (docs/sources.md, "A landing URL for tracked clicks").
    if sources is not None:
        check_landing_url(sources, landing_url)
    sources = sources or Sources()
    check_sources(sources, platforms)
    with unit_of_work() as uow:
        s = uow.session
        if s.get(Client, client_id) is None:
            raise ValidationFailed([{"field": "client_id", "message": "no such client"}])
        known = set(s.scalars(select(Platform.name)))
        unknown = sorted(set(platforms) - known)
        if unknown:
            raise ValidationFailed(
                [{"field": "platforms", "message": f"unknown platform(s): {', '.join(unknown)}"}]
            )
        campaign = Campaign(
            name=name, client_id=client_id, start_date=start_date, end_date=end_date,
            clicks_source=sources.clicks, conversions_source=sources.conversions,
            required_tags=list(required_tags or []),
            require_verified_handle=require_verified_handle,
            landing_url=landing_url, attribution_window_days=attribution_window_days,
        )
        s.add(campaign)
        s.flush()
        s.add_all(CampaignPlatform(campaign_id=campaign.id, platform=p) for p in set(platforms))
        s.flush()
        view = campaign_view(s, campaign)
        record(s, Actor.of(principal, request_id), "campaign.created",
               ("campaign", campaign.id), after=view)
        return view


def update_campaign(principal: Principal, campaign_id: int, *, sources: Sources | None = None,
                    required_tags: list[str] | None = None,
                    require_verified_handle: bool | None = None,
                    landing_url: str | None = None,
                    attribution_window_days: int | None = None,
                    request_id: str | None = None) -> dict[str, Any]:
    """Change how a campaign's numbers are verified and where its tracked links land; later
    attempts use the new sources, the links follow a new landing URL within 10 s."""
    from reconcile.persistence.models import TrackedLink
    from reconcile.services.tracking import landing

    with unit_of_work() as uow:
        s = uow.session
        campaign = visible_campaign(s, principal, campaign_id)
        before = campaign_view(s, campaign)
        if sources is not None:
            check_sources(sources, before["platforms"])
            check_landing_url(sources, landing_url or campaign.landing_url)
            campaign.clicks_source = sources.clicks
            campaign.conversions_source = sources.conversions
        if required_tags is not None:
            campaign.required_tags = list(required_tags)
        if require_verified_handle is not None:
            campaign.require_verified_handle = require_verified_handle
        if landing_url is not None:
            campaign.landing_url = landing_url
        if attribution_window_days is not None:
            campaign.attribution_window_days = attribution_window_days
        s.flush()
        view = campaign_view(s, campaign)
        record(s, Actor.of(principal, request_id), "campaign.updated",
               ("campaign", campaign.id), before=before, after=view)
        if before["landing_url"] != view["landing_url"]:
            codes = list(s.scalars(select(TrackedLink.code)
                                   .where(TrackedLink.campaign_id == campaign_id)))
            uow.after_commit(lambda: landing.campaign_changed(codes, view["landing_url"]))
    return view


def get_campaign(principal: Principal, campaign_id: int) -> dict[str, Any]:
    with unit_of_work() as uow:
        return campaign_view(uow.session, visible_campaign(uow.session, principal, campaign_id))


def list_campaigns(
    principal: Principal, after: int | None = None, limit: int | None = None
) -> list[dict[str, Any]]:
    with unit_of_work() as uow:
        q = select(Campaign).order_by(Campaign.id).limit(limit)
        if after is not None:
            q = q.where(Campaign.id > after)
        if principal.role == Role.CLIENT:
            q = q.where(Campaign.client_id == principal.client_id)
        return [campaign_view(uow.session, c) for c in uow.session.scalars(q)]
