"""Hold the simulator's truth, faults and call counts in memory, behind one lock."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field

from reconcile.vocabulary import PLATFORMS

METRICS = ("views", "clicks", "conversions")
FAULT_MODES = ("none", "error", "timeout", "rate_limit", "auth", "not_found", "malformed")


@dataclass(frozen=True)
class Truth:
    """What the platform says about one post; None means the metric is left out."""

    views: int | None
    clicks: int | None
    conversions: int | None

    def get(self, metric: str) -> int | None:
        value: int | None = getattr(self, metric)
        return value


@dataclass(frozen=True)
class Fault:
    mode: str = "none"
    count: int | None = None  # None: every call until changed
    retry_after: float = 1.0
    latency_ms: int = 0


CLEAN = Fault()


def default_truth(post_id: str) -> Truth:
    """Derive stable metrics from the post id, for posts the simulator was never told about."""
    digest = hashlib.sha256(post_id.encode()).digest()
    views = 1000 + int.from_bytes(digest[0:4], "big") % 99_001
    clicks = int.from_bytes(digest[4:8], "big") % (views // 10 + 1)
    conversions = int.from_bytes(digest[8:12], "big") % (clicks // 5 + 1)
    return Truth(views, clicks, conversions)


@dataclass
class SimStore:
    posts: dict[tuple[str, str], Truth] = field(default_factory=dict)
    faults: dict[str, Fault] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PLATFORMS, 0))
    # Per platform, bumped on reset and on every fault change: held answers compare it to
    # end early, so a test that clears a timeout fault never waits out the hold.
    generations: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PLATFORMS, 0))
    lock: threading.Condition = field(default_factory=threading.Condition)

    def set_truth(self, platform: str, post_id: str, truth: Truth) -> None:
        with self.lock:
            self.posts[(platform, post_id)] = truth

    def truth(self, platform: str, post_id: str) -> Truth:
        with self.lock:
            found = self.posts.get((platform, post_id))
        return found if found is not None else default_truth(post_id)

    def set_fault(self, platform: str, fault: Fault) -> None:
        with self.lock:
            self.faults[platform] = fault
            self._bump(platform)

    def reset(self) -> None:
        with self.lock:
            self.posts.clear()
            self.faults.clear()
            self.calls = dict.fromkeys(PLATFORMS, 0)
            self._bump(*self.generations)

    def counts(self) -> dict[str, int]:
        with self.lock:
            return dict(self.calls)

    def record_call(self, platform: str) -> tuple[Fault, int]:
        """Count one API call and take the fault it meets (using up one of a counted fault)."""
        with self.lock:
            self.calls[platform] = self.calls.get(platform, 0) + 1
            fault = self.faults.get(platform, CLEAN)
            if fault.count is not None:
                left = fault.count - 1
                self.faults[platform] = (
                    CLEAN
                    if left <= 0
                    else Fault(fault.mode, left, fault.retry_after, fault.latency_ms)
                )
            return fault, self.generations.get(platform, 0)

    def wait(self, platform: str, seconds: float, generation: int) -> None:
        """Sleep up to seconds, waking early when the platform's fault changes or on reset."""
        if seconds <= 0:
            return
        with self.lock:
            self.lock.wait_for(
                lambda: self.generations.get(platform, 0) != generation, timeout=seconds
            )

    def _bump(self, *platforms: str) -> None:
        for platform in platforms:
            self.generations[platform] = self.generations.get(platform, 0) + 1
        self.lock.notify_all()
