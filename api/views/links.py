"""Tracked links: make one, read its numbers."""

from __future__ import annotations

from flask import Blueprint, jsonify

from api.auth import current, require
from api.body import parse
from api.openapi import document
from api.tracking_schemas import LinkIn, LinkOut, LinkStatsOut
from reconcile.services.tracking import links

bp = Blueprint("links", __name__)


@bp.post("/links")
@document("Make a tracked link for a campaign", body=LinkIn, response=LinkOut, status=201,
          description="url is <PUBLIC_BASE_URL>/r/<code>; name the code as link_code when "
                      "submitting the post that carries it (a link belongs to one post).")
@require("AFFILIATE")
def create_link():
    body = parse(LinkIn)
    return jsonify(links.create_link(current(), body.campaign_id, body.label)), 201


@bp.get("/links/<code>/stats")
@document("A tracked link's counted and filtered clicks, and counted conversions",
          response=LinkStatsOut)
@require("AFFILIATE", "CLIENT", "ADMIN", "ANALYST")
def link_stats(code: str):
    return jsonify(links.link_stats(current(), code))
