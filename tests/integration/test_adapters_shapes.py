"""Adapters send the real API's request and read its answer strictly, classifying surprises."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict

from reconcile.platforms.adapters import ADAPTERS, FetchResult, PlatformAdapter
from reconcile.platforms.adapters.parsing import retry_after_seconds
from reconcile.vocabulary import PLATFORMS

IDS = {
    "reddit": "abc12",
    "instagram": "C3xYz_-AbC1",
    "tiktok": "7301234567890123456",
    "youtube": "dQw4w9WgXcQ",
    "x": "1760000000000000001",
}


class Canned(HTTPAdapter):
    """Answer every request with one canned response and remember the requests."""

    def __init__(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__()
        self.status, self.headers = status, headers or {}
        self.body = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.sent: list[requests.PreparedRequest] = []

    def send(
        self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
    ) -> requests.Response:
        self.sent.append(request)
        response = requests.Response()
        response.status_code, response._content = self.status, self.body
        response.headers = CaseInsensitiveDict(self.headers)
        response.url, response.request = request.url or "", request
        return response


def adapter_answering(
    platform: str, status: int, body: Any, headers: dict[str, str] | None = None
) -> tuple[PlatformAdapter, Canned]:
    canned = Canned(status, body, headers)
    session = requests.Session()
    session.mount("http://", canned)
    return ADAPTERS[platform]("http://platform.test", session=session), canned


def good_body(platform: str, post_id: str, views: Any, clicks: Any = 2, conv: Any = 1) -> Any:
    """Build a well-formed answer in the platform's real shape."""
    if platform == "youtube":
        stats = {"viewCount": views, "likeCount": clicks, "commentCount": conv}
        return {
            "kind": "youtube#videoListResponse",
            "items": [{"id": post_id, "statistics": stats}],
        }
    if platform == "x":
        private = {"url_link_clicks": clicks, "user_profile_clicks": conv}
        tweet = {"id": post_id, "public_metrics": {"impression_count": views}}
        return {"data": [tweet | {"non_public_metrics": private}]}
    if platform == "reddit":
        link = {"id": post_id, "view_count": views, "ups": clicks, "num_comments": conv}
        return {"kind": "Listing", "data": {"children": [{"kind": "t3", "data": link}]}}
    if platform == "instagram":
        named = {"views": views, "profile_visits": clicks, "follows": conv}
        data = [
            {"name": n, "period": "lifetime", "values": [{"value": v}]} for n, v in named.items()
        ]
        return {post_id: {"id": post_id, "insights": {"data": data}}}
    video = {"id": post_id, "view_count": views, "like_count": clicks, "share_count": conv}
    return {"data": {"videos": [video]}, "error": {"code": "ok"}}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_well_formed_answer_maps_to_metrics(platform: str) -> None:
    views: Any = "40" if platform == "youtube" else 40
    adapter, _ = adapter_answering(platform, 200, good_body(platform, IDS[platform], views))
    assert adapter.fetch(IDS[platform]) == FetchResult(40, 2, 1)


@pytest.mark.parametrize("views", ["12a", "1.5", -3, 2.5, True, [], {"n": 1}, "-1", ""])
@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_count_that_is_not_a_non_negative_integer_is_an_invalid_response(
    platform: str, views: Any
) -> None:
    adapter, _ = adapter_answering(platform, 200, good_body(platform, IDS[platform], views))
    assert adapter.fetch(IDS[platform]).missing_reason == "invalid_response"


WRONG_SHAPES: list[Any] = [b"<html>oops</html>", b"", b'{"data": [', [], "text", {"items": 3}]


@pytest.mark.parametrize("body", WRONG_SHAPES)
@pytest.mark.parametrize("platform", PLATFORMS)
def test_an_unparsable_or_wrongly_nested_body_is_an_invalid_response(
    platform: str, body: Any
) -> None:
    adapter, _ = adapter_answering(platform, 200, body)
    assert adapter.fetch(IDS[platform]).missing_reason == "invalid_response"


NESTING = {
    "youtube": {"items": [{"id": IDS["youtube"], "statistics": ["viewCount", "1"]}]},
    "x": {"data": {"id": IDS["x"]}},
    "reddit": {"kind": "Listing", "data": {"children": [{"kind": "t1", "data": {}}]}},
    "instagram": {IDS["instagram"]: {"insights": {"data": [{"name": "views", "values": 5}]}}},
    "tiktok": {"data": {"videos": {"id": IDS["tiktok"]}}, "error": {"code": "ok"}},
}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_field_nested_the_wrong_way_is_an_invalid_response(platform: str) -> None:
    adapter, _ = adapter_answering(platform, 200, NESTING[platform])
    assert adapter.fetch(IDS[platform]).missing_reason == "invalid_response"


