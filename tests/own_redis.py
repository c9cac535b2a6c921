"""A redis-server of a test's own, which it may stop, start, hang and resume."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from pathlib import Path

import redis

from tests.conftest import free_port, wait_for


def _redis_binary() -> str:
    found = shutil.which("redis-server")
    if found is None:
        from reconcile.embedded import redis_server_binary

        found = redis_server_binary()
    return found


class OwnRedis:
    """A redis-server the test may stop, start, hang and resume; empty after each start
    (no persistence: a restart loses every queued message, the harshest case)."""

    def __init__(self, directory: Path, password: str | None = None) -> None:
        self.directory, self.password = directory, password
        self.port = free_port()
        self.socket = directory / "redis.sock"
        self.proc: subprocess.Popen[bytes] | None = None
        auth = f":{password}@" if password else ""
        self.url = f"redis://{auth}127.0.0.1:{self.port}/0"
        self.socket_url = f"unix://{auth}{self.socket}?db=0"

    def start(self) -> None:
        argv = [_redis_binary(), "--port", str(self.port), "--bind", "127.0.0.1",
                "--unixsocket", str(self.socket), "--unixsocketperm", "700",
                "--save", "", "--appendonly", "no", "--dir", str(self.directory)]
        if self.password:
            argv += ["--requirepass", self.password]
        log = open(self.directory / "redis.log", "ab")  # noqa: SIM115 - the child keeps it
        self.proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)
        log.close()
        client = redis.Redis(port=self.port, password=self.password, socket_connect_timeout=1)

        def answers() -> bool:
            assert self.proc is not None and self.proc.poll() is None, "redis-server exited"
            return bool(client.ping())

        wait_for(answers, 15, what="the test's Redis")
        client.close()

    def stop(self) -> None:
        """Shut Redis down (SIGTERM) and wait until it has gone."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(15)

    def hang(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGCONT)

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.resume()
            self.proc.kill()
            self.proc.wait()
