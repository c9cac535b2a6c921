"""Post URLs normalise to one canonical URL and post id per platform."""

from __future__ import annotations

import pytest

from reconcile.platforms.urls import (
    MAX_URL_LENGTH,
    PLATFORM_HOSTS,
    InvalidPostUrl,
    NormalisedUrl,
    host_belongs_to,
    normalise,
    post_id_is_valid,
)
from reconcile.vocabulary import PLATFORMS

RD = "https://www.reddit.com/comments/1abc2de"
IG = "https://www.instagram.com/p/C3xYz_-AbC1/"
TT = "https://www.tiktok.com/@/video/7301234567890123456"
YT = "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
X = "https://x.com/i/status/1760000000000000001"

TT_ID = "7301234567890123456"
X_ID = "1760000000000000001"

FORMS: dict[str, tuple[str, str, list[str]]] = {
    "reddit": (RD, "1abc2de", [
        "https://www.reddit.com/r/python/comments/1abc2de/some_title/",
        "https://reddit.com/r/python/comments/1abc2de",
        "https://old.reddit.com/r/python/comments/1abc2de/t/?utm_source=share",
        "http://np.reddit.com/r/python/comments/1abc2de/t/kx9zz1a/",
        "https://m.reddit.com/comments/1abc2de",
        "https://new.reddit.com/user/someone/comments/1abc2de/t/",
        "https://redd.it/1abc2de",
        "https://WWW.Reddit.COM/gallery/1ABC2DE",
        "  https://www.reddit.com/comments/1abc2de?ref=share&ref_source=link  ",
    ]),
    "instagram": (IG, "C3xYz_-AbC1", [
        "https://www.instagram.com/p/C3xYz_-AbC1/",
        "https://instagram.com/p/C3xYz_-AbC1",
        "https://www.instagram.com/reel/C3xYz_-AbC1/?igshid=abc123",
        "https://www.instagram.com/reels/C3xYz_-AbC1/",
        "https://m.instagram.com/tv/C3xYz_-AbC1/?utm_source=ig_web",
        "https://www.instagram.com/someone/p/C3xYz_-AbC1/",
        "http://instagr.am/p/C3xYz_-AbC1/",
        "https://www.instagram.com/p/C3xYz_-AbC1/?img_index=2&fbclid=x",
    ]),
    "tiktok": (TT, TT_ID, [
        f"https://www.tiktok.com/@someone/video/{TT_ID}",
        f"https://tiktok.com/@some.one/video/{TT_ID}?is_from_webapp=1&sender_device=pc",
        f"https://m.tiktok.com/v/{TT_ID}.html",
        f"https://www.tiktok.com/embed/v2/{TT_ID}",
        f"https://www.tiktok.com/embed/{TT_ID}",
        f"https://www.tiktok.com/player/v1/{TT_ID}?autoplay=1",
        f"https://www.tiktok.com/@Someone/video/{TT_ID}/?lang=en",
        f"http://www.tiktok.com/@x/video/{TT_ID}?_r=1&_t=8kABC",
    ]),
    "youtube": (YT, "dQw4w9WgXcQ", [
        "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        "https://youtube.com/watch?feature=share&v=dQw4w9WgXcQ&t=42s",
        "https://m.youtube.com/watch?v=dQw4w9WgXcQ&list=PL123",
        "https://music.youtube.com/watch?v=dQw4w9WgXcQ&si=abc",
        "https://youtu.be/dQw4w9WgXcQ?si=AbCdEf",
        "https://www.youtube.com/shorts/dQw4w9WgXcQ?feature=share",
        "https://www.youtube.com/embed/dQw4w9WgXcQ",
        "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ?start=3",
        "https://www.youtube.com/live/dQw4w9WgXcQ",
    ]),
    "x": (X, X_ID, [
        f"https://x.com/someone/status/{X_ID}",
        f"https://twitter.com/someone/status/{X_ID}?s=20&t=AbC",
        f"https://mobile.twitter.com/someone/status/{X_ID}",
        f"https://mobile.x.com/someone/status/{X_ID}/photo/1",
        f"https://www.twitter.com/someone/statuses/{X_ID}",
        f"https://twitter.com/i/web/status/{X_ID}",
        f"https://x.com/i/status/{X_ID}",
        f"http://twitter.com/#!/someone/status/{X_ID}",
        f"https://X.com/SomeOne/status/{X_ID}?ref_src=twsrc",
    ]),
}  # fmt: skip

GOOD = [(p, url, canon, pid) for p, (canon, pid, urls) in FORMS.items() for url in urls]


@pytest.mark.parametrize(("platform", "url", "canonical", "post_id"), GOOD)
def test_a_post_url_normalises_to_its_canonical_url_and_post_id(
    platform: str, url: str, canonical: str, post_id: str
) -> None:
    assert normalise(platform, url) == NormalisedUrl(platform, canonical, post_id)


