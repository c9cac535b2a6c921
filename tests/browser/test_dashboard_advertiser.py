"""An advertiser's page: its campaigns' unified view, exact numbers, nothing of others."""

from __future__ import annotations

from selenium.webdriver.support.ui import Select

from tests.browser.pages import Dashboard
from tests.browser.scene import METRICS, Scene


def _sums(scene: Scene, campaign: str, which: str) -> dict[str, int]:
    claims = scene.claims(campaign)
    values = [c.claimed if which == "claimed" else c.truth or (0, 0, 0) for c in claims]
    return {m: sum(v[i] for v in values) for i, m in enumerate(METRICS)}


def _choose(dashboard: Dashboard, scene: Scene, name: str) -> None:
    campaign = scene.campaigns[name]
    Select(dashboard.find("#campaign-picker")).select_by_value(str(campaign["id"]))
    dashboard.wait(lambda d: campaign["name"] in (dashboard.read("#campaign-name") or "")
                   and dashboard.find("#panel-campaign").get_attribute("data-state") == "ready",
                   f"campaign {name}")


def _open_alerts_on(campaign_id: int) -> int:
    from sqlalchemy import func, select

    from reconcile.persistence.db import unit_of_work
    from reconcile.persistence.models import Alert, Post, Report

    with unit_of_work() as uow:
        return int(uow.session.scalar(
            select(func.count()).select_from(Alert).join(Report, Report.id == Alert.report_id)
            .join(Post, Post.id == Report.post_id)
            .where(Post.campaign_id == campaign_id, Alert.status == "OPEN")))


def test_a_client_sees_claimed_against_verified_totals_for_its_campaign(
    dashboard: Dashboard, scene: Scene,
) -> None:
    dashboard.sign_in(scene.users["client_a"]["api_key"], "client")
    _choose(dashboard, scene, "A1")
    claimed, verified = _sums(scene, "A1", "claimed"), _sums(scene, "A1", "truth")

    for m in METRICS:
        assert dashboard.cell("table-totals", m, "claimed") == f"{claimed[m]:,}"
        assert dashboard.cell("table-totals", m, "verified") == f"{verified[m]:,}"
    # Each metric names its source (the scene's tracked counts stand in for the links').
    assert [dashboard.cell("table-totals", m, "source") for m in METRICS] == [
        "platform", "tracked", "postback"]
    # One MATCHED of four reconciled posts (the domain's success rate).
    assert dashboard.fact("success_rate", "#campaign-summary") == "25.0 %"
    assert dashboard.fact("posts", "#campaign-summary") == "4"
    assert dashboard.fact("open_alerts", "#campaign-summary") == str(
        _open_alerts_on(scene.campaigns["A1"]["id"]))
    statuses = {c.status for c in scene.claims("A1")}
    assert sorted(dashboard.rows("table-campaign-status")) == sorted(statuses)
    assert all(dashboard.cell("table-campaign-status", s, "posts") == "1" for s in statuses)
    dashboard.screenshot("client")


def test_a_client_sees_its_campaign_by_platform_and_by_affiliate(
    dashboard: Dashboard, scene: Scene,
) -> None:
    dashboard.sign_in(scene.users["client_a"]["api_key"], "client")
    _choose(dashboard, scene, "A1")
    youtube = [c for c in scene.claims("A1") if c.platform == "youtube"]

    assert sorted(dashboard.rows("table-by-platform")) == ["instagram", "tiktok", "youtube"]
    assert dashboard.cell("table-by-platform", "youtube", "posts") == "2"
    assert dashboard.cell("table-by-platform", "youtube", "claimed_views") == (
        f"{sum(c.claimed[0] for c in youtube):,}")
    assert dashboard.cell("table-by-platform", "instagram", "verified_views") == "0"
    aff1, aff2 = scene.users["aff1"]["id"], scene.users["aff2"]["id"]
    assert sorted(dashboard.rows("table-by-affiliate")) == sorted([str(aff1), str(aff2)])
    assert dashboard.cell("table-by-affiliate", aff1, "claimed_views") == "3,000"
    assert dashboard.cell("table-by-affiliate", aff1, "success_rate") == "50.0 %"


