"""Conversion postbacks (truth.md): the JSON route, the signed pixel, secrets and their
rotation, idempotency on event_id, the attribution window, and reversal."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update

from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Click, Conversion, ReconciliationLog
from reconcile.services.tracking.counts import counted_conversions
from tests.conftest import requires_postgres, unique_post_url
from tests.integration.obs import scrape
from tests.integration.tracking_help import auth, click, drain, give_landing, make_link


def _clicked(client: Any, world: Any, **kw: Any) -> tuple[str, str]:
    give_landing(client, world, window=kw.pop("window", None))
    code = make_link(client, world)
    click_id = click(client, code, **kw)
    assert click_id
    return code, click_id


def _post(client: Any, user: dict, **body: Any) -> Any:
    return client.post("/api/v1/postbacks", json=body, headers=auth(user))


def _submitted(client: Any, world: Any, code: str) -> int:
    r = client.post("/api/v1/submissions", headers=auth(world.affiliate), json={
        "campaign_id": world.campaign_id, "platform": "youtube", "url": unique_post_url(),
        "claimed_views": 10, "claimed_clicks": 1, "claimed_conversions": 1, "link_code": code})
    assert r.status_code == 202, r.get_json()
    return int(r.get_json()["post_id"])


def _counted(post_id: int, at: datetime | None = None) -> int:
    with unit_of_work() as uow:
        return counted_conversions(uow.session, [post_id], at or datetime.now(UTC))[post_id]


def test_a_postback_replayed_five_times_counts_once(client, world):
    code, click_id = _clicked(client, world)
    post_id = _submitted(client, world, code)
    body = {"click_id": click_id, "event_id": "order-1", "amount_minor": 1299,
            "currency": "EUR"}
    first = _post(client, world.advertiser, **body)
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["status"] == "counted"
    for _ in range(5):
        again = _post(client, world.advertiser, **body)
        assert again.status_code == 200 and again.get_json() == first.get_json()
    assert _counted(post_id) == 1
    stats = client.get(f"/api/v1/links/{code}/stats", headers=auth(world.affiliate)).get_json()
    assert stats["conversions"] == {"counted": 1}


def test_a_conversion_costs_two_round_trips_and_no_transaction(client, world, round_trips):
    """The click's read and the conversion's insert, each committed by itself
    (db.single_statements): no BEGIN, no COMMIT. A replay adds the first answer's read."""
    requires_postgres()
    _, click_id = _clicked(client, world)
    drain()
    warm = _post(client, world.advertiser, click_id=click_id, event_id="warm")  # key cached
    assert warm.status_code == 201, warm.get_json()
    round_trips.clear()
    assert _post(client, world.advertiser, click_id=click_id, event_id="new").status_code == 201
    assert sum(round_trips) == 2, round_trips
    round_trips.clear()
    assert _post(client, world.advertiser, click_id=click_id, event_id="new").status_code == 200
    assert sum(round_trips) == 3, round_trips


def _outcomes(client: Any) -> dict[str, float]:
    return {dict(labels)["outcome"]: value for (name, labels), value in scrape(client).items()
            if name == "reconcile_postbacks_total"}


def test_each_postbacks_outcome_is_counted_in_the_metrics(client, world):
    """Counted in the process and sent with its next flush: a scrape sends this process's
    first, so it sees every one."""
    _, click_id = _clicked(client, world)
    before = _outcomes(client)
    for event_id in ("a", "b", "a"):
        _post(client, world.advertiser, click_id=click_id, event_id=event_id)
    unknown = _post(client, world.advertiser, click_id=uuid.uuid4().hex, event_id="c")
    assert unknown.get_json()["code"] == "UNKNOWN_CLICK"
    after = _outcomes(client)
    grew = {k: after.get(k, 0) - before.get(k, 0) for k in after}
    assert {k: v for k, v in grew.items() if v} == {"counted": 2, "replayed": 1,
                                                    "unknown_click": 1}


