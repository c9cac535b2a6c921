"""Listeners told, inside the same transaction, whenever an alert is raised or resolved.

Alerts sit below the packages that care about them (earnings holds a post's money while a
fraud alert is open): those packages register a listener here instead of being imported,
so a new alert type needs no new wiring. A listener gets the session and what changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class AlertChanged:
    alert_id: int
    type: str
    category: str
    severity: str
    status: str  # the status it now has: OPEN when raised, RESOLVED when resolved
    affiliate_id: int | None
    report_id: int | None


Listener = Callable[[Session, AlertChanged], None]
_LISTENERS: list[Listener] = []


def on_alert_changed(listener: Listener) -> Listener:
    """Register a listener (once; registering it again does nothing)."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)
    return listener


def alert_changed(session: Session, change: AlertChanged) -> None:
    """Tell every listener, in the caller's transaction."""
    for listener in list(_LISTENERS):
        listener(session, change)
