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
