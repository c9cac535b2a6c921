"""Unit tests reach nothing: no socket, no child process (tests/guard.py)."""

from __future__ import annotations

import socket
import subprocess
import sys

import pytest

from tests.guard import GUARD, Refused


def test_a_unit_test_may_not_connect_even_to_loopback() -> None:
    with pytest.raises(Refused, match="a unit test connected to 127.0.0.1"):
        socket.create_connection(("127.0.0.1", 9), timeout=0.1)
    GUARD.violations.clear()  # seen: this test is about the refusal itself


def test_a_unit_test_may_not_start_a_process() -> None:
    with pytest.raises(Refused, match="started a process"):
        subprocess.run([sys.executable, "-c", "pass"], check=False)
    GUARD.violations.clear()
