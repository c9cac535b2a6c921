"""Run the Alembic migrations programmatically (`reconcile migrate`)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

import migrations
from reconcile.config import load_settings, normalise_database_url, var_dir


def alembic_config(database_url: str | None = None) -> Config:
    here = Path(migrations.__file__).parent
    cfg = Config(str(here / "alembic.ini"))
    cfg.set_main_option("script_location", str(here))
    url = normalise_database_url(database_url or load_settings().database_url)
    # ConfigParser interpolation treats % specially; URLs may contain it.
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(database_url: str | None = None) -> None:
    """Bring the database to the newest schema."""
    url = normalise_database_url(database_url or load_settings().database_url)
    if url.startswith("sqlite"):
        var_dir().mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), "head")
