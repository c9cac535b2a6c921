"""TikTok Display API video query: POST a list of video ids, read data.videos.

A video object has no author field: the query runs with the creator's own token, and the
handle is the `@name` in the video's `share_url` (https://www.tiktok.com/@name/video/ID).
"""

from __future__ import annotations

import re
from typing import Any

import requests

from reconcile.platforms.adapters.base import (
    AUTH_ERROR,
    FETCH_ERROR,
    RATE_LIMITED,
    FetchResult,
    PlatformAdapter,
    Profile,
    failed,
)
from reconcile.platforms.adapters.parsing import (
    InvalidResponse,
    array,
    count,
    obj,
    post_id,
    text,
    timestamp,
)

FIELDS = ("id,create_time,share_url,title,video_description,view_count,like_count,"
          "comment_count,share_count")
# TikTok can report a failure inside a 200 answer, in error.code.
_ERROR_CODES = {
    "access_token_invalid": AUTH_ERROR,
    "scope_not_authorized": AUTH_ERROR,
    "rate_limit_exceeded": RATE_LIMITED,
}
_HANDLE = re.compile(r"/@([A-Za-z0-9_.]{1,64})/")


def _author(share_url: str | None) -> str | None:
    found = _HANDLE.search(share_url or "")
    return found.group(1) if found else None


def _video(video: dict[str, Any]) -> FetchResult:
    return FetchResult(
        views=count(video.get("view_count"), "view_count"),
        likes=count(video.get("like_count"), "like_count"),
        comments=count(video.get("comment_count"), "comment_count"),
        shares=count(video.get("share_count"), "share_count"),
        author=_author(text(video.get("share_url"), "share_url")),
        published_at=timestamp(count(video.get("create_time"), "create_time"), "create_time"),
        # The description is the caption; a photo post may carry a title instead.
        caption=text(video.get("video_description"), "video_description")
        or text(video.get("title"), "title"),
    )


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

    def _profile_request(self, handle: str) -> requests.Response:
        # The Research API's user info: any public account by username.
        return self.session.post(
            f"{self.base_url}/v2/research/user/info/",
            params={"fields": "username,display_name,bio_description"},
            json={"username": handle}, headers=self._headers(), timeout=self.timeout,
        )

    def _parse_profile(self, body: Any) -> Profile | None:
        body = obj(body, "body")
        code = obj(body.get("error", {"code": "ok"}), "error").get("code")
        if code != "ok":
            raise InvalidResponse(f"error {code}")
        user = obj(body.get("data"), "data")
        return Profile(handle=text(user.get("username"), "username"),
                       name=text(user.get("display_name"), "display_name"),
                       bio=text(user.get("bio_description"), "bio_description"))

    def _parse(self, body: Any, ids: list[str]) -> dict[str, FetchResult]:
        body = obj(body, "body")
        code = obj(body.get("error", {"code": "ok"}), "error").get("code")
        if code != "ok":
            return dict.fromkeys(ids, failed(_ERROR_CODES.get(str(code), FETCH_ERROR)))
        results = {}
        for item in array(obj(body.get("data"), "data").get("videos"), "videos"):
            video = obj(item, "video")
            results[post_id(video.get("id"), "video")] = _video(video)
        return results
