"""The real services a deploy test runs the system on: PostgreSQL, and a Redis of its own."""

from __future__ import annotations

from collections.abc import Callable

from tests.conftest import TEST_DB, _create_postgres_database
from tests.own_redis import OwnRedis

__all__ = ["DATABASE_FORMS", "OwnRedis", "new_database"]

# The same database, in each form a host may hand out.
DATABASE_FORMS = ("postgresql", "postgres", "postgresql+psycopg2")


def new_database(form: str) -> tuple[str, str, Callable[[], None]]:
    """Create a fresh PostgreSQL database; return its URL in `form`, in the psycopg2 form
    (for the test's own reads) and a function that drops it."""
    made, drop = _create_postgres_database(TEST_DB)
    rest = made.partition("://")[2]
    return f"{form}://{rest}", made, drop
