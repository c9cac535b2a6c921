"""Submit a post's claimed metrics, or update them: store, flag, dispatch after commit."""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from reconcile.bootstrap import active_rules
from reconcile.dispatch import NextAttempt, send_attempts
from reconcile.errors import (
    CampaignInactive,
    CampaignPlatformMismatch,
    DuplicateSubmission,
    NotFound,
    PlatformDisabled,
    ValidationFailed,
)
from reconcile.persistence.db import UnitOfWork, serialise_on, unit_of_work
from reconcile.persistence.models import Report
from reconcile.platforms.urls import InvalidPostUrl, normalise
from reconcile.rules import (
    Sources,
    Status,
    closed_reason,
    duplicate_claim_alert,
    metric_sources,
    priority_for,
    suspicion_flags,
    unverifiable,
)
from reconcile.services.access import may_see_client, owned_post
from reconcile.services.alerts.raising import raise_alert
from reconcile.services.intake import submission_sql as sql
from reconcile.services.intake.control import check_intake
from reconcile.services.intake.link_codes import attach
from reconcile.services.principal import Principal


@dataclass(frozen=True)
class Claim:
    views: int
    clicks: int
    conversions: int
    evidence: str | None = None

    def as_metrics(self) -> dict[str, int]:
        return {"views": self.views, "clicks": self.clicks, "conversions": self.conversions}


def _accepted(post_id: int, report_id: int, priority: str, flags: list[dict]) -> dict[str, Any]:
    return {
        "post_id": post_id,
        "report_id": report_id,
        "status": Status.PENDING,
        "priority": priority,
        "suspicion_flags": flags,
        "links": {"report": f"/api/v1/reports/{report_id}"},
    }


# Which of some posts have a tracked link (production: tracking.counts.has_tracked_link).
LinkFn = Callable[[Session, Collection[int]], set[int]]


def _new_report(
    uow: UnitOfWork, post_id: int, affiliate_id: int, claim: Claim,
    previous: dict[str, int] | None, duplicate: bool, request_id: str | None,
    sources: Sources, linked: bool,
) -> tuple[int, str, list[dict]]:
    """Insert the report and its PENDING log; dispatch its first attempt after commit.
    `linked`: whether the post has a tracked link (the metrics no source measures for it
    are flagged when claimed)."""
    flags = suspicion_flags(
        claim.as_metrics(), evidence=claim.evidence, previous=previous,
        duplicate_claim=duplicate, rules=active_rules().quality,
        unverifiable=unverifiable(metric_sources(sources, linked)),
    )
    priority = priority_for(flags)
    flag_dicts = [f.to_dict() for f in flags]
    conn = uow.session.connection()
    now = datetime.now(UTC)
    report_id = int(conn.execute(sql.INSERT_REPORT, {
        "post_id": post_id, "affiliate_id": affiliate_id, "claimed_views": claim.views,
        "claimed_clicks": claim.clicks, "claimed_conversions": claim.conversions,
        "evidence": claim.evidence, "suspicion_flags": flag_dicts, "priority": priority,
        "request_id": request_id, "submitted_at": now,
    }).scalar_one())
    # The job is noted as sent with the row: it is sent right after the commit, and if that
    # fails the sweep finds it missing from the queue (docs/reliability.md, the sweep).
    conn.execute(sql.INSERT_LOG, {"report_id": report_id, "status": Status.PENDING,
                                  "dispatched_at": now, "job_priority": priority,
                                  "job_trigger": "submission", "failures": 0})
    job = NextAttempt(report_id, 1, priority, "submission", request_id=request_id)
    uow.after_commit(lambda: send_attempts([job]))
    return report_id, priority, flag_dicts


def _check_campaign(session: Session, principal: Principal, campaign_id: int,
                    platform: str) -> Sources:
    """The campaign must be visible to the caller, taking claims today and open to the
    platform, and the platform enabled: one query answers all of it. A new post and new
    metrics for an existing post pass the same checks. Return the campaign's sources."""
    row = session.connection().execute(
        sql.CAMPAIGN_FOR_SUBMISSION, {"campaign_id": campaign_id, "platform": platform}
    ).first()
    if row is None or not may_see_client(principal, row.client_id):
        raise NotFound("no such campaign")
    closed = closed_reason(row.status, row.start_date, row.end_date, datetime.now(UTC).date())
    if closed is not None:
        raise CampaignInactive(f"campaign {campaign_id} takes no claims: it {closed}")
    _refuse_platform(campaign_id, platform, row.allowed is not None, row.is_active)
    return Sources(row.clicks_source, row.conversions_source)


