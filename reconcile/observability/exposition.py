"""The exposition of `GET /metrics`: stored counters plus gauges read at scrape time.

Every family is exposed as `reconcile_` + its name, so the system's metrics sit apart from
everything else a Prometheus scrapes; in the Prometheus text format or in OpenMetrics,
whichever the scraper's Accept header asks for.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any, TypeVar, cast

from prometheus_client import CollectorRegistry
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import choose_encoder

from reconcile.observability import store

log = logging.getLogger("reconcile.metrics")
T = TypeVar("T")
NAMESPACE = "reconcile_"
BREAKER_VALUES = {"closed": 0, "half-open": 1, "open": 2}
HELP = {
    "reconciliation_status_total": "Committed reconciliation attempts by status",
    "alert_created_total": "Alerts created by type and severity",
    "trust_score_bucket_total": "Reconciliations that left an affiliate in the bucket",
    "breaker_transitions_total": "Circuit breaker transitions into a state",
    "missing_reason_total": "Missing platform data by reason (attempts and deferrals)",
    "clicks_recorded_total": "Tracked clicks written, counted or filtered",
    "clicks_filtered_total": "Tracked clicks filtered, by reason",
    "clicks_lost_total": "Tracked clicks redirected but not recorded (Redis down)",
    "postbacks_total": "Conversion postbacks by outcome (counted, outside_window, "
                       "filtered_click, replayed, unknown_click, bad_signature, reversed)",
    "reconciliation_attempt_duration_seconds": "Time one reconciliation attempt took",
    "submission_latency_seconds": "Time the API took to accept a submission",
}


class ClusterCollector:
    """Read the pool's counters from Redis and compute the gauges."""

    def collect(self) -> Iterator[Metric]:
        stored = store.read()
        for name, labels in store.COUNTERS.items():
            family = CounterMetricFamily(NAMESPACE + name, HELP[name], labels=list(labels))
            for field, value in sorted(stored[name].items()):
                family.add_metric(field.split(store.SEP), value)
            yield family
        for name, bounds in store.HISTOGRAMS.items():
            yield _histogram(name, bounds, stored[name])
        yield from _gauges()


def _histogram(name: str, bounds: tuple[float, ...], raw: dict[str, float]) -> Metric:
    cumulative, buckets = 0.0, []
    for le in [repr(float(b)) for b in bounds] + ["+Inf"]:
        cumulative += raw.get(le, 0.0)
        buckets.append((le, cumulative))
    family = HistogramMetricFamily(NAMESPACE + name, HELP[name])
    family.add_metric([], buckets, raw.get("sum", 0.0))
    return family


def _gauges() -> Iterator[Metric]:
    from reconcile.config import PLATFORMS
    from reconcile.observability.workers import idle_ratio
    from reconcile.services.intake import queue_depths
    from reconcile.services.platform_ops import breaker_state

    depth = GaugeMetricFamily(NAMESPACE + "queue_depth", "Ready jobs per queue",
                              labels=["queue"])
    for queue, n in _safely(queue_depths, cast(dict[str, int], {})).items():
        depth.add_metric([queue], n)
    yield depth
    idle = GaugeMetricFamily(NAMESPACE + "worker_idle_ratio",
                             "Idle share of the worker pool (1-2 min)")
    ratio = _safely(idle_ratio, None)
    if ratio is not None:
        idle.add_metric([], ratio)
    yield idle
    buckets = GaugeMetricFamily(NAMESPACE + "affiliates_by_trust_bucket",
                                "Affiliates per trust bucket", labels=["bucket"])
    # A database outage leaves this gauge out rather than failing the whole scrape.
    for bucket, n in _safely(affiliates_by_bucket, cast(dict[str, int], {})).items():
        buckets.add_metric([bucket], n)
    yield buckets
    states = GaugeMetricFamily(NAMESPACE + "breaker_state", "0 closed, 1 half-open, 2 open",
                               labels=["platform"])
    for platform in PLATFORMS:
        state = breaker_state(platform)
        if state in BREAKER_VALUES:
            states.add_metric([platform], BREAKER_VALUES[state])
    yield states


def _safely(fn: Callable[[], T], default: T) -> T:
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - one missing gauge beats no scrape at all
        log.warning("Metrics gauge unavailable", extra={"error_code": type(exc).__name__})
        return default


def affiliates_by_bucket() -> dict[str, int]:
    """Count active affiliates per trust bucket, in one query."""
    from sqlalchemy import case, func, select

    from reconcile.bootstrap import active_rules
    from reconcile.persistence.db import unit_of_work
    from reconcile.persistence.models import User
    from reconcile.rules.trust import CRITICAL

    limits = active_rules().trust.buckets
    names = ("high_trust", "normal", "low_trust")
    bucket: Any = case(*((User.trust_score >= limits[n], n) for n in names), else_=CRITICAL)
    with unit_of_work() as uow:
        rows = uow.session.execute(
            select(bucket, func.count()).where(User.role == "AFFILIATE", User.is_active)
            .group_by(bucket)
        ).all()
    counts = dict.fromkeys((*names, CRITICAL), 0)
    counts.update({str(b): int(n) for b, n in rows})
    return counts


def render(accept: str = "") -> tuple[bytes, str]:
    """Return the whole pool's metrics and their content type, in the format `accept` (an
    HTTP Accept header) prefers: OpenMetrics when it names it, else the Prometheus text."""
    encoder, content_type = choose_encoder(accept)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ClusterCollector())
    return encoder(registry), content_type
