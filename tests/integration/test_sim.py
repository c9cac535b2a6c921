"""The simulator's control routes keep their contract, and it serves many clients at once."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from flask.testing import FlaskClient

from reconcile.platforms.adapters import ADAPTERS
from reconcile.sim import create_sim_app
from reconcile.vocabulary import PLATFORMS
from tests.simulator import running_sim

VIDEO = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"


@pytest.fixture()
def client() -> FlaskClient:
    return create_sim_app(timeout_hold_seconds=5).test_client()


@pytest.fixture(scope="module")
def sim_url() -> Iterator[str]:
    with running_sim() as base_url:
        yield base_url


def youtube_views(client: FlaskClient) -> Any:
    answer = client.get("/youtube/v3/videos?part=statistics&id=dQw4w9WgXcQ")
    return answer.get_json()["items"][0]["statistics"].get("viewCount")


def test_putting_a_post_answers_with_its_normalised_id(client: FlaskClient) -> None:
    body = {"platform": "youtube", "url": VIDEO + "&si=x", "views": 7, "likes": 3,
            "comments": 1, "author": "ana", "published_at": "2026-11-20T10:30:00Z",
            "caption": "Hi #ad", "omit": ["comments"]}  # fmt: skip
    answer = client.put("/_sim/posts", json=body)
    assert answer.status_code == 200
    # YouTube serves no shares and no link clicks, so the answer names neither.
    assert answer.get_json() == {"platform": "youtube", "post_id": "dQw4w9WgXcQ",
                                 "canonical_url": VIDEO, "views": 7, "likes": 3,
                                 "author": "ana", "published_at": "2026-11-20T10:30:00Z",
                                 "caption": "Hi #ad", "omit": ["comments"],
                                 "removed": False}  # fmt: skip
    assert youtube_views(client) == "7"


def test_a_post_keeps_its_old_callers_working_and_serves_no_clicks(client: FlaskClient) -> None:
    body = {"platform": "youtube", "url": VIDEO, "views": 7, "clicks": 3, "conversions": 1}
    assert client.put("/_sim/posts", json=body).status_code == 200
    statistics = client.get("/youtube/v3/videos?part=statistics&id=dQw4w9WgXcQ").get_json()[
        "items"][0]["statistics"]
    assert statistics["viewCount"] == "7"
    assert set(statistics) == {"viewCount", "likeCount", "commentCount", "favoriteCount"}


BAD_POSTS: list[Any] = [
    {"platform": "youtube", "url": "https://x.com/a/status/1", "views": 1, "clicks": 1,
     "conversions": 1},
    {"platform": "youtube", "url": "https://www.youtube.com/", "views": 1, "clicks": 1,
     "conversions": 1},
    {"platform": "myspace", "url": VIDEO, "views": 1, "clicks": 1, "conversions": 1},
    {"platform": "youtube", "url": VIDEO, "views": "1", "clicks": 1, "conversions": 1},
    {"platform": "youtube", "url": VIDEO, "views": -1, "clicks": 1, "conversions": 1},
    {"platform": "youtube", "url": VIDEO, "views": True, "clicks": 1, "conversions": 1},
    {"platform": "youtube", "url": VIDEO, "views": 1.5, "clicks": 1, "conversions": 1},
    {"platform": "youtube", "url": VIDEO, "likes": 1},
    {"platform": "youtube", "url": VIDEO, "views": 1, "omit": ["follows"]},
    {"platform": "youtube", "url": VIDEO, "views": 1, "clicks": "3"},
    {"platform": "youtube", "url": VIDEO, "views": 1, "link_clicks": 3},
    {"platform": "x", "url": "https://x.com/a/status/1", "views": 1, "author": 5},
    {"platform": "x", "url": "https://x.com/a/status/1", "views": 1, "published_at": "noon"},
    {"platform": "youtube", "url": VIDEO, "views": 1, "clicks": 1, "conversions": 1,
     "extra": 1},
    {"platform": "youtube", "url": 5, "views": 1, "clicks": 1, "conversions": 1},
    [],
    "not an object",
]  # fmt: skip


@pytest.mark.parametrize("body", BAD_POSTS)
def test_an_invalid_post_is_refused_with_422_json(client: FlaskClient, body: Any) -> None:
    answer = client.put("/_sim/posts", json=body)
    assert answer.status_code == 422
    assert answer.get_json()["error"] == "invalid_request"


BAD_FAULTS: list[Any] = [
    {"platform": "youtube", "mode": "explode"},
    {"platform": "nowhere", "mode": "error"},
    {"platform": "youtube", "mode": "error", "count": 0},
    {"platform": "youtube", "mode": "error", "count": "2"},
    {"platform": "youtube", "mode": "rate_limit", "retry_after": -1},
    {"platform": "youtube", "mode": "none", "latency_ms": -5},
    {"platform": "youtube", "mode": "none", "colour": "red"},
]


@pytest.mark.parametrize("body", BAD_FAULTS)
def test_an_invalid_fault_is_refused_with_422_json(client: FlaskClient, body: Any) -> None:
    assert client.put("/_sim/faults", json=body).status_code == 422


def test_a_post_sent_without_omitted_metrics_needs_no_value_for_them(
    client: FlaskClient,
) -> None:
    body = {"platform": "youtube", "url": VIDEO, "clicks": 1, "conversions": 1,
            "omit": ["views"]}  # fmt: skip
    assert client.put("/_sim/posts", json=body).status_code == 200
    assert youtube_views(client) is None


def test_calls_are_counted_per_platform_including_failures(client: FlaskClient) -> None:
    client.put("/_sim/faults", json={"platform": "reddit", "mode": "error"})
    assert client.get("/api/info?id=t3_abc").status_code == 503
    client.get("/youtube/v3/videos?part=statistics&id=dQw4w9WgXcQ")
    assert client.get("/_sim/calls").get_json() == dict.fromkeys(PLATFORMS, 0) | {
        "reddit": 1,
        "youtube": 1,
    }


def test_control_routes_and_unknown_paths_are_not_counted(client: FlaskClient) -> None:
    client.get("/_sim/calls")
    client.get("/nothing/")
    client.get("/v21/")  # not a Graph API version
    assert client.get("/_sim/calls").get_json() == dict.fromkeys(PLATFORMS, 0)


def test_reset_answers_and_clears_everything(client: FlaskClient) -> None:
    body = {"platform": "youtube", "url": VIDEO, "views": 1, "clicks": 1, "conversions": 1}
    client.put("/_sim/posts", json=body)
    client.put("/_sim/faults", json={"platform": "youtube", "mode": "auth"})
    assert client.post("/_sim/reset").status_code == 200
    assert youtube_views(client) != "1"
    assert client.get("/_sim/calls").get_json()["youtube"] == 1


def test_a_rate_limit_fault_sends_retry_after_in_whole_seconds(client: FlaskClient) -> None:
    client.put("/_sim/faults", json={"platform": "x", "mode": "rate_limit", "retry_after": 2.5})
    answer = client.get("/2/tweets?ids=1")
    assert (answer.status_code, answer.headers["Retry-After"]) == (429, "3")


def test_a_malformed_fault_answers_200_with_a_body_that_does_not_parse(
    client: FlaskClient,
) -> None:
    client.put("/_sim/faults", json={"platform": "tiktok", "mode": "malformed"})
    answer = client.post("/v2/video/query/?fields=id", json={"filters": {"video_ids": ["1"]}})
    assert answer.status_code == 200
    with pytest.raises(ValueError):
        answer.get_json(force=True, silent=False)


def test_batch_limits_of_the_real_apis_are_enforced(client: FlaskClient) -> None:
    ids = ",".join(f"yt{n:09d}" for n in range(51))
    assert client.get(f"/youtube/v3/videos?part=statistics&id={ids}").status_code == 400
    tiktok = {"filters": {"video_ids": [str(10**18 + n) for n in range(21)]}}
    assert client.post("/v2/video/query/?fields=id", json=tiktok).status_code == 400


def test_a_timeout_hold_is_released_as_soon_as_the_fault_changes(sim_url: str) -> None:
    requests.put(f"{sim_url}/_sim/faults", json={"platform": "youtube", "mode": "timeout"},
                 timeout=5).raise_for_status()  # fmt: skip
    answers: list[int] = []

    def call() -> None:
        url = f"{sim_url}/youtube/v3/videos?part=statistics&id=dQw4w9WgXcQ"
        answers.append(requests.get(url, timeout=60).status_code)

    caller = threading.Thread(target=call, daemon=True)
    caller.start()
    deadline = time.monotonic() + 10
    while requests.get(f"{sim_url}/_sim/calls", timeout=5).json()["youtube"] < 1:
        assert time.monotonic() < deadline, "the held call never reached the simulator"
        time.sleep(0.01)
    assert caller.is_alive()
    requests.put(f"{sim_url}/_sim/faults", json={"platform": "youtube", "mode": "none"},
                 timeout=5).raise_for_status()  # fmt: skip
    caller.join(timeout=10)
    assert answers == [504]


def test_dozens_of_concurrent_clients_are_all_answered(sim_url: str) -> None:
    requests.post(f"{sim_url}/_sim/reset", timeout=5).raise_for_status()
    requests.put(f"{sim_url}/_sim/faults", json={"platform": "x", "mode": "none",
                 "latency_ms": 200}, timeout=5).raise_for_status()  # fmt: skip
    adapter = ADAPTERS["x"](sim_url, timeout=10)
    with ThreadPoolExecutor(max_workers=40) as pool:
        results = list(pool.map(adapter.fetch, [str(10**17 + n) for n in range(40)]))
    assert all(r.missing_reason is None for r in results)
    assert requests.get(f"{sim_url}/_sim/calls", timeout=5).json()["x"] == 40
