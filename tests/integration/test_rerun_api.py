"""POST /reconciliation/run: scope, force, high priority, attempt numbers, after commit."""

from __future__ import annotations

from typing import Any

import pytest

from reconcile.services.reconciliation.attempts import Job, run_attempts
from tests.integration.apihelp import make_scene, post_url, reconcile_now, submit_as
from tests.integration.tracking_fake import FakeTracking


@pytest.fixture
def scene(dispatched: Any) -> Any:
    return make_scene()


def _run(client: Any, scene: Any, role: str = "ADMIN", **body: Any) -> Any:
    return client.post("/api/v1/reconciliation/run", json=body, headers=scene.key(role))


def test_a_rerun_sends_the_next_attempt_at_high_priority_with_trigger_rerun(
    client: Any, scene: Any, sim: Any, dispatched: Any
) -> None:
    url = post_url("x")
    done = submit_as(scene.users["AFFILIATE"], scene.campaign_a, "x", url, (1000, 50, 5))
    sim.post("x", url, 1000, omit=["views"])
    tracking = FakeTracking()  # its tracked link counted the clicks and conversions
    tracking.link(int(done["post_id"]), clicks=50, conversions=5)
    assert run_attempts([Job(done["report_id"], 1)], counters=tracking.counters()) == [
        "INCOMPLETE_PLATFORM_DATA"]  # a retry is due
    dispatched.sent.clear()

    resp = _run(client, scene, "CLIENT", report_ids=[done["report_id"], scene.own_report])

    assert resp.status_code == 202
    assert resp.get_json()["enqueued"] == 2
    assert sorted(resp.get_json()["report_ids"]) == sorted([done["report_id"], scene.own_report])
    sent = {r: (n, kw["priority"], kw["trigger"]) for r, n, kw in dispatched.sent}
    assert sent == {done["report_id"]: (2, "high", "rerun"),
                    scene.own_report: (1, "high", "rerun")}


def test_terminal_reports_are_skipped_unless_forced(
    client: Any, scene: Any, sim: Any, dispatched: Any
) -> None:
    url = post_url("reddit")
    done = submit_as(scene.users["AFFILIATE"], scene.campaign_a, "reddit", url)
    assert reconcile_now(sim, done, "reddit", url, (1000, 50, 5)) == "MATCHED"
    dispatched.sent.clear()

    plain = _run(client, scene, report_ids=[done["report_id"]]).get_json()
    forced = _run(client, scene, report_ids=[done["report_id"]], force=True).get_json()

    assert (plain["enqueued"], plain["skipped"]) == (0, [done["report_id"]])
    assert (forced["enqueued"], forced["report_ids"]) == (1, [done["report_id"]])
    assert [(r, n) for r, n, _ in dispatched.sent] == [(done["report_id"], 2)]


def test_a_post_campaign_or_platform_means_each_posts_latest_report(
    client: Any, scene: Any, dispatched: Any
) -> None:
    update = client.put(f"/api/v1/submissions/{scene.own_post}/metrics",
                        json={"claimed_views": 5, "claimed_clicks": 0, "claimed_conversions": 0},
                        headers=scene.key("AFFILIATE")).get_json()

    by_post = _run(client, scene, post_id=scene.own_post).get_json()
    by_campaign = _run(client, scene, "CLIENT", campaign_id=scene.campaign_a).get_json()
    by_platform = _run(client, scene, "CLIENT", platform="youtube").get_json()

    assert by_post["report_ids"] == [update["report_id"]]
    assert update["report_id"] in by_campaign["report_ids"]
    assert scene.own_report not in by_campaign["report_ids"]
    assert len(by_campaign["report_ids"]) == 3  # own post plus the two of the alert scene
    assert set(by_campaign["report_ids"]) <= set(by_platform["report_ids"])
    assert scene.other_report not in by_platform["report_ids"]  # another client's post


def test_nothing_is_sent_when_the_request_fails(client: Any, scene: Any,
                                                dispatched: Any) -> None:
    dispatched.sent.clear()

    resp = _run(client, scene, "CLIENT", report_ids=[scene.own_report, scene.other_report])

    assert resp.status_code == 404
    assert dispatched.sent == []
