"""The submission path's statements, built once.

A submission is the API's hottest path. Building a SQLAlchemy statement costs more CPU than
the database spends running it (coercion, cache keys, ORM plugins), so these are built at
import from plain table columns with bound parameters, and run on the session's connection.
"""

from __future__ import annotations

from sqlalchemy import and_, bindparam, case, func, insert, select

from reconcile.persistence.models import (
    Campaign,
    CampaignPlatform,
    Platform,
    Post,
    ReconciliationLog,
    Report,
    table_of,
)

_campaigns = Campaign.__table__.c
_allowed = CampaignPlatform.__table__.c
_platforms = Platform.__table__.c
_posts = Post.__table__.c

# Is the campaign there, whose is it, is it running, does it take the platform, is the
# platform enabled: all in one row (None when the campaign does not exist).
CAMPAIGN_FOR_SUBMISSION = (
    select(_campaigns.client_id, _campaigns.status, _campaigns.start_date, _campaigns.end_date,
           _allowed.platform.label("allowed"), _platforms.is_active,
           _campaigns.clicks_source, _campaigns.conversions_source)
    .select_from(Campaign.__table__)
    .outerjoin(CampaignPlatform.__table__,
               and_(_allowed.campaign_id == _campaigns.id,
                    _allowed.platform == bindparam("platform")))
    .outerjoin(Platform.__table__, _platforms.name == bindparam("platform"))
    .where(_campaigns.id == bindparam("campaign_id"))
)

# Who already holds a normalised URL: the caller's own post in this campaign and platform
# (its id), and whether any other affiliate holds it (R6), in one row.
URL_HOLDERS = select(
    func.max(case((and_(_posts.affiliate_id == bindparam("affiliate_id"),
                        _posts.campaign_id == bindparam("campaign_id"),
                        _posts.platform == bindparam("platform")), _posts.id))),
    func.max(case((_posts.affiliate_id != bindparam("affiliate_id"), 1), else_=0)),
).where(_posts.normalized_url == bindparam("normalized_url"))


INSERT_POST = insert(table_of(Post)).returning(_posts.id)
INSERT_REPORT = insert(table_of(Report)).returning(table_of(Report).c.id)
INSERT_LOG = insert(table_of(ReconciliationLog))
