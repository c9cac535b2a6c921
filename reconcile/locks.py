"""Pool-wide locks in Redis, so periodic work runs once however many beats or workers exist."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import redis

from reconcile.config import current_redis_url
from reconcile.redis_clients import connect

log = logging.getLogger("reconcile.locks")


def redis_client() -> redis.Redis:
    """Return this process's Redis client (timeouts and fail-fast: see redis_clients)."""
    return connect(current_redis_url())


# Delete the key only while it still holds our token: a lock that expired and was taken by
# another process is theirs now.
_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end"


def release(client: redis.Redis, key: str, token: str) -> None:
    """Release a token lock we hold, leaving it alone if it is no longer ours."""
    client.eval(_RELEASE, 1, key, token)


@contextmanager
def held(name: str, ttl_seconds: int) -> Iterator[bool]:
    """Try to take the lock; yield whether we hold it. The TTL frees it if we die.

    While Redis does not answer, nobody holds it (the periodic work waits for its next
    run); a release that fails is left to the TTL.
    """
    client = redis_client()
    token = uuid.uuid4().hex
    key = f"reconcile:lock:{name}"
    try:
        acquired = bool(client.set(key, token, nx=True, ex=ttl_seconds))
    except redis.RedisError as exc:
        log.warning("Lock not taken, Redis is not answering", extra={"error_code": str(exc)})
        acquired = False
    try:
        yield acquired
    finally:
        if acquired:
            try:
                release(client, key, token)
            except redis.RedisError as exc:
                log.warning("Lock not released, its TTL will free it",
                            extra={"error_code": str(exc)})
