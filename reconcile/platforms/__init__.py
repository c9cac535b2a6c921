"""Talk to the platforms: URL normalisation and one adapter per platform API.

Each adapter calls its platform's real API path below the platform's base URL
(`load_settings().platform_base_urls`), so the same adapter talks to the simulator in dev
and to the real host in production. The paths never collide, so one base URL can serve all:

| platform  | production base URL             | call (one per chunk)                       | chunk |
|-----------|---------------------------------|--------------------------------------------|-------|
| youtube   | https://www.googleapis.com      | GET /youtube/v3/videos?part=statistics&id= | 50    |
| x         | https://api.x.com               | GET /2/tweets?ids=&tweet.fields=...        | 100   |
| reddit    | https://oauth.reddit.com        | GET /api/info?id=t3_...                    | 100   |
| instagram | https://graph.facebook.com      | GET /v21.0/?ids=&fields=insights.metric()  | 50    |
| tiktok    | https://open.tiktokapis.com     | POST /v2/video/query/?fields=...           | 20    |

The metric-to-field mapping is documented in `reconcile.sim`. Adapters make exactly one
call per chunk and never retry: retries and the breaker belong to the caller.
"""

from __future__ import annotations

import os
import threading

from reconcile.config import Settings, load_settings
from reconcile.platforms.adapters import ADAPTERS, FetchResult, PlatformAdapter
from reconcile.platforms.urls import InvalidPostUrl, NormalisedUrl, host_belongs_to, normalise

_cache: dict[tuple[int, str, str, str | None, float], PlatformAdapter] = {}
_cache_lock = threading.Lock()


def get_adapter(
    platform: str, settings: Settings | None = None, *, timeout: float = 5.0
) -> PlatformAdapter:
    """Return this process's adapter for platform, configured from settings."""
    if platform not in ADAPTERS:
        raise ValueError(f"unknown platform {platform!r}")
    settings = settings or load_settings()
    base_url = settings.platform_base_urls[platform]
    # Keyed by pid so a forked worker never shares its parent's pooled connections.
    key = (os.getpid(), platform, base_url, settings.platform_api_token, timeout)
    with _cache_lock:
        if key not in _cache:
            _cache[key] = ADAPTERS[platform](
                base_url, timeout=timeout, token=settings.platform_api_token
            )
        return _cache[key]


__all__ = [
    "FetchResult",
    "InvalidPostUrl",
    "NormalisedUrl",
    "PlatformAdapter",
    "get_adapter",
    "host_belongs_to",
    "normalise",
]
