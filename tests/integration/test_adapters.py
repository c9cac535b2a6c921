"""Every adapter maps the simulator's answers (truth, omissions, faults) the same way."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests

from reconcile.config import load_settings
from reconcile.platforms import get_adapter
from reconcile.platforms.adapters import ADAPTERS, FetchResult, PlatformAdapter
from reconcile.sim.store import default_truth
from reconcile.vocabulary import PLATFORMS
from tests.simulator import running_sim

URLS = {
    "reddit": ("https://www.reddit.com/r/python/comments/{id}/title/", "rd{n:05d}"),
    "instagram": ("https://www.instagram.com/reel/{id}/?igshid=x", "Cig{n:08d}"),
    "tiktok": ("https://www.tiktok.com/@someone/video/{id}", "73{n:017d}"),
    "youtube": ("https://youtu.be/{id}?si=x", "yt{n:09d}"),
    "x": ("https://twitter.com/someone/status/{id}?s=20", "17{n:017d}"),
}

_serial = iter(range(1, 10**6))


def new_id(platform: str) -> str:
    """Return a post id of the platform's shape, unique within this test run."""
    return URLS[platform][1].format(n=next(_serial))


def url_of(platform: str, post_id: str) -> str:
    return URLS[platform][0].format(id=post_id)


@pytest.fixture(scope="module")
def sim_url() -> Iterator[str]:
    with running_sim() as base_url:
        yield base_url


@pytest.fixture(autouse=True)
def clean_sim(sim_url: str) -> Iterator[None]:
    requests.post(f"{sim_url}/_sim/reset", timeout=5).raise_for_status()
    yield
    # Also releases any answer a timeout fault is still holding.
    requests.post(f"{sim_url}/_sim/reset", timeout=5).raise_for_status()


def adapter_for(platform: str, sim_url: str, timeout: float = 5.0) -> PlatformAdapter:
    return ADAPTERS[platform](sim_url, timeout=timeout, token="test-token")


def put_post(sim_url: str, platform: str, post_id: str, **fields: object) -> None:
    body = {"platform": platform, "url": url_of(platform, post_id), **fields}
    requests.put(f"{sim_url}/_sim/posts", json=body, timeout=5).raise_for_status()


def put_fault(sim_url: str, platform: str, mode: str, **fields: object) -> None:
    body = {"platform": platform, "mode": mode, **fields}
    requests.put(f"{sim_url}/_sim/faults", json=body, timeout=5).raise_for_status()


def calls(sim_url: str) -> dict[str, int]:
    answer: dict[str, int] = requests.get(f"{sim_url}/_sim/calls", timeout=5).json()
    return answer


# What each real API has no number for (written here, not read from the simulator).
NOT_REPORTED = {
    "youtube": {"shares", "link_clicks"},
    "reddit": {"shares", "link_clicks"},
    "tiktok": {"link_clicks"},
    "instagram": set(),
    "x": set(),
}
COUNTS = ("views", "likes", "comments", "shares", "link_clicks")
WHEN = datetime(2026, 11, 20, 10, 30, tzinfo=UTC)


def told(platform: str, **counts: int | None) -> dict[str, object]:
    """A full PUT /_sim/posts body for the platform (link clicks only where it has them)."""
    body: dict[str, object] = {"author": "ana_creates", "published_at": "2026-11-20T10:30:00Z",
                               "caption": "Spring drop #ad"}
    body.update({m: v for m, v in counts.items()
                 if m != "link_clicks" or m not in NOT_REPORTED[platform]})
    return body


