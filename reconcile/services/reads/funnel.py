"""The funnel views → clicks → conversions of verified numbers, for a post or a group.

Pure functions over the analytics rows (no I/O). A step's rate is taken over the posts where
both of its numbers were measured, so a post whose clicks nothing verifies does not dilute
the click rate with its views: click_rate = Σ clicks / Σ views over posts with both verified,
conversion_rate = Σ conversions / Σ clicks over posts with both verified; null when that
denominator is 0 (docs/sources.md, "The funnel").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

STEPS = (("click_rate", "views", "clicks"), ("conversion_rate", "clicks", "conversions"))


def _rate(verified: Iterable[Mapping[str, int | None]], top: str, bottom: str) -> float | None:
    pairs = [(v[top], v[bottom]) for v in verified
             if v.get(top) is not None and v.get(bottom) is not None]
    base = sum(int(t or 0) for t, _ in pairs)
    return round(sum(int(b or 0) for _, b in pairs) / base, 4) if base else None


def funnel(verified: list[Mapping[str, int | None]]) -> dict[str, Any]:
    """{views, clicks, conversions, click_rate, conversion_rate} of some posts' verified numbers
    (a number is null when no post of them had it measured)."""
    sums: dict[str, Any] = {}
    for metric in ("views", "clicks", "conversions"):
        measured = [v[metric] for v in verified if v.get(metric) is not None]
        sums[metric] = sum(int(n or 0) for n in measured) if measured else None
    return {**sums, **{name: _rate(verified, top, bottom) for name, top, bottom in STEPS}}
