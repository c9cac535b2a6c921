"""Deliver the digests of folded alerts once their window ends; resend lost deliveries."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import String, cast, select, update

from reconcile.config import load_settings
from reconcile.dispatch import get_dispatcher
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Alert
from reconcile.services.alerts.deliver import entry, save_deliveries
from reconcile.services.alerts.messages import digest_message
from reconcile.services.alerts.view import alert_fields
from reconcile.vocabulary import Severity, values
from reconcile.webhooks import post, webhook_id

log = logging.getLogger("reconcile.alerts")

SEVERITIES = values(Severity)
# A digest no webhook would take for this long is given up (and says so on its alerts).
GIVE_UP_AFTER = timedelta(hours=24)
# An alert with no delivery record this long after it was created has lost its job.
RESEND_AFTER = timedelta(minutes=2)


def flush_digests(now: datetime | None = None, limit: int = 5000) -> int:
    """Deliver every digest whose window has ended; return how many were sent."""
    now = now or datetime.now(UTC)
    settings = load_settings()
    with unit_of_work() as uow:
        rows = uow.session.scalars(
            select(Alert).where(Alert.digest_due_at <= now).order_by(Alert.id).limit(limit)
        ).all()
        alerts = [(alert_fields(a), list(a.deliveries or [])) for a in rows]
    if not alerts:
        return 0
    if not settings.alert_webhook_urls:  # nowhere to send them: they are done waiting
        _finish([f["id"] for f, _ in alerts])
        return 0
    windows: dict[str, list[tuple[dict[str, Any], list[dict[str, Any]]]]] = defaultdict(list)
    for fields, entries in alerts:
        window = entries[0].get("digest_due_at") if entries else None
        windows[str(window or now.isoformat())].append((fields, entries))
    sent, finished = 0, []
    for window, members in windows.items():
        sent += _send(window, members, settings.alert_webhook_urls,
                      settings.alert_webhook_secret)
        too_old = now - datetime.fromisoformat(window) > GIVE_UP_AFTER
        for fields, entries in members:
            if too_old or all(e["status"] == "digested" for e in entries):
                finished.append(fields["id"])
    _finish(finished)
    return sent


def _finish(alert_ids: list[int]) -> None:
    """Stop waiting for these alerts' digest (sent, or given up)."""
    if alert_ids:
        with unit_of_work() as uow:
            uow.session.execute(update(Alert).where(Alert.id.in_(alert_ids))
                                .values(digest_due_at=None))


def _send(window: str, members: list[tuple[dict[str, Any], list[dict[str, Any]]]],
          urls: tuple[str, ...], secret: str | None) -> int:
    groups: dict[tuple[str, Any], list[dict[str, Any]]] = defaultdict(list)
    for fields, _ in members:
        groups[(fields["type"], fields["affiliate_id"])].append(fields)
    message = digest_message(window, [
        {"type": t, "affiliate_id": aff, "count": len(items),
         "alert_ids": sorted(i["id"] for i in items),
         "max_severity": max((i["severity"] for i in items), key=_rank)}
        for (t, aff), items in sorted(groups.items(), key=lambda kv: str(kv[0]))
    ])
    sent = 0
    for url in urls:
        wid = webhook_id(url)
        if all(_status(entries, wid) == "digested" for _, entries in members):
            continue
        got = post(url, message, secret=secret, delivery_id=f"digest-{window}")
        sent += got.ok
        now = datetime.now(UTC).isoformat()
        for _, entries in members:
            prev = next((e for e in entries if e["webhook_id"] == wid), None)
            attempts = (prev["attempts"] if prev else 0) + 1
            new = (entry(url, "digested", attempts, delivered_at=now, digest_due_at=window)
                   if got.ok else
                   entry(url, "folded", attempts, last_error=got.error, digest_due_at=window))
            entries[:] = [e for e in entries if e["webhook_id"] != wid] + [new]
    for fields, entries in members:
        save_deliveries(fields["id"], entries)
    return sent


def _status(entries: list[dict[str, Any]], wid: str) -> str | None:
    return next((e["status"] for e in entries if e["webhook_id"] == wid), None)


def _rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else -1


def resend_undelivered(now: datetime | None = None, limit: int = 500) -> int:
    """Dispatch delivery again for recent alerts that have no delivery record at all."""
    if not load_settings().alert_webhook_urls:
        return 0
    now = now or datetime.now(UTC)
    with unit_of_work() as uow:
        ids = uow.session.scalars(
            select(Alert.id).where(
                Alert.created_at >= now - GIVE_UP_AFTER, Alert.created_at <= now - RESEND_AFTER,
                cast(Alert.deliveries, String) == "[]",
            ).order_by(Alert.id).limit(limit)
        ).all()
    dispatcher = get_dispatcher()
    sent = sum(dispatcher.deliver_alert(i) for i in ids)
    if ids:
        log.info("Alert sweep resent deliveries", extra={"outcome": f"{sent}/{len(ids)}"})
    return sent
