"""Campaigns, their analytics, and platforms."""

from __future__ import annotations

from flask import Blueprint, g, jsonify

from api.auth import actor, current, require
from api.body import parse
from api.lists import decode_cursor, page, page_of_all
from api.openapi import document
from api.params import ListQuery, parse_query
from api.responses import Analytics, CampaignOut, PlatformOut, page_of
from api.schemas import CampaignIn, CampaignPatch, PlatformPatch, SourcesIn
from reconcile.rules.sources import Sources
from reconcile.services.admin import campaigns, platforms
from reconcile.services.reads import analytics
from reconcile.vocabulary import Role

bp = Blueprint("campaigns", __name__)


@bp.get("/platforms")
@document("List platforms with their switch and breaker state", query=ListQuery,
          response=page_of(PlatformOut))
@require()
def list_platforms():
    q = parse_query(ListQuery)
    return jsonify(page_of_all(platforms.list_platforms(), q.limit, q.cursor, "name"))


@bp.patch("/platforms/<name>")
@document("Switch a platform on or off", body=PlatformPatch, response=PlatformOut)
@require(Role.ADMIN)
def patch_platform(name: str):
    body = parse(PlatformPatch)
    return jsonify(platforms.set_platform_active(name, body.is_active, actor()))


def _sources(given: SourcesIn | None, named: bool = True) -> Sources | None:
    """The sources the body names (None when it names none: the defaults apply)."""
    return Sources(given.clicks, given.conversions) if given is not None and named else None


@bp.post("/campaigns")
@document("Create a campaign", body=CampaignIn, response=CampaignOut, status=201,
          description="A client may create campaigns only for itself. sources default to "
                      "clicks from tracked links and conversions from postbacks; clicks "
                      "from the platform on a platform that reports no link clicks (only "
                      "x and instagram do) is 422 SOURCE_UNAVAILABLE. A body that names "
                      "sources with clicks tracked needs landing_url (422 VALIDATION_ERROR "
                      "on landing_url); one naming no sources may set it later.")
@require(Role.ADMIN, Role.CLIENT)
def create_campaign():
    body = parse(CampaignIn)
    created = campaigns.create_campaign(
        current(), name=body.name, client_id=body.client_id, platforms=list(body.platforms),
        start_date=body.start_date, end_date=body.end_date,
        sources=_sources(body.sources, "sources" in body.model_fields_set),
        required_tags=list(body.required_tags),
        require_verified_handle=body.require_verified_handle,
        landing_url=body.landing_url, attribution_window_days=body.attribution_window_days,
        request_id=g.request_id,
    )
    return jsonify(created), 201


@bp.patch("/campaigns/<int:campaign_id>")
@document("Change a campaign: its sources, required tags, handle rule, landing URL or "
          "attribution window", body=CampaignPatch, response=CampaignOut,
          description="Later attempts use the new sources; 422 SOURCE_UNAVAILABLE as on "
                      "create, and 422 VALIDATION_ERROR on landing_url when the sources "
                      "name tracked clicks and the campaign has no landing URL. Tracked "
                      "links land on a new landing URL within 10 s.")
@require(Role.ADMIN, Role.CLIENT)
def patch_campaign(campaign_id: int):
    body = parse(CampaignPatch)
    return jsonify(campaigns.update_campaign(
        current(), campaign_id, sources=_sources(body.sources),
        required_tags=list(body.required_tags) if body.required_tags is not None else None,
        require_verified_handle=body.require_verified_handle,
        landing_url=body.landing_url, attribution_window_days=body.attribution_window_days,
        request_id=g.request_id,
    ))


@bp.get("/campaigns")
@document("List campaigns (a client sees its own)", query=ListQuery,
          response=page_of(CampaignOut))
@require(Role.ADMIN, Role.ANALYST, Role.CLIENT)
def list_campaigns():
    q = parse_query(ListQuery)
    rows = campaigns.list_campaigns(current(), after=decode_cursor(q.cursor), limit=q.limit + 1)
    return jsonify(page(rows, q.limit, "id"))


@bp.get("/campaigns/<int:campaign_id>")
@document("A campaign", response=CampaignOut)
@require(Role.ADMIN, Role.ANALYST, Role.CLIENT)
def get_campaign(campaign_id: int):
    return jsonify(campaigns.get_campaign(current(), campaign_id))


@bp.get("/campaigns/<int:campaign_id>/analytics")
@document("The unified view: claimed against verified, by platform and affiliate",
          response=Analytics,
          description="verified sums each post's latest snapshot, every metric from its "
                      "own source (never claims); success_rate = (MATCHED + DISCREPANCY_LOW) "
                      "/ reconciled, null when nothing is reconciled yet. funnel (in totals, "
                      "each platform and affiliate, and each of the 100 newest posts in "
                      "by_post): verified views, clicks, conversions, click_rate and "
                      "conversion_rate, each rate over the posts with both numbers verified.")
@require(Role.ADMIN, Role.ANALYST, Role.CLIENT)
def campaign_analytics(campaign_id: int):
    return jsonify(analytics.campaign_analytics(current(), campaign_id))
