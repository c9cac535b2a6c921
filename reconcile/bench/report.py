"""Turn raw measurements into the bench's one JSON report (pure: no I/O)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

REQUIRED_KEYS = (
    "submissions", "concurrency", "workers", "platform_latency_ms", "submit_latency_ms",
    "submissions_per_s", "reconciliations_per_s", "first_reconciliation_ms",
    "noop_tasks_per_s", "ratio_to_noop", "worker_rss_mb_max", "api_rss_mb_max", "lost",
)


def percentile(values: Sequence[float], q: float) -> float | None:
    """Return the q-th percentile (0-100) by linear interpolation; None when empty."""
    if not 0 <= q <= 100:
        raise ValueError("q must be between 0 and 100")
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def latency_summary(values_ms: Sequence[float], points: Sequence[int] = (50, 95, 99)) -> dict:
    """Summarise latencies as {p50, p95, p99, max} in milliseconds."""
    summary: dict[str, float | None] = {f"p{p}": _round(percentile(values_ms, p)) for p in points}
    summary["max"] = _round(max(values_ms)) if values_ms else None
    return summary


def per_second(count: int, seconds: float) -> float:
    """Return count/seconds, or 0.0 for an empty or instantaneous window."""
    return round(count / seconds, 2) if count and seconds > 0 else 0.0


@dataclass
class RunResult:
    """Everything one bench run measured, before it is summarised."""

    submissions: int
    concurrency: int
    workers: int
    api_workers: int
    platform_latency_ms: int
    offered_rate: float | None
    submit_latencies_ms: list[float]
    statuses: dict[int, int]
    submit_seconds: float
    accepted_live: int
    reconciled: int  # every phase
    reconcile_seconds: float  # the window reconciliations_per_s is measured over...
    reconciled_measured: int  # ...and how many reports finished in it
    first_reconciliation_ms: list[float]
    noop_tasks: int
    noop_seconds: float
    worker_rss_mb_max: float
    api_rss_mb_max: float
    outcomes: dict[str, int] = field(default_factory=dict)
    loadgen: dict[str, Any] = field(default_factory=dict)

    @property
    def accepted(self) -> int:
        return self.statuses.get(202, 0)


def summarise(run: RunResult) -> dict[str, Any]:
    """Build the report; `lost` counts accepted submissions that never reached a terminal
    status (a submission the API refused is counted under http_statuses, not lost)."""
    recon_rate = per_second(run.reconciled_measured, run.reconcile_seconds)
    noop_rate = per_second(run.noop_tasks, run.noop_seconds)
    first = latency_summary(run.first_reconciliation_ms, (50, 95))
    first.pop("max")
    return {
        "submissions": run.submissions,
        "accepted": run.accepted,
        "reconciled": run.reconciled,
        "lost": max(run.accepted - run.reconciled, 0),
        "concurrency": run.concurrency,
        "offered_rate": run.offered_rate,
        "workers": run.workers,
        "api_workers": run.api_workers,
        "platform_latency_ms": run.platform_latency_ms,
        "submit_latency_ms": latency_summary(run.submit_latencies_ms),
        "submissions_per_s": per_second(run.accepted_live, run.submit_seconds),
        "reconciliations_per_s": recon_rate,
        "first_reconciliation_ms": first,
        "noop_tasks_per_s": noop_rate,
        "ratio_to_noop": round(recon_rate / noop_rate, 3) if noop_rate else None,
        "worker_rss_mb_max": round(run.worker_rss_mb_max, 1),
        "api_rss_mb_max": round(run.api_rss_mb_max, 1),
        "http_statuses": {str(k): v for k, v in sorted(run.statuses.items())},
        "outcomes": dict(sorted(run.outcomes.items())),
        "loadgen": run.loadgen,
    }
