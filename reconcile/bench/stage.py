"""The bench's own ground: a fresh database, a Redis database index, a rules file.

Nothing the bench writes touches the database or Redis index it was pointed at: it
creates `bench_<random>` on the same PostgreSQL server and claims an empty Redis index.
"""

from __future__ import annotations

import secrets
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

from reconcile.errors import ReconcileError

CLAIM_KEY = "reconcile:bench:claim"
# Rate limits and backpressure far above anything a run sends: the bench measures the
# pipeline, not the limiter refusing it.
RULES = """\
[rate_limits]
submissions_per_hour = 1000000000
default_per_hour = 1000000000

[intake]
max_queue_depth = 100000000
"""


class BenchError(ReconcileError):
    """A bench run that cannot start or finish (printed as one line)."""


@dataclass(frozen=True)
class Stage:
    database_url: str
    redis_url: str
    rules_path: Path
    run_dir: Path


def check_urls(database_url: str | None, redis_url: str | None) -> None:
    """Refuse anything but a real PostgreSQL and Redis: embedded stand-ins measure nothing."""
    if not database_url or not database_url.startswith("postgresql"):
        raise BenchError("reconcile bench needs DATABASE_URL=postgresql://... (a real server)")
    if not redis_url or urlsplit(redis_url).scheme not in ("redis", "rediss"):
        raise BenchError("reconcile bench needs REDIS_URL=redis://... (a real server)")


@contextmanager
def own_database(server_url: str, keep: bool) -> Iterator[str]:
    """Create `bench_<random>` beside the given database, migrate it, drop it afterwards."""
    import sqlalchemy as sa

    from reconcile.persistence.migrate import upgrade

    name = f"bench_{secrets.token_hex(4)}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = sa.engine.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        upgrade(url)
        yield url
    finally:
        from reconcile.persistence.db import dispose_engines

        dispose_engines()
        if not keep:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@contextmanager
def own_redis_index(server_url: str) -> Iterator[str]:
    """Claim an empty Redis database index (highest first), flushed before and after."""
    import redis

    parts = urlsplit(server_url)
    # Generous for a measuring tool, but never waiting for ever on a hung server.
    base = redis.Redis.from_url(server_url, socket_timeout=10, socket_connect_timeout=10)
    try:
        count = int(cast(dict[str, Any], base.config_get("databases")).get("databases", 16))
    except redis.ResponseError:  # CONFIG may be disabled; 16 is Redis's default
        count = 16
    finally:
        base.close()
    token = secrets.token_hex(8)
    for index in range(count - 1, 0, -1):
        url = urlunsplit(parts._replace(path=f"/{index}"))
        client = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=10)
        # Only an index that held nothing before our claim key is ours to flush.
        if client.set(CLAIM_KEY, token, nx=True) and client.dbsize() == 1:
            break
        if client.get(CLAIM_KEY) == token.encode():
            client.delete(CLAIM_KEY)
        client.close()
    else:
        raise BenchError("reconcile bench found no empty Redis database index to use")
    try:
        client.flushdb()
        client.set(CLAIM_KEY, token)
        yield url
    finally:
        client.flushdb()
        client.close()


@contextmanager
def staged(database_url: str, redis_url: str, keep: bool) -> Iterator[Stage]:
    """Set up everything a run needs and take it all down again afterwards."""
    check_urls(database_url, redis_url)
    run_dir = Path(tempfile.mkdtemp(prefix="reconcile-bench-"))
    rules = run_dir / "rules.toml"
    rules.write_text(RULES)
    with own_redis_index(redis_url) as redis_index, own_database(database_url, keep) as db:
        yield Stage(db, redis_index, rules, run_dir)
    # Reached only on success: a failed run keeps its process logs for a look.
    if not keep:
        shutil.rmtree(run_dir, ignore_errors=True)
