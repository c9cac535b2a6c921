"""Pooled connections are pinged only after sitting idle (persistence/db.py), not on every
checkout: an idle connection that died is replaced unseen; one in use a moment ago costs
one failed statement, and the pool recovers at once."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from reconcile.persistence import db
from tests.conftest import requires_postgres


@pytest.fixture
def engine(stack: dict[str, str]) -> Iterator[sa.Engine]:
    requires_postgres()
    engine = db._make_engine(stack["database_url"])
    yield engine
    engine.dispose()


def _backend(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one())


def _terminate(url: str, pid: int) -> None:
    killer = sa.create_engine(url, poolclass=NullPool)
    with killer.connect() as conn:
        assert conn.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    killer.dispose()


def test_an_idle_connection_that_died_is_replaced_before_use(
    engine: sa.Engine, stack: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)  # every returned connection is "idle"
    first = _backend(engine)
    _terminate(stack["database_url"], first)

    second = _backend(engine)  # pinged on checkout, found dead, replaced: no error

    assert second != first


def test_a_connection_used_a_moment_ago_is_not_pinged_and_fails_once(
    engine: sa.Engine, stack: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 3600.0)
    pings: list[int] = []
    real_ping = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda conn: pings.append(1) or real_ping(conn))
    first = _backend(engine)
    _terminate(stack["database_url"], first)

    with pytest.raises(DBAPIError) as failed:
        _backend(engine)

    assert failed.value.connection_invalidated
    assert _backend(engine) != first  # the pool replaced it at once
    assert pings == []