def reported(platform: str, counts: dict[str, int | None], author: str = "ana_creates",
             when: datetime = WHEN, caption: str = "Spring drop #ad") -> FetchResult:
    shown = {m: None if m in NOT_REPORTED[platform] else counts.get(m) for m in COUNTS}
    return FetchResult(**shown, author=author, published_at=when, caption=caption)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_adapter_reports_the_truth_the_simulator_was_told(platform: str, sim_url: str) -> None:
    post_id = new_id(platform)
    counts = {"views": 12345, "likes": 678, "comments": 9, "shares": 4, "link_clicks": 55}
    put_post(sim_url, platform, post_id, **told(platform, **counts))
    assert adapter_for(platform, sim_url).fetch(post_id) == reported(platform, counts)


@pytest.mark.parametrize("platform", ["youtube", "reddit", "tiktok"])
def test_link_clicks_cannot_be_told_to_a_platform_that_has_none(platform: str,
                                                                 sim_url: str) -> None:
    body = {"platform": platform, "url": url_of(platform, new_id(platform)), "views": 1,
            "link_clicks": 1}
    answer = requests.put(f"{sim_url}/_sim/posts", json=body, timeout=5)
    assert answer.status_code == 422 and "link_clicks" in answer.json()["message"]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_clicks_and_conversions_told_by_an_old_caller_are_served_by_no_platform(
    platform: str, sim_url: str
) -> None:
    post_id = new_id(platform)
    put_post(sim_url, platform, post_id, views=100, clicks=777_777, conversions=888_888)
    result = adapter_for(platform, sim_url).fetch(post_id)
    assert result.views == 100
    assert 777_777 not in result.counts().values() and 888_888 not in result.counts().values()


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_post_never_told_about_gets_stable_metrics_from_its_id(
    platform: str, sim_url: str
) -> None:
    post_id = new_id(platform)
    adapter = adapter_for(platform, sim_url)
    first = adapter.fetch(post_id)
    truth = default_truth(post_id)
    assert first == reported(platform, {m: truth.get(m) for m in COUNTS}, truth.author,
                             truth.published_at, truth.caption)
    assert adapter.fetch(post_id) == first
    assert first.views is not None and 1000 <= first.views <= 100_000
    assert first.likes is not None and first.likes <= first.views // 10


@pytest.mark.parametrize("metric", ["views", "likes", "comments", "shares", "link_clicks"])
@pytest.mark.parametrize("platform", PLATFORMS)
def test_an_omitted_metric_comes_back_as_none_without_a_missing_reason(
    platform: str, metric: str, sim_url: str
) -> None:
    post_id = new_id(platform)
    counts: dict[str, int | None] = {"views": 500, "likes": 50, "comments": 5, "shares": 2,
                                     "link_clicks": 7}
    put_post(sim_url, platform, post_id, **told(platform, **counts), omit=[metric])
    result = adapter_for(platform, sim_url).fetch(post_id)
    assert result == reported(platform, {**counts, metric: None})


FAULT_REASONS = {
    "error": "fetch_error",
    "rate_limit": "rate_limited",
    "auth": "auth_error",
    "not_found": "not_found",
    "malformed": "invalid_response",
    "timeout": "timeout",
}


