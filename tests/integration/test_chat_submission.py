"""POST /submissions/message: a chat line becomes a submission, through the same checks."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.apihelp import new_campaign, post_url, row_counts

PATH = "/api/v1/submissions/message"


def _say(client: Any, world: Any, text: str, campaign_id: int | None = None) -> Any:
    return client.post(PATH, json={"campaign_id": campaign_id or world.campaign_id, "text": text},
                       headers=world.auth(world.affiliate))


def test_a_chat_line_is_understood_and_stored_as_a_report(
    client: Any, world: Any, dispatched: Any
) -> None:
    url = post_url("reddit")

    resp = _say(client, world, f"hey! {url} got 1.2k views, clicks 40, 3 conversions")

    assert resp.status_code == 202
    answer = resp.get_json()
    assert answer["understood"] == {"platform": "reddit", "url": url, "claimed_views": 1200,
                                    "claimed_clicks": 40, "claimed_conversions": 3}
    assert answer["status"] == "PENDING"
    report = client.get(answer["links"]["report"], headers=world.auth(world.affiliate)).get_json()
    assert report["claimed"] == {"views": 1200, "clicks": 40, "conversions": 3}
    assert report["platform"] == "reddit"
    assert [(r, n) for r, n, _ in dispatched.sent] == [(answer["report_id"], 1)]


@pytest.mark.parametrize(("text", "fields"), [
    ("views 10, clicks 1, conversions 0", {"text.url"}),
    ("https://youtu.be/abcdefghijk 10 views", {"text.clicks", "text.conversions"}),
    ("https://myspace.com/p/1 views 1 clicks 1 conversions 1", {"text.url"}),
])
def test_a_line_lacking_something_is_422_naming_it(
    client: Any, world: Any, dispatched: Any, text: str, fields: set[str]
) -> None:
    before = row_counts()

    resp = _say(client, world, text)

    assert resp.status_code == 422
    assert {e["field"] for e in resp.get_json()["errors"]} == fields
    assert row_counts() == before


def test_the_usual_checks_apply(client: Any, world: Any, dispatched: Any) -> None:

    url = post_url("youtube")
    line = f"{url} views 10, clicks 1, conversions 0"
    assert _say(client, world, line).status_code == 202

    again = _say(client, world, line)
    too_big = _say(client, world, f"{post_url()} views 2000b, clicks 1, conversions 0")
    bad_id = _say(client, world, "https://youtu.be/short views 1, clicks 1, conversions 0")
    only_x = new_campaign(world.client_id, ("x",))
    mismatch = _say(client, world, f"{post_url()} views 1, clicks 1, conversions 0", only_x)

    assert (again.status_code, again.get_json()["code"]) == (409, "DUPLICATE_SUBMISSION")
    assert (too_big.status_code, too_big.get_json()["errors"][0]["field"]) == (422,
                                                                               "claimed_views")
    assert (bad_id.status_code, bad_id.get_json()["errors"][0]["field"]) == (422, "url")
    assert (mismatch.status_code, mismatch.get_json()["code"]) == (
        422, "CAMPAIGN_PLATFORM_MISMATCH")


def test_an_idempotency_key_makes_a_repeated_line_a_replay(
    client: Any, world: Any, dispatched: Any
) -> None:
    headers = {**world.auth(world.affiliate), "Idempotency-Key": "chat-1-" + post_url()[-11:]}
    body = {"campaign_id": world.campaign_id,
            "text": f"{post_url()} views 10, clicks 1, conversions 0"}

    first = client.post(PATH, json=body, headers=headers)
    again = client.post(PATH, json=body, headers=headers)

    assert first.status_code == again.status_code == 202
    assert again.get_json() == first.get_json()
    assert len(dispatched.sent) == 1


@pytest.mark.parametrize("text", [
    "https://[x views 1 clicks 1 conversions 1",
    "https://youtu.be:99999/abcdefghijk views 1 clicks 1 conversions 1",
    "-" * 4000,
])
def test_a_link_that_is_no_url_is_422_not_500(
    client: Any, world: Any, dispatched: Any, text: str
) -> None:
    before = row_counts()

    resp = _say(client, world, text)

    assert resp.status_code == 422, resp.get_json()
    assert any(e["field"] in ("text.url", "url") for e in resp.get_json()["errors"])
    assert row_counts() == before