STATUSES = [
    (401, "auth_error"), (403, "auth_error"), (404, "not_found"), (400, "fetch_error"),
    (500, "fetch_error"), (502, "fetch_error"), (503, "fetch_error"), (504, "fetch_error"),
]  # fmt: skip


@pytest.mark.parametrize(("status", "reason"), STATUSES)
@pytest.mark.parametrize("platform", PLATFORMS)
def test_http_statuses_are_classified(platform: str, status: int, reason: str) -> None:
    adapter, _ = adapter_answering(platform, status, {"error": "x"})
    assert adapter.fetch(IDS[platform]) == FetchResult(None, None, None, missing_reason=reason)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_rate_limit_carries_the_retry_after_seconds(platform: str) -> None:
    adapter, _ = adapter_answering(platform, 429, {}, {"Retry-After": "12"})
    result = adapter.fetch(IDS[platform])
    assert (result.missing_reason, result.retry_after) == ("rate_limited", 12.0)


def test_retry_after_accepts_an_http_date_and_ignores_garbage() -> None:
    now = datetime(2024, 1, 1, tzinfo=UTC)
    header = format_datetime(now + timedelta(seconds=90), usegmt=True)
    assert retry_after_seconds(header, now=now.timestamp()) == 90.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


@pytest.mark.parametrize("platform", PLATFORMS)
def test_absent_or_null_metrics_are_none_without_a_missing_reason(platform: str) -> None:
    adapter, _ = adapter_answering(platform, 200, good_body(platform, IDS[platform], None))
    assert adapter.fetch(IDS[platform]) == FetchResult(None, 2, 1)


def test_x_answering_only_errors_means_every_post_is_not_found() -> None:
    errors = [{"value": IDS["x"], "title": "Not Found Error"}]
    adapter, _ = adapter_answering("x", 200, {"errors": errors})
    assert adapter.fetch(IDS["x"]).missing_reason == "not_found"


@pytest.mark.parametrize(
    ("code", "reason"),
    [("access_token_invalid", "auth_error"), ("rate_limit_exceeded", "rate_limited"),
     ("internal_error", "fetch_error")],
)  # fmt: skip
def test_tiktok_errors_inside_a_200_answer_are_classified(code: str, reason: str) -> None:
    body = {"data": {}, "error": {"code": code, "message": "", "log_id": "1"}}
    adapter, _ = adapter_answering("tiktok", 200, body)
    assert adapter.fetch(IDS["tiktok"]).missing_reason == reason


EXPECTED_REQUESTS = {
    "youtube": ("GET", "/youtube/v3/videos", {"part": ["statistics"], "id": ["a1,b2"]}),
    "x": ("GET", "/2/tweets", {"ids": ["a1,b2"]}),
    "reddit": ("GET", "/api/info", {"id": ["t3_a1,t3_b2"]}),
    "instagram": ("GET", "/v21.0/", {"ids": ["a1,b2"]}),
    "tiktok": ("POST", "/v2/video/query/", {}),
}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_request_has_the_real_api_shape_and_carries_the_token(platform: str) -> None:
    canned = Canned(200, {})
    session = requests.Session()
    session.mount("http://", canned)
    adapter = ADAPTERS[platform]("http://platform.test/", session=session, token="tok")
    adapter.fetch_many(["a1", "b2", "a1"])
    [sent] = canned.sent
    method, path, params = EXPECTED_REQUESTS[platform]
    url = urlsplit(sent.url or "")
    assert (sent.method, url.path) == (method, path)
    assert params.items() <= parse_qs(url.query).items()
    assert sent.headers["Authorization"] == "Bearer tok"
    if platform == "tiktok":
        assert json.loads(sent.body or b"{}")["filters"] == {"video_ids": ["a1", "b2"]}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_adapter_uses_explicit_connect_and_read_timeouts(platform: str) -> None:
    adapter = ADAPTERS[platform]("http://platform.test", timeout=7.0)
    connect, read = adapter.timeout
    assert 0 < connect <= read == 7.0
