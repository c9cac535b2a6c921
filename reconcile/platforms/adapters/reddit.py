"""Reddit link look-up by fullname (`/api/info`), answering a Listing of t3 things.

`view_count` is read when present (Reddit shows it to a post's author and moderators; the
simulator always serves it). Reddit reports no shares and no link clicks; `ups` are likes.
"""

from __future__ import annotations

from typing import Any

import requests

from reconcile.platforms.adapters.base import FetchResult, PlatformAdapter, Profile
from reconcile.platforms.adapters.parsing import (
    InvalidResponse,
    array,
    count,
    joined,
    obj,
    post_id,
    text,
    timestamp,
)


def _link(link: dict[str, Any]) -> FetchResult:
    created = link.get("created_utc")
    if isinstance(created, bool) or not isinstance(created, int | float | None):
        raise InvalidResponse("created_utc is not a number")
    return FetchResult(
        views=count(link.get("view_count"), "view_count"),
        likes=count(link.get("ups"), "ups"),
        comments=count(link.get("num_comments"), "num_comments"),
        author=text(link.get("author"), "author"),
        published_at=timestamp(created, "created_utc"),
        caption=joined(text(link.get("title"), "title"), text(link.get("selftext"), "selftext")),
    )


class RedditAdapter(PlatformAdapter):
    name = "reddit"
    batch_size = 100

    def _request(self, ids: list[str]) -> requests.Response:
        params = {"id": ",".join(f"t3_{i}" for i in ids), "raw_json": "1"}
        return self._get("/api/info", params)

    def _profile_request(self, handle: str) -> requests.Response:
        return self._get(f"/user/{handle}/about", {"raw_json": "1"})

    def _parse_profile(self, body: Any) -> Profile | None:
        # A t2 (account); the bio is its profile subreddit's public_description.
        thing = obj(body, "body")
        if thing.get("kind") != "t2":
            raise InvalidResponse("body is not an account")
        data = obj(thing.get("data"), "data")
        sub = obj(data.get("subreddit") or {}, "subreddit")
        return Profile(handle=text(data.get("name"), "name"),
                       name=text(sub.get("title"), "title"),
                       bio=text(sub.get("public_description"), "public_description"))

    def _parse(self, body: Any, ids: list[str]) -> dict[str, FetchResult]:
        listing = obj(body, "body")
        if listing.get("kind") != "Listing":
            raise InvalidResponse("body is not a Listing")
        results = {}
        for child in array(obj(listing.get("data"), "data").get("children"), "children"):
            thing = obj(child, "child")
            if thing.get("kind") != "t3":
                raise InvalidResponse("child is not a link")
            link = obj(thing.get("data"), "child data")
            results[post_id(link.get("id"), "link")] = _link(link)
        return results