def test_a_postback_right_after_the_click_finds_it_before_the_writer_ran(client, world):
    _, click_id = _clicked(client, world)  # not drained: the click is still in Redis
    r = _post(client, world.admin, click_id=click_id, event_id="fast")
    assert r.status_code == 201 and r.get_json()["status"] == "counted"


def test_a_postback_waits_for_a_click_another_writer_is_writing_now(client, world):
    """Beat's writer has just read the click from Redis and not yet committed it: the
    postback's own flush finds the stream empty, and waits for that commit (not a 422)."""
    import threading
    import time

    from reconcile.locks import redis_client
    from reconcile.services.tracking import clicks

    _, click_id = _clicked(client, world)
    r = redis_client()
    clicks.flush_clicks(max_seconds=0)  # only makes sure the writers' group exists
    read = r.xreadgroup(clicks.GROUP, "slow-writer", {clicks.STREAM: ">"}, count=1000)
    taken = clicks._decode(read[0][1]) if read else []
    assert click_id in [fields["click_id"] for _, fields in taken]

    def slow_writer() -> None:
        time.sleep(0.3)  # the scenario: a writer in the middle of its batch
        clicks.write_clicks([fields for _, fields in taken])
        r.xack(clicks.STREAM, clicks.GROUP, *[entry for entry, _ in taken])
        r.xdel(clicks.STREAM, *[entry for entry, _ in taken])

    writer = threading.Thread(target=slow_writer)
    writer.start()
    answer = _post(client, world.admin, click_id=click_id, event_id="in-flight")
    writer.join(10)
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["status"] == "counted"


@pytest.mark.parametrize("who", ["stranger", "nobody"])
def test_an_unknown_click_is_422(client, world, who):
    from reconcile.services.admin.accounts import create_client, create_user

    _, click_id = _clicked(client, world)
    drain()
    if who == "stranger":  # another client's click is unknown to it
        other = create_client(f"o-{uuid.uuid4().hex[:6]}")["id"]
        user = create_user("CLIENT", "O", f"o-{uuid.uuid4().hex[:8]}@example.com", other)
        r = _post(client, user, click_id=click_id, event_id="e1")
    else:
        r = _post(client, world.advertiser, click_id=uuid.uuid4().hex, event_id="e1")
    assert r.status_code == 422 and r.get_json()["code"] == "UNKNOWN_CLICK"


@pytest.mark.parametrize(("role", "status"), [("affiliate", 403), ("analyst", 403)])
def test_only_the_client_or_an_admin_posts_conversions(client, world, role, status):
    _, click_id = _clicked(client, world)
    assert _post(client, getattr(world, role), click_id=click_id, event_id="x").status_code \
        == status


def test_a_conversion_of_a_filtered_click_is_not_counted(client, world):
    code, click_id = _clicked(client, world, agent="Twitterbot/1.0")
    post_id = _submitted(client, world, code)
    r = _post(client, world.advertiser, click_id=click_id, event_id="bot-order")
    assert r.get_json()["status"] == "filtered_click"
    assert _counted(post_id) == 0


def test_a_conversion_outside_the_attribution_window_is_not_counted(client, world):
    code, click_id = _clicked(client, world, window=1)
    post_id = _submitted(client, world, code)
    drain()
    with unit_of_work() as uow:  # the click was two days ago
        uow.session.execute(update(Click).where(Click.click_id == click_id)
                            .values(clicked_at=datetime.now(UTC) - timedelta(days=2)))
    late = _post(client, world.advertiser, click_id=click_id, event_id="late")
    assert late.status_code == 201 and late.get_json()["status"] == "outside_window"
    inside = _post(client, world.advertiser, click_id=click_id, event_id="inside",
                   occurred_at=(datetime.now(UTC) - timedelta(days=1, hours=12)).isoformat())
    assert inside.get_json()["status"] == "counted"
    assert _counted(post_id) == 1


