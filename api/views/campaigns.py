"""Campaigns and platforms."""

from __future__ import annotations

from flask import Blueprint, jsonify

from api.auth import current, require
from api.body import parse
from api.schemas import CampaignIn, PlatformPatch
from reconcile.services import campaigns

bp = Blueprint("campaigns", __name__)


@bp.get("/platforms")
@require()
def list_platforms():
    return jsonify({"items": campaigns.list_platforms(), "next_cursor": None})


@bp.patch("/platforms/<name>")
@require("ADMIN")
def patch_platform(name: str):
    body = parse(PlatformPatch)
    return jsonify(campaigns.set_platform_active(name, body.is_active))


@bp.post("/campaigns")
@require("ADMIN", "CLIENT")
def create_campaign():
    body = parse(CampaignIn)
    created = campaigns.create_campaign(
        current(), name=body.name, client_id=body.client_id, platforms=list(body.platforms),
        start_date=body.start_date, end_date=body.end_date,
    )
    return jsonify(created), 201


@bp.get("/campaigns")
@require("ADMIN", "ANALYST", "CLIENT")
def list_campaigns():
    return jsonify({"items": campaigns.list_campaigns(current()), "next_cursor": None})


@bp.get("/campaigns/<int:campaign_id>")
@require("ADMIN", "ANALYST", "CLIENT")
def get_campaign(campaign_id: int):
    return jsonify(campaigns.get_campaign(current(), campaign_id))
