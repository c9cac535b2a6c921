"""Liveness and readiness."""

from __future__ import annotations

from flask import Blueprint, jsonify

from api.problems import problem
from reconcile.services.reads.health import check_dependencies

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    failing = [name for name, ok in check_dependencies().items() if not ok]
    if failing:
        return problem(503, "SERVICE_UNAVAILABLE", f"not ready: {', '.join(failing)} down",
                       {"Retry-After": "5"}, failing=failing)
    return jsonify({"status": "ready", "database": "ok", "broker": "ok"})
