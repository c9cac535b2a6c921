"""Earnings on the dashboard: the affiliate's balance by status, the advertiser's spend
against its budget, the operator's held amounts with their reasons."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from tests.browser.pages import Dashboard
from tests.conftest import unique, unique_post_url
from tests.integration.earnings_help import Scene


@pytest.fixture
def money_scene(sim: Any, quiet_dispatcher: Any) -> SimpleNamespace:
    """One client's campaign with a budget: one affiliate's post pending, another's held
    by an open fraud alert."""
    from api import create_app
    from reconcile.services.admin.accounts import create_client, create_user

    client_id = create_client(unique("client"))["id"]
    world = SimpleNamespace(
        client_id=client_id,
        advertiser=create_user("CLIENT", "Advertiser", f"{unique('adv')}@example.com",
                               client_id),
        admin=create_user("ADMIN", "Admin", f"{unique('admin')}@example.com"),
        new_affiliate=lambda: create_user("AFFILIATE", "Affiliate",
                                          f"{unique('aff')}@example.com"))
    http = create_app({"TESTING": True}).test_client()
    paid = Scene(http, world, sim)
    paid.start({"currency": "USD", "cpm_minor": 2000, "budget_minor": 5000})
    paid.run("submit 1000/1000 0/- 0/-")
    held = Scene(http, world, sim, campaign_id=paid.campaign_id,
                 affiliate=world.new_affiliate(), url=unique_post_url("youtube"))
    held.run("submit 1000/1000 0/- 0/-")
    held.run("fraud")
    return SimpleNamespace(world=world, pending=paid, held=held)


@pytest.mark.network("127.0.0.1", "localhost")
def test_an_affiliate_sees_its_balance_by_status(dashboard: Dashboard,
                                                 money_scene: SimpleNamespace) -> None:
    dashboard.sign_in(money_scene.pending.affiliate["api_key"], "affiliate")
    dashboard.wait(lambda d: dashboard.find("#panel-my-earnings").get_attribute("data-state")
                   == "ready", "the earnings panel")
    assert dashboard.rows("table-my-balances") == ["USD"]
    assert dashboard.cell("table-my-balances", "USD", "pending") == "20.00 USD"
    assert dashboard.cell("table-my-balances", "USD", "held") == "0.00 USD"
    [entry] = money_scene.pending.entries()
    assert dashboard.cell("table-my-entries", entry.id, "status") == "pending"
    assert dashboard.cell("table-my-entries", entry.id, "amount") == "20.00 USD"
    dashboard.screenshot("affiliate-earnings")


@pytest.mark.network("127.0.0.1", "localhost")
def test_an_advertiser_sees_its_spend_against_its_budget(dashboard: Dashboard,
                                                         money_scene: SimpleNamespace) -> None:
    dashboard.sign_in(money_scene.world.advertiser["api_key"], "client")
    dashboard.wait(lambda d: dashboard.find("#panel-spend").get_attribute("data-state")
                   == "ready", "the spend panel")
    facts = {k: dashboard.fact(k, "#spend-summary")
             for k in ("budget", "committed", "remaining", "paid", "held")}
    assert facts == {"budget": "50.00 USD", "committed": "40.00 USD",
                     "remaining": "10.00 USD", "paid": "0.00 USD", "held": "20.00 USD"}
    held_affiliate = money_scene.held.affiliate["id"]
    assert dashboard.cell("table-spend-by-affiliate", held_affiliate, "held") == "20.00 USD"
    dashboard.screenshot("advertiser-spend")


@pytest.mark.network("127.0.0.1", "localhost")
def test_an_operator_sees_held_amounts_with_their_reasons(dashboard: Dashboard,
                                                          money_scene: SimpleNamespace) -> None:
    dashboard.sign_in(money_scene.world.admin["api_key"], "admin")
    post = money_scene.held.post_id
    dashboard.wait(lambda d: dashboard.cell("table-held", post, "held") is not None,
                   "the held post")
    assert dashboard.cell("table-held", post, "held") == "20.00 USD"
    assert "SUSPICIOUS_CLAIM (HIGH FRAUD)" in (dashboard.cell("table-held", post, "reasons")
                                               or "")
    assert money_scene.pending.post_id not in [int(r) for r in dashboard.rows("table-held")]
    dashboard.screenshot("operator-held")
