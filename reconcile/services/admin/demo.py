"""Seed the demo: a client, a campaign on every platform, two affiliates, an admin."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Campaign, Client, User
from reconcile.rules.sources import Sources
from reconcile.services.admin import accounts, campaigns
from reconcile.services.principal import SYSTEM
from reconcile.vocabulary import PLATFORMS, Role

DEMO_LANDING_URL = "https://shop.example.com/launch-week"
DEMO_USERS = (
    (Role.ADMIN, "Demo Admin", "admin@demo.reconcile"),
    (Role.CLIENT, "Demo Advertiser", "advertiser@demo.reconcile"),
    (Role.ANALYST, "Demo Analyst", "analyst@demo.reconcile"),
    (Role.AFFILIATE, "Ada Affiliate", "ada@demo.reconcile"),
    (Role.AFFILIATE, "Ben Affiliate", "ben@demo.reconcile"),
)


def seed_demo() -> dict[str, Any]:
    """Create the demo objects if missing; issue fresh keys for the demo users."""
    with unit_of_work() as uow:
        client_id = uow.session.scalar(select(Client.id).where(Client.name == "Demo Advertiser"))
    if client_id is None:
        client_id = accounts.create_client("Demo Advertiser")["id"]
    with unit_of_work() as uow:
        campaign_id = uow.session.scalar(
            select(Campaign.id).where(Campaign.client_id == client_id).order_by(Campaign.id)
        )
    if campaign_id is None:
        campaign_id = campaigns.create_campaign(
            SYSTEM, name="Launch week", client_id=client_id, platforms=list(PLATFORMS),
            landing_url=DEMO_LANDING_URL,  # where the tour's tracked links land
        )["id"]
    elif campaigns.get_campaign(SYSTEM, campaign_id)["landing_url"] is None:
        # A demo made before tracked links (migration 0010 gave it sources none/none): the
        # tour clicks a link and posts a sale, so give it a landing URL and the defaults.
        campaigns.update_campaign(SYSTEM, campaign_id, sources=Sources(),
                                  landing_url=DEMO_LANDING_URL)
    users = []
    for role, name, email in DEMO_USERS:
        with unit_of_work() as uow:
            user_id = uow.session.scalar(select(User.id).where(User.email == email))
        if user_id is None:
            created = accounts.create_user(
                role, name, email, client_id if role == Role.CLIENT else None
            )
            user_id, key = created["id"], created["api_key"]
        else:
            key = accounts.rotate_api_key(SYSTEM, user_id)["api_key"]
        users.append({"id": user_id, "role": role, "name": name, "email": email, "api_key": key})
    return {"client_id": client_id, "campaign_id": campaign_id, "users": users}
