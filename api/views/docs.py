"""The OpenAPI document and the docs page that renders it (assets served from here)."""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, jsonify
from flask_swagger_ui import get_swaggerui_blueprint

from api.openapi import build_spec

bp = Blueprint("docs", __name__)
DOCS = "/api/v1/docs"


@bp.get("/openapi.json")
def openapi():
    spec = current_app.extensions.get("reconcile_openapi")
    if spec is None:  # built once, after every blueprint is registered
        spec = current_app.extensions["reconcile_openapi"] = build_spec(current_app)
    return jsonify(spec)


@bp.get("/docs")
def docs():
    return current_app.view_functions["swagger_ui.show"]()


def register(app: Flask) -> None:
    app.register_blueprint(bp, url_prefix="/api/v1")
    app.register_blueprint(get_swaggerui_blueprint(
        DOCS, "/api/v1/openapi.json",
        config={"app_name": "reconcile API", "persistAuthorization": True},
        blueprint_name="swagger_ui",
    ))
