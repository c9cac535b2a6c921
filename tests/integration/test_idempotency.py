"""Idempotency-Key on POST /submissions: one effect however often the request is replayed."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from sqlalchemy import func, select
from werkzeug.serving import make_server

from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import IdempotencyRecord, Post, Report
from tests.conftest import unique
from tests.integration.apihelp import post_url, row_counts


@pytest.fixture(scope="module")
def server(app: Any) -> Iterator[str]:
    """The app behind a real threaded HTTP server, so requests truly run at once."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(10)


def _body(world: Any, url: str | None = None, views: int = 1000) -> dict[str, Any]:
    return {"campaign_id": world.campaign_id, "platform": "youtube", "url": url or post_url(),
            "claimed_views": views, "claimed_clicks": 50, "claimed_conversions": 5}


def _reports_for(url_fragment: str) -> int:
    with unit_of_work() as uow:
        return int(uow.session.scalar(
            select(func.count()).select_from(Report).join(Post, Post.id == Report.post_id)
            .where(Post.url.contains(url_fragment))
        ))


def test_ten_concurrent_replays_create_one_report_and_never_wait(
    server: str, world: Any, dispatched: Any
) -> None:
    url = post_url()
    headers = {**world.auth(world.affiliate), "Idempotency-Key": unique("key")}
    body = _body(world, url)
    barrier = threading.Barrier(10)

    def send(_: int) -> requests.Response:
        barrier.wait(10)
        return requests.post(f"{server}/api/v1/submissions", json=body, headers=headers,
                             timeout=30)

    with ThreadPoolExecutor(10) as pool:
        answers = list(pool.map(send, range(10)))

    # One ran; each twin got its answer (202, replayed) or, while it still ran, 409
    # IN_PROGRESS with Retry-After; asked again, every one gets the same answer.
    accepted = [a for a in answers if a.status_code == 202]
    waiting = [a for a in answers if a.status_code == 409]
    assert len(accepted) + len(waiting) == 10 and accepted
    assert {a.json()["code"] for a in waiting} <= {"IN_PROGRESS"}
    assert all(int(a.headers["Retry-After"]) >= 1 for a in waiting)
    again = requests.post(f"{server}/api/v1/submissions", json=body, headers=headers,
                          timeout=30)
    assert len({a.text for a in accepted} | {again.text}) == 1
    assert _reports_for(url.split("=")[-1]) == 1
    assert len(dispatched.sent) == 1


def test_a_replay_returns_the_first_status_and_body_and_creates_nothing(
    client: Any, world: Any, dispatched: Any
) -> None:
    headers = {**world.auth(world.affiliate), "Idempotency-Key": unique("key")}
    body = _body(world)
    first = client.post("/api/v1/submissions", json=body, headers=headers)
    before = row_counts()

    again = client.post("/api/v1/submissions", json=body, headers=headers)

    assert (again.status_code, again.get_json()) == (first.status_code, first.get_json())
    assert first.status_code == 202
    assert row_counts() == before


def test_the_same_key_with_a_different_body_is_422(client: Any, world: Any,
                                                   dispatched: Any) -> None:
    headers = {**world.auth(world.affiliate), "Idempotency-Key": unique("key")}
    body = _body(world)
    assert client.post("/api/v1/submissions", json=body, headers=headers).status_code == 202
    before = row_counts()

    changed = client.post("/api/v1/submissions", json={**body, "claimed_views": 999},
                          headers=headers)

    assert changed.status_code == 422
    assert changed.get_json()["errors"][0]["field"] == "Idempotency-Key"
    assert row_counts() == before


def test_a_refused_submission_is_replayed_as_the_same_refusal(
    client: Any, world: Any, dispatched: Any
) -> None:
    body = _body(world)
    client.post("/api/v1/submissions", json=body, headers=world.auth(world.affiliate))
    headers = {**world.auth(world.affiliate), "Idempotency-Key": unique("key")}

    first = client.post("/api/v1/submissions", json=body, headers=headers)
    again = client.post("/api/v1/submissions", json=body, headers=headers)

    assert first.status_code == again.status_code == 409
    assert again.get_json() == first.get_json()
    assert again.mimetype == "application/problem+json"


def test_keys_belong_to_their_user(client: Any, world: Any, dispatched: Any) -> None:
    key = unique("key")
    mine = client.post("/api/v1/submissions", json=_body(world),
                       headers={**world.auth(world.affiliate), "Idempotency-Key": key})
    theirs = client.post("/api/v1/submissions", json=_body(world),
                         headers={**world.auth(world.new_affiliate()), "Idempotency-Key": key})

    assert mine.status_code == theirs.status_code == 202
    assert mine.get_json()["report_id"] != theirs.get_json()["report_id"]


