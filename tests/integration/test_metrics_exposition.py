"""GET /metrics parses with prometheus_client's own parsers, in the Prometheus text format and
in OpenMetrics (chosen by the Accept header), under the `reconcile_` names; METRICS_TOKEN,
when set, is required as a bearer token."""

from __future__ import annotations

from typing import Any

import pytest
from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as parse_openmetrics,
)
from prometheus_client.parser import text_string_to_metric_families as parse_text

from reconcile.observability import events

OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8"
# The spec's names (operations.md), each exposed as `reconcile_` + name; the breaker's
# transitions counter is renamed so it does not share the family of the breaker_state gauge.
FAMILIES = {
    "reconcile_reconciliation_status": "counter",
    "reconcile_reconciliation_attempt_duration_seconds": "histogram",
    "reconcile_queue_depth": "gauge",
    "reconcile_worker_idle_ratio": "gauge",
    "reconcile_alert_created": "counter",
    "reconcile_trust_score_bucket": "counter",
    "reconcile_affiliates_by_trust_bucket": "gauge",
    "reconcile_breaker_transitions": "counter",
    "reconcile_breaker_state": "gauge",
    "reconcile_submission_latency_seconds": "histogram",
    "reconcile_missing_reason": "counter",
    # truth.md, Tracked links and Conversion postbacks.
    "reconcile_clicks_recorded": "counter",
    "reconcile_clicks_filtered": "counter",
    "reconcile_clicks_lost": "counter",
    "reconcile_postbacks": "counter",
    # The running counts' fold lag (docs/operations.md, "Running counts").
    "reconcile_tallies_unfolded": "gauge",
}


@pytest.fixture
def counted(stack: Any) -> None:
    """A sample in every counter family, the breaker's transitions included."""
    events.breaker_transition("youtube", "closed")
    events.deferred("circuit_open")
    events.alert_created("HIGH_DISCREPANCY", "HIGH")()
    events.attempts_committed([("MATCHED", None, "normal")], 0.0)()


def _families(parse: Any, text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for family in parse(text):
        assert family.name not in found, f"{family.name} is exposed twice"
        found[family.name] = family.type
    return found


def test_the_prometheus_text_format_parses_with_every_family_named_and_typed(
    client: Any, counted: None
) -> None:
    resp = client.get("/metrics")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    assert _families(parse_text, resp.get_data(as_text=True)) == FAMILIES


def test_openmetrics_is_served_when_asked_for_and_parses_strictly(
    client: Any, counted: None
) -> None:
    resp = client.get("/metrics", headers={"Accept": OPENMETRICS})
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("application/openmetrics-text")
    text = resp.get_data(as_text=True)
    assert text.endswith("# EOF\n")
    families = list(parse_openmetrics(text))  # raises on anything OpenMetrics forbids
    assert {f.name: f.type for f in families} == FAMILIES
    transitions = next(f for f in families if f.name == "reconcile_breaker_transitions")
    assert any(s.name == "reconcile_breaker_transitions_total"
               and s.labels == {"platform": "youtube", "state": "closed"}
               for s in transitions.samples)


def test_without_metrics_token_no_key_is_needed(client: Any, stack: Any,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("METRICS_TOKEN", raising=False)
    assert client.get("/metrics").status_code == 200


@pytest.mark.parametrize("authorization", [None, "Bearer wrong-token", "Basic c2VjcmV0",
                                           "Bearer "])
def test_with_metrics_token_a_scrape_without_it_is_refused_as_problem_json(
    client: Any, stack: Any, monkeypatch: pytest.MonkeyPatch, authorization: str | None
) -> None:
    monkeypatch.setenv("METRICS_TOKEN", "s3cret-scrape-token")
    headers = {"Authorization": authorization} if authorization else {}
    resp = client.get("/metrics", headers=headers)
    assert resp.status_code == 401
    assert resp.mimetype == "application/problem+json"
    assert resp.get_json()["code"] == "AUTHENTICATION_REQUIRED"
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert "s3cret" not in resp.get_data(as_text=True)


def test_with_metrics_token_the_right_bearer_token_scrapes(
    client: Any, stack: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("METRICS_TOKEN", "s3cret-scrape-token")
    resp = client.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape-token"})
    assert resp.status_code == 200
    assert "reconcile_queue_depth" in resp.get_data(as_text=True)


def test_the_fold_lag_gauge_names_every_tally(client: Any, stack: Any) -> None:
    """`reconcile_tallies_unfolded{tally}`: one sample per running count (its value is
    whatever other tests left unfolded; what it counts is tested in test_tallies.py)."""
    text = client.get("/metrics").get_data(as_text=True)
    family = next(f for f in parse_text(text) if f.name == "reconcile_tallies_unfolded")

    assert sorted(s.labels["tally"] for s in family.samples) == [
        "alert_tallies", "attempt_tallies", "post_tallies", "report_tallies"]
    assert all(s.value >= 0 for s in family.samples)
