"""X API v2 post lookup (`GET /2/tweets`) with metrics and the author expanded.

Likes are `like_count`, comments `reply_count`, shares `retweet_count + quote_count`;
views are `impression_count`; link clicks are `non_public_metrics.url_link_clicks` (only
the author's own token sees them). The author is the `username` of the expanded user.
"""

from __future__ import annotations

from typing import Any

import requests

from reconcile.platforms.adapters.base import FetchResult, PlatformAdapter, Profile
from reconcile.platforms.adapters.parsing import (
    InvalidResponse,
    array,
    count,
    obj,
    post_id,
    text,
    timestamp,
)

TWEET_FIELDS = "created_at,author_id,text,public_metrics,non_public_metrics"


def _metrics(tweet: dict[str, Any], key: str) -> dict[str, Any]:
    return obj(tweet.get(key), key) if key in tweet else {}


def _usernames(body: dict[str, Any]) -> dict[str, str | None]:
    users = array(obj(body.get("includes", {}), "includes").get("users", []), "users")
    return {post_id(obj(u, "user").get("id"), "user"): text(u.get("username"), "username")
            for u in users}


def _shares(public: dict[str, Any]) -> int | None:
    retweets = count(public.get("retweet_count"), "retweet_count")
    quotes = count(public.get("quote_count"), "quote_count")
    return None if retweets is None and quotes is None else (retweets or 0) + (quotes or 0)


def _tweet(tweet: dict[str, Any], users: dict[str, str | None]) -> FetchResult:
    public = _metrics(tweet, "public_metrics")
    private = _metrics(tweet, "non_public_metrics")
    views = public.get("impression_count", private.get("impression_count"))
    author_id = tweet.get("author_id")
    return FetchResult(
        views=count(views, "impression_count"),
        likes=count(public.get("like_count"), "like_count"),
        comments=count(public.get("reply_count"), "reply_count"),
        shares=_shares(public),
        link_clicks=count(private.get("url_link_clicks"), "url_link_clicks"),
        author=users.get(str(author_id)) if author_id is not None else None,
        published_at=timestamp(tweet.get("created_at"), "created_at"),
        caption=text(tweet.get("text"), "text"),
    )


class XAdapter(PlatformAdapter):
    name = "x"
    batch_size = 100

    def _request(self, ids: list[str]) -> requests.Response:
        params = {"ids": ",".join(ids), "tweet.fields": TWEET_FIELDS,
                  "expansions": "author_id", "user.fields": "username"}
        return self._get("/2/tweets", params)

    def _profile_request(self, handle: str) -> requests.Response:
        return self._get(f"/2/users/by/username/{handle}", {"user.fields": "description"})

    def _parse_profile(self, body: Any) -> Profile | None:
        body = obj(body, "body")
        if "data" not in body:
            if "errors" in body:
                return None  # the real API answers 200 with errors for an unknown name
            raise InvalidResponse("neither data nor errors")
        user = obj(body["data"], "data")
        return Profile(handle=text(user.get("username"), "username"),
                       name=text(user.get("name"), "name"),
                       bio=text(user.get("description"), "description"))

    def _parse(self, body: Any, ids: list[str]) -> dict[str, FetchResult]:
        body = obj(body, "body")
        # Nothing found: the real API sends only "errors", one per missing id.
        if "data" not in body and "errors" not in body:
            raise InvalidResponse("neither data nor errors")
        users = _usernames(body)
        return {post_id(obj(item, "tweet").get("id"), "tweet"): _tweet(item, users)
                for item in array(body.get("data", []), "data")}
