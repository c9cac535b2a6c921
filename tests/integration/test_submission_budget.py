"""What one submission costs the API in round trips, pinned (docs/performance.md, round
two): a change that adds one must say so here."""

from __future__ import annotations

from typing import Any

import pytest

from reconcile import redis_clients
from tests.conftest import requires_postgres
from tests.integration.flows import post_url


@pytest.fixture
def redis_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    command = redis_clients.FailFastRedis.execute_command
    pipeline = redis_clients._FailFastPipeline.execute

    def counted_command(self: Any, *args: Any, **options: Any) -> Any:
        calls.append(str(args[0]))
        return command(self, *args, **options)

    def counted_pipeline(self: Any, raise_on_error: bool = True) -> Any:
        calls.append("pipeline")
        return pipeline(self, raise_on_error)

    monkeypatch.setattr(redis_clients.FailFastRedis, "execute_command", counted_command)
    monkeypatch.setattr(redis_clients._FailFastPipeline, "execute", counted_pipeline)
    return calls


def _submit(client: Any, world: Any, headers: dict[str, str]) -> None:
    resp = client.post("/api/v1/submissions", headers=headers, json={
        "campaign_id": world.campaign_id, "platform": "youtube", "url": post_url("youtube"),
        "claimed_views": 1000, "claimed_clicks": 50, "claimed_conversions": 5})
    assert resp.status_code == 202, resp.get_json()


def test_a_submission_is_two_redis_calls_and_three_statements(
    client: Any, world: Any, statements: list[str], redis_calls: list[str]
) -> None:
    requires_postgres()
    headers = world.auth(world.new_affiliate())
    _submit(client, world, headers)  # the key's first request also reads the key
    statements.clear()
    redis_calls.clear()

    _submit(client, world, headers)

    # The rate limit with the revocation counter and the intake check; the job's message.
    assert redis_calls == ["EVALSHA", "LPUSH"]
    # The URL's lock; the campaign with the URL's holders; the post, report and log.
    assert [s.split()[0] for s in statements] == ["SELECT", "SELECT", "WITH"], statements
