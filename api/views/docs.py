"""The OpenAPI document and the docs page that renders it (assets served from here).

The page is ours, not the swagger-ui package's template: that template configures Swagger UI
in an inline script, which a Content-Security-Policy without 'unsafe-inline' would block, and
it kept the API key the reader typed in localStorage (persistAuthorization), where any script
on this origin, the dashboard's included, could read it long after the tab closed. Here the
configuration is a script file of our own, the key lives only in the page's memory, and the
policy lets the page run nothing but scripts from this origin.
"""

from __future__ import annotations

from pathlib import Path

import flask_swagger_ui
from flask import Blueprint, Flask, Response, abort, current_app, jsonify, send_from_directory

from api.openapi import build_spec

bp = Blueprint("docs", __name__)
DOCS = "/api/v1/docs"
SWAGGER_DIST = Path(flask_swagger_ui.__file__).resolve().parent / "dist"
ASSETS = frozenset({"swagger-ui-bundle.js", "swagger-ui.css", "index.css",
                    "favicon-32x32.png", "favicon-16x16.png"})
# Swagger UI sets style attributes at run time and draws its icons from data: URIs.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; "
       "base-uri 'none'; frame-ancestors 'none'; form-action 'none'")
SECURITY_HEADERS = {"Content-Security-Policy": CSP, "X-Frame-Options": "DENY",
                    "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"}

PAGE = f"""<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="UTF-8">
  <title>reconcile API</title>
  <link rel="stylesheet" type="text/css" href="{DOCS}/index.css">
  <link rel="stylesheet" type="text/css" href="{DOCS}/swagger-ui.css">
  <link rel="icon" type="image/png" href="{DOCS}/favicon-32x32.png" sizes="32x32">
  <link rel="icon" type="image/png" href="{DOCS}/favicon-16x16.png" sizes="16x16">
</head>
<body>
  <div id="swagger-ui" data-url="/api/v1/openapi.json"></div>
  <script src="{DOCS}/swagger-ui-bundle.js"></script>
  <script src="{DOCS}/docs.js"></script>
</body>
</html>
"""

# persistAuthorization false: the key typed into "Authorize" is never written to storage.
# BaseLayout: no top bar, so the page renders only our own document (no URL to type in).
INIT = """window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: document.getElementById("swagger-ui").dataset.url,
    dom_id: "#swagger-ui",
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    deepLinking: true,
    persistAuthorization: false,
    validatorUrl: null
  });
});
"""


def _secured(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response


@bp.get("/openapi.json")
def openapi():
    spec = current_app.extensions.get("reconcile_openapi")
    if spec is None:  # built once, after every blueprint is registered
        spec = current_app.extensions["reconcile_openapi"] = build_spec(current_app)
    return jsonify(spec)


@bp.get("/docs")
def docs() -> Response:
    return _secured(Response(PAGE, mimetype="text/html"))


@bp.get("/docs/docs.js")
def docs_script() -> Response:
    return _secured(Response(INIT, mimetype="text/javascript"))


@bp.get("/docs/<asset>")
def docs_asset(asset: str) -> Response:
    if asset not in ASSETS:
        abort(404)
    return _secured(send_from_directory(SWAGGER_DIST, asset, max_age=86400))


def register(app: Flask) -> None:
    app.register_blueprint(bp, url_prefix="/api/v1")
