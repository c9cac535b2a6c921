"""What the post checks do to money (truth.md, "The post itself"; earnings.md): a
stranger's post holds its earnings, a takedown in the live period reverses them once, and
a rate card's live_days sets the live period."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import EarningEntry, PostEarning, ReconciliationLog, Report
from reconcile.services.earnings.cards import CardChange, put_rate_card
from reconcile.services.earnings.holds import hold_reasons
from reconcile.services.principal import SYSTEM
from reconcile.services.reconciliation.attempts import Job, run_attempt, run_attempts
from reconcile.services.reconciliation.reverify import reverify
from tests.integration.flows import alerts, post_url, submit_claim
from tests.integration.post_help import campaign, verified_handle

TRUTH = (10_000, 0, 0)


def _card(campaign_id: int, live_days: int = 30) -> None:
    # 10,000 views at 2.00 per 1,000: 2,000 cents a post, pending until approved.
    put_rate_card(SYSTEM, campaign_id, CardChange(currency="EUR", cpm_minor=200,
                                                  validation_days=0, live_days=live_days))


def _post_money(report: int) -> dict[str, int]:
    with unit_of_work() as uow:
        post = uow.session.scalar(select(Report.post_id).where(Report.id == report))
        rows = uow.session.execute(
            select(EarningEntry.status, func.sum(EarningEntry.amount_minor))
            .where(EarningEntry.post_id == post).group_by(EarningEntry.status)).all()
    return {status: int(total) for status, total in rows if int(total)}


def test_a_strangers_post_earns_held_and_its_owners_own_post_does_not(
        world: Any, sim: Any, dispatched: Any) -> None:
    terms = campaign(world, require_handle=False)
    _card(terms)
    owner, stranger = world.new_affiliate(), world.new_affiliate()
    handle = verified_handle(owner, "youtube")
    stolen, own = post_url("youtube"), post_url("youtube")
    for url in (stolen, own):
        sim.post("youtube", url, 10_000, author=handle, likes=500, comments=50)

    taken = submit_claim(world, stranger, "youtube", stolen, TRUTH, campaign_id=terms)
    mine = submit_claim(world, owner, "youtube", own, TRUTH, campaign_id=terms)
    assert run_attempt(Job(taken, 1)) == run_attempt(Job(mine, 1)) == "MATCHED"

    assert _post_money(taken) == {"held": 2000}
    assert _post_money(mine) == {"pending": 2000}


def test_a_takedown_in_the_live_period_reverses_the_posts_earnings_once(
        world: Any, sim: Any, dispatched: Any) -> None:
    terms = campaign(world, require_handle=False)
    _card(terms, live_days=7)
    affiliate = world.new_affiliate()
    url = post_url("youtube")
    sim.post("youtube", url, 10_000, likes=500, comments=50)
    report = submit_claim(world, affiliate, "youtube", url, TRUTH, campaign_id=terms)
    assert run_attempt(Job(report, 1)) == "MATCHED"
    assert _post_money(report) == {"pending": 2000}

    sim.post("youtube", url, 10_000, removed=True)
    run_attempt(Job(report, 2, trigger="reverify"))
    run_attempt(Job(report, 3, trigger="reverify"))

    assert [a.type for a in alerts(report)] == ["POST_REMOVED"]
    assert alerts(report)[0].threshold_breached["live_days"] == 7
    assert sum(_post_money(report).values()) == 0


def test_the_rate_cards_live_days_bound_the_live_period(
        world: Any, sim: Any, dispatched: Any) -> None:
    short = campaign(world, require_handle=False)
    _card(short, live_days=7)
    affiliate = world.new_affiliate()
    url = post_url("reddit")
    sim.post("reddit", url, 10_000, likes=500, comments=50)
    report = submit_claim(world, affiliate, "reddit", url, TRUTH, campaign_id=short)
    assert run_attempt(Job(report, 1)) == "MATCHED"
    now = datetime.now(UTC)
    with unit_of_work() as uow:  # submitted and verified 8 days ago, visited two days ago
        uow.session.execute(update(Report).where(Report.id == report)
                            .values(submitted_at=now - timedelta(days=8)))
        uow.session.execute(update(ReconciliationLog)
                            .where(ReconciliationLog.report_id == report)
                            .values(verified_at=now - timedelta(days=8),
                                    last_attempt_at=now - timedelta(days=2)))
    dispatched.sent.clear()
    reverify()
    assert report not in {r for r, _, kw in dispatched.sent if kw["trigger"] == "reverify"}

    # The same post taken down now: outside its 7 days, nothing is raised or reversed.
    sim.post("reddit", url, 10_000, removed=True)
    run_attempt(Job(report, 2, trigger="rerun"))
    assert alerts(report) == []
    assert _post_money(report) == {"pending": 2000}


def test_a_batchs_alerts_hold_its_affiliates_posts_as_a_fresh_count_does(
        world: Any, sim: Any, dispatched: Any) -> None:
    """A batch tells the holds of its alerts once, at its end (alerts.hooks.told_together).
    Its posts are in a campaign without a rate card, so they settle nothing: only the
    alerts can hold the affiliate's earning posts elsewhere. Each is held as working its
    holds out afresh says; another affiliate's are not."""
    earning, unpaid = campaign(world, require_handle=False), campaign(world, require_handle=False)
    _card(earning)
    cheat, honest = world.new_affiliate(), world.new_affiliate()

    def claim(affiliate: dict[str, Any], views: int, terms: int) -> int:
        url = post_url("youtube")
        sim.post("youtube", url, 10_000, likes=500, comments=50)
        return submit_claim(world, affiliate, "youtube", url, (views, 0, 0), campaign_id=terms)

    earlier = [claim(cheat, 10_000, earning), claim(cheat, 10_000, earning),
               claim(honest, 10_000, earning)]
    assert [run_attempt(Job(r, 1)) for r in earlier] == ["MATCHED"] * 3
    assert [_post_money(r) for r in earlier] == [{"pending": 2000}] * 3
    batch = [claim(cheat, 16_000, unpaid), claim(honest, 10_000, unpaid),
             claim(cheat, 16_000, unpaid)]

    run_attempts([Job(r, 1) for r in batch])

    assert [bool(alerts(r)) for r in batch] == [True, False, True]
    assert [_post_money(r) for r in earlier] == [{"held": 2000}] * 2 + [{"pending": 2000}]
    with unit_of_work() as uow:
        stored = dict(uow.session.execute(
            select(PostEarning.post_id, PostEarning.hold_reasons).join(
                Report, Report.post_id == PostEarning.post_id)
            .where(Report.id.in_(earlier))).all())
        assert {p: list(why or []) for p, why in stored.items()} == hold_reasons(
            uow.session, stored)
