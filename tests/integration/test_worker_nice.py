"""A worker and its pool run niced (WORKER_NICE, default 10): beside the API on one machine
they yield the CPU to requests."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from reconcile.config import DEFAULT_WORKER_NICE


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(c) for c in (task / "children").read_text().split()]
    return found


def test_the_worker_and_its_pool_processes_are_niced(workers: Any) -> None:
    main = workers.popen.pid
    pool = _children(main)
    assert pool, "the worker has no pool processes"
    ours = os.getpriority(os.PRIO_PROCESS, 0)
    for pid in [main, *pool]:
        assert os.getpriority(os.PRIO_PROCESS, pid) - ours == DEFAULT_WORKER_NICE
