"""The names the whole system shares: roles, platforms, severities, alert statuses, queues.

One home for each: the API's schemas, the CLI's choices, the queries and the workers' queue
list are all built from these. A StrEnum member is its string, so rows, JSON and Celery
routing keys take them as they are.
"""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    ADMIN = "ADMIN"
    CLIENT = "CLIENT"
    ANALYST = "ANALYST"
    AFFILIATE = "AFFILIATE"


# The roles that read every client's and every affiliate's data.
READS_EVERYTHING = (Role.ADMIN, Role.ANALYST)


class Platform(enum.StrEnum):
    REDDIT = "reddit"
    INSTAGRAM = "instagram"
    TIKTOK = "tiktok"
    YOUTUBE = "youtube"
    X = "x"


PLATFORMS: tuple[str, ...] = tuple(p.value for p in Platform)


class Severity(enum.StrEnum):
    """An alert's severity, lowest first (the order digests and summaries sort by)."""

    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"
    CRITICAL = "CRITICAL"


class AlertStatus(enum.StrEnum):
    OPEN = "OPEN"
    RESOLVED = "RESOLVED"


class Queue(enum.StrEnum):
    """The ready queues attempt jobs go to, in the order workers read them."""

    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"


QUEUES: tuple[str, ...] = tuple(q.value for q in Queue)
# Beat's periodic tasks (sweep, housekeeping, outage check) have a queue of their own that
# workers read first: behind a backlog of high jobs (re-runs, flagged submissions) they would
# expire before a worker reached them.
PERIODIC_QUEUE = "periodic"
# Every queue a worker consumes, in the order it reads them.
WORKER_QUEUES: tuple[str, ...] = (PERIODIC_QUEUE, *QUEUES)


def values(kind: type[enum.StrEnum]) -> tuple[str, ...]:
    """The plain strings of an enum, in declaration order (for schemas and CLI choices)."""
    return tuple(member.value for member in kind)
