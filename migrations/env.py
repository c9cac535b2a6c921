"""Alembic environment: the URL comes from the caller or from DATABASE_URL."""

from alembic import context

from reconcile.config import load_settings
from reconcile.persistence.models import Base

config = context.config
url = config.get_main_option("sqlalchemy.url") or load_settings().database_url


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
