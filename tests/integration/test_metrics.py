"""GET /metrics: the whole pool's counters in one scrape, gauges read at scrape time."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import redis
from sqlalchemy import func, select

from reconcile.dispatch import CeleryDispatcher
from reconcile.locks import redis_client
from reconcile.observability import events, store
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Alert, Attempt
from reconcile.platforms import breaker
from reconcile.vocabulary import QUEUES
from tests.conftest import unique_video_id, wait_for
from tests.integration.obs import consumers_paused, scrape, total

N = 6


def _high_water() -> tuple[int, int]:
    with unit_of_work() as uow:
        return (int(uow.session.scalar(select(func.max(Attempt.id))) or 0),
                int(uow.session.scalar(select(func.max(Alert.id))) or 0))


def _new_rows(model: Any, after: int) -> int:
    with unit_of_work() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(model)
                                      .where(model.id > after)) or 0)


def _submit(client: Any, world: Any, affiliate: dict, sim: Any, views: int) -> int:
    url = f"https://www.youtube.com/watch?v={unique_video_id()}"
    sim.post("youtube", url, 1000, 50, 5)
    resp = client.post("/api/v1/submissions", headers=world.auth(affiliate), json={
        "campaign_id": world.campaign_id, "platform": "youtube", "url": url,
        "claimed_views": views, "claimed_clicks": 50, "claimed_conversions": 5})
    assert resp.status_code == 202, resp.get_json()
    return int(resp.get_json()["report_id"])


def test_one_scrape_counts_the_reconciliations_of_every_worker_process(
    client: Any, world: Any, sim: Any, workers: Any
) -> None:
    before = scrape(client)
    attempts_before, alerts_before = _high_water()
    affiliate = world.new_affiliate()
    # Half match, half overclaim (an alert each): the pool of two processes shares the work.
    reports = [_submit(client, world, affiliate, sim, 1000 if i % 2 else 1600) for i in range(N)]

    def all_counted() -> dict | None:
        with unit_of_work() as uow:
            ours = uow.session.scalar(select(func.count()).select_from(Attempt)
                                      .where(Attempt.report_id.in_(reports)))
        after = scrape(client)
        new_attempts = _new_rows(Attempt, attempts_before)
        # Counters move just after each commit, so poll until the scrape and the database
        # agree on attempts and alerts alike (a late retry of another test may add one).
        done = (
            ours == N
            and total(after, "reconcile_reconciliation_status_total")
            - total(before, "reconcile_reconciliation_status_total") == new_attempts
            and total(after, "reconcile_alert_created_total")
            - total(before, "reconcile_alert_created_total") == _new_rows(Alert, alerts_before)
        )
        return after if done else None

    after = wait_for(all_counted, 30, 0.2, what="the pool's attempts to reach /metrics")
    new_attempts = _new_rows(Attempt, attempts_before)
    assert new_attempts >= N

    def delta(name: str) -> float:
        return total(after, name) - total(before, name)

    assert delta("reconcile_reconciliation_attempt_duration_seconds_count") == new_attempts
    assert delta("reconcile_trust_score_bucket_total") == new_attempts
    assert delta("reconcile_submission_latency_seconds_count") == N
    assert delta("reconcile_alert_created_total") == _new_rows(Alert, alerts_before) >= N // 2
    matched = ("reconcile_reconciliation_status_total", (("status", "MATCHED"),))
    assert after[matched] - before.get(matched, 0) >= N // 2


def test_queue_depth_is_what_the_broker_holds_while_no_worker_consumes(
    client: Any, workers: Any
) -> None:
    expected = {"high": 0, "normal": 3, "low": 2}
    app, base = CeleryDispatcher().app, 10**12 + uuid.uuid4().int % 10**9
    with consumers_paused():
        # Jobs for reports that do not exist: once consumption resumes they are no-ops.
        jobs = [queue for queue, n in expected.items() for _ in range(n)]
        for i, queue in enumerate(jobs):
            app.send_task("reconcile.attempt", args=[base + i, 1], queue=queue)

        def agree() -> dict | None:
            depths = {q: int(redis_client().llen(q)) for q in QUEUES}
            seen = scrape(client)
            reported = {q: seen[("reconcile_queue_depth", (("queue", q),))] for q in QUEUES}
            return depths if reported == depths and depths == expected else None

        wait_for(agree, 10, 0.1, what="queue_depth to match LLEN of the queues")


def test_breaker_transitions_are_counted_and_the_gauge_shows_the_state(client: Any,
                                                                       stack: Any) -> None:
    platform = "reddit"
    breaker.reset(platform)
    before = scrape(client)
    key = ("reconcile_breaker_transitions_total", (("platform", platform), ("state", "open")))
    try:
        with pytest.raises(breaker.CircuitOpen):
            for _ in range(100):
                breaker.call(platform, lambda: "down", lambda answer: True, 5.0)
        after = scrape(client)
        assert after[key] - before.get(key, 0) == 1
        assert after[("reconcile_breaker_state", (("platform", platform),))] == 2
    finally:
        breaker.reset(platform)
    assert scrape(client)[("reconcile_breaker_state", (("platform", platform),))] == 0


def test_recording_never_fails_the_caller_when_redis_is_down(
    stack: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    dead = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.25)
    monkeypatch.setattr(store, "client", lambda: dead)
    dropped = store.dropped
    events.deferred("circuit_open")
    events.breaker_transition("x", "open")
    assert store.dropped == dropped + 2


def test_labels_never_carry_affiliate_or_user_ids(client: Any, stack: Any) -> None:
    allowed = {"status", "type", "severity", "bucket", "platform", "state", "reason",
               "queue", "le", "outcome", "tally"}
    names = {name for (_, labels) in scrape(client) for name, _ in labels}
    assert names <= allowed