@pytest.mark.parametrize("key", ["", "k" * 201, "naïve"])
def test_an_unusable_key_is_422_before_anything_is_stored(
    client: Any, world: Any, dispatched: Any, key: str
) -> None:
    before = row_counts()
    headers = {**world.auth(world.affiliate), "Idempotency-Key": key}

    resp = client.post("/api/v1/submissions", json=_body(world), headers=headers)

    assert resp.status_code == 422
    assert resp.get_json()["errors"][0]["field"] == "Idempotency-Key"
    assert row_counts() == before


def test_a_failed_dependency_releases_the_key_for_a_retry(
    client: Any, world: Any, dispatched: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reconcile.errors import ServiceUnavailable
    from reconcile.services.intake import submissions

    key = unique("key")
    headers = {**world.auth(world.affiliate), "Idempotency-Key": key}
    body = _body(world)

    def down(*args: Any, **kwargs: Any) -> None:
        raise ServiceUnavailable("the database is down")

    with monkeypatch.context() as patch:
        patch.setattr(submissions, "submit", down)
        assert client.post("/api/v1/submissions", json=body, headers=headers).status_code == 503
    with unit_of_work() as uow:
        assert uow.session.get(IdempotencyRecord, (world.affiliate["id"], key)) is None

    assert client.post("/api/v1/submissions", json=body, headers=headers).status_code == 202


def test_a_twin_of_a_running_request_is_answered_409_in_progress_at_once(
    server: str, world: Any, dispatched: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from reconcile.services.intake import submissions

    running, release = threading.Event(), threading.Event()
    real = submissions.submit

    def slow(*args: Any, **kwargs: Any) -> Any:
        running.set()
        release.wait(30)
        return real(*args, **kwargs)

    monkeypatch.setattr(submissions, "submit", slow)
    headers = {**world.auth(world.affiliate), "Idempotency-Key": unique("key")}
    body = _body(world)
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(requests.post, f"{server}/api/v1/submissions", json=body,
                            headers=headers, timeout=60)
        assert running.wait(30)
        started = time.monotonic()
        twin = requests.post(f"{server}/api/v1/submissions", json=body, headers=headers,
                             timeout=60)
        waited = time.monotonic() - started
        release.set()
        original = first.result()

    assert (twin.status_code, twin.json()["code"]) == (409, "IN_PROGRESS")
    assert int(twin.headers["Retry-After"]) >= 1 and waited < 2
    replay = requests.post(f"{server}/api/v1/submissions", json=body, headers=headers,
                           timeout=60)
    assert (replay.status_code, replay.text) == (original.status_code, original.text)


def _stored_at(user_id: int, key: str, created_at: datetime) -> None:
    with unit_of_work() as uow:
        uow.session.add(IdempotencyRecord(user_id=user_id, key=key, body_hash="x" * 64,
                                          status_code=202, response={"old": True},
                                          created_at=created_at))


def test_keys_past_their_retention_are_deleted_by_housekeeping(world: Any) -> None:
    from reconcile.services.admin.housekeeping import housekeeping
    from reconcile.services.intake.idempotency import RETENTION

    now = datetime.now(UTC)
    old, fresh = unique("old"), unique("fresh")
    _stored_at(world.affiliate["id"], old, now - RETENTION - timedelta(minutes=1))
    _stored_at(world.affiliate["id"], fresh, now - RETENTION + timedelta(minutes=5))

    assert housekeeping()["idempotency_keys_deleted"] >= 1

    with unit_of_work() as uow:
        assert uow.session.get(IdempotencyRecord, (world.affiliate["id"], old)) is None
        assert uow.session.get(IdempotencyRecord, (world.affiliate["id"], fresh)) is not None


def test_an_expired_key_not_yet_deleted_counts_as_gone(
    client: Any, world: Any, dispatched: Any
) -> None:
    from reconcile.services.intake.idempotency import RETENTION

    key = unique("key")
    _stored_at(world.affiliate["id"], key, datetime.now(UTC) - RETENTION - timedelta(hours=1))

    resp = client.post("/api/v1/submissions", json=_body(world),
                       headers={**world.auth(world.affiliate), "Idempotency-Key": key})

    assert resp.status_code == 202 and "old" not in resp.get_json()


def test_housekeeping_runs_on_beat_s_own_queue() -> None:
    from tasks.housekeeping import app

    entry = app.conf.beat_schedule["housekeeping"]
    assert (entry["task"], entry["options"]["queue"]) == ("reconcile.housekeeping", "periodic")
