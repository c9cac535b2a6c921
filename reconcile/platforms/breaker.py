"""One circuit breaker per platform, its state in Redis so every worker process shares it.

pybreaker keeps the state (closed / open / half-open), the failure count and when it
opened. Two gaps are closed here:

- pybreaker lets every caller that finds the reset timeout elapsed make a trial call; here
  only the holder of a short Redis lock (`...:probe`, SET NX with a TTL) may, so the whole
  pool sends at most one half-open probe per platform at a time. The others are refused.
- pybreaker's `opened_at` moves with every failed probe; the start of the outage (`...:down`)
  is kept apart, so R5 can tell how long the platform has been down.
"""

from __future__ import annotations

import logging
import math
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar, cast

import pybreaker
import redis

from reconcile.bootstrap import active_rules
from reconcile.locks import redis_client, release
from reconcile.observability import events as observe

log = logging.getLogger("reconcile.platforms.breaker")

T = TypeVar("T")
CLOSED, OPEN, HALF_OPEN = pybreaker.STATE_CLOSED, pybreaker.STATE_OPEN, pybreaker.STATE_HALF_OPEN


class CircuitOpen(Exception):
    """The platform's breaker refused the call; it may be tried again at reopen_at."""

    def __init__(self, platform: str, reopen_at: datetime) -> None:
        super().__init__(f"{platform} circuit open until {reopen_at.isoformat()}")
        self.platform, self.reopen_at = platform, reopen_at


class _Failed(Exception):
    """Carries a failed call's answer through pybreaker, which counts only exceptions."""

    def __init__(self, answer: Any) -> None:
        super().__init__("platform call failed")
        self.answer = answer


@dataclass(frozen=True)
class Snapshot:
    platform: str
    state: str
    fail_counter: int
    opened_at: datetime | None
    down_since: datetime | None
    seconds_until_half_open: float | None


def _key(platform: str, name: str) -> str:
    return f"reconcile:breaker:{platform}:{name}"


_storages: dict[tuple[int, int, str], pybreaker.CircuitRedisStorage] = {}


def _storage(platform: str) -> pybreaker.CircuitRedisStorage:
    # One per process and client: pybreaker needs raw bytes (no decode_responses), which
    # is how reconcile.locks makes its clients; a forked child builds its own.
    client = redis_client()
    key = (os.getpid(), id(client), platform)
    if key not in _storages:
        _storages[key] = pybreaker.CircuitRedisStorage(
            CLOSED, client, namespace=f"reconcile:breaker:{platform}"
        )
    return _storages[key]


class _Watch(pybreaker.CircuitBreakerListener):
    """Refuse unprobed calls once the breaker has left closed; note outage start and end."""

    def __init__(self, platform: str, probing: bool) -> None:
        self.platform, self.probing = platform, probing

    def before_call(self, cb: pybreaker.CircuitBreaker, func: Any, *a: Any, **k: Any) -> None:
        if not self.probing and cb.current_state != CLOSED:
            raise CircuitOpen(self.platform, _reopen_at(self.platform))

    def state_change(self, cb: pybreaker.CircuitBreaker, old: Any, new: Any) -> None:
        observe.breaker_transition(self.platform, new.name)
        down = _key(self.platform, "down")
        try:
            if new.name == OPEN:
                # NX: a failed probe re-opens the breaker but does not restart the outage.
                redis_client().set(down, int(datetime.now(UTC).timestamp()), nx=True)
            elif new.name == CLOSED:
                redis_client().delete(down)
        except redis.RedisError as exc:
            log.warning("Breaker outage clock not updated", extra={"error_code": str(exc)})
        if new.name in (OPEN, CLOSED):
            log.log(logging.WARNING if new.name == OPEN else logging.INFO,
                    f"Platform breaker {new.name}", extra={"platform": self.platform})


