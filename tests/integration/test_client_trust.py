"""One rule for what a CLIENT sees of trust: the affiliates of its own campaigns, with the
score analytics shows and only its campaigns' ledger rows; anyone else is 404."""

from __future__ import annotations

from typing import Any

from reconcile.services.admin.accounts import create_client
from tests.integration.apihelp import (
    auth,
    new_campaign,
    new_user,
    post_url,
    reconcile_now,
    submit_as,
)


def test_a_client_sees_its_affiliates_trust_as_its_analytics_show_it(
    client: Any, sim: Any, dispatched: Any
) -> None:
    mine, theirs = create_client("mine")["id"], create_client("theirs")["id"]
    my_campaign, their_campaign = new_campaign(mine), new_campaign(theirs)
    advertiser, admin = new_user("CLIENT", mine), new_user("ADMIN")
    affiliate = new_user("AFFILIATE")
    reports = {}
    for campaign, truth in ((my_campaign, (1000, 50, 5)), (their_campaign, (500, 50, 5))):
        url = post_url("reddit")
        done = submit_as(affiliate, campaign, "reddit", url)
        reconcile_now(sim, done, "reddit", url, truth)
        reports[campaign] = done["report_id"]
    path = f"/api/v1/affiliates/{affiliate['id']}/trust"

    seen = client.get(path, headers=auth(advertiser))
    everything = client.get(path, headers=auth(admin)).get_json()
    analytics = client.get(f"/api/v1/campaigns/{my_campaign}/analytics",
                           headers=auth(advertiser)).get_json()

    assert seen.status_code == 200
    body = seen.get_json()
    shown = next(a for a in analytics["by_affiliate"] if a["affiliate_id"] == affiliate["id"])
    assert body["score"] == shown["trust_score"] == everything["score"]
    assert {r["report_id"] for r in body["ledger"]} == {reports[my_campaign]}
    assert {r["report_id"] for r in everything["ledger"]} == set(reports.values())


def test_a_client_gets_404_for_an_affiliate_outside_its_campaigns(
    client: Any, dispatched: Any
) -> None:
    mine, theirs = create_client("mine")["id"], create_client("theirs")["id"]
    advertiser = new_user("CLIENT", mine)
    stranger = new_user("AFFILIATE")
    submit_as(stranger, new_campaign(theirs))

    outside = client.get(f"/api/v1/affiliates/{stranger['id']}/trust", headers=auth(advertiser))
    missing = client.get("/api/v1/affiliates/999999999/trust", headers=auth(advertiser))

    assert outside.status_code == missing.status_code == 404
    assert outside.get_json()["code"] == missing.get_json()["code"] == "NOT_FOUND"
