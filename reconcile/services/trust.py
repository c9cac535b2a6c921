"""Read an affiliate's trust: score, bucket and ledger."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from reconcile.bootstrap import active_rules
from reconcile.errors import NotFound
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import TrustLedger, User
from reconcile.rules import bucket_for
from reconcile.services.principal import Principal


def get_trust(principal: Principal, affiliate_id: int, ledger_limit: int = 100) -> dict[str, Any]:
    if not principal.reads_everything and principal.user_id != affiliate_id:
        raise NotFound("no such affiliate")
    with unit_of_work() as uow:
        user = uow.session.get(User, affiliate_id)
        if user is None or user.role != "AFFILIATE":
            raise NotFound("no such affiliate")
        rows = uow.session.scalars(
            select(TrustLedger).where(TrustLedger.affiliate_id == affiliate_id)
            .order_by(TrustLedger.id.desc()).limit(ledger_limit)
        ).all()
        return {
            "affiliate_id": affiliate_id,
            "score": user.trust_score,
            "bucket": bucket_for(user.trust_score, active_rules().trust),
            "ledger": [
                {"id": r.id, "report_id": r.report_id, "event": r.event, "delta": r.delta,
                 "score_after": r.score_after, "rules_version": r.rules_version,
                 "created_at": r.created_at.isoformat()}
                for r in rows
            ],
        }
