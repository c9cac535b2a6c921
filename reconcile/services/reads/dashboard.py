"""Read side of the dashboard: who is calling, and the aggregates its charts draw.

Every aggregate is narrowed to what the caller may see (a client: its own campaigns).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, func, select

from reconcile.bootstrap import active_rules
from reconcile.errors import NotFound
from reconcile.persistence import tallies
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Attempt, Post, Report, User
from reconcile.persistence.tallies import EDGES, NO_BIN
from reconcile.rules import bucket_for
from reconcile.rules.trust import BUCKETS
from reconcile.services.access import visible_hours, visible_posts, visible_tallies
from reconcile.services.alerts.manage import TYPES
from reconcile.services.principal import Principal
from reconcile.vocabulary import AlertStatus, Role, Severity, values


def whoami(principal: Principal) -> dict[str, Any]:
    """Return the caller as the dashboard needs it: id, name, role and client."""
    with unit_of_work() as uow:
        user = uow.session.get(User, principal.user_id)
        if user is None:
            raise NotFound("no such user")
        return {"id": user.id, "name": user.name, "role": user.role,
                "client_id": user.client_id}


def _hour(session: Any, column: Any) -> ColumnElement[str]:
    """The UTC hour of a timestamp as text "YYYY-MM-DD HH", in either database's dialect."""
    if session.get_bind().dialect.name == "sqlite":
        return func.strftime("%Y-%m-%d %H", column)
    return func.to_char(func.date_trunc("hour", func.timezone("UTC", column)),
                        "YYYY-MM-DD HH24")


def _attempts(principal: Principal, campaign_id: int | None) -> Select:
    if campaign_id is None and principal.reads_everything:
        return select(Attempt)  # nothing to narrow: the joins would only cost probes
    q = select(Attempt).join(Report, Report.id == Attempt.report_id).join(
        Post, Post.id == Report.post_id)
    q = visible_posts(q, principal)
    return q.where(Post.campaign_id == campaign_id) if campaign_id is not None else q


TIMELINE_HOURS = 168  # the longest window the timeline shows (tallies.HOURS_KEPT keeps more)


def status_timeline(principal: Principal, hours: int = 24, campaign_id: int | None = None,
                    now: datetime | None = None) -> dict[str, Any]:
    """Attempts finished per UTC hour by status over the last `hours` hours, oldest first.

    The whole hours come from the running counts (tallies.HOURS: a row per hour and status,
    however many attempts); only the first hour, which the window starts inside, is counted
    from its attempts, as is everything an affiliate asks about one campaign."""
    now = now or datetime.now(UTC)
    since = now - timedelta(hours=hours)
    first = since.replace(minute=0, second=0, microsecond=0)
    with unit_of_work() as uow:
        s = uow.session
        hour = _hour(s, Attempt.finished_at)
        tallied = visible_hours(tallies.HOURS.compacted, principal, campaign_id) is not None
        q = _attempts(principal, campaign_id).where(Attempt.finished_at >= since)
        if tallied:
            q = q.where(Attempt.finished_at < first + timedelta(hours=1))
        rows = list(s.execute(q.with_only_columns(hour, Attempt.status, func.count())
                              .group_by(hour, Attempt.status)).all())
        if tallied:
            after = first.strftime("%Y-%m-%d %H")  # the hours after the first, as keyed
            rows += s.execute(tallies.counted(
                tallies.HOURS, "hour", "status",
                where=lambda t: [*(visible_hours(t, principal, campaign_id) or []),
                                 t.c.hour > after])).all()
    found: dict[str, dict[str, int]] = {}
    for key, status, n in rows:
        counts = found.setdefault(str(key), {})
        counts[status] = counts.get(status, 0) + int(n)
    slots = [first + timedelta(hours=i) for i in range(hours + 1)]
    series = []
    for slot in slots:
        counts = dict(sorted(found.get(slot.strftime("%Y-%m-%d %H"), {}).items()))
        series.append({"hour": slot.isoformat(), "by_status": counts,
                       "total": sum(counts.values())})
    by_status: dict[str, int] = {}
    for counts in found.values():
        for status, n in counts.items():
            by_status[status] = by_status.get(status, 0) + n
    return {"since": since.isoformat(timespec="seconds"),
            "until": now.isoformat(timespec="seconds"), "hours": series,
            "by_status": dict(sorted(by_status.items()))}


def _bin_label(i: int) -> str:
    lower = 0.0 if i == 0 else EDGES[i - 1]
    if i == len(EDGES):
        return f"> {lower:.0%}"
    return f"{lower:.0%}–{EDGES[i]:.0%}"


def discrepancy_histogram(principal: Principal,
                          campaign_id: int | None = None) -> dict[str, Any]:
    """Reports by their worst metric discrepancy (|pct|), in fixed bins, summed from the
    running counts (reconcile/persistence/tallies.py) rather than counted report by report."""
    def where(table: Table) -> list[ColumnElement[bool]]:
        narrow = [table.c.bin != NO_BIN, *visible_tallies(table, principal)]
        return narrow + ([table.c.campaign_id == campaign_id] if campaign_id is not None
                         else [])
    with unit_of_work() as uow:
        counts = {int(i): int(n) for i, n in
                  uow.session.execute(tallies.counted(tallies.REPORTS, "bin", where=where)).all()}
    bins = [{"label": _bin_label(i), "from": 0.0 if i == 0 else EDGES[i - 1],
             "to": EDGES[i] if i < len(EDGES) else None, "count": counts.get(i, 0)}
            for i in range(len(EDGES) + 1)]
    return {"bins": bins, "total": sum(counts.values())}


def trust_buckets() -> dict[str, Any]:
    """Active affiliates per trust bucket, under the rules in force."""
    rules = active_rules().trust
    with unit_of_work() as uow:
        # One row per distinct score (4 decimals), so the rule itself does the bucketing.
        rows = uow.session.execute(
            select(User.trust_score, func.count())
            .where(User.role == Role.AFFILIATE, User.is_active.is_(True))
            .group_by(User.trust_score)).all()
    counts = dict.fromkeys(BUCKETS, 0)
    for score, n in rows:
        counts[bucket_for(float(score), rules)] += int(n)
    return {"buckets": counts, "total": sum(counts.values()),
            "thresholds": dict(rules.buckets)}


def open_alert_counts(principal: Principal) -> dict[str, Any]:
    """Open alerts the caller may see, by severity and by type (zeros included), from the
    running counts (reconcile/persistence/tallies.py, ALERTS)."""
    def where(table: Table) -> list[ColumnElement[bool]]:
        return [table.c.status == AlertStatus.OPEN, *visible_tallies(table, principal)]
    q = tallies.counted(tallies.ALERTS, "severity", "type", where=where)
    with unit_of_work() as uow:
        rows = uow.session.execute(q).all()
    by_severity = dict.fromkeys(values(Severity), 0)
    by_type = dict.fromkeys(TYPES, 0)
    for severity, type_, n in rows:
        by_severity[severity] = by_severity.get(severity, 0) + int(n)
        by_type[type_] = by_type.get(type_, 0) + int(n)
    return {"by_severity": by_severity, "by_type": by_type,
            "total": sum(by_severity.values())}
