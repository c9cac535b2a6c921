"""GET /links: the caller's tracked links, newest first, with their counted numbers."""

from __future__ import annotations

from typing import Any

from tests.integration.tracking_help import auth, click, drain, give_landing, make_link


def test_an_affiliate_lists_its_own_links_newest_first_with_their_counted_clicks(
    client: Any, world: Any
) -> None:
    give_landing(client, world)
    first, second = make_link(client, world), make_link(client, world)
    stranger_code = make_link(client, world, world.new_affiliate())
    click(client, first)
    click(client, first)  # the same visitor again: filtered as a duplicate
    drain()

    answer = client.get("/api/v1/links", headers=auth(world.affiliate))

    assert answer.status_code == 200, answer.get_json()
    items = answer.get_json()["items"]
    assert [i["code"] for i in items] == [second, first]
    assert items[1]["clicks"] == {"counted": 1} and items[1]["conversions"] == {"counted": 0}
    assert items[1]["url"].endswith(f"/r/{first}") and items[1]["post_id"] is None
    assert stranger_code not in [i["code"] for i in items]


def test_a_client_lists_its_campaigns_links_and_another_clients_sees_none_of_them(
    client: Any, world: Any
) -> None:
    from reconcile.services.admin.accounts import create_client
    from tests.integration.apihelp import new_user

    give_landing(client, world)
    code = make_link(client, world)
    own = client.get(f"/api/v1/links?campaign_id={world.campaign_id}",
                     headers=auth(world.advertiser)).get_json()["items"]
    stranger = new_user("CLIENT", create_client("stranger")["id"])
    theirs = client.get("/api/v1/links", headers=auth(stranger)).get_json()["items"]

    assert [i["code"] for i in own] == [code]
    assert code not in [i["code"] for i in theirs]


def test_links_are_paged_by_an_opaque_cursor(client: Any, world: Any) -> None:
    give_landing(client, world)
    codes = [make_link(client, world) for _ in range(3)]

    first = client.get("/api/v1/links?limit=2", headers=auth(world.affiliate)).get_json()
    rest = client.get(f"/api/v1/links?limit=2&cursor={first['next_cursor']}",
                      headers=auth(world.affiliate)).get_json()

    assert [i["code"] for i in first["items"] + rest["items"]] == codes[::-1]
    assert rest["next_cursor"] is None
