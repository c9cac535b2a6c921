"""Every Redis client of the system (Celery's broker connection aside): timeouts and fail-fast.

A Redis that is stopped refuses connections at once; a hung one (SIGSTOP, a dropped network
path, a stalled failover) accepts them and never answers. So every client has a connect
and a read timeout, and once a call of this process has timed out or been refused, the
process leaves that Redis alone for COOL_DOWN_SECONDS: calls fail at once with
`redis.ConnectionError`, which every caller already handles (the rate limiter and intake
check let the request through, metrics are dropped, the dispatcher leaves the job to the
sweep). A hung Redis then costs one call per process a timeout, not every request one,
which would pile requests up behind the API's few threads.
"""

from __future__ import annotations

import threading
import time
from functools import lru_cache
from typing import Any, cast

import redis
from redis.backoff import NoBackoff
from redis.client import Pipeline
from redis.retry import Retry

from reconcile.config import redis_client_url

# Long enough to spare a hung Redis a call per request, short enough that a Redis back
# from an outage is used again almost at once.
COOL_DOWN_SECONDS = 2.0
# Redis answers in well under a millisecond; a second is "not answering", even on a busy
# machine, and keeps a request that meets a hung Redis within the few seconds promised.
TIMEOUT_SECONDS = 1.0

_lock = threading.Lock()
_resting_until: dict[str, float] = {}  # by redis-py URL


def available(url: str) -> bool:
    """Tell whether this process may call the Redis at url (no recent timeout or refusal)."""
    return time.monotonic() >= _resting_until.get(redis_client_url(url), 0.0)


def note_failure(url: str) -> None:
    """Record that the Redis at url did not answer: leave it for COOL_DOWN_SECONDS."""
    with _lock:
        _resting_until[redis_client_url(url)] = time.monotonic() + COOL_DOWN_SECONDS


def _resting() -> redis.ConnectionError:
    return redis.ConnectionError("Redis did not answer a moment ago; not calling it yet")


class _FailFastPipeline(Pipeline):
    url = ""

    def execute(self, raise_on_error: bool = True) -> list[Any]:
        if not available(self.url):
            self.reset()
            raise _resting()
        try:
            return super().execute(raise_on_error)
        except (redis.ConnectionError, redis.TimeoutError):
            note_failure(self.url)
            raise


class FailFastRedis(redis.Redis):
    """A client that fails at once while its Redis rests after a failure (see the module)."""

    url = ""  # set by connect()

    def execute_command(self, *args: Any, **options: Any) -> Any:
        if not available(self.url):
            raise _resting()
        try:
            return super().execute_command(*args, **options)
        except (redis.ConnectionError, redis.TimeoutError):
            note_failure(self.url)
            raise

    def pipeline(self, transaction: bool = True, shard_hint: Any = None) -> Pipeline:
        pipe = _FailFastPipeline(self.connection_pool, self.response_callbacks, transaction,
                                 shard_hint)
        pipe.url = self.url
        return pipe


@lru_cache(maxsize=8)
def connect(url: str, timeout: float = TIMEOUT_SECONDS) -> FailFastRedis:
    """Return this process's client for url (any accepted REDIS_URL form), made once."""
    client = cast(FailFastRedis, FailFastRedis.from_url(
        redis_client_url(url), socket_timeout=timeout, socket_connect_timeout=timeout,
        # Once, at once, and only for a refused or broken connection: a pooled connection
        # that died with a restarted Redis is replaced instead of failing the command. Not
        # for a timeout, which would only double the wait on a hung Redis.
        retry=Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,)),
    ))
    client.url = redis_client_url(url)
    return client
