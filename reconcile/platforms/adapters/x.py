"""X API v2 post lookup with public and non-public metrics."""

from __future__ import annotations

from typing import Any

import requests

from reconcile.platforms.adapters.base import FetchResult, PlatformAdapter
from reconcile.platforms.adapters.parsing import InvalidResponse, array, count, obj, post_id


def _metrics(tweet: dict[str, Any], key: str) -> dict[str, Any]:
    return obj(tweet.get(key), key) if key in tweet else {}


class XAdapter(PlatformAdapter):
    name = "x"
    batch_size = 100

    def _request(self, ids: list[str]) -> requests.Response:
        params = {"ids": ",".join(ids), "tweet.fields": "public_metrics,non_public_metrics"}
        return self._get("/2/tweets", params)

    def _parse(self, body: Any, ids: list[str]) -> dict[str, FetchResult]:
        body = obj(body, "body")
        # Nothing found: the real API sends only "errors", one per missing id.
        if "data" not in body and "errors" not in body:
            raise InvalidResponse("neither data nor errors")
        results = {}
        for item in array(body.get("data", []), "data"):
            tweet = obj(item, "tweet")
            public = _metrics(tweet, "public_metrics")
            private = _metrics(tweet, "non_public_metrics")
            views = public.get("impression_count", private.get("impression_count"))
            results[post_id(tweet.get("id"), "tweet")] = FetchResult(
                views=count(views, "impression_count"),
                clicks=count(private.get("url_link_clicks"), "url_link_clicks"),
                conversions=count(private.get("user_profile_clicks"), "user_profile_clicks"),
            )
        return results