@pytest.mark.parametrize(("body", "field"), [
    ({"amount_minor": 100}, "currency"),
    ({"currency": "EUR"}, "amount_minor"),
    ({"amount_minor": 100, "currency": "XXX"}, "currency"),
    ({"amount_minor": 100, "currency": "eur"}, "currency"),
    ({"amount_minor": 12.5, "currency": "EUR"}, "amount_minor"),
    ({"amount_minor": "100", "currency": "EUR"}, "amount_minor"),
    ({"amount_minor": -1, "currency": "EUR"}, "amount_minor"),
    ({"occurred_at": "2999-01-01T00:00:00Z"}, "occurred_at"),
    ({"extra": 1}, "extra"),
])
def test_bad_amounts_and_times_are_422(client, world, body, field):
    _, click_id = _clicked(client, world)
    r = _post(client, world.advertiser, click_id=click_id, event_id="bad", **body)
    assert r.status_code == 422, r.get_json()
    assert field in {e["field"] for e in r.get_json()["errors"]}
    with unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Conversion)
                                  .where(Conversion.click_id == click_id)) == 0


def _sign(secret: str, query: str) -> str:
    return hmac.new(secret.encode(), query.encode(), hashlib.sha256).hexdigest()


def test_the_signed_pixel_counts_and_a_bad_or_missing_signature_is_401(client, world):
    code, click_id = _clicked(client, world)
    r = client.post(f"/api/v1/clients/{world.client_id}/postback-secret",
                    headers=auth(world.advertiser))
    assert r.status_code == 201
    secret = r.get_json()["secret"]
    query = urlencode({"click_id": click_id, "event_id": "px/1", "amount_minor": 500,
                       "currency": "USD"})
    ok = client.get(f"/api/v1/postbacks/pixel?{query}&sig={_sign(secret, query)}")
    assert ok.status_code == 201 and ok.get_json()["status"] == "counted"
    assert client.get(f"/api/v1/postbacks/pixel?{query}&sig={_sign(secret, query)}") \
        .status_code == 200  # the same event again
    other = urlencode({"click_id": click_id, "event_id": "px/2"})
    assert client.get(f"/api/v1/postbacks/pixel?{other}&sig={'0' * 64}").status_code == 401
    assert client.get(f"/api/v1/postbacks/pixel?{other}").status_code == 401
    tampered = other.replace("px%2F2", "px%2F3")
    assert client.get(f"/api/v1/postbacks/pixel?{tampered}&sig={_sign(secret, other)}") \
        .status_code == 401


def test_a_rotated_secret_stops_working_at_once(client, world):
    _, click_id = _clicked(client, world)
    url = f"/api/v1/clients/{world.client_id}/postback-secret"
    old = client.post(url, headers=auth(world.admin)).get_json()["secret"]
    new = client.post(url, headers=auth(world.advertiser)).get_json()["secret"]
    assert old != new
    query = urlencode({"click_id": click_id, "event_id": "rot"})
    assert client.get(f"/api/v1/postbacks/pixel?{query}&sig={_sign(old, query)}") \
        .status_code == 401
    assert client.get(f"/api/v1/postbacks/pixel?{query}&sig={_sign(new, query)}") \
        .status_code == 201


@pytest.mark.parametrize(("role", "status"), [("affiliate", 403), ("analyst", 403),
                                              ("stranger", 404)])
def test_only_the_client_or_an_admin_rotates_its_secret(client, world, role, status):
    from reconcile.services.admin.accounts import create_client, create_user

    if role == "stranger":
        other = create_client(f"o-{uuid.uuid4().hex[:6]}")["id"]
        user = create_user("CLIENT", "O", f"o-{uuid.uuid4().hex[:8]}@example.com", other)
    else:
        user = getattr(world, role)
    r = client.post(f"/api/v1/clients/{world.client_id}/postback-secret", headers=auth(user))
    assert r.status_code == status


