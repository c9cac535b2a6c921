"""An affiliate's page: make a tracked link and copy it, submit a post with it and see the
report reconciled, update its numbers, and read the API's own refusal beside the form."""

from __future__ import annotations

from typing import Any

import requests
from selenium.webdriver.support.ui import Select
from sqlalchemy import func, select

from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Post, Report, TrackedLink
from tests.browser.affiliate_scene import Creator, new_creator, show_post, visit
from tests.browser.pages import Dashboard
from tests.conftest import unique_post_url
from tests.integration.tracking_help import drain


def _type(dashboard: Dashboard, values: dict[str, Any]) -> None:
    for css, value in values.items():
        box = dashboard.find(css)
        if box.tag_name == "select":
            Select(box).select_by_value(str(value))
        else:
            box.clear()
            box.send_keys(str(value))


def _make_link(dashboard: Dashboard, creator: Creator, label: str = "bio") -> str:
    _type(dashboard, {"#link-campaign_id": creator.campaign_id, "#link-label": label})
    dashboard.find("#link-form button[type=submit]").click()
    dashboard.wait(lambda d: dashboard.find("#new-link").is_displayed(), "the new link")
    return str(dashboard.find("#new-link").get_attribute("data-code"))


def _wait_report(dashboard: Dashboard, status: str) -> None:
    dashboard.wait(lambda d: dashboard.fact("status", "#report-summary") == status
                   and dashboard.find("#panel-report").get_attribute("data-state") == "ready",
                   f"the report to read {status}")


def test_an_affiliate_makes_a_tracked_link_and_copies_it(
    dashboard: Dashboard, live_server: str,
) -> None:
    from urllib.parse import urlsplit

    creator = new_creator()
    dashboard.driver.execute_cdp_cmd("Browser.grantPermissions", {
        "origin": live_server, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]})
    dashboard.sign_in(creator.affiliate["api_key"], "affiliate")

    code = _make_link(dashboard, creator)
    shown = dashboard.find("#new-link-url").get_attribute("value")
    dashboard.find("#copy-link").click()
    dashboard.wait(lambda d: dashboard.read("#announce") == "Link copied.", "the copy")
    copied = dashboard.driver.execute_async_script(
        "navigator.clipboard.readText().then(arguments[0], (e) => arguments[0]('! ' + e))")

    with unit_of_work() as uow:
        link = uow.session.scalars(select(TrackedLink).where(TrackedLink.code == code)).one()
        assert (link.affiliate_id, link.campaign_id, link.label) == (
            creator.affiliate["id"], creator.campaign_id, "bio")
    assert urlsplit(shown).path == f"/r/{code}"
    assert copied == shown
    dashboard.wait(lambda d: code in dashboard.rows("table-my-links"), "the links table")
    assert dashboard.cell("table-my-links", code, "post") == "not used yet"
    assert dashboard.cell("table-my-links", code, "clicks") == "0"
    # The new link is the one the submit form offers first.
    assert Select(dashboard.find("#submit-link_code")).first_selected_option.get_attribute(
        "value") == code


