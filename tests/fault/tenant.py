"""A client, a campaign and affiliates seeded over the cluster's HTTP API, and submissions."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import requests

from tests.conftest import unique, unique_video_id
from tests.fault.cluster import Cluster

Claim = tuple[int, int, int]


@dataclass(frozen=True)
class Answer:
    """One submission as the API answered it (status 0: no HTTP answer at all)."""

    url: str
    status: int
    body: dict[str, Any]
    at: float


@dataclass
class Tenant:
    cluster: Cluster
    admin_key: str
    campaign_id: int = 0
    affiliates: list[dict[str, Any]] = field(default_factory=list)
    _local: threading.local = field(default_factory=threading.local)

    def _session(self) -> requests.Session:
        if not hasattr(self._local, "session"):
            self._local.session = requests.Session()
        return self._local.session

    def call(self, method: str, path: str, key: str, **kwargs: Any) -> requests.Response:
        return self._session().request(
            method, f"{self.cluster.api_url}/api/v1{path}", timeout=30,
            headers={"Authorization": f"Bearer {key}"}, **kwargs,
        )

    def _created(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        resp = self.call("POST", path, self.admin_key, json=body)
        assert resp.status_code == 201, resp.text
        return dict(resp.json())

    def seed(self, affiliates: int) -> Tenant:
        client = self._created("/clients", {"name": unique("client")})
        self.campaign_id = self._created("/campaigns", {
            "name": unique("campaign"), "client_id": client["id"], "platforms": ["youtube"],
        })["id"]
        self.affiliates = [
            self._created("/users", {"role": "AFFILIATE", "name": "Affiliate",
                                     "email": f"{unique('aff')}@example.com"})
            for _ in range(affiliates)
        ]
        return self

    def submit(self, affiliate: dict[str, Any], url: str, claim: Claim) -> Answer:
        views, clicks, conversions = claim
        body = {"campaign_id": self.campaign_id, "platform": "youtube", "url": url,
                "claimed_views": views, "claimed_clicks": clicks,
                "claimed_conversions": conversions}
        try:
            resp = self.call("POST", "/submissions", affiliate["api_key"], json=body)
        except requests.RequestException as exc:
            return Answer(url, 0, {"error": str(exc)}, time.time())
        payload = resp.json() if resp.content else {}
        return Answer(url, resp.status_code, payload, time.time())

    def submit_many(self, claims: Iterable[tuple[str, Claim]], threads: int = 4) -> list[Answer]:
        """Submit (url, claim) pairs round-robin over the affiliates, `threads` at a time."""
        jobs = [(self.affiliates[i % len(self.affiliates)], url, claim)
                for i, (url, claim) in enumerate(claims)]
        with ThreadPoolExecutor(threads) as pool:
            return list(pool.map(lambda job: self.submit(*job), jobs))

    def new_url(self) -> str:
        return f"https://www.youtube.com/watch?v={unique_video_id()}"


def seeded(cluster: Cluster, affiliates: int = 1) -> Tenant:
    return Tenant(cluster, cluster.admin_key(f"{unique('admin')}@example.com")).seed(affiliates)
