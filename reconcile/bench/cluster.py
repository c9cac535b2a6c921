"""Start and stop the bench's processes, each in its own process group, and watch RSS."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from reconcile.bench.stage import BenchError


def _die_with_parent() -> None:
    # Not Linux: no libc.so.6, and Cluster.stop() alone ends every group.
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


@dataclass
class Cluster:
    """Processes started by one run; stop() ends every one of them, children included."""

    env: dict[str, str]
    log_dir: Path
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def spawn(self, name: str, argv: list[str]) -> None:
        with open(self.log_dir / f"{name}.log", "wb") as log:
            # A session of its own: one killpg reaches gunicorn's and Celery's children too,
            # and the user's Ctrl-C reaches only the bench, which then stops them in order.
            self.procs[name] = subprocess.Popen(
                argv, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True, preexec_fn=_die_with_parent,
            )

    def check(self) -> None:
        """Raise if a process has exited: a dead worker would otherwise look like a slow one."""
        for name, proc in self.procs.items():
            if proc.poll() is not None:
                raise BenchError(f"{name} exited with {proc.returncode}; see "
                                 f"{self.log_dir / (name + '.log')}")

    def stop(self, timeout: float = 15.0) -> None:
        for proc in self.procs.values():
            _signal_group(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in self.procs.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(max(deadline - time.monotonic(), 0.1))
            _signal_group(proc.pid, signal.SIGKILL)  # stragglers, pool children included
            proc.wait()

    def group_pids(self, *names: str) -> dict[str, list[int]]:
        """Every live process in each named group (the leader and its pool or worker
        children), from one pass over /proc."""
        leaders = {self.procs[name].pid: name for name in names}
        found: dict[str, list[int]] = {name: [] for name in names}
        for pid, pgrp in _process_groups():
            if pgrp in leaders:
                found[leaders[pgrp]].append(pid)
        return found


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _process_groups() -> list[tuple[int, int]]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        # Fields after the parenthesised command name: state, ppid, pgrp, ...
        found.append((int(entry), int(stat.rsplit(")", 1)[1].split()[2])))
    return found


def cpu_seconds(pids: list[int]) -> float:
    """Return the CPU time (user + system) the processes have used so far."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    """Return the process's resident set size in MB (0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class RssSampler(threading.Thread):
    """Record the largest RSS of any process in each named group until stopped."""

    def __init__(self, groups: Callable[[], dict[str, list[int]]], every: float = 0.5) -> None:
        super().__init__(daemon=True, name="rss-sampler")
        self.groups, self.every = groups, every
        self.peak: dict[str, float] = {}
        self._halt = threading.Event()

    def sample(self) -> None:
        for name, pids in self.groups().items():
            peak = max((rss_mb(pid) for pid in pids), default=0.0)
            self.peak[name] = max(self.peak.get(name, 0.0), peak)

    def run(self) -> None:
        while not self._halt.wait(self.every):
            self.sample()

    def stop(self) -> None:
        self._halt.set()
        self.join(5)
        self.sample()
