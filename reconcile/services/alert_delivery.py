"""Deliver one alert to every webhook, at most once per webhook, inside the storm cap.

Storm cap: per alert type and affiliate (the platform when there is none), only the first
`alerts.max_deliveries_per_window` alerts created in one `alerts.delivery_window_minutes`
window (fixed windows, aligned to the epoch) are delivered on their own; the rest are
folded into one digest delivered when the window ends (see alert_digest).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from reconcile.bootstrap import active_rules
from reconcile.config import load_settings
from reconcile.locks import held, redis_client
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Alert
from reconcile.services.alert_messages import alert_message
from reconcile.services.webhooks import post, redact, webhook_id

DIGEST_KEY = "reconcile:alerts:digest"
_STORM_KEY = "reconcile:alerts:storm:{}:{}:{}"
# The alert's place in its window, fixed the first time it is asked for: retries and
# redeliveries of the same alert never use up the window twice.
_POSITION = """
local seq = redis.call('HGET', KEYS[1], ARGV[1])
if not seq then
  seq = redis.call('HINCRBY', KEYS[1], '#', 1)
  redis.call('HSET', KEYS[1], ARGV[1], seq)
  redis.call('EXPIRE', KEYS[1], ARGV[2])
end
return tonumber(seq)
"""


@dataclass(frozen=True)
class Delivery:
    """unconfigured, missing, busy, folded, delivered or failed; retry: worth another try."""

    outcome: str
    retry: bool = False


def aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)  # SQLite drops the zone


def window_end(created_at: datetime, minutes: int) -> datetime:
    """Return the end of the fixed storm window an alert created at created_at falls in."""
    size = minutes * 60
    return datetime.fromtimestamp((int(aware(created_at).timestamp()) // size + 1) * size, UTC)


def alert_fields(alert: Alert) -> dict[str, Any]:
    """Return the alert as the API shows it, without its delivery records."""
    iso = (lambda v: aware(v).isoformat() if v is not None else None)  # noqa: E731
    return {
        "id": alert.id, "type": alert.type, "category": alert.category,
        "severity": alert.severity, "status": alert.status, "title": alert.title,
        "message": alert.message, "affiliate_id": alert.affiliate_id, "platform": alert.platform,
        "report_id": alert.report_id, "threshold_breached": alert.threshold_breached or {},
        "created_at": iso(alert.created_at), "resolved_at": iso(alert.resolved_at),
        "resolved_by": alert.resolved_by, "resolution_note": alert.resolution_note,
    }


def entry(url: str, status: str, attempts: int, **extra: Any) -> dict[str, Any]:
    """Build one delivery record (the URL itself never leaves this process)."""
    return {"url": redact(url), "webhook_id": webhook_id(url), "status": status,
            "attempts": attempts, **extra}


def save_deliveries(alert_id: int, entries: list[dict[str, Any]]) -> None:
    with unit_of_work() as uow:
        alert = uow.session.get(Alert, alert_id)
        if alert is not None:
            alert.deliveries = entries


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
    if any(d["status"] in ("folded", "digested") for d in done.values()):
        return Delivery("folded")
    if not done and _over_cap(alert_id, fields):
        due = window_end(datetime.fromisoformat(fields["created_at"]),
                         active_rules().alerts.delivery_window_minutes)
        save_deliveries(alert_id, [entry(u, "folded", 0, digest_due_at=due.isoformat())
                                   for u in urls])
        redis_client().zadd(DIGEST_KEY, {str(alert_id): due.timestamp()})
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


def _over_cap(alert_id: int, fields: dict[str, Any]) -> bool:
    rules = active_rules().alerts
    created = datetime.fromisoformat(fields["created_at"])
    end = window_end(created, rules.delivery_window_minutes)
    who = fields["affiliate_id"] if fields["affiliate_id"] is not None else fields["platform"]
    key = _STORM_KEY.format(fields["type"], who, int(end.timestamp()))
    ttl = 2 * rules.delivery_window_minutes * 60
    position = int(cast(Any, redis_client().eval(_POSITION, 1, key, str(alert_id), str(ttl))))
    return position > rules.max_deliveries_per_window
