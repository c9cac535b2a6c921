"""Where the two halves of issue 16 meet at submission: the post's tracked link is attached
before its flags are decided, so a linked post's claimed clicks and conversions are not
called unverifiable (truth.md, Sources), and `has_tracked_link` reads the real links."""

from __future__ import annotations

from typing import Any

import pytest

from reconcile.persistence.db import unit_of_work
from reconcile.services.tracking.counts import has_tracked_link
from tests.conftest import unique_post_url
from tests.integration.tracking_help import auth, give_landing, make_link


def _submit(client: Any, world: Any, claim: tuple[int, int, int], code: str | None) -> dict:
    body: dict[str, Any] = {
        "campaign_id": world.campaign_id, "platform": "youtube", "url": unique_post_url(),
        "claimed_views": claim[0], "claimed_clicks": claim[1], "claimed_conversions": claim[2]}
    if code is not None:
        body["link_code"] = code
    r = client.post("/api/v1/submissions", json=body, headers=auth(world.affiliate))
    assert r.status_code == 202, r.get_json()
    return dict(r.get_json())


def _unverifiable(accepted: dict) -> list[dict]:
    return [f for f in accepted["suspicion_flags"] if f["name"] == "unverifiable_claim"]


@pytest.mark.parametrize(("claim", "linked", "flagged"), [
    ((100, 5, 2), True, False),   # the link measures both: nothing unverifiable
    ((100, 5, 2), False, True),   # no link: tracked clicks and postbacks cannot be measured
    ((100, 0, 0), False, False),  # nothing claimed on them: nothing to flag
])
def test_a_link_given_with_the_submission_counts_for_its_flags(
    client: Any, world: Any, claim: tuple[int, int, int], linked: bool, flagged: bool
) -> None:
    give_landing(client, world)  # sources stay the defaults: tracked / postback
    code = make_link(client, world) if linked else None

    accepted = _submit(client, world, claim, code)

    assert [f["severity"] for f in _unverifiable(accepted)] == (["LOW"] if flagged else [])
    with unit_of_work() as uow:
        assert (has_tracked_link(uow.session, [accepted["post_id"]])
                == ({accepted["post_id"]} if linked else set()))


def test_has_tracked_link_answers_for_the_linked_posts_among_many(client: Any,
                                                                   world: Any) -> None:
    give_landing(client, world)
    linked = [_submit(client, world, (100, 1, 0), make_link(client, world))["post_id"]
              for _ in range(3)]
    unlinked = [_submit(client, world, (100, 0, 0), None)["post_id"] for _ in range(2)]

    with unit_of_work() as uow:
        assert has_tracked_link(uow.session, linked + unlinked + [10**12]) == set(linked)
        assert has_tracked_link(uow.session, []) == set()
