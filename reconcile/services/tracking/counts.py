"""Counted clicks and conversions per post, as of a time: what reconciliation reads.

# SEAM: replaced by the tracking package on merge
The tables these count (tracked_links, clicks, conversions) come with the tracking
package's migration; until it is merged, every post has no tracked link and nothing
counted. The signatures are the contract between the two halves of issue 16.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy.orm import Session


def counted_clicks(session: Session, post_ids: Collection[int], as_of: datetime
                   ) -> dict[int, int]:
    """Return each post's counted clicks up to as_of; a post with none may be left out."""
    return _placeholder(session, post_ids, as_of)


def counted_conversions(session: Session, post_ids: Collection[int], as_of: datetime
                        ) -> dict[int, int]:
    """Return each post's counted conversions up to as_of; a post with none may be left out."""
    return _placeholder(session, post_ids, as_of)


def has_tracked_link(session: Session, post_ids: Collection[int]) -> set[int]:
    """Return the posts among post_ids that have a tracked link."""
    return set()  # SEAM: replaced by the tracking package on merge


def _placeholder(session: Session, post_ids: Collection[int], as_of: datetime
                 ) -> dict[int, int]:
    return {}  # SEAM: replaced by the tracking package on merge
