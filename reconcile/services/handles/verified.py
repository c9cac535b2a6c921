"""The verified handles reconciliation compares a post's author with."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, or_, select, tuple_
from sqlalchemy.orm import Session

from reconcile.persistence.models import AffiliateHandle
from reconcile.rules.post_checks import handle_key

# Platforms whose posts name their author by the account's display name: a YouTube video
# names its channel by title (videos.list has no handle), so the title read from the
# profile at verification counts as the handle there.
BY_NAME = ("youtube",)


@dataclass(frozen=True)
class Holders:
    """Per (platform, handle key): the affiliate that verified it; per (affiliate,
    platform): its verified handles."""

    by_handle: dict[tuple[str, str], int] = field(default_factory=dict)
    by_affiliate: dict[tuple[int, str], list[str]] = field(default_factory=dict)

    def mine(self, affiliate_id: int, platform: str) -> list[str]:
        return self.by_affiliate.get((affiliate_id, platform), [])

    def held_by_other(self, affiliate_id: int, platform: str, author: str | None) -> bool:
        if author is None:
            return False
        holder = self.by_handle.get((platform, handle_key(author)))
        return holder is not None and holder != affiliate_id


def verified_holders(session: Session, affiliates: Iterable[tuple[int, str]],
                     authors: Iterable[tuple[str, str]]) -> Holders:
    """One query: the verified handles of these (affiliate, platform) pairs and the
    holders of these (platform, author) handles."""
    pairs = sorted(set(affiliates))
    keys = sorted({(p, handle_key(a)) for p, a in authors})
    if not pairs and not keys:
        return Holders()
    conditions: list[Any] = []
    if pairs:
        conditions.append(tuple_(AffiliateHandle.affiliate_id, AffiliateHandle.platform)
                          .in_(pairs))
    if keys:
        conditions.append(tuple_(AffiliateHandle.platform, AffiliateHandle.handle_key)
                          .in_(keys))
        named = [(p, k) for p, k in keys if p in BY_NAME]
        if named:
            conditions.append(tuple_(AffiliateHandle.platform,
                                     func.lower(AffiliateHandle.profile_name)).in_(named))
    rows = session.execute(
        select(AffiliateHandle.affiliate_id, AffiliateHandle.platform, AffiliateHandle.handle,
               AffiliateHandle.handle_key, AffiliateHandle.profile_name)
        .where(AffiliateHandle.status == "verified", or_(*conditions))).all()
    holders = Holders()
    for affiliate, platform, handle, key, name in rows:
        names = [(handle, key)]
        if platform in BY_NAME and name:
            names.append((name, handle_key(name)))
        for shown, known in names:
            holders.by_handle[(platform, known)] = affiliate
            holders.by_affiliate.setdefault((affiliate, platform), []).append(shown)
    return holders
