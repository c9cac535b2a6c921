"""The HTTP API: a Flask app factory with one blueprint per resource."""

from __future__ import annotations

import sys
import time
import uuid
from typing import Any

from flask import Flask, g, request

from api import lifecycle, problems, ratelimit
from api.body import MAX_BODY
from api.fast_redirect import FastRedirect
from api.params import BoundedIntegerConverter, PrintableConverter


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the API application."""
    from api.views import (
        accounts,
        campaigns,
        earnings,
        handles,
        health,
        links,
        metrics,
        ops,
        postbacks,
        queues,
        redirect,
        submissions,
    )
    from reconcile.config import ConfigError, check_urls
    from reconcile.logs import configure_logging

    try:
        check_urls()
    except ConfigError as exc:  # gunicorn started by hand or by compose: one line, no traceback
        print(f"reconcile: {exc}", file=sys.stderr)
        # 3 is gunicorn's "worker failed to boot": it stops, instead of rebooting for ever.
        raise SystemExit(3) from None
    configure_logging()
    app = Flask(__name__)
    app.url_map.converters["int"] = BoundedIntegerConverter
    app.url_map.converters["default"] = app.url_map.converters["string"] = PrintableConverter
    # Slightly above the 64 KiB limit so the view, not werkzeug, words the refusal.
    app.config.update(MAX_CONTENT_LENGTH=MAX_BODY + 1024)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    if test_config:
        app.config.update(test_config)
    problems.register(app)
    for bp in (accounts.bp, campaigns.bp, submissions.bp, queues.bp, ops.bp, links.bp,
               postbacks.bp, earnings.bp, handles.bp):
        app.register_blueprint(bp, url_prefix="/api/v1")
    _register_reads_and_docs(app)
    app.register_blueprint(health.bp)
    app.register_blueprint(metrics.bp)  # GET /metrics, outside /api/v1
    app.register_blueprint(redirect.bp)  # GET /r/<code>, outside /api/v1: the tracked links
    _request_lifecycle(app)
    ratelimit.register(app)
    app.wsgi_app = FastRedirect(app.wsgi_app)  # type: ignore[method-assign]
    return app


def _register_reads_and_docs(app: Flask) -> None:
    from api.dashboard import page as dashboard_page
    from api.views import alerts, audit, dashboard, docs, reconciliation

    for bp in (alerts.bp, reconciliation.bp, dashboard.bp, audit.bp):
        app.register_blueprint(bp, url_prefix="/api/v1")
    app.register_blueprint(dashboard_page)  # GET /dashboard, outside /api/v1
    docs.register(app)  # the OpenAPI document lists every /api/v1 route registered


def _request_lifecycle(app: Flask) -> None:
    @app.before_request
    def _start() -> None:
        g.request_id = lifecycle.request_id_of(request.headers.get("X-Request-ID"))
        g.started = time.perf_counter()
        g.traceparent = lifecycle.adopt_trace(request.headers.get("traceparent"))
        lifecycle.started(g.request_id, request.path, request.method)

    @app.after_request
    def _finish(response):
        request_id = getattr(g, "request_id", None) or uuid.uuid4().hex
        response.headers["X-Request-ID"] = request_id
        response.headers["traceparent"] = (getattr(g, "traceparent", None)
                                           or lifecycle.adopt_trace(None))
        elapsed = time.perf_counter() - getattr(g, "started", time.perf_counter())
        lifecycle.finished(request_id, request.path, request.method, response.status_code,
                           elapsed)
        return response
