"""Housekeeping beat runs: expire old idempotency keys, and note when the rules in force
change (the system's own rules change, in the audit trail)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from reconcile.bootstrap import active_rules
from reconcile.persistence.db import serialise_on, unit_of_work
from reconcile.persistence.models import AuditEvent
from reconcile.rules import Rules
from reconcile.services.audit import SYSTEM, record
from reconcile.services.intake import idempotency

RULES_CHANGED = "rules.changed"


def note_rules_version(rules: Rules | None = None) -> bool:
    """Record `rules.changed` when the rules in force differ from the last ones recorded
    (a new rules file deployed); return whether it did."""
    rules = rules or active_rules()
    with unit_of_work() as uow:
        serialise_on(uow.session, RULES_CHANGED)
        last = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == RULES_CHANGED)
            .order_by(AuditEvent.id.desc()).limit(1)
        ).first()
        previous: dict[str, Any] | None = last.after if last is not None else None
        if previous is not None and previous.get("version") == rules.version:
            return False
        record(uow.session, SYSTEM, RULES_CHANGED, ("rules", rules.version),
               before={"version": previous["version"], "rules": previous.get("rules")}
               if previous else None,
               after={"version": rules.version, "rules": rules.as_dict()})
    return True


def housekeeping() -> dict[str, int]:
    """Do every housekeeping chore once; return what each did."""
    return {"idempotency_keys_deleted": idempotency.purge_expired(),
            "rules_changes_recorded": int(note_rules_version())}
