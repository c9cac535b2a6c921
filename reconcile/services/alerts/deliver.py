"""Deliver one alert to every webhook, at most once per webhook, inside the storm cap.

Storm cap: per alert type and affiliate (the platform when there is none), only the first
`alerts.max_deliveries_per_window` alerts created in one `alerts.delivery_window_minutes`
window (fixed windows, aligned to the epoch; first by id) are delivered on their own; the
rest are folded into one digest delivered when the window ends (see alert_digest).

Every piece of delivery state is in PostgreSQL: the records on the alert, its place in its
window (counted from the alerts themselves) and when its digest is due (`digest_due_at`,
written with the folded mark). Redis holds only the per-alert lock that keeps two
deliveries of one alert apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from reconcile.bootstrap import active_rules
from reconcile.config import load_settings
from reconcile.locks import held
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Alert
from reconcile.services.alerts.messages import alert_message
from reconcile.services.alerts.view import alert_fields
from reconcile.webhooks import post, redact, webhook_id


@dataclass(frozen=True)
class Delivery:
    """unconfigured, missing, busy, folded, delivered or failed; retry: worth another try."""

    outcome: str
    retry: bool = False


def window_end(created_at: datetime, minutes: int) -> datetime:
    """Return the end of the fixed storm window an alert created at created_at falls in."""
    size = minutes * 60
    return datetime.fromtimestamp((int(created_at.timestamp()) // size + 1) * size, UTC)


def entry(url: str, status: str, attempts: int, **extra: Any) -> dict[str, Any]:
    """Build one delivery record (the URL itself never leaves this process)."""
    return {"url": redact(url), "webhook_id": webhook_id(url), "status": status,
            "attempts": attempts, **extra}


_KEEP: Any = object()


def save_deliveries(alert_id: int, entries: list[dict[str, Any]],
                    digest_due_at: datetime | None | Any = _KEEP) -> None:
    """Store the alert's delivery records (and, if given, when its digest is due)."""
    with unit_of_work() as uow:
        alert = uow.session.get(Alert, alert_id)
        if alert is not None:
            alert.deliveries = entries
            if digest_due_at is not _KEEP:
                alert.digest_due_at = digest_due_at


def deliver(alert_id: int, *, final: bool = False) -> Delivery:
    """Deliver the alert to each configured webhook that has not had it yet."""
    settings = load_settings()
    urls = settings.alert_webhook_urls
    if not urls:
        return Delivery("unconfigured")
    # One delivery of an alert at a time: a resend racing a retry must not post twice.
    with held(f"alert-delivery:{alert_id}", ttl_seconds=30 + 10 * len(urls)) as mine:
        if not mine:
            return Delivery("busy")
        return _deliver(alert_id, urls, settings.alert_webhook_secret, final)


def _deliver(alert_id: int, urls: tuple[str, ...], secret: str | None, final: bool) -> Delivery:
    with unit_of_work() as uow:
        alert = uow.session.get(Alert, alert_id)
        if alert is None:
            return Delivery("missing")
        fields = alert_fields(alert)
        done = {d["webhook_id"]: d for d in alert.deliveries or []}
        over_cap = not done and _place_in_window(uow.session, alert) > \
            active_rules().alerts.max_deliveries_per_window
    if any(d["status"] in ("folded", "digested") for d in done.values()):
        return Delivery("folded")
    if over_cap:
        due = window_end(datetime.fromisoformat(fields["created_at"]),
                         active_rules().alerts.delivery_window_minutes)
        # The folded mark and the digest's due time commit together: the digest sweep
        # finds every folded alert in the database.
        save_deliveries(alert_id, [entry(u, "folded", 0, digest_due_at=due.isoformat())
                                   for u in urls], digest_due_at=due)
        return Delivery("folded")
    retry = False
    for url in urls:
        prev = done.get(webhook_id(url))
        if prev is not None and prev["status"] == "delivered":
            continue
        got = post(url, alert_message(fields), secret=secret, delivery_id=f"alert-{alert_id}")
        now = datetime.now(UTC).isoformat()
        attempts = (prev["attempts"] if prev else 0) + 1
        done[webhook_id(url)] = (
            entry(url, "delivered", attempts, http_status=got.http_status, delivered_at=now)
            if got.ok else
            entry(url, "failed", attempts, http_status=got.http_status, last_error=got.error,
                  last_attempt_at=now, retrying=got.retryable and not final)
        )
        retry = retry or (got.retryable and not final)
    save_deliveries(alert_id, list(done.values()))
    ok = all(done[webhook_id(u)]["status"] == "delivered" for u in urls)
    return Delivery("delivered" if ok else "failed", retry=retry)


def _place_in_window(session: Any, alert: Alert) -> int:
    """The alert's place among its type's alerts about the same affiliate (or platform) in
    its storm window, first by id: the same on every retry, and with no state of its own."""
    minutes = active_rules().alerts.delivery_window_minutes
    end = window_end(alert.created_at, minutes)
    q = (select(func.count()).select_from(Alert)
         .where(Alert.type == alert.type, Alert.id <= alert.id,
                Alert.created_at >= end - timedelta(minutes=minutes), Alert.created_at < end))
    q = (q.where(Alert.affiliate_id == alert.affiliate_id) if alert.affiliate_id is not None
         else q.where(Alert.affiliate_id.is_(None), Alert.platform == alert.platform))
    return int(session.scalar(q) or 0)
