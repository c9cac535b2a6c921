"""An alert as it leaves the system: one serialiser for the API, webhooks and digests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from reconcile.persistence.models import Alert


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def alert_fields(a: Alert) -> dict[str, Any]:
    """The alert as a webhook carries it: everything but its delivery records and rule."""
    return {
        "id": a.id, "type": a.type, "category": a.category, "severity": a.severity,
        "status": a.status, "title": a.title, "message": a.message,
        "affiliate_id": a.affiliate_id, "platform": a.platform, "report_id": a.report_id,
        "threshold_breached": a.threshold_breached or {}, "created_at": _iso(a.created_at),
        "resolved_at": _iso(a.resolved_at), "resolved_by": a.resolved_by,
        "resolution_note": a.resolution_note,
    }


def alert_view(a: Alert) -> dict[str, Any]:
    """The alert as the API shows it: its fields, delivery records and the rule that fired."""
    return {**alert_fields(a), "deliveries": a.deliveries or [], "rule": a.rule}
