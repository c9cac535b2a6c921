"""Record a click in Redis on the redirect; write clicks to PostgreSQL in batches.

The redirect makes one Redis call: a script that, for a click not filtered yet, marks the
visitor as seen on that link for the dedupe window (a repeat within it is a `duplicate`),
and appends the click to a stream. Writers read the stream through a consumer group: a
click is acknowledged (and deleted) only after the transaction that wrote it committed, so
a writer killed mid-batch leaves its clicks pending, and the next writer takes them over
once they have been idle `tracking.claim_idle_seconds` (XAUTOCLAIM). Writing is idempotent
on click_id, so a batch written twice counts once.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from reconcile.bootstrap import active_rules
from reconcile.locks import redis_client
from reconcile.observability.store import count, record
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Campaign, Click, TrackedLink, table_of
from reconcile.rules import closed_reason
from reconcile.services.tracking.filters import CAMPAIGN_INACTIVE, DUPLICATE

log = logging.getLogger("reconcile.tracking")

STREAM = "reconcile:clicks"
GROUP = "writers"
SEEN_PREFIX = "reconcile:clicks:seen:"
BATCH = 500

# KEYS: stream, seen-key. ARGV: reason ("" = none yet), dedupe seconds, then the fields.
_RECORD = """
local reason = ARGV[1]
if reason == '' then
  if redis.call('SET', KEYS[2], '1', 'NX', 'EX', tonumber(ARGV[2])) == false then
    reason = 'duplicate'
  end
