"""What one job's attempt came to: classified, ready to write, and written."""

from __future__ import annotations

from dataclasses import dataclass, field

from reconcile.platforms.fetching import FetchOutcome
from reconcile.rules import Classification, RetryDecision
from reconcile.services.reconciliation.targets import Job, Target


@dataclass(frozen=True)
class Outcome:
    """One job's classified result, ready to be written."""

    job: Job
    target: Target
    fetched: FetchOutcome
    result: Classification
    decision: RetryDecision
    keep_outcome: bool = False
    sources: dict[str, str] = field(default_factory=dict)  # each metric's source
    observed: dict[str, int | None] = field(default_factory=dict)  # from those sources


@dataclass(frozen=True)
class PostEffect:
    """A post's standing trust effect and the report it comes from."""

    report_id: int
    event: str
    delta: float


@dataclass(frozen=True)
class Written:
    applied: bool  # False when a later attempt had already decided the outcome
    trust_score: float  # the affiliate's score once this attempt's effects are in
