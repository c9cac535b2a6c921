"""Flower as `reconcile up` starts it: behind basic auth when FLOWER_BASIC_AUTH is set (read
from the environment, never put on the command line), its health check open either way."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from reconcile.supervisor import flower_argv
from tests.conftest import Proc, free_port, wait_for

CREDENTIALS = ("ops", "flower-test-pass")


@pytest.fixture(scope="module")
def flower(stack: dict[str, str],
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Proc]]:
    port = free_port()
    env = {**os.environ, "FLOWER_BASIC_AUTH": ":".join(CREDENTIALS)}
    proc = Proc(flower_argv(sys.executable, port), env,
                tmp_path_factory.mktemp("flower") / "flower.log")
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: requests.get(f"{url}/healthcheck", timeout=2).ok, 60, 0.2,
                 what="flower")
        yield url, proc
    finally:
        proc.stop()


def test_flower_refuses_a_caller_without_the_password(flower: tuple[str, Proc]) -> None:
    url, _ = flower
    assert requests.get(f"{url}/", timeout=5).status_code == 401
    assert requests.get(f"{url}/api/workers", auth=("ops", "wrong"), timeout=5).status_code == 401


def test_flower_serves_the_caller_with_the_password(flower: tuple[str, Proc]) -> None:
    url, _ = flower
    assert requests.get(f"{url}/api/workers", auth=CREDENTIALS, timeout=5).status_code == 200


def test_the_password_is_not_on_the_command_line(flower: tuple[str, Proc]) -> None:
    _, proc = flower
    cmdline = Path(f"/proc/{proc.popen.pid}/cmdline").read_bytes().decode()
    assert CREDENTIALS[1] not in cmdline
