"""The platform switch: list the platforms, turn one off (its reports wait) or on again."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from reconcile.errors import NotFound
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Platform
from reconcile.services.admin.platform_ops import breaker_state, dispatch_waiting
from reconcile.services.audit import SYSTEM, Actor, record


def list_platforms() -> list[dict[str, Any]]:
    with unit_of_work() as uow:
        rows = uow.session.scalars(select(Platform).order_by(Platform.name)).all()
        return [
            {"name": p.name, "display_name": p.display_name, "is_active": p.is_active,
             "breaker_state": breaker_state(p.name)}
            for p in rows
        ]


def set_platform_active(name: str, is_active: bool, actor: Actor = SYSTEM) -> dict[str, Any]:
    with unit_of_work() as uow:
        platform = uow.session.get(Platform, name)
        if platform is None:
            raise NotFound("no such platform")
        if is_active and not platform.is_active:
            dispatch_waiting(uow, name)  # deferred reports resume now, not at their recheck
        before = {"is_active": platform.is_active}
        platform.is_active = is_active
        record(uow.session, actor, "platform.enabled" if is_active else "platform.disabled",
               ("platform", name), before=before, after={"is_active": is_active})
        return {"name": platform.name, "display_name": platform.display_name,
                "is_active": platform.is_active}
