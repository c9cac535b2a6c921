"""Normalise submitted post URLs: check the host, extract the post id, build the canonical URL.

The canonical URL is rebuilt from the post id alone, so tracking parameters (utm_*, si,
igshid, feature, fbclid, s, t, ref, ...) and user-name path segments never survive. That
matters for duplicate-claim detection: x.com and tiktok.com ignore the user segment, so
`x.com/anyone/status/<id>` is the same post as `x.com/someone/status/<id>`.

| platform  | canonical URL                              | post id                      |
|-----------|--------------------------------------------|------------------------------|
| reddit    | https://www.reddit.com/comments/<id>       | base36, lower case           |
| instagram | https://www.instagram.com/p/<shortcode>/   | shortcode (case kept)        |
| tiktok    | https://www.tiktok.com/@/video/<id>        | numeric video id             |
| youtube   | https://www.youtube.com/watch?v=<id>       | 11-character video id        |
| x         | https://x.com/i/status/<id>                | numeric post id              |

Short links that only a network call could resolve (vm./vt.tiktok.com, tiktok.com/t/,
reddit.com/r/<sub>/s/, instagram.com/share/) are rejected: normalising never does I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urlsplit

MAX_URL_LENGTH = 2048

PLATFORM_HOSTS: dict[str, tuple[str, ...]] = {
    "reddit": (
        "reddit.com", "www.reddit.com", "old.reddit.com", "new.reddit.com",
        "np.reddit.com", "m.reddit.com", "redd.it",
    ),
    "instagram": (
        "instagram.com", "www.instagram.com", "m.instagram.com", "instagr.am", "www.instagr.am",
    ),
    "tiktok": ("tiktok.com", "www.tiktok.com", "m.tiktok.com", "vm.tiktok.com", "vt.tiktok.com"),
    "youtube": (
        "youtube.com", "www.youtube.com", "m.youtube.com", "music.youtube.com", "youtu.be",
        "youtube-nocookie.com", "www.youtube-nocookie.com",
    ),
    "x": (
        "x.com", "www.x.com", "mobile.x.com",
        "twitter.com", "www.twitter.com", "mobile.twitter.com",
    ),
}  # fmt: skip

POST_ID_PATTERNS: dict[str, re.Pattern[str]] = {
    "reddit": re.compile(r"[a-z0-9]{1,13}"),
    "instagram": re.compile(r"[A-Za-z0-9_-]{5,64}"),
    "tiktok": re.compile(r"[0-9]{8,20}"),
    "youtube": re.compile(r"[A-Za-z0-9_-]{11}"),
    "x": re.compile(r"[0-9]{1,20}"),
}


class InvalidPostUrl(ValueError):
    """A URL that cannot be turned into a platform post id."""


@dataclass(frozen=True)
class NormalisedUrl:
    platform: str
    canonical_url: str
    post_id: str


@dataclass(frozen=True)
class _Parts:
    host: str
    segments: list[str]
    query: dict[str, list[str]]
    fragment: str


def post_id_is_valid(platform: str, post_id: str) -> bool:
    """Tell whether post_id has the shape of an id on that platform."""
    pattern = POST_ID_PATTERNS.get(platform)
    return bool(pattern and isinstance(post_id, str) and pattern.fullmatch(post_id))


def host_belongs_to(platform: str, url: str) -> bool:
    """Tell whether url is an http(s) URL on one of the platform's hosts."""
    try:
        parts = _split(url)
    except InvalidPostUrl:
        return False
    return parts.host in PLATFORM_HOSTS.get(platform, ())


def normalise(platform: str, url: str) -> NormalisedUrl:
    """Return the canonical URL and post id of url, or raise InvalidPostUrl."""
    if platform not in PLATFORM_HOSTS:
        raise InvalidPostUrl(f"unknown platform {platform!r}")
    parts = _split(url)
    if parts.host not in PLATFORM_HOSTS[platform]:
        raise InvalidPostUrl(f"host {parts.host} does not belong to {platform}")
    post_id, canonical = _EXTRACTORS[platform](parts)
    if not post_id_is_valid(platform, post_id):
        raise InvalidPostUrl(f"no {platform} post id found in the URL")
    return NormalisedUrl(platform=platform, canonical_url=canonical, post_id=post_id)


# One compiled scan instead of a Python loop over every character (a submission's hot path).
_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f\x7f]")


