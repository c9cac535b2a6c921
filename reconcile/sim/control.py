"""The simulator's control routes: set truth and faults, read call counts, reset."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from reconcile.platforms.urls import InvalidPostUrl, normalise
from reconcile.sim.guard import store
from reconcile.sim.store import FAULT_MODES, METRICS, Fault, Truth
from reconcile.vocabulary import PLATFORMS

bp = Blueprint("sim_control", __name__, url_prefix="/_sim")

MAX_METRIC = 10**12


class Invalid(ValueError):
    """A control request the simulator cannot act on."""


def _body(allowed: set[str]) -> dict[str, Any]:
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise Invalid("body must be a JSON object")
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise Invalid(f"unknown fields: {', '.join(unknown)}")
    if body.get("platform") not in PLATFORMS:
        raise Invalid(f"platform must be one of {', '.join(PLATFORMS)}")
    return body


def _count(body: dict[str, Any], name: str, upper: int) -> int:
    value = body.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= upper:
        raise Invalid(f"{name} must be an integer from 0 to {upper}")
    return value


def _truth(body: dict[str, Any]) -> Truth:
    omit = body.get("omit") or []
    if not isinstance(omit, list) or not set(omit) <= set(METRICS):
        raise Invalid(f"omit must be a list of {', '.join(METRICS)}")
    values = {m: None if m in omit else _count(body, m, MAX_METRIC) for m in METRICS}
    return Truth(**values)


@bp.errorhandler(Invalid)
def _invalid(error: Invalid) -> Any:
    return jsonify({"error": "invalid_request", "message": str(error)}), 422


@bp.put("/posts")
def put_post() -> Any:
    body = _body({"platform", "url", "omit", *METRICS})
    try:
        post = normalise(body["platform"], str(body.get("url") or ""))
    except InvalidPostUrl as exc:
        raise Invalid(f"url: {exc}") from None
    truth = _truth(body)
    store().set_truth(post.platform, post.post_id, truth)
    omitted = [m for m in METRICS if truth.get(m) is None]
    shown = {m: truth.get(m) for m in METRICS if m not in omitted}
    return {
        "platform": post.platform,
        "post_id": post.post_id,
        "canonical_url": post.canonical_url,
        **shown,
        "omit": omitted,
    }


@bp.put("/faults")
def put_fault() -> Any:
    body = _body({"platform", "mode", "count", "retry_after", "latency_ms"})
    if body.get("mode") not in FAULT_MODES:
        raise Invalid(f"mode must be one of {', '.join(FAULT_MODES)}")
    count = _count(body, "count", 10**9) if body.get("count") is not None else None
    if count == 0:
        raise Invalid("count must be at least 1")
    retry_after = body.get("retry_after", 1)
    if (
        isinstance(retry_after, bool)
        or not isinstance(retry_after, int | float)
        or not (0 <= retry_after <= 86_400)
    ):
        raise Invalid("retry_after must be a number of seconds from 0 to 86400")
    latency = _count(body, "latency_ms", 600_000) if "latency_ms" in body else 0
    fault = Fault(body["mode"], count, float(retry_after), latency)
    store().set_fault(body["platform"], fault)
    return {
        "platform": body["platform"],
        "mode": fault.mode,
        "count": fault.count,
        "retry_after": fault.retry_after,
        "latency_ms": fault.latency_ms,
    }


@bp.get("/calls")
def calls() -> Any:
    return store().counts()


@bp.post("/reset")
def reset() -> Any:
    store().reset()
    return {"reset": True}
