"""GET /r/<code>: the tracked link's redirect, the hottest path of the system.

It answers from caches and Redis only (reconcile.services.tracking.landing and .clicks):
never waiting on PostgreSQL once a link's landing URL is cached, and still answering 302
when Redis is down (the landing matters more than the count; the lost click is logged).

A known link's redirect is answered by api.fast_redirect, in front of Flask; this route
answers what the fast path hands over: unknown codes (404) and a landing look-up that
failed (the usual problem+json).
"""

from __future__ import annotations

import logging
import re
import uuid
from datetime import UTC, datetime
from functools import cache
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Blueprint, redirect, request

from api.problems import problem
from reconcile.bootstrap import active_rules
from reconcile.config import visitor_hash_key
from reconcile.services.tracking import filters, landing
from reconcile.services.tracking.clicks import ClickSeen, record_click

bp = Blueprint("redirect", __name__)
log = logging.getLogger("reconcile.tracking")
CODE = re.compile(r"^[A-Za-z0-9]{1,16}$")


@cache
def _key() -> bytes:
    return visitor_hash_key()


def with_click(url: str, click_id: str) -> str:
    """The landing URL with rc_click=<click_id> added to its query (others kept)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "rc_click"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("rc_click", click_id)])))


def landing_of(code: str) -> str | None:
    """The landing URL of a well-formed, known code, else None."""
    return landing.landing_for(code) if CODE.match(code) else None


def click_through(code: str, target: str, method: str, remote_addr: str | None,
                  headers: Any) -> str:
    """Record the click (never raising: a lost click is logged) and return where the
    visitor goes: the landing URL with the click's id."""
    click_id = uuid.uuid4().hex
    try:
        agent = headers.get("User-Agent")
        address = filters.client_address(remote_addr, headers.get("X-Forwarded-For"),
                                         active_rules().tracking.trusted_proxies)
        record_click(ClickSeen(
            click_id=click_id, code=code, visitor_hash=filters.visitor_hash(_key(), address),
            user_agent=filters.truncated_agent(agent),
            reason=filters.request_reason(method, agent, headers),
            at=datetime.now(UTC)))
    except Exception:  # the landing matters more than the count: never fail the visitor
        log.exception("Click lost: it could not be recorded; the visitor was redirected",
                      extra={"click_id": click_id, "link_code": code})
    return with_click(target, click_id)


@bp.route("/r/<code>", methods=["GET"])
def follow(code: str):
    target = landing_of(code)
    if target is None:
        return problem(404, "NOT_FOUND", "no such link")
    location = click_through(code, target, request.method, request.remote_addr,
                             request.headers)
    response = redirect(location, code=302)
    response.headers["Cache-Control"] = "no-store"  # every click must reach us
    return response
