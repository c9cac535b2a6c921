"""Verified handles (truth.md, Handles; docs/fraud.md): add, prove through the profile
bio read by each platform's adapter, one affiliate per verified handle."""

from __future__ import annotations

from typing import Any

import pytest

from reconcile.vocabulary import PLATFORMS
from tests.conftest import unique


def _name() -> str:
    return unique("h").replace("-", "_")


def _add(client: Any, world: Any, affiliate: dict[str, Any], platform: str,
         handle: str) -> dict[str, Any]:
    answer = client.post(f"/api/v1/affiliates/{affiliate['id']}/handles",
                         json={"platform": platform, "handle": handle},
                         headers=world.auth(affiliate))
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def _verify(client: Any, world: Any, affiliate: dict[str, Any], platform: str) -> Any:
    return client.post(f"/api/v1/affiliates/{affiliate['id']}/handles/{platform}/verify",
                       headers=world.auth(affiliate))


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_handle_is_verified_once_its_bio_carries_the_code(
        client: Any, world: Any, sim: Any, platform: str) -> None:
    handle = _name()
    added = _add(client, world, world.affiliate, platform, "@" + handle)
    assert (added["status"], added["handle"]) == ("unverified", handle)
    code = added["verification_code"]

    sim.profile(platform, handle, "Creator. Business: mail me")
    refused = _verify(client, world, world.affiliate, platform)
    assert (refused.status_code, refused.get_json()["code"]) == (422, "HANDLE_NOT_VERIFIED")

    sim.profile(platform, handle, f"Creator {code} - business: mail me")
    answer = _verify(client, world, world.affiliate, platform)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["status"] == "verified"
    listed = client.get(f"/api/v1/affiliates/{world.affiliate['id']}/handles",
                        headers=world.auth(world.admin)).get_json()["items"]
    assert [(h["platform"], h["status"]) for h in listed] == [(platform, "verified")]


def test_an_account_that_does_not_exist_is_not_verified(client: Any, world: Any) -> None:
    _add(client, world, world.affiliate, "x", _name())
    answer = _verify(client, world, world.affiliate, "x")
    assert (answer.status_code, answer.get_json()["code"]) == (422, "HANDLE_NOT_VERIFIED")
    assert "no account" in answer.get_json()["detail"]


def test_a_platform_that_does_not_answer_is_a_503_not_a_refusal(
        client: Any, world: Any, sim: Any) -> None:
    handle = _name()
    code = _add(client, world, world.affiliate, "youtube", handle)["verification_code"]
    sim.profile("youtube", handle, code)
    sim.fault("youtube", "error", count=1)
    answer = _verify(client, world, world.affiliate, "youtube")
    assert (answer.status_code, answer.get_json()["code"]) == (503, "SERVICE_UNAVAILABLE")
    assert _verify(client, world, world.affiliate, "youtube").status_code == 200


def test_a_handle_changes_hands_only_when_the_new_holder_proves_it(
        client: Any, world: Any, sim: Any) -> None:
    handle, other = _name(), world.new_affiliate()
    first = _add(client, world, world.affiliate, "tiktok", handle)["verification_code"]
    sim.profile("tiktok", handle, first)
    assert _verify(client, world, world.affiliate, "tiktok").status_code == 200

    # Another affiliate names the same handle: the bio still carries the first code.
    second = _add(client, world, other, "tiktok", handle.upper())["verification_code"]
    refused = _verify(client, world, other, "tiktok")
    assert (refused.status_code, refused.get_json()["code"]) == (422, "HANDLE_NOT_VERIFIED")

    # The account changed hands: the new holder's code is in the bio.
    sim.profile("tiktok", handle, f"new owner {second}")
    assert _verify(client, world, other, "tiktok").get_json()["status"] == "verified"
    mine = client.get(f"/api/v1/affiliates/{world.affiliate['id']}/handles",
                      headers=world.auth(world.affiliate)).get_json()["items"]
    assert [(h["status"], h["verification_code"] != first) for h in mine] == [
        ("unverified", True)]
    audit = client.get("/api/v1/audit?action=handle.released",
                       headers=world.auth(world.admin)).get_json()["items"]
    assert any(e["before"]["handle"] == handle for e in audit)


@pytest.mark.parametrize("body", [
    {"platform": "x"}, {"platform": "myspace", "handle": "ana"},
    {"platform": "x", "handle": "ana/../admin"}, {"platform": "x", "handle": "a" * 70},
    {"platform": "x", "handle": "ana", "extra": 1},
])
def test_bad_handles_are_a_422_problem(client: Any, world: Any, body: dict[str, Any]) -> None:
    answer = client.post(f"/api/v1/affiliates/{world.affiliate['id']}/handles", json=body,
                         headers=world.auth(world.affiliate))
    assert answer.status_code == 422
    assert answer.content_type == "application/problem+json"


def test_verifying_on_an_unknown_platform_or_without_a_handle_is_a_404(
        client: Any, world: Any) -> None:
    for platform in ("myspace", "reddit"):
        answer = _verify(client, world, world.affiliate, platform)
        assert (answer.status_code, answer.get_json()["code"]) == (404, "NOT_FOUND")
