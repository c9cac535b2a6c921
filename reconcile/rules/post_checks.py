"""Checks on the post itself (truth.md, "The post itself"): who published it, when, with
which tags, and whether it is still up. Pure: the caller brings what the platform showed.

Flags go beside the report's submission flags; none of them changes the reconciliation
status, which describes the numbers only.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from reconcile.rules.alerts import FRAUD, SUSPICIOUS_CLAIM, AlertSpec
from reconcile.rules.flags import HIGH, LOW, MEDIUM, Flag

POST_REMOVED = "POST_REMOVED"
NOT_OWNER, OWNER_UNVERIFIED = "not_owner", "owner_unverified"
OUTSIDE_WINDOW, MISSING_DISCLOSURE = "outside_campaign_window", "missing_disclosure"
# The flags an attempt re-decides each time it sees the post (the others are the claim's).
POST_FLAGS = (NOT_OWNER, OWNER_UNVERIFIED, OUTSIDE_WINDOW, MISSING_DISCLOSURE)

# A tag is a run of word characters: platforms end a hashtag at the first character that is
# not a letter, digit or underscore, so "#adidas" is the tag "adidas", never "ad".
_WORD = re.compile(r"\w+", re.UNICODE)


def handle_key(handle: str) -> str:
    """Return a handle as platforms compare them: no leading @, case-folded, trimmed."""
    return handle.strip().lstrip("@").strip().casefold()


def caption_tags(caption: str | None) -> set[str]:
    """Return the words of a caption, case-folded: what a required tag is looked up in.

    With or without `#` a tag matches the whole word only ("#ad" in "Love it #ad" or
    "ad: love it", never in "#adidas" or "made")."""
    return {w.casefold() for w in _WORD.findall(caption or "")}


def missing_tags(caption: str | None, required: Iterable[str]) -> list[str]:
    """Return the required tags the caption does not carry, as the campaign wrote them."""
    words = caption_tags(caption)
    return [tag for tag in required if handle_key(tag.lstrip("#")) not in words]


@dataclass(frozen=True)
class PostFacts:
    """What the platform showed about the post, and what the campaign and affiliate say."""

    author: str | None
    published_at: datetime | None
    caption: str | None
    verified_handles: Collection[str]  # the submitting affiliate's, on this platform
    author_verified_by_other: bool  # the author is a handle another affiliate verified
    start_date: date | None
    end_date: date | None
    required_tags: Collection[str]
    require_verified_handle: bool


def post_flags(facts: PostFacts) -> list[Flag]:
    """Return the ownership and eligibility flags of a post the platform showed."""
    flags: list[Flag] = []
    mine = {handle_key(h) for h in facts.verified_handles}
    # Someone else's post: the author is not among the affiliate's verified handles, or is
    # a handle another affiliate verified. An affiliate with no verified handle here, on a
    # post nobody else verified, is only unproven (owner_unverified).
    foreign = facts.author is not None and handle_key(facts.author) not in mine and (
        bool(mine) or facts.author_verified_by_other)
    if foreign:
        flags.append(Flag(NOT_OWNER, HIGH, f"published by {facts.author}, not by a verified "
                                           f"handle of the affiliate"))
    elif not mine and facts.require_verified_handle:
        flags.append(Flag(OWNER_UNVERIFIED, LOW,
                          "the affiliate has no verified handle on this platform"))
    outside = outside_window(facts.published_at, facts.start_date, facts.end_date)
    if outside:
        flags.append(Flag(OUTSIDE_WINDOW, MEDIUM, outside))
    missing = missing_tags(facts.caption, facts.required_tags)
    if missing:
        flags.append(Flag(MISSING_DISCLOSURE, MEDIUM,
                          f"the caption lacks the required {', '.join(missing)}"))
    return flags


def outside_window(published_at: datetime | None, start: date | None,
                   end: date | None) -> str | None:
    """Say why a publication time falls outside the campaign's dates (UTC, end inclusive)."""
    if published_at is None:
        return None
    day = published_at.date()
    if start is not None and day < start:
        return f"published {published_at.isoformat()}, before the campaign starts on {start}"
    if end is not None and day > end:
        return f"published {published_at.isoformat()}, after the campaign ended on {end}"
    return None


def not_owner_alert(author: str, handles: Collection[str]) -> AlertSpec:
    """Return the SUSPICIOUS_CLAIM alert of a post published by someone else (rule R8)."""
    return AlertSpec("R8", SUSPICIOUS_CLAIM, FRAUD, HIGH,
                     "Post published by another account",
                     f"The platform names {author} as the author; the affiliate's verified "
                     f"handles here: {', '.join(sorted(handles))}.",
                     {"author": author, "verified_handles": sorted(handles)})


def in_live_period(verified_at: datetime | None, now: datetime, live_days: int) -> bool:
    """Whether a report verified at verified_at must still be up at now."""
    return verified_at is not None and now <= verified_at + timedelta(days=live_days)


def post_removed_alert(verified_at: datetime, now: datetime, live_days: int) -> AlertSpec:
    """Return POST_REMOVED (rule R9): a verified post the platform no longer shows."""
    age = (now - verified_at).total_seconds() / 86400
    return AlertSpec("R9", POST_REMOVED, FRAUD, MEDIUM,
                     f"Post removed {age:.1f} days after it was verified",
                     f"The platform no longer shows the post; it had to stay up {live_days} "
                     f"days after verification ({verified_at.isoformat()}).",
                     {"verified_at": verified_at.isoformat(), "days_after": round(age, 2),
                      "live_days": live_days})
