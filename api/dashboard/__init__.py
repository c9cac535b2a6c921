"""The dashboard page (`GET /dashboard`) and its assets: our own JS/CSS, and the charting
library served from the installed `plotly` package (no CDN, no vendored copy).

The page needs no auth: it holds no data. The browser signs in with an API key kept in
sessionStorage and calls the JSON API with it, so the API's role checks decide what shows.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, abort, render_template, send_file

HERE = Path(__file__).resolve().parent
# Strict enough that injected markup cannot run script; the chart library adds <style>
# elements at run time, hence inline styles.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
       "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
       "frame-ancestors 'none'; form-action 'none'")

page = Blueprint("dashboard_page", __name__, template_folder=str(HERE / "templates"),
                 static_folder=str(HERE / "static"), static_url_path="/dashboard/static")


@lru_cache(maxsize=1)
def chart_library() -> Path | None:
    """Where the installed plotly package keeps its browser bundle, if it is installed."""
    spec = importlib.util.find_spec("plotly")
    for root in (spec.submodule_search_locations or []) if spec else []:
        candidate = Path(root) / "package_data" / "plotly.min.js"
        if candidate.is_file():
            return candidate
    return None


@page.get("/dashboard")
def dashboard() -> Response:
    response = Response(render_template("dashboard.html"), mimetype="text/html")
    response.headers.update({
        "Content-Security-Policy": CSP, "X-Frame-Options": "DENY",
        "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    })
    return response


@page.get("/dashboard/vendor/plotly.min.js")
def plotly_js() -> Response:
    path = chart_library()
    if path is None:
        abort(404)  # the page falls back to its tables
    return send_file(path, mimetype="text/javascript", max_age=86400)
