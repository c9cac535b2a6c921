"""Operations: what the pool shares about the platforms."""

from __future__ import annotations

from flask import Blueprint, jsonify

from api.auth import require
from api.openapi import document
from reconcile.services.admin import platform_ops
from reconcile.services.reads import slo
from reconcile.vocabulary import Role

bp = Blueprint("ops", __name__)


@bp.get("/ops/breakers")
@require(Role.ADMIN, Role.ANALYST)
def breakers():
    return jsonify(platform_ops.breaker_states())


@bp.get("/ops/slo")
@document("The runbook's SLO signals, each {value, target, ok}",
          description="Median submission latency and p95 attempt time and time to first "
                      "reconciliation over the last hour; ready queue depth now; "
                      "missing-terminal ratio over 24 h. No samples: value null, ok true.")
@require(Role.ADMIN, Role.ANALYST)
def slo_signals():
    return jsonify(slo.slo_report())
