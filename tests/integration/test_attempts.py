"""Attempts through the service, called directly: idempotency and effects."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import func, select

from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Alert, Attempt, TrustEffect, TrustLedger, User
from reconcile.services.intake.submissions import Claim, submit
from reconcile.services.principal import Principal
from reconcile.services.reconciliation.attempts import Job, run_attempt
from tests.conftest import unique_video_id


def _submitted(world: Any, sim: Any, claim: tuple[int, int, int], truth=(1000, 50, 5)) -> int:
    url = f"https://youtu.be/{unique_video_id()}"
    sim.post("youtube", url, *truth)
    principal = Principal(user_id=world.affiliate["id"], role="AFFILIATE")
    accepted = submit(
        principal, campaign_id=world.campaign_id, platform="youtube", url=url, claim=Claim(*claim)
    )
    return int(accepted["report_id"])


def _count(model: Any, report_id: int) -> int:
    with unit_of_work() as uow:
        return int(
            uow.session.scalar(
                select(func.count()).select_from(model).where(model.report_id == report_id)
            )
        )


def test_submitting_dispatches_attempt_one_after_commit(
    world: Any, sim: Any, dispatched: Any
) -> None:
    report_id = _submitted(world, sim, (1000, 50, 5))

    assert [(r, n) for r, n, _ in dispatched.sent] == [(report_id, 1)]


def test_the_same_attempt_delivered_five_times_concurrently_has_one_effect(
    world: Any, sim: Any, dispatched: Any
) -> None:
    report_id = _submitted(world, sim, (1600, 50, 5))

    with ThreadPoolExecutor(5) as pool:
        results = list(pool.map(lambda _: run_attempt(Job(report_id, 1)), range(5)))

    assert sorted(r for r in results if r) == ["AFFILIATE_OVERCLAIMED"]
    assert _count(Attempt, report_id) == 1
    assert _count(TrustLedger, report_id) == 1
    assert _count(TrustEffect, report_id) == 1
    assert _count(Alert, report_id) == 1
    with unit_of_work() as uow:
        assert uow.session.get(User, world.affiliate["id"]).trust_score == pytest.approx(0.40)


def test_a_stale_or_repeated_job_is_a_no_op(world: Any, sim: Any, dispatched: Any) -> None:
    report_id = _submitted(world, sim, (1000, 50, 5))

    assert run_attempt(Job(report_id, 1)) == "MATCHED"
    assert run_attempt(Job(report_id, 1)) is None
    assert run_attempt(Job(report_id, 1, trigger="retry")) is None
    assert _count(Attempt, report_id) == 1


def test_a_rerun_with_a_changed_outcome_replaces_the_trust_effect(
    world: Any, sim: Any, dispatched: Any
) -> None:
    url_truth = (1000, 50, 5)
    report_id = _submitted(world, sim, (1000, 50, 5), truth=url_truth)
    assert run_attempt(Job(report_id, 1)) == "MATCHED"
    from reconcile.persistence.models import Post, Report

    with unit_of_work() as uow:
        post = uow.session.get(Post, uow.session.get(Report, report_id).post_id)
        url = post.normalized_url
    sim.post("youtube", url, 700, 50, 5)  # the platform now shows fewer views: an over-claim

    assert run_attempt(Job(report_id, 2, trigger="rerun")) == "AFFILIATE_OVERCLAIMED"

    with unit_of_work() as uow:
        ledger = uow.session.scalars(
            select(TrustLedger).where(TrustLedger.report_id == report_id).order_by(TrustLedger.id)
        ).all()
        score = uow.session.get(User, world.affiliate["id"]).trust_score
    assert [row.event for row in ledger] == ["perfect_match", "reversal:perfect_match", "overclaim"]
    assert score == pytest.approx(0.40)
    assert _count(TrustEffect, report_id) == 1
