"""TikTok video query: POST a list of video ids, read counts from data.videos."""

from __future__ import annotations

from typing import Any

import requests

from reconcile.platforms.adapters.base import (
    AUTH_ERROR,
    FETCH_ERROR,
    RATE_LIMITED,
    FetchResult,
    PlatformAdapter,
    failed,
)
from reconcile.platforms.adapters.parsing import array, count, obj, post_id

FIELDS = "id,view_count,like_count,share_count"
# TikTok can report a failure inside a 200 answer, in error.code.
_ERROR_CODES = {
    "access_token_invalid": AUTH_ERROR,
    "scope_not_authorized": AUTH_ERROR,
    "rate_limit_exceeded": RATE_LIMITED,
}


class TikTokAdapter(PlatformAdapter):
    name = "tiktok"
    batch_size = 20

    def _request(self, ids: list[str]) -> requests.Response:
        return self.session.post(
            f"{self.base_url}/v2/video/query/",
            params={"fields": FIELDS},
            json={"filters": {"video_ids": ids}, "max_count": len(ids)},
            headers=self._headers(),
            timeout=self.timeout,
        )

    def _parse(self, body: Any, ids: list[str]) -> dict[str, FetchResult]:
        body = obj(body, "body")
        code = obj(body.get("error", {"code": "ok"}), "error").get("code")
        if code != "ok":
            return dict.fromkeys(ids, failed(_ERROR_CODES.get(str(code), FETCH_ERROR)))
        results = {}
        for item in array(obj(body.get("data"), "data").get("videos"), "videos"):
            video = obj(item, "video")
            results[post_id(video.get("id"), "video")] = FetchResult(
                views=count(video.get("view_count"), "view_count"),
                clicks=count(video.get("like_count"), "like_count"),
                conversions=count(video.get("share_count"), "share_count"),
            )
        return results
