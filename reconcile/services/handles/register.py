"""Add a handle and verify it through the platform's profile (truth.md, "Handles").

A handle is verified by one affiliate at most. When another affiliate proves it later (its
own code in the bio: the account changed hands), the handle moves to that affiliate and the
former holder's verification ends; the former holder must verify again to win it back.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from reconcile.errors import HandleNotVerified, NotFound, ServiceUnavailable, ValidationFailed
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import AffiliateHandle
from reconcile.platforms import get_adapter
from reconcile.platforms.adapters.base import NOT_FOUND, Profile
from reconcile.rules.post_checks import handle_key
from reconcile.services.audit import Actor, record
from reconcile.services.principal import Principal

UNVERIFIED, VERIFIED = "unverified", "verified"
HANDLE = re.compile(r"@?[A-Za-z0-9_.\-]{1,64}")
# Reads one account's profile on one platform (tests pass a fake).
ReadProfile = Callable[[str, str], Profile]


def read_profile(platform: str, handle: str) -> Profile:
    """Ask the platform for the account's profile through its adapter."""
    return get_adapter(platform).fetch_profile(handle)


def new_code() -> str:
    # Short enough to paste into a bio, long enough that no bio carries it by chance.
    return "rc-" + secrets.token_hex(5)


def handle_view(row: AffiliateHandle) -> dict[str, Any]:
    return {"platform": row.platform, "handle": row.handle, "status": row.status,
            "verification_code": row.verification_code,
            "verified_at": row.verified_at.isoformat() if row.verified_at else None}


def _own(principal: Principal, affiliate_id: int) -> None:
    if principal.user_id != affiliate_id:
        raise NotFound("no such affiliate")


def add_handle(principal: Principal, affiliate_id: int, platform: str, handle: str,
               request_id: str | None = None) -> dict[str, Any]:
    """Name the affiliate's handle on a platform (replacing any earlier one): unverified,
    with a fresh code to put in the bio."""
    _own(principal, affiliate_id)
    if not HANDLE.fullmatch(handle):
        raise ValidationFailed([{"field": "handle", "message": "1 to 64 letters, digits, "
                                 "_ . or -, with an optional leading @"}])
    with unit_of_work() as uow:
        s = uow.session
        row = _row(s, affiliate_id, platform)
        before = handle_view(row) if row else None
        if row is None:
            row = AffiliateHandle(affiliate_id=affiliate_id, platform=platform,
                                  created_at=datetime.now(UTC))
            s.add(row)
        row.handle, row.handle_key = handle.lstrip("@"), handle_key(handle)
        row.verification_code, row.status, row.verified_at = new_code(), UNVERIFIED, None
        s.flush()
        view = handle_view(row)
        record(s, Actor.of(principal, request_id), "handle.add",
               ("affiliate_handle", row.id), before=before, after=view)
        return view


def verify_handle(principal: Principal, affiliate_id: int, platform: str,
                  request_id: str | None = None, *,
                  read: ReadProfile = read_profile) -> dict[str, Any]:
    """Read the profile; verified when its bio carries the code (HANDLE_NOT_VERIFIED if
    not). The platform is asked outside any transaction."""
    _own(principal, affiliate_id)
    with unit_of_work() as uow:
        row = _row(uow.session, affiliate_id, platform)
        if row is None:
            raise NotFound(f"no {platform} handle to verify: add it first")
        handle, code = row.handle, row.verification_code
    profile = read(platform, handle)
    if profile.missing_reason == NOT_FOUND:
        raise HandleNotVerified(f"{platform} has no account {handle}")
    if profile.missing_reason is not None:
        raise ServiceUnavailable(f"{platform} did not show the profile "
                                 f"({profile.missing_reason}); try again later")
    if code not in (profile.bio or ""):
        raise HandleNotVerified(f"the bio of {handle} on {platform} does not carry {code}")
    return _mark_verified(principal, affiliate_id, platform, code, profile.name, request_id)


def _mark_verified(principal: Principal, affiliate_id: int, platform: str, code: str,
                   name: str | None, request_id: str | None) -> dict[str, Any]:
    with unit_of_work() as uow:
        s = uow.session
        row = _row(s, affiliate_id, platform, lock=True)
        if row is None or row.verification_code != code:
            raise HandleNotVerified("the handle changed while its profile was read; verify "
                                    "again")
        actor = Actor.of(principal, request_id)
        for held in s.scalars(select(AffiliateHandle).where(
                AffiliateHandle.platform == platform,
                AffiliateHandle.handle_key == row.handle_key,
                AffiliateHandle.status == VERIFIED,
                AffiliateHandle.affiliate_id != affiliate_id).with_for_update()):
            # The account changed hands: the new holder proved it just now.
            before = handle_view(held)
            held.status, held.verified_at, held.profile_name = UNVERIFIED, None, None
            held.verification_code = new_code()
            s.flush()
            record(s, actor, "handle.released", ("affiliate_handle", held.id),
                   before=before, after=handle_view(held))
        row.profile_name = name[:200] if name else None
        if row.status != VERIFIED:
            row.status, row.verified_at = VERIFIED, datetime.now(UTC)
            s.flush()
            record(s, actor, "handle.verify", ("affiliate_handle", row.id),
                   after=handle_view(row))
        return handle_view(row)


def list_handles(principal: Principal, affiliate_id: int) -> list[dict[str, Any]]:
    """The affiliate's handles (the affiliate, ADMIN, ANALYST)."""
    if principal.role == "AFFILIATE":
        _own(principal, affiliate_id)
    with unit_of_work() as uow:
        rows = uow.session.scalars(select(AffiliateHandle).where(
            AffiliateHandle.affiliate_id == affiliate_id).order_by(AffiliateHandle.platform))
        return [handle_view(r) for r in rows]


def _row(s: Session, affiliate_id: int, platform: str,
         lock: bool = False) -> AffiliateHandle | None:
    q = select(AffiliateHandle).where(AffiliateHandle.affiliate_id == affiliate_id,
                                      AffiliateHandle.platform == platform)
    return s.scalars(q.with_for_update() if lock else q).first()
