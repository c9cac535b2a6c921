"""Operations: queue depths and the intake switch."""

from __future__ import annotations

from flask import Blueprint, jsonify
from pydantic import StrictBool

from api.auth import actor, require
from api.body import parse
from api.openapi import document
from api.schemas import Strict
from reconcile.services.intake import control as intake
from reconcile.services.reads.queues import queues_snapshot
from reconcile.vocabulary import Role

bp = Blueprint("queues", __name__)


class IntakeIn(Strict):
    paused: StrictBool


@bp.get("/ops/queues")
@require(Role.ADMIN, Role.ANALYST)
def get_queues():
    return jsonify(queues_snapshot())


@bp.post("/ops/intake")
@document("Pause or resume submissions (paused: 503 INTAKE_PAUSED)", body=IntakeIn)
@require(Role.ADMIN)
def set_intake():
    body = parse(IntakeIn)
    return jsonify(intake.set_paused(body.paused, actor()))
