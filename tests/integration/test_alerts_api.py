"""Alerts over HTTP: the contract's shape, resolving once, and the statistics."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from reconcile.errors import AlertAlreadyResolved
from reconcile.services.alerts.manage import resolve_alert
from reconcile.services.principal import Principal
from tests.integration.apihelp import alert_about, make_scene

SHAPE = {"id", "type", "category", "severity", "status", "title", "message", "affiliate_id",
         "platform", "report_id", "threshold_breached", "created_at", "resolved_at",
         "resolved_by", "resolution_note", "deliveries"}


@pytest.fixture
def scene(dispatched: Any) -> Any:
    return make_scene()


def test_an_alert_has_the_contract_shape_in_lists_and_by_id(client: Any, scene: Any) -> None:
    listed = client.get("/api/v1/alerts", query_string={"affiliate_id":
                        scene.users["AFFILIATE"]["id"]}, headers=scene.key("ADMIN")).get_json()
    by_id = client.get(f"/api/v1/alerts/{scene.own_alert}", headers=scene.key("ADMIN")).get_json()

    assert listed["items"] == [by_id]
    assert set(by_id) >= SHAPE
    assert (by_id["type"], by_id["category"], by_id["severity"], by_id["status"]) == (
        "SUSPICIOUS_CLAIM", "FRAUD", "HIGH", "OPEN")
    assert by_id["affiliate_id"] == scene.users["AFFILIATE"]["id"]
    assert by_id["resolved_at"] is None and isinstance(by_id["deliveries"], list)


@pytest.mark.parametrize("role", ["ADMIN", "CLIENT"])
def test_resolving_records_who_when_and_why_and_a_second_time_is_409(
    client: Any, scene: Any, role: str
) -> None:
    path = f"/api/v1/alerts/{scene.own_alert}/resolve"

    done = client.post(path, json={"note": "spoke to the affiliate"}, headers=scene.key(role))
    again = client.post(path, json={"note": "again"}, headers=scene.key(role))

    assert done.status_code == 200
    alert = done.get_json()
    assert (alert["status"], alert["resolution_note"]) == ("RESOLVED", "spoke to the affiliate")
    assert alert["resolved_by"] == scene.users[role]["id"] and alert["resolved_at"]
    assert again.status_code == 409
    assert again.get_json()["code"] == "ALERT_ALREADY_RESOLVED"
    stored = client.get(f"/api/v1/alerts/{scene.own_alert}", headers=scene.key("ADMIN"))
    assert stored.get_json()["resolution_note"] == "spoke to the affiliate"


def test_racing_resolves_let_exactly_one_win(scene: Any) -> None:
    admin = Principal(user_id=scene.users["ADMIN"]["id"], role="ADMIN")

    def attempt(i: int) -> str:
        try:
            resolve_alert(admin, scene.own_alert, f"note {i}")
        except AlertAlreadyResolved:
            return "conflict"
        return "resolved"

    with ThreadPoolExecutor(5) as pool:
        outcomes = sorted(pool.map(attempt, range(5)))

    assert outcomes == ["conflict"] * 4 + ["resolved"]


def test_stats_count_by_status_type_severity_and_the_last_day(
    client: Any, scene: Any
) -> None:
    def stats() -> dict[str, Any]:
        resp = client.get("/api/v1/alerts/stats", headers=scene.key("ANALYST"))
        assert resp.status_code == 200
        return resp.get_json()

    before = stats()
    alert_about(scene.users["AFFILIATE"], scene.campaign_a)
    client.post(f"/api/v1/alerts/{scene.own_alert}/resolve", json={"note": "n"},
                headers=scene.key("ADMIN"))
    after = stats()

    assert set(after) >= {"by_status", "by_type", "by_severity", "last_24h"}
    assert after["by_status"]["OPEN"] == before["by_status"]["OPEN"]  # one new, one resolved
    assert after["by_status"]["RESOLVED"] == before["by_status"]["RESOLVED"] + 1
    assert after["by_type"]["SUSPICIOUS_CLAIM"] == before["by_type"]["SUSPICIOUS_CLAIM"] + 1
    assert after["by_severity"]["HIGH"] == before["by_severity"]["HIGH"] + 1
    assert after["last_24h"] == before["last_24h"] + 1
    assert set(after["by_type"]) == {"HIGH_DISCREPANCY", "MISSING_DATA", "TRUST_THRESHOLD",
                                     "PLATFORM_OUTAGE", "SUSPICIOUS_CLAIM", "JOB_QUARANTINED",
                                     "POST_REMOVED", "VIEW_ANOMALY"}