def test_a_reversal_stops_counting_and_re_reconciles_the_post(client, world, dispatched):
    code, click_id = _clicked(client, world)
    post_id = _submitted(client, world, code)
    report_id = dispatched.sent[-1][0]
    conversion = _post(client, world.advertiser, click_id=click_id, event_id="r1").get_json()
    before = datetime.now(UTC)
    assert _counted(post_id) == 1
    with unit_of_work() as uow:  # as if the first attempt had finished
        uow.session.execute(update(ReconciliationLog)
                            .where(ReconciliationLog.report_id == report_id)
                            .values(attempt_count=1, is_terminal=True, status="MATCHED"))
    r = client.post(f"/api/v1/postbacks/{conversion['conversion_id']}/reverse",
                    json={"reason": "refunded"}, headers=auth(world.advertiser))
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["rerun"] == {"report_id": report_id, "attempt": 2}
    assert _counted(post_id) == 0 and _counted(post_id, before) == 1
    assert dispatched.sent[-1][:2] == (report_id, 2)
    assert dispatched.sent[-1][2]["trigger"] == "rerun"
    with unit_of_work() as uow:
        log = uow.session.scalars(select(ReconciliationLog)
                                  .where(ReconciliationLog.report_id == report_id)).one()
        assert log.is_terminal is False and log.job_trigger == "rerun"
    again = client.post(f"/api/v1/postbacks/{conversion['conversion_id']}/reverse",
                        json={"reason": "twice"}, headers=auth(world.advertiser))
    assert again.status_code == 409 and again.get_json()["code"] == "ALREADY_REVERSED"


def test_another_client_cannot_reverse(client, world):
    from reconcile.services.admin.accounts import create_client, create_user

    _, click_id = _clicked(client, world)
    conversion = _post(client, world.advertiser, click_id=click_id, event_id="r2").get_json()
    other = create_client(f"o-{uuid.uuid4().hex[:6]}")["id"]
    user = create_user("CLIENT", "O", f"o-{uuid.uuid4().hex[:8]}@example.com", other)
    r = client.post(f"/api/v1/postbacks/{conversion['conversion_id']}/reverse",
                    json={"reason": "x"}, headers=auth(user))
    assert r.status_code == 404


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1, max_size=12))
def test_replayed_postbacks_count_once_per_event(client, world, events):
    code, click_id = _clicked(client, world)
    post_id = _submitted(client, world, code)
    prefix = uuid.uuid4().hex[:8]
    answers: dict[str, Any] = {}
    for event in events:
        r = _post(client, world.advertiser, click_id=click_id, event_id=f"{prefix}-{event}")
        expected = 200 if event in answers else 201
        assert r.status_code == expected
        answers.setdefault(event, r.get_json())
        assert r.get_json() == answers[event]
    assert _counted(post_id) == len(set(events))


def test_racing_postbacks_of_one_event_make_one_conversion_and_the_same_answer(client, world):
    """The unique (client, event_id) decides which is first; the others wait for it and
    answer 200 with its answer (no lock of our own, no 500 on the conflict)."""
    import threading

    from reconcile.services.principal import Principal
    from reconcile.services.tracking.postbacks import Postback, record_postback

    _, click_id = _clicked(client, world)
    drain()
    caller = Principal(user_id=world.advertiser["id"], role="CLIENT",
                       client_id=world.client_id)
    event = f"race-{uuid.uuid4().hex[:8]}"
    start = threading.Barrier(6)
    answers: list[tuple[dict[str, Any], int]] = []

    def send() -> None:
        start.wait(timeout=10)
        answers.append(record_postback(caller, Postback(click_id, event, 500, "EUR")))

    threads = [threading.Thread(target=send) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(status for _, status in answers) == [200] * 5 + [201]
    assert len({body["conversion_id"] for body, _ in answers}) == 1
    with unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Conversion).where(
            Conversion.event_id == event)) == 1
