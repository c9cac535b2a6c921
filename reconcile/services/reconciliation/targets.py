"""What a batch of attempt jobs needs before the fetch, read in one short transaction."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import bindparam, exists, func, select, update

from reconcile.persistence.db import single_statements
from reconcile.persistence.models import (
    Attempt,
    Campaign,
    Platform,
    Post,
    RateCard,
    ReconciliationLog,
    Report,
)
from reconcile.rules import Sources, Status, event_for

# Outcomes that move trust: a report whose log holds one is verified.
VERIFIED = tuple(str(s) for s in Status if event_for(s) is not None)


@dataclass(frozen=True)
class Job:
    report_id: int
    attempt_number: int
    trigger: str = "submission"
    request_id: str | None = None
    task_id: str | None = None
    trace_id: str | None = None


@dataclass(frozen=True)
class Target:
    """What the fetch needs, read in a short transaction before it."""

    report_id: int
    post_id: int
    affiliate_id: int
    platform: str
    platform_post_id: str
    platform_active: bool
    submitted_at: datetime
    claimed: dict[str, int]
    priority: str
    incomplete_attempts: int
    verified: bool  # an outcome that moves trust is already recorded (a rerun, a re-check)
    sources: Sources = Sources()  # the campaign's sources for clicks and conversions
    # The campaign has a rate card: a terminal outcome settles the post's earnings. Read
    # here, with the target, so that a batch on campaigns without one costs no statement.
    earns: bool = False
    campaign: CampaignTerms | None = None  # what the post itself is checked against
    verified_at: datetime | None = None  # when the report was first verified
    # The live period of takedown monitoring: the rate card's live_days, when it has one.
    live_days: int | None = None


@dataclass(frozen=True)
class CampaignTerms:
    """The campaign's terms a post must meet (truth.md, "The post itself")."""

    campaign_id: int
    start_date: date | None
    end_date: date | None
    required_tags: tuple[str, ...]
    require_verified_handle: bool


_INCOMPLETE = (
    select(func.count()).select_from(Attempt)
    .where(Attempt.report_id == Report.id, Attempt.status == "INCOMPLETE_PLATFORM_DATA")
    .correlate(Report).scalar_subquery()
)
_EARNS = exists().where(RateCard.campaign_id == Post.campaign_id).correlate(Post)
# The current rate card's live_days (truth.md, Takedown), NULL without a card.
_LIVE_DAYS = (select(RateCard.live_days).where(RateCard.campaign_id == Post.campaign_id)
              .order_by(RateCard.version.desc()).limit(1).correlate(Post).scalar_subquery())
# One row per report: the report, its post, log and platform, whether an outcome that moves
# trust was already recorded for it, and how many of its attempts found incomplete data.
_TARGETS = (
    select(
        Report.id, Report.post_id, Report.affiliate_id, Report.submitted_at,
        Report.claimed_views, Report.claimed_clicks, Report.claimed_conversions, Report.priority,
        Post.platform, Post.platform_post_id, Platform.is_active,
        ReconciliationLog.attempt_count, ReconciliationLog.is_terminal,
        ReconciliationLog.status.in_(VERIFIED), _INCOMPLETE,
        Campaign.clicks_source, Campaign.conversions_source, _EARNS,
        Campaign.id, Campaign.start_date, Campaign.end_date, Campaign.required_tags,
        Campaign.require_verified_handle, ReconciliationLog.verified_at, _LIVE_DAYS,
    )
    .join(Post, Post.id == Report.post_id)
    .join(Campaign, Campaign.id == Post.campaign_id)
    .join(ReconciliationLog, ReconciliationLog.report_id == Report.id)
    .join(Platform, Platform.name == Post.platform)
)


# A worker began these reports' jobs: if it dies before their attempts commit, the sweep
# knows the messages are gone (they sit unacknowledged in the broker for two days).
_TAKEN = (update(ReconciliationLog)
          .where(ReconciliationLog.report_id.in_(bindparam("ids", expanding=True)))
          .values(taken_at=bindparam("now")))


def load_targets(jobs: Sequence[Job], *, mark_taken: bool = True) -> list[Target | None]:
    """Return what to fetch for each job, or None where the job has nothing left to do;
    note that a worker began the jobs that have something to do."""
    if not jobs:
        return []
    # No transaction: the mark needs none around the read (a worker that dies between them
    # leaves no mark either way), and BEGIN and COMMIT were half of this read's round trips.
    with single_statements() as conn:
        rows = conn.execute(_TARGETS.where(Report.id.in_({job.report_id for job in jobs}))).all()
        by_report = {row[0]: row for row in rows}
        targets = [_target(job, by_report.get(job.report_id)) for job in jobs]
        live = sorted({t.report_id for t in targets if t is not None})
        if mark_taken and live:
            conn.execute(_TAKEN, {"ids": live, "now": datetime.now(UTC)})
    return targets


def _target(job: Job, row: Any) -> Target | None:
    if row is None:
        return None
    (report_id, post_id, affiliate_id, submitted, views, clicks, conversions, priority,
     platform, platform_post_id, active, attempt_count, is_terminal, verified,
     incomplete, clicks_source, conversions_source, earns, campaign_id, start, end, tags,
     require_handle, verified_at, live_days) = row
    # An attempt's row commits together with its log's attempt_count raised to at least its
    # number, so a count below this job's number also says its attempt has no row yet.
    if attempt_count >= job.attempt_number:
        return None
    if is_terminal and job.trigger in ("submission", "retry"):
        return None
    return Target(
        report_id=report_id, post_id=post_id, affiliate_id=affiliate_id, platform=platform,
        platform_post_id=platform_post_id, platform_active=bool(active), submitted_at=submitted,
        claimed={"views": views, "clicks": clicks, "conversions": conversions},
        priority=priority, incomplete_attempts=int(incomplete or 0), verified=bool(verified),
        sources=Sources(clicks_source, conversions_source), earns=bool(earns),
        campaign=CampaignTerms(campaign_id, start, end, tuple(tags or ()),
                               bool(require_handle)),
        verified_at=verified_at, live_days=live_days,
    )
