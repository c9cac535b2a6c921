"""The funnel views → clicks → conversions (docs/sources.md, "The funnel")."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reconcile.services.reads.funnel import funnel

N = None
# posts' verified (views, clicks, conversions), None where nothing measured it ->
# (views, clicks, conversions, click_rate, conversion_rate)
FUNNEL_TABLE = [
    ([(1000, 50, 5)], (1000, 50, 5, 0.05, 0.1)),
    ([(1000, 50, 5), (3000, 150, 0)], (4000, 200, 5, 0.05, 0.025)),
    ([(1000, N, N)], (1000, N, N, N, N)),  # clicks and conversions unverifiable
    ([(1000, 50, 5), (9000, N, N)], (10000, 50, 5, 0.05, 0.1)),  # no dilution by 9,000 views
    ([(0, 0, 0)], (0, 0, 0, N, N)),  # nothing to divide by
    ([(N, N, N)], (N, N, N, N, N)),  # a post not measured yet
    ([], (N, N, N, N, N)),
    ([(N, 40, 4)], (N, 40, 4, N, 0.1)),  # views missing on the platform
    ([(3, 7, 0)], (3, 7, 0, 2.3333, 0.0)),  # clicks from elsewhere may exceed views
]


@pytest.mark.parametrize("posts, expected", FUNNEL_TABLE)
def test_the_funnel_sums_verified_numbers_and_rates_each_step_over_posts_with_both(
    posts, expected
):
    rows = [dict(zip(("views", "clicks", "conversions"), p, strict=True)) for p in posts]
    assert funnel(rows) == dict(zip(("views", "clicks", "conversions", "click_rate",
                                     "conversion_rate"), expected, strict=True))


counts = st.one_of(st.none(), st.integers(0, 10**9))


@given(st.lists(st.tuples(counts, counts, counts), max_size=20))
def test_a_rate_is_null_exactly_when_no_post_has_both_numbers_with_a_positive_base(posts):
    rows = [{"views": v, "clicks": c, "conversions": k} for v, c, k in posts]
    result = funnel(rows)
    base = sum(v for v, c, _ in posts if v is not None and c is not None)
    assert (result["click_rate"] is None) == (base == 0)
    if base:
        top = sum(c for v, c, _ in posts if v is not None and c is not None)
        assert result["click_rate"] == pytest.approx(top / base, abs=5e-5)
    assert result["views"] == (sum(v for v, _, _ in posts if v is not None)
                               if any(v is not None for v, _, _ in posts) else None)
