"""Migration 0014 fills posts.views_per_hour from each post's newest snapshot, with the
velocity rule's own function (rules.anomaly.post_rate)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from reconcile.rules.anomaly import post_rate
from tests.integration.test_migration_sources import _seed

PUBLISHED = "2026-01-01 00:00:00"
# post -> its snapshots' (views, published_at, fetched_at), oldest first; the rate comes
# from the last one.
READINGS: dict[int, list[tuple[int | None, str | None, str]]] = {
    1: [(500, PUBLISHED, "2026-01-01 05:00:00"), (1000, PUBLISHED, "2026-01-01 10:00:00")],
    2: [(1000, PUBLISHED, "2026-01-02 00:00:00"), (None, PUBLISHED, "2026-01-03 00:00:00")],
    3: [(700, None, "2026-01-01 07:00:00")],
    4: [(900, PUBLISHED, "2026-01-01 00:00:00")],  # no time passed: no rate
}


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text).replace(tzinfo=UTC) if text else None


def _add_readings(conn: Any) -> None:
    run = conn.exec_driver_sql
    attempt_columns = [c["name"] for c in sa.inspect(conn).get_columns("attempts")]
    next_id = 100
    for post, readings in READINGS.items():
        for n, (views, published, fetched) in enumerate(readings):
            if n == 0:  # the seeded snapshot (id = post) becomes the first reading
                run(f"UPDATE snapshots SET views = {_sql(views)}, published_at = "
                    f"{_sql(published)}, fetched_at = {_sql(fetched)} WHERE id = {post}")
                continue
            next_id += 1
            copied = ", ".join(str(next_id) if c == "id" else str(n + 1)
                               if c == "attempt_number" else c for c in attempt_columns)
            run(f"INSERT INTO attempts ({', '.join(attempt_columns)}) "
                f"SELECT {copied} FROM attempts WHERE id = {post}")
            run(f"INSERT INTO snapshots (id, attempt_id, report_id, post_id, attempt_number, "
                f"views, published_at, fetched_at, sources) VALUES ({next_id}, {next_id}, "
                f"{post}, {post}, {n + 1}, {_sql(views)}, {_sql(published)}, {_sql(fetched)}, "
                "'{}')")


def _sql(value: Any) -> str:
    return "NULL" if value is None else f"'{value}'" if isinstance(value, str) else str(value)


def test_migration_0014_keeps_each_post_s_rate_from_its_newest_reading(
    stack: dict[str, str], tmp_path: Any
) -> None:
    from alembic import command

    from reconcile.persistence.migrate import alembic_config
    from tests.conftest import TEST_DB, USES_POSTGRES, _create_postgres_database

    url, drop = (_create_postgres_database(TEST_DB) if USES_POSTGRES
                 else (f"sqlite:///{tmp_path / 'rates.sqlite3'}", lambda: None))
    try:
        command.upgrade(alembic_config(url), "0008")
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            _seed(conn)
        engine.dispose()
        command.upgrade(alembic_config(url), "0013")
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            _add_readings(conn)
        engine.dispose()

        command.upgrade(alembic_config(url), "0014")

        engine = sa.create_engine(url)
        with engine.connect() as conn:
            kept = dict(conn.exec_driver_sql("SELECT id, views_per_hour FROM posts").all())
        engine.dispose()
        expected = {post: post_rate(views, _when(published), _when(fetched))
                    for post, [*_, (views, published, fetched)] in READINGS.items()}
        assert expected == {1: 100.0, 2: None, 3: None, 4: None}
        assert kept == expected

        command.downgrade(alembic_config(url), "0013")
        command.upgrade(alembic_config(url), "head")
    finally:
        drop()
