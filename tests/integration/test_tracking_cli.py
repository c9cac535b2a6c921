"""`reconcile links stats CODE` and `reconcile postbacks secret --client-id ID`."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any
from urllib.parse import urlencode

from click.testing import CliRunner

from reconcile.cli import main
from tests.integration.tracking_help import auth, click, drain, give_landing, make_link


def _run(*argv: str) -> Any:
    return CliRunner().invoke(main, list(argv))


def test_links_stats_prints_what_the_api_answers(client, world):
    give_landing(client, world)
    code = make_link(client, world)
    click(client, code)
    click(client, code, agent="Twitterbot/1.0")
    drain()
    result = _run("links", "stats", code)
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["clicks"] == {"counted": 1, "filtered": {"bot": 1}}
    api = client.get(f"/api/v1/links/{code}/stats", headers=auth(world.admin)).get_json()
    assert printed == api


def test_links_stats_of_an_unknown_code_is_one_line_and_exit_1():
    result = _run("links", "stats", "NoSuchCode")
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == ["Error: no such link"]


def test_postbacks_secret_makes_a_secret_that_signs_the_pixel(client, world):
    give_landing(client, world)
    click_id = click(client, make_link(client, world))
    result = _run("postbacks", "secret", "--client-id", str(world.client_id))
    assert result.exit_code == 0, result.output
    secret = json.loads(result.stdout)["secret"]
    query = urlencode({"click_id": click_id, "event_id": "cli-1"})
    sig = hmac.new(secret.encode(), query.encode(), hashlib.sha256).hexdigest()
    assert client.get(f"/api/v1/postbacks/pixel?{query}&sig={sig}").status_code == 201
    again = _run("postbacks", "secret", "--client-id", str(world.client_id))
    assert json.loads(again.stdout)["secret"] != secret  # and the first stops working:
    query = urlencode({"click_id": click_id, "event_id": "cli-2"})
    sig = hmac.new(secret.encode(), query.encode(), hashlib.sha256).hexdigest()
    assert client.get(f"/api/v1/postbacks/pixel?{query}&sig={sig}").status_code == 401


def test_postbacks_secret_for_an_unknown_client_is_one_line_and_exit_1(stack):
    result = _run("postbacks", "secret", "--client-id", str(2**61))
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == ["Error: no such client"]