def test_every_platform_has_at_least_eight_url_forms_in_the_table() -> None:
    for platform in PLATFORMS:
        assert sum(1 for row in GOOD if row[0] == platform) >= 8


@pytest.mark.parametrize(("platform", "url", "canonical", "post_id"), GOOD)
def test_normalising_a_canonical_url_is_a_fixed_point(
    platform: str, url: str, canonical: str, post_id: str
) -> None:
    assert normalise(platform, canonical).canonical_url == canonical


BAD = [
    ("reddit", "https://www.reddit.com/r/python/"),
    ("reddit", "https://www.reddit.com/r/python/s/AbCdEf123"),
    ("reddit", "https://www.reddit.com/comments/"),
    ("reddit", "https://evil.example/r/python/comments/1abc2de/"),
    ("reddit", "https://reddit.com.evil.example/comments/1abc2de"),
    ("reddit", "https://www.reddit.com@evil.example/comments/1abc2de"),
    ("instagram", "https://www.instagram.com/someone/"),
    ("instagram", "https://www.instagram.com/share/BAabc123"),
    ("instagram", "https://www.youtube.com/p/C3xYz_-AbC1/"),
    ("tiktok", "https://vm.tiktok.com/ZMabc123/"),
    ("tiktok", "https://vt.tiktok.com/ZSabc123/"),
    ("tiktok", "https://www.tiktok.com/t/ZTabc123/"),
    ("tiktok", "https://www.tiktok.com/@someone"),
    ("tiktok", "https://www.tiktok.com/@someone/video/notanumber"),
    ("youtube", "https://www.youtube.com/watch?list=PL123"),
    ("youtube", "https://www.youtube.com/watch?v=short"),
    ("youtube", "https://www.youtube.com/@channel"),
    ("youtube", "https://youtu.be/"),
    ("x", "https://x.com/someone"),
    ("x", "https://x.com/someone/status/abc"),
    ("x", "https://x.com/someone/likes"),
    ("x", "https://instagram.com/someone/status/1760000000000000001"),
    ("youtube", "ftp://www.youtube.com/watch?v=dQw4w9WgXcQ"),
    ("youtube", "javascript:alert(1)//www.youtube.com/watch?v=dQw4w9WgXcQ"),
    ("youtube", "www.youtube.com/watch?v=dQw4w9WgXcQ"),
    ("youtube", "https://www.youtube.com:8443/watch?v=dQw4w9WgXcQ"),
    ("youtube", "https://www.youtube.com/watch?v=dQw4w9WgXcQ&pad=" + "a" * MAX_URL_LENGTH),
    ("youtube", "https://www.you tube.com/watch?v=dQw4w9WgXcQ"),
    ("youtube", ""),
    ("youtube", "   "),
    ("myspace", "https://www.youtube.com/watch?v=dQw4w9WgXcQ"),
]


@pytest.mark.parametrize(("platform", "url"), BAD)
def test_a_url_without_an_extractable_post_id_is_rejected(platform: str, url: str) -> None:
    with pytest.raises(InvalidPostUrl) as caught:
        normalise(platform, url)
    message = str(caught.value)
    assert message and "\n" not in message


def test_a_foreign_host_is_rejected_with_a_message_naming_the_platform() -> None:
    with pytest.raises(InvalidPostUrl, match="does not belong to reddit"):
        normalise("reddit", "https://www.youtube.com/watch?v=dQw4w9WgXcQ")


def test_a_url_of_exactly_the_maximum_length_is_accepted() -> None:
    url = "https://www.youtube.com/watch?v=dQw4w9WgXcQ&pad="
    url += "a" * (MAX_URL_LENGTH - len(url))
    assert normalise("youtube", url).post_id == "dQw4w9WgXcQ"


@pytest.mark.parametrize("platform", PLATFORMS)
def test_every_listed_host_belongs_to_its_platform_only(platform: str) -> None:
    for host in PLATFORM_HOSTS[platform]:
        url = f"https://{host}/anything"
        assert host_belongs_to(platform, url)
        assert not any(host_belongs_to(other, url) for other in PLATFORMS if other != platform)


@pytest.mark.parametrize(
    "url", ["ftp://reddit.com/x", "", "reddit.com/comments/abc", "https://notreddit.com/"]
)
def test_host_belongs_to_is_false_for_anything_not_an_http_url_on_the_platform(url: str) -> None:
    assert not host_belongs_to("reddit", url)


def test_post_id_shapes_are_checked_per_platform() -> None:
    assert post_id_is_valid("youtube", "dQw4w9WgXcQ")
    assert not post_id_is_valid("youtube", "dQw4w9WgXc")
    assert not post_id_is_valid("x", "12a")
    assert not post_id_is_valid("nowhere", "1")
