"""Profiles and takedowns through each adapter against the simulator (truth.md,
"Simulator"; docs/fraud.md): the bio as each real API shapes it, unknown accounts, faults,
and posts taken down."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from reconcile.platforms.adapters import ADAPTERS
from reconcile.vocabulary import PLATFORMS
from tests.integration.test_adapters import new_id, url_of
from tests.simulator import running_sim


@pytest.fixture(scope="module")
def sim_url() -> Iterator[str]:
    with running_sim() as base_url:
        yield base_url


@pytest.fixture(autouse=True)
def clean(sim_url: str) -> Iterator[None]:
    requests.post(f"{sim_url}/_sim/reset", timeout=5).raise_for_status()
    yield
    requests.post(f"{sim_url}/_sim/reset", timeout=5).raise_for_status()


def _put(sim_url: str, route: str, body: dict[str, object]) -> requests.Response:
    return requests.put(f"{sim_url}/_sim/{route}", json=body, timeout=5)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_each_adapter_reads_the_bio_of_a_profile(platform: str, sim_url: str) -> None:
    assert _put(sim_url, "profiles", {"platform": platform, "handle": "@Ana_Creates",
                                      "bio": "Spring drops. rc-0123456789"}).ok
    adapter = ADAPTERS[platform](sim_url, token="t")

    profile = adapter.fetch_profile("ana_creates")

    assert profile.missing_reason is None
    assert profile.bio == "Spring drops. rc-0123456789"
    assert (profile.handle or "").casefold() == "ana_creates"


@pytest.mark.parametrize("platform", PLATFORMS)
def test_an_unknown_account_is_not_found(platform: str, sim_url: str) -> None:
    profile = ADAPTERS[platform](sim_url, token="t").fetch_profile("nobody_here")
    assert (profile.missing_reason, profile.bio) == ("not_found", None)


@pytest.mark.parametrize("platform", PLATFORMS)
@pytest.mark.parametrize(("mode", "reason"), [("error", "fetch_error"),
                                              ("rate_limit", "rate_limited"),
                                              ("malformed", "invalid_response")])
def test_a_platform_fault_is_a_reason_not_a_bio(platform: str, mode: str, reason: str,
                                                sim_url: str) -> None:
    _put(sim_url, "profiles", {"platform": platform, "handle": "ana", "bio": "rc-1"})
    _put(sim_url, "faults", {"platform": platform, "mode": mode, "count": 1})
    profile = ADAPTERS[platform](sim_url, token="t").fetch_profile("ana")
    assert (profile.missing_reason, profile.bio) == (reason, None)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_post_taken_down_is_not_found_and_back_when_restored(platform: str,
                                                               sim_url: str) -> None:
    post_id = new_id(platform)
    body = {"platform": platform, "url": url_of(platform, post_id), "views": 10}
    adapter = ADAPTERS[platform](sim_url, token="t")
    assert _put(sim_url, "posts", {**body, "removed": True}).json()["removed"] is True
    assert adapter.fetch(post_id).missing_reason == "not_found"
    _put(sim_url, "posts", body)
    assert adapter.fetch(post_id).views == 10


@pytest.mark.parametrize("body", [
    {"platform": "x", "handle": "a b", "bio": ""}, {"platform": "x", "handle": "", "bio": ""},
    {"platform": "myspace", "handle": "ana", "bio": ""},
    {"platform": "x", "handle": "ana", "bio": 7}, {"platform": "x", "handle": "ana", "x": 1},
    {"platform": "x", "handle": "ana", "bio": "b" * 2201},
])
def test_bad_profiles_are_refused(body: dict[str, object], sim_url: str) -> None:
    answer = _put(sim_url, "profiles", body)
    assert answer.status_code == 422
    assert answer.json()["error"] == "invalid_request"


def test_removed_must_be_a_boolean(sim_url: str) -> None:
    body = {"platform": "x", "url": url_of("x", new_id("x")), "views": 1, "removed": "yes"}
    assert _put(sim_url, "posts", body).status_code == 422
