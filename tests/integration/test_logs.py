"""Logs: JSON lines from the API and the worker, one request id and one trace end to end."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from reconcile.logs import JsonFormatter
from reconcile.observability import trace
from tests.conftest import unique, unique_video_id, wait_for
from tests.integration.conftest import start_worker
from tests.integration.obs import consumers_paused

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


@pytest.fixture
def api_log() -> Iterator[io.StringIO]:
    """What the API process logs while the test runs, formatted as in production."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)  # the suite runs at WARNING; production logs at INFO
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


@pytest.fixture
def lone_worker(stack: Any, simulator: str, tmp_path: Any) -> Iterator[Any]:
    """A worker of its own whose output the test reads; the shared ones stop consuming."""
    name = unique("logs")
    worker = start_worker(tmp_path, name, concurrency=1, extra_env={"LOG_LEVEL": "INFO"})
    with consumers_paused(keep=name):
        try:
            yield worker
        finally:
            worker.stop()


def _parse(text: str) -> list[dict[str, Any]]:
    lines = [line for line in text.splitlines() if line.strip()]
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line))
        except ValueError:
            pytest.fail(f"not a JSON log line: {line[:200]}")
    return parsed


def test_a_request_and_its_task_log_json_with_one_request_id_and_trace_and_no_key(
    client: Any, world: Any, sim: Any, api_log: io.StringIO, lone_worker: Any
) -> None:
    offset = len(lone_worker.output())
    affiliate = world.new_affiliate()
    url = f"https://www.youtube.com/watch?v={unique_video_id()}"
    sim.post("youtube", url, 1000, 50, 5)

    resp = client.post("/api/v1/submissions", headers={
        **world.auth(affiliate), "traceparent": TRACEPARENT}, json={
        "campaign_id": world.campaign_id, "platform": "youtube", "url": url,
        "claimed_views": 1000, "claimed_clicks": 50, "claimed_conversions": 5})
    assert resp.status_code == 202
    report_id, request_id = resp.get_json()["report_id"], resp.headers["X-Request-ID"]
    assert trace.parse(resp.headers["traceparent"])[0] == TRACE_ID

    def finished() -> list[dict[str, Any]] | None:
        lines = _parse(lone_worker.output()[offset:])
        done = [r for r in lines if r.get("report_id") == report_id
                and r["message"] == "Reconciliation job finished"]
        return lines if done else None

    worker_lines = wait_for(finished, 30, 0.2, what="the worker to finish the job")
    api_lines = _parse(api_log.getvalue())
    key = affiliate["api_key"]
    for record in api_lines + worker_lines:
        assert {"ts", "level", "logger", "message"} <= set(record)
        assert key not in json.dumps(record)

    ours = [r for r in worker_lines if r.get("report_id") == report_id]
    assert {r["message"] for r in ours} >= {"Processing reconciliation job",
                                            "Reconciliation job finished"}
    assert all(r["request_id"] == request_id and r["trace_id"] == TRACE_ID for r in ours)
    assert all(r.get("task_id") for r in ours)

    by_message = {r["message"]: r for r in api_lines if r.get("request_id") == request_id}
    assert by_message["Request started"]["trace_id"] == TRACE_ID
    finished_line = by_message["Request finished"]
    assert finished_line["status"] == 202 and finished_line["duration_ms"] > 0
    perf = by_message["Performance: submit_new_post"]
    assert perf["logger"] == "performance" and perf["tag"] == "performance"
    assert perf["duration_ms"] > 0


@pytest.mark.parametrize(("header", "continues"), [
    (TRACEPARENT, True),
    ("00-00000000000000000000000000000000-00f067aa0ba902b7-01", False),  # all-zero trace
    ("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", False),  # forbidden version
    ("not a traceparent", False),
    (None, False),
])
def test_a_request_continues_a_valid_w3c_trace_and_starts_one_otherwise(
    client: Any, header: str | None, continues: bool
) -> None:
    resp = client.get("/healthz", headers={"traceparent": header} if header else {})
    parsed = trace.parse(resp.headers["traceparent"])
    assert parsed is not None
    assert (parsed[0] == TRACE_ID) == continues
    assert parsed[1] != "00f067aa0ba902b7"  # a new span of our own
