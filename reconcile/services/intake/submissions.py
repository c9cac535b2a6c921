"""Submit a post's claimed metrics, or update them: store, flag, dispatch after commit."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Row, select
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


def _flags(claim: Claim, previous: dict[str, int] | None, duplicate: bool, sources: Sources,
           linked: bool) -> tuple[str, list[dict]]:
    """The report's suspicion flags and the priority they give its job. `linked`: whether
    the post has a tracked link (a claim on a metric no source measures is flagged)."""
    flags = suspicion_flags(
        claim.as_metrics(), evidence=claim.evidence, previous=previous,
        duplicate_claim=duplicate, rules=active_rules().quality,
        unverifiable=unverifiable(metric_sources(sources, linked)),
    )
    return priority_for(flags), [f.to_dict() for f in flags]


def _report_rows(affiliate_id: int, claim: Claim, priority: str, flags: list[dict],
                 request_id: str | None, now: datetime) -> tuple[dict[str, Any], dict[str, Any]]:
    """The report's columns and its PENDING log's (report_id aside)."""
    report = {
        "affiliate_id": affiliate_id, "claimed_views": claim.views,
        "claimed_clicks": claim.clicks, "claimed_conversions": claim.conversions,
        "evidence": claim.evidence, "suspicion_flags": flags, "priority": priority,
        "request_id": request_id, "submitted_at": now,
    }
    # The job is noted as sent with the rows (dispatched_at): it is sent right after the
    # commit, and if that fails the sweep finds it missing from the queue
    # (docs/reliability.md, the sweep).
    log = {"status": Status.PENDING, "dispatched_at": now, "updated_at": now,
           "job_priority": priority, "job_trigger": "submission", "failures": 0}
    return report, log


def _insert_report(conn: Connection, post_id: int,
                   rows: tuple[dict[str, Any], dict[str, Any]]) -> int:
    """Insert the report and its PENDING log (two statements); return the report's id."""
    report, log = rows
    report_id = int(conn.execute(sql.INSERT_REPORT, {**report, "post_id": post_id}).scalar_one())
    conn.execute(sql.INSERT_LOG, {**log, "report_id": report_id})
    return report_id


def _dispatch_after_commit(uow: UnitOfWork, report_id: int, priority: str,
                           request_id: str | None) -> None:
    job = NextAttempt(report_id, 1, priority, "submission", request_id=request_id)
    uow.after_commit(lambda: send_attempts([job]))


def _sources(principal: Principal, row: Row | None, campaign_id: int,
             platform: str) -> Sources:
    """The campaign must be visible to the caller, taking claims today and open to the
    platform, and the platform enabled (`row`: CAMPAIGN_FOR_SUBMISSION's, None when there
    is no such campaign). A new post and new metrics for an existing post pass the same
    checks. Return the campaign's sources."""
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


def submit(
    principal: Principal, *, campaign_id: int, platform: str, url: str, claim: Claim,
    title: str | None = None, request_id: str | None = None, link_code: str | None = None,
    intake: Sequence[Any] | None = None,
) -> dict[str, Any]:
    """Store a new post and its first report; reconciliation is dispatched after commit.

    `link_code` names the affiliate's tracked link that the post carries; it is attached
    in the same transaction, and the `unverifiable_claim` check counts it. A new post has a
    tracked link exactly when it is given one here (no link can name a post that did not
    exist), so that check costs no query.

    `intake`: the intake check's reads, already answered (control.intake_reads; the API
    reads them with the request's rate limit), or None to read them here.

    Round trips on PostgreSQL: the URL's advisory lock; the campaign's checks with the URL's
    holders; the post, report and log in one statement; the commit (and the link, if any).
    """
    check_intake(intake)
    try:
        normalised = normalise(platform, url)
    except InvalidPostUrl as exc:
        raise ValidationFailed([{"field": "url", "message": str(exc)}]) from exc
    with unit_of_work() as uow:
        s = uow.session
        # Two affiliates claiming one URL at once must see each other (R6): the holders
        # check and the insert run one claim of a URL at a time.
        serialise_on(s, "claim:" + normalised.canonical_url)
        conn = s.connection()
        row = conn.execute(sql.CAMPAIGN_AND_HOLDERS, {
            "campaign_id": campaign_id, "platform": platform,
            "affiliate_id": principal.user_id, "normalized_url": normalised.canonical_url,
        }).first()
        sources = _sources(principal, row, campaign_id, platform)
        assert row is not None  # _sources refused a missing campaign
        if row.mine is not None:
            raise DuplicateSubmission(
                f"post {row.mine} already holds this URL; update it with PUT "
                f"/api/v1/submissions/{row.mine}/metrics", post_id=row.mine,
            )
        duplicate = bool(row.others)
        priority, flags = _flags(claim, None, duplicate, sources, linked=link_code is not None)
        post = {"affiliate_id": principal.user_id, "campaign_id": campaign_id,
                "platform": platform, "url": url, "normalized_url": normalised.canonical_url,
                "platform_post_id": normalised.post_id, "title": title}
        now = datetime.now(UTC)
        rows = _report_rows(principal.user_id, claim, priority, flags, request_id, now)
        try:
            if conn.dialect.name == "postgresql":
                post_id, report_id = conn.execute(sql.INSERT_POST_REPORT_LOG, {
                    **post, **rows[0], **rows[1], "now": now, "empty_list": [],
                    "empty_dict": {},
                }).one()
            else:
                post_id = int(conn.execute(sql.INSERT_POST,
                                           {**post, "created_at": now}).scalar_one())
                report_id = _insert_report(conn, post_id, rows)
        except IntegrityError as exc:  # a concurrent twin won the race
            raise DuplicateSubmission("this post was just submitted") from exc
        if link_code is not None:
            attach(s, principal.user_id, link_code, post_id, campaign_id)
        _dispatch_after_commit(uow, report_id, priority, request_id)
        if duplicate:
            raise_alert(
                s, duplicate_claim_alert(normalised.canonical_url),
                report_id=report_id, affiliate_id=principal.user_id, platform=platform,
            )
        return _accepted(post_id, report_id, priority, flags)


def update_metrics(
    principal: Principal, post_id: int, claim: Claim, request_id: str | None = None, *,
    has_link: LinkFn, intake: Sequence[Any] | None = None,
) -> dict[str, Any]:
    """Record a new report for an existing post (reports are immutable). `has_link` tells
    which posts have a tracked link (production: the tracking package's has_tracked_link,
    passed in by the caller: intake sits below tracking in the layers). `intake`: as for
    submit."""
    check_intake(intake)
    with unit_of_work() as uow:
        s = uow.session
        post = owned_post(s, principal, post_id)
        sources = _sources(principal, s.connection().execute(
            sql.CAMPAIGN_FOR_SUBMISSION, {"campaign_id": post.campaign_id,
                                          "platform": post.platform}).first(),
            post.campaign_id, post.platform)
        last = s.scalars(
            select(Report).where(Report.post_id == post_id).order_by(Report.id.desc()).limit(1)
        ).first()
        previous = (
            {"views": last.claimed_views, "clicks": last.claimed_clicks,
             "conversions": last.claimed_conversions} if last else None
        )
        priority, flags = _flags(claim, previous, False, sources,
                                 linked=post.id in has_link(s, [post.id]))
        report_id = _insert_report(s.connection(), post.id, _report_rows(
            post.affiliate_id, claim, priority, flags, request_id, datetime.now(UTC)))
        _dispatch_after_commit(uow, report_id, priority, request_id)
        return _accepted(post.id, report_id, priority, flags)
