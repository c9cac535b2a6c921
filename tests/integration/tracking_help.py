"""Helpers for the tracking tests: a campaign with a landing URL, links, clicks."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Click, TrackedLink
from reconcile.services.tracking.clicks import flush_clicks

BROWSER = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
           "Chrome/126.0 Safari/537.36")
LANDING = "https://shop.example.com/spring?utm_source=rc"


def auth(user: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {user['api_key']}"}


def give_landing(client: Any, world: Any, url: str = LANDING, window: int | None = None) -> None:
    body: dict[str, Any] = {"landing_url": url}
    if window is not None:
        body["attribution_window_days"] = window
    r = client.patch(f"/api/v1/campaigns/{world.campaign_id}", json=body,
                     headers=auth(world.advertiser))
    assert r.status_code == 200, r.get_json()


def make_link(client: Any, world: Any, affiliate: dict[str, Any] | None = None) -> str:
    r = client.post("/api/v1/links", json={"campaign_id": world.campaign_id, "label": "bio"},
                    headers=auth(affiliate or world.affiliate))
    assert r.status_code == 201, r.get_json()
    return str(r.get_json()["code"])


def click(client: Any, code: str, *, agent: str | None = BROWSER, ip: str = "198.51.100.10",
          method: str = "GET", headers: dict[str, str] | None = None) -> str | None:
    """Follow the link as a visitor; return the click id the landing URL carries."""
    send = {**(headers or {})}
    if agent is not None:
        send["User-Agent"] = agent
    r = client.open(f"/r/{code}", method=method, headers=send,
                    environ_base={"REMOTE_ADDR": ip})
    assert r.status_code == 302, r.data
    ids = parse_qs(urlsplit(r.headers["Location"]).query).get("rc_click")
    return ids[0] if ids else None


def written_clicks(code: str) -> list[Click]:
    with unit_of_work() as uow:
        rows = uow.session.scalars(
            select(Click).join(TrackedLink, TrackedLink.id == Click.link_id)
            .where(TrackedLink.code == code).order_by(Click.id)).all()
        uow.session.expunge_all()
        return list(rows)


def drain() -> int:
    return flush_clicks(max_seconds=10)


# --- the authorisation matrix's scenes (tests/integration/test_api_authz.py) --------------


def _link_in(campaign_id: int, affiliate: dict[str, Any]) -> str:
    from reconcile.services.admin.campaigns import update_campaign
    from reconcile.services.principal import SYSTEM, Principal
    from reconcile.services.tracking.links import create_link

    update_campaign(SYSTEM, campaign_id, landing_url=LANDING)
    made = create_link(Principal(user_id=affiliate["id"], role="AFFILIATE"), campaign_id)
    return str(made["code"])


def _click_in(campaign_id: int, affiliate: dict[str, Any]) -> str:
    import uuid
    from datetime import UTC, datetime

    from reconcile.services.tracking.clicks import write_clicks

    click_id = uuid.uuid4().hex
    write_clicks([{"click_id": click_id, "code": _link_in(campaign_id, affiliate),
                   "vh": "0" * 64, "ua": BROWSER, "at": datetime.now(UTC).isoformat(),
                   "reason": ""}])
    return click_id


def _conversion_in(campaign_id: int, affiliate: dict[str, Any]) -> int:
    import uuid

    from reconcile.services.principal import SYSTEM
    from reconcile.services.tracking.postbacks import Postback, record_postback

    body, _ = record_postback(SYSTEM, Postback(_click_in(campaign_id, affiliate),
                                               uuid.uuid4().hex))
    return int(body["conversion_id"])


def matrix_link_create(s: Any, role: str | None) -> tuple[str, Any, None]:
    _link_in(s.campaign_a, s.users["AFFILIATE"])  # gives the campaign a landing URL
    return "/api/v1/links", {"campaign_id": s.campaign_a}, None


def matrix_link_stats(own: bool) -> Any:
    def make(s: Any, role: str | None) -> tuple[str, Any, None]:
        code = (_link_in(s.campaign_a, s.users["AFFILIATE"]) if own
                else _link_in(s.campaign_b, s.affiliate_b))
        return f"/api/v1/links/{code}/stats", None, None
    return make


def matrix_postback(own: bool) -> Any:
    def make(s: Any, role: str | None) -> tuple[str, Any, None]:
        import uuid

        click_id = (_click_in(s.campaign_a, s.users["AFFILIATE"]) if own
                    else _click_in(s.campaign_b, s.affiliate_b))
        return "/api/v1/postbacks", {"click_id": click_id, "event_id": uuid.uuid4().hex}, None
    return make


def matrix_pixel(s: Any, role: str | None) -> tuple[str, Any, None]:
    import hashlib
    import hmac
    import uuid
    from urllib.parse import urlencode

    from reconcile.services.principal import SYSTEM
    from reconcile.services.tracking.postback_secrets import rotate_secret

    secret = rotate_secret(SYSTEM, s.client_a)["secret"]
    query = urlencode({"click_id": _click_in(s.campaign_a, s.users["AFFILIATE"]),
                       "event_id": uuid.uuid4().hex})
    sig = hmac.new(secret.encode(), query.encode(), hashlib.sha256).hexdigest()
    return f"/api/v1/postbacks/pixel?{query}&sig={sig}", None, None


def matrix_reverse(own: bool) -> Any:
    def make(s: Any, role: str | None) -> tuple[str, Any, None]:
        conversion = (_conversion_in(s.campaign_a, s.users["AFFILIATE"]) if own
                      else _conversion_in(s.campaign_b, s.affiliate_b))
        return f"/api/v1/postbacks/{conversion}/reverse", {"reason": "refund"}, None
    return make
