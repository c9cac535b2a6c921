"""The browser tests' own data: two clients, their campaigns, affiliates and reconciled
reports (attempts run in this process against the simulator)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import requests

from reconcile.services.admin.accounts import create_client
from reconcile.services.admin.campaigns import create_campaign
from reconcile.services.principal import SYSTEM
from reconcile.services.reconciliation.attempts import Job, run_attempts
from reconcile.vocabulary import PLATFORMS
from tests.conftest import unique
from tests.integration.apihelp import new_user, post_url, submit_as
from tests.integration.tracking_fake import FakeTracking

METRICS = ("views", "clicks", "conversions")
ALL_MISSING = None  # the platform shows the post but none of its numbers


@dataclass(frozen=True)
class Claim:
    """One post: who claims what on which platform, and what was measured: views on the
    platform, clicks and conversions on the post's tracked link (None: nothing shown)."""

    affiliate: str
    campaign: str
    platform: str
    claimed: tuple[int, int, int]
    truth: tuple[int, int, int] | None
    status: str  # what the domain's classification table says this comes to


# Client A's first campaign covers every outcome the campaign view shows; client B's
# numbers are distinctive so a test can tell they never reach client A's page.
CLAIMS = (
    Claim("aff1", "A1", "youtube", (1000, 50, 5), (1000, 50, 5), "MATCHED"),
    Claim("aff1", "A1", "tiktok", (2000, 100, 10), (1000, 100, 10), "AFFILIATE_OVERCLAIMED"),
    Claim("aff2", "A1", "youtube", (1150, 20, 2), (1000, 20, 2), "DISCREPANCY_MEDIUM"),
    Claim("aff2", "A1", "instagram", (300, 10, 1), ALL_MISSING, "MISSING_PLATFORM_DATA"),
    Claim("aff1", "A2", "reddit", (700, 7, 0), (700, 7, 0), "MATCHED"),
    Claim("aff3", "B1", "youtube", (987654, 4321, 77), (123456, 4321, 77),
          "AFFILIATE_OVERCLAIMED"),
)


@dataclass
class Scene:
    campaigns: dict[str, dict[str, Any]]
    users: dict[str, dict[str, Any]]
    reports: dict[Claim, int] = field(default_factory=dict)

    def claims(self, campaign: str) -> list[Claim]:
        return [c for c in CLAIMS if c.campaign == campaign]


def _show_on_platform(simulator: str, platform: str, url: str,
                      truth: tuple[int, int, int] | None) -> None:
    body = {"platform": platform, "url": url, "views": 0 if truth is None else truth[0],
            "omit": ["views"] if truth is None else []}
    requests.put(f"{simulator}/_sim/posts", json=body, timeout=5).raise_for_status()


def make_scene(simulator: str) -> Scene:
    """Create the rows, then run attempt 1 of every report."""
    client_a, client_b = create_client(unique("A"))["id"], create_client(unique("B"))["id"]
    campaigns = {}
    for name, owner in (("A1", client_a), ("A2", client_a), ("B1", client_b)):
        title = unique(f"campaign-{name}")
        made = create_campaign(SYSTEM, name=title, client_id=owner, platforms=list(PLATFORMS))
        campaigns[name] = {"id": int(made["id"]), "name": title, "client_id": owner}
    users = {"admin": new_user("ADMIN"), "analyst": new_user("ANALYST"),
             "client_a": new_user("CLIENT", client_a), "client_b": new_user("CLIENT", client_b),
             "aff1": new_user("AFFILIATE"), "aff2": new_user("AFFILIATE"),
             "aff3": new_user("AFFILIATE")}
    scene = Scene(campaigns, users)
    for claim in CLAIMS:
        url = post_url(claim.platform)
        _show_on_platform(simulator, claim.platform, url, claim.truth)
        accepted = submit_as(users[claim.affiliate], campaigns[claim.campaign]["id"],
                             claim.platform, url, claim.claimed)
        scene.reports[claim] = int(accepted["report_id"])
        tracking = FakeTracking()
        if claim.truth is not None:
            tracking.link(int(accepted["post_id"]), claim.truth[1], claim.truth[2])
        run_attempts([Job(scene.reports[claim], 1)], counters=tracking.counters())
    return scene
