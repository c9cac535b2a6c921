"""The post itself on real attempts (truth.md; docs/fraud.md): ownership and eligibility
flags re-decided on every attempt that sees the post, with their alerts, and never a
change of reconciliation status."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from reconcile.services.reconciliation.attempts import Job, run_attempt
from tests.integration.flows import alerts, log_of, post_url, submit_claim, trust
from tests.integration.post_help import campaign, flags_of, verified_handle

TRUTH = (1000, 0, 0)
POST_FLAGS = {"not_owner", "owner_unverified", "outside_campaign_window",
              "missing_disclosure"}


def _post_flags(report_id: int) -> dict[str, str]:
    return {k: v for k, v in flags_of(report_id).items() if k in POST_FLAGS}


def test_a_strangers_post_with_honest_numbers_is_matched_but_not_owned(
        world: Any, sim: Any, dispatched: Any) -> None:
    owner, stranger = world.new_affiliate(), world.new_affiliate()
    handle = verified_handle(owner, "youtube")
    url = post_url("youtube")
    sim.post("youtube", url, 1000, author=handle, likes=50, comments=5)

    report = submit_claim(world, stranger, "youtube", url, TRUTH)
    assert run_attempt(Job(report, 1)) == "MATCHED"

    assert _post_flags(report) == {"not_owner": "HIGH"}
    [alert] = [a for a in alerts(report) if a.rule == "R8"]
    assert (alert.type, alert.category, alert.severity) == ("SUSPICIOUS_CLAIM", "FRAUD", "HIGH")
    assert alert.threshold_breached == {"author": handle, "verified_handles": []}
    # The numbers are honest: the status and the trust effect say so.
    assert log_of(report).status == "MATCHED"
    assert trust(stranger["id"]) == 0.51


def test_an_own_post_from_a_verified_handle_carries_no_ownership_flag(
        world: Any, sim: Any, dispatched: Any) -> None:
    affiliate = world.new_affiliate()
    handle = verified_handle(affiliate, "x")
    url = post_url("x")
    sim.post("x", url, 1000, author=handle.upper())
    report = submit_claim(world, affiliate, "x", url, TRUTH)
    assert run_attempt(Job(report, 1)) == "MATCHED"
    assert _post_flags(report) == {}
    assert alerts(report) == []


def test_a_post_of_another_author_than_the_verified_handle_is_not_owned(
        world: Any, sim: Any, dispatched: Any) -> None:
    affiliate = world.new_affiliate()
    verified_handle(affiliate, "reddit")
    url = post_url("reddit")
    sim.post("reddit", url, 1000, author="somebody_else")
    report = submit_claim(world, affiliate, "reddit", url, TRUTH)
    assert run_attempt(Job(report, 1)) == "MATCHED"
    assert _post_flags(report) == {"not_owner": "HIGH"}


def test_no_verified_handle_where_the_campaign_requires_one_is_only_unproven(
        world: Any, sim: Any, dispatched: Any) -> None:
    affiliate = world.new_affiliate()
    url = post_url("tiktok")
    sim.post("tiktok", url, 1000, author="whoever")
    report = submit_claim(world, affiliate, "tiktok", url, TRUTH)
    assert run_attempt(Job(report, 1)) == "MATCHED"
    assert _post_flags(report) == {"owner_unverified": "LOW"}
    assert alerts(report) == []

    relaxed = campaign(world, require_handle=False)
    url = post_url("tiktok")
    sim.post("tiktok", url, 1000, author="whoever")
    report = submit_claim(world, affiliate, "tiktok", url, TRUTH, campaign_id=relaxed)
    assert run_attempt(Job(report, 1)) == "MATCHED"
    assert _post_flags(report) == {}


def test_window_and_disclosure_are_re_decided_on_every_attempt_that_sees_the_post(
        world: Any, sim: Any, dispatched: Any) -> None:
    today = datetime.now(UTC).date()
    terms = campaign(world, start=today, tags=["#ad"], require_handle=False)
    affiliate = world.new_affiliate()
    url = post_url("instagram")
    start = datetime(today.year, today.month, today.day, tzinfo=UTC)
    # Published one minute before the campaign starts, tagged #adidas rather than #ad.
    sim.post("instagram", url, 1000, published_at=(start - timedelta(minutes=1)).isoformat(),
             caption="New drop #adidas")
    report = submit_claim(world, affiliate, "instagram", url, TRUTH, campaign_id=terms)
    assert run_attempt(Job(report, 1)) == "MATCHED"
    assert _post_flags(report) == {"outside_campaign_window": "MEDIUM",
                                   "missing_disclosure": "MEDIUM"}

    # The caption is fixed; the platform's time stays: one flag goes, one stays.
    sim.post("instagram", url, 1000, published_at=(start - timedelta(minutes=1)).isoformat(),
             caption="New drop #AD")
    assert run_attempt(Job(report, 2, trigger="rerun")) == "MATCHED"
    assert _post_flags(report) == {"outside_campaign_window": "MEDIUM"}
    assert log_of(report).status == "MATCHED"


def test_an_attempt_that_does_not_see_the_post_keeps_its_flags(
        world: Any, sim: Any, dispatched: Any) -> None:
    affiliate = world.new_affiliate()
    url = post_url("youtube")
    sim.post("youtube", url, 1000, author="a_stranger")
    report = submit_claim(world, affiliate, "youtube", url, TRUTH)
    assert run_attempt(Job(report, 1)) == "MATCHED"
    sim.fault("youtube", "error")
    try:
        run_attempt(Job(report, 2, trigger="rerun"))
    finally:
        sim.fault("youtube", "none")
    assert _post_flags(report) == {"owner_unverified": "LOW"}


def test_a_youtube_video_names_its_channel_by_the_title_read_at_verification(
        world: Any, sim: Any, dispatched: Any) -> None:
    owner, stranger = world.new_affiliate(), world.new_affiliate()
    title = f"Ben Reviews {owner['id']}"
    verified_handle(owner, "youtube", name=title)
    mine, theirs = post_url("youtube"), post_url("youtube")
    sim.post("youtube", mine, 1000, author=title)
    sim.post("youtube", theirs, 1000, author=title.upper())

    own = submit_claim(world, owner, "youtube", mine, TRUTH)
    taken = submit_claim(world, stranger, "youtube", theirs, TRUTH)
    assert run_attempt(Job(own, 1)) == run_attempt(Job(taken, 1)) == "MATCHED"

    assert _post_flags(own) == {}
    assert _post_flags(taken) == {"not_owner": "HIGH"}
