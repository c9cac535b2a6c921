"""Read an affiliate's trust: score, bucket and ledger.

Who sees what (one rule, also behind campaign analytics' `by_affiliate[].trust_score`):
ADMIN and ANALYST see every affiliate; an AFFILIATE sees itself; a CLIENT sees the
affiliates who posted in its own campaigns, their score and bucket as analytics shows
them, and only the ledger rows of its own campaigns' reports (another advertiser's
business is not its to read). Any other affiliate is 404, never 403: its existence is
not the caller's to learn either.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from reconcile.bootstrap import active_rules
from reconcile.errors import NotFound
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import TrustLedger, User
from reconcile.rules import bucket_for
from reconcile.services.access import may_see_affiliate, visible_ledger
from reconcile.services.principal import Principal
from reconcile.vocabulary import Role


def get_trust(principal: Principal, affiliate_id: int, ledger_limit: int = 100) -> dict[str, Any]:
    with unit_of_work() as uow:
        if not may_see_affiliate(uow.session, principal, affiliate_id):
            raise NotFound("no such affiliate")
        user = uow.session.get(User, affiliate_id)
        if user is None or user.role != Role.AFFILIATE:
            raise NotFound("no such affiliate")
        rows = uow.session.scalars(visible_ledger(
            select(TrustLedger).where(TrustLedger.affiliate_id == affiliate_id), principal)
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
