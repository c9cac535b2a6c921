"""TikTok: `POST /v2/video/query/?fields=...` with `{"filters": {"video_ids": [...]}}` (≤ 20).

Only the fields asked for are served; a video has no author field (the creator's handle is
in `share_url`) and no link clicks, as in the Display API.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from reconcile.sim.guard import api_call, exists, failure, split_ids, store

bp = Blueprint("sim_tiktok", __name__)

MAX_IDS = 20
COUNTS = {"views": "view_count", "likes": "like_count", "comments": "comment_count",
          "shares": "share_count"}


def _bad(message: str) -> Any:
    return failure("tiktok", 400, "invalid_params", message)


def _video(video_id: str, fields: list[str]) -> dict[str, Any]:
    truth = store().truth("tiktok", video_id)
    every: dict[str, Any] = {
        "create_time": int(truth.published_at.timestamp()),
        "share_url": f"https://www.tiktok.com/@{truth.author}/video/{video_id}",
        "title": "",  # set on photo posts only
        "video_description": truth.caption,
        "duration": 30,
    }
    for metric, name in COUNTS.items():
        value = truth.get(metric)
        if value is not None:
            every[name] = value
    return {"id": video_id} | {k: v for k, v in every.items() if k in fields}


@bp.post("/v2/video/query/")
@api_call("tiktok")
def query() -> Any:
    fields = split_ids(request.args.get("fields"))
    if not fields:
        return _bad("fields is required")
    body = request.get_json(silent=True)
    filters = body.get("filters") if isinstance(body, dict) else None
    ids = filters.get("video_ids") if isinstance(filters, dict) else None
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        return _bad("filters.video_ids must be a non-empty list of strings")
    if len(ids) > MAX_IDS:
        return _bad(f"At most {MAX_IDS} video_ids per request.")
    videos = [_video(i, fields) for i in dict.fromkeys(ids) if exists("tiktok", i)]
    return {
        "data": {"videos": videos, "cursor": 0, "has_more": False},
        "error": {"code": "ok", "message": "", "log_id": "sim"},
    }
