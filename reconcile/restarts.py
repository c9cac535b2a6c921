"""When `reconcile up` restarts a child that exited, and when it gives up (no I/O, no clock).

A child that dies is started again after a delay that doubles with each exit inside the
window (1 s, 2 s, 4 s, ...): a crash loop does not spin, and a one-off crash costs a
second. A child that exits `max_exits` times inside the window is broken, not unlucky:
the supervisor then stops everything and says so.
"""

from __future__ import annotations

import signal
from dataclasses import dataclass, field


@dataclass
class RestartPolicy:
    max_exits: int = 5
    window_seconds: float = 60.0
    first_delay_seconds: float = 1.0
    max_delay_seconds: float = 30.0
    exits: dict[str, list[float]] = field(default_factory=dict)

    def on_exit(self, child: str, now: float) -> float | None:
        """Record that child exited at `now` (seconds); return the delay before starting it
        again, or None when it has exited too often to try again."""
        recent = [t for t in self.exits.get(child, []) if now - t < self.window_seconds]
        recent.append(now)
        self.exits[child] = recent
        if len(recent) >= self.max_exits:
            return None
        return min(self.first_delay_seconds * 2 ** (len(recent) - 1), self.max_delay_seconds)

    def recent_exits(self, child: str) -> int:
        return len(self.exits.get(child, []))


def describe_exit(returncode: int) -> str:
    """Say how a process ended, from its Popen return code."""
    if returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with status {returncode}"
