"""Takedown: a post removed inside its live window earns nothing (truth.md, Takedown)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from reconcile.persistence.models import Post, Report
from reconcile.services.earnings.cards import current_card
from reconcile.services.earnings.holds import apply_holds
from reconcile.services.earnings.ledger import lock_post, post_state, write_difference


def post_removed(session: Session, report_id: int, now: datetime) -> None:
    """Reverse the report's post to 0 and remember that it earns nothing from now on.

    Idempotent: a second call finds the post's total at 0 already and writes nothing; later
    reports of the post settle to 0 too. Runs in the caller's transaction (the detector of
    the takedown raises its POST_REMOVED alert in the same one).
    """
    post = session.scalar(select(Post).join(Report, Report.post_id == Post.id)
                          .where(Report.id == report_id))
    if post is None:
        return
    lock_post(session, post.id)
    state = post_state(session, post, now)
    if state.removed_at is None:
        state.removed_at = now
    card = current_card(session, post.campaign_id)
    if card is not None:
        write_difference(session, post, card, 0, report_id,
                         f"report {report_id}: post removed (takedown), its earnings reversed",
                         now)
    session.flush()
    apply_holds(session, [post.id], now)
