"""The simulator's control routes: set truth and faults, read call counts, reset."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, jsonify, request

from reconcile.platforms.urls import InvalidPostUrl, normalise
from reconcile.sim.guard import store
from reconcile.sim.store import (
    EPOCH,
    FAULT_MODES,
    LINK_CLICK_PLATFORMS,
    METRICS,
    SERVED,
    Fault,
    Profile,
    Truth,
    default_truth,
)
from reconcile.vocabulary import PLATFORMS

bp = Blueprint("sim_control", __name__, url_prefix="/_sim")

MAX_METRIC = 10**12
MAX_TEXT = 2200  # Instagram's caption limit, the longest of the five
# Accepted from callers written before platforms stopped serving them; no platform serves
# them (truth.md, "Simulator"): clicks come from tracked links, conversions from postbacks.
RETIRED = ("clicks", "conversions")
POST_FIELDS = {"platform", "url", "omit", "author", "published_at", "caption", "removed",
               *METRICS, *RETIRED}
MAX_BIO = 2200
_HANDLE = re.compile(r"@?[A-Za-z0-9_.\-]{1,64}")


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


def _text(body: dict[str, Any], name: str, default: str) -> str:
    value = body.get(name, default)
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise Invalid(f"{name} must be a string of at most {MAX_TEXT} characters")
    return value


def _time(body: dict[str, Any], default: datetime) -> datetime:
    value = body.get("published_at")
    if value is None:
        return default
    try:
        when = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise Invalid("published_at must be an ISO 8601 time") from None
    when = when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)
    if not EPOCH.replace(year=2000) <= when <= EPOCH.replace(year=2100):
        raise Invalid("published_at must fall between 2000 and 2100")
    return when


def _truth(platform: str, post_id: str, body: dict[str, Any]) -> Truth:
    """views is required (unless omitted); other counts default to the post's derived ones."""
    omit = body.get("omit") or []
    if not isinstance(omit, list) or not set(omit) <= set(METRICS) | set(RETIRED):
        raise Invalid(f"omit must be a list of {', '.join(METRICS)}")
    for old in RETIRED:  # still checked, so an old caller's typo is not silently dropped
        if old in body and old not in omit:
            _count(body, old, MAX_METRIC)
    derived = default_truth(post_id)
    values: dict[str, int | None] = {}
    for m in METRICS:
        if m in omit:
            values[m] = None
        elif m == "views" or m in body:
            values[m] = _count(body, m, MAX_METRIC)
        else:
            values[m] = getattr(derived, m)
    if platform not in LINK_CLICK_PLATFORMS and "link_clicks" in body:
        raise Invalid(f"{platform} reports no link clicks: link_clicks is only for "
                      f"{', '.join(LINK_CLICK_PLATFORMS)}")
    return Truth(**values, author=_text(body, "author", derived.author),
                 published_at=_time(body, derived.published_at),
                 caption=_text(body, "caption", derived.caption))


@bp.errorhandler(Invalid)
def _invalid(error: Invalid) -> Any:
    return jsonify({"error": "invalid_request", "message": str(error)}), 422


@bp.put("/posts")
def put_post() -> Any:
    body = _body(POST_FIELDS)
    try:
        post = normalise(body["platform"], str(body.get("url") or ""))
    except InvalidPostUrl as exc:
        raise Invalid(f"url: {exc}") from None
    truth = _truth(post.platform, post.post_id, body)
    removed = body.get("removed", False)
    if not isinstance(removed, bool):
        raise Invalid("removed must be true or false")
    # removed: the post was taken down; every API answers for it as for an unknown id.
    store().set_truth(post.platform, post.post_id, truth, removed=removed)
    served = SERVED[post.platform]
    omitted = [m for m in served if truth.get(m) is None]
    return {
        "platform": post.platform,
        "post_id": post.post_id,
        "canonical_url": post.canonical_url,
        **{m: truth.get(m) for m in served if m not in omitted},
        "author": truth.author,
        "published_at": truth.published_at.isoformat().replace("+00:00", "Z"),
        "caption": truth.caption,
        "omit": omitted,
        "removed": removed,
    }


@bp.put("/profiles")
def put_profile() -> Any:
    """Set an account's profile: its handle and bio (where a verification code goes)."""
    body = _body({"platform", "handle", "bio"})
    handle = body.get("handle")
    if not isinstance(handle, str) or not _HANDLE.fullmatch(handle):
        raise Invalid("handle must be 1 to 64 letters, digits, _ . or -, with an optional @")
    bio = body.get("bio", "")
    if not isinstance(bio, str) or len(bio) > MAX_BIO:
        raise Invalid(f"bio must be a string of at most {MAX_BIO} characters")
    profile = Profile(handle.lstrip("@"), bio)
    store().set_profile(body["platform"], profile)
    return {"platform": body["platform"], "handle": profile.handle, "bio": profile.bio}


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
