"""Submissions and reports."""

from __future__ import annotations

from flask import Blueprint, g, jsonify

from api.auth import current, require
from api.body import parse
from api.schemas import MetricsIn, SubmissionIn
from reconcile.services import reports, submissions
from reconcile.services.submissions import Claim

bp = Blueprint("submissions", __name__)


def _claim(body: MetricsIn) -> Claim:
    return Claim(views=body.claimed_views, clicks=body.claimed_clicks,
                 conversions=body.claimed_conversions, evidence=body.evidence)


@bp.post("/submissions")
@require("AFFILIATE")
def submit():
    body = parse(SubmissionIn)
    accepted = submissions.submit(
        current(), campaign_id=body.campaign_id, platform=body.platform, url=body.url,
        claim=_claim(body), title=body.title, request_id=g.request_id,
    )
    return jsonify(accepted), 202


@bp.put("/submissions/<int:post_id>/metrics")
@require("AFFILIATE")
def update_metrics(post_id: int):
    body = parse(MetricsIn)
    accepted = submissions.update_metrics(current(), post_id, _claim(body), g.request_id)
    return jsonify(accepted), 202


@bp.get("/reports/<int:report_id>")
@require()
def get_report(report_id: int):
    return jsonify(reports.get_report(current(), report_id))


@bp.get("/affiliates/<int:affiliate_id>/trust")
@require("ADMIN", "ANALYST", "AFFILIATE")
def get_trust(affiliate_id: int):
    from reconcile.services.trust import get_trust as read_trust

    return jsonify(read_trust(current(), affiliate_id))
