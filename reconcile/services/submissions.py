"""Submit a post's claimed metrics, or update them: store, flag, dispatch after commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reconcile.bootstrap import active_rules
from reconcile.dispatch import get_dispatcher
from reconcile.errors import (
    CampaignInactive,
    CampaignPlatformMismatch,
    DuplicateSubmission,
    NotFound,
    PlatformDisabled,
    ValidationFailed,
)
from reconcile.persistence.db import UnitOfWork, unit_of_work
from reconcile.persistence.models import (
    CampaignPlatform,
    Platform,
    Post,
    ReconciliationLog,
    Report,
)
from reconcile.platforms.urls import InvalidPostUrl, normalise
from reconcile.rules import duplicate_claim_alert, priority_for, suspicion_flags
from reconcile.services.alerting import raise_alert
from reconcile.services.campaigns import visible_campaign
from reconcile.services.intake import check_intake
from reconcile.services.principal import Principal


@dataclass(frozen=True)
class Claim:
    views: int
    clicks: int
    conversions: int
    evidence: str | None = None

    def as_metrics(self) -> dict[str, int]:
        return {"views": self.views, "clicks": self.clicks, "conversions": self.conversions}


def _accepted(post: Post, report: Report, priority: str, flags: list[dict]) -> dict[str, Any]:
    return {
        "post_id": post.id,
        "report_id": report.id,
        "status": "PENDING",
        "priority": priority,
        "suspicion_flags": flags,
        "links": {"report": f"/api/v1/reports/{report.id}"},
    }


def _new_report(
    uow: UnitOfWork, post: Post, claim: Claim, previous: dict[str, int] | None,
    duplicate: bool, request_id: str | None,
) -> tuple[Report, str, list[dict]]:
    flags = suspicion_flags(
        claim.as_metrics(), evidence=claim.evidence, previous=previous,
        duplicate_claim=duplicate, rules=active_rules().quality,
    )
    priority = priority_for(flags)
    flag_dicts = [f.to_dict() for f in flags]
    report = Report(
        post_id=post.id, affiliate_id=post.affiliate_id, claimed_views=claim.views,
        claimed_clicks=claim.clicks, claimed_conversions=claim.conversions,
        evidence=claim.evidence, suspicion_flags=flag_dicts, priority=priority,
        request_id=request_id, submitted_at=datetime.now(UTC),
    )
    uow.session.add(report)
    uow.session.flush()
    uow.session.add(ReconciliationLog(report_id=report.id, status="PENDING"))
    report_id = report.id
    uow.after_commit(
        lambda: get_dispatcher().reconcile(
            report_id, 1, priority=priority, trigger="submission", request_id=request_id
        )
    )
    return report, priority, flag_dicts


def _check_platform(session: Session, campaign_id: int, platform: str) -> None:
    allowed = session.scalar(
        select(CampaignPlatform.platform).where(
            CampaignPlatform.campaign_id == campaign_id, CampaignPlatform.platform == platform
        )
    )
    if allowed is None:
        raise CampaignPlatformMismatch(f"campaign {campaign_id} does not allow {platform}")
    row = session.get(Platform, platform)
    if row is not None and not row.is_active:
        raise PlatformDisabled(f"{platform} is disabled by an operator; submit again later")


def submit(
    principal: Principal, *, campaign_id: int, platform: str, url: str, claim: Claim,
    title: str | None = None, request_id: str | None = None,
) -> dict[str, Any]:
    """Store a new post and its first report; reconciliation is dispatched after commit."""
    check_intake()
    try:
        normalised = normalise(platform, url)
    except InvalidPostUrl as exc:
        raise ValidationFailed([{"field": "url", "message": str(exc)}]) from exc
    with unit_of_work() as uow:
        s = uow.session
        campaign = visible_campaign(s, principal, campaign_id)
        if campaign.status != "ACTIVE" or (campaign.end_date and campaign.end_date < date.today()):
            raise CampaignInactive(f"campaign {campaign_id} is not active")
        _check_platform(s, campaign_id, platform)
        mine = s.scalar(
            select(Post.id).where(
                Post.affiliate_id == principal.user_id, Post.campaign_id == campaign_id,
                Post.platform == platform, Post.normalized_url == normalised.canonical_url,
            )
        )
        if mine is not None:
            raise DuplicateSubmission(
                f"post {mine} already holds this URL; update it with PUT "
                f"/api/v1/submissions/{mine}/metrics", post_id=mine,
            )
        duplicate = s.scalar(
            select(Post.id).where(
                Post.normalized_url == normalised.canonical_url,
                Post.affiliate_id != principal.user_id,
            ).limit(1)
        ) is not None
        post = Post(
            affiliate_id=principal.user_id, campaign_id=campaign_id, platform=platform,
            url=url, normalized_url=normalised.canonical_url,
            platform_post_id=normalised.post_id, title=title,
        )
        s.add(post)
        try:
            s.flush()
        except IntegrityError as exc:  # a concurrent twin won the race
            raise DuplicateSubmission("this post was just submitted") from exc
        report, priority, flags = _new_report(uow, post, claim, None, duplicate, request_id)
        if duplicate:
            raise_alert(
                s, duplicate_claim_alert(normalised.canonical_url),
                report_id=report.id, affiliate_id=principal.user_id, platform=platform,
            )
        return _accepted(post, report, priority, flags)


def update_metrics(
    principal: Principal, post_id: int, claim: Claim, request_id: str | None = None
) -> dict[str, Any]:
    """Record a new report for an existing post (reports are immutable)."""
    check_intake()
    with unit_of_work() as uow:
        s = uow.session
        post = s.get(Post, post_id)
        if post is None or post.affiliate_id != principal.user_id:
            raise NotFound("no such post")
        _check_platform(s, post.campaign_id, post.platform)
        last = s.scalars(
            select(Report).where(Report.post_id == post_id).order_by(Report.id.desc()).limit(1)
        ).first()
        previous = (
            {"views": last.claimed_views, "clicks": last.claimed_clicks,
             "conversions": last.claimed_conversions} if last else None
        )
        report, priority, flags = _new_report(uow, post, claim, previous, False, request_id)
        return _accepted(post, report, priority, flags)
