"""The affiliate page's own data: a campaign whose tracked links land somewhere, an
affiliate, and what the platform and the link's visitors did."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from reconcile.services.admin.accounts import create_client
from reconcile.services.admin.campaigns import create_campaign, update_campaign
from reconcile.services.principal import SYSTEM
from reconcile.vocabulary import PLATFORMS
from tests.conftest import unique
from tests.integration.apihelp import new_user
from tests.integration.tracking_help import BROWSER

LANDING = "https://shop.example.com/creator-page"


@dataclass
class Creator:
    """One test's campaign (with a landing URL), its advertiser and one affiliate."""

    campaign_id: int
    client_id: int
    affiliate: dict[str, Any]


def new_creator(landing_url: str | None = LANDING) -> Creator:
    client_id = create_client(unique("creator-client"))["id"]
    made = create_campaign(SYSTEM, name=unique("creator-campaign"), client_id=client_id,
                           platforms=list(PLATFORMS), landing_url=landing_url)
    # These pages are about links and numbers, not handles: no owner_unverified flag here
    # (docs/fraud.md; the handle checks have tests of their own).
    update_campaign(SYSTEM, int(made["id"]), require_verified_handle=False)
    return Creator(int(made["id"]), client_id, new_user("AFFILIATE"))


def show_post(simulator: str, platform: str, url: str, views: int) -> None:
    body = {"platform": platform, "url": url, "views": views}
    requests.put(f"{simulator}/_sim/posts", json=body, timeout=5).raise_for_status()


def visit(live_server: str, code: str, visitor: int) -> str:
    """Follow the link as a browser (each visitor its own browser version: not a repeat)."""
    agent = BROWSER.replace("Chrome/126.0", f"Chrome/{100 + visitor}.0")
    answer = requests.get(f"{live_server}/r/{code}", headers={"User-Agent": agent},
                          allow_redirects=False, timeout=5)
    assert answer.status_code == 302, answer.text
    return parse_qs(urlsplit(answer.headers["Location"]).query)["rc_click"][0]
