"""Helpers for the observability tests: scrape /metrics, pause the shared workers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from reconcile.dispatch import CeleryDispatcher
from reconcile.vocabulary import QUEUES


def scrape(client: Any) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Scrape /metrics without a key; return {(sample name, sorted labels): value}."""
    resp = client.get("/metrics")
    assert resp.status_code == 200, resp.data[:300]
    assert resp.mimetype == "text/plain"
    out = {}
    for family in text_string_to_metric_families(resp.get_data(as_text=True)):
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def total(samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str) -> float:
    """Sum a sample name over all its label sets."""
    return sum(v for (n, _), v in samples.items() if n == name)


@contextmanager
def consumers_paused(keep: str | None = None) -> Iterator[list[str]]:
    """Stop every worker but `keep` taking jobs from the queues; restore them afterwards."""
    control = CeleryDispatcher().app.control
    others = [key for reply in control.ping(timeout=1.0) or [] for key in reply
              if keep is None or not key.startswith(keep)]
    for queue in QUEUES if others else ():
        control.cancel_consumer(queue, destination=others, reply=True, timeout=5)
    try:
        yield others
    finally:
        for queue in QUEUES if others else ():
            control.add_consumer(queue, destination=others, reply=True, timeout=5)
