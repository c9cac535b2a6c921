"""Read each attempt's tracked clicks and postback conversions from the database.

Tracked and postback numbers are counted by us, not by a platform: they are read as of
the attempt, with no platform call and no breaker (truth.md, "Sources"). The count
functions are passed in (production: reconcile.services.tracking.counts) so that tests
of the sources need not build the tracking tables' contents.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from reconcile.persistence.db import Reader, single_statements
from reconcile.rules.sources import (
    POSTBACK,
    TRACKED,
    Sources,
    metric_sources,
    observed_values,
)
from reconcile.services.tracking import counts

CountFn = Callable[[Reader, Collection[int], datetime], dict[int, int]]
LinkFn = Callable[[Reader, Collection[int]], set[int]]


@dataclass(frozen=True)
class Counters:
    """The count functions reconciliation reads tracked numbers with."""

    clicks: CountFn = counts.counted_clicks
    conversions: CountFn = counts.counted_conversions
    has_link: LinkFn = counts.has_tracked_link


PRODUCTION = Counters()


@dataclass(frozen=True)
class Tracked:
    """What our own counters say about some posts, as of one moment."""

    linked: set[int] = field(default_factory=set)
    clicks: dict[int, int] = field(default_factory=dict)
    conversions: dict[int, int] = field(default_factory=dict)

    def sources_for(self, post_id: int, sources: Sources) -> dict[str, str]:
        """Return the source each metric of this post is verified from."""
        return metric_sources(sources, post_id in self.linked)

    def observed(self, post_id: int, sources: Mapping[str, str],
                 platform: Mapping[str, int | None]) -> dict[str, int | None]:
        """Return each metric's observed value from its own source."""
        return observed_values(sources, platform, self.clicks.get(post_id, 0),
                               self.conversions.get(post_id, 0))


def needs_tracking(sources: Sources) -> bool:
    return sources.clicks == TRACKED or sources.conversions == POSTBACK


def read_tracked(posts: Sequence[tuple[int, Sources]], as_of: datetime,
                 counters: Counters = PRODUCTION) -> Tracked:
    """Read the tracked counts of the posts that use them. No transaction: each read is a
    snapshot of its own, as it would be inside one at READ COMMITTED."""
    wanted = sorted({post for post, sources in posts if needs_tracking(sources)})
    if not wanted:
        return Tracked()
    with single_statements() as s:
        linked = counters.has_link(s, wanted) & set(wanted)
        ids = sorted(linked)
        click_posts = [p for p, src in posts if p in linked and src.clicks == TRACKED]
        conversion_posts = [p for p, src in posts
                            if p in linked and src.conversions == POSTBACK]
        return Tracked(
            linked=set(ids),
            clicks=counters.clicks(s, sorted(set(click_posts)), as_of) if click_posts else {},
            conversions=(counters.conversions(s, sorted(set(conversion_posts)), as_of)
                         if conversion_posts else {}),
        )

