"""Clients and users."""

from __future__ import annotations

from flask import Blueprint, jsonify

from api.auth import current, require
from api.body import parse
from api.schemas import ClientIn, UserIn, UserPatch
from reconcile.services import accounts

bp = Blueprint("accounts", __name__)


@bp.post("/clients")
@require("ADMIN")
def create_client():
    body = parse(ClientIn)
    return jsonify(accounts.create_client(body.name)), 201


@bp.get("/clients")
@require("ADMIN", "ANALYST")
def list_clients():
    return jsonify({"items": accounts.list_clients(), "next_cursor": None})


@bp.post("/users")
@require("ADMIN")
def create_user():
    body = parse(UserIn)
    return jsonify(accounts.create_user(body.role, body.name, body.email, body.client_id)), 201


@bp.post("/users/<int:user_id>/api-key")
@require()
def rotate_key(user_id: int):
    return jsonify(accounts.rotate_api_key(current(), user_id)), 201


@bp.patch("/users/<int:user_id>")
@require("ADMIN")
def patch_user(user_id: int):
    body = parse(UserPatch)
    return jsonify(accounts.set_user_active(user_id, body.is_active))