def test_an_affiliate_submits_a_post_with_its_link_and_sees_the_report_reconciled(
    dashboard: Dashboard, live_server: str, simulator: str,
) -> None:
    from reconcile.services.principal import SYSTEM
    from reconcile.services.reconciliation.attempts import Job, run_attempts
    from reconcile.services.tracking.postbacks import Postback, record_postback

    creator = new_creator()
    dashboard.sign_in(creator.affiliate["api_key"], "affiliate")
    code = _make_link(dashboard, creator)
    clicks = [visit(live_server, code, visitor) for visitor in range(3)]
    visit(live_server, code, 0)  # the first visitor again: a repeat, filtered
    assert drain() >= 4
    record_postback(SYSTEM, Postback(clicks[1], "order-1", 2500, "EUR"))
    url = unique_post_url("youtube")
    show_post(simulator, "youtube", url, 1000)

    _type(dashboard, {"#submit-campaign_id": creator.campaign_id, "#submit-platform": "youtube",
                      "#submit-url": url, "#submit-link_code": code,
                      "#submit-claimed_views": 1000, "#submit-claimed_clicks": 3,
                      "#submit-claimed_conversions": 1})
    dashboard.find("#submit-form button[type=submit]").click()
    dashboard.wait(lambda d: (dashboard.read("#submit-done") or "").startswith("Post submitted"),
                   "the submission")
    _wait_report(dashboard, "PENDING")
    report_id = int(dashboard.find("#panel-report").get_attribute("data-report"))
    assert dashboard.read("#submit-done") == f"Post submitted: report #{report_id} (PENDING)."

    run_attempts([Job(report_id, 1)])  # what a worker does with the queued job
    dashboard.find("#refresh").click()
    _wait_report(dashboard, "MATCHED")

    assert dashboard.cell("table-report-metrics", "clicks", "verified") == "3"
    assert dashboard.cell("table-report-metrics", "clicks", "source") == (
        "tracked (your tracked link)")
    assert dashboard.cell("table-report-metrics", "conversions", "verified") == "1"
    assert dashboard.cell("table-report-metrics", "conversions", "source") == (
        "postback (the advertiser's postbacks)")
    assert dashboard.cell("table-report-metrics", "views", "verified") == "1,000"
    assert dashboard.cell("table-report-metrics", "views", "source") == (
        "platform (the platform)")
    assert dashboard.rows("table-report-flags") == []  # no unverifiable_claim: all measured
    dashboard.wait(lambda d: dashboard.cell("table-my-reports", report_id, "status") == "MATCHED",
                   "the reports table")
    dashboard.wait(lambda d: dashboard.cell("table-my-links", code, "clicks") == "3",
                   "the link's counted clicks")
    with unit_of_work() as uow:
        post_id = uow.session.scalar(select(Report.post_id).where(Report.id == report_id))
        link_post = uow.session.scalar(select(TrackedLink.post_id).where(TrackedLink.code == code))
    assert link_post == post_id
    dashboard.screenshot("affiliate-report")


def test_an_affiliate_updates_a_posts_numbers_from_its_report(
    dashboard: Dashboard, simulator: str,
) -> None:
    from reconcile.services.reconciliation.attempts import Job, run_attempts
    from tests.integration.apihelp import submit_as

    creator = new_creator()
    url = unique_post_url("tiktok")
    show_post(simulator, "tiktok", url, 800)
    # Clicks claimed on a post without a tracked link: nothing can verify them.
    first = submit_as(creator.affiliate, creator.campaign_id, "tiktok", url, (800, 5, 0))
    run_attempts([Job(int(first["report_id"]), 1)])
    dashboard.sign_in(creator.affiliate["api_key"], "affiliate")

    dashboard.find(f'#table-my-reports button[data-report="{first["report_id"]}"]').click()
    _wait_report(dashboard, "MATCHED")
    assert dashboard.cell("table-report-metrics", "views", "verified") == "800"
    assert dashboard.cell("table-report-metrics", "clicks", "verified") == "not verifiable"
    assert dashboard.cell("table-report-metrics", "clicks", "source") == "none (unverifiable)"
    assert dashboard.rows("table-report-flags") == ["unverifiable_claim"]
    assert dashboard.cell("table-report-flags", "unverifiable_claim", "severity") == "LOW"
    assert dashboard.find("#update-claimed_views").get_attribute("value") == "800"
    _type(dashboard, {"#update-claimed_views": 1200})
    dashboard.find("#update-form button[type=submit]").click()
    dashboard.wait(lambda d: (dashboard.read("#update-done") or "").startswith("Numbers updated"),
                   "the update")

    with unit_of_work() as uow:
        newest = uow.session.scalars(select(Report).where(Report.post_id == first["post_id"])
                                     .order_by(Report.id.desc())).first()
        claimed = (newest.id, newest.claimed_views, newest.claimed_clicks)
    assert claimed[0] != first["report_id"] and claimed[1:] == (1200, 5)
    assert dashboard.read("#update-done") == f"Numbers updated: new report #{claimed[0]} (PENDING)."
    _wait_report(dashboard, "PENDING")
    assert dashboard.cell("table-report-metrics", "views", "claimed") == "1,200"
    dashboard.wait(lambda d: str(claimed[0]) in dashboard.rows("table-my-reports"),
                   "the new report in the table")

    run_attempts([Job(claimed[0], 1)])
    dashboard.find("#refresh").click()
    dashboard.wait(lambda d: dashboard.fact("status", "#report-summary") not in (None, "PENDING"),
                   "the new report reconciled")
    assert dashboard.fact("status", "#report-summary") == "AFFILIATE_OVERCLAIMED"  # +50 %


