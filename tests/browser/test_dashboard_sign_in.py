"""Signing in: the key lives in the tab's sessionStorage only, and the page needs no auth."""

from __future__ import annotations

import requests

from tests.browser.pages import Dashboard
from tests.browser.scene import Scene


def test_the_page_and_its_chart_library_are_served_without_a_key(live_server: str) -> None:
    page = requests.get(f"{live_server}/dashboard", timeout=5)
    chart = requests.get(f"{live_server}/dashboard/vendor/plotly.min.js", timeout=5)
    own = requests.get(f"{live_server}/dashboard/static/dashboard.js", timeout=5)

    assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html")
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert page.headers["Cache-Control"] == "no-store"
    assert chart.status_code == 200 and "plotly.js" in chart.text[:200]
    assert own.status_code == 200 and "javascript" in own.headers["Content-Type"]


def test_an_unknown_key_is_refused_and_forgotten(dashboard: Dashboard) -> None:
    dashboard.sign_in("not-a-key-" + "x" * 40, "sign-in")
    dashboard.wait(lambda d: dashboard.read("#sign-in-error"), "the refusal")

    assert dashboard.read("#sign-in-error") == "That key was not accepted."
    assert dashboard.storage()["session"] == {}
    assert dashboard.find("#operator").is_displayed() is False


def test_a_key_stays_in_the_tab_and_never_in_the_url_or_local_storage(
    dashboard: Dashboard, scene: Scene, live_server: str,
) -> None:
    key = scene.users["analyst"]["api_key"]
    dashboard.sign_in(key, "analyst")
    stored = dashboard.storage()

    assert list(stored["session"].values()) == [key]
    assert stored["local"] == {}
    assert stored["url"] == f"{live_server}/dashboard"
    assert key not in dashboard.driver.page_source

    dashboard.driver.refresh()  # a reload in the same tab stays signed in
    dashboard.wait_view("analyst")
    dashboard.find("#sign-out").click()
    dashboard.wait_view("sign-in")
    assert dashboard.storage()["session"] == {}


def test_an_affiliate_gets_its_own_page_with_only_its_own_trust_and_reports(
    dashboard: Dashboard, scene: Scene,
) -> None:
    from reconcile.persistence.db import unit_of_work
    from reconcile.persistence.models import User

    aff = scene.users["aff2"]
    dashboard.sign_in(aff["api_key"], "affiliate")
    with unit_of_work() as uow:
        score = uow.session.get(User, aff["id"]).trust_score
    mine = sorted(str(r) for c, r in scene.reports.items() if c.affiliate == "aff2")

    assert dashboard.read("#h-affiliate") == "Your links, posts and reports"
    assert dashboard.fact("score", "#trust-summary") == f"{score:.2f}"
    assert sorted(dashboard.rows("table-my-reports")) == mine
    assert not dashboard.find("#operator").is_displayed()
    assert not dashboard.find("#campaigns").is_displayed()
    dashboard.screenshot("affiliate")


