"""The migrations build exactly the schema the models describe, and step down and up again."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from reconcile.persistence.models import Base


def _differences(url: str) -> list[Any]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return list(compare_metadata(MigrationContext.configure(conn), Base.metadata))
    finally:
        engine.dispose()


def test_the_migrated_database_matches_the_models(stack: dict[str, str]) -> None:
    assert _differences(stack["database_url"]) == []


def test_the_latest_migration_steps_down_and_up_again(tmp_path: Any) -> None:
    from alembic import command

    from reconcile.persistence.migrate import alembic_config, upgrade

    url = f"sqlite:///{tmp_path / 'steps.sqlite3'}"
    upgrade(url)
    command.downgrade(alembic_config(url), "-1")
    assert _differences(url) != []  # the step down really removed something
    upgrade(url)
    assert _differences(url) == []


def test_migration_0005_keeps_each_post_s_newest_effect(stack: dict[str, str],
                                                        tmp_path: Any) -> None:
    """Posts with one effect per report (before 0005) keep one: their newest report's."""
    from alembic import command

    from reconcile.persistence.migrate import alembic_config
    from tests.conftest import TEST_DB, USES_POSTGRES, _create_postgres_database

    url, drop = (_create_postgres_database(TEST_DB) if USES_POSTGRES
                 else (f"sqlite:///{tmp_path / 'effects.sqlite3'}", lambda: None))
    try:
        command.upgrade(alembic_config(url), "0004")
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            run = conn.exec_driver_sql
            run("INSERT INTO clients (id, name, created_at) VALUES (1, 'c', '2026-01-01')")
            run("INSERT INTO users (id, name, email, role, api_key_hash, api_key_prefix, "
                "trust_score, is_active, created_at) VALUES (1, 'a', 'a@x', 'AFFILIATE', "
                "'h', 'p', 0.53, true, '2026-01-01')")
            run("INSERT INTO campaigns (id, client_id, name, status, created_at) "
                "VALUES (1, 1, 'c', 'ACTIVE', '2026-01-01')")
            for post in (1, 2):
                run(f"INSERT INTO posts (id, affiliate_id, campaign_id, platform, url, "
                    f"normalized_url, platform_post_id, created_at) VALUES ({post}, 1, 1, "
                    f"'youtube', 'u{post}', 'u{post}', 'p', '2026-01-01')")
            for report, post in ((1, 1), (2, 1), (3, 1), (4, 2)):
                run(f"INSERT INTO reports (id, post_id, affiliate_id, claimed_views, "
                    f"claimed_clicks, claimed_conversions, suspicion_flags, priority, "
                    f"submitted_at) VALUES ({report}, {post}, 1, 1, 1, 1, '[]', 'normal', "
                    f"'2026-01-01')")
            for report, event in ((1, "perfect_match"), (2, "perfect_match"), (3, "overclaim"),
                                  (4, "perfect_match")):
                run(f"INSERT INTO trust_effects (report_id, affiliate_id, event, delta, "
                    f"updated_at) VALUES ({report}, 1, '{event}', 0.01, '2026-01-01')")
        engine.dispose()

        command.upgrade(alembic_config(url), "head")

        engine = sa.create_engine(url)
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(
                "SELECT post_id, report_id, event FROM trust_effects ORDER BY post_id").all()
        engine.dispose()
        assert [tuple(r) for r in rows] == [(1, 3, "overclaim"), (2, 4, "perfect_match")]
        assert _differences(url) == []
    finally:
        from reconcile.persistence.db import dispose_engines

        dispose_engines()
        drop()
