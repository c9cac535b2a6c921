"""Running counts (persistence/tallies.py): fold the triggers' deltas, or recount them."""

from __future__ import annotations

from reconcile.persistence import tallies
from reconcile.persistence.db import unit_of_work


def compact_tallies() -> int:
    """Fold the pending deltas into one row per key; the number folded."""
    with unit_of_work() as uow:
        return tallies.compact(uow.session.connection())


def rebuild_tallies() -> dict[str, int]:
    """Recount every tally from the data (a repair); the number of keys of each."""
    with unit_of_work() as uow:
        return tallies.rebuild(uow.session.connection())


def unfolded_tallies() -> dict[str, int]:
    """The changes each tally holds unfolded (the fold's lag; the metrics' gauge)."""
    with unit_of_work() as uow:
        return tallies.unfolded(uow.session.connection())
