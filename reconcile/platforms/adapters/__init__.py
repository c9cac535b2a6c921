"""One adapter per platform, all behind the PlatformAdapter interface."""

from __future__ import annotations

from reconcile.platforms.adapters.base import FetchResult, PlatformAdapter, make_session
from reconcile.platforms.adapters.instagram import InstagramAdapter
from reconcile.platforms.adapters.reddit import RedditAdapter
from reconcile.platforms.adapters.tiktok import TikTokAdapter
from reconcile.platforms.adapters.x import XAdapter
from reconcile.platforms.adapters.youtube import YouTubeAdapter

ADAPTERS: dict[str, type[PlatformAdapter]] = {
    cls.name: cls
    for cls in (RedditAdapter, InstagramAdapter, TikTokAdapter, YouTubeAdapter, XAdapter)
}

__all__ = [
    "ADAPTERS",
    "FetchResult",
    "InstagramAdapter",
    "PlatformAdapter",
    "RedditAdapter",
    "TikTokAdapter",
    "XAdapter",
    "YouTubeAdapter",
    "make_session",
]