def _refuse_platform(campaign_id: int, platform: str, allowed: bool,
                     active: bool | None) -> None:
    if not allowed:
        raise CampaignPlatformMismatch(f"campaign {campaign_id} does not allow {platform}")
    if active is not None and not active:
        raise PlatformDisabled(f"{platform} is disabled by an operator; submit again later")


def _holders(session: Session, affiliate_id: int, campaign_id: int, platform: str,
             normalised_url: str) -> tuple[int | None, bool]:
    """Return (the caller's own post for this URL in this campaign and platform, whether
    another affiliate holds the URL), in one query."""
    mine, others = session.connection().execute(sql.URL_HOLDERS, {
        "affiliate_id": affiliate_id, "campaign_id": campaign_id, "platform": platform,
        "normalized_url": normalised_url,
    }).one()
    return mine, bool(others)


def submit(
    principal: Principal, *, campaign_id: int, platform: str, url: str, claim: Claim,
    title: str | None = None, request_id: str | None = None, link_code: str | None = None,
) -> dict[str, Any]:
    """Store a new post and its first report; reconciliation is dispatched after commit.

    `link_code` names the affiliate's tracked link that the post carries; it is attached
    before the report is made, so the `unverifiable_claim` check sees the link. A new post
    has a tracked link exactly when it is given one here (no link can name a post that did
    not exist), so that check costs no query.
    """
    check_intake()
    try:
        normalised = normalise(platform, url)
    except InvalidPostUrl as exc:
        raise ValidationFailed([{"field": "url", "message": str(exc)}]) from exc
    with unit_of_work() as uow:
        s = uow.session
        sources = _check_campaign(s, principal, campaign_id, platform)
        # Two affiliates claiming one URL at once must see each other (R6): the holders
        # check and the insert run one claim of a URL at a time.
        serialise_on(s, "claim:" + normalised.canonical_url)
        mine, duplicate = _holders(s, principal.user_id, campaign_id, platform,
                                   normalised.canonical_url)
        if mine is not None:
            raise DuplicateSubmission(
                f"post {mine} already holds this URL; update it with PUT "
                f"/api/v1/submissions/{mine}/metrics", post_id=mine,
            )
        try:
            post_id = int(s.connection().execute(sql.INSERT_POST, {
                "affiliate_id": principal.user_id, "campaign_id": campaign_id,
                "platform": platform, "url": url, "normalized_url": normalised.canonical_url,
                "platform_post_id": normalised.post_id, "title": title,
            }).scalar_one())
        except IntegrityError as exc:  # a concurrent twin won the race
            raise DuplicateSubmission("this post was just submitted") from exc
        if link_code is not None:
            attach(s, principal.user_id, link_code, post_id, campaign_id)
        report_id, priority, flags = _new_report(uow, post_id, principal.user_id, claim, None,
                                                 duplicate, request_id, sources,
                                                 linked=link_code is not None)
        if duplicate:
            raise_alert(
                s, duplicate_claim_alert(normalised.canonical_url),
                report_id=report_id, affiliate_id=principal.user_id, platform=platform,
            )
        return _accepted(post_id, report_id, priority, flags)


def update_metrics(
    principal: Principal, post_id: int, claim: Claim, request_id: str | None = None, *,
    has_link: LinkFn,
) -> dict[str, Any]:
    """Record a new report for an existing post (reports are immutable). `has_link` tells
    which posts have a tracked link (production: the tracking package's has_tracked_link,
    passed in by the caller: intake sits below tracking in the layers)."""
    check_intake()
    with unit_of_work() as uow:
        s = uow.session
        post = owned_post(s, principal, post_id)
        sources = _check_campaign(s, principal, post.campaign_id, post.platform)
        last = s.scalars(
            select(Report).where(Report.post_id == post_id).order_by(Report.id.desc()).limit(1)
        ).first()
        previous = (
            {"views": last.claimed_views, "clicks": last.claimed_clicks,
             "conversions": last.claimed_conversions} if last else None
        )
        linked = post.id in has_link(s, [post.id])
        report_id, priority, flags = _new_report(uow, post.id, post.affiliate_id, claim,
                                                 previous, False, request_id, sources, linked)
        return _accepted(post.id, report_id, priority, flags)
