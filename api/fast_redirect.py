"""The redirect of a known tracked link, answered in front of Flask.

`GET /r/<code>` is the one route every visitor of every post hits, so it skips what it does
not need of Flask's dispatch (request context, URL map, the other routes' hooks, the
response object): about a third of a redirect's CPU. It keeps everything a response of
ours carries and logs: X-Request-ID, traceparent, "Request started" and "Request
finished" (api.lifecycle), Cache-Control: no-store, and the same body Flask's redirect
sends. Anything else (another method or path, a malformed or unknown code, a landing
look-up that raised) goes to Flask unchanged, which answers it as before (404
problem+json, the error handlers).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any

from markupsafe import escape
from werkzeug.datastructures import EnvironHeaders
from werkzeug.urls import iri_to_uri

from api import lifecycle
from api.views.redirect import click_through, landing_of

Wsgi = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]
PREFIX = "/r/"


def _body(location: str) -> bytes:
    html = escape(location)
    return ("<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n"
            "<h1>Redirecting...</h1>\n<p>You should be redirected automatically to the "
            f'target URL: <a href="{html}">{html}</a>. If not, click the link.\n').encode()


class FastRedirect:
    """WSGI middleware: answers a known link's redirect, hands everything else on."""

    def __init__(self, app: Wsgi) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]
                 ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "")
        if not path.startswith(PREFIX) or method not in ("GET", "HEAD"):
            return self.app(environ, start_response)
        began = time.perf_counter()
        code = path[len(PREFIX):]
        try:
            target = landing_of(code)
        except Exception:  # Flask's route asks again and answers with the usual problem
            target = None
        if target is None:
            return self.app(environ, start_response)
        request_id = lifecycle.request_id_of(environ.get("HTTP_X_REQUEST_ID"))
        traceparent = lifecycle.adopt_trace(environ.get("HTTP_TRACEPARENT"))
        lifecycle.started(request_id, path, method)
        location = click_through(code, target, method, environ.get("REMOTE_ADDR"),
                                 EnvironHeaders(environ))
        if not location.isascii():  # a landing URL with non-ASCII text: as werkzeug sends it
            location = iri_to_uri(location)
        body = _body(location)
        start_response("302 FOUND", [
            ("Content-Type", "text/html; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("Location", location),
            ("Cache-Control", "no-store"),  # every click must reach us
            ("X-Request-ID", request_id),
            ("traceparent", traceparent),
        ])
        lifecycle.finished(request_id, path, method, 302, time.perf_counter() - began)
        return [b""] if method == "HEAD" else [body]
