"""YouTube Data API v3 `videos.list`, part=snippet,statistics (counts are decimal strings).

The API reports no shares (`shares` stays None) and no link clicks.
"""

from __future__ import annotations

from typing import Any

import requests

from reconcile.platforms.adapters.base import FetchResult, PlatformAdapter
from reconcile.platforms.adapters.parsing import array, count, joined, obj, post_id, text, timestamp


def _video(video: dict[str, Any]) -> FetchResult:
    stats = obj(video.get("statistics"), "statistics")
    snippet = obj(video.get("snippet", {}), "snippet")
    return FetchResult(
        views=count(stats.get("viewCount"), "viewCount"),
        likes=count(stats.get("likeCount"), "likeCount"),
        comments=count(stats.get("commentCount"), "commentCount"),
        # The channel's title: the name its handle is verified against (a later issue).
        author=text(snippet.get("channelTitle"), "channelTitle"),
        published_at=timestamp(snippet.get("publishedAt"), "publishedAt"),
        caption=joined(text(snippet.get("title"), "title"),
                       text(snippet.get("description"), "description")),
    )


class YouTubeAdapter(PlatformAdapter):
    name = "youtube"
    batch_size = 50

    def _request(self, ids: list[str]) -> requests.Response:
        params = {"part": "snippet,statistics", "id": ",".join(ids),
                  "maxResults": str(len(ids))}
        return self._get("/youtube/v3/videos", params)

    def _parse(self, body: Any, ids: list[str]) -> dict[str, FetchResult]:
        results = {}
        for item in array(obj(body, "body").get("items"), "items"):
            video = obj(item, "item")
            results[post_id(video.get("id"), "item")] = _video(video)
        return results
