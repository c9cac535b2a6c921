"""A Redis outage is a 503 on the routes that need Redis, never a 500 (api.md, Errors)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import free_port

ROUTES = [
    ("get", "/api/v1/ops/queues", None),
    ("get", "/api/v1/ops/slo", None),
    ("get", "/api/v1/ops/breakers", None),
    ("post", "/api/v1/ops/intake", {"paused": True}),
]


@pytest.fixture
def redis_down(monkeypatch: pytest.MonkeyPatch) -> None:
    """Point this process's Redis clients at a port nobody listens on."""
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")


@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=[r[1] for r in ROUTES])
def test_an_ops_route_answers_503_while_redis_is_down(
    client: Any, world: Any, redis_down: None, method: str, path: str, body: Any
) -> None:
    resp = getattr(client, method)(path, json=body, headers=world.auth(world.admin))

    assert resp.status_code == 503, resp.get_json()
    assert resp.get_json()["code"] == "SERVICE_UNAVAILABLE"
    assert resp.headers["Retry-After"]
