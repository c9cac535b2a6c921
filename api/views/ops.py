"""Operations: what the pool shares about the platforms."""

from __future__ import annotations

from flask import Blueprint, jsonify

from api.auth import require
from reconcile.services import platform_ops

bp = Blueprint("ops", __name__)


@bp.get("/ops/breakers")
@require("ADMIN", "ANALYST")
def breakers():
    return jsonify(platform_ops.breaker_states())
