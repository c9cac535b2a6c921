"""Fetch posts' platform truth, retrying transient failures inside the attempt."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime

from reconcile.bootstrap import active_rules
from reconcile.platforms import breaker
from reconcile.platforms.adapters import FetchResult, PlatformAdapter

log = logging.getLogger("reconcile.platforms.fetcher")

# Worth another try inside the same attempt; the rest will not change in a second.
TRANSIENT = frozenset({"fetch_error", "timeout"})
# What the breaker counts against the platform.
PLATFORM_FAILURES = TRANSIENT


@dataclass(frozen=True)
class FetchOutcome:
    """What the platform reported for one post: its counts by name (views, likes, comments,
    shares, link_clicks) and the post's author, time and caption; or why it reported none."""

    metrics: dict[str, int | None] = field(default_factory=dict)
    missing_reason: str | None = None
    retry_after: float | None = None
    deferred: bool = False
    reopen_at: datetime | None = None
    author: str | None = None
    published_at: datetime | None = None
    caption: str | None = None

    @classmethod
    def deferred_for(cls, reason: str, reopen_at: datetime | None = None) -> FetchOutcome:
        return cls(missing_reason=reason, deferred=True, reopen_at=reopen_at)

    @classmethod
    def from_result(cls, result: FetchResult) -> FetchOutcome:
        if result.missing_reason is not None:
            return cls(missing_reason=result.missing_reason, retry_after=result.retry_after)
        return cls(metrics=result.counts(), author=result.author,
                   published_at=result.published_at, caption=result.caption)


def fetch_truth(platform: str, post_id: str) -> FetchOutcome:
    """Ask the platform for one post's metrics."""
    return fetch_truth_many(platform, [post_id])[post_id]


def fetch_truth_grouped(
    groups: Mapping[str, Sequence[str]],
    fetch: Callable[[str, Sequence[str]], dict[str, FetchOutcome]] | None = None,
) -> dict[str, dict[str, FetchOutcome]]:
    """Fetch several platforms' posts at once: one thread per platform, so a batch waits
    for its slowest platform rather than for the sum of them (each platform still gets its
    own breaker, chunks and retries)."""
    fetch = fetch or fetch_truth_many
    if len(groups) <= 1:
        return {platform: fetch(platform, ids) for platform, ids in groups.items()}
    with ThreadPoolExecutor(max_workers=len(groups), thread_name_prefix="fetch") as pool:
        futures = {platform: pool.submit(fetch, platform, ids)
                   for platform, ids in groups.items()}
        return {platform: future.result() for platform, future in futures.items()}


def fetch_truth_many(platform: str, post_ids: Sequence[str]) -> dict[str, FetchOutcome]:
    """Ask the platform for many posts (batched per its API), retrying transient failures.

    Every call goes through the platform's breaker; posts it refuses are deferred
    (`circuit_open`) without a call.
    """
    from reconcile.platforms import get_adapter

    rules = active_rules().fetch
    adapter = get_adapter(platform, timeout=rules.timeout_seconds)
    pending = list(dict.fromkeys(post_ids))
    results: dict[str, FetchResult] = {}
    refused: dict[str, datetime] = {}
    attempts = max(1, rules.max_attempts)
    for n in range(1, attempts + 1):
        answered, skipped = _fetch_guarded(platform, adapter, pending, rules.timeout_seconds)
        results.update(answered)
        refused.update(skipped)
        pending = [pid for pid in answered if answered[pid].missing_reason in TRANSIENT]
        if not pending or n == attempts:
            break
        backoff = rules.backoff_base_seconds * (2 ** (n - 1)) * random.uniform(0.5, 1.5)
        log.warning(
            "Platform fetch retry scheduled",
            extra={"platform": platform, "attempt": n, "backoff_seconds": round(backoff, 3),
                   "error_code": answered[pending[0]].missing_reason},
        )
        time.sleep(backoff)
    return {
        pid: FetchOutcome.deferred_for("circuit_open", refused[pid]) if pid in refused
        else FetchOutcome.from_result(results[pid])
        for pid in post_ids
    }


def _fetch_guarded(
    platform: str, adapter: PlatformAdapter, ids: list[str], timeout: float
) -> tuple[dict[str, FetchResult], dict[str, datetime]]:
    """Make one breaker-guarded call per chunk; return the answers and the refused ids."""
    answered: dict[str, FetchResult] = {}
    size = adapter.batch_size
    for start in range(0, len(ids), size):
        chunk = ids[start : start + size]

        def one_call(c: list[str] = chunk) -> dict[str, FetchResult]:
            return adapter.fetch_many(c)

        try:
            # Connecting and reading each get up to `timeout`: the probe lock outlives both.
            answer = breaker.call(platform, one_call, _platform_failed,
                                  probe_ttl_seconds=2 * timeout + 2)
        except breaker.CircuitOpen as exc:
            rest = ids[start:]
            log.warning("Platform fetch skipped: circuit open",
                        extra={"platform": platform, "outcome": f"{len(rest)} posts deferred"})
            return answered, dict.fromkeys(rest, exc.reopen_at)
        answered.update(answer)
    return answered, {}


def _platform_failed(answer: dict[str, FetchResult]) -> bool:
    # The platform itself failed (5xx, connection, timeout). A 404, a 429, a bad credential
    # or an unreadable body means it answered: those say nothing about an outage.
    return any(r.missing_reason in PLATFORM_FAILURES for r in answer.values())
