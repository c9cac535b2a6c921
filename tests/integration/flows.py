"""Helpers for the domain-flow tests: submit through the service, read the outcome rows."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import (
    Alert,
    Attempt,
    ReconciliationLog,
    TrustLedger,
    User,
)
from reconcile.services.intake.submissions import Claim, submit
from reconcile.services.principal import Principal
from tests.conftest import unique_post_url, wait_for

post_url = unique_post_url


def submit_claim(world: Any, affiliate: dict[str, Any], platform: str, url: str,
                 claim: tuple[int, int, int], campaign_id: int | None = None) -> int:
    principal = Principal(user_id=affiliate["id"], role="AFFILIATE")
    accepted = submit(principal, campaign_id=campaign_id or world.campaign_id,
                      platform=platform, url=url, claim=Claim(*claim))
    return int(accepted["report_id"])


def attempts(report_id: int) -> list[Attempt]:
    with unit_of_work() as uow:
        return list(uow.session.scalars(
            select(Attempt).where(Attempt.report_id == report_id).order_by(Attempt.attempt_number)
        ))


def log_of(report_id: int) -> ReconciliationLog:
    with unit_of_work() as uow:
        return uow.session.scalars(
            select(ReconciliationLog).where(ReconciliationLog.report_id == report_id)
        ).one()


def alerts(report_id: int) -> list[Alert]:
    with unit_of_work() as uow:
        return list(uow.session.scalars(
            select(Alert).where(Alert.report_id == report_id).order_by(Alert.id)
        ))


def ledger(report_id: int) -> list[TrustLedger]:
    with unit_of_work() as uow:
        return list(uow.session.scalars(
            select(TrustLedger).where(TrustLedger.report_id == report_id).order_by(TrustLedger.id)
        ))


def trust(user_id: int) -> float:
    with unit_of_work() as uow:
        return float(uow.session.get(User, user_id).trust_score)


def wait_terminal(report_id: int, timeout: float = 30.0) -> ReconciliationLog:
    """Wait until the report's reconciliation has reached a terminal state."""
    return wait_for(lambda: (lambda r: r if r.is_terminal else None)(log_of(report_id)),
                    timeout, 0.1, what=f"report {report_id} to become terminal")
