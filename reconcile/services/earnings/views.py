"""One serialiser per resource: a ledger entry as the API shows it."""

from __future__ import annotations

from typing import Any

from reconcile.persistence.models import EarningEntry


def entry_view(e: EarningEntry) -> dict[str, Any]:
    return {
        "id": e.id, "affiliate_id": e.affiliate_id, "campaign_id": e.campaign_id,
        "post_id": e.post_id, "report_id": e.report_id, "kind": e.kind,
        "amount_minor": e.amount_minor, "currency": e.currency, "status": e.status,
        "reason": e.reason, "rate_card_version": e.rate_card_version,
        "created_at": e.created_at.isoformat(), "approve_after": e.approve_after.isoformat(),
        "payout_id": e.payout_id,
    }
