"""Instagram Graph API: media fields and insights, one media or batched (`?ids=`).

Routes: `GET /{version}/?ids=a,b&fields=like_count,...,insights.metric(views,...)` and
`GET /{version}/{media-id}/insights?metric=views,...`. The simulator takes the URL
shortcode as the media id; the real Graph API needs a numeric media id, which a production
adapter would look up first.

`website_clicks` is served as a lifetime media insight. The real Graph API reports it only
per account (`/{ig-user-id}/insights`); docs/sources.md explains the choice.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, request
from werkzeug.routing import BaseConverter

from reconcile.sim.guard import api_call, exists, failure, split_ids, store
from reconcile.sim.store import Truth

bp = Blueprint("sim_instagram", __name__)

MAX_IDS = 50
INSIGHTS = {"views": "views", "shares": "shares", "link_clicks": "website_clicks"}
FIELDS = {"likes": "like_count", "comments": "comments_count"}
_INSIGHTS_FIELD = re.compile(r"insights\.metric\(([^)]*)\)")


class GraphVersionConverter(BaseConverter):
    """Match a Graph API version segment such as v21.0, so other paths never count as calls."""

    regex = r"v[0-9]+\.[0-9]+"


def _insights(media_id: str, truth: Truth, metrics: list[str]) -> list[dict[str, Any]]:
    entries = []
    for metric, name in INSIGHTS.items():
        value = truth.get(metric)
        if name in metrics and value is not None:
            entries.append({
                "name": name, "period": "lifetime", "values": [{"value": value}],
                "title": name.replace("_", " ").capitalize(), "description": "",
                "id": f"{media_id}/insights/{name}/lifetime",
            })  # fmt: skip
    return entries


def _media(media_id: str, fields: str) -> dict[str, Any]:
    truth = store().truth("instagram", media_id)
    wanted = _INSIGHTS_FIELD.search(fields)
    names = split_ids(_INSIGHTS_FIELD.sub("", fields))
    every: dict[str, Any] = {
        "username": truth.author,
        "timestamp": truth.published_at.strftime("%Y-%m-%dT%H:%M:%S+0000"),
        "caption": truth.caption,
        "media_type": "VIDEO",
    }
    for metric, name in FIELDS.items():
        value = truth.get(metric)
        if value is not None:
            every[name] = value
    media = {"id": media_id} | {k: v for k, v in every.items() if k in names}
    if wanted or "insights" in names:
        metrics = split_ids(wanted.group(1)) if wanted else list(INSIGHTS.values())
        media["insights"] = {"data": _insights(media_id, truth, metrics)}
    return media


@bp.get("/<graph_version:version>/<media_id>/insights")
@api_call("instagram")
def media_insights(version: str, media_id: str) -> Any:
    if not exists("instagram", media_id):
        return failure("instagram", 404, "notFound", "Unsupported get request.")
    metrics = split_ids(request.args.get("metric")) or list(INSIGHTS.values())
    return {"data": _insights(media_id, store().truth("instagram", media_id), metrics)}


@bp.get("/<graph_version:version>/")
@api_call("instagram")
def batch(version: str) -> Any:
    ids = split_ids(request.args.get("ids"))
    if not ids or len(ids) > MAX_IDS:
        return failure("instagram", 400, "badRequest", f"ids must name 1 to {MAX_IDS} objects")
    fields = request.args.get("fields") or "insights"
    # Ids the platform does not know are absent from the answer.
    return {i: _media(i, fields) for i in ids if exists("instagram", i)}
