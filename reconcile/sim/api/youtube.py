"""YouTube Data API v3: `GET /youtube/v3/videos?part=snippet,statistics&id=a,b` (≤ 50 ids).

statistics has no share count and no link clicks, as in the real API.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Blueprint, request

from reconcile.sim.guard import api_call, exists, failure, split_ids, store
from reconcile.sim.store import Truth

bp = Blueprint("sim_youtube", __name__)

MAX_IDS = 50
PARTS = {"snippet", "statistics"}
# The real API encodes every count as a decimal string.
FIELDS = {"views": "viewCount", "likes": "likeCount", "comments": "commentCount"}


def _etag(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:27]


def _snippet(video_id: str, truth: Truth) -> dict[str, Any]:
    title, _, description = truth.caption.partition("\n\n")
    return {
        "publishedAt": truth.published_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "channelId": "UC" + _etag(truth.author)[:22],
        "title": title,
        "description": description,
        "channelTitle": truth.author,
        "categoryId": "22",
        "liveBroadcastContent": "none",
    }


def _video(video_id: str, parts: set[str]) -> dict[str, Any]:
    truth = store().truth("youtube", video_id)
    video: dict[str, Any] = {"kind": "youtube#video", "etag": _etag(video_id), "id": video_id}
    if "snippet" in parts:
        video["snippet"] = _snippet(video_id, truth)
    if "statistics" in parts:
        statistics = {"favoriteCount": "0"}
        for metric, name in FIELDS.items():
            value = truth.get(metric)
            if value is not None:
                statistics[name] = str(value)
        video["statistics"] = statistics
    return video


@bp.get("/youtube/v3/videos")
@api_call("youtube")
def videos() -> Any:
    ids = split_ids(request.args.get("id"))
    parts = set(split_ids(request.args.get("part")))
    if not parts or not parts <= PARTS:
        return failure("youtube", 400, "invalidPart", "part must name snippet or statistics")
    if not ids:
        return failure("youtube", 400, "missingRequiredParameter", "No filter selected.")
    if len(ids) > MAX_IDS:
        return failure("youtube", 400, "badRequest", f"At most {MAX_IDS} ids per request.")
    # Unknown ids are simply left out of items, as the real API does.
    items = [_video(i, parts) for i in ids if exists("youtube", i)]
    return {
        "kind": "youtube#videoListResponse",
        "etag": _etag(",".join(ids)),
        "items": items,
        "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)},
    }
