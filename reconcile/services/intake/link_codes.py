"""A submission's `link_code`: the affiliate's tracked link, given to its new post."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from reconcile.errors import LinkInUse, NotFound, ValidationFailed
from reconcile.persistence.models import TrackedLink


def attach(session: Session, affiliate_id: int, code: str, post_id: int,
           campaign_id: int) -> None:
    """Give the affiliate's link `code` to its new post, in the submission's transaction."""
    link = session.scalars(select(TrackedLink).where(TrackedLink.code == code)).first()
    if link is None or link.affiliate_id != affiliate_id:
        raise NotFound("no such link")  # another affiliate's code is not yours to know of
    if link.campaign_id != campaign_id:
        raise ValidationFailed([{"field": "link_code",
                                 "message": "the link belongs to another campaign"}])
    # Conditional, so two submissions racing for one link cannot both take it.
    taken = session.execute(
        update(TrackedLink).where(TrackedLink.id == link.id, TrackedLink.post_id.is_(None))
        .values(post_id=post_id).execution_options(synchronize_session=False))
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise LinkInUse(f"link {code} already belongs to post {link.post_id}")
