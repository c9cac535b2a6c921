"""GET /r/<code>: the tracked link's redirect, the hottest path of the system.

It answers from caches and Redis only (reconcile.services.tracking.landing and .clicks):
never waiting on PostgreSQL once a link's landing URL is cached, and still answering 302
when Redis is down (the landing matters more than the count; the lost click is logged).
"""

from __future__ import annotations

import logging
import re
import uuid
from datetime import UTC, datetime
from functools import cache
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Blueprint, redirect, request

from api.problems import problem
from reconcile.bootstrap import active_rules
from reconcile.config import visitor_hash_key
from reconcile.services.tracking import filters, landing
from reconcile.services.tracking.clicks import ClickSeen, record_click

bp = Blueprint("redirect", __name__)
log = logging.getLogger("reconcile.tracking")
_CODE = re.compile(r"^[A-Za-z0-9]{1,16}$")


@cache
def _key() -> bytes:
    return visitor_hash_key()


def with_click(url: str, click_id: str) -> str:
    """The landing URL with rc_click=<click_id> added to its query (others kept)."""
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "rc_click"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("rc_click", click_id)])))


def _record(code: str, click_id: str) -> None:
    agent = request.headers.get("User-Agent")
    address = filters.client_address(request.remote_addr, request.headers.get("X-Forwarded-For"),
                                     active_rules().tracking.trusted_proxies)
    record_click(ClickSeen(
        click_id=click_id, code=code, visitor_hash=filters.visitor_hash(_key(), address),
        user_agent=filters.truncated_agent(agent),
        reason=filters.request_reason(request.method, agent, request.headers),
        at=datetime.now(UTC)))


@bp.route("/r/<code>", methods=["GET"])
def follow(code: str):
    target = landing.landing_for(code) if _CODE.match(code) else None
    if target is None:
        return problem(404, "NOT_FOUND", "no such link")
    click_id = uuid.uuid4().hex
    try:
        _record(code, click_id)
    except Exception:  # the landing matters more than the count: never fail the visitor
        log.exception("Click lost: it could not be recorded; the visitor was redirected",
                      extra={"click_id": click_id, "link_code": code})
    response = redirect(with_click(target, click_id), code=302)
    response.headers["Cache-Control"] = "no-store"  # every click must reach us
    return response
