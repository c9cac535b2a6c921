"""A batch's platforms are fetched side by side: each gets its own answers, its own call
and its own breaker, and one platform's failure stays its own."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from reconcile.platforms import breaker
from reconcile.platforms.fetching import fetch_truth_grouped, fetch_truth_many
from reconcile.platforms.urls import normalise
from tests.conftest import unique_post_url

# views, likes, comments per platform
TRUTH = {"youtube": (1000, 50, 5), "reddit": (2200, 70, 7), "x": (3300, 90, 9)}


@pytest.fixture
def posts(sim: Any) -> Iterator[dict[str, list[str]]]:
    """Two posts per platform, each with that platform's truth in the simulator."""
    groups: dict[str, list[str]] = {}
    for platform, (views, likes, comments) in TRUTH.items():
        for _ in range(2):
            url = unique_post_url(platform)
            sim.post(platform, url, views, likes=likes, comments=comments)
            groups.setdefault(platform, []).append(normalise(platform, url).post_id)
    yield groups
    for platform in TRUTH:
        sim.fault(platform, "none")
        breaker.reset(platform)  # a failing platform's breaker must not outlive the test


def test_each_platform_gets_its_own_posts_answers(posts: dict[str, list[str]]) -> None:
    fetched = fetch_truth_grouped(posts)
    assert set(fetched) == set(TRUTH)
    for platform, ids in posts.items():
        views, likes, comments = TRUTH[platform]
        assert set(fetched[platform]) == set(ids)
        for outcome in fetched[platform].values():
            assert (outcome.metrics["views"], outcome.metrics["likes"],
                    outcome.metrics["comments"]) == (views, likes, comments)


def test_grouped_answers_equal_one_platform_at_a_time(posts: dict[str, list[str]]) -> None:
    assert fetch_truth_grouped(posts) == {p: fetch_truth_many(p, ids) for p, ids in posts.items()}


def test_one_platform_failing_leaves_the_others_answered(sim: Any,
                                                         posts: dict[str, list[str]]) -> None:
    sim.fault("reddit", "error")
    fetched = fetch_truth_grouped(posts)
    assert {o.missing_reason for o in fetched["reddit"].values()} <= {"fetch_error",
                                                                      "circuit_open"}
    assert all(o.metrics["views"] == TRUTH["x"][0] for o in fetched["x"].values())
    assert all(o.metrics["views"] == TRUTH["youtube"][0] for o in fetched["youtube"].values())


def test_the_fetch_function_can_be_swapped(posts: dict[str, list[str]]) -> None:
    seen: list[str] = []

    def fake(platform: str, ids: Any) -> dict:
        seen.append(platform)
        return dict.fromkeys(ids)

    fetch_truth_grouped(posts, fetch=fake)
    assert sorted(seen) == sorted(TRUTH)
