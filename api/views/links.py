"""Tracked links: make one, read its numbers."""

from __future__ import annotations

from flask import Blueprint, jsonify

from api.auth import current, require
from api.body import parse
from api.lists import decode_cursor, page
from api.openapi import document
from api.params import parse_query
from api.responses import page_of
from api.tracking_schemas import LinkIn, LinkItem, LinkOut, LinksQuery, LinkStatsOut
from reconcile.services.reads import links as link_reads
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


@bp.get("/links")
@document("List tracked links with their counted clicks and conversions", query=LinksQuery,
          response=page_of(LinkItem),
          description="Newest first: an affiliate's own links, a client's campaigns' links, "
                      "every link for ADMIN and ANALYST; filter campaign_id.")
@require("AFFILIATE", "CLIENT", "ADMIN", "ANALYST")
def list_links():
    q = parse_query(LinksQuery)
    rows = link_reads.list_links(current(), campaign_id=q.campaign_id,
                                 after=decode_cursor(q.cursor), limit=q.limit + 1)
    return jsonify(page(rows, q.limit, "id"))
