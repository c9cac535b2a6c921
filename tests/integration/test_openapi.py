"""The OpenAPI document: generated from the request models, complete, rendered, and
fuzzed with schemathesis (no 500, no answer outside the document)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation import GenerationMode

from api.schemas import MessageIn, RerunIn, SubmissionIn
from tests.integration.apihelp import auth, make_scene, new_user


def _spec(client: Any) -> dict[str, Any]:
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200
    return resp.get_json()


def test_the_document_describes_every_api_route_the_app_serves(app: Any, client: Any) -> None:
    spec = _spec(client)
    described = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    served = {
        (m, re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/api/v1") and not rule.endpoint.startswith(("docs", "swagger"))
        for m in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }

    assert described == served
    assert spec["openapi"].startswith("3.1")


def test_request_bodies_are_the_validating_models(client: Any) -> None:
    spec = _spec(client)
    schemas = spec["components"]["schemas"]

    for path, method, model in [("/api/v1/submissions", "post", SubmissionIn),
                                ("/api/v1/submissions/message", "post", MessageIn),
                                ("/api/v1/reconciliation/run", "post", RerunIn)]:
        body = spec["paths"][path][method]["requestBody"]["content"]["application/json"]
        name = body["schema"]["$ref"].rsplit("/", 1)[-1]
        expected = model.model_json_schema(ref_template="#/components/schemas/{model}")
        expected.pop("$defs", None)
        assert schemas[name] == expected
    assert schemas["SubmissionIn"]["additionalProperties"] is False
    views = schemas["SubmissionIn"]["properties"]["claimed_views"]
    assert (views["type"], views["minimum"], views["maximum"]) == ("integer", 0, 10**12)


def test_each_operation_names_its_roles_and_its_error_answers(client: Any) -> None:
    spec = _spec(client)
    submit = spec["paths"]["/api/v1/submissions"]["post"]
    stats = spec["paths"]["/api/v1/alerts/stats"]["get"]

    assert submit["x-roles"] == ["AFFILIATE"] and submit["security"] == [{"bearerAuth": []}]
    assert stats["x-roles"] == ["ADMIN", "ANALYST"]
    assert {"202", "401", "403", "409", "422", "429", "503"} <= set(submit["responses"])
    assert "application/problem+json" in submit["responses"]["422"]["content"]


def test_the_docs_page_renders_the_document_from_local_files(client: Any) -> None:
    page = client.get("/api/v1/docs")

    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "/api/v1/openapi.json" in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert assets and not any(a.startswith(("http:", "https:", "//")) for a in assets)
    for asset in assets:
        assert client.get(asset).status_code == 200, asset
    assert b"SwaggerUIBundle" in client.get("/api/v1/docs/swagger-ui-bundle.js").data


# --- schemathesis --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def fuzz(app: Any) -> Iterator[dict[str, Any]]:
    """The schema, an ADMIN and an AFFILIATE key; global switches are restored after."""
    from reconcile.dispatch import set_dispatcher
    from tests.integration.conftest import RecordingDispatcher

    set_dispatcher(RecordingDispatcher())
    scene = make_scene()
    decoy = new_user("AFFILIATE")
    client = app.test_client()
    spec = client.get("/api/v1/openapi.json").get_json()
    yield {"schema": spec, "keys": {"ADMIN": scene.users["ADMIN"],
                                    "AFFILIATE": scene.users["AFFILIATE"]}, "decoy": decoy}
    admin = auth(scene.users["ADMIN"])
    for name in ("reddit", "instagram", "tiktok", "youtube", "x"):
        client.patch(f"/api/v1/platforms/{name}", json={"is_active": True}, headers=admin)
    client.post("/api/v1/ops/intake", json={"paused": False}, headers=admin)
    set_dispatcher(None)


# No negative_data_rejection: every call carries a valid key (the override above), so a
# "negative" case whose only mutations are a dropped Authorization header plus an extra
# query parameter that serialises to nothing is a valid request, and a 200 is right. That
# false positive appeared depending on which rows earlier tests left behind. Rejection of
# bad input is pinned by tests/integration/test_api_bad_input.py instead.
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance, response_headers_conformance]
# Bounded: a dozen cases per operation, mode and role keeps the whole fuzz near a minute.
FUZZ = settings(max_examples=12, deadline=None, derandomize=True, database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck))


def _call(case: Any, fuzz: dict[str, Any], role: str) -> None:
    user = fuzz["keys"][role]
    # The fuzzer must not disable or rotate the keys it is using: aim those at a decoy.
    if case.path_parameters and case.path_parameters.get("user_id") in (
            fuzz["keys"]["ADMIN"]["id"], fuzz["keys"]["AFFILIATE"]["id"]):
        case.path_parameters["user_id"] = fuzz["decoy"]["id"]
    try:
        case.call_and_validate(headers=auth(user), checks=CHECKS)
    finally:
        if case.path == "/api/v1/ops/intake":
            # A paused intake makes every later submission a (correct) 503 INTAKE_PAUSED,
            # which the server-error check cannot tell from a fault: resume at once.
            from reconcile.services.intake.control import set_paused

            set_paused(False)


@pytest.mark.parametrize("role", ["ADMIN", "AFFILIATE"])
@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda m: m.value)
def test_fuzzing_finds_no_server_error_and_no_answer_outside_the_document(
    app: Any, fuzz: dict[str, Any], role: str, mode: GenerationMode
) -> None:
    schema = schemathesis.openapi.from_dict(fuzz["schema"])
    schema.app = app
    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        @FUZZ
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: Any) -> None:
            _call(case, fuzz, role)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - collect them all
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
    assert len(operations) >= 25
    assert not failures, "\n\n".join(failures)
