"""The redirect's WSGI fast path (api.fast_redirect): a known link is answered in front of
Flask with everything Flask's route would have sent and logged; anything else reaches
Flask unchanged."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.test import Client

from api.fast_redirect import FastRedirect
from tests.integration.tracking_help import (
    BROWSER,
    LANDING,
    drain,
    give_landing,
    make_link,
    written_clicks,
)

TRACE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


class Downstream:
    """Stands for Flask: records what was handed on and answers 418."""

    def __init__(self) -> None:
        self.paths: list[tuple[str, str]] = []

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        self.paths.append((environ["REQUEST_METHOD"], environ["PATH_INFO"]))
        start_response("418 I'M A TEAPOT", [("Content-Length", "0")])
        return [b""]


def test_a_known_link_is_answered_in_front_of_flask_with_its_headers_and_logs(
        client, world, caplog):
    give_landing(client, world)
    code = make_link(client, world)
    flask_never = Downstream()
    fast = Client(FastRedirect(flask_never))
    with caplog.at_level(logging.INFO, logger="reconcile.api.request"):
        r = fast.get(f"/r/{code}", headers={"User-Agent": BROWSER, "X-Request-ID": "req-77",
                                            "traceparent": TRACE})
    assert flask_never.paths == []
    assert r.status_code == 302
    assert r.headers["Location"].startswith(LANDING + "&rc_click=")
    assert r.headers["Cache-Control"] == "no-store"
    assert r.headers["X-Request-ID"] == "req-77"
    assert r.headers["traceparent"].split("-")[1] == TRACE.split("-")[1]  # the caller's trace
    assert r.headers["traceparent"] != TRACE  # a span of its own
    lines = [(rec.getMessage(), getattr(rec, "status", None)) for rec in caplog.records
             if getattr(rec, "request_id", None) == "req-77"]
    assert lines == [("Request started", None), ("Request finished", 302)]
    click_id = parse_qs(urlsplit(r.headers["Location"]).query)["rc_click"][0]
    drain()
    assert [(c.click_id, c.counted) for c in written_clicks(code)] == [(click_id, True)]


def test_the_fast_answer_is_the_answer_flask_s_route_gives(app, client, world):
    give_landing(client, world)
    code = make_link(client, world)
    flask_itself = Client(app.wsgi_app.app)  # under the fast path: the route alone
    fast = Client(app.wsgi_app)
    for method in ("GET", "HEAD"):
        answers = [c.open(f"/r/{code}", method=method, headers={
            "User-Agent": BROWSER, "X-Request-ID": f"same-{method}"}) for c in (flask_itself, fast)]
        assert [a.status_code for a in answers] == [302, 302]
        clicks = [parse_qs(urlsplit(a.headers["Location"]).query)["rc_click"][0]
                  for a in answers]
        expected = answers[0].data.replace(clicks[0].encode(), clicks[1].encode())
        assert answers[1].data == expected
        kept = {"Content-Type", "Content-Length", "Cache-Control", "X-Request-ID"}
        assert ({k: v for k, v in answers[1].headers if k in kept}
                == {k: v for k, v in answers[0].headers if k in kept})
        assert (sorted(k for k, _ in answers[1].headers)
                == sorted(k for k, _ in answers[0].headers))


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/r/NoSuchCode1"), ("GET", "/r/bad-code!"), ("GET", "/r/"),
    ("POST", "/r/{code}"), ("GET", "/healthz"), ("GET", "/rr/{code}"),
])
def test_anything_else_is_handed_to_flask(client, world, method, path):
    give_landing(client, world)
    code = make_link(client, world)
    flask_app = Downstream()
    r = Client(FastRedirect(flask_app)).open(path.format(code=code), method=method)
    assert r.status_code == 418
    assert flask_app.paths == [(method, path.format(code=code))]


def test_unknown_codes_still_get_flask_s_problem(client):
    r = client.get("/r/NoSuchCode1")
    assert r.status_code == 404
    assert r.headers["Content-Type"] == "application/problem+json"
    assert r.get_json()["code"] == "NOT_FOUND"
    assert r.headers["X-Request-ID"]
