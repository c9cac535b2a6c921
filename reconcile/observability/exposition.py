"""The exposition of `GET /metrics`: stored counters plus gauges read at scrape time.

Every family is exposed as `reconcile_` + its name, so the system's metrics sit apart from
everything else a Prometheus scrapes; in the Prometheus text format or in OpenMetrics,
whichever the scraper's Accept header asks for.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar, cast

from prometheus_client import CollectorRegistry
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.exposition import choose_encoder

from reconcile.observability import store
from reconcile.vocabulary import PLATFORMS

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


@dataclass(frozen=True)
class Gauges:
    """Where the scrape-time gauges come from: passed in by the caller (the API's /metrics
    view), so observability imports no use case and re-computes nothing they compute."""

    queue_depths: Callable[[], dict[str, int]]
    idle_ratio: Callable[[], float | None]
    trust_buckets: Callable[[], dict[str, int]]
    breaker_state: Callable[[str], str]
    tallies_unfolded: Callable[[], dict[str, int]]


class ClusterCollector:
    """Read the pool's counters from Redis and compute the gauges."""

    def __init__(self, gauges: Gauges) -> None:
        self.gauges = gauges

    def collect(self) -> Iterator[Metric]:
        stored = store.read()
        for name, labels in store.COUNTERS.items():
            family = CounterMetricFamily(NAMESPACE + name, HELP[name], labels=list(labels))
            for field, value in sorted(stored[name].items()):
                family.add_metric(field.split(store.SEP), value)
            yield family
        for name, bounds in store.HISTOGRAMS.items():
            yield _histogram(name, bounds, stored[name])
        yield from _gauges(self.gauges)


def _histogram(name: str, bounds: tuple[float, ...], raw: dict[str, float]) -> Metric:
    cumulative, buckets = 0.0, []
    for le in [repr(float(b)) for b in bounds] + ["+Inf"]:
        cumulative += raw.get(le, 0.0)
        buckets.append((le, cumulative))
    family = HistogramMetricFamily(NAMESPACE + name, HELP[name])
    family.add_metric([], buckets, raw.get("sum", 0.0))
    return family


def _gauges(g: Gauges) -> Iterator[Metric]:
    depth = GaugeMetricFamily(NAMESPACE + "queue_depth", "Ready jobs per queue",
                              labels=["queue"])
    for queue, n in _safely(g.queue_depths, cast(dict[str, int], {})).items():
        depth.add_metric([queue], n)
    yield depth
    idle = GaugeMetricFamily(NAMESPACE + "worker_idle_ratio",
                             "Idle share of the worker pool (1-2 min)")
    ratio = _safely(g.idle_ratio, None)
    if ratio is not None:
        idle.add_metric([], ratio)
    yield idle
    buckets = GaugeMetricFamily(NAMESPACE + "affiliates_by_trust_bucket",
                                "Affiliates per trust bucket", labels=["bucket"])
    # A database outage leaves this gauge out rather than failing the whole scrape.
    for bucket, n in _safely(g.trust_buckets, cast(dict[str, int], {})).items():
        buckets.add_metric([bucket], n)
    yield buckets
    unfolded = GaugeMetricFamily(NAMESPACE + "tallies_unfolded",
                                 "Changes the running counts hold that beat has not folded",
                                 labels=["tally"])
    for tally, n in _safely(g.tallies_unfolded, cast(dict[str, int], {})).items():
        unfolded.add_metric([tally], n)
    yield unfolded
    states = GaugeMetricFamily(NAMESPACE + "breaker_state", "0 closed, 1 half-open, 2 open",
                               labels=["platform"])
    for platform in PLATFORMS:
        state = g.breaker_state(platform)
        if state in BREAKER_VALUES:
            states.add_metric([platform], BREAKER_VALUES[state])
    yield states


def _safely(fn: Callable[[], T], default: T) -> T:
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 - one missing gauge beats no scrape at all
        log.warning("Metrics gauge unavailable", extra={"error_code": type(exc).__name__})
        return default


def render(gauges: Gauges, accept: str = "") -> tuple[bytes, str]:
    """Return the whole pool's metrics and their content type, in the format `accept` (an
    HTTP Accept header) prefers: OpenMetrics when it names it, else the Prometheus text."""
    encoder, content_type = choose_encoder(accept)
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ClusterCollector(gauges))
    return encoder(registry), content_type
