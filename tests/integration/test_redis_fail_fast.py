"""A hung or stopped Redis costs a process one timeout, then fails its calls at once.

On a Redis of the test's own: SIGSTOP makes it accept connections and never answer, the
way a stalled host or a dropped network path does.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from reconcile import redis_clients
from reconcile.dispatch import CeleryDispatcher
from tests.conftest import wait_for
from tests.own_redis import OwnRedis


@pytest.fixture
def server(tmp_path: Path) -> Iterator[OwnRedis]:
    own = OwnRedis(tmp_path)
    own.start()
    yield own
    own.close()


def _timed(call) -> tuple[float, Exception | None]:
    started = time.monotonic()
    try:
        call()
    except redis.RedisError as exc:
        return time.monotonic() - started, exc
    return time.monotonic() - started, None


def test_a_hung_redis_costs_one_timeout_then_calls_fail_at_once(server) -> None:
    client = redis_clients.connect(server.url)
    client.set("k", "v")
    server.hang()
    try:
        first, error = _timed(lambda: client.get("k"))
        assert isinstance(error, redis.TimeoutError)
        assert redis_clients.TIMEOUT_SECONDS <= first < redis_clients.TIMEOUT_SECONDS + 1
        for call in (lambda: client.get("k"), lambda: client.pipeline().get("k").execute()):
            seconds, error = _timed(call)
            assert isinstance(error, redis.ConnectionError) and seconds < 0.05
        assert not redis_clients.available(server.url)
    finally:
        server.resume()
    wait_for(lambda: client.get("k") == b"v", redis_clients.COOL_DOWN_SECONDS + 2, 0.1,
             what="the client to use Redis again after its rest")


def test_a_restarted_redis_is_used_again_without_a_failed_call(server) -> None:
    client = redis_clients.connect(server.url)
    assert client.ping()
    server.stop()
    server.start()  # the pooled connection is dead now

    assert client.set("k", "v") and client.get("k") == b"v"
    assert redis_clients.available(server.url)


def test_one_redis_resting_leaves_the_others_alone(server, tmp_path: Path) -> None:
    (tmp_path / "other").mkdir()
    other = OwnRedis(tmp_path / "other")
    other.start()
    try:
        server.stop()
        seconds, error = _timed(lambda: redis_clients.connect(server.url).ping())
        assert isinstance(error, redis.ConnectionError) and seconds < 1
        assert redis_clients.connect(other.url).ping()
    finally:
        other.close()


def test_the_dispatcher_leaves_a_resting_broker_to_the_sweep(server, monkeypatch) -> None:
    monkeypatch.setenv("REDIS_URL", server.url)
    redis_clients.note_failure(server.url)

    started = time.monotonic()
    sent = CeleryDispatcher().reconcile(1, 1)

    assert sent is False and time.monotonic() - started < 0.05
    assert redis.Redis.from_url(server.url).llen("normal") == 0
