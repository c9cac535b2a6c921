"""The worker's broker connection survives Redis going away mid-poll (tasks/connection.py).

Step by step, on a Redis of the test's own, what a worker's connection goes through when
Redis dies under load: a task taken and not yet acknowledged, a BRPOP outstanding, the
remote-control mailbox's fanout channel open; then Redis is killed and Celery 5.7 does what
its consumer does on a lost connection: `collect()`, then `close()`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from kombu import Connection, Exchange, Queue

from tasks import app
from tasks.connection import BrokerConnection
from tests.own_redis import OwnRedis


@pytest.fixture
def server(tmp_path: Path) -> Iterator[OwnRedis]:
    own = OwnRedis(tmp_path)
    own.start()
    yield own
    own.close()


def _lose_broker_mid_poll(connection: Connection, server: OwnRedis) -> None:
    """Take a message without acking it, start a BRPOP, kill Redis, collect, close."""
    tasks = Queue("t", Exchange("t", type="direct"), routing_key="t")
    with connection.Producer() as producer:
        for n in range(2):
            producer.publish({"n": n}, exchange=tasks.exchange, routing_key="t",
                             declare=[tasks])
    consumer = connection.Consumer([tasks], callbacks=[lambda body, message: None])
    consumer.qos(prefetch_count=1)
    consumer.consume()
    connection.drain_events(timeout=5)
    mailbox = Queue("m", Exchange("m", type="fanout"), auto_delete=True)
    connection.Consumer([mailbox], channel=connection.channel(),
                        callbacks=[lambda body, message: None]).consume()
    consumer.channel._brpop_start()  # the worker's event loop polls all the time
    assert consumer.channel.qos._delivered, "the setup took no message"
    server.stop()
    try:
        connection.collect(socket_timeout=2)
        connection.close()  # what celery 5.7 adds after collect(); must not raise
    finally:  # no second try at exit, with Redis long gone, to litter the test output
        consumer.channel.qos._on_collect.cancel()


def test_kombus_own_connection_crashes_on_the_close_after_collect(server) -> None:
    """The bug the workaround is for; if this starts passing, kombu or Celery fixed it and
    tasks/connection.py can go."""
    with pytest.raises(AttributeError, match="hostname"):
        _lose_broker_mid_poll(Connection(server.url), server)


def test_the_workers_connection_closes_cleanly_after_collect(server) -> None:
    _lose_broker_mid_poll(BrokerConnection(server.url), server)


def test_the_celery_app_connects_to_the_broker_with_that_connection() -> None:
    connection = app.connection_for_read()
    try:
        assert isinstance(connection, BrokerConnection)
    finally:
        connection.release()