def test_the_apis_refusal_is_shown_beside_the_form_and_the_input_kept(
    dashboard: Dashboard, live_server: str,
) -> None:
    creator = new_creator()
    key = creator.affiliate["api_key"]
    wrong_host = unique_post_url("tiktok")  # not a YouTube address
    typed = {"#submit-campaign_id": creator.campaign_id, "#submit-platform": "youtube",
             "#submit-url": wrong_host, "#submit-claimed_views": 1000,
             "#submit-claimed_clicks": "lots", "#submit-claimed_conversions": 0}
    expected = requests.post(f"{live_server}/api/v1/submissions", timeout=5,
                             headers={"Authorization": f"Bearer {key}"},
                             json={"campaign_id": creator.campaign_id, "platform": "youtube",
                                   "url": wrong_host, "claimed_views": 1000,
                                   "claimed_clicks": "lots", "claimed_conversions": 0})
    assert expected.status_code == 422
    problem = expected.json()
    dashboard.sign_in(key, "affiliate")

    _type(dashboard, typed)
    dashboard.find("#submit-form button[type=submit]").click()
    dashboard.wait(lambda d: dashboard.find("#submit-problem").is_displayed(), "the problem")

    assert dashboard.read("#submit-problem .problem-title") == problem["title"]
    assert dashboard.read("#submit-problem .problem-detail") == problem["detail"]
    assert dashboard.find("#submit-problem").get_attribute("data-code") == "VALIDATION_ERROR"
    listed = [e.get_attribute("data-field")
              for e in dashboard.find_all("#submit-problem .problem-errors li")]
    assert listed == [e["field"] for e in problem["errors"]]
    assert dashboard.find("#submit-claimed_clicks").get_attribute("aria-invalid") == "true"
    for css, value in typed.items():
        assert dashboard.find(css).get_attribute("value") == str(value), css
    assert dashboard.read("#submit-done") == ""
    with unit_of_work() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Post).where(
            Post.affiliate_id == creator.affiliate["id"])) == 0

    # Mended, the body passes the schema and meets the service's own check of the URL.
    _type(dashboard, {"#submit-claimed_clicks": 5})
    again = requests.post(f"{live_server}/api/v1/submissions", timeout=5,
                          headers={"Authorization": f"Bearer {key}"},
                          json={"campaign_id": creator.campaign_id, "platform": "youtube",
                                "url": wrong_host, "claimed_views": 1000,
                                "claimed_clicks": 5, "claimed_conversions": 0}).json()
    dashboard.find("#submit-form button[type=submit]").click()
    dashboard.wait(lambda d: dashboard.read("#submit-problem .problem-detail") == again["detail"],
                   "the second problem")
    assert again["status"] == 422 and "url" in [e["field"] for e in again.get("errors", [])]
    assert dashboard.find("#submit-claimed_clicks").get_attribute("aria-invalid") is None
    assert dashboard.find("#submit-url").get_attribute("aria-invalid") == "true"

    # A link for a campaign with nowhere to land: the API's 422, in the link form's box.
    bare = new_creator(landing_url=None)
    _type(dashboard, {"#link-campaign_id": bare.campaign_id})
    dashboard.find("#link-form button[type=submit]").click()
    dashboard.wait(lambda d: dashboard.find("#link-problem").is_displayed(), "the link problem")
    assert "no landing_url" in (dashboard.read("#link-problem .problem-detail") or "")
    assert not dashboard.find("#new-link").is_displayed()
    dashboard.screenshot("affiliate-refused")
