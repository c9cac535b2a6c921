"""Listeners told, inside the same transaction, whenever an alert is raised or resolved.

Alerts sit below the packages that care about them (earnings holds a post's money while a
fraud alert is open): those packages register a listener here instead of being imported,
so a new alert type needs no new wiring. A listener gets the session and what changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
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


# A listener works out what the alerts it is told of mean as things stand when it is told
# (earnings.holds recomputes each post's holds): told of several at once, or later in the
# same transaction, it comes to the same.
Listener = Callable[[Session, Sequence[AlertChanged]], None]
_LISTENERS: list[Listener] = []
_PENDING = "reconcile.alert_changes"  # session.info key: changes held back by told_together


def on_alert_changed(listener: Listener) -> Listener:
    """Register a listener (once; registering it again does nothing)."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)
    return listener


def alert_changed(session: Session, change: AlertChanged) -> None:
    """Tell every listener, in the caller's transaction (inside `told_together`: at its
    end)."""
    pending = session.info.get(_PENDING)
    if pending is not None:
        pending.append(change)
    else:
        _tell(session, [change])


@contextmanager
def told_together(session: Session) -> Iterator[None]:
    """Hold back the changes made inside and tell the listeners of them all at once at the
    end, in the same transaction: an attempt batch raising 20 alerts works out holds once,
    in a few statements, instead of twice per alert while it holds its affiliates' locks.
    Nothing is told if the block raises (its transaction is rolled back)."""
    if session.info.get(_PENDING) is not None:  # already inside one: it tells at its end
        yield
        return
    pending: list[AlertChanged] = []
    session.info[_PENDING] = pending
    try:
        yield
    finally:
        session.info.pop(_PENDING, None)
    if pending:
        _tell(session, pending)


def _tell(session: Session, changes: Sequence[AlertChanged]) -> None:
    for listener in list(_LISTENERS):
        listener(session, changes)
