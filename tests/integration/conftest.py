"""Fixtures for tests against the real database, Redis, simulator and worker processes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from reconcile.commands import worker_argv
from reconcile.dispatch import set_dispatcher
from reconcile.vocabulary import PLATFORMS
from tests.conftest import Proc, unique, wait_for


@pytest.fixture(scope="session")
def app(stack: dict[str, str], simulator: str) -> Any:
    from api import create_app

    return create_app({"TESTING": True})


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


@dataclass
class World:
    """One test's own client, campaign and users (with their keys)."""

    client_id: int
    campaign_id: int
    admin: dict[str, Any]
    advertiser: dict[str, Any]
    analyst: dict[str, Any]
    affiliate: dict[str, Any]

    @staticmethod
    def auth(user: dict[str, Any]) -> dict[str, str]:
        return {"Authorization": f"Bearer {user['api_key']}"}

    def new_affiliate(self) -> dict[str, Any]:
        from reconcile.services.admin.accounts import create_user

        return create_user("AFFILIATE", "Affiliate", f"{unique('aff')}@example.com")


@pytest.fixture
def world(stack: dict[str, str]) -> World:
    from reconcile.services.admin.accounts import create_client, create_user
    from reconcile.services.admin.campaigns import create_campaign
    from reconcile.services.principal import SYSTEM

    client_id = create_client(unique("client"))["id"]
    campaign = create_campaign(
        SYSTEM, name=unique("campaign"), client_id=client_id, platforms=list(PLATFORMS)
    )
    return World(
        client_id=client_id,
        campaign_id=campaign["id"],
        admin=create_user("ADMIN", "Admin", f"{unique('admin')}@example.com"),
        advertiser=create_user("CLIENT", "Advertiser", f"{unique('adv')}@example.com", client_id),
        analyst=create_user("ANALYST", "Analyst", f"{unique('an')}@example.com"),
        affiliate=create_user("AFFILIATE", "Affiliate", f"{unique('aff')}@example.com"),
    )


def start_worker(
    tmp_dir: Any, name: str, concurrency: int = 2, extra_env: dict[str, str] | None = None,
    *, wait: bool = True,
) -> Proc:
    """Start a Celery worker as its own process and wait until it answers a ping (unless
    `wait` is false: a test timing the worker's first jobs cannot spend the ping's 0.2-0.7 s)."""
    env = {**os.environ, **(extra_env or {})}
    proc = Proc(
        worker_argv(concurrency, name=name),
        env,
        tmp_dir / f"{name}.log",
    )
    if not wait:
        return proc
    from reconcile.dispatch import CeleryDispatcher

    app = CeleryDispatcher().app

    def answered() -> bool:
        if proc.popen.poll() is not None:
            raise AssertionError(f"worker exited:\n{proc.output()[-3000:]}")
        replies = app.control.ping(timeout=0.5) or []
        return any(name in key for reply in replies for key in reply)

    try:
        wait_for(answered, 60, 0.2, what=f"worker {name}")
    except BaseException:
        proc.stop()  # a worker that never answered must not outlive the test run
        raise
    return proc


@pytest.fixture(scope="session")
def workers(
    stack: dict[str, str], simulator: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Proc]:
    """A worker pool of two processes shared by the session's tests."""
    proc = start_worker(tmp_path_factory.mktemp("workers"), f"pool-{os.getpid()}")
    yield proc
    proc.stop()


class RecordingDispatcher:
    def __init__(self) -> None:
        self.sent: list[tuple[int, int, dict[str, Any]]] = []
        self.alerts: list[int] = []
        self.alert_jobs: list[tuple[list[int], dict[str, Any]]] = []  # (ids, options) per job

    def reconcile(self, report_id: int, attempt_number: int, **kwargs: Any) -> bool:
        self.sent.append((report_id, attempt_number, kwargs))
        return True

    def deliver_alert(self, alert_id: int, **kwargs: Any) -> bool:
        self.alerts.append(alert_id)
        self.alert_jobs.append(([alert_id], kwargs))
        return True

    def deliver_alerts(self, alert_ids: Any) -> bool:
        self.alerts.extend(alert_ids)
        self.alert_jobs.append((list(alert_ids), {"batch": True}))
        return True


@pytest.fixture
def dispatched() -> Iterator[RecordingDispatcher]:
    recorder = RecordingDispatcher()
    set_dispatcher(recorder)
    yield recorder
    set_dispatcher(None)


@pytest.fixture
def round_trips() -> Iterator[list[int]]:
    """PostgreSQL only: the round trips each statement the engines send costs, as psycopg2
    sends it (an execute is one; its own executemany is one per row; the BEGIN it sends
    before a transaction's first statement and the COMMIT or ROLLBACK that ends it are one
    each), while the test runs. The pools are emptied before and after, so every
    connection of the test counts."""
    import psycopg2.extensions
    from sqlalchemy import event

    from reconcile.persistence.db import get_engine

    trips: list[int] = []
    ready = psycopg2.extensions.STATUS_READY

    def begins(conn: Any) -> int:
        return int(not conn.autocommit and conn.status == ready)

    class Counting(psycopg2.extensions.cursor):
        def execute(self, query: Any, vars: Any = None) -> Any:
            trips.append(1 + begins(self.connection))
            return super().execute(query, vars)

        def executemany(self, query: Any, vars_list: Any) -> Any:
            rows = list(vars_list)
            trips.append(len(rows) + begins(self.connection))
            return super().executemany(query, rows)

    class Ending(psycopg2.extensions.connection):
        def commit(self) -> None:
            trips.append(int(self.status != ready))
            super().commit()

        def rollback(self) -> None:
            trips.append(int(self.status != ready))
            super().rollback()

    def counting(_dialect: Any, _record: Any, _args: Any, params: dict[str, Any]) -> None:
        params["cursor_factory"] = Counting
        params["connection_factory"] = Ending

    engines = [get_engine(), get_engine(autocommit=True)]
    for engine in engines:
        event.listen(engine, "do_connect", counting)
        engine.dispose()
    yield trips
    for engine in engines:
        event.remove(engine, "do_connect", counting)
        engine.dispose()


@pytest.fixture
def statements() -> Iterator[list[str]]:
    """Every SQL statement the engine sends while the test runs (clear it to start over)."""
    from sqlalchemy import event

    from reconcile.persistence.db import get_engine

    sent: list[str] = []

    def record(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        sent.append(sql)

    engine = get_engine()
    event.listen(engine, "before_cursor_execute", record)
    yield sent
    event.remove(engine, "before_cursor_execute", record)
