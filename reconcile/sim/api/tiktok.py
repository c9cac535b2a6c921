"""TikTok: `POST /v2/video/query/?fields=...` with `{"filters": {"video_ids": [...]}}` (≤ 20)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from reconcile.platforms.urls import post_id_is_valid
from reconcile.sim.guard import api_call, failure, split_ids, store

bp = Blueprint("sim_tiktok", __name__)

MAX_IDS = 20
FIELDS = {"views": "view_count", "clicks": "like_count", "conversions": "share_count"}


def _bad(message: str) -> Any:
    return failure("tiktok", 400, "invalid_params", message)


def _video(video_id: str, fields: list[str]) -> dict[str, Any]:
    truth = store().truth("tiktok", video_id)
    video: dict[str, Any] = {"id": video_id}
    for metric, name in FIELDS.items():
        value = truth.get(metric)
        if name in fields and value is not None:
            video[name] = value
    return video


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
    videos = [_video(i, fields) for i in dict.fromkeys(ids) if post_id_is_valid("tiktok", i)]
    return {
        "data": {"videos": videos, "cursor": 0, "has_more": False},
        "error": {"code": "ok", "message": "", "log_id": "sim"},
    }
