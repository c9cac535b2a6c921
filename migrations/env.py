"""Alembic environment: the URL comes from the caller or from DATABASE_URL."""

from alembic import context

from reconcile.config import ConfigError, current_database_url, normalise_database_url
from reconcile.persistence.models import Base

config = context.config
try:
    given = config.get_main_option("sqlalchemy.url")
    url = normalise_database_url(given) if given else current_database_url()
except ConfigError as exc:  # `alembic upgrade` run by hand: one line, not a traceback
    raise SystemExit(f"alembic: {exc}") from None


def run_migrations() -> None:
    from reconcile.persistence.db import get_engine

    connectable = get_engine(url)
    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=url.startswith("sqlite"),
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations()
