"""Test wiring: real PostgreSQL/Redis when TEST_DATABASE_URL / TEST_REDIS_URL are set,
embedded SQLite and Redis otherwise. Every test makes its own rows (unique names)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reconcile.config import normalise_database_url

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"
# The same URL forms `make run` takes (postgresql://, postgres://, +psycopg2), normalised alike.
TEST_DB = normalise_database_url(os.environ.get("TEST_DATABASE_URL", "")) if os.environ.get(
    "TEST_DATABASE_URL") else ""
TEST_REDIS = os.environ.get("TEST_REDIS_URL", "")
USES_POSTGRES = TEST_DB.startswith("postgresql")
FAST_RULES = ROOT / "tests" / "rules" / "fast.toml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05,
             what: str = "condition") -> Any:
    """Poll until predicate returns something truthy; fail with `what` at the deadline."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = predicate()
        except Exception as exc:  # noqa: BLE001 - keep polling until the deadline
            last = exc
        else:
            if last:
                return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last: {last!r})")


def _create_postgres_database(url: str) -> tuple[str, Callable[[], None]]:
    import sqlalchemy as sa

    name = f"reconcile_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    made = sa.engine.make_url(url).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        from reconcile.persistence.db import dispose_engines

        dispose_engines()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()

    return made, drop


def _repoint_celery() -> None:
    """celeryconfig reads REDIS_URL once, when first imported, and the dispatcher caches a
    client built from it. A test that ran before this session pointed the variable here (or
    one that overrides it later, as an isolated pool does) must not leave them behind."""
    import importlib

    from reconcile import dispatch

    if "celeryconfig" in sys.modules:
        importlib.reload(sys.modules["celeryconfig"])
    else:
        importlib.import_module("celeryconfig")
    dispatch._celery_client.cache_clear()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Point the process (and every child it starts) at a fresh database and Redis."""
    var = tmp_path_factory.mktemp("var")
    os.environ["RECONCILE_VAR_DIR"] = str(var)
    os.environ["LOG_LEVEL"] = os.environ.get("LOG_LEVEL", "WARNING")
    # Every process the tests start (workers included) uses the short delays of this file.
    os.environ["RECONCILE_RULES"] = str(FAST_RULES)
    # ... and so does this one, even if collecting a test module read the rules already.
    from reconcile.bootstrap import use_rules

    use_rules(None)
    cleanups: list[Callable[[], None]] = []
    if TEST_DB:
        db_url, drop = _create_postgres_database(TEST_DB) if USES_POSTGRES else (TEST_DB, None)
        if drop:
            cleanups.append(drop)
    else:
        db_url = f"sqlite:///{var / 'test.sqlite3'}"
    if TEST_REDIS:
        from urllib.parse import urlsplit, urlunsplit

        import redis

        # Database 9 keeps the tests' queues apart from anything else on that server.
        redis_url = urlunsplit(urlsplit(TEST_REDIS)._replace(path="/9"))
        redis.Redis.from_url(redis_url).flushdb()
    else:
        from reconcile.embedded import start_embedded_redis

        proc = start_embedded_redis(var / "redis.sock")
        cleanups.append(lambda: (proc.terminate(), proc.wait(10)))
        redis_url = f"redis+socket://{var / 'redis.sock'}"
    os.environ["DATABASE_URL"] = db_url
    os.environ["REDIS_URL"] = redis_url
    _repoint_celery()
    from reconcile.persistence.migrate import upgrade

    upgrade(db_url)
    yield {"database_url": db_url, "redis_url": redis_url, "var": str(var)}
    for cleanup in reversed(cleanups):
        cleanup()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "network(*hosts): hosts this test may connect to")


@pytest.fixture(autouse=True)
def _network_guard(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test that connects outside the services it declared (tests/guard.py)."""
    from tests.guard import GUARD

    declared = {host for mark in request.node.iter_markers("network") for host in mark.args}
    unit = request.node.path.is_relative_to(ROOT / "tests" / "unit")
    GUARD.start(unit=unit, declared=declared)
    yield
    violations = GUARD.stop()
    if violations:
        pytest.fail("test guard: " + "; ".join(sorted(set(violations))), pytrace=False)


def requires_postgres() -> None:
    """Skip (or, in CI, fail) a test that needs a real PostgreSQL."""
    if USES_POSTGRES:
        return
    message = "needs PostgreSQL: set TEST_DATABASE_URL=postgresql://..."
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


class Proc:
    """A child process started by a test, stopped (and reaped) at teardown."""

    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.log_path = log
        self._log = open(log, "wb")  # noqa: SIM115 - closed in stop()
        self.popen = subprocess.Popen(argv, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                      cwd=ROOT)

    def stop(self, timeout: float = 15) -> None:
        if self.popen.poll() is None:
            self.popen.terminate()
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._log.close()

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture(scope="session")
def simulator(stack: dict[str, str]) -> Iterator[str]:
    """The platform simulator (tests/simulator.py); every platform's base URL points at it."""
    from tests.simulator import running_sim

    with running_sim() as url:
        os.environ["RECONCILE_PLATFORM_BASE_URL"] = url
        yield url


@pytest.fixture
def sim(simulator: str) -> Iterator[Any]:
    """A small client for the simulator's control routes."""
    import requests

    class Sim:
        url = simulator

        def post(self, platform: str, url: str, views: int, clicks: int = 0,
                 conversions: int = 0, omit: list[str] | None = None, **shown: Any) -> None:
            """Set what the platform shows. clicks and conversions are sent as old callers
            did; no platform serves them (they come from tracked links and postbacks)."""
            body = {"platform": platform, "url": url, "views": views, "clicks": clicks,
                    "conversions": conversions, "omit": omit or [], **shown}
            requests.put(f"{simulator}/_sim/posts", json=body, timeout=5).raise_for_status()

        def fault(self, platform: str, mode: str, **extra: Any) -> None:
            body = {"platform": platform, "mode": mode, **extra}
            requests.put(f"{simulator}/_sim/faults", json=body, timeout=5).raise_for_status()

        def calls(self) -> dict[str, int]:
            return requests.get(f"{simulator}/_sim/calls", timeout=5).json()

        def profile(self, platform: str, handle: str, bio: str) -> None:
            """Set an account's profile (where a handle's verification code goes)."""
            body = {"platform": platform, "handle": handle, "bio": bio}
            requests.put(f"{simulator}/_sim/profiles", json=body, timeout=5).raise_for_status()

    yield Sim()


def unique(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def unique_video_id() -> str:
    """An 11-character YouTube id no other test uses."""
    return uuid.uuid4().hex[:11]


def unique_post_url(platform: str = "youtube") -> str:
    """A URL of a post no other test uses, on the given platform."""
    digits = str(uuid.uuid4().int)[:19]
    code = uuid.uuid4().hex[:11]
    return {
        "youtube": f"https://www.youtube.com/watch?v={code}",
        "tiktok": f"https://www.tiktok.com/@someone/video/{digits}",
        "instagram": f"https://www.instagram.com/p/{code}/",
        "reddit": f"https://www.reddit.com/comments/{code[:10]}",
        "x": f"https://x.com/someone/status/{digits}",
    }[platform]


def _parent_of(stat: str) -> int:
    return int(stat.rsplit(")", 1)[1].split()[1])


def descendants(pid: int) -> set[int]:
    """Every process below pid, read from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = _parent_of((entry / "stat").read_text())
            except OSError:
                continue
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def process_alive(pid: int) -> bool:
    """Tell whether pid exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
