"""Deploy tests: the deployment files checked against the code (test_compose.py, test_lock.py),
and the system started exactly as `make run` starts it, on a real PostgreSQL and a Redis the test
owns (and stops, and hangs). Those (marked `deploy`) need TEST_DATABASE_URL (PostgreSQL)."""

from __future__ import annotations

import pytest

from tests.conftest import requires_postgres


@pytest.fixture(autouse=True)
def _postgres(request: pytest.FixtureRequest) -> None:
    if request.node.get_closest_marker("deploy"):
        requires_postgres()
