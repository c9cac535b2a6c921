"""Prometheus metrics of the whole pool (`GET /metrics`): no API key, since scrapers sit
inside; a bearer token when METRICS_TOKEN is set."""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, request

from api.auth import bearer_key
from api.problems import problem
from reconcile.broker import queue_depths
from reconcile.config import metrics_token
from reconcile.errors import ServiceUnavailable
from reconcile.observability.exposition import Gauges, render
from reconcile.observability.workers import idle_ratio
from reconcile.services.admin.platform_ops import breaker_state
from reconcile.services.admin.tallies import unfolded_tallies
from reconcile.services.reads.dashboard import trust_buckets

bp = Blueprint("metrics", __name__)
GAUGES = Gauges(queue_depths=queue_depths, idle_ratio=idle_ratio,
                trust_buckets=lambda: trust_buckets()["buckets"], breaker_state=breaker_state,
                tallies_unfolded=unfolded_tallies)


@bp.get("/metrics")
def metrics() -> Response:
    token = metrics_token()
    # compare_digest: the time taken must not tell how much of a guess was right.
    if token and not hmac.compare_digest((bearer_key() or "").encode(), token.encode()):
        return problem(401, "AUTHENTICATION_REQUIRED", "a valid METRICS_TOKEN is required",
                       {"WWW-Authenticate": 'Bearer realm="metrics"'})
    try:
        body, content_type = render(GAUGES, request.headers.get("Accept", ""))
    except Exception as exc:  # Redis holds the counters: without it there is nothing to show
        raise ServiceUnavailable("metrics store unavailable", retry_after=5) from exc
    return Response(body, mimetype=None, content_type=content_type)