def test_a_client_never_sees_another_clients_campaign(
    dashboard: Dashboard, scene: Scene,
) -> None:
    dashboard.sign_in(scene.users["client_a"]["api_key"], "client")
    options = [o.text for o in Select(dashboard.find("#campaign-picker")).options]
    other = scene.campaigns["B1"]
    other_numbers = [f"{n:,}" for c in scene.claims("B1") for n in (*c.claimed, *(c.truth or ()))
                     if n > 1000]

    assert sorted(options) == sorted(
        f"{scene.campaigns[n]['name']} (#{scene.campaigns[n]['id']})" for n in ("A1", "A2"))
    for name in ("A1", "A2"):
        _choose(dashboard, scene, name)
        seen = dashboard.text() + dashboard.driver.page_source
        assert other["name"] not in seen
        assert not [n for n in other_numbers if n in seen]
    assert not dashboard.find("#operator").is_displayed()


def test_a_client_with_one_campaign_gets_it_without_a_picker(
    dashboard: Dashboard, scene: Scene,
) -> None:
    dashboard.sign_in(scene.users["client_b"]["api_key"], "client")
    only = scene.campaigns["B1"]
    (claim,) = scene.claims("B1")

    assert dashboard.read("#campaign-name") == f"{only['name']} (#{only['id']})"
    assert not dashboard.find("#campaign-picker-row").is_displayed()
    assert dashboard.cell("table-totals", "views", "claimed") == f"{claim.claimed[0]:,}"
    assert dashboard.cell("table-totals", "views", "verified") == f"{claim.truth[0]:,}"


def _rate(top: int, base: int) -> str:
    return f"{round(top / base, 4) * 100:.2f} %" if base else "—"


def test_a_client_sees_the_funnel_per_affiliate_and_per_post_from_verified_numbers(
    dashboard: Dashboard, scene: Scene,
) -> None:
    from sqlalchemy import select

    from reconcile.persistence.db import unit_of_work
    from reconcile.persistence.models import Report

    dashboard.sign_in(scene.users["client_a"]["api_key"], "client")
    _choose(dashboard, scene, "A1")
    measured = [c for c in scene.claims("A1") if c.truth is not None]

    for name in ("aff1", "aff2"):
        mine = [c.truth for c in measured if c.affiliate == name and c.truth]
        views, clicks, conversions = (sum(t[i] for t in mine) for i in range(3))
        row = scene.users[name]["id"]
        assert dashboard.cell("table-funnel-affiliate", row, "views") == f"{views:,}"
        assert dashboard.cell("table-funnel-affiliate", row, "clicks") == f"{clicks:,}"
        assert dashboard.cell("table-funnel-affiliate", row, "click_rate") == _rate(clicks, views)
        assert dashboard.cell("table-funnel-affiliate", row, "conversion_rate") == _rate(
            conversions, clicks)
    with unit_of_work() as uow:
        post_of = {c: uow.session.scalar(select(Report.post_id).where(
            Report.id == scene.reports[c])) for c in scene.claims("A1")}
    assert sorted(dashboard.rows("table-funnel-post"), key=int) == sorted(
        str(p) for p in post_of.values())
    for claim, post in post_of.items():
        if claim.truth is None:  # the platform showed nothing, and no link measured clicks
            assert dashboard.cell("table-funnel-post", post, "views") == "—"
            assert dashboard.cell("table-funnel-post", post, "click_rate") == "—"
            continue
        views, clicks, conversions = claim.truth
        assert dashboard.cell("table-funnel-post", post, "status") == claim.status
        assert dashboard.cell("table-funnel-post", post, "clicks") == f"{clicks:,}"
        assert dashboard.cell("table-funnel-post", post, "click_rate") == _rate(clicks, views)
        assert dashboard.cell("table-funnel-post", post, "clicks_from") == "tracked"
        assert dashboard.cell("table-funnel-post", post, "conversions_from") == "postback"
    total_views = sum(c.truth[0] for c in measured if c.truth)
    assert dashboard.fact("funnel_views", "#funnel-summary") == f"{total_views:,}"
    # Verified numbers by source, beside the funnel.
    assert dashboard.cell("table-totals", "clicks", "by_source") == (
        f"tracked {sum(c.truth[1] for c in measured if c.truth):,}")
    dashboard.screenshot("client-funnel")
