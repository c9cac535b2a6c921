"""The chat-style submission parser: phrasings it understands, and what it says it lacks."""

from __future__ import annotations

import time

import pytest

from reconcile.chat import MessageNotUnderstood, parse_message, to_count

YT = "https://youtu.be/abcdefghijk"

# (text, platform, (views, clicks, conversions))
UNDERSTOOD = [
    (f"{YT} views 1200, clicks 40, 3 conversions", "youtube", (1200, 40, 3)),
    (f"1.2k views / 40 clicks / 3 sales {YT}", "youtube", (1200, 40, 3)),
    (f"views 1200 clicks 40 conversions 3 {YT}", "youtube", (1200, 40, 3)),
    (f"1200 views 40 clicks 3 conversions — {YT}.", "youtube", (1200, 40, 3)),
    (f"Views: 12,345 | Clicks: 1,000 | Conversions: 0 ({YT})", "youtube", (12345, 1000, 0)),
    (f"got 2.5M views and 12k clicks and 1 signup {YT}", "youtube", (2500000, 12000, 1)),
    (f"views=3 million; clicks=7; orders=2\n{YT}", "youtube", (3000000, 7, 2)),
    ("www.reddit.com/comments/abc123 views 10, clicks 1, conversions 0", "reddit", (10, 1, 0)),
    ("https://x.com/me/status/123456 10 views, 1 click, 0 purchases", "x", (10, 1, 0)),
    ("https://www.tiktok.com/@me/video/7234567890123456789 views 5 clicks 0 conv 0", "tiktok",
     (5, 0, 0)),
    ("https://www.instagram.com/p/ABCDE12/ 100 impressions, 3 taps, 1 sale", "instagram",
     (100, 3, 1)),
]


@pytest.mark.parametrize(("text", "platform", "counts"), UNDERSTOOD)
def test_a_message_yields_the_link_its_platform_and_three_counts(
    text: str, platform: str, counts: tuple[int, int, int]
) -> None:
    parsed = parse_message(text)

    assert parsed.platform == platform
    assert (parsed.views, parsed.clicks, parsed.conversions) == counts
    assert parsed.url.startswith("https://") and not parsed.url.endswith((".", ")"))


# (text, the fields the parser must name)
NOT_UNDERSTOOD = [
    ("views 10, clicks 1, conversions 0", {"url"}),
    (f"{YT} views 10, clicks 1", {"conversions"}),
    (f"{YT} great post!", {"views", "clicks", "conversions"}),
    ("https://example.com/post views 1 clicks 1 conversions 1", {"url"}),
    (f"{YT} views 1.5, clicks 1, conversions 0", {"views"}),
    (f"{YT} views 10, views 20, clicks 1, conversions 0", {"views"}),
    ("", {"url", "views", "clicks", "conversions"}),
]


@pytest.mark.parametrize(("text", "missing"), NOT_UNDERSTOOD)
def test_a_message_lacking_something_names_what_is_missing(text: str, missing: set[str]) -> None:
    with pytest.raises(MessageNotUnderstood) as caught:
        parse_message(text)

    assert set(caught.value.problems) == missing


@pytest.mark.parametrize(("text", "value"), [
    ("1200", 1200), ("1,200", 1200), ("1_200", 1200), ("1.2k", 1200), ("1.2 K", 1200),
    ("3m", 3_000_000), ("2 million", 2_000_000), ("1.5b", 1_500_000_000), ("0", 0),
    ("1.25k", 1250), ("1.5", None), ("1.2345k", None), ("12 dozen", None),
])
def test_counts_are_read_as_whole_numbers(text: str, value: int | None) -> None:
    assert to_count(text) == value


@pytest.mark.parametrize("text", [
    "https://[x views 1 clicks 1 conversions 1",
    "http://[::1 views 1, clicks 1, conversions 1",
])
def test_a_link_that_is_not_a_url_is_named_as_the_problem(text: str) -> None:
    with pytest.raises(MessageNotUnderstood) as caught:
        parse_message(text)

    assert set(caught.value.problems) == {"url"}


@pytest.mark.parametrize("run", ["-", "a-", "a.", "1-", "-."])
def test_finding_the_link_takes_time_linear_in_the_text(run: str) -> None:
    # The 4,000-character limit of a message, all of it characters a host name may hold:
    # the old lookahead search spent ~0.1-0.2 s of CPU on one such text.
    text = run * (4000 // len(run))
    started = time.process_time()
    for _ in range(10):
        with pytest.raises(MessageNotUnderstood):
            parse_message(text)

    assert time.process_time() - started < 0.3


def test_a_bare_host_inside_a_word_or_an_address_is_not_a_link() -> None:
    for text in ("mail me@youtu.be/abcdefghijk views 1 clicks 1 conversions 1",
                 "notyoutu.be/abcdefghijk views 1 clicks 1 conversions 1"):
        with pytest.raises(MessageNotUnderstood) as caught:
            parse_message(text)
        assert "url" in caught.value.problems
