"""db.single_statements: each statement commits by itself (the postbacks' path), and the
units of work that follow on the same engine's pool still run in one transaction."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from reconcile.persistence.db import get_engine, single_statements, unit_of_work
from tests.conftest import unique


@pytest.fixture
def table(stack: dict[str, str]) -> Iterator[str]:
    name = unique("single_statements").replace("-", "_")
    with get_engine().begin() as conn:
        conn.exec_driver_sql(f"CREATE TABLE {name} (n INTEGER NOT NULL)")
    yield name
    with get_engine().begin() as conn:
        conn.exec_driver_sql(f"DROP TABLE {name}")


def _seen_elsewhere(table: str) -> int:
    # On a connection of its own, in autocommit: on SQLite a transaction would wait for the
    # write lock that a unit of work holds.
    with get_engine().connect() as other:
        other = other.execution_options(isolation_level="AUTOCOMMIT")
        return int(other.exec_driver_sql(f"SELECT count(*) FROM {table}").scalar_one())


def test_each_statement_is_committed_when_it_returns(table: str) -> None:
    with single_statements() as conn:
        conn.exec_driver_sql(f"INSERT INTO {table} (n) VALUES (1)")
        assert _seen_elsewhere(table) == 1  # before the block ends
        conn.exec_driver_sql(f"INSERT INTO {table} (n) VALUES (2)")
        assert _seen_elsewhere(table) == 2


def test_a_failed_statement_keeps_what_committed_before_it(table: str) -> None:
    with pytest.raises(sa.exc.DBAPIError), single_statements() as conn:
        conn.exec_driver_sql(f"INSERT INTO {table} (n) VALUES (1)")
        conn.exec_driver_sql(f"INSERT INTO {table} (n) VALUES (NULL)")
    assert _seen_elsewhere(table) == 1


@pytest.mark.parametrize("uses", range(3))
def test_a_unit_of_work_after_it_is_still_one_transaction(table: str, uses: Any) -> None:
    """The pool of units of work never hands out a connection left in autocommit."""
    for _ in range(uses):
        with single_statements() as conn:
            conn.exec_driver_sql(f"SELECT count(*) FROM {table}")

    class Undone(Exception):
        pass

    with pytest.raises(Undone), unit_of_work() as uow:
        uow.session.execute(sa.text(f"INSERT INTO {table} (n) VALUES (1)"))
        assert _seen_elsewhere(table) == 0  # not committed yet
        raise Undone
    assert _seen_elsewhere(table) == 0
