"""Lists: limit and cursor on every list route, filters, and what each role sees."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from tests.integration.apihelp import (
    auth,
    make_scene,
    new_campaign,
    new_user,
    post_url,
    reconcile_now,
    submit_as,
)

LIST_ROUTES = ["/api/v1/clients", "/api/v1/campaigns", "/api/v1/platforms",
               "/api/v1/submissions", "/api/v1/reconciliation/results", "/api/v1/alerts"]


@pytest.fixture
def scene(dispatched: Any) -> Any:
    return make_scene()


def _walk(client: Any, path: str, headers: dict[str, str], limit: int) -> list[list[Any]]:
    pages, cursor = [], None
    while True:
        query = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        body = client.get(path, query_string=query, headers=headers).get_json()
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


@pytest.mark.parametrize("path", LIST_ROUTES)
def test_every_list_answers_items_and_next_cursor(client: Any, scene: Any, path: str) -> None:
    resp = client.get(path, query_string={"limit": 1}, headers=scene.key("ADMIN"))

    assert resp.status_code == 200
    body = resp.get_json()
    assert len(body["items"]) == 1
    assert isinstance(body["next_cursor"], str)


@pytest.mark.parametrize("path", LIST_ROUTES)
@pytest.mark.parametrize("query", [{"limit": 0}, {"limit": 501}, {"limit": "ten"},
                                   {"cursor": "%%%"}, {"cursor": "bm90IGpzb24"},
                                   {"cursor": base64.urlsafe_b64encode(b'["x", 1]').decode()},
                                   {"surprise": "1"}])
def test_a_bad_limit_cursor_or_parameter_is_422(
    client: Any, scene: Any, path: str, query: dict[str, Any]
) -> None:
    resp = client.get(path, query_string=query, headers=scene.key("ADMIN"))

    assert resp.status_code == 422
    assert resp.get_json()["code"] == "VALIDATION_ERROR"
    assert resp.get_json()["errors"][0]["field"] == next(iter(query))


def test_walking_the_cursor_visits_every_item_once(client: Any, dispatched: Any) -> None:
    affiliate = new_user("AFFILIATE")
    campaign = new_campaign(make_scene().client_a)
    posts = [submit_as(affiliate, campaign)["post_id"] for _ in range(7)]

    pages = _walk(client, "/api/v1/submissions", auth(affiliate), limit=3)

    assert [len(p) for p in pages] == [3, 3, 1]
    assert [i["post_id"] for p in pages for i in p] == sorted(posts, reverse=True)


def test_the_default_page_is_50_and_the_maximum_500(client: Any, scene: Any) -> None:
    few = client.get("/api/v1/clients", headers=scene.key("ADMIN")).get_json()
    most = client.get("/api/v1/clients?limit=500", headers=scene.key("ADMIN")).get_json()

    assert len(few["items"]) <= 50
    assert len(most["items"]) <= 500
    assert (few["next_cursor"] is None) == (len(few["items"]) < 50)


def test_submissions_are_filtered_and_scoped_to_the_caller(client: Any, scene: Any) -> None:
    other_affiliate_post = submit_as(new_user("AFFILIATE"), scene.campaign_a, "x")["post_id"]

    def post_ids(role: str, **query: Any) -> set[int]:
        body = client.get("/api/v1/submissions", query_string={"limit": 500, **query},
                          headers=scene.key(role)).get_json()
        return {i["post_id"] for i in body["items"]}

    assert post_ids("AFFILIATE") >= {scene.own_post}
    assert scene.other_post not in post_ids("AFFILIATE")
    assert other_affiliate_post not in post_ids("AFFILIATE")
    assert post_ids("CLIENT") >= {scene.own_post, other_affiliate_post}
    assert scene.other_post not in post_ids("CLIENT")
    assert {scene.own_post, scene.other_post} <= post_ids("ANALYST")
    assert post_ids("ADMIN", campaign_id=scene.campaign_a, platform="x") == {
        other_affiliate_post}
    assert scene.own_post in post_ids("ADMIN", campaign_id=scene.campaign_a, status="PENDING")
    assert post_ids("ADMIN", campaign_id=scene.campaign_a, status="MATCHED") == set()


def test_results_filter_and_count_by_status(client: Any, sim: Any, dispatched: Any) -> None:
    scene = make_scene()
    aff = scene.users["AFFILIATE"]
    matched_url, over_url = post_url("reddit"), post_url("reddit")
    matched = submit_as(aff, scene.campaign_a, "reddit", matched_url, (1000, 50, 5))
    over = submit_as(aff, scene.campaign_a, "reddit", over_url, (1600, 50, 5))
    reconcile_now(sim, matched, "reddit", matched_url, (1000, 50, 5))
    reconcile_now(sim, over, "reddit", over_url, (1000, 50, 5))

    def results(role: str = "ADMIN", **query: Any) -> dict[str, Any]:
        resp = client.get("/api/v1/reconciliation/results",
                          query_string={"campaign_id": scene.campaign_a, **query},
                          headers=scene.key(role))
        assert resp.status_code == 200, resp.get_json()
        return resp.get_json()

    everything = results()
    assert everything["summary"]["by_status"] == {"MATCHED": 1, "AFFILIATE_OVERCLAIMED": 1,
                                                  "PENDING": 3}
    critical = results(discrepancy_level="CRITICAL")
    assert [i["report_id"] for i in critical["items"]] == [over["report_id"]]
    assert critical["items"][0]["reconciliation"]["status"] == "AFFILIATE_OVERCLAIMED"
    assert results(status="MATCHED", platform="reddit")["summary"]["by_status"] == {"MATCHED": 1}
    assert results(affiliate_id=scene.affiliate_b["id"])["items"] == []
    assert results("CLIENT")["summary"]["by_status"] == everything["summary"]["by_status"]
    assert results("CLIENT", campaign_id=scene.campaign_b)["items"] == []
    page = results(limit=1)
    assert len(page["items"]) == 1 and page["summary"] == everything["summary"]


def test_results_since_and_until_bound_the_submission_time(client: Any, scene: Any) -> None:
    def count(**query: Any) -> int:
        body = client.get("/api/v1/reconciliation/results",
                          query_string={"campaign_id": scene.campaign_a, **query},
                          headers=scene.key("ADMIN")).get_json()
        return len(body["items"])

    assert count(since="2000-01-01T00:00:00Z") == 3
    assert count(until="2000-01-01") == 0
    assert count(since="2999-01-01T00:00:00+02:00") == 0
    bad = client.get("/api/v1/reconciliation/results?since=yesterday",
                     headers=scene.key("ADMIN"))
    assert bad.status_code == 422 and bad.get_json()["errors"][0]["field"] == "since"


def test_alerts_are_filtered_and_scoped_to_the_caller(client: Any, scene: Any) -> None:
    def alert_ids(role: str, **query: Any) -> set[int]:
        body = client.get("/api/v1/alerts", query_string={"limit": 500, **query},
                          headers=scene.key(role)).get_json()
        return {a["id"] for a in body["items"]}

    assert scene.own_alert in alert_ids("AFFILIATE")
    assert scene.other_alert not in alert_ids("AFFILIATE")
    assert scene.own_alert in alert_ids("CLIENT")
    assert scene.other_alert not in alert_ids("CLIENT")
    assert {scene.own_alert, scene.other_alert} <= alert_ids("ANALYST")
    mine = scene.users["AFFILIATE"]["id"]
    assert alert_ids("ADMIN", affiliate_id=mine, type="SUSPICIOUS_CLAIM", severity="HIGH",
                     status="OPEN", platform="youtube") == {scene.own_alert}
    assert alert_ids("ADMIN", affiliate_id=mine, status="RESOLVED") == set()
    assert alert_ids("AFFILIATE", affiliate_id=scene.affiliate_b["id"]) == set()


@pytest.mark.parametrize(("path", "role"), [("/api/v1/submissions", "AFFILIATE"),
                                            ("/api/v1/reconciliation/results", "CLIENT"),
                                            ("/api/v1/alerts", "CLIENT")])
def test_a_page_costs_the_same_statements_whatever_its_length(
    client: Any, scene: Any, path: str, role: str, statements: list[str]
) -> None:
    for _ in range(4):
        submit_as(scene.users["AFFILIATE"], scene.campaign_a, claim=(5000, 50, 5))
    headers = scene.key(role)
    # A key's first request reads the key; its next ones within seconds do not.
    assert client.get(path, query_string={"limit": 1}, headers=headers).status_code == 200

    statements.clear()
    assert client.get(path, query_string={"limit": 1}, headers=headers).status_code == 200
    for_one = len(statements)
    statements.clear()
    assert client.get(path, query_string={"limit": 5}, headers=headers).status_code == 200

    assert len(statements) == for_one, statements  # no query per row
