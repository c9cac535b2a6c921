"""The cluster's platform simulator, driven through its control routes."""

from __future__ import annotations

from typing import Any

import requests


class Simulator:
    def __init__(self, url: str) -> None:
        self.url = url

    def fault(self, platform: str, mode: str = "none", **extra: Any) -> None:
        """Set a fault (`mode="none"` with `latency_ms` only slows the answers down)."""
        body = {"platform": platform, "mode": mode, **extra}
        requests.put(f"{self.url}/_sim/faults", json=body, timeout=5).raise_for_status()

    def post(self, platform: str, url: str, metrics: tuple[int, int, int],
             omit: list[str] | None = None) -> None:
        """Set what the platform reports for one post."""
        views, clicks, conversions = metrics
        body = {"platform": platform, "url": url, "views": views, "clicks": clicks,
                "conversions": conversions, "omit": omit or []}
        requests.put(f"{self.url}/_sim/posts", json=body, timeout=5).raise_for_status()

    def calls(self, platform: str) -> int:
        """Return how many API calls the platform has had so far."""
        return int(requests.get(f"{self.url}/_sim/calls", timeout=5).json().get(platform, 0))
