"""YouTube Data API v3 `videos.list`, part=snippet,statistics (counts are decimal strings).

The API reports no shares (`shares` stays None) and no link clicks.
"""

from __future__ import annotations

from typing import Any

import requests

from reconcile.platforms.adapters.base import FetchResult, PlatformAdapter, Profile
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

    def _profile_request(self, handle: str) -> requests.Response:
        return self._get("/youtube/v3/channels", {"part": "snippet", "forHandle": f"@{handle}"})

    def _parse_profile(self, body: Any) -> Profile | None:
        items = array(obj(body, "body").get("items", []), "items")
        if not items:
            return None  # an unknown handle is an empty list, not a 404
        snippet = obj(obj(items[0], "item").get("snippet"), "snippet")
        custom = text(snippet.get("customUrl"), "customUrl")
        return Profile(handle=custom.lstrip("@") if custom else None,
                       name=text(snippet.get("title"), "title"),
                       bio=text(snippet.get("description"), "description"))

    def _parse(self, body: Any, ids: list[str]) -> dict[str, FetchResult]:
        results = {}
        for item in array(obj(body, "body").get("items"), "items"):
            video = obj(item, "item")
            results[post_id(video.get("id"), "item")] = _video(video)
        return results
