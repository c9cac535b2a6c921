"""Fetch posts' platform truth, retrying transient failures inside the attempt."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from reconcile.bootstrap import active_rules
from reconcile.platforms.adapters import FetchResult

log = logging.getLogger("reconcile.platforms.fetcher")

# Worth another try inside the same attempt; the rest will not change in a second.
TRANSIENT = frozenset({"fetch_error", "timeout"})


@dataclass(frozen=True)
class FetchOutcome:
    metrics: dict[str, int | None] = field(default_factory=dict)
    missing_reason: str | None = None
    retry_after: float | None = None
    deferred: bool = False
    reopen_at: datetime | None = None

    @classmethod
    def deferred_for(cls, reason: str, reopen_at: datetime | None = None) -> FetchOutcome:
        return cls(missing_reason=reason, deferred=True, reopen_at=reopen_at)

    @classmethod
    def from_result(cls, result: FetchResult) -> FetchOutcome:
        if result.missing_reason is not None:
            return cls(missing_reason=result.missing_reason, retry_after=result.retry_after)
        return cls(metrics={"views": result.views, "clicks": result.clicks,
                            "conversions": result.conversions})


def fetch_truth(platform: str, post_id: str) -> FetchOutcome:
    """Ask the platform for one post's metrics."""
    return fetch_truth_many(platform, [post_id])[post_id]


def fetch_truth_many(platform: str, post_ids: Sequence[str]) -> dict[str, FetchOutcome]:
    """Ask the platform for many posts (batched per its API), retrying transient failures."""
    from reconcile.platforms import get_adapter

    rules = active_rules().fetch
    adapter = get_adapter(platform, timeout=rules.timeout_seconds)
    pending = list(dict.fromkeys(post_ids))
    results: dict[str, FetchResult] = {}
    attempts = max(1, rules.max_attempts)
    for n in range(1, attempts + 1):
        answered = adapter.fetch_many(pending)
        results.update(answered)
        pending = [pid for pid in pending if answered[pid].missing_reason in TRANSIENT]
        if not pending or n == attempts:
            break
        backoff = rules.backoff_base_seconds * (2 ** (n - 1)) * random.uniform(0.5, 1.5)
        log.warning(
            "Platform fetch retry scheduled",
            extra={"platform": platform, "attempt": n, "backoff_seconds": round(backoff, 3),
                   "error_code": answered[pending[0]].missing_reason},
        )
        time.sleep(backoff)
    return {pid: FetchOutcome.from_result(results[pid]) for pid in post_ids}
