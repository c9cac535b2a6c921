"""The audit trail: who did what, when, with the before and after."""

from __future__ import annotations

from flask import Blueprint, jsonify

from api.auth import require
from api.lists import decode_cursor, page
from api.openapi import document
from api.params import AuditQuery, parse_query
from api.responses import AuditEventOut, page_of
from reconcile.services import audit
from reconcile.vocabulary import Role

bp = Blueprint("audit", __name__)


@bp.get("/audit")
@document("The audit trail of operator and system actions, newest first", query=AuditQuery,
          response=page_of(AuditEventOut),
          description="actor: a user id (or user:<id>), cli or system; action: e.g. "
                      "user.created, api_key.rotated, alert.resolved, intake.paused, "
                      "platform.disabled, reconciliation.rerun, export.written; since: "
                      "events at or after this time.")
@require(Role.ADMIN, Role.ANALYST)
def list_audit():
    q = parse_query(AuditQuery)
    rows = audit.list_events(actor=q.actor, action=q.action, since=q.since,
                             after=decode_cursor(q.cursor), limit=q.limit + 1)
    return jsonify(page(rows, q.limit, "id"))
