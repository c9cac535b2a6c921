"""The scale bench's seeder: sizes kept exactly, a skewed but complete spread."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from reconcile.bench.scale import TARGET_RATIO, compare
from reconcile.bench.seed import reports_per_post


@given(st.integers(1, 300), st.integers(0, 3000), st.integers(0, 2**32))
def test_every_post_gets_a_report_and_the_total_is_exact(posts, extra, seed):
    counts = reports_per_post(posts, posts + extra, random.Random(seed))
    assert len(counts) == posts
    assert min(counts) >= 1
    assert sum(counts) == posts + extra


def test_the_same_seed_seeds_the_same_spread():
    assert reports_per_post(50, 500, random.Random(7)) == reports_per_post(
        50, 500, random.Random(7))


def _figure(*rounds: float) -> dict:
    return {"median_ms": sorted(rounds)[len(rounds) // 2], "rounds_ms": list(rounds)}


def test_a_figure_is_flat_up_to_twice_its_empty_figure():
    out = compare({"a": _figure(10.0), "b": _figure(10.0)},
                  {"a": _figure(10.0 * TARGET_RATIO), "b": _figure(20.1)})
    assert (out["a"]["ratio"], out["a"]["flat"]) == (2.0, True)
    assert (out["b"]["ratio"], out["b"]["flat"]) == (2.01, False)
