"""Tracked links (truth.md, Tracked links): making them, the redirect, its filters, the
writer, link_code on submissions and the link's numbers."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, text

from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Campaign, Click
from reconcile.services.tracking.clicks import write_clicks
from reconcile.services.tracking.counts import counted_clicks
from tests.conftest import unique_post_url
from tests.integration.tracking_help import (
    BROWSER,
    LANDING,
    auth,
    click,
    drain,
    give_landing,
    make_link,
    written_clicks,
)


def _submit(client: Any, world: Any, code: str | None, affiliate: dict | None = None) -> Any:
    body = {"campaign_id": world.campaign_id, "platform": "youtube", "url": unique_post_url(),
            "claimed_views": 100, "claimed_clicks": 3, "claimed_conversions": 0}
    if code is not None:
        body["link_code"] = code
    return client.post("/api/v1/submissions", json=body,
                       headers=auth(affiliate or world.affiliate))


def test_a_link_is_made_under_the_public_base_url(client, world, monkeypatch):
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://go.example.com/")
    give_landing(client, world)
    r = client.post("/api/v1/links", json={"campaign_id": world.campaign_id},
                    headers=auth(world.affiliate))
    assert r.status_code == 201
    body = r.get_json()
    assert body["url"] == f"https://go.example.com/r/{body['code']}"
    assert body["campaign_id"] == world.campaign_id and body["post_id"] is None


@pytest.mark.parametrize(("role", "status"), [("advertiser", 403), ("analyst", 403),
                                              ("admin", 403)])
def test_only_an_affiliate_makes_links(client, world, role, status):
    give_landing(client, world)
    r = client.post("/api/v1/links", json={"campaign_id": world.campaign_id},
                    headers=auth(getattr(world, role)))
    assert r.status_code == status


def test_a_campaign_without_a_landing_url_gives_no_links(client, world):
    r = client.post("/api/v1/links", json={"campaign_id": world.campaign_id},
                    headers=auth(world.affiliate))
    assert r.status_code == 422
    assert r.get_json()["errors"][0]["field"] == "campaign_id"


@pytest.mark.parametrize("url", ["ftp://shop.example.com/", "javascript:alert(1)", "shop",
                                 "https://", 42])
def test_a_landing_url_must_be_http(client, world, url):
    r = client.patch(f"/api/v1/campaigns/{world.campaign_id}", json={"landing_url": url},
                     headers=auth(world.advertiser))
    assert r.status_code == 422
    assert r.get_json()["code"] == "VALIDATION_ERROR"


def test_the_redirect_lands_with_the_click_id_and_an_unknown_code_is_404(client, world):
    give_landing(client, world)
    code = make_link(client, world)
    r = client.get(f"/r/{code}", headers={"User-Agent": BROWSER})
    assert r.status_code == 302
    assert r.headers["Location"].startswith(LANDING + "&rc_click=")
    assert client.get("/r/NoSuchCode1").status_code == 404
    assert client.get("/r/bad-code!").status_code == 404


@pytest.mark.parametrize(("kind", "reason"), [
    ("head", "head_request"), ("slackbot", "bot"), ("facebook", "bot"), ("twitter", "bot"),
    ("discord", "bot"), ("whatsapp", "bot"), ("prefetch", "bot"), ("sec-purpose", "bot"),
    ("repeat", "duplicate"),
])
def test_a_click_is_filtered_with_its_reason(client, world, kind, reason):
    give_landing(client, world)
    code = make_link(client, world)
    click(client, code)  # one real visitor first: counted
    agents = {"slackbot": "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
              "facebook": "facebookexternalhit/1.1", "twitter": "Twitterbot/1.0",
              "discord": "Mozilla/5.0 (compatible; Discordbot/2.0)", "whatsapp": "WhatsApp/2.2"}
    if kind == "head":
        click(client, code, method="HEAD", ip="198.51.100.99")
    elif kind in agents:
        click(client, code, agent=agents[kind], ip="198.51.100.99")
    elif kind == "prefetch":
        click(client, code, ip="198.51.100.99", headers={"Purpose": "prefetch"})
    elif kind == "sec-purpose":
        click(client, code, ip="198.51.100.99", headers={"Sec-Purpose": "prefetch"})
    else:
        click(client, code)  # the same visitor and browser again
    drain()
    rows = written_clicks(code)
    assert [(c.counted, c.filter_reason) for c in rows] == [(True, None), (False, reason)]
    stats = client.get(f"/api/v1/links/{code}/stats", headers=auth(world.affiliate)).get_json()
    assert stats["clicks"] == {"counted": 1, "filtered": {reason: 1}}


def test_other_visitors_and_other_browsers_count(client, world):
    give_landing(client, world)
    code = make_link(client, world)
    for ip in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
        click(client, code, ip=ip)
        click(client, code, ip=ip, agent=BROWSER + " Edg/126.0")
    drain()
    assert sum(c.counted for c in written_clicks(code)) == 6


def test_forwarded_for_from_an_untrusted_peer_is_ignored_and_no_address_is_stored(client,
                                                                                  world):
    give_landing(client, world)
    code = make_link(client, world)
    click(client, code, ip="203.0.113.77", headers={"X-Forwarded-For": "192.0.2.1"})
    click(client, code, ip="203.0.113.77", headers={"X-Forwarded-For": "192.0.2.2"})
    drain()
    rows = written_clicks(code)
    assert [c.filter_reason for c in rows] == [None, "duplicate"]  # one visitor, forged hops
    with unit_of_work() as uow:
        dump = uow.session.execute(text("SELECT * FROM clicks")).all()
    assert not any("203.0.113.77" in str(row) or "192.0.2.1" in str(row) for row in dump)


def test_a_paused_campaign_still_lands_and_its_clicks_are_filtered(client, world):
    give_landing(client, world)
    code = make_link(client, world)
    with unit_of_work() as uow:
        uow.session.get(Campaign, world.campaign_id).status = "PAUSED"
    click(client, code)
    drain()
    assert [(c.counted, c.filter_reason) for c in written_clicks(code)] == [
        (False, "campaign_inactive")]


def test_a_new_landing_url_is_followed_at_once(client, world):
    give_landing(client, world)
    code = make_link(client, world)
    click(client, code)
    give_landing(client, world, "https://other.example.com/landing")
    r = client.get(f"/r/{code}", headers={"User-Agent": BROWSER})
    assert r.headers["Location"].startswith("https://other.example.com/landing?rc_click=")


def test_redis_down_still_redirects_and_logs_the_lost_click(client, world, monkeypatch,
                                                            caplog):
    give_landing(client, world)
    code = make_link(client, world)
    click(client, code)  # the landing URL is cached in this process
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")  # nothing listens there
    with caplog.at_level(logging.ERROR, logger="reconcile.tracking"):
        assert click(client, code, ip="198.51.100.200") is not None
    assert any("Click lost" in r.getMessage() for r in caplog.records)


def test_redis_down_with_a_cold_cache_reads_the_landing_from_the_database(client, world,
                                                                          monkeypatch):
    from reconcile.services.tracking import landing

    give_landing(client, world)
    code = make_link(client, world)
    landing._local.clear()
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")
    assert click(client, code) is not None


def test_link_code_on_a_submission_ties_the_link_to_the_post(client, world):
    give_landing(client, world)
    code = make_link(client, world)
    r = _submit(client, world, code)
    assert r.status_code == 202, r.get_json()
    post_id = r.get_json()["post_id"]
    click(client, code)
    drain()
    stats = client.get(f"/api/v1/links/{code}/stats", headers=auth(world.advertiser))
    assert stats.get_json()["post_id"] == post_id
    with unit_of_work() as uow:
        assert counted_clicks(uow.session, [post_id], datetime.now(UTC)) == {post_id: 1}
    again = _submit(client, world, code)
    assert again.status_code == 409 and again.get_json()["code"] == "LINK_IN_USE"


def test_another_affiliate_s_code_is_not_found(client, world):
    give_landing(client, world)
    code = make_link(client, world)
    other = world.new_affiliate()
    r = _submit(client, world, code, affiliate=other)
    assert r.status_code == 404
    assert client.get(f"/api/v1/links/{code}/stats", headers=auth(other)).status_code == 404


def test_stats_are_for_the_owner_its_client_and_readers_only(client, world):
    from reconcile.services.admin.accounts import create_client, create_user

    give_landing(client, world)
    code = make_link(client, world)
    stranger_client = create_client(f"c-{uuid.uuid4().hex[:6]}")["id"]
    stranger = create_user("CLIENT", "S", f"s-{uuid.uuid4().hex[:8]}@example.com",
                           stranger_client)
    for user, status in ((world.affiliate, 200), (world.advertiser, 200), (world.analyst, 200),
                         (world.admin, 200), (stranger, 404)):
        assert client.get(f"/api/v1/links/{code}/stats", headers=auth(user)).status_code == status


def _entry(code: str, click_id: str, reason: str = "") -> dict[str, str]:
    return {"click_id": click_id, "code": code, "vh": "v" * 64, "ua": BROWSER,
            "at": datetime.now(UTC).isoformat(), "reason": reason}


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.integers(0, 7), min_size=1, max_size=30), st.integers(1, 4))
def test_writing_clicks_is_idempotent_on_the_click_id(client, world, picks, batches):
    give_landing(client, world)
    code = make_link(client, world)
    ids = [uuid.uuid4().hex for _ in range(8)]
    entries = [_entry(code, ids[i]) for i in picks]
    size = max(1, len(entries) // batches)
    for start in range(0, len(entries), size):
        write_clicks(entries[start:start + size])
    write_clicks(entries)  # a whole batch written again (a writer killed before its ack)
    with unit_of_work() as uow:
        written = uow.session.scalar(select(func.count()).select_from(Click)
                                     .where(Click.click_id.in_(ids)))
    assert written == len(set(picks))


def test_forwarded_for_names_the_visitor_behind_a_trusted_proxy(client, world):
    from reconcile.bootstrap import active_rules, use_rules
    from reconcile.rules import rules_from_mapping

    use_rules(rules_from_mapping({**active_rules().as_dict(),
                                  "tracking": {"trusted_proxies": ["10.1.0.0/16"]}}))
    try:
        give_landing(client, world)
        code = make_link(client, world)
        for visitor in ("192.0.2.1", "192.0.2.2", "192.0.2.1"):
            click(client, code, ip="10.1.2.3", headers={"X-Forwarded-For": visitor})
        drain()
    finally:
        use_rules(None)
    assert [c.filter_reason for c in written_clicks(code)] == [None, None, "duplicate"]


@pytest.mark.parametrize(("landing", "status"), [
    ("https://shop.example.com/x", 201), ("http://shop.example.com", 201),
    ("ftp://shop.example.com", 422), ("shop.example.com", 422), ("https:///x", 422),
])
def test_a_campaign_is_created_with_its_landing_url_and_window(client, world, landing, status):
    r = client.post("/api/v1/campaigns", headers=auth(world.advertiser), json={
        "name": "with landing", "client_id": world.client_id, "platforms": ["youtube"],
        "landing_url": landing, "attribution_window_days": 7})
    assert r.status_code == status, r.get_json()
    if status == 201:
        assert (r.get_json()["landing_url"], r.get_json()["attribution_window_days"]) == (
            landing, 7)


@pytest.mark.parametrize("days", [0, 366, "7", 1.5, True])
def test_the_attribution_window_is_1_to_365_whole_days(client, world, days):
    r = client.patch(f"/api/v1/campaigns/{world.campaign_id}",
                     json={"attribution_window_days": days}, headers=auth(world.advertiser))
    assert r.status_code == 422


def test_written_and_filtered_clicks_are_counted_in_the_metrics(client, world):
    from prometheus_client.parser import text_string_to_metric_families

    def samples() -> dict[tuple[str, tuple], float]:
        text = client.get("/metrics").get_data(as_text=True)
        return {(s.name, tuple(sorted(s.labels.items()))): s.value
                for family in text_string_to_metric_families(text)
                for s in family.samples if s.name.startswith("reconcile_clicks")}

    give_landing(client, world)
    code = make_link(client, world)
    before = samples()
    click(client, code)
    click(client, code, agent="Twitterbot/1.0")
    drain()
    after = samples()

    def grew(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after.get(key, 0) - before.get(key, 0)

    assert grew("reconcile_clicks_recorded_total", outcome="counted") >= 1
    assert grew("reconcile_clicks_recorded_total", outcome="filtered") >= 1
    assert grew("reconcile_clicks_filtered_total", reason="bot") >= 1


def test_a_redis_that_forgot_the_recording_script_still_records(client, world):
    from reconcile.locks import redis_client

    give_landing(client, world)
    code = make_link(client, world)
    click(client, code, ip="198.51.100.31")
    redis_client().script_flush()  # what a restarted Redis knows of it
    click(client, code, ip="198.51.100.32")
    drain()
    assert [c.counted for c in written_clicks(code)] == [True, True]
