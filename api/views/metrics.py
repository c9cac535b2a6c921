"""Prometheus metrics of the whole pool (`GET /metrics`, no key: scrapers sit inside)."""

from __future__ import annotations

from flask import Blueprint, Response
from prometheus_client import CONTENT_TYPE_LATEST

from reconcile.errors import ServiceUnavailable
from reconcile.observability.exposition import render

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
def metrics() -> Response:
    try:
        body = render()
    except Exception as exc:  # Redis holds the counters: without it there is nothing to show
        raise ServiceUnavailable("metrics store unavailable", retry_after=5) from exc
    return Response(body, mimetype=None, content_type=CONTENT_TYPE_LATEST)
