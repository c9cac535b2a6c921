"""Helpers for the API tests: a scene with two clients, posts, reports and alerts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Alert, Post, ReconciliationLog, Report
from reconcile.services.admin.accounts import create_client, create_user
from reconcile.services.admin.campaigns import create_campaign
from reconcile.services.intake.submissions import Claim, submit
from reconcile.services.principal import SYSTEM, Principal
from reconcile.services.reconciliation.attempts import Job, run_attempts
from reconcile.vocabulary import PLATFORMS
from tests.conftest import unique, unique_post_url
from tests.integration.tracking_fake import FakeTracking

post_url = unique_post_url


def auth(user: dict[str, Any] | str) -> dict[str, str]:
    key = user if isinstance(user, str) else user["api_key"]
    return {"Authorization": f"Bearer {key}"}


def new_user(role: str, client_id: int | None = None) -> dict[str, Any]:
    return create_user(role, role.title(), f"{unique(role.lower())}@example.com", client_id)


def new_campaign(client_id: int, platforms: tuple[str, ...] = PLATFORMS) -> int:
    made = create_campaign(SYSTEM, name=unique("campaign"), client_id=client_id,
                           platforms=list(platforms))
    return int(made["id"])


def submit_as(affiliate: dict[str, Any], campaign_id: int, platform: str = "youtube",
              url: str | None = None, claim: tuple[int, int, int] = (1000, 50, 5)) -> dict:
    """Submit through the service (what POST /submissions calls); return its answer."""
    principal = Principal(user_id=affiliate["id"], role="AFFILIATE")
    return submit(principal, campaign_id=campaign_id, platform=platform,
                  url=url or post_url(platform), claim=Claim(*claim))


def reconcile_now(sim: Any, accepted: dict, platform: str, url: str,
                  truth: tuple[int, int, int]) -> str | None:
    """Run attempt 1 in this process with `truth` = (views the simulator shows, clicks the
    post's tracked link counted, conversions its postbacks counted)."""
    views, clicks, conversions = truth
    sim.post(platform, url, views, 0, 0)
    tracking = FakeTracking()
    tracking.link(int(accepted["post_id"]), clicks, conversions)
    return run_attempts([Job(int(accepted["report_id"]), 1)],
                        counters=tracking.counters())[0]


def alert_about(affiliate: dict[str, Any], campaign_id: int) -> int:
    """Raise a SUSPICIOUS_CLAIM alert about `affiliate` in the campaign; return its id."""
    url = post_url("youtube")
    submit_as(new_user("AFFILIATE"), campaign_id, url=url)
    report_id = submit_as(affiliate, campaign_id, url=url)["report_id"]
    with unit_of_work() as uow:
        return int(uow.session.scalar(select(Alert.id).where(Alert.report_id == report_id)))


def row_counts() -> dict[str, int]:
    with unit_of_work() as uow:
        return {m.__tablename__: int(uow.session.scalar(select(func.count()).select_from(m)))
                for m in (Post, Report, ReconciliationLog, Alert)}


@dataclass
class Scene:
    """World A (the caller's side) and world B (another client and affiliate)."""

    client_a: int
    campaign_a: int
    client_b: int
    campaign_b: int
    users: dict[str, dict[str, Any]]
    affiliate_b: dict[str, Any]
    own_post: int
    own_report: int
    other_post: int
    other_report: int
    own_alert: int
    other_alert: int
    extra: dict[str, Any] = field(default_factory=dict)

    def key(self, role: str | None) -> dict[str, str]:
        return auth(self.users[role]) if role else {}


def make_scene() -> Scene:
    client_a, client_b = create_client(unique("a"))["id"], create_client(unique("b"))["id"]
    campaign_a, campaign_b = new_campaign(client_a), new_campaign(client_b)
    users = {"ADMIN": new_user("ADMIN"), "CLIENT": new_user("CLIENT", client_a),
             "ANALYST": new_user("ANALYST"), "AFFILIATE": new_user("AFFILIATE")}
    affiliate_b = new_user("AFFILIATE")
    own = submit_as(users["AFFILIATE"], campaign_a)
    other = submit_as(affiliate_b, campaign_b)
    return Scene(
        client_a=client_a, campaign_a=campaign_a, client_b=client_b, campaign_b=campaign_b,
        users=users, affiliate_b=affiliate_b, own_post=own["post_id"],
        own_report=own["report_id"], other_post=other["post_id"],
        other_report=other["report_id"],
        own_alert=alert_about(users["AFFILIATE"], campaign_a),
        other_alert=alert_about(affiliate_b, campaign_b),
    )
