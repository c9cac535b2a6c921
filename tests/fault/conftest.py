"""Fault tests: every test module gets a private cluster (see cluster.py) it may break.

A module says what it needs with `CLUSTER = {"workers": N, "concurrency": C, "beat": bool}`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fault.cluster import Cluster
from tests.fault.records import Records
from tests.fault.tenant import Tenant, seeded


@pytest.fixture(scope="module")
def cluster(request: pytest.FixtureRequest,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    options = getattr(request.module, "CLUSTER", {})
    made = Cluster(tmp_path_factory.mktemp("cluster"))
    try:
        yield made.start(**options)
    finally:
        made.close()


@pytest.fixture(scope="module")
def records(cluster: Cluster) -> Iterator[Records]:
    found = Records(cluster.database_url)
    yield found
    found.close()


@pytest.fixture(scope="module")
def tenant(cluster: Cluster) -> Tenant:
    """Seed a client, a YouTube campaign and twenty affiliates in the module's cluster."""
    return seeded(cluster, affiliates=20)
