"""A stand-in for the tracking package's counts (reconcile.services.tracking.counts).

Reconciliation takes its count functions as a parameter; the reconciliation-logic tests
pass these to set exact counts at exact times without clicking through the redirect (the
real counts are tested through it in test_tracking_flow.py and tests/e2e/test_up.py).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from reconcile.services.reconciliation.sources import Counters


@dataclass
class FakeTracking:
    """Posts with a tracked link, and what was counted on them (each count with its time,
    so `as_of` is honoured)."""

    linked: set[int] = field(default_factory=set)
    clicks: dict[int, list[datetime | None]] = field(default_factory=dict)
    conversions: dict[int, list[datetime | None]] = field(default_factory=dict)
    asked: list[tuple[str, tuple[int, ...], datetime | None]] = field(default_factory=list)

    def link(self, post_id: int, clicks: int = 0, conversions: int = 0,
             at: datetime | None = None) -> None:
        self.linked.add(post_id)
        self.clicks.setdefault(post_id, []).extend([at] * clicks)
        self.conversions.setdefault(post_id, []).extend([at] * conversions)

    def _count(self, name: str, table: dict[int, list[datetime | None]],
               post_ids: Collection[int], as_of: datetime) -> dict[int, int]:
        self.asked.append((name, tuple(sorted(post_ids)), as_of))
        return {p: sum(1 for t in table.get(p, []) if t is None or t <= as_of)
                for p in post_ids if p in table}

    def counters(self) -> Counters:
        def clicks(session: Any, post_ids: Collection[int], as_of: datetime) -> dict[int, int]:
            return self._count("clicks", self.clicks, post_ids, as_of)

        def conversions(session: Any, post_ids: Collection[int],
                        as_of: datetime) -> dict[int, int]:
            return self._count("conversions", self.conversions, post_ids, as_of)

        def has_link(session: Any, post_ids: Collection[int]) -> set[int]:
            self.asked.append(("has_link", tuple(sorted(post_ids)), None))
            return self.linked & set(post_ids)

        return Counters(clicks=clicks, conversions=conversions, has_link=has_link)
