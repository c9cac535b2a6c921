"""May this principal see or touch this? Every answer the use cases need, in one place.

ADMIN and ANALYST read everything; an AFFILIATE sees its own posts, reports, alerts and
trust; a CLIENT sees what belongs to its own campaigns (and the affiliates who posted in
them). Something the caller may not see is NotFound, never Forbidden: its existence is not
the caller's to learn either.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Select, Table, exists, select
from sqlalchemy.orm import Session

from reconcile.errors import NotFound
from reconcile.persistence.models import Alert, Campaign, Post, Report, TrustLedger
from reconcile.services.principal import Principal
from reconcile.vocabulary import Role


def own_campaigns(principal: Principal) -> Select:
    """The ids of the campaigns of the caller's client."""
    return select(Campaign.id).where(Campaign.client_id == principal.client_id)


def visible_posts(q: Select, principal: Principal) -> Select:
    """Narrow a query joined to Post to the posts the caller may see."""
    if principal.role == Role.AFFILIATE:
        return q.where(Post.affiliate_id == principal.user_id)
    if principal.role == Role.CLIENT:
        return q.where(Post.campaign_id.in_(own_campaigns(principal)))
    return q


def visible_tallies(table: Table, principal: Principal) -> list[ColumnElement[bool]]:
    """The conditions narrowing a table of running counts (persistence.tallies) to the
    reports the caller may see, as `visible_posts` narrows the reports themselves."""
    if principal.role == Role.AFFILIATE:
        return [table.c.affiliate_id == principal.user_id]
    if principal.role == Role.CLIENT:
        return [table.c.campaign_id.in_(own_campaigns(principal))]
    return []


def visible_hours(table: Table, principal: Principal,
                  campaign_id: int | None) -> list[ColumnElement[bool]] | None:
    """The conditions picking, in the attempts' hourly counts (persistence.tallies.HOURS),
    the level that counts what the caller may see of `campaign_id` (None: all it may see),
    as `visible_posts` narrows the attempts themselves; None where no level does (an
    affiliate asking about one campaign: counted from its attempts)."""
    if campaign_id is not None:
        if principal.role == Role.AFFILIATE:
            return None
        mine = [table.c.campaign_id == campaign_id, table.c.affiliate_id == 0]
        if principal.role == Role.CLIENT:
            mine.append(table.c.campaign_id.in_(own_campaigns(principal)))
        return mine
    if principal.role == Role.AFFILIATE:
        return [table.c.affiliate_id == principal.user_id, table.c.campaign_id == 0]
    if principal.role == Role.CLIENT:
        return [table.c.campaign_id.in_(own_campaigns(principal)), table.c.affiliate_id == 0]
    return [table.c.campaign_id == 0, table.c.affiliate_id == 0]


def visible_alerts(q: Select, principal: Principal) -> Select:
    """A client sees alerts on its campaigns' reports; an affiliate, alerts about itself."""
    if principal.role == Role.AFFILIATE:
        return q.where(Alert.affiliate_id == principal.user_id)
    if principal.role == Role.CLIENT:
        own = (select(Report.id).join(Post, Post.id == Report.post_id)
               .where(Post.campaign_id.in_(own_campaigns(principal))))
        return q.where(Alert.report_id.in_(own))
    return q


def visible_ledger(q: Select, principal: Principal) -> Select:
    """A client reads only the trust-ledger rows of its own campaigns' reports."""
    if principal.role != Role.CLIENT:
        return q
    return (q.join(Report, Report.id == TrustLedger.report_id)
            .join(Post, Post.id == Report.post_id)
            .where(Post.campaign_id.in_(own_campaigns(principal))))


def may_see_client(principal: Principal, client_id: int | None) -> bool:
    """Tell whether the caller may see something owned by this client."""
    return principal.role != Role.CLIENT or client_id == principal.client_id


def visible_campaign(session: Session, principal: Principal, campaign_id: int) -> Campaign:
    """Return the campaign if the caller may see it; NotFound otherwise."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None or not may_see_client(principal, campaign.client_id):
        raise NotFound("no such campaign")
    return campaign


def may_see_report(session: Session, principal: Principal, report: Report, post: Post) -> bool:
    if principal.reads_everything:
        return True
    if principal.role == Role.AFFILIATE:
        return report.affiliate_id == principal.user_id
    if principal.role == Role.CLIENT:
        owner = session.scalar(select(Campaign.client_id).where(Campaign.id == post.campaign_id))
        return owner == principal.client_id
    return False


def may_see_affiliate(session: Any, principal: Principal, affiliate_id: int) -> bool:
    """Everyone who reads everything, the affiliate itself, and a client it posted for."""
    if principal.reads_everything or principal.user_id == affiliate_id:
        return True
    if principal.role != Role.CLIENT:
        return False
    return bool(session.scalar(select(exists().where(
        Post.affiliate_id == affiliate_id, Post.campaign_id.in_(own_campaigns(principal))))))


def owned_post(session: Session, principal: Principal, post_id: int) -> Post:
    """Return the caller's own post (only its author may change it); NotFound otherwise."""
    post = session.get(Post, post_id)
    if post is None or post.affiliate_id != principal.user_id:
        raise NotFound("no such post")
    return post