end
redis.call('XADD', KEYS[1], '*', 'reason', reason, unpack(ARGV, 3))
return reason
"""

_lost_unreported = 0  # clicks lost while Redis was down, counted once it answers again


@dataclass(frozen=True)
class ClickSeen:
    click_id: str
    code: str
    visitor_hash: str
    user_agent: str | None
    reason: str | None  # head_request or bot, from the request itself
    at: datetime


def record_click(click: ClickSeen) -> str | None:
    """Keep the click in Redis; return its filter reason. Never raises: when Redis does not
    answer the click is lost (logged and counted), and the caller still redirects."""
    global _lost_unreported
    seen = f"{SEEN_PREFIX}{click.code}:{click.visitor_hash}:{hash_agent(click.user_agent)}"
    fields = ["click_id", click.click_id, "code", click.code, "vh", click.visitor_hash,
              "ua", click.user_agent or "", "at", click.at.isoformat()]
    dedupe = active_rules().tracking.dedupe_minutes * 60
    try:
        reason = _script(redis_client())(keys=[STREAM, seen],
                                         args=[click.reason or "", str(dedupe), *fields])
    except redis.RedisError as exc:
        _lost_unreported += 1
        log.error("Click lost: Redis did not answer; the visitor was redirected",
                  extra={"click_id": click.click_id, "link_code": click.code,
                         "error_code": type(exc).__name__})
        return click.reason
    lost, _lost_unreported = _lost_unreported, 0
    record(count("clicks_lost_total", lost, reason="redis_down") if lost else [])
    text = reason.decode() if isinstance(reason, bytes) else str(reason)
    return text or None


_scripts: dict[int, Any] = {}


def _script(client: redis.Redis) -> Any:
    """The recording script bound to the client: sent by its hash (EVALSHA), its body only
    when Redis does not know it yet (after a restart)."""
    script = _scripts.get(id(client))
    if script is None:
        script = _scripts[id(client)] = client.register_script(_RECORD)
    return script


def hash_agent(user_agent: str | None) -> str:
    return hashlib.sha256((user_agent or "").encode()).hexdigest()[:16]


# --- the writer ----------------------------------------------------------------------------


def consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def _ensure_group(client: redis.Redis) -> None:
    try:
        # From the stream's start: clicks written before the first writer ever ran count too.
        client.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def _decode(entries: Iterable[Any]) -> list[tuple[str, dict[str, str]]]:
    out = []
    for entry_id, fields in entries:
        if fields is None:  # deleted meanwhile
            continue
        out.append((entry_id.decode() if isinstance(entry_id, bytes) else entry_id,
                    {k.decode(): v.decode() for k, v in fields.items()}))
    return out


def _take(client: redis.Redis, me: str, batch: int) -> list[tuple[str, dict[str, str]]]:
    """Clicks a dead writer left pending (idle long enough), else new ones."""
    idle_ms = active_rules().tracking.claim_idle_seconds * 1000
    claimed: Any = client.xautoclaim(STREAM, GROUP, me, min_idle_time=idle_ms, start_id="0-0",
                                count=batch)
    entries = _decode(claimed[1])
    if entries:
        return entries
    fresh: Any = client.xreadgroup(GROUP, me, {STREAM: ">"}, count=batch)
    return _decode(fresh[0][1]) if fresh else []


def in_flight() -> bool:
    """Whether some writer holds clicks it has read and not yet written (or died holding
    them: they come back after `claim_idle_seconds`). False when Redis does not answer."""
    try:
        pending: Any = redis_client().xpending(STREAM, GROUP)
    except redis.RedisError:
        return False
    return bool(pending and pending.get("pending"))


def flush_clicks(max_seconds: float = 10.0, batch: int = BATCH,
                 consumer: str | None = None) -> int:
    """Write waiting clicks to the database in batches; return how many entries were done."""
    client = redis_client()
    _ensure_group(client)
    me = consumer or consumer_name()
    done, deadline = 0, time.monotonic() + max_seconds
    while time.monotonic() < deadline:
        entries = _take(client, me, batch)
        if not entries:
            break
        reasons = write_clicks([fields for _, fields in entries])
        ids = [entry_id for entry_id, _ in entries]
        pipe = client.pipeline(transaction=False)
        pipe.xack(STREAM, GROUP, *ids)
        pipe.xdel(STREAM, *ids)
        pipe.execute()
        record(*(count("clicks_recorded_total", outcome="filtered" if r else "counted")
                 + (count("clicks_filtered_total", reason=r) if r else []) for r in reasons))
        done += len(entries)
    return done


def _insert(dialect: str) -> Any:
    table = table_of(Click)
    made = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    return made.on_conflict_do_nothing(index_elements=["click_id"])


def write_clicks(entries: list[dict[str, str]]) -> list[str | None]:
    """Insert the clicks (a click_id already written is left as it is); return the reason of
    each click newly written (None when counted)."""
    if not entries:
        return []
    codes = {e["code"] for e in entries}
    now = datetime.now(UTC)
    with unit_of_work() as uow:
        s = uow.session
        links = {row.code: row for row in s.execute(
            select(TrackedLink.code, TrackedLink.id, Campaign.status, Campaign.start_date,
                   Campaign.end_date).join(Campaign, Campaign.id == TrackedLink.campaign_id)
            .where(TrackedLink.code.in_(codes)))}
        rows, reasons = [], []
        for e in entries:
            link = links.get(e["code"])
            if link is None:  # cannot happen (links are never deleted): skip, never fail
                log.error("Click of an unknown link dropped", extra={"link_code": e["code"]})
                continue
            at = datetime.fromisoformat(e["at"])
            reason = e.get("reason") or None
            if reason in (None, DUPLICATE) and closed_reason(
                    link.status, link.start_date, link.end_date, at.date()) is not None:
                reason = CAMPAIGN_INACTIVE
            rows.append({"click_id": e["click_id"], "link_id": link.id,
                         "visitor_hash": e["vh"], "user_agent": e.get("ua") or None,
                         "counted": reason is None, "filter_reason": reason,
                         "clicked_at": at, "recorded_at": now})
            reasons.append(reason)
        if not rows:
            return []
        dialect = s.get_bind().dialect.name
        result = s.execute(_insert(dialect).returning(table_of(Click).c.click_id), rows)
        written = {r[0] for r in result}
    return [r for row, r in zip(rows, reasons, strict=True) if row["click_id"] in written]
