"""Re-runs and reconciliation results."""

from __future__ import annotations

from flask import Blueprint, g, jsonify

from api.auth import current, require
from api.body import parse
from api.lists import decode_cursor, page
from api.openapi import document
from api.params import ResultsQuery, parse_query
from api.responses import RerunOut, ResultsPage
from api.schemas import RerunIn
from reconcile.services.reads import queries
from reconcile.services.reconciliation.rerun import rerun
from reconcile.vocabulary import Role

bp = Blueprint("reconciliation", __name__)


@bp.post("/reconciliation/run")
@document("Re-run reconciliation at high priority", body=RerunIn, response=RerunOut,
          status=202,
          description="Exactly one of report_ids, post_id, campaign_id, platform. A post, "
                      "campaign or platform means the latest report of each post. Without "
                      "force, reports already terminal are skipped (listed in `skipped`).")
@require(Role.ADMIN, Role.CLIENT, rate="reruns")
def run():
    body = parse(RerunIn)
    sent = rerun(current(), report_ids=body.report_ids, post_id=body.post_id,
                 campaign_id=body.campaign_id, platform=body.platform, force=body.force,
                 request_id=g.request_id)
    return jsonify(sent), 202


@bp.get("/reconciliation/results")
@document("Reconciliation results, newest first, with counts by status", query=ResultsQuery,
          response=ResultsPage,
          description="since/until filter on the report's submitted_at (until exclusive); "
                      "summary.by_status counts every match, not only this page.")
@require(Role.ADMIN, Role.ANALYST, Role.CLIENT)
def results():
    q = parse_query(ResultsQuery)
    found = queries.list_results(
        current(), after=decode_cursor(q.cursor), limit=q.limit + 1, status=q.status,
        discrepancy_level=q.discrepancy_level, affiliate_id=q.affiliate_id,
        platform=q.platform, campaign_id=q.campaign_id, since=q.since, until=q.until,
    )
    return jsonify(page(found["items"], q.limit, "report_id", summary=found["summary"]))
