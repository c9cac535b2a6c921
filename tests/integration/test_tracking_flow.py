"""The README tour's shape with real workers: make a link, submit a post with it, click it
from M visitors (some of them twice, and a previewer), post K conversions; the worker pool
writes the clicks, and the post's counted numbers are M and K."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from reconcile.dispatch import CeleryDispatcher
from reconcile.persistence.db import unit_of_work
from reconcile.services.tracking.counts import counted_clicks, counted_conversions
from tests.conftest import unique_post_url, wait_for
from tests.integration.tracking_help import auth, click, give_landing, make_link

VISITORS, CONVERSIONS = 7, 3


def _counts(post_id: int) -> tuple[int, int]:
    with unit_of_work() as uow:
        now = datetime.now(UTC)
        return (counted_clicks(uow.session, [post_id], now)[post_id],
                counted_conversions(uow.session, [post_id], now)[post_id])


def test_clicks_written_by_the_workers_and_postbacks_count_for_the_post(client: Any,
                                                                        world: Any,
                                                                        workers: Any) -> None:
    give_landing(client, world)
    code = make_link(client, world)
    r = client.post("/api/v1/submissions", headers=auth(world.affiliate), json={
        "campaign_id": world.campaign_id, "platform": "youtube", "url": unique_post_url(),
        "claimed_views": 100, "claimed_clicks": VISITORS, "claimed_conversions": CONVERSIONS,
        "link_code": code})
    assert r.status_code == 202, r.get_json()
    post_id = r.get_json()["post_id"]
    click_ids = [click(client, code, ip=f"198.51.100.{n + 1}") for n in range(VISITORS)]
    click(client, code, ip="198.51.100.1")  # a repeat
    click(client, code, agent="Slackbot-LinkExpanding 1.0")  # a previewer
    CeleryDispatcher().app.send_task("reconcile.flush_clicks", queue="periodic")
    wait_for(lambda: _counts(post_id)[0] == VISITORS, 30, what="the workers wrote the clicks")
    for n in range(CONVERSIONS):
        posted = client.post("/api/v1/postbacks", headers=auth(world.advertiser),
                             json={"click_id": click_ids[n], "event_id": f"order-{n}",
                                   "amount_minor": 2500, "currency": "USD"})
        assert posted.status_code == 201 and posted.get_json()["status"] == "counted"
    assert _counts(post_id) == (VISITORS, CONVERSIONS)
    stats = client.get(f"/api/v1/links/{code}/stats", headers=auth(world.affiliate)).get_json()
    assert stats == {**stats, "post_id": post_id,
                     "clicks": {"counted": VISITORS, "filtered": {"duplicate": 1, "bot": 1}},
                     "conversions": {"counted": CONVERSIONS}}
