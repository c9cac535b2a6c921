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


WHEN = datetime(2026, 11, 20, 10, 30, tzinfo=UTC)


def good_body(platform: str, post_id: str, views: Any, likes: Any = 2, comments: Any = 1) -> Any:
    """Build a well-formed answer in the platform's real shape (field names as documented by
    each API: YouTube videos.list, X v2 tweets lookup, Reddit /api/info, Instagram Graph
    media, TikTok Display API video query)."""
    if platform == "youtube":
        stats = {"viewCount": views, "likeCount": likes, "commentCount": comments,
                 "favoriteCount": "0"}
        snippet = {"publishedAt": "2026-11-20T10:30:00Z", "channelId": "UCx",
                   "channelTitle": "ana_creates", "title": "Spring drop",
                   "description": "#ad link below"}
        return {"kind": "youtube#videoListResponse",
                "items": [{"id": post_id, "snippet": snippet, "statistics": stats}]}
    if platform == "x":
        public = {"impression_count": views, "like_count": likes, "reply_count": comments,
                  "retweet_count": 3, "quote_count": 1, "bookmark_count": 0}
        private = {"impression_count": views, "url_link_clicks": 9, "user_profile_clicks": 4}
        tweet = {"id": post_id, "author_id": "42", "created_at": "2026-11-20T10:30:00.000Z",
                 "text": "Spring drop\n\n#ad link below", "public_metrics": public,
                 "non_public_metrics": private}
        users = [{"id": "42", "name": "Ana", "username": "ana_creates"}]
        return {"data": [tweet], "includes": {"users": users}}
    if platform == "reddit":
        link = {"id": post_id, "view_count": views, "ups": likes, "score": likes,
                "num_comments": comments, "author": "ana_creates",
                "created_utc": WHEN.timestamp(), "title": "Spring drop",
                "selftext": "#ad link below"}
        return {"kind": "Listing", "data": {"children": [{"kind": "t3", "data": link}]}}
    if platform == "instagram":
        named = {"views": views, "shares": 3, "website_clicks": 9, "follows": 4}
        data = [{"name": n, "period": "lifetime", "values": [{"value": v}]}
                for n, v in named.items()]
        return {post_id: {"id": post_id, "username": "ana_creates",
                          "timestamp": "2026-11-20T10:30:00+0000",
                          "caption": "Spring drop\n\n#ad link below", "like_count": likes,
                          "comments_count": comments, "insights": {"data": data}}}
    video = {"id": post_id, "view_count": views, "like_count": likes, "comment_count": comments,
             "share_count": 4, "create_time": int(WHEN.timestamp()),
             "share_url": f"https://www.tiktok.com/@ana_creates/video/{post_id}",
             "title": "", "video_description": "Spring drop\n\n#ad link below"}
    return {"data": {"videos": [video]}, "error": {"code": "ok"}}


# Per platform: (shares, link clicks) in good_body; None where the real API has no such
# number. Engagement never lands in clicks or conversions: FetchResult has neither.
OTHER_COUNTS = {"youtube": (None, None), "x": (4, 9), "reddit": (None, None),
                "instagram": (3, 9), "tiktok": (4, None)}


def expected(platform: str, views: int | None, likes: int | None = 2,
             comments: int | None = 1) -> FetchResult:
    shares, link_clicks = OTHER_COUNTS[platform]
    return FetchResult(views=views, likes=likes, comments=comments, shares=shares,
                       link_clicks=link_clicks, author="ana_creates", published_at=WHEN,
                       caption="Spring drop\n\n#ad link below")


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_well_formed_answer_maps_to_metrics(platform: str) -> None:
    views: Any = "40" if platform == "youtube" else 40
    likes: Any = "2" if platform == "youtube" else 2
    comments: Any = "1" if platform == "youtube" else 1
    body = good_body(platform, IDS[platform], views, likes, comments)
    adapter, _ = adapter_answering(platform, 200, body)
    assert adapter.fetch(IDS[platform]) == expected(platform, 40)


BAD_TEXT = {
    "youtube": lambda b: b["items"][0]["snippet"].update(channelTitle=7),
    "x": lambda b: b["data"][0].update(created_at="yesterday"),
    "reddit": lambda b: b["data"]["children"][0]["data"].update(created_utc="soon"),
    "instagram": lambda b: next(iter(b.values())).update(caption=["#ad"]),
    "tiktok": lambda b: b["data"]["videos"][0].update(create_time="noon"),
}


@pytest.mark.parametrize("platform", PLATFORMS)
def test_an_author_time_or_caption_of_the_wrong_type_is_an_invalid_response(
    platform: str
) -> None:
    body = good_body(platform, IDS[platform], 40)
    BAD_TEXT[platform](body)
    adapter, _ = adapter_answering(platform, 200, body)
    assert adapter.fetch(IDS[platform]).missing_reason == "invalid_response"


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
    assert adapter.fetch(IDS[platform]) == FetchResult(missing_reason=reason)


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
    assert adapter.fetch(IDS[platform]) == expected(platform, None)


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
    "youtube": ("GET", "/youtube/v3/videos", {"part": ["snippet,statistics"], "id": ["a1,b2"]}),
    "x": ("GET", "/2/tweets", {"ids": ["a1,b2"], "expansions": ["author_id"],
                               "user.fields": ["username"]}),
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


# The fields each adapter asks for: every one it reads, named as the real API names them.
ASKED_FOR = {
    "youtube": ("part", {"snippet", "statistics"}),
    "x": ("tweet.fields", {"created_at", "author_id", "text", "public_metrics",
                           "non_public_metrics"}),
    "tiktok": ("fields", {"id", "create_time", "share_url", "video_description", "view_count",
                          "like_count", "comment_count", "share_count"}),
    "instagram": ("fields", {"username", "timestamp", "caption", "like_count",
                             "comments_count", "insights.metric(views", "shares",
                             "website_clicks)"}),
}


@pytest.mark.parametrize("platform", sorted(ASKED_FOR))
def test_the_adapter_asks_for_every_field_it_reads(platform: str) -> None:
    canned = Canned(200, {})
    session = requests.Session()
    session.mount("http://", canned)
    ADAPTERS[platform]("http://platform.test/", session=session).fetch_many(["a1"])
    param, fields = ASKED_FOR[platform]
    asked = set(parse_qs(urlsplit(canned.sent[0].url or "").query)[param][0].split(","))
    assert fields <= asked


@pytest.mark.parametrize("platform", PLATFORMS)
def test_the_adapter_uses_explicit_connect_and_read_timeouts(platform: str) -> None:
    adapter = ADAPTERS[platform]("http://platform.test", timeout=7.0)
    connect, read = adapter.timeout
    assert 0 < connect <= read == 7.0
