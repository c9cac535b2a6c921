"""Where a link code lands, without waiting on PostgreSQL on the redirect.

Three levels: this process's copy (kept LOCAL_SECONDS), Redis's hash of every link's
landing URL (written when a link is made and when its campaign's landing URL changes), and
the database, read only on a miss of both (and whenever Redis is down). A change of a
campaign's landing URL rewrites the Redis copy at once; the process copies follow within
LOCAL_SECONDS.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import cast

import redis
from sqlalchemy import select

from reconcile.locks import redis_client
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Campaign, TrackedLink

log = logging.getLogger("reconcile.tracking")

LANDING_KEY = "reconcile:links:landing"  # hash: code -> landing URL
LOCAL_SECONDS = 10.0
_LOCAL_MAX = 50_000

_local: dict[str, tuple[str, float]] = {}
_lock = threading.Lock()


def landing_for(code: str) -> str | None:
    """The landing URL of the link `code`, or None for an unknown code."""
    now = time.monotonic()
    held = _local.get(code)
    if held is not None and held[1] > now:
        return held[0]
    url = _from_redis(code)
    if url is None:
        url = _from_database(code)
        if url is None:
            return None
        remember(code, url)
    with _lock:
        if len(_local) >= _LOCAL_MAX:
            _local.clear()
        _local[code] = (url, now + LOCAL_SECONDS)
    return url


def _from_redis(code: str) -> str | None:
    try:
        raw = cast(bytes | None, redis_client().hget(LANDING_KEY, code))
    except redis.RedisError:
        return None
    return raw.decode() if raw else None


def _from_database(code: str) -> str | None:
    with unit_of_work() as uow:
        return uow.session.scalar(
            select(Campaign.landing_url).join(TrackedLink, TrackedLink.campaign_id == Campaign.id)
            .where(TrackedLink.code == code))


def remember(code: str, url: str) -> None:
    """Write the Redis copy of one link's landing URL (best effort: the database is the truth)."""
    try:
        redis_client().hset(LANDING_KEY, code, url)
    except redis.RedisError as exc:
        log.warning("Landing URL not cached", extra={"error_code": type(exc).__name__})


def campaign_changed(codes: list[str], url: str | None) -> None:
    """Rewrite (or drop) the Redis copy of every link of a campaign whose landing URL changed."""
    with _lock:
        for code in codes:
            _local.pop(code, None)
    if not codes:
        return
    try:
        pipe = redis_client().pipeline(transaction=False)
        for code in codes:
            if url:
                pipe.hset(LANDING_KEY, code, url)
            else:
                pipe.hdel(LANDING_KEY, code)
        pipe.execute()
    except redis.RedisError as exc:
        # The stale copy would outlive the change: say so loudly; it is rewritten on the
        # next change, and the redirect still lands on a page the advertiser had chosen.
        log.error("Landing URL copies not rewritten", extra={"error_code": type(exc).__name__})
