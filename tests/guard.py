"""A guard on what a test may reach: an audit hook watching every connect and child process.

Every test may connect only to the services it was given: loopback (the database, Redis, the
simulator and the processes tests start themselves), unix sockets, and the hosts of
TEST_DATABASE_URL / TEST_REDIS_URL. A test that needs another host declares it with
`@pytest.mark.network("host")`. A unit test may reach nothing at all, and start no process.
The connect is refused on the spot, and the test fails even if the code under test swallowed
the error (a fetch would otherwise just come back as "fetch_error").
"""

from __future__ import annotations

import os
import socket
import sys
from typing import Any
from urllib.parse import urlsplit

LOOPBACK = {"127.0.0.1", "::1", "localhost", "0.0.0.0"}


class Refused(PermissionError):
    """What the guarded connect or process start raises."""


class Guard:
    def __init__(self) -> None:
        self.active = False
        self.unit = False
        self.allowed: set[str] = set()
        self.violations: list[str] = []

    def start(self, *, unit: bool, declared: set[str]) -> None:
        self.allowed = LOOPBACK | _given_hosts() | declared
        self.unit, self.violations, self.active = unit, [], True

    def stop(self) -> list[str]:
        self.active = False
        return self.violations

    def hook(self, event: str, args: tuple[Any, ...]) -> None:
        if not self.active:
            return
        if event == "socket.connect":
            sock, address = args
            if sock.family not in (socket.AF_INET, socket.AF_INET6):
                problem = "a unit test connected to a socket" if self.unit else None
            elif self.unit:
                problem = f"a unit test connected to {address[0]}:{address[1]}"
            elif address[0] not in self.allowed:
                problem = f"connected to {address[0]}:{address[1]}, not a declared service"
            else:
                problem = None
        elif event == "subprocess.Popen" and self.unit:
            problem = f"a unit test started a process: {args[1]}"
        else:
            return
        if problem:
            self.violations.append(problem)
            raise Refused(f"test guard: {problem}")


def _given_hosts() -> set[str]:
    hosts = set()
    for var in ("TEST_DATABASE_URL", "TEST_REDIS_URL"):
        host = urlsplit(os.environ.get(var, "")).hostname
        if host:
            hosts.add(host)
            hosts.update(_addresses(host))
    return hosts


def _addresses(host: str) -> set[str]:
    try:
        return {str(info[4][0]) for info in socket.getaddrinfo(host, None)}
    except OSError:
        return set()


GUARD = Guard()
sys.addaudithook(GUARD.hook)
