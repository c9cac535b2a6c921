"""Re-classify a sample of past attempts under candidate rules, beside the current ones.

Only attempts that stored a platform snapshot are sampled (an attempt without platform
data is MISSING under any rules). The claims come from the report, the observed numbers
from the snapshot, the age from the report's submission to the snapshot's fetch. Reads
only: nothing is written.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Report, Snapshot, User
from reconcile.rules import METRICS, Rules, bucket_for, classify, event_for
from reconcile.rules.sources import NONE
from reconcile.rules.trust import BUCKETS
from reconcile.services.admin.anomaly_whatif import compare_anomalies, load_readings


@dataclass(frozen=True)
class Sample:
    """One past attempt as the classifier saw it."""

    affiliate_id: int
    claimed: dict[str, int]
    observed: dict[str, int | None]
    hours: float
    verifiable: tuple[str, ...] = METRICS  # the metrics that took part (their source not none)


def load_sample(size: int, since: datetime | None = None) -> tuple[list[Sample], dict[int, float]]:
    """Return the newest `size` attempts with a snapshot, and their affiliates' scores."""
    q = (select(Report.affiliate_id, Report.claimed_views, Report.claimed_clicks,
                Report.claimed_conversions, Report.submitted_at, Snapshot.views,
                Snapshot.clicks, Snapshot.conversions, Snapshot.fetched_at, Snapshot.sources)
         .join(Snapshot, Snapshot.report_id == Report.id)
         .order_by(Snapshot.id.desc()).limit(size))
    if since is not None:
        q = q.where(Report.submitted_at >= since)
    with unit_of_work() as uow:
        rows = uow.session.execute(q).all()
        ids = {r[0] for r in rows}
        scores = {uid: score for uid, score in uow.session.execute(
            select(User.id, User.trust_score).where(User.id.in_(ids)))}
    samples = [
        Sample(aff, dict(zip(METRICS, (cv, cc, cx), strict=True)),
               dict(zip(METRICS, (ov, oc, ox), strict=True)),
               max((fetched - submitted).total_seconds() / 3600, 0.0),
               tuple(m for m in METRICS if (sources or {}).get(m) != NONE))
        for aff, cv, cc, cx, submitted, ov, oc, ox, fetched, sources in rows
    ]
    return samples, scores


def _side(samples: Sequence[Sample], scores: Mapping[int, float], rules: Rules
          ) -> tuple[list[str], dict[str, Any]]:
    statuses = [str(classify(s.claimed, s.observed, s.hours, rules.classification,
                             verifiable=s.verifiable).status)
                for s in samples]
    delta: dict[str, float] = defaultdict(float)
    members: dict[str, set[int]] = defaultdict(set)
    for s, status in zip(samples, statuses, strict=True):
        bucket = bucket_for(scores.get(s.affiliate_id, rules.trust.initial), rules.trust)
        event = event_for(status)
        delta[bucket] += rules.trust.deltas[event] if event else 0.0
        members[bucket].add(s.affiliate_id)
    return statuses, {
        "version": rules.version,
        "statuses": dict(sorted(Counter(statuses).items())),
        "trust_by_bucket": {
            b: {"affiliates": len(members[b]), "delta": round(delta[b], 4)}
            for b in BUCKETS if b in members
        },
    }


def compare(samples: Sequence[Sample], scores: Mapping[int, float], current: Rules,
            candidate: Rules) -> dict[str, Any]:
    """Classify every sample under both rule sets; count statuses, shifts and trust moves."""
    now, now_side = _side(samples, scores, current)
    then, then_side = _side(samples, scores, candidate)
    moves = Counter((a, b) for a, b in zip(now, then, strict=True) if a != b)
    return {
        "sample": len(samples),
        "current": now_side,
        "candidate": then_side,
        "changed": sum(moves.values()),
        "transitions": [{"from": a, "to": b, "count": n}
                        for (a, b), n in sorted(moves.items())],
    }


def simulate(candidate: Rules, current: Rules, size: int = 1000,
             since: datetime | None = None) -> dict[str, Any]:
    """Compare the candidate rules with the current ones on a sample of past attempts, and
    count the VIEW_ANOMALY alerts each would have raised on the same readings."""
    samples, scores = load_sample(size, since)
    result = compare(samples, scores, current, candidate)
    result["anomalies"] = compare_anomalies(load_readings(size, since), current, candidate)
    return result
