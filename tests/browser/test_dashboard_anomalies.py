"""View anomalies on the operator's page (docs/fraud.md): each open VIEW_ANOMALY alert
with its evidence and a small chart of its post's readings over time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Alert
from reconcile.services.reconciliation.attempts import Job, run_attempt
from tests.browser.pages import Dashboard
from tests.browser.scene import Scene
from tests.integration.apihelp import new_user, submit_as
from tests.integration.flows import post_url


def _bought_views(simulator: str, scene: Scene) -> tuple[int, int]:
    """A post whose 50,000 views drew 40 likes and 10 comments, read twice."""
    url = post_url("youtube")
    body = {"platform": "youtube", "url": url, "views": 50_000, "likes": 40, "comments": 10,
            "published_at": (datetime.now(UTC) - timedelta(days=5)).isoformat()}
    requests.put(f"{simulator}/_sim/posts", json=body, timeout=5).raise_for_status()
    # An affiliate of its own: the scene's affiliates' reports are other tests' business.
    accepted = submit_as(new_user("AFFILIATE"), scene.campaigns["A1"]["id"], "youtube", url,
                         (50_000, 0, 0))
    report = int(accepted["report_id"])
    assert run_attempt(Job(report, 1)) == "MATCHED"
    body["views"] = 52_000
    requests.put(f"{simulator}/_sim/posts", json=body, timeout=5).raise_for_status()
    run_attempt(Job(report, 2, trigger="rerun"))
    with unit_of_work() as uow:
        alert = uow.session.query(Alert).filter_by(report_id=report, rule="A2").one()
        return alert.id, report


def test_an_operator_sees_a_view_anomaly_with_its_evidence_and_chart(
    dashboard: Dashboard, scene: Scene, simulator: str, quiet_dispatcher: Any,
) -> None:
    alert_id, report = _bought_views(simulator, scene)
    dashboard.sign_in(scene.users["analyst"]["api_key"], "analyst")

    card = f'#list-anomalies article[data-alert="{alert_id}"]'
    dashboard.wait(lambda d: dashboard.find_all(card), "the anomaly's card")
    assert dashboard.panel_states("operator")["panel-anomalies"] == "ready"
    assert dashboard.find(card).get_attribute("data-rule") == "engagement"
    # The evidence: the numbers, and the threshold they fell below.
    assert dashboard.fact("views", card) == "50,000"
    assert dashboard.fact("engagement_rate", card) == "0.001"
    assert dashboard.fact("min_engagement_rate", card) == "0.002"
    # The chart: one point per reading of the post, beside the table of the exact numbers.
    chart = dashboard.find(f"{card} svg.spark")
    assert chart.get_attribute("data-points") == "2"
    assert len(dashboard.find_all(f"{card} svg.spark circle")) == 2
    assert dashboard.read(f'{card} table.readings tr[data-row="1"] [data-col="views"]') \
        == "50,000"
    assert dashboard.read(f'{card} table.readings tr[data-row="2"] [data-col="views"]') \
        == "52,000"
    assert str(report) in str(dashboard.read(f"{card} .note"))
    dashboard.screenshot("anomalies")
