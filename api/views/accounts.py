"""Clients and users."""

from __future__ import annotations

from flask import Blueprint, g, jsonify

from api.auth import actor, current, require
from api.body import parse
from api.lists import decode_cursor, page
from api.openapi import document
from api.params import ListQuery, parse_query
from api.responses import ApiKeyOut, ClientOut, UserCreated, UserOut, page_of
from api.schemas import ClientIn, UserIn, UserPatch
from reconcile.services.admin import accounts
from reconcile.vocabulary import Role

bp = Blueprint("accounts", __name__)


@bp.post("/clients")
@document("Create a client (an advertiser)", body=ClientIn, response=ClientOut, status=201)
@require(Role.ADMIN)
def create_client():
    body = parse(ClientIn)
    return jsonify(accounts.create_client(body.name, actor())), 201


@bp.get("/clients")
@document("List clients", query=ListQuery, response=page_of(ClientOut))
@require(Role.ADMIN, Role.ANALYST)
def list_clients():
    q = parse_query(ListQuery)
    rows = accounts.list_clients(after=decode_cursor(q.cursor), limit=q.limit + 1)
    return jsonify(page(rows, q.limit, "id"))


@bp.post("/users")
@document("Create a user; the answer holds its API key, shown only here", body=UserIn,
          response=UserCreated, status=201)
@require(Role.ADMIN)
def create_user():
    body = parse(UserIn)
    return jsonify(accounts.create_user(body.role, body.name, body.email, body.client_id,
                                       actor())), 201


@bp.post("/users/<int:user_id>/api-key")
@document("Rotate a user's API key (the old one stops working at once)", response=ApiKeyOut,
          status=201, description="An admin, or the user itself.")
@require()
def rotate_key(user_id: int):
    return jsonify(accounts.rotate_api_key(current(), user_id, g.request_id)), 201


@bp.patch("/users/<int:user_id>")
@document("Enable or disable a user (and so every key of it)", body=UserPatch,
          response=UserOut)
@require(Role.ADMIN)
def patch_user(user_id: int):
    body = parse(UserPatch)
    return jsonify(accounts.set_user_active(user_id, body.is_active, actor()))
