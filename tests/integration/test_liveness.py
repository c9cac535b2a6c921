"""The liveness files docker-compose's health checks read: the worker touches its file while
its consumer runs, and the compose check itself passes on a fresh file, fails on a stale or
missing one, and loads nothing of the app."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconcile import liveness
from tests.conftest import ROOT, wait_for

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def compose_check(service: str, var: Path) -> list[str]:
    """The service's health check command, pointed at `var` instead of the image's /app/var."""
    test = COMPOSE["services"][service]["healthcheck"]["test"]
    assert test[0] == "CMD"
    return [str(part).replace("/app/var", str(var)) for part in test[1:]]


def run_check(service: str, var: Path) -> tuple[int, float]:
    started = time.monotonic()
    done = subprocess.run(compose_check(service, var), capture_output=True, timeout=10)
    return done.returncode, time.monotonic() - started


def test_the_worker_keeps_touching_its_file_and_the_compose_check_passes(
    workers: Any, stack: dict[str, str]
) -> None:
    alive = Path(stack["var"]) / liveness.WORKER
    wait_for(alive.exists, 30, 0.2, what="the worker's liveness file")
    first = alive.stat().st_mtime
    wait_for(lambda: alive.stat().st_mtime > first, 30, 0.5, what="the worker to touch it again")
    code, seconds = run_check("worker", Path(stack["var"]))
    assert code == 0
    assert seconds < 2  # the interpreter and a stat, nothing more


@pytest.mark.parametrize("service", ["worker", "beat"])
def test_the_compose_check_fails_on_a_stale_or_missing_file(service: str,
                                                             tmp_path: Path) -> None:
    assert run_check(service, tmp_path)[0] != 0  # missing
    stale = tmp_path / {"worker": liveness.WORKER, "beat": liveness.BEAT}[service]
    stale.touch()
    assert run_check(service, tmp_path)[0] == 0
    two_minutes_ago = time.time() - 120
    os.utime(stale, (two_minutes_ago, two_minutes_ago))
    assert run_check(service, tmp_path)[0] != 0
