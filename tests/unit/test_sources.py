"""Sources per metric (truth.md, "Sources"): which source verifies each claim, and what an
unverifiable claim does to classification and flags."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconcile.rules import METRICS, Sources, classify, default_rules, suspicion_flags
from reconcile.rules.sources import (
    lacks_landing_url,
    metric_sources,
    observed_values,
    platforms_without_link_clicks,
    verifiable,
)

RULES = default_rules()
PLATFORM_COUNTS = {"views": 1000, "likes": 70, "comments": 9, "shares": 4, "link_clicks": 33}

# (clicks source, conversions source, post has a tracked link) ->
# (source of clicks, source of conversions) as the report names them
SOURCE_TABLE = [
    ("tracked", "postback", True, "tracked", "postback"),
    ("tracked", "postback", False, "none", "none"),
    ("tracked", "none", True, "tracked", "none"),
    ("platform", "postback", True, "platform", "postback"),
    ("platform", "postback", False, "platform", "none"),
    ("platform", "none", False, "platform", "none"),
    ("none", "postback", True, "none", "postback"),
    ("none", "none", True, "none", "none"),
]


@pytest.mark.parametrize("clicks, conversions, linked, clicks_from, conversions_from",
                         SOURCE_TABLE)
def test_each_metric_is_verified_from_its_campaign_source_or_from_none(
    clicks, conversions, linked, clicks_from, conversions_from
):
    sources = metric_sources(Sources(clicks, conversions), linked)
    assert sources == {"views": "platform", "clicks": clicks_from,
                       "conversions": conversions_from}


def test_platform_clicks_are_the_platform_link_clicks_and_never_its_engagement():
    sources = metric_sources(Sources("platform", "postback"), True)
    observed = observed_values(sources, PLATFORM_COUNTS, tracked_clicks=12, conversions=3)
    assert observed == {"views": 1000, "clicks": 33, "conversions": 3}


def test_tracked_clicks_are_our_counts_and_an_unverifiable_metric_observes_nothing():
    tracked = observed_values(metric_sources(Sources(), True), PLATFORM_COUNTS, 12, 3)
    assert tracked == {"views": 1000, "clicks": 12, "conversions": 3}
    unlinked = observed_values(metric_sources(Sources(), False), PLATFORM_COUNTS, 12, 3)
    assert unlinked == {"views": 1000, "clicks": None, "conversions": None}


# docs/sources.md, "A landing URL for tracked clicks": (clicks source, landing_url) -> refused
LANDING_TABLE = [
    ("tracked", None, True),
    ("tracked", "", True),
    ("tracked", "https://shop.example.com/a", False),
    ("platform", None, False),
    ("none", None, False),
]


@pytest.mark.parametrize("clicks, landing_url, refused", LANDING_TABLE)
def test_tracked_clicks_need_a_landing_url_for_their_links(clicks, landing_url, refused):
    assert lacks_landing_url(Sources(clicks, "postback"), landing_url) is refused


@pytest.mark.parametrize("platforms, lacking", [
    (["x"], []), (["instagram", "x"], []), (["x", "youtube"], ["youtube"]),
    (["reddit", "tiktok", "youtube"], ["reddit", "tiktok", "youtube"]),
])
def test_only_x_and_instagram_report_link_clicks(platforms, lacking):
    assert platforms_without_link_clicks(platforms) == lacking


# source of (clicks, conversions) x claimed (views, clicks, conversions) x observed ->
# status, confidence, flagged unverifiable_claim
CLASSIFICATION_TABLE = [
    # Both verifiable: the usual rules over three metrics.
    (("tracked", "postback"), (1000, 50, 5), (1000, 50, 5), "MATCHED", 1.0, False),
    (("tracked", "postback"), (1000, 80, 5), (1000, 50, 5), "AFFILIATE_OVERCLAIMED", 1.0,
     False),
    # Clicks unverifiable: an over-claim on them changes nothing, and is flagged.
    (("none", "postback"), (1000, 80, 5), (1000, None, 5), "MATCHED", 1.0, True),
    (("none", "none"), (1000, 999, 99), (1000, None, None), "MATCHED", 1.0, True),
    (("none", "none"), (1250, 50, 5), (1000, None, None), "AFFILIATE_OVERCLAIMED", 1.0, True),
    # A zero claim on an unverifiable metric is not flagged.
    (("none", "none"), (1000, 0, 0), (1000, None, None), "MATCHED", 1.0, False),
    # A verifiable metric its source did not show is missing, not unverifiable.
    (("tracked", "none"), (1000, 50, 5), (1000, None, None), "INCOMPLETE_PLATFORM_DATA", 0.5,
     True),
    (("platform", "postback"), (1000, 50, 5), (None, None, None), "MISSING_PLATFORM_DATA", 0.0,
     False),
    # Growth allowance applies to tracked clicks as to views (2 h: 60 clicks now allow a
    # claim of 50 then; 35 is 30 % under).
    (("tracked", "postback"), (1000, 50, 5), (1000, 60, 5), "MATCHED", 1.0, False),
    (("tracked", "postback"), (1000, 35, 5), (1000, 60, 5), "DISCREPANCY_HIGH", 1.0, False),
]


@pytest.mark.parametrize("sources, claimed, observed, status, confidence, flagged",
                         CLASSIFICATION_TABLE)
def test_unverifiable_metrics_take_no_part_in_classification_and_a_claim_on_them_is_flagged(
    sources, claimed, observed, status, confidence, flagged
):
    named = {"views": "platform", "clicks": sources[0], "conversions": sources[1]}
    claims = dict(zip(METRICS, claimed, strict=True))
    result = classify(claims, dict(zip(METRICS, observed, strict=True)), 2.0,
                      RULES.classification, verifiable=verifiable(named))
    assert str(result.status) == status
    assert result.confidence == confidence
    for m in METRICS:
        assert result.metrics[m].verifiable == (named[m] != "none")
    unverifiable = [m for m in METRICS if named[m] == "none"]
    flags = suspicion_flags(claims, evidence="proof", previous=None, duplicate_claim=False,
                            rules=RULES.quality, unverifiable=unverifiable)
    raised = [f for f in flags if f.name == "unverifiable_claim"]
    assert bool(raised) == flagged
    assert all(f.severity == "LOW" for f in raised)


counts = st.integers(min_value=0, max_value=10**9)


@given(claimed=st.tuples(counts, counts, counts), observed_views=counts,
       other=st.tuples(counts, counts), hours=st.floats(min_value=0, max_value=48))
def test_an_unverifiable_metric_never_changes_the_outcome(claimed, observed_views, other, hours):
    """Whatever is claimed or observed for clicks and conversions with no source, the
    outcome is that of views alone."""
    claims = dict(zip(METRICS, claimed, strict=True))
    observed = {"views": observed_views, "clicks": other[0], "conversions": other[1]}
    alone = classify({**claims, "clicks": 0, "conversions": 0},
                     {"views": observed_views, "clicks": None, "conversions": None}, hours,
                     RULES.classification, verifiable=("views",))
    result = classify(claims, observed, hours, RULES.classification, verifiable=("views",))
    assert (result.status, result.level, result.confidence) == (
        alone.status, alone.level, alone.confidence)
    assert result.metrics["clicks"].observed is None and result.metrics["clicks"].pct is None


@given(linked=st.booleans(), clicks=st.sampled_from(["tracked", "platform", "none"]),
       conversions=st.sampled_from(["postback", "none"]))
def test_views_always_come_from_the_platform_and_engagement_is_never_a_source(
    linked, clicks, conversions
):
    sources = metric_sources(Sources(clicks, conversions), linked)
    assert sources["views"] == "platform"
    assert set(sources.values()) <= {"platform", "tracked", "postback", "none"}
    observed = observed_values(sources, PLATFORM_COUNTS, 12, 3)
    # likes, comments and shares are never a claimed metric's observed value
    assert observed["clicks"] in (None, 12, 33) and observed["conversions"] in (None, 3)
