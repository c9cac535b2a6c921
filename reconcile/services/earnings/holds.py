"""Holds: a post's unpaid earnings wait while something points at fraud (earnings.md).

A post is held while its latest report carries a holding flag (`HOLDING_FLAGS`), or an
open VIEW_ANOMALY alert names one of its reports (any severity), or its affiliate has an
open HIGH or CRITICAL alert of category FRAUD, or is in the critical trust bucket. Holds
are worked out again whenever an alert is raised or resolved (a listener on the alerts
path, whatever the alert's type) and whenever a post is settled. When the cause is gone,
held entries go back to `pending`, or `approved` if their validation window has passed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from reconcile.bootstrap import active_rules
from reconcile.persistence.models import (
    Alert,
    EarningEntry,
    PostEarning,
    Report,
    User,
    utcnow,
)
from reconcile.rules import bucket_for
from reconcile.rules.earnings import holding_flags
from reconcile.rules.trust import CRITICAL
from reconcile.services.alerts.hooks import AlertChanged
from reconcile.vocabulary import AlertStatus

VIEW_ANOMALY = "VIEW_ANOMALY"
HOLDABLE = ("pending", "approved")
UNPAID = ("pending", "approved", "held")


def hold_reasons(session: Session, post_ids: Collection[int]) -> dict[int, list[str]]:
    """Why each post is held now (an empty list: it is not)."""
    ids = sorted(set(post_ids))
    if not ids:
        return {}
    reasons: dict[int, list[str]] = {p: [] for p in ids}
    latest = (select(Report.post_id, func.max(Report.id).label("report_id"))
              .where(Report.post_id.in_(ids)).group_by(Report.post_id).subquery())
    for post_id, flags in session.execute(
            select(Report.post_id, Report.suspicion_flags)
            .join(latest, latest.c.report_id == Report.id)):
        reasons[post_id] += [f"flag {name}" for name in holding_flags(flags or [])]
    for post_id, alert_id in session.execute(
            select(Report.post_id, Alert.id).join(Alert, Alert.report_id == Report.id)
            .where(Report.post_id.in_(ids), Alert.type == VIEW_ANOMALY,
                   Alert.status == AlertStatus.OPEN).order_by(Alert.id)):
        reasons[post_id].append(f"alert {alert_id} {VIEW_ANOMALY}")
    owners = dict(session.execute(select(PostEarning.post_id, PostEarning.affiliate_id)
                                  .where(PostEarning.post_id.in_(ids))).all())
    for affiliate, why in affiliate_reasons(session, set(owners.values())).items():
        for post_id, owner in owners.items():
            if owner == affiliate:
                reasons[post_id] += why
    return reasons


def affiliate_reasons(session: Session, affiliates: Collection[int]) -> dict[int, list[str]]:
    """What holds every post of each affiliate: open HIGH/CRITICAL fraud alerts, and the
    critical trust bucket."""
    ids = sorted(set(affiliates))
    found: dict[int, list[str]] = {a: [] for a in ids}
    if not ids:
        return found
    for affiliate, alert_id, kind, severity in session.execute(
            select(Alert.affiliate_id, Alert.id, Alert.type, Alert.severity)
            .where(Alert.affiliate_id.in_(ids), Alert.category == "FRAUD",
                   Alert.severity.in_(("HIGH", "CRITICAL")), Alert.status == AlertStatus.OPEN)
            .order_by(Alert.id)):
        found[int(affiliate or 0)].append(f"alert {alert_id} {kind} ({severity} FRAUD)")
    trust = active_rules().trust
    for affiliate, score in session.execute(select(User.id, User.trust_score)
                                            .where(User.id.in_(ids))):
        if bucket_for(float(score), trust) == CRITICAL:
            found[affiliate].append("trust critical")
    return found


def apply_holds(session: Session, post_ids: Collection[int], now: datetime) -> None:
    """Hold or release each post's unpaid entries as its causes stand now.

    The entries are locked in id order first, as every writer of entry statuses does, so
    two writers never wait on each other in a circle. Clawbacks are never held (holding
    them would favour the affiliate), nor entries an operator released.
    """
    if not post_ids:
        return
    lock_affiliates(session, session.scalars(select(PostEarning.affiliate_id).distinct()
                                             .where(PostEarning.post_id.in_(sorted(post_ids)))))
    reasons = hold_reasons(session, post_ids)
    if not reasons:
        return
    for post_id, why in reasons.items():
        session.execute(update(PostEarning).where(PostEarning.post_id == post_id)
                        .values(hold_reasons=why, updated_at=now))
    held = [p for p, why in reasons.items() if why]
    free = [p for p, why in reasons.items() if not why]
    lock_entries(session, session.scalars(select(PostEarning.affiliate_id).distinct()
                                          .where(PostEarning.post_id.in_(sorted(reasons)))))
    if held:
        session.execute(update(EarningEntry).where(
            EarningEntry.post_id.in_(held), EarningEntry.status.in_(HOLDABLE),
            EarningEntry.kind != "clawback", EarningEntry.operator_release.is_(False))
            .values(status="held", status_changed_at=now))
    if free:
        for status, due in (("approved", EarningEntry.approve_after <= now),
                            ("pending", EarningEntry.approve_after > now)):
            session.execute(update(EarningEntry).where(
                EarningEntry.post_id.in_(free), EarningEntry.status == "held", due)
                .values(status=status, status_changed_at=now))


def lock_affiliates(session: Session, affiliates: Iterable[int]) -> None:
    """Serialise, per affiliate, everything that writes its earnings or their holds.

    The lock is the affiliate's user row, in id order: the one reconciliation's batches
    take first (for trust), so a settle inside a batch already holds it. Settling,
    takedowns, operators' decisions and hold changes take it before any entry row, so none
    of them waits on another in a circle. Payouts take it too, in the same order; the
    approval task needs none (it skips rows locked now and waits for nothing).
    """
    ids = sorted(set(affiliates))
    if ids:
        # NO KEY UPDATE, as the attempt batch takes it (reconciliation/effects.py): the
        # same exclusion among writers, without holding up inserts that reference users.
        list(session.scalars(select(User.id).where(User.id.in_(ids)).order_by(User.id)
                             .with_for_update(key_share=True)))


def lock_entries(session: Session, affiliates: Iterable[int]) -> None:
    """Lock the affiliates' unpaid entries, in id order, in one statement.

    Every transaction that changes entry statuses or writes entries for an affiliate takes
    this lock first, so it never waits for a row after holding others of that affiliate;
    payouts and the approval task skip locked rows instead of waiting (they carry over to
    the next run). That keeps the writers free of lock cycles.
    """
    ids = sorted(set(affiliates))
    if ids:
        list(session.scalars(select(EarningEntry.id).where(
            EarningEntry.affiliate_id.in_(ids),
            EarningEntry.status.in_(UNPAID)).order_by(EarningEntry.id).with_for_update()))


def posts_touched_by(session: Session, changes: Sequence[AlertChanged]) -> list[int]:
    """The posts with earnings whose holds the alerts' changes may move: their reports'
    posts and their affiliates' posts, in one statement."""
    reports = sorted({c.report_id for c in changes if c.report_id is not None})
    affiliates = sorted({c.affiliate_id for c in changes if c.affiliate_id is not None})
    concerned = [
        *([PostEarning.post_id.in_(select(Report.post_id).where(Report.id.in_(reports)))]
          if reports else []),
        *([PostEarning.affiliate_id.in_(affiliates)] if affiliates else [])]
    if not concerned:
        return []
    return sorted(set(session.scalars(select(PostEarning.post_id).where(or_(*concerned)))))


def on_alert(session: Session, changes: Sequence[AlertChanged]) -> None:
    """The alerts listener: work holds out again for the posts the alerts concern."""
    posts = posts_touched_by(session, changes)
    if posts:
        session.flush()
        apply_holds(session, posts, utcnow())
