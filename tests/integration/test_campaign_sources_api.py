"""Campaign sources through the API: defaults, choices, SOURCE_UNAVAILABLE, PATCH, reads."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.apihelp import auth, new_campaign, new_user


def _create(client: Any, world: Any, **extra: Any) -> Any:
    body = {"name": "Sources", "client_id": world.client_id, "platforms": ["x"], **extra}
    return client.post("/api/v1/campaigns", json=body, headers=world.auth(world.advertiser))


def test_a_new_campaign_verifies_clicks_by_tracked_links_and_conversions_by_postbacks(
    client: Any, world: Any
) -> None:
    made = _create(client, world)
    assert made.status_code == 201
    body = made.get_json()
    assert body["sources"] == {"clicks": "tracked", "conversions": "postback"}
    assert (body["required_tags"], body["require_verified_handle"]) == ([], True)
    read = client.get(f"/api/v1/campaigns/{body['id']}", headers=world.auth(world.advertiser))
    assert read.get_json()["sources"] == body["sources"]


@pytest.mark.parametrize("platforms, clicks, status", [
    (["x"], "platform", 201),
    (["x", "instagram"], "platform", 201),
    (["x", "youtube"], "platform", 422),
    (["reddit"], "platform", 422),
    (["reddit"], "none", 201),
    (["tiktok"], "none", 201),
])
def test_platform_clicks_need_every_platform_to_report_link_clicks(
    client: Any, world: Any, platforms: list[str], clicks: str, status: int
) -> None:
    answer = _create(client, world, platforms=platforms,
                     sources={"clicks": clicks, "conversions": "none"},
                     required_tags=["#ad"], require_verified_handle=False)
    assert answer.status_code == status
    if status == 422:
        problem = answer.get_json()
        assert answer.mimetype == "application/problem+json"
        assert problem["code"] == "SOURCE_UNAVAILABLE"
        assert all(p in problem["detail"] for p in platforms if p not in ("x", "instagram"))
    else:
        assert answer.get_json()["sources"] == {"clicks": clicks, "conversions": "none"}
        assert answer.get_json()["required_tags"] == ["#ad"]


@pytest.mark.parametrize("extra", [
    {"sources": {"clicks": "likes"}},
    {"sources": {"conversions": "tracked"}},
    {"sources": {"clicks": "tracked", "views": "platform"}},
    {"sources": "tracked"},
    {"required_tags": "#ad"},
    {"required_tags": ["two words"]},
    {"required_tags": ["#t"] * 21},
    {"require_verified_handle": "yes"},
])
def test_bad_sources_or_tags_are_a_validation_error(client: Any, world: Any,
                                                      extra: dict[str, Any]) -> None:
    answer = _create(client, world, **extra)
    assert answer.status_code == 422
    assert answer.get_json()["code"] == "VALIDATION_ERROR"


def test_a_client_changes_its_campaign_sources_and_the_change_is_refused_when_unavailable(
    client: Any, world: Any
) -> None:
    campaign = new_campaign(world.client_id, ("x", "youtube"))
    url = f"/api/v1/campaigns/{campaign}"
    headers = world.auth(world.advertiser)

    changed = client.patch(url, json={"sources": {"clicks": "none", "conversions": "none"},
                                      "required_tags": ["#ad", "#sponsored"]}, headers=headers)
    assert changed.status_code == 200
    assert changed.get_json()["sources"] == {"clicks": "none", "conversions": "none"}
    assert changed.get_json()["required_tags"] == ["#ad", "#sponsored"]

    refused = client.patch(url, json={"sources": {"clicks": "platform"}}, headers=headers)
    assert refused.status_code == 422 and refused.get_json()["code"] == "SOURCE_UNAVAILABLE"
    after = client.get(url, headers=headers).get_json()
    assert after["sources"] == {"clicks": "none", "conversions": "none"}


def test_only_the_owning_client_or_an_admin_may_change_sources(client: Any,
                                                                world: Any) -> None:
    campaign = new_campaign(world.client_id, ("x",))
    url = f"/api/v1/campaigns/{campaign}"
    body = {"require_verified_handle": False}
    other = new_user("CLIENT", world.client_id)  # another user of the owning client
    assert client.patch(url, json=body, headers=auth(other)).status_code == 200
    assert client.patch(url, json=body, headers=world.auth(world.analyst)).status_code == 403
    assert client.patch(url, json=body, headers=world.auth(world.affiliate)).status_code == 403
    assert client.patch(url, json=body, headers=world.auth(world.admin)).status_code == 200


def test_another_client_s_campaign_is_not_found(client: Any, world: Any) -> None:
    from reconcile.services.admin.accounts import create_client

    stranger = new_user("CLIENT", create_client("stranger")["id"])
    campaign = new_campaign(world.client_id, ("x",))
    answer = client.patch(f"/api/v1/campaigns/{campaign}", json={"required_tags": []},
                          headers=auth(stranger))
    assert answer.status_code == 404


def test_one_patch_changes_sources_and_tracking_settings_in_one_audited_change(
    client: Any, world: Any
) -> None:
    campaign = new_campaign(world.client_id, ("x", "instagram"))
    url = f"/api/v1/campaigns/{campaign}"
    headers = world.auth(world.advertiser)
    body = {"sources": {"clicks": "platform", "conversions": "postback"},
            "required_tags": ["#ad"], "require_verified_handle": False,
            "landing_url": "https://shop.example.com/one-patch",
            "attribution_window_days": 7}

    changed = client.patch(url, json=body, headers=headers)

    assert changed.status_code == 200, changed.get_json()
    shown = client.get(url, headers=headers).get_json()
    assert {k: shown[k] for k in body} == body
    events = client.get(f"/api/v1/audit?actor={world.advertiser['id']}"
                        "&action=campaign.updated", headers=world.auth(world.admin)).get_json()
    [event] = [e for e in events["items"]
               if (e["target_type"], e["target_id"]) == ("campaign", str(campaign))]
    assert (event["before"]["landing_url"], event["after"]["landing_url"]) == (
        None, "https://shop.example.com/one-patch")
    assert (event["before"]["sources"]["clicks"], event["after"]["sources"]["clicks"]) == (
        "tracked", "platform")


def test_a_refused_patch_changes_no_field_of_it(client: Any, world: Any) -> None:
    campaign = new_campaign(world.client_id, ("youtube",))
    url = f"/api/v1/campaigns/{campaign}"
    headers = world.auth(world.advertiser)
    before = client.get(url, headers=headers).get_json()

    refused = client.patch(url, headers=headers, json={
        "sources": {"clicks": "platform"}, "landing_url": "https://shop.example.com/no"})

    assert refused.status_code == 422 and refused.get_json()["code"] == "SOURCE_UNAVAILABLE"
    assert client.get(url, headers=headers).get_json() == before


LANDING = "https://shop.example.com/landing"


# docs/sources.md, "A landing URL for tracked clicks": what create does with each body.
@pytest.mark.parametrize("extra, status", [
    ({}, 201),  # api.md's minimal body: the default sources, landing URL set later
    ({"sources": {"clicks": "tracked", "conversions": "postback"}}, 422),
    ({"sources": {"conversions": "none"}}, 422),  # clicks tracked by default, but named
    ({"sources": {"clicks": "tracked"}, "landing_url": LANDING}, 201),
    ({"sources": {"clicks": "none", "conversions": "none"}}, 201),
    ({"sources": {"clicks": "platform", "conversions": "none"}}, 201),
], ids=["defaults", "tracked", "tracked-by-default", "tracked-landing", "none", "platform"])
def test_sources_that_count_tracked_clicks_need_a_landing_url(
    client: Any, world: Any, extra: dict[str, Any], status: int
) -> None:
    answer = _create(client, world, **extra)

    assert answer.status_code == status, answer.get_json()
    if status == 422:
        problem = answer.get_json()
        assert answer.mimetype == "application/problem+json"
        assert problem["code"] == "VALIDATION_ERROR"
        assert [e["field"] for e in problem["errors"]] == ["landing_url"]
        assert "tracked" in problem["detail"]


def test_a_patch_to_tracked_clicks_needs_a_landing_url_given_or_already_set(
    client: Any, world: Any
) -> None:
    campaign = new_campaign(world.client_id, ("x",))
    url = f"/api/v1/campaigns/{campaign}"
    headers = world.auth(world.advertiser)
    assert client.patch(url, json={"sources": {"clicks": "none"}},
                        headers=headers).status_code == 200

    refused = client.patch(url, json={"sources": {"clicks": "tracked"}}, headers=headers)
    assert refused.status_code == 422, refused.get_json()
    assert refused.get_json()["errors"][0]["field"] == "landing_url"
    assert client.get(url, headers=headers).get_json()["sources"]["clicks"] == "none"

    given = client.patch(url, json={"sources": {"clicks": "tracked"}, "landing_url": LANDING},
                         headers=headers)
    assert given.status_code == 200, given.get_json()
    # The landing URL is now set: naming tracked clicks again needs no second one.
    again = client.patch(url, json={"sources": {"clicks": "tracked", "conversions": "none"}},
                         headers=headers)
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["landing_url"] == LANDING
