"""The bench's fixtures and submissions: unique URLs on every platform, a realistic mix of
claims (mostly honest, some off by a little, a few over-claims)."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

from reconcile.platforms.urls import normalise
from reconcile.sim.store import default_truth
from reconcile.vocabulary import PLATFORMS, Role

# (claimed views as a multiple of the platform's, how many in every 20 submissions):
# matched, low, medium, high (an under-claim), over-claim, critical over-claim.
MIX = ((1.0, 11), (1.08, 3), (1.15, 2), (0.7, 1), (1.3, 2), (1.7, 1))
FACTORS = tuple(factor for factor, weight in MIX for _ in range(weight))


@dataclass(frozen=True)
class Fixtures:
    campaign_id: int
    affiliate_keys: list[str]


def create_fixtures(affiliates: int) -> Fixtures:
    """Create a client, a campaign on every platform and `affiliates` affiliates."""
    from reconcile.services.admin import accounts, campaigns
    from reconcile.services.principal import SYSTEM

    client_id = accounts.create_client("Bench Advertiser")["id"]
    campaign = campaigns.create_campaign(SYSTEM, name="Bench", client_id=client_id,
                                         platforms=list(PLATFORMS))
    keys = [
        accounts.create_user(Role.AFFILIATE, f"Bench Affiliate {i}", f"bench{i}@bench.invalid")[
            "api_key"]
        for i in range(affiliates)
    ]
    return Fixtures(campaign["id"], keys)


def post_url(platform: str, n: int, token: str) -> str:
    """Return a URL no other submission of this run (or of another run) uses."""
    digits = f"{int(token, 16) % 10**8:08d}{n:08d}"
    tail = f"{token}{n:x}"[-11:].rjust(11, "0")
    return {
        "reddit": f"https://www.reddit.com/comments/{tail}",
        "instagram": f"https://www.instagram.com/p/B{tail}/",
        "tiktok": f"https://www.tiktok.com/@bench/video/{digits}",
        "youtube": f"https://www.youtube.com/watch?v={tail}",
        "x": f"https://x.com/bench/status/{digits}",
    }[platform]


def submission_body(n: int, campaign_id: int, token: str) -> bytes:
    """The n-th submission: platforms in turn, claims from MIX against the simulator's truth."""
    platform = PLATFORMS[n % len(PLATFORMS)]
    url = post_url(platform, n, token)
    truth = default_truth(normalise(platform, url).post_id)
    # Stepping by 7 (prime to 20) spreads the mix, so even a short run sees every outcome.
    factor = FACTORS[(n // len(PLATFORMS) * 7) % len(FACTORS)]
    return json.dumps({
        "campaign_id": campaign_id, "platform": platform, "url": url,
        "claimed_views": round((truth.views or 0) * factor),
        # No tracked links here, so clicks and conversions are unverifiable (truth.md): a
        # claim of 0 keeps them out of the way of the views this load is about.
        "claimed_clicks": 0, "claimed_conversions": 0,
    }).encode()


def submissions(count: int, fixtures: Fixtures) -> list[tuple[bytes, dict[str, str]]]:
    """Bodies and headers for `count` submissions, spread over the affiliates in turn."""
    token = secrets.token_hex(3)
    keys = fixtures.affiliate_keys
    return [
        (submission_body(n, fixtures.campaign_id, token),
         {"Authorization": f"Bearer {keys[n % len(keys)]}", "Content-Type": "application/json"})
        for n in range(count)
    ]
