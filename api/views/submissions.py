"""Submissions (structured and chat-style), reports and trust."""

from __future__ import annotations

from flask import Blueprint, g, jsonify

from api.auth import current, require
from api.body import parse, validate
from api.idempotency import IDEMPOTENCY_KEY, idempotent
from api.lists import decode_cursor, page
from api.openapi import document
from api.params import SubmissionsQuery, parse_query
from api.responses import Accepted, MessageAccepted, ReportOut, SubmissionItem, TrustOut, page_of
from api.schemas import MessageIn, MetricsIn, SubmissionIn
from reconcile.chat import MessageNotUnderstood, parse_message
from reconcile.errors import ValidationFailed
from reconcile.observability import events as observe
from reconcile.services.intake import submissions
from reconcile.services.intake.submissions import Claim
from reconcile.services.reads import queries, reports
from reconcile.services.tracking.counts import has_tracked_link
from reconcile.vocabulary import Role

bp = Blueprint("submissions", __name__)


def _claim(body: MetricsIn) -> Claim:
    return Claim(views=body.claimed_views, clicks=body.claimed_clicks,
                 conversions=body.claimed_conversions, evidence=body.evidence)


def _submit(body: SubmissionIn) -> dict:
    accepted = submissions.submit(
        current(), campaign_id=body.campaign_id, platform=body.platform, url=body.url,
        claim=_claim(body), title=body.title,
        request_id=g.request_id, link_code=body.link_code, intake=g.get("intake_answers"),
    )
    observe.submitted(g.started, request_id=g.request_id, platform=body.platform)
    return accepted


@bp.post("/submissions")
@document("Submit a post's claimed metrics", body=SubmissionIn, response=Accepted, status=202,
          description="Honours an Idempotency-Key header: a replay returns the first answer.",
          headers=[IDEMPOTENCY_KEY])
@require(Role.AFFILIATE, rate="submissions")
def submit():
    body = parse(SubmissionIn)
    return idempotent(body, lambda: (_submit(body), 202))


@bp.post("/submissions/message")
@document("Submit in chat style: a post link and the counts in free text", body=MessageIn,
          response=MessageAccepted, status=202,
          description="The platform comes from the link's host; the same checks as "
                      "POST /submissions apply. 422 names what the text lacks.",
          headers=[IDEMPOTENCY_KEY])
@require(Role.AFFILIATE, rate="submissions")
def submit_message():
    body = parse(MessageIn)
    try:
        said = parse_message(body.text)
    except MessageNotUnderstood as exc:
        raise ValidationFailed([{"field": f"text.{k}", "message": v}
                                for k, v in exc.problems.items()]) from exc
    structured = validate(SubmissionIn, {
        "campaign_id": body.campaign_id, "platform": said.platform, "url": said.url,
        "claimed_views": said.views, "claimed_clicks": said.clicks,
        "claimed_conversions": said.conversions,
    })
    understood = structured.model_dump(exclude={"campaign_id", "evidence", "title",
                                                       "link_code"})
    return idempotent(body, lambda: ({**_submit(structured), "understood": understood}, 202))


@bp.get("/submissions")
@document("List submitted posts with their latest report", query=SubmissionsQuery,
          response=page_of(SubmissionItem))
@require()
def list_submissions():
    q = parse_query(SubmissionsQuery)
    rows = queries.list_submissions(
        current(), campaign_id=q.campaign_id, platform=q.platform, status=q.status,
        after=decode_cursor(q.cursor), limit=q.limit + 1,
    )
    return jsonify(page(rows, q.limit, "post_id"))


@bp.put("/submissions/<int:post_id>/metrics")
@document("Claim new metrics for your post (a new report)", body=MetricsIn, response=Accepted,
          status=202)
@require(Role.AFFILIATE, rate="submissions")
def update_metrics(post_id: int):
    body = parse(MetricsIn)
    accepted = submissions.update_metrics(current(), post_id, _claim(body), g.request_id,
                                          has_link=has_tracked_link,
                                          intake=g.get("intake_answers"))
    return jsonify(accepted), 202


@bp.get("/reports/<int:report_id>")
@document("A report with its reconciliation, snapshots and alerts", response=ReportOut)
@require()
def get_report(report_id: int):
    return jsonify(reports.get_report(current(), report_id))


@bp.get("/affiliates/<int:affiliate_id>/trust")
@document("An affiliate's trust score, bucket and ledger", response=TrustOut,
          description="An affiliate sees itself; a client, the affiliates who posted in its "
                      "campaigns, with only its campaigns' ledger rows; any other → 404.")
@require(Role.ADMIN, Role.ANALYST, Role.AFFILIATE, Role.CLIENT)
def get_trust(affiliate_id: int):
    from reconcile.services.reads.trust import get_trust as read_trust

    return jsonify(read_trust(current(), affiliate_id))