def _split(url: object) -> _Parts:
    if not isinstance(url, str) or not url.strip():
        raise InvalidPostUrl("URL is empty")
    if len(url) > MAX_URL_LENGTH:
        raise InvalidPostUrl(f"URL is longer than {MAX_URL_LENGTH} characters")
    url = url.strip()
    if _SPACE_OR_CONTROL.search(url):
        raise InvalidPostUrl("URL contains whitespace or control characters")
    try:
        split = urlsplit(url)
        port = split.port
    except ValueError:
        raise InvalidPostUrl("URL is not well formed") from None
    if split.scheme.lower() not in ("http", "https"):
        raise InvalidPostUrl("URL must start with http:// or https://")
    if split.username is not None or split.password is not None:
        raise InvalidPostUrl("URL must not carry credentials")
    if port not in (None, 80, 443):
        raise InvalidPostUrl("URL must not name a port")
    host = (split.hostname or "").rstrip(".")  # hostname is already lower case
    if not host:
        raise InvalidPostUrl("URL has no host")
    segments = [unquote(s) for s in split.path.split("/") if s]
    return _Parts(host, segments, parse_qs(split.query), split.fragment)


def _unresolvable(kind: str) -> InvalidPostUrl:
    return InvalidPostUrl(f"{kind} short links cannot be resolved; submit the full post URL")


def _at(segments: list[str], index: int) -> str:
    return segments[index] if 0 <= index < len(segments) else ""


def _reddit(p: _Parts) -> tuple[str, str]:
    s = p.segments
    if p.host == "redd.it":
        post_id = s[0] if len(s) == 1 else ""
    elif len(s) >= 3 and s[0] == "r" and s[2] == "s":
        raise _unresolvable("reddit /s/")
    elif _at(s, 0) in ("comments", "gallery"):
        post_id = _at(s, 1)
    elif _at(s, 0) in ("r", "u", "user") and _at(s, 2) == "comments":
        post_id = _at(s, 3)
    else:
        post_id = ""
    post_id = post_id.lower()
    return post_id, f"https://www.reddit.com/comments/{post_id}"


_INSTAGRAM_KINDS = ("p", "reel", "reels", "tv")


def _instagram(p: _Parts) -> tuple[str, str]:
    s = p.segments
    if _at(s, 0) == "share":
        raise _unresolvable("instagram /share/")
    if _at(s, 0) in _INSTAGRAM_KINDS:
        code = _at(s, 1)
    elif _at(s, 1) in _INSTAGRAM_KINDS:  # /<username>/p/<code>/
        code = _at(s, 2)
    else:
        code = ""
    return code, f"https://www.instagram.com/p/{code}/"


def _tiktok(p: _Parts) -> tuple[str, str]:
    s = p.segments
    if p.host in ("vm.tiktok.com", "vt.tiktok.com") or _at(s, 0) == "t":
        raise _unresolvable("tiktok")
    if _at(s, 0).startswith("@") and _at(s, 1) == "video":
        video_id = _at(s, 2)
    elif _at(s, 0) == "v":  # m.tiktok.com/v/<id>.html
        video_id = _at(s, 1).removesuffix(".html")
    elif _at(s, 0) == "embed":
        video_id = _at(s, 2) if _at(s, 1) == "v2" else _at(s, 1)
    elif _at(s, 0) in ("player", "share") and _at(s, 1) in ("v1", "video"):
        video_id = _at(s, 2)
    else:
        video_id = ""
    return video_id, f"https://www.tiktok.com/@/video/{video_id}"


def _youtube(p: _Parts) -> tuple[str, str]:
    s = p.segments
    if p.host == "youtu.be":
        video_id = _at(s, 0)
    elif _at(s, 0) == "watch":
        video_id = (p.query.get("v") or [""])[0]
    elif _at(s, 0) in ("shorts", "embed", "live", "v", "e"):
        video_id = _at(s, 1)
    else:
        video_id = ""
    return video_id, f"https://www.youtube.com/watch?v={video_id}"


_X_HANDLE = re.compile(r"[A-Za-z0-9_]{1,15}")


def _x(p: _Parts) -> tuple[str, str]:
    s = p.segments
    if not s and p.fragment.startswith("!/"):  # legacy twitter.com/#!/<user>/status/<id>
        s = [x for x in p.fragment[2:].split("/") if x]
    if s[:3] == ["i", "web", "status"]:
        post_id = _at(s, 3)
    elif _X_HANDLE.fullmatch(_at(s, 0)) and _at(s, 1) in ("status", "statuses"):
        post_id = _at(s, 2)  # also covers /i/status/<id>
    else:
        post_id = ""
    return post_id, f"https://x.com/i/status/{post_id}"


_EXTRACTORS: dict[str, Callable[[_Parts], tuple[str, str]]] = {
    "reddit": _reddit,
    "instagram": _instagram,
    "tiktok": _tiktok,
    "youtube": _youtube,
    "x": _x,
}
