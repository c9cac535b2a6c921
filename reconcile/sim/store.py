"""Hold the simulator's truth, faults and call counts in memory, behind one lock."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from reconcile.vocabulary import PLATFORMS

# The counts a post has; each platform serves those its real API has (link_clicks: x and
# instagram only), under its own field names.
METRICS = ("views", "likes", "comments", "shares", "link_clicks")
LINK_CLICK_PLATFORMS = ("x", "instagram")
# What each platform's API serves of METRICS (youtube and reddit have no share counts).
SERVED = {p: tuple(m for m in METRICS
                   if (m != "link_clicks" or p in LINK_CLICK_PLATFORMS)
                   and (m != "shares" or p not in ("youtube", "reddit")))
          for p in PLATFORMS}
# What posts never told about were published at, give or take a few days (their id's hash).
EPOCH = datetime(2026, 11, 1, tzinfo=UTC)
FAULT_MODES = ("none", "error", "timeout", "rate_limit", "auth", "not_found", "malformed")


@dataclass(frozen=True)
class Truth:
    """What the platform says about one post; None means the metric is left out."""

    views: int | None
    likes: int | None = None
    comments: int | None = None
    shares: int | None = None
    link_clicks: int | None = None
    author: str = "sim_creator"
    published_at: datetime = EPOCH
    caption: str = ""

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

    def part(n: int, below: int) -> int:
        return int.from_bytes(digest[4 * n : 4 * n + 4], "big") % below

    views = 1000 + part(0, 99_001)
    return Truth(
        views=views, likes=part(1, views // 10 + 1), comments=part(2, views // 50 + 1),
        shares=part(3, views // 100 + 1), link_clicks=part(4, views // 20 + 1),
        author=f"creator_{digest[20:23].hex()}",
        published_at=EPOCH + timedelta(hours=part(6, 24 * 14)),
        caption=f"Simulated post {post_id}",
    )


@dataclass(frozen=True)
class Profile:
    """An account's public profile as a platform shows it."""

    handle: str
    bio: str


def profile_key(handle: str) -> str:
    """Handles are looked up as platforms do: without @, case-insensitively."""
    return handle.strip().lstrip("@").casefold()


@dataclass
class SimStore:
    posts: dict[tuple[str, str], Truth] = field(default_factory=dict)
    # Posts taken down: every API answers for them as for an id it does not know.
    removed: set[tuple[str, str]] = field(default_factory=set)
    profiles: dict[tuple[str, str], Profile] = field(default_factory=dict)
    faults: dict[str, Fault] = field(default_factory=dict)
    calls: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PLATFORMS, 0))
    # Per platform, bumped on reset and on every fault change: held answers compare it to
    # end early, so a test that clears a timeout fault never waits out the hold.
    generations: dict[str, int] = field(default_factory=lambda: dict.fromkeys(PLATFORMS, 0))
    lock: threading.Condition = field(default_factory=threading.Condition)

    def set_truth(self, platform: str, post_id: str, truth: Truth, *,
                  removed: bool = False) -> None:
        with self.lock:
            self.posts[(platform, post_id)] = truth
            if removed:
                self.removed.add((platform, post_id))
            else:
                self.removed.discard((platform, post_id))

    def is_removed(self, platform: str, post_id: str) -> bool:
        with self.lock:
            return (platform, post_id) in self.removed

    def set_profile(self, platform: str, profile: Profile) -> None:
        with self.lock:
            self.profiles[(platform, profile_key(profile.handle))] = profile

    def profile(self, platform: str, handle: str) -> Profile | None:
        with self.lock:
            return self.profiles.get((platform, profile_key(handle)))

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
            self.removed.clear()
            self.profiles.clear()
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
