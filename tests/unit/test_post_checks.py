"""The post itself (truth.md; docs/fraud.md): every row of the docs' case table, and
properties of tag matching and the live period."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconcile.rules import default_rules
from reconcile.rules.alerts import AlertSpec
from reconcile.rules.anomaly import Reading, anomalies
from reconcile.rules.earnings import HOLDING_FLAGS
from reconcile.rules.flags import Flag
from reconcile.rules.post_checks import (
    PostFacts,
    caption_tags,
    in_live_period,
    missing_tags,
    not_owner_alert,
    post_flags,
    post_removed_alert,
)
from tests.unit.fraud_table import Case, cases

RULES = default_rules()
CASES = cases()


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _facts(**changes: object) -> PostFacts:
    base = dict(author="ana", published_at=None, caption="#ad", verified_handles=["ana"],
                author_verified_by_other=False, start_date=None, end_date=None,
                required_tags=(), require_verified_handle=False)
    return PostFacts(**{**base, **changes})  # type: ignore[arg-type]


def _flags_and_alerts(case: Case) -> tuple[list[Flag], list[AlertSpec]]:
    i, rule = case.inputs, case.rule
    if rule == "ownership":
        mine = (i["mine"] or "").split(",") if i["mine"] else []
        flags = post_flags(_facts(author=i["author"], verified_handles=mine,
                                  author_verified_by_other=i.get("other") == "yes",
                                  require_verified_handle=i.get("require") == "yes"))
        alerts = [not_owner_alert(i["author"] or "", mine)
                  for f in flags if f.name == "not_owner"]
        return flags, alerts
    if rule == "window":
        return post_flags(_facts(published_at=_time(i["published"] or ""),
                                 start_date=_day(i["start"]), end_date=_day(i["end"]))), []
    if rule == "disclosure":
        tags = (i["tags"] or "").split(",")
        return post_flags(_facts(caption=i["caption"], required_tags=tags)), []
    if rule == "takedown":
        verified, now = _time(i["verified"] or ""), _time(i["now"] or "")
        days = int(i["live_days"] or 0)
        return [], ([post_removed_alert(verified, now, days)]
                    if in_live_period(verified, now, days) else [])
    return [], anomalies(_reading(case), RULES.anomaly)


def _reading(case: Case) -> Reading:
    i = case.inputs

    def n(key: str) -> int | None:
        return int(i[key]) if i.get(key) is not None else None

    earlier = [float(x) for x in (i.get("earlier") or "").split(",") if x]
    return Reading(views=n("views"), likes=n("likes"), comments=n("comments"),
                   counted_clicks=n("clicks"),
                   velocity=float(i["rate"]) if i.get("rate") else None,
                   baseline_rates=earlier)


def test_the_docs_table_has_every_rule_and_edge_case() -> None:
    assert len(CASES) == 30
    assert {c.rule for c in CASES} == {"ownership", "window", "disclosure", "takedown",
                                       "velocity", "engagement", "click_rate"}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_each_row_of_the_docs_table(case: Case) -> None:
    flags, alerts = _flags_and_alerts(case)
    assert [f.name for f in flags] == ([case.flag] if case.flag else [])
    assert [a.type for a in alerts] == ([case.alert] if case.alert else [])
    holds = (any(f.name in HOLDING_FLAGS for f in flags)
             or any(a.type == "VIEW_ANOMALY" for a in alerts)
             or any(a.category == "FRAUD" and a.severity in ("HIGH", "CRITICAL")
                    for a in alerts))
    assert holds == case.hold


def test_flags_carry_the_severities_of_truth_md() -> None:
    assert {f.name: f.severity for f in post_flags(_facts(
        author="bob", published_at=_time("2020-01-01T00:00"), start_date=date(2026, 1, 1),
        caption="nothing", required_tags=["#ad"]))} == {
        "not_owner": "HIGH", "outside_campaign_window": "MEDIUM",
        "missing_disclosure": "MEDIUM"}
    assert post_flags(_facts(verified_handles=[], require_verified_handle=True))[0].severity \
        == "LOW"


def test_alerts_carry_type_category_severity_and_evidence() -> None:
    spec = not_owner_alert("bob", ["ana"])
    assert (spec.rule, spec.type, spec.category, spec.severity) == (
        "R8", "SUSPICIOUS_CLAIM", "FRAUD", "HIGH")
    removed = post_removed_alert(_time("2026-12-01T00:00"), _time("2026-12-03T00:00"), 30)
    assert (removed.type, removed.category, removed.severity) == ("POST_REMOVED", "FRAUD",
                                                                   "MEDIUM")
    assert removed.threshold_breached["days_after"] == 2.0
    [velocity] = anomalies(Reading(10, None, None, None, 5000.0, [100.0, 120.0, 80.0]),
                           RULES.anomaly)
    assert velocity.threshold_breached == {
        "rule": "velocity", "views_per_hour": 5000.0, "baseline_median": 100.0,
        "baseline_posts": 3, "velocity_factor": 10.0, "threshold": 1000.0}


_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_", min_size=1, max_size=12)


@given(tag=_WORD, suffix=_WORD, hashed=st.booleans(), upper=st.booleans())
def test_a_tag_never_matches_inside_a_longer_word(tag: str, suffix: str, hashed: bool,
                                                  upper: bool) -> None:
    longer = ("#" if hashed else "") + tag + suffix
    assert missing_tags(f"look {longer.upper() if upper else longer}", [f"#{tag}"]) == [
        f"#{tag}"]


@given(tag=_WORD, before=st.sampled_from(["", "Great ", "x\n", "(", "a,"]),
       after=st.sampled_from(["", "!", " now", ".", ")"]), hashed=st.booleans(),
       upper=st.booleans())
def test_a_tag_as_a_whole_word_always_matches(tag: str, before: str, after: str,
                                              hashed: bool, upper: bool) -> None:
    word = ("#" if hashed else "") + (tag.upper() if upper else tag)
    assert missing_tags(before + word + after, [f"#{tag}", tag]) == []
    assert tag.casefold() in caption_tags(before + word + after)


@given(verified=st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1),
                             timezones=st.just(UTC)),
       days=st.integers(1, 120), seconds=st.integers(-10**7, 10**8))
def test_the_live_period_is_live_days_from_verification_inclusive(
        verified: datetime, days: int, seconds: int) -> None:
    now = verified + timedelta(seconds=seconds)
    assert in_live_period(verified, now, days) == (now <= verified + timedelta(days=days))
    assert not in_live_period(None, now, days)


_HANDLE = st.text(alphabet="abcXYZ_.0", min_size=1, max_size=6)


@given(author=st.one_of(st.none(), _HANDLE), mine=st.lists(_HANDLE, max_size=3),
       other=st.booleans(), require=st.booleans(),
       published=st.one_of(st.none(), st.datetimes(timezones=st.just(UTC))),
       start=st.one_of(st.none(), st.dates()), caption=st.one_of(st.none(), st.text()),
       tags=st.lists(st.sampled_from(["#ad", "#sponsored", "ad"]), max_size=2))
def test_post_flags_are_each_raised_once_and_ownership_is_one_verdict(
        author: str | None, mine: list[str], other: bool, require: bool,
        published: datetime | None, start: date | None, caption: str | None,
        tags: list[str]) -> None:
    flags = post_flags(PostFacts(author, published, caption, mine, other, start, None, tags,
                                 require))
    names = [f.name for f in flags]
    assert len(names) == len(set(names))
    assert set(names) <= {"not_owner", "owner_unverified", "outside_campaign_window",
                          "missing_disclosure"}
    assert not {"not_owner", "owner_unverified"} <= set(names)
    # An author among the affiliate's verified handles is never someone else's post.
    if author is not None and author.lstrip("@").casefold() in {
            h.lstrip("@").casefold() for h in mine}:
        assert "not_owner" not in names
