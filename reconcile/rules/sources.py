"""Where each verified number comes from (truth.md, "Sources"), as plain rules.

Views always come from the platform. Clicks come from the post's tracked link (`tracked`),
from the platform's own link-click count where it has one (`platform`), or from nowhere
(`none`); conversions from the advertiser's postbacks (`postback`) or from nowhere. A metric
with no source that measures it is unverifiable: it takes no part in classification.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

PLATFORM, TRACKED, POSTBACK, NONE = "platform", "tracked", "postback", "none"
# What snapshots taken before sources existed really held in clicks and conversions: the
# platform's engagement (likes, shares, upvotes, comments, follows) under another name.
LEGACY_ENGAGEMENT = "legacy_engagement"
CLICK_SOURCES = (TRACKED, PLATFORM, NONE)
CONVERSION_SOURCES = (POSTBACK, NONE)
DEFAULT_CLICKS, DEFAULT_CONVERSIONS = TRACKED, POSTBACK
# The platforms whose APIs report link clicks themselves (x url_link_clicks, instagram
# website_clicks); clicks = platform is refused for a campaign on any other.
LINK_CLICK_PLATFORMS = frozenset({"x", "instagram"})
# The counts an adapter reports; only views (and link clicks, for clicks = platform) are
# ever compared with a claim: likes, comments and shares are kept for the anomaly rules.
PLATFORM_COUNTS = ("views", "likes", "comments", "shares", "link_clicks")


@dataclass(frozen=True)
class Sources:
    """A campaign's choice of source for clicks and for conversions."""

    clicks: str = DEFAULT_CLICKS
    conversions: str = DEFAULT_CONVERSIONS

    def to_dict(self) -> dict[str, str]:
        """Return the sources as the API shows them."""
        return {"clicks": self.clicks, "conversions": self.conversions}


def platforms_without_link_clicks(platforms: Collection[str]) -> list[str]:
    """Return the campaign's platforms that report no link clicks, sorted."""
    return sorted(set(platforms) - LINK_CLICK_PLATFORMS)


def lacks_landing_url(sources: Sources, landing_url: str | None) -> bool:
    """Say whether these sources count tracked clicks on links that would have nowhere to land.

    truth.md: `landing_url` is required when clicks are `tracked`.
    """
    return sources.clicks == TRACKED and not landing_url


def metric_sources(sources: Sources, has_tracked_link: bool) -> dict[str, str]:
    """Return the source each claimed metric is verified from, `none` where nothing can.

    Tracked clicks need the post's tracked link; so do postbacks, which are attributed
    through the clicks on it (their click ids come from its redirect).
    """
    clicks = sources.clicks if sources.clicks != TRACKED or has_tracked_link else NONE
    conversions = (sources.conversions
                   if sources.conversions != POSTBACK or has_tracked_link else NONE)
    return {"views": PLATFORM, "clicks": clicks, "conversions": conversions}


def observed_values(sources: Mapping[str, str], platform: Mapping[str, int | None],
                    tracked_clicks: int, conversions: int) -> dict[str, int | None]:
    """Return what each metric's source observed (None: unverifiable, or not shown)."""
    by_source: dict[str, dict[str, int | None]] = {
        "views": {PLATFORM: platform.get("views")},
        "clicks": {PLATFORM: platform.get("link_clicks"), TRACKED: tracked_clicks},
        "conversions": {POSTBACK: conversions},
    }
    return {m: by_source[m].get(source) for m, source in sources.items()}


def verifiable(sources: Mapping[str, str]) -> tuple[str, ...]:
    """Return the metrics some source measures, in their order."""
    return tuple(m for m, source in sources.items() if source != NONE)


def unverifiable(sources: Mapping[str, str]) -> list[str]:
    """Return the metrics no source measures."""
    return [m for m, source in sources.items() if source == NONE]
