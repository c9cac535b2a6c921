"""The submission path's statements, built once.

A submission is the API's hottest path. Building a SQLAlchemy statement costs more CPU than
the database spends running it (coercion, cache keys, ORM plugins), so these are built at
import from plain table columns with bound parameters, and run on the session's connection.
"""

from __future__ import annotations

from sqlalchemy import JSON, Select, and_, bindparam, case, func, insert, literal, select

from reconcile.persistence.models import (
    Campaign,
    CampaignPlatform,
    Platform,
    Post,
    ReconciliationLog,
    Report,
    When,
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
# (its id), and whether any other affiliate holds it (R6).
_holders = Post.__table__.alias("holders")
_MINE = (select(func.max(case((and_(_holders.c.affiliate_id == bindparam("affiliate_id"),
                                    _holders.c.campaign_id == bindparam("campaign_id"),
                                    _holders.c.platform == bindparam("platform")),
                               _holders.c.id))))
         .where(_holders.c.normalized_url == bindparam("normalized_url")).scalar_subquery())
_OTHERS = (select(func.max(case((_holders.c.affiliate_id != bindparam("affiliate_id"), 1),
                                else_=0)))
           .where(_holders.c.normalized_url == bindparam("normalized_url")).scalar_subquery())

# The campaign's row with the URL's holders beside it: a new post's checks in one round trip,
# run once the URL's advisory lock is held (the holders must be read after it).
CAMPAIGN_AND_HOLDERS = CAMPAIGN_FOR_SUBMISSION.add_columns(_MINE.label("mine"),
                                                           _OTHERS.label("others"))


INSERT_POST = insert(table_of(Post)).returning(_posts.id)
INSERT_REPORT = insert(table_of(Report)).returning(table_of(Report).c.id)
INSERT_LOG = insert(table_of(ReconciliationLog))

_reports = table_of(Report).c
_logs = table_of(ReconciliationLog).c


def _insert_all() -> Select:
    """PostgreSQL: the post, its report and the report's PENDING log in one statement
    (data-modifying CTEs, which SQLite lacks: there the three inserts above run in turn).
    Every column the three inserts would fill, defaults included, is named here;
    tests/integration/test_submission_sql.py compares the rows the two ways write."""
    now = bindparam("now", type_=When)
    post = (insert(table_of(Post))
            .values(affiliate_id=bindparam("affiliate_id"), campaign_id=bindparam("campaign_id"),
                    platform=bindparam("platform"), url=bindparam("url"),
                    normalized_url=bindparam("normalized_url"),
                    platform_post_id=bindparam("platform_post_id"), title=bindparam("title"),
                    created_at=now)
            .returning(_posts.id).cte("new_post"))
    report_columns = {
        "post_id": post.c.id, "affiliate_id": bindparam("affiliate_id"),
        "claimed_views": bindparam("claimed_views"),
        "claimed_clicks": bindparam("claimed_clicks"),
        "claimed_conversions": bindparam("claimed_conversions"),
        "evidence": bindparam("evidence"),
        "suspicion_flags": bindparam("suspicion_flags", type_=JSON),
        "priority": bindparam("priority"), "request_id": bindparam("request_id"),
        "submitted_at": now,
    }
    report = (insert(table_of(Report))
              .from_select(list(report_columns), select(*report_columns.values()),
                           include_defaults=False)
              .returning(_reports.id, _reports.post_id).cte("new_report"))
    log_columns = {
        "report_id": report.c.id, "status": bindparam("status"),
        "attempt_count": literal(0), "is_terminal": literal(False),
        "missing_fields": bindparam("empty_list", type_=JSON),
        "metrics": bindparam("empty_dict", type_=JSON), "updated_at": now,
        "dispatched_at": now, "job_priority": bindparam("priority"),
        "job_trigger": bindparam("job_trigger"), "failures": literal(0),
    }
    log = (insert(table_of(ReconciliationLog))
           .from_select(list(log_columns), select(*log_columns.values()),
                        include_defaults=False)
           .cte("new_log"))
    return select(report.c.post_id, report.c.id).add_cte(log)


INSERT_POST_REPORT_LOG = _insert_all()
