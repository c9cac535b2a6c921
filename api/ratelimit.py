"""Per-key rate limits in Redis, shared by every API process (sliding windows).

A caller with a valid key is counted by user (one key per user, so rotating the key does
not reset the count); a request without a valid key, by client address. Every /api/v1
response carries X-RateLimit-Limit, -Remaining and -Reset (seconds until the oldest
counted request leaves the window, i.e. until a refused caller may try again). If Redis
is unreachable the request is let through without the headers: a limiter outage must not
take the API down with it. /healthz, /readyz and other routes outside /api/v1 are not
limited (probes call them constantly).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flask import Flask, Response, current_app, g, request
from redis.exceptions import RedisError

from reconcile.bootstrap import active_rules
from reconcile.errors import RateLimited
from reconcile.locks import redis_client
from reconcile.rules import RateLimitRules, rules_from_mapping
from reconcile.services.intake.quotas import WINDOW_SECONDS, limit_for, trust_bucket
from reconcile.services.principal import Principal

log = logging.getLogger("reconcile.api.ratelimit")


@dataclass(frozen=True)
class Quota:
    limit: int
    remaining: int
    reset_at: float
    allowed: bool


def rules() -> RateLimitRules:
    """The limits in force: the rules file's, or RATE_LIMITS from the app config (tests)."""
    override = current_app.config.get("RATE_LIMITS")
    if override:
        return _overridden(tuple(sorted(override.items())))
    return active_rules().rate_limits


@lru_cache(maxsize=8)
def _overridden(items: tuple[tuple[str, int], ...]) -> RateLimitRules:
    return rules_from_mapping({"rate_limits": dict(items)}).rate_limits


# A sliding log per caller and kind: exact over any window, with no boundary at which
# a fresh fixed window would let a burst of twice the limit through.
_TAKE = """
local key, now, window, limit = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
local allowed = 0
if count < limit then
  redis.call('ZADD', key, now, ARGV[4])
  count = count + 1
  allowed = 1
end
redis.call('EXPIRE', key, math.ceil(window) + 1)
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2] or ARGV[1]
local reads = {}
for i = 2, #KEYS do
  reads[i - 1] = redis.call(ARGV[i + 3], KEYS[i])
end
return {allowed, count, oldest, reads}
"""

# What a request may read beside its count, in the same round trip: (command, key).
Read = tuple[str, str]
_READ_COMMANDS = ("GET", "LLEN")


@lru_cache(maxsize=8)
def _script(client: Any) -> Any:
    return client.register_script(_TAKE)  # sent by its hash (EVALSHA), loaded on a miss


def _take(subject: str, kind: str, limit: int,
          reads: Sequence[Read] = ()) -> tuple[Quota | None, list[Any] | None]:
    """Count the request; return its quota (None: Redis unavailable) and, read in the same
    round trip, the answers to `reads` (None with the quota)."""
    assert all(command in _READ_COMMANDS for command, _ in reads)
    window = WINDOW_SECONDS[kind]
    now = time.time()
    keys = [f"reconcile:ratelimit:{kind}:{subject}", *(key for _, key in reads)]
    args = [repr(now), str(window), str(limit), uuid.uuid4().hex, *(c for c, _ in reads)]
    try:
        reply: Any = _script(redis_client())(keys=keys, args=args)
        allowed, count, oldest, answers = reply
    except (RedisError, OSError) as exc:
        log.warning("Rate limiter unavailable; request let through",
                    extra={"error_code": type(exc).__name__})
        return None, None
    quota = Quota(limit, max(0, limit - int(count)), float(oldest) + window, bool(allowed))
    # Lua drops trailing nils from a table: a GET of a missing key at the end comes back short.
    return quota, [*answers, *([None] * (len(reads) - len(answers)))]


def _enforce(quota: Quota | None) -> None:
    g.quota = quota
    if quota is not None and not quota.allowed:
        wait = int(quota.reset_at - time.time()) + 1
        raise RateLimited(f"rate limit of {quota.limit} per window reached; retry in {wait}s",
                          retry_after=wait)


def take(principal: Principal, kind: str,
         reads: Sequence[Read] = ()) -> tuple[Quota | None, list[Any] | None]:
    """Count one request of `kind` for the caller, without refusing it yet (enforce does);
    also answer `reads` in the same round trip (see _take)."""
    limits = rules()
    bucket = trust_bucket(principal, active_rules().trust) if kind == "submissions" else None
    return _take(f"user:{principal.user_id}", kind, limit_for(kind, limits, bucket), reads)


def enforce(quota: Quota | None) -> None:
    """429 if the request counted by take is over the caller's quota."""
    _enforce(quota)


def charge_anonymous() -> None:
    """Count a request without a valid key against its client address."""
    if "quota" in g:
        return
    _enforce(_take(f"ip:{request.remote_addr or 'unknown'}", "default",
                   rules().default_per_hour)[0])


def add_headers(response: Response) -> Response:
    quota = g.get("quota")
    if quota is not None:
        response.headers["X-RateLimit-Limit"] = str(quota.limit)
        response.headers["X-RateLimit-Remaining"] = str(quota.remaining)
        response.headers["X-RateLimit-Reset"] = str(max(0, int(quota.reset_at - time.time())))
    return response


def register(app: Flask) -> None:
    """Charge /api/v1 requests that no `require` will (public routes, unknown paths) to
    their address, and put the quota headers on every /api/v1 response."""

    @app.before_request
    def _public() -> None:
        view = app.view_functions.get(request.endpoint or "")
        if request.path.startswith("/api/v1") and not hasattr(view, "required_roles"):
            charge_anonymous()

    @app.after_request
    def _headers(response: Response) -> Response:
        return add_headers(response)
