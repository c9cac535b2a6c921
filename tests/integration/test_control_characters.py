"""Control characters in any text the API accepts: 422 (404 in a path), never a 500, no row.

PostgreSQL refuses NUL in text columns: before the rule lived in the request models, a NUL
in a title, a note or a name was a 500 there. The rule allows tab and line breaks.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Campaign, Client, User
from tests.integration.apihelp import alert_about, post_url, row_counts, submit_as

BAD = ["nul\x00here", "bell\x07", "escape\x1b[31mred", "del\x7f", "c1\x85next", "\x00"]


def _counts() -> dict[str, int]:
    with unit_of_work() as uow:
        extra = {m.__tablename__: int(uow.session.scalar(select(func.count()).select_from(m)))
                 for m in (Client, User, Campaign)}
    return {**row_counts(), **extra}


def _routes(world: Any) -> list[tuple[str, str, str, dict[str, Any], str]]:
    """(method, path, role, body with BAD at the field, field) for every text field."""
    sub = {"campaign_id": world.campaign_id, "platform": "youtube", "url": post_url(),
           "claimed_views": 10, "claimed_clicks": 1, "claimed_conversions": 0}
    metrics = {"claimed_views": 10, "claimed_clicks": 1, "claimed_conversions": 0}
    post_id = submit_as(world.affiliate, world.campaign_id)["post_id"]
    alert_id = alert_about(world.affiliate, world.campaign_id)
    return [
        ("post", "/api/v1/clients", "admin", {"name": "{}"}, "name"),
        ("post", "/api/v1/users", "admin", {"role": "ANALYST", "name": "{}",
                                            "email": "a@example.com"}, "name"),
        ("post", "/api/v1/campaigns", "admin", {"name": "{}", "client_id": world.client_id,
                                                "platforms": ["youtube"]}, "name"),
        ("post", "/api/v1/submissions", "affiliate", {**sub, "title": "{}"}, "title"),
        ("post", "/api/v1/submissions", "affiliate", {**sub, "evidence": "{}"}, "evidence"),
        ("post", "/api/v1/submissions", "affiliate", {**sub, "url": post_url() + "{}"}, "url"),
        ("put", f"/api/v1/submissions/{post_id}/metrics", "affiliate",
         {**metrics, "evidence": "{}"}, "evidence"),
        ("post", "/api/v1/submissions/message", "affiliate",
         {"campaign_id": world.campaign_id,
          "text": post_url() + " views 10 clicks 1 conversions 0 {}"}, "text"),
        ("post", f"/api/v1/alerts/{alert_id}/resolve", "admin", {"note": "{}"}, "note"),
    ]


def _fill(value: Any, bad: str) -> Any:
    if isinstance(value, str):
        return value.replace("{}", bad)
    if isinstance(value, dict):
        return {k: _fill(v, bad) for k, v in value.items()}
    return value


@pytest.mark.parametrize("bad", BAD, ids=[repr(b) for b in BAD])
def test_a_control_character_in_any_text_field_is_422_and_stores_nothing(
    client: Any, world: Any, dispatched: Any, bad: str
) -> None:
    users = {"admin": world.admin, "affiliate": world.affiliate}
    for method, path, role, body, field in _routes(world):
        before = _counts()

        resp = getattr(client, method)(path, json=_fill(body, bad), headers=world.auth(users[role]))

        assert resp.status_code == 422, (path, field, resp.get_json())
        errors = resp.get_json()["errors"]
        assert any(e["field"] == field and "control" in e["message"] for e in errors), errors
        assert _counts() == before, (path, field)


def test_a_control_character_in_a_query_string_is_422(client: Any, world: Any) -> None:
    for path in ("/api/v1/alerts?cursor=a%00b", "/api/v1/submissions?cursor=%1b",
                 "/api/v1/reconciliation/results?cursor=%7f"):
        resp = client.get(path, headers=world.auth(world.admin))

        assert resp.status_code == 422, path
        assert resp.get_json()["errors"][0]["field"] == "cursor"


def test_a_control_character_in_a_path_name_is_404_not_500(client: Any, world: Any) -> None:
    resp = client.patch("/api/v1/platforms/you%00tube", json={"is_active": False},
                        headers=world.auth(world.admin))

    assert resp.status_code == 404
    assert resp.get_json()["code"] == "NOT_FOUND"


def test_tabs_and_line_breaks_stay_allowed(client: Any, world: Any, dispatched: Any) -> None:
    resp = client.post("/api/v1/submissions", headers=world.auth(world.affiliate), json={
        "campaign_id": world.campaign_id, "platform": "youtube", "url": post_url(),
        "claimed_views": 10, "claimed_clicks": 1, "claimed_conversions": 0,
        "evidence": "line one\nline two\r\n\tindented", "title": "a\ttitle"})

    assert resp.status_code == 202, resp.get_json()


@pytest.mark.parametrize("argv", [
    ["clients", "create", "--name", "bell\x07"],
    ["users", "create", "--role", "ANALYST", "--name", "esc\x1b[2J", "--email", "a@b.c"],
    ["users", "create", "--role", "ANALYST", "--name", "n", "--email", "a\x7f@b.c"],
])
def test_the_command_line_refuses_control_characters_in_one_line(
    stack: Any, argv: list[str]
) -> None:
    from click.testing import CliRunner

    from reconcile.cli import main

    before = _counts()

    result = CliRunner().invoke(main, argv)

    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1 and "control" in result.output
    assert _counts() == before
