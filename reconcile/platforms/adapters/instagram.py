"""Instagram Graph API media fields and insights, batched with `?ids=`.

Media fields give likes, comments, time, caption and the author's username; lifetime
insights give views, shares and `website_clicks`. The real Graph API reports
`website_clicks` only as an account insight (`/{ig-user-id}/insights`), not per media;
the simulator serves it per media, and docs/sources.md says what that means for a campaign
whose clicks source is `platform`.
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
    text,
    timestamp,
)

GRAPH_VERSION = "v21.0"
INSIGHTS = ("views", "shares", "website_clicks")
FIELDS = "id,username,timestamp,caption,like_count,comments_count"


def _insights(media: dict[str, Any]) -> dict[str, int | None]:
    values: dict[str, int | None] = dict.fromkeys(INSIGHTS)
    entries = obj(media.get("insights", {"data": []}), "insights").get("data")
    for item in array(entries, "insights.data"):
        entry = obj(item, "insight")
        name = entry.get("name")
        if name in values:
            points = array(entry.get("values"), f"{name}.values")
            if len(points) != 1:
                raise InvalidResponse(f"{name} has {len(points)} lifetime values")
            values[name] = count(obj(points[0], f"{name} value").get("value"), str(name))
    return values


def _media(media: dict[str, Any]) -> FetchResult:
    insights = _insights(media)
    return FetchResult(
        views=insights["views"],
        likes=count(media.get("like_count"), "like_count"),
        comments=count(media.get("comments_count"), "comments_count"),
        shares=insights["shares"],
        link_clicks=insights["website_clicks"],
        author=text(media.get("username"), "username"),
        published_at=timestamp(media.get("timestamp"), "timestamp"),
        caption=text(media.get("caption"), "caption"),
    )


class InstagramAdapter(PlatformAdapter):
    name = "instagram"
    batch_size = 50

    def _request(self, ids: list[str]) -> requests.Response:
        fields = f"{FIELDS},insights.metric({','.join(INSIGHTS)})"
        return self._get(f"/{GRAPH_VERSION}/", {"ids": ",".join(ids), "fields": fields})

    def _profile_request(self, handle: str) -> requests.Response:
        # Business discovery: another professional account's public fields, asked through
        # our own account ("me").
        fields = f"business_discovery.username({handle}){{username,name,biography}}"
        return self._get(f"/{GRAPH_VERSION}/me", {"fields": fields})

    def _profile_unknown(self, response: requests.Response) -> bool:
        # Business discovery answers 400 with error code 110 ("Invalid user id") for a
        # username no professional account has.
        if response.status_code != 400:
            return False
        try:
            error = response.json().get("error") or {}
        except ValueError:
            return False
        return isinstance(error, dict) and error.get("code") == 110

    def _parse_profile(self, body: Any) -> Profile | None:
        found = obj(obj(body, "body").get("business_discovery"), "business_discovery")
        return Profile(handle=text(found.get("username"), "username"),
                       name=text(found.get("name"), "name"),
                       bio=text(found.get("biography"), "biography"))

    def _parse(self, body: Any, ids: list[str]) -> dict[str, FetchResult]:
        return {media_id: _media(obj(media, media_id))
                for media_id, media in obj(body, "body").items()}
