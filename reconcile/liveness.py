"""Liveness files: a long-running process touches its file while it works, and a container
health check reads only the file's age (no import of the app, no broker round trip)."""

from __future__ import annotations

import contextlib
from pathlib import Path

from reconcile.config import var_dir

WORKER = "worker.alive"
BEAT = "beat.alive"


def path(name: str) -> Path:
    return var_dir() / name


def touch(name: str) -> None:
    """Mark the process alive now; never fail the work (a health check would say so)."""
    with contextlib.suppress(OSError):
        target = path(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.touch()
