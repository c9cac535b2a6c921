"""Instagram Graph API media insights, batched with `?ids=`."""

from __future__ import annotations

from typing import Any

import requests

from reconcile.platforms.adapters.base import FetchResult, PlatformAdapter
from reconcile.platforms.adapters.parsing import InvalidResponse, array, count, obj

GRAPH_VERSION = "v21.0"
METRICS = {"views": "views", "clicks": "profile_visits", "conversions": "follows"}


def _insights(media: dict[str, Any]) -> dict[str, int | None]:
    values: dict[str, int | None] = dict.fromkeys(METRICS.values())
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


class InstagramAdapter(PlatformAdapter):
    name = "instagram"
    batch_size = 50

    def _request(self, ids: list[str]) -> requests.Response:
        metrics = ",".join(METRICS.values())
        params = {"ids": ",".join(ids), "fields": f"insights.metric({metrics})"}
        return self._get(f"/{GRAPH_VERSION}/", params)

    def _parse(self, body: Any, ids: list[str]) -> dict[str, FetchResult]:
        results = {}
        for media_id, media in obj(body, "body").items():
            values = _insights(obj(media, media_id))
            results[media_id] = FetchResult(
                views=values[METRICS["views"]],
                clicks=values[METRICS["clicks"]],
                conversions=values[METRICS["conversions"]],
            )
        return results
