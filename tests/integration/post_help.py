"""Helpers for the post-check tests: campaigns with terms, verified handles, flags."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Report
from reconcile.platforms.adapters.base import Profile
from reconcile.services.admin.campaigns import create_campaign, update_campaign
from reconcile.services.handles.register import add_handle, verify_handle
from reconcile.services.principal import SYSTEM, Principal
from reconcile.vocabulary import PLATFORMS
from tests.conftest import unique


def campaign(world: Any, *, start: date | None = None, tags: list[str] | None = None,
             require_handle: bool = True) -> int:
    """A campaign of the world's client on every platform, with these terms."""
    made = create_campaign(SYSTEM, name=unique("campaign"), client_id=world.client_id,
                           platforms=list(PLATFORMS), start_date=start)
    update_campaign(SYSTEM, made["id"], required_tags=tags or [],
                    require_verified_handle=require_handle)
    return int(made["id"])


def verified_handle(affiliate: dict[str, Any], platform: str, handle: str | None = None,
                    name: str | None = None) -> str:
    """Give the affiliate a verified handle (its profile read by a fake that shows the
    code: the profile look-up itself is tested in test_handles)."""
    handle = handle or unique("h").replace("-", "_")
    me = Principal(affiliate["id"], "AFFILIATE")
    code = add_handle(me, affiliate["id"], platform, handle)["verification_code"]
    shown = Profile(handle=handle, name=name, bio=code)
    verified = verify_handle(me, affiliate["id"], platform, read=lambda _p, _h: shown)
    assert verified["status"] == "verified"
    return handle


def flags_of(report_id: int) -> dict[str, str]:
    with unit_of_work() as uow:
        flags = uow.session.scalars(select(Report.suspicion_flags)
                                    .where(Report.id == report_id)).one()
    return {f["name"]: f["severity"] for f in flags}
