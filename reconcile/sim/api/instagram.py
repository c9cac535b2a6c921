"""Instagram Graph API: media insights, one (`/{version}/{id}/insights`) or batched (`?ids=`).

The simulator takes the URL shortcode as the media id; the real Graph API needs a numeric
media id, which a production adapter would look up first.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, request
from werkzeug.routing import BaseConverter

from reconcile.platforms.urls import post_id_is_valid
from reconcile.sim.guard import api_call, failure, split_ids, store

bp = Blueprint("sim_instagram", __name__)

MAX_IDS = 50
FIELDS = {"views": "views", "clicks": "profile_visits", "conversions": "follows"}
_INSIGHTS_FIELD = re.compile(r"insights\.metric\(([^)]*)\)")


class GraphVersionConverter(BaseConverter):
    """Match a Graph API version segment such as v21.0, so other paths never count as calls."""

    regex = r"v[0-9]+\.[0-9]+"


def _insights(media_id: str, metrics: list[str]) -> list[dict[str, Any]]:
    truth = store().truth("instagram", media_id)
    entries = []
    for metric, name in FIELDS.items():
        value = truth.get(metric)
        if name in metrics and value is not None:
            entries.append({
                "name": name, "period": "lifetime", "values": [{"value": value}],
                "title": name.replace("_", " ").capitalize(), "description": "",
                "id": f"{media_id}/insights/{name}/lifetime",
            })  # fmt: skip
    return entries


@bp.get("/<graph_version:version>/<media_id>/insights")
@api_call("instagram")
def media_insights(version: str, media_id: str) -> Any:
    if not post_id_is_valid("instagram", media_id):
        return failure("instagram", 404, "notFound", "Unsupported get request.")
    metrics = split_ids(request.args.get("metric")) or list(FIELDS.values())
    return {"data": _insights(media_id, metrics)}


@bp.get("/<graph_version:version>/")
@api_call("instagram")
def batch(version: str) -> Any:
    ids = split_ids(request.args.get("ids"))
    if not ids or len(ids) > MAX_IDS:
        return failure("instagram", 400, "badRequest", f"ids must name 1 to {MAX_IDS} objects")
    wanted = _INSIGHTS_FIELD.search(request.args.get("fields", ""))
    metrics = split_ids(wanted.group(1)) if wanted else list(FIELDS.values())
    # Ids the platform does not know are absent from the answer.
    return {
        i: {"id": i, "insights": {"data": _insights(i, metrics)}}
        for i in ids
        if post_id_is_valid("instagram", i)
    }
