"""The intake pause lives in PostgreSQL: losing Redis (its cache) never resumes intake."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from reconcile.locks import redis_client
from tests.conftest import free_port
from tests.integration.apihelp import post_url, row_counts

CACHE_KEY = "reconcile:intake:paused"


def _submit(client: Any, world: Any) -> Any:
    return client.post("/api/v1/submissions", headers=world.auth(world.affiliate), json={
        "campaign_id": world.campaign_id, "platform": "youtube", "url": post_url(),
        "claimed_views": 10, "claimed_clicks": 1, "claimed_conversions": 0})


@pytest.fixture
def paused(client: Any, world: Any) -> Iterator[None]:
    admin = world.auth(world.admin)
    assert client.post("/api/v1/ops/intake", json={"paused": True}, headers=admin).status_code \
        == 200
    yield
    assert client.post("/api/v1/ops/intake", json={"paused": False},
                       headers=admin).status_code == 200


def test_a_pause_outlives_redis_losing_its_data(client: Any, world: Any, dispatched: Any,
                                                paused: None) -> None:
    redis_client().delete(CACHE_KEY)  # what a restart without persistence does to it
    before = row_counts()

    resp = _submit(client, world)

    assert (resp.status_code, resp.get_json()["code"]) == (503, "INTAKE_PAUSED")
    assert row_counts() == before
    assert client.get("/api/v1/ops/queues", headers=world.auth(world.admin)
                      ).get_json()["intake_paused"] is True


def test_a_pause_holds_while_redis_is_down(client: Any, world: Any, dispatched: Any,
                                           paused: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    before = row_counts()

    resp = _submit(client, world)

    assert (resp.status_code, resp.get_json()["code"]) == (503, "INTAKE_PAUSED")
    assert row_counts() == before


def test_the_switch_does_not_change_while_its_cache_cannot_be_dropped(
    client: Any, world: Any, dispatched: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")
    admin = world.auth(world.admin)

    refused = client.post("/api/v1/ops/intake", json={"paused": True}, headers=admin)
    monkeypatch.undo()

    assert refused.status_code == 503
    assert _submit(client, world).status_code == 202  # still taking submissions