def _breaker(platform: str, probing: bool) -> pybreaker.CircuitBreaker:
    # A fresh breaker per call: a long-lived one that notices another process's state
    # change resets the shared failure counter, letting the pool overshoot fail_max.
    rules = active_rules().breaker
    return pybreaker.CircuitBreaker(
        fail_max=rules.fail_max, reset_timeout=rules.reset_timeout_seconds,
        state_storage=_storage(platform), listeners=[_Watch(platform, probing)],
        name=platform, throw_new_error_on_trip=False,
    )


def _reopen_at(platform: str, now: datetime | None = None) -> datetime:
    """Return when the breaker may half-open (now, if it already may)."""
    now = now or datetime.now(UTC)
    reset = timedelta(seconds=active_rules().breaker.reset_timeout_seconds)
    opened = _storage(platform).opened_at
    return now + reset if opened is None else max(opened + reset, now)


def _take_probe(platform: str, ttl_seconds: float) -> str | None:
    token = uuid.uuid4().hex
    taken = redis_client().set(_key(platform, "probe"), token, nx=True,
                               px=max(1, int(ttl_seconds * 1000)))
    return token if taken else None


def call(platform: str, fn: Callable[[], T], failed: Callable[[T], bool],
         probe_ttl_seconds: float) -> T:
    """Run fn through the platform's breaker; raise CircuitOpen instead of calling it.

    `failed(answer)` says whether the answer counts as a platform failure. The probe lock
    outlives the slowest call (probe_ttl_seconds), so a dead prober never blocks the pool.
    """
    try:
        token = _admit(platform, probe_ttl_seconds)
    except redis.RedisError as exc:
        # Without Redis there is no shared state to consult: call rather than stall the pool.
        log.warning("Breaker unavailable; calling unguarded",
                    extra={"platform": platform, "error_code": str(exc)})
        return fn()
    try:
        return _through(_breaker(platform, probing=token is not None), platform, fn, failed)
    finally:
        if token is not None:
            release(redis_client(), _key(platform, "probe"), token)


def _admit(platform: str, probe_ttl_seconds: float) -> str | None:
    """Return None to call normally, a probe token to make the trial call; or refuse."""
    state = _storage(platform).state
    if state == CLOSED:
        return None
    now = datetime.now(UTC)
    reopen = _reopen_at(platform, now)
    if state == OPEN and reopen > now:
        raise CircuitOpen(platform, reopen)
    token = _take_probe(platform, probe_ttl_seconds)
    if token is None:  # another process's probe is in flight: come back after its verdict
        left = cast(int, redis_client().pttl(_key(platform, "probe")))
        raise CircuitOpen(platform, now + timedelta(milliseconds=max(int(left), 100)))
    return token


def _through(cb: pybreaker.CircuitBreaker, platform: str, fn: Callable[[], T],
             failed: Callable[[T], bool]) -> T:
    def guarded() -> T:
        answer = fn()
        if failed(answer):
            raise _Failed(answer)
        return answer

    try:
        return cb.call(guarded)
    except _Failed as exc:
        answer: T = exc.answer
        return answer
    except pybreaker.CircuitBreakerError:
        raise CircuitOpen(platform, _reopen_at(platform)) from None


def snapshot(platform: str, now: datetime | None = None) -> Snapshot:
    """Read the platform's breaker as the pool sees it."""
    now = now or datetime.now(UTC)
    storage = _storage(platform)
    state = storage.state
    opened = storage.opened_at if state != CLOSED else None
    down_raw = redis_client().get(_key(platform, "down")) if state != CLOSED else None
    down = datetime.fromtimestamp(int(cast(bytes, down_raw)), UTC) if down_raw else None
    left = None
    if opened is not None:
        reset = timedelta(seconds=active_rules().breaker.reset_timeout_seconds)
        left = max(0.0, math.ceil((opened + reset - now).total_seconds() * 10) / 10)
    return Snapshot(platform, state, storage.counter, opened, down, left)


def reset(platform: str) -> None:
    """Close the platform's breaker and forget its history (operators and tests)."""
    keys = [f"reconcile:breaker:{platform}:pybreaker:{k}"
            for k in ("state", "fail_counter", "success_counter", "opened_at")]
    redis_client().delete(*keys, _key(platform, "down"), _key(platform, "probe"))

