"""`reconcile up` works with each database URL form a host hands out, and each REDIS_URL form.

Three systems side by side, each on its own database and Redis: postgresql:// with a plain
redis://, postgres:// (Heroku) with a password, postgresql+psycopg2:// with a password over a
unix socket. Each takes the README's claim and reconciles it.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.deploy.services import DATABASE_FORMS, OwnRedis, new_database
from tests.deploy.system import Up, clean_env, reconcile_one

pytestmark = pytest.mark.deploy

PASSWORD = "s3cret-redis"
REDIS_FORMS = {"postgresql": "redis", "postgres": "redis-password",
               "postgresql+psycopg2": "unix-password"}


@pytest.fixture(scope="module")
def systems(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Up]]:
    started: dict[str, Up] = {}
    cleanups = []
    try:
        for form in DATABASE_FORMS:
            where = tmp_path_factory.mktemp(form.replace("+", "-"))
            server = OwnRedis(where, password=None if form == "postgresql" else PASSWORD)
            server.start()
            cleanups.append(server.close)
            url, _, drop = new_database(form)
            cleanups.append(drop)
            redis_url = server.socket_url if REDIS_FORMS[form] == "unix-password" else server.url
            started[form] = Up(where, clean_env(DATABASE_URL=url, REDIS_URL=redis_url)).start()
            cleanups.append(started[form].stop)
        with ThreadPoolExecutor(len(started)) as pool:  # they come up side by side
            list(pool.map(lambda up: up.wait_ready(), started.values()))
        yield started
    finally:
        for cleanup in reversed(cleanups):
            cleanup()


@pytest.mark.parametrize("form", DATABASE_FORMS)
def test_the_system_reconciles_a_claim_with_each_url_form(systems: dict[str, Up], form) -> None:
    system = systems[form]

    report = reconcile_one(system)

    rec = report["reconciliation"]
    assert (rec["status"], rec["discrepancy_level"]) == ("AFFILIATE_OVERCLAIMED", "CRITICAL")
    assert system.supervisor_says() == []  # no child died on the way
    assert all(system.children().values()), system.children()
