"""Affiliates' handles: add one, verify it through the profile bio (truth.md, Handles)."""

from __future__ import annotations

from flask import Blueprint, g, jsonify

from api.auth import current, require
from api.body import parse
from api.openapi import document
from api.responses import HandleList, HandleOut, HandleVerified
from api.schemas import HandleIn, PlatformName
from reconcile.errors import NotFound
from reconcile.services.handles import register
from reconcile.vocabulary import PLATFORMS, Role

bp = Blueprint("handles", __name__)


@bp.post("/affiliates/<int:affiliate_id>/handles")
@document("Name the affiliate's handle on a platform", body=HandleIn, response=HandleOut,
          status=201,
          description="Put verification_code in the profile bio, then verify. Naming "
                      "another handle on the same platform replaces the earlier one.")
@require(Role.AFFILIATE)
def add_handle(affiliate_id: int):
    body = parse(HandleIn)
    view = register.add_handle(current(), affiliate_id, body.platform, body.handle,
                               g.get("request_id"))
    return jsonify(view), 201


@bp.post("/affiliates/<int:affiliate_id>/handles/<platform>/verify")
@document("Verify a handle: the platform's profile bio must carry its code",
          response=HandleVerified,
          description="422 HANDLE_NOT_VERIFIED when the bio lacks the code or the account "
                      "does not exist. A handle another affiliate verified moves to this "
                      "one (the account changed hands); the other's verification ends.")
@require(Role.AFFILIATE)
def verify_handle(affiliate_id: int, platform: str):
    name = _platform(platform)
    return jsonify(register.verify_handle(current(), affiliate_id, name, g.get("request_id")))


@bp.get("/affiliates/<int:affiliate_id>/handles")
@document("An affiliate's handles and whether each is verified", response=HandleList)
@require(Role.AFFILIATE, Role.ADMIN, Role.ANALYST)
def list_handles(affiliate_id: int):
    return jsonify({"items": register.list_handles(current(), affiliate_id)})


def _platform(name: str) -> PlatformName:
    if name not in PLATFORMS:
        raise NotFound(f"no platform {name}")
    return name  # type: ignore[return-value]
