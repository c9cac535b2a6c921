"""Deploy tests: the system started exactly as `make run` starts it, on a real PostgreSQL and
a Redis the test owns (and stops, and hangs). They need TEST_DATABASE_URL (PostgreSQL)."""

from __future__ import annotations

import pytest

from tests.conftest import requires_postgres


@pytest.fixture(autouse=True, scope="module")
def _postgres() -> None:
    requires_postgres()
