"""The command lines of the system's Celery processes, built once from the queue list.

`reconcile up`, the bench and the tests start workers and beat with these, so a queue added
to the vocabulary reaches every worker. docker-compose.yml spells the same command out
(tests/deploy checks that it agrees).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from reconcile.vocabulary import WORKER_QUEUES

# The bench's no-op task lives in a module only the bench's workers import.
BENCH_TASKS = "tasks.bench"


def worker_argv(concurrency: int, *, python: str = sys.executable, name: str | None = None,
                loglevel: str = "INFO", events: bool = False,
                include: Sequence[str] = ()) -> list[str]:
    """A Celery worker reading every queue in priority order (`periodic` first)."""
    argv = [python, "-m", "celery", "-A", "tasks", "worker", "-Q", ",".join(WORKER_QUEUES),
            "--concurrency", str(concurrency), "--loglevel", loglevel,
            # Nothing of ours needs the workers to know each other; skipping both saves
            # seconds at start-up and a broadcast per worker.
            "--without-mingle", "--without-gossip"]
    if name:
        argv += ["--hostname", f"{name}@%h"]
    if events:
        argv.append("-E")
    if include:
        argv += ["--include", ",".join(include)]
    return argv


def beat_argv(*, python: str = sys.executable, loglevel: str = "INFO") -> list[str]:
    """Celery beat; its schedule lives in Redis (RedBeat, celeryconfig), so no file."""
    return [python, "-m", "celery", "-A", "tasks", "beat", "--loglevel", loglevel]
