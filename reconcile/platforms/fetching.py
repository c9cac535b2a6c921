"""Fetch one post's platform truth with in-attempt retries (backoff with jitter)."""

from __future__ import annotations

import logging
import random
import time
from dataclasses import dataclass, field
from datetime import datetime

from reconcile.bootstrap import active_rules

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


def fetch_truth(platform: str, post_id: str) -> FetchOutcome:
    """Ask the platform for the post's metrics, retrying transient failures."""
    from reconcile.platforms import get_adapter

    rules = active_rules().fetch
    adapter = get_adapter(platform)
    attempts = max(1, rules.max_attempts)
    for n in range(1, attempts + 1):
        result = adapter.fetch(post_id)
        if result.missing_reason not in TRANSIENT or n == attempts:
            break
        backoff = rules.backoff_base_seconds * (2 ** (n - 1)) * random.uniform(0.5, 1.5)
        log.warning(
            "Platform fetch retry scheduled",
            extra={"platform": platform, "attempt": n, "backoff_seconds": round(backoff, 3),
                   "error_code": result.missing_reason},
        )
        time.sleep(backoff)
    metrics = {"views": result.views, "clicks": result.clicks, "conversions": result.conversions}
    return FetchOutcome(
        metrics=metrics if result.missing_reason is None else {},
        missing_reason=result.missing_reason,
        retry_after=result.retry_after,
    )
