"""YouTube Data API v3 video statistics (counts are decimal strings)."""

from __future__ import annotations

from typing import Any

import requests

from reconcile.platforms.adapters.base import FetchResult, PlatformAdapter
from reconcile.platforms.adapters.parsing import array, count, obj, post_id


class YouTubeAdapter(PlatformAdapter):
    name = "youtube"
    batch_size = 50

    def _request(self, ids: list[str]) -> requests.Response:
        params = {"part": "statistics", "id": ",".join(ids), "maxResults": str(len(ids))}
        return self._get("/youtube/v3/videos", params)

    def _parse(self, body: Any, ids: list[str]) -> dict[str, FetchResult]:
        results = {}
        for item in array(obj(body, "body").get("items"), "items"):
            video = obj(item, "item")
            stats = obj(video.get("statistics"), "statistics")
            results[post_id(video.get("id"), "item")] = FetchResult(
                views=count(stats.get("viewCount"), "viewCount"),
                clicks=count(stats.get("likeCount"), "likeCount"),
                conversions=count(stats.get("commentCount"), "commentCount"),
            )
        return results