@pytest.mark.parametrize("mode", FAULT_REASONS)
@pytest.mark.parametrize("platform", PLATFORMS)
def test_each_fault_mode_yields_its_missing_reason(platform: str, mode: str, sim_url: str) -> None:
    put_fault(sim_url, platform, mode, retry_after=7)
    # A short client timeout keeps the timeout case quick; the simulator holds far longer.
    result = adapter_for(platform, sim_url, timeout=0.5).fetch(new_id(platform))
    assert result.missing_reason == FAULT_REASONS[mode]
    assert set(result.counts().values()) == {None} and result.author is None
    assert result.retry_after == (7.0 if mode == "rate_limit" else None)
    assert calls(sim_url)[platform] == 1


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_counted_fault_affects_only_the_next_n_calls(platform: str, sim_url: str) -> None:
    put_fault(sim_url, platform, "error", count=2)
    adapter = adapter_for(platform, sim_url)
    post_id = new_id(platform)
    reasons = [adapter.fetch(post_id).missing_reason for _ in range(3)]
    assert reasons == ["fetch_error", "fetch_error", None]


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_whole_batch_costs_one_call_and_longer_lists_are_chunked(
    platform: str, sim_url: str
) -> None:
    adapter = adapter_for(platform, sim_url)
    ids = [new_id(platform) for _ in range(adapter.batch_size + 1)]
    counts = {"views": 3, "likes": 2, "comments": 1, "shares": 1, "link_clicks": 1}
    put_post(sim_url, platform, ids[-1], **told(platform, **counts))
    results = adapter.fetch_many(ids)
    assert set(results) == set(ids)
    assert all(r.missing_reason is None for r in results.values())
    assert results[ids[-1]] == reported(platform, counts)
    assert calls(sim_url)[platform] == 2


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_whole_call_failure_marks_every_id_in_the_batch(platform: str, sim_url: str) -> None:
    put_fault(sim_url, platform, "auth")
    ids = [new_id(platform) for _ in range(3)]
    results = adapter_for(platform, sim_url).fetch_many(ids)
    assert {i: r.missing_reason for i, r in results.items()} == dict.fromkeys(ids, "auth_error")
    assert calls(sim_url)[platform] == 1


@pytest.mark.parametrize("platform", PLATFORMS)
def test_an_id_missing_from_a_batch_answer_is_not_found(platform: str, sim_url: str) -> None:
    known = new_id(platform)
    unknown = "no-such-post!"  # wrong shape for every platform, so the platform omits it
    results = adapter_for(platform, sim_url).fetch_many([known, unknown])
    assert results[known].missing_reason is None
    assert results[unknown] == FetchResult(missing_reason="not_found")
    assert calls(sim_url)[platform] == 1


@pytest.mark.parametrize("platform", PLATFORMS)
def test_latency_delays_the_answer_but_it_still_arrives(platform: str, sim_url: str) -> None:
    put_fault(sim_url, platform, "none", latency_ms=300)
    started = time.monotonic()
    result = adapter_for(platform, sim_url).fetch(new_id(platform))
    assert time.monotonic() - started >= 0.3
    assert result.missing_reason is None


@pytest.mark.parametrize("platform", PLATFORMS)
def test_reset_forgets_posts_faults_and_counts(platform: str, sim_url: str) -> None:
    post_id = new_id(platform)
    put_post(sim_url, platform, post_id, **told(platform, views=1, likes=1))
    put_fault(sim_url, platform, "error")
    adapter = adapter_for(platform, sim_url)
    assert adapter.fetch(post_id).missing_reason == "fetch_error"
    requests.post(f"{sim_url}/_sim/reset", timeout=5).raise_for_status()
    assert calls(sim_url) == dict.fromkeys(PLATFORMS, 0)
    truth = default_truth(post_id)
    assert adapter.fetch(post_id) == reported(platform, {m: truth.get(m) for m in COUNTS},
                                              truth.author, truth.published_at, truth.caption)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_platform_that_refuses_connections_is_a_fetch_error(platform: str) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    adapter = adapter_for(platform, f"http://127.0.0.1:{closed_port}")
    assert adapter.fetch(new_id(platform)).missing_reason == "fetch_error"


def test_faults_on_one_platform_leave_the_others_alone(sim_url: str) -> None:
    put_fault(sim_url, "youtube", "error")
    assert adapter_for("x", sim_url).fetch(new_id("x")).missing_reason is None


@pytest.mark.parametrize("platform", PLATFORMS)
def test_get_adapter_reads_the_base_url_from_settings_and_is_cached(
    platform: str, sim_url: str
) -> None:
    settings = load_settings({"RECONCILE_PLATFORM_BASE_URL": sim_url + "/"})
    adapter = get_adapter(platform, settings)
    assert adapter is get_adapter(platform, settings)
    assert adapter.name == platform and adapter.base_url == sim_url
    assert adapter.fetch(new_id(platform)).missing_reason is None
