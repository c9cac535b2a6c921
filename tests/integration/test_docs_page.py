"""The docs page: a Content-Security-Policy, no inline script, and a key never persisted."""

from __future__ import annotations

import re
from typing import Any


def _policy(header: str) -> dict[str, list[str]]:
    parts = (p.strip().split() for p in header.split(";") if p.strip())
    return {p[0]: p[1:] for p in parts}


def test_the_docs_page_carries_a_policy_that_runs_only_scripts_from_this_origin(
    client: Any
) -> None:
    page = client.get("/api/v1/docs")

    policy = _policy(page.headers["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
    assert page.headers["X-Frame-Options"] == "DENY"


def test_the_docs_page_has_no_inline_script_to_allow(client: Any) -> None:
    html = client.get("/api/v1/docs").get_data(as_text=True)

    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts)


def test_swagger_ui_is_told_not_to_persist_the_key(client: Any) -> None:
    html = client.get("/api/v1/docs").get_data(as_text=True)
    config = "".join(client.get(src).get_data(as_text=True)
                     for src in re.findall(r'<script src="([^"]+)"', html)
                     if not src.endswith("swagger-ui-bundle.js"))

    assert "persistAuthorization: false" in config
    assert re.search(r"persistAuthorization\W+true", config) is None


def test_only_the_page_s_own_assets_are_served(client: Any) -> None:
    assert client.get("/api/v1/docs/oauth2-redirect.html").status_code == 404
    assert client.get("/api/v1/docs/..%2Fflask_swagger_ui.py").status_code == 404
