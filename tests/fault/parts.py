"""What a fault-test cluster is made of: its rules, its database, and each process's argv."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

from reconcile import commands
from tests.conftest import TEST_DB, USES_POSTGRES, _create_postgres_database

# The test suite's short delays, but a fetch timeout well above the simulator latency the
# fault tests inject, and rate limits no test here gets near.
RULES = """\
[fetch]
timeout_seconds = 10.0
max_attempts = 2
backoff_base_seconds = 0.05

[retry.missing]
initial_delay_seconds = 1
max_attempts = 3
window_hours = 1

[retry.incomplete]
delay_seconds = 1

[breaker]
fail_max = 50
reset_timeout_seconds = 3

[rate_limits]
submissions_per_hour = 1000000
default_per_hour = 1000000
"""
PY = sys.executable


def new_database(root: Path) -> tuple[str, Callable[[], None]]:
    """Make a fresh PostgreSQL database when the suite runs on one, else a SQLite file."""
    if USES_POSTGRES:
        return _create_postgres_database(TEST_DB)
    return f"sqlite:///{root / 'cluster.sqlite3'}", lambda: None


def redis_argv(port: int, directory: Path) -> list[str]:
    """Build the argv of a Redis that keeps nothing across a restart (a lost disk)."""
    from reconcile.embedded import redis_server_binary

    binary = shutil.which("redis-server") or redis_server_binary()
    return [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", str(directory), "--loglevel", "warning"]


def sim_argv(port: int) -> list[str]:
    return [PY, "-m", "reconcile.cli", "sim", "--port", str(port)]


def api_argv(port: int) -> list[str]:
    return [PY, "-m", "gunicorn", "--workers", "2", "--bind", f"127.0.0.1:{port}",
            "api:create_app()"]


def worker_argv(name: str, concurrency: int) -> list[str]:
    return commands.worker_argv(concurrency, python=PY, name=name)


def beat_argv(schedule: Path) -> list[str]:
    return [PY, "-m", "celery", "-A", "tasks", "beat", "-s", str(schedule), "--loglevel", "INFO"]
