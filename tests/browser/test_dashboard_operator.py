"""An operator's page: each panel's numbers are the database's, and an admin resolves."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Alert, Attempt, ReconciliationLog, User
from tests.browser.pages import Dashboard
from tests.browser.scene import Scene

# domain.md, "Trust": bucket lower bounds.
BUCKETS = (("high_trust", 0.75), ("normal", 0.50), ("low_trust", 0.25), ("critical", 0.0))
# docs/dashboard.md: the histogram's upper edges (inclusive).
EDGES = (0.05, 0.10, 0.20, 0.50, 1.00)
SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW")


def _open_by_severity() -> Counter[str]:
    with unit_of_work() as uow:
        return Counter(uow.session.scalars(select(Alert.severity).where(Alert.status == "OPEN")))


def _expected_buckets() -> Counter[str]:
    with unit_of_work() as uow:
        scores = uow.session.scalars(select(User.trust_score).where(
            User.role == "AFFILIATE", User.is_active.is_(True))).all()
    return Counter(next(name for name, low in BUCKETS if s >= low) for s in scores)


def _expected_histogram() -> Counter[int]:
    with unit_of_work() as uow:
        pcts = uow.session.scalars(select(ReconciliationLog.max_discrepancy_pct).where(
            ReconciliationLog.max_discrepancy_pct.is_not(None))).all()
    return Counter(next((i for i, e in enumerate(EDGES) if p <= e), len(EDGES)) for p in pcts)


def _attempts_last_day() -> Counter[str]:
    since = datetime.now(UTC) - timedelta(hours=23)  # well inside the page's 24 h window
    with unit_of_work() as uow:
        return Counter(uow.session.scalars(select(Attempt.status).where(
            Attempt.finished_at >= since)))


@pytest.mark.parametrize("role", ["admin", "analyst"])
def test_an_operator_sees_the_databases_numbers_in_every_panel(
    dashboard: Dashboard, scene: Scene, role: str,
) -> None:
    from reconcile.services.admin.platform_ops import breaker_states
    from reconcile.services.reads.queues import queues_snapshot

    dashboard.sign_in(scene.users[role]["api_key"], role)

    states = dashboard.panel_states("operator")
    assert set(states.values()) == {"ready"}, states
    assert dashboard.panel_states("campaigns") == {"panel-campaign": "ready",
                                                   "panel-spend": "ready"}
    for queue, depth in queues_snapshot()["queues"].items():
        assert dashboard.cell("table-queues", queue, "depth") == f"{depth:,}"
    open_alerts = _open_by_severity()
    for severity in SEVERITIES:
        assert dashboard.cell("table-alerts", severity, "open") == f"{open_alerts[severity]:,}"
    assert open_alerts["CRITICAL"] >= 2  # the scene's two blatant over-claims
    for name, n in _expected_buckets().items():
        assert dashboard.cell("table-buckets", name, "affiliates") == f"{n:,}"
    histogram = _expected_histogram()
    for i in range(len(EDGES) + 1):
        assert dashboard.cell("table-histogram", i, "reports") == f"{histogram[i]:,}"
    for status, n in _attempts_last_day().items():
        assert dashboard.cell("table-timeline", "total", status) == f"{n:,}"
    for platform, state in breaker_states().items():
        assert dashboard.cell("table-breakers", platform, "state") == state["state"]
    assert dashboard.find_all("#chart-timeline .main-svg"), "the chart library drew nothing"


SLO_AS_OBJECT = {
    "median_submission_latency_ms": {"value": 12.5, "target": 150, "ok": True},
    "missing_terminal_ratio_24h": {"value": 0.08, "target": 0.05, "ok": False},
}
SLO_AS_LIST = [{"name": k, **v} for k, v in SLO_AS_OBJECT.items()]


@pytest.mark.parametrize("body", [SLO_AS_OBJECT, {"signals": SLO_AS_OBJECT}, SLO_AS_LIST],
                         ids=["keyed", "under-signals", "list"])
def test_the_slo_panel_shows_each_signal_with_its_target(
    dashboard: Dashboard, scene: Scene, body: Any,
) -> None:
    with dashboard.answering("/api/v1/ops/slo", 200, body):
        dashboard.sign_in(scene.users["analyst"]["api_key"], "analyst")

    assert dashboard.rows("table-slo") == list(SLO_AS_OBJECT)
    assert dashboard.cell("table-slo", "median_submission_latency_ms", "value") == "12.5"
    assert dashboard.cell("table-slo", "median_submission_latency_ms", "target") == "150"
    assert dashboard.cell("table-slo", "median_submission_latency_ms", "ok") == "✓ met"
    assert dashboard.cell("table-slo", "missing_terminal_ratio_24h", "ok") == "✗ missed"
    assert dashboard.read("#panel-slo .status") == ""


def test_the_slo_panel_shows_the_servers_own_report(
    dashboard: Dashboard, scene: Scene, live_server: str,
) -> None:
    import requests

    key = scene.users["analyst"]["api_key"]
    dashboard.sign_in(key, "analyst")
    report = requests.get(f"{live_server}/api/v1/ops/slo", timeout=5,
                          headers={"Authorization": f"Bearer {key}"}).json()

    assert dashboard.rows("table-slo") == list(report)
    for name, signal in report.items():
        expected = "✓ met" if signal["ok"] else "✗ missed"
        assert dashboard.cell("table-slo", name, "ok") == expected


def test_the_slo_panel_says_so_while_the_server_has_no_slo_report(
    dashboard: Dashboard, scene: Scene,
) -> None:
    problem = {"type": "about:blank", "title": "Not Found", "status": 404, "detail": "no",
               "code": "NOT_FOUND"}
    with dashboard.answering("/api/v1/ops/slo", 404, problem):
        dashboard.sign_in(scene.users["analyst"]["api_key"], "analyst")

    assert dashboard.read("#panel-slo .status") == "This server does not report SLOs yet."
    assert dashboard.rows("table-slo") == []
    assert dashboard.panel_states("operator")["panel-slo"] == "ready"


def test_an_admin_resolves_an_alert_from_the_page(dashboard: Dashboard, scene: Scene) -> None:
    from tests.integration.apihelp import alert_about

    alert_id = alert_about(scene.users["aff3"], scene.campaigns["B1"]["id"])
    admin = scene.users["admin"]
    dashboard.sign_in(admin["api_key"], "admin")
    form = f'#table-open-alerts tr[data-row="{alert_id}"] form.resolve'
    dashboard.find(f"{form} input").send_keys("checked with the advertiser")
    dashboard.find(f"{form} button").click()

    dashboard.wait(lambda d: dashboard.read("#announce") == f"Alert {alert_id} resolved.",
                   "the resolution to be announced")
    dashboard.wait(lambda d: str(alert_id) not in dashboard.rows("table-open-alerts"),
                   "the alert to leave the open list")
    with unit_of_work() as uow:
        alert = uow.session.get(Alert, alert_id)
        assert (alert.status, alert.resolved_by) == ("RESOLVED", admin["id"])
        assert alert.resolution_note == "checked with the advertiser"
    open_alerts = _open_by_severity()
    dashboard.wait(lambda d: all(dashboard.cell("table-alerts", s, "open") == str(open_alerts[s])
                                 for s in SEVERITIES), "the counts to follow")
    dashboard.screenshot("admin")


def test_an_analyst_sees_no_resolve_button(dashboard: Dashboard, scene: Scene) -> None:
    dashboard.sign_in(scene.users["analyst"]["api_key"], "analyst")

    assert dashboard.rows("table-open-alerts"), "the analyst should see open alerts"
    assert dashboard.find_all("form.resolve") == []
    assert "Resolve" not in dashboard.read("#table-open-alerts thead")
    dashboard.screenshot("analyst")
