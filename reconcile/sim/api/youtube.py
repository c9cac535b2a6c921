"""YouTube Data API v3: `GET /youtube/v3/videos?part=statistics&id=a,b` (up to 50 ids)."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Blueprint, request

from reconcile.platforms.urls import post_id_is_valid
from reconcile.sim.guard import api_call, failure, split_ids, store

bp = Blueprint("sim_youtube", __name__)

MAX_IDS = 50
# The real API encodes every count as a decimal string.
FIELDS = {"views": "viewCount", "clicks": "likeCount", "conversions": "commentCount"}


def _etag(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:27]


def _video(video_id: str) -> dict[str, Any]:
    truth = store().truth("youtube", video_id)
    statistics = {"favoriteCount": "0"}
    for metric, name in FIELDS.items():
        value = truth.get(metric)
        if value is not None:
            statistics[name] = str(value)
    return {
        "kind": "youtube#video",
        "etag": _etag(video_id),
        "id": video_id,
        "statistics": statistics,
    }


@bp.get("/youtube/v3/videos")
@api_call("youtube")
def videos() -> Any:
    ids = split_ids(request.args.get("id"))
    if "statistics" not in split_ids(request.args.get("part")):
        return failure("youtube", 400, "invalidPart", "part must include statistics")
    if not ids:
        return failure("youtube", 400, "missingRequiredParameter", "No filter selected.")
    if len(ids) > MAX_IDS:
        return failure("youtube", 400, "badRequest", f"At most {MAX_IDS} ids per request.")
    # Unknown ids are simply left out of items, as the real API does.
    items = [_video(i) for i in ids if post_id_is_valid("youtube", i)]
    return {
        "kind": "youtube#videoListResponse",
        "etag": _etag(",".join(ids)),
        "items": items,
        "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)},
    }
