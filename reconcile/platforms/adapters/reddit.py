"""Reddit link look-up by fullname (`/api/info`), answering a Listing of t3 things."""

from __future__ import annotations

from typing import Any

import requests

from reconcile.platforms.adapters.base import FetchResult, PlatformAdapter
from reconcile.platforms.adapters.parsing import InvalidResponse, array, count, obj, post_id


class RedditAdapter(PlatformAdapter):
    name = "reddit"
    batch_size = 100

    def _request(self, ids: list[str]) -> requests.Response:
        params = {"id": ",".join(f"t3_{i}" for i in ids), "raw_json": "1"}
        return self._get("/api/info", params)

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
            results[post_id(link.get("id"), "link")] = FetchResult(
                views=count(link.get("view_count"), "view_count"),
                clicks=count(link.get("ups"), "ups"),
                conversions=count(link.get("num_comments"), "num_comments"),
            )
        return results
