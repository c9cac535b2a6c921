"""The audit trail: who did what to what, when, with the state before and after.

A use case that changes something an operator answers for records it with one call,
inside its own transaction, so the record commits (or rolls back) with the action:

    record(uow.session, actor, "payout.created", ("payout", payout.id), after={...})

Rows are only ever inserted (the database refuses UPDATE and DELETE on the table). Action
names are `<thing>.<past tense>`; see docs/reliability.md for the list.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from reconcile.errors import ValidationFailed
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import AuditEvent, table_of
from reconcile.services.principal import Principal

_INSERT = insert(table_of(AuditEvent))


@dataclass(frozen=True)
class Actor:
    """Who acts: a signed-in user (with the request that carried the action), the command
    line, or the system itself (beat tasks, the demo seed)."""

    label: str
    user_id: int | None = None
    role: str | None = None
    request_id: str | None = None

    @classmethod
    def of(cls, principal: Principal, request_id: str | None = None) -> Actor:
        if principal.user_id == 0:  # the SYSTEM principal services use for themselves
            return cls("system", request_id=request_id)
        return cls(f"user:{principal.user_id}", principal.user_id, principal.role, request_id)


CLI = Actor("cli")
SYSTEM = Actor("system")


def record(session: Session, actor: Actor, action: str,
           target: tuple[str, Any] | None = None, *, before: Mapping[str, Any] | None = None,
           after: Mapping[str, Any] | None = None) -> None:
    """Append one audit event to the caller's transaction."""
    session.flush()  # rows the caller added through the session go first
    session.connection().execute(_INSERT, {
        "occurred_at": datetime.now(UTC), "actor": actor.label,
        "actor_user_id": actor.user_id, "actor_role": actor.role, "action": action,
        "target_type": target[0] if target else None,
        "target_id": str(target[1]) if target else None,
        "before": dict(before) if before is not None else None,
        "after": dict(after) if after is not None else None,
        "request_id": actor.request_id,
    })


def record_alone(actor: Actor, action: str, target: tuple[str, Any] | None = None, *,
                 before: Mapping[str, Any] | None = None,
                 after: Mapping[str, Any] | None = None) -> None:
    """Record an action that changed nothing in the database (an export, a backup)."""
    with unit_of_work() as uow:
        record(uow.session, actor, action, target, before=before, after=after)


def actor_filter(actor: str) -> str:
    """Turn the `actor` filter (a user id, "user:<id>", "cli" or "system") into a label."""
    text = actor.strip()
    if text in ("cli", "system"):
        return text
    number = text.removeprefix("user:")
    if number.isdigit() and 0 < int(number) < 2**62:
        return f"user:{int(number)}"
    raise ValidationFailed([{"field": "actor",
                             "message": "a user id, user:<id>, cli or system"}])


def event_view(e: AuditEvent) -> dict[str, Any]:
    return {
        "id": e.id, "occurred_at": e.occurred_at.isoformat(), "actor": e.actor,
        "actor_user_id": e.actor_user_id, "actor_role": e.actor_role, "action": e.action,
        "target_type": e.target_type, "target_id": e.target_id, "before": e.before,
        "after": e.after, "request_id": e.request_id,
    }


def list_events(*, actor: str | None = None, action: str | None = None,
                since: datetime | None = None, after: int | None = None,
                limit: int = 50) -> list[dict[str, Any]]:
    """Audit events, newest first; `after` is the last id of the previous page."""
    q = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if actor is not None:
        q = q.where(AuditEvent.actor == actor_filter(actor))
    if action is not None:
        q = q.where(AuditEvent.action == action)
    if since is not None:
        q = q.where(AuditEvent.occurred_at >= since)
    if after is not None:
        q = q.where(AuditEvent.id < after)
    with unit_of_work() as uow:
        return [event_view(e) for e in uow.session.scalars(q)]
