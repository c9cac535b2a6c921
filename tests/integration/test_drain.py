"""Taking ready jobs straight from the broker (reconcile.broker.Drain).

One script call takes a batch and records each message as kombu's Redis transport records
an unacknowledged one, so kombu's own visibility-timeout restore puts back what a killed
worker held; one pipeline acknowledges a batch; what is not wanted goes back to the end of
its queue, no longer unacknowledged.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import redis
from kombu import Connection

from reconcile.broker import UNACKED, UNACKED_INDEX, Drain, Taken
from reconcile.config import redis_client_url
from reconcile.task_messages import publish, task_message
from tests.own_redis import OwnRedis

ATTEMPT, OTHER = "reconcile.attempt", "reconcile.deliver_alert"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Any:
    own = OwnRedis(tmp_path_factory.mktemp("drain"))
    own.start()
    yield own
    own.stop()


@pytest.fixture
def client(server: Any) -> redis.Redis:
    c = redis.Redis.from_url(redis_client_url(server.url))
    c.flushdb()
    return c


def _push(client: redis.Redis, queue: str, task: str = ATTEMPT, n: int = 1,
          countdown: float | None = None) -> list[str]:
    messages = [task_message(task, [i, 1], {"trigger": "submission"}, queue,
                             countdown=countdown) for i in range(n)]
    for m in messages:
        publish(client, queue, m)
    return messages


def _attempts(message: Any) -> tuple[int, int] | None:
    if message.headers.get("task") != ATTEMPT or message.headers.get("eta"):
        return None
    args, _, _ = message.decode()
    return int(args[0]), int(args[1])


def test_a_batch_is_taken_in_queue_order_and_held_as_kombu_holds_unacked_messages(client):
    high = _push(client, "high", n=2)
    normal = _push(client, "normal", n=3)
    drain = Drain(lambda: client, ATTEMPT)
    taken = drain.take(4, ["high", "normal"], _attempts)
    assert [job for job, _ in taken] == [(0, 1), (1, 1), (0, 1), (1, 1)]  # oldest first
    assert [m.queue for _, m in taken] == ["high", "high", "normal", "normal"]
    assert client.llen("high") == 0 and client.llen("normal") == 1
    held = client.hgetall(UNACKED)
    assert set(held) == {m.tag.encode() for _, m in taken}
    for job_message, (_, m) in zip([*high, *normal], taken, strict=False):
        payload, exchange, routing_key = json.loads(held[m.tag.encode()])
        assert payload == json.loads(job_message)  # the message itself, byte for byte
        assert (exchange, routing_key) == ("", m.queue)
    assert client.zcard(UNACKED_INDEX) == 4


def test_acknowledging_a_batch_forgets_it_in_one_round_trip(client):
    _push(client, "normal", n=5)
    drain = Drain(lambda: client, ATTEMPT)
    taken = drain.take(5, ["normal"], _attempts)
    drain.ack([m for _, m in taken[:3]])
    left = {m.tag.encode() for _, m in taken[3:]}
    assert set(client.hkeys(UNACKED)) == left
    assert set(client.zrange(UNACKED_INDEX, 0, -1)) == left


def test_kombu_restores_what_a_killed_worker_held_after_the_visibility_timeout(client, server):
    messages = _push(client, "normal", n=3)
    Drain(lambda: client, ATTEMPT).take(3, ["normal"], _attempts)  # ...and the process dies here
    assert client.llen("normal") == 0
    with Connection(server.url, transport_options={"visibility_timeout": 0}) as conn:
        conn.default_channel.qos.restore_visible()
    assert client.hlen(UNACKED) == 0
    restored = [json.loads(raw) for raw in client.lrange("normal", 0, -1)]
    assert sorted(m["headers"]["id"] for m in restored) == sorted(
        json.loads(m)["headers"]["id"] for m in messages)
    # And the next drain takes them again, readable as before.
    again = Drain(lambda: client, ATTEMPT).take(3, ["normal"], _attempts)
    assert sorted(job for job, _ in again) == [(0, 1), (1, 1), (2, 1)]


def test_unwanted_messages_go_back_to_the_end_and_the_drain_stops_after_a_few(client):
    later = _push(client, "normal", n=4, countdown=3600)  # not due: not wanted
    other = _push(client, "normal", task=OTHER, n=2)
    ready = _push(client, "normal", n=1)
    drain = Drain(lambda: client, ATTEMPT, max_put_back=3)
    assert drain.take(10, ["normal"], _attempts) == []  # three unwanted: it stopped there
    assert client.hlen(UNACKED) == 0 and client.zcard(UNACKED_INDEX) == 0
    ids = [json.loads(m)["headers"]["id"] for m in [*later, *other, *ready]]
    # Workers pop on the right: the fourth not-due job is next, the three put back are last.
    queue = [json.loads(raw)["headers"]["id"] for raw in client.lrange("normal", 0, -1)]
    assert queue == [ids[2], ids[1], ids[0], ids[6], ids[5], ids[4], ids[3]]


def test_a_message_that_is_not_json_goes_back_untouched(client):
    client.lpush("normal", b"\xff not json")
    taken = Drain(lambda: client, ATTEMPT).take(5, ["normal"], _attempts)
    assert taken == []
    assert client.lrange("normal", 0, -1) == [b"\xff not json"]
    assert client.hlen(UNACKED) == 0


def test_a_broker_that_fails_mid_drain_keeps_what_was_taken(client):
    _push(client, "normal", n=2)
    calls = {"n": 0}

    def flaky() -> redis.Redis:
        calls["n"] += 1
        if calls["n"] > 1:
            raise redis.ConnectionError("gone")
        return client

    drain = Drain(flaky, ATTEMPT)
    taken = drain.take(2, ["normal"], _attempts)
    assert len(taken) == 2  # what the first call took is run; its tags stay unacked
    drain.ack([m for _, m in taken])  # fails quietly: a redelivery is a no-op
    assert client.hlen(UNACKED) == 2


def test_a_taken_message_decodes_as_kombu_decodes_it(client):
    message = task_message(ATTEMPT, [42, 3], {"trigger": "retry", "request_id": "r"}, "low")
    taken = Taken("low", message.encode(), json.loads(message)["properties"]["delivery_tag"])
    assert taken.headers["task"] == ATTEMPT
    assert taken.decode()[0:2] == [[42, 3], {"trigger": "retry", "request_id": "r"}]
