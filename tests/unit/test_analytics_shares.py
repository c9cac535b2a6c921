"""The analytics' one-pass fold of grouped posts equals the plain definition, post by post.

`plain_share` is the definition (docs/sources.md): sums over the posts, by status, by
source, and the funnel computed by `funnel()` from each post's verified numbers. The
analytics read groups of posts alike (tallies, POSTS: status, sources, which numbers were
seen) once under each post's platform and once under its affiliate, and fold them in one
pass (`analytics.summarise`); here random posts are grouped the same way and both folds are
compared, share by share.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from reconcile.rules import Status
from reconcile.rules.sources import LEGACY_ENGAGEMENT, NONE, PLATFORM, POSTBACK, TRACKED
from reconcile.services.reads import analytics
from reconcile.services.reads.funnel import funnel

METRICS = analytics.METRICS
STATUSES = (Status.PENDING, Status.MATCHED, Status.DISCREPANCY_LOW, "DISCREPANCY_HIGH",
            "MISSING_PLATFORM_DATA")


def plain_share(posts: list[dict[str, Any]]) -> dict[str, Any]:
    """The figures of some posts, each counted on its own."""
    by_status: Counter[str] = Counter(p["status"] for p in posts)
    split: dict[str, Counter[str]] = {m: Counter() for m in METRICS}
    for p in posts:
        for m in METRICS:
            if p["seen"][m] is not None:
                split[m][p["sources"].get(m, NONE)] += p["seen"][m]
    reconciled = sum(n for s, n in by_status.items() if s != Status.PENDING)
    success = sum(by_status[s] for s in analytics.SUCCESS)
    return {
        "posts": len(posts),
        "claimed": {m: sum(p["claimed"][m] for p in posts) for m in METRICS},
        "verified": {m: sum(p["verified"][m] or 0 for p in posts) for m in METRICS},
        "verified_by_source": {m: dict(sorted(split[m].items())) for m in METRICS},
        "funnel": funnel([p["verified"] for p in posts]),
        "by_status": dict(sorted(by_status.items())),
        "reconciled": reconciled,
        "success_rate": round(success / reconciled, 4) if reconciled else None,
    }


def _grouped(posts: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """The posts as `current.grouped_rows` gives them: by platform, then by affiliate."""
    groups: dict[tuple[Any, ...], list[int]] = {}
    for p in posts:
        alike = (p["status"], *[p["sources"].get(m) for m in METRICS],
                 *[p["seen"][m] is None for m in METRICS])
        for who in ((p["platform"], None), (None, p["affiliate_id"])):
            sums = groups.setdefault((*who, *alike), [0] * 7)
            for i, v in enumerate([1, *[p["claimed"][m] for m in METRICS],
                                   *[p["seen"][m] or 0 for m in METRICS]]):
                sums[i] += v
    return [(*key, *sums[:4], *[None if key[6 + i] else sums[4 + i] for i in range(3)])
            for key, sums in groups.items()]


_SOURCES = st.fixed_dictionaries({}, optional={
    "views": st.sampled_from((PLATFORM, NONE, LEGACY_ENGAGEMENT)),
    "clicks": st.sampled_from((TRACKED, PLATFORM, NONE, LEGACY_ENGAGEMENT)),
    "conversions": st.sampled_from((POSTBACK, NONE, LEGACY_ENGAGEMENT))})
_POST = st.fixed_dictionaries({
    "platform": st.sampled_from(("x", "tiktok", "reddit")),
    "affiliate_id": st.integers(1, 4),
    "status": st.sampled_from(STATUSES),
    "claimed": st.fixed_dictionaries({m: st.integers(0, 10**9) for m in METRICS}),
    "seen": st.fixed_dictionaries({m: st.one_of(st.none(), st.integers(0, 10**9))
                                   for m in METRICS}),
    "sources": _SOURCES})


@settings(max_examples=300, deadline=None)
@given(posts=st.lists(_POST, max_size=40))
def test_the_one_pass_fold_of_groups_equals_the_posts_counted_one_by_one(
        posts: list[dict[str, Any]]) -> None:
    for p in posts:
        p["verified"] = analytics._verified(p["seen"], p["sources"])
    names = {a: (f"a{a}", 50.0) for a in range(1, 5)}

    view = analytics.summarise(_grouped(posts), len(posts), [], names)

    whole = plain_share(posts)
    assert view["totals"] == {"posts": whole["posts"], "reports": len(posts),
                              **{k: whole[k] for k in ("claimed", "verified", "funnel",
                                                       "verified_by_source")}}
    assert view["reconciliation"] == {
        "by_status": whole["by_status"], "reconciled": whole["reconciled"],
        "success_rate": whole["success_rate"],
        "pending": whole["by_status"].get(Status.PENDING, 0)}
    assert [c["platform"] for c in view["by_platform"]] == sorted({p["platform"] for p in posts})
    for cut in view["by_platform"]:
        mine = plain_share([p for p in posts if p["platform"] == cut["platform"]])
        assert {k: cut[k] for k in mine} == mine
    assert [c["affiliate_id"] for c in view["by_affiliate"]] == sorted(
        {p["affiliate_id"] for p in posts})
    for cut in view["by_affiliate"]:
        mine = plain_share([p for p in posts if p["affiliate_id"] == cut["affiliate_id"]])
        assert {k: cut[k] for k in mine} == mine
        assert (cut["name"], cut["trust_score"]) == names[cut["affiliate_id"]]


def test_views_with_no_source_are_the_platform_s_and_other_metrics_are_unverified() -> None:
    seen = {"views": 10, "clicks": 3, "conversions": 1}
    assert analytics._verified(seen, {}) == {"views": 10, "clicks": None, "conversions": None}
    assert analytics._verified(seen, {"views": NONE, "clicks": TRACKED,
                                      "conversions": POSTBACK}) == {
        "views": None, "clicks": 3, "conversions": 1}
    assert analytics._verified(seen, {"clicks": LEGACY_ENGAGEMENT, "conversions": NONE}) == {
        "views": 10, "clicks": None, "conversions": None}
