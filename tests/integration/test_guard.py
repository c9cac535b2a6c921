"""A test connects only to the services it was given or declared (tests/guard.py)."""

from __future__ import annotations

import socket

import pytest

from tests.guard import GUARD, Refused

# TEST-NET-1 (RFC 5737): never routed, so nothing real is ever reached.
UNDECLARED = "192.0.2.1"


def test_a_connection_to_an_undeclared_host_is_refused() -> None:
    with pytest.raises(Refused, match=f"connected to {UNDECLARED}:9, not a declared service"):
        socket.create_connection((UNDECLARED, 9), timeout=0.1)
    GUARD.violations.clear()  # seen: this test is about the refusal itself


def test_a_refusal_the_code_swallowed_still_fails_the_test() -> None:
    with pytest.raises(OSError):
        socket.create_connection((UNDECLARED, 9), timeout=0.1)
    assert GUARD.violations == [f"connected to {UNDECLARED}:9, not a declared service"]
    GUARD.violations.clear()


@pytest.mark.network(UNDECLARED)
def test_a_declared_host_may_be_tried() -> None:
    with pytest.raises(OSError) as caught:  # unroutable: it times out, but it was tried
        socket.create_connection((UNDECLARED, 9), timeout=0.1)
    assert not isinstance(caught.value, Refused)


def test_loopback_services_are_allowed() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        socket.create_connection(server.getsockname(), timeout=1).close()
