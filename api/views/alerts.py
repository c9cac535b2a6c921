"""Alerts: list, read, resolve, statistics."""

from __future__ import annotations

from flask import Blueprint, g, jsonify

from api.auth import current, require
from api.body import parse
from api.lists import decode_cursor, page
from api.openapi import document
from api.params import AlertsQuery, parse_query
from api.responses import AlertOut, AlertStats, page_of
from api.schemas import ResolveIn
from reconcile.services.alerts import manage as alerts_admin
from reconcile.vocabulary import Role

bp = Blueprint("alerts", __name__)


@bp.get("/alerts")
@document("List alerts, newest first", query=AlertsQuery, response=page_of(AlertOut),
          description="A client sees alerts on its campaigns' reports; an affiliate, the "
                      "alerts about itself.")
@require()
def list_alerts():
    q = parse_query(AlertsQuery)
    rows = alerts_admin.list_alerts(
        current(), after=decode_cursor(q.cursor), limit=q.limit + 1, status=q.status,
        type=q.type, severity=q.severity, affiliate_id=q.affiliate_id, platform=q.platform,
    )
    return jsonify(page(rows, q.limit, "id"))


@bp.get("/alerts/stats")
@document("Alert counts by status, type and severity, and over the last 24 hours",
          response=AlertStats)
@require(Role.ADMIN, Role.ANALYST)
def stats():
    return jsonify(alerts_admin.alert_stats())


@bp.get("/alerts/<int:alert_id>")
@document("An alert", response=AlertOut)
@require()
def get_alert(alert_id: int):
    return jsonify(alerts_admin.get_alert(current(), alert_id))


@bp.post("/alerts/<int:alert_id>/resolve")
@document("Resolve an open alert", body=ResolveIn, response=AlertOut,
          description="Resolving an alert already resolved → 409 ALERT_ALREADY_RESOLVED.")
@require(Role.ADMIN, Role.CLIENT)
def resolve(alert_id: int):
    body = parse(ResolveIn)
    return jsonify(alerts_admin.resolve_alert(current(), alert_id, body.note, g.request_id))
