"""A broker of the test's own: a separate Redis database that no session worker reads."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis

from reconcile.dispatch import set_dispatcher
from tests.conftest import IN_CI, TEST_REDIS, _repoint_celery

PRIVATE_DB = 12


@contextmanager
def private_broker() -> Iterator[redis.Redis]:
    """Point this process's dispatcher and Redis reads at an empty database of the test
    Redis server; everything is put back (and the database emptied) afterwards."""
    if not TEST_REDIS.startswith("redis://"):
        message = "needs a Redis server over TCP: set TEST_REDIS_URL=redis://..."
        pytest.fail(message) if IN_CI else pytest.skip(message)
    url = urlunsplit(urlsplit(TEST_REDIS)._replace(path=f"/{PRIVATE_DB}"))
    client = redis.Redis.from_url(url)
    client.flushdb()
    env = pytest.MonkeyPatch()
    env.setenv("REDIS_URL", url)
    _repoint_celery()
    set_dispatcher(None)
    try:
        yield client
    finally:
        env.undo()
        _repoint_celery()
        client.flushdb()
