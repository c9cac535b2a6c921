"""The dispatcher's messages are Celery's own: same fields, same values, and a worker runs them.

The API pushes task messages straight onto the broker's lists (reconcile/task_messages.py)
instead of going through Celery's publish. These tests hold that to what Celery itself
pushes for the same call, so a Celery or kombu upgrade that changes the message fails here
first, and to a real worker running one.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import redis
from celery import Celery
from sqlalchemy import func, select

from reconcile.config import redis_client_url
from reconcile.persistence.db import unit_of_work
from reconcile.persistence.models import Attempt
from reconcile.task_messages import publish, task_message
from tests.conftest import unique_video_id, wait_for
from tests.own_redis import OwnRedis

# Differ on every call by design: ids, the sender's process, the time.
VARYING_HEADERS = {"id", "root_id", "origin", "sent_at", "eta"}
VARYING_PROPERTIES = {"correlation_id", "reply_to", "delivery_tag"}

CALLS = [
    pytest.param("reconcile.attempt", [7, 1], {"trigger": "submission", "request_id": "abc"},
                 "high", None, {"sent_at": 1.5, "traceparent": "00-1-2-01"}, id="attempt"),
    pytest.param("reconcile.attempt", [7, 2], {"trigger": "retry", "request_id": None},
                 "low", 90.0, {"sent_at": 1.5, "traceparent": None}, id="retry-countdown"),
    pytest.param("reconcile.deliver_alert", [12], {}, "high", None,
                 {"sent_at": 1.5, "retries": 0}, id="alert"),
    pytest.param("reconcile.deliver_alert", [12], {}, "high", 2.0,
                 {"sent_at": 1.5, "retries": 1}, id="alert-handed-on"),
    pytest.param("reconcile.deliver_alerts", [[12, 13]], {}, "high", None,
                 {"sent_at": 1.5, "retries": 0}, id="alerts"),
]


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Any:
    server = OwnRedis(tmp_path_factory.mktemp("task-messages"))
    server.start()
    yield server
    server.stop()


def _celery_message(url: str, task: str, args: list, kwargs: dict, queue: str,
                    countdown: float | None, headers: dict) -> dict:
    app = Celery("reconcile")
    app.config_from_object("celeryconfig")
    app.conf.broker_url = url
    try:
        app.send_task(task, args=args, kwargs=kwargs, queue=queue, countdown=countdown,
                      headers=headers)
    finally:
        app.close()
    raw = redis.Redis.from_url(redis_client_url(url)).rpop(queue)
    assert raw is not None, "Celery pushed nothing onto the queue's list"
    return json.loads(raw)


@pytest.mark.parametrize(("task", "args", "kwargs", "queue", "countdown", "headers"), CALLS)
def test_the_message_is_the_one_celery_pushes(broker: Any, task: str, args: list,
                                              kwargs: dict, queue: str,
                                              countdown: float | None, headers: dict) -> None:
    theirs = _celery_message(broker.url, task, args, kwargs, queue, countdown, headers)
    client = redis.Redis.from_url(broker.url)
    publish(client, queue, task_message(task, args, kwargs, queue, countdown=countdown,
                                        headers=headers))
    ours = json.loads(client.rpop(queue))

    assert set(ours) == set(theirs)
    assert {k: v for k, v in ours.items() if k not in ("headers", "properties", "body")} == \
        {k: v for k, v in theirs.items() if k not in ("headers", "properties", "body")}
    assert json.loads(base64.b64decode(ours["body"])) == \
        json.loads(base64.b64decode(theirs["body"]))
    assert set(ours["headers"]) == set(theirs["headers"])
    assert {k: v for k, v in ours["headers"].items() if k not in VARYING_HEADERS} == \
        {k: v for k, v in theirs["headers"].items() if k not in VARYING_HEADERS}
    assert set(ours["properties"]) == set(theirs["properties"])
    assert {k: v for k, v in ours["properties"].items() if k not in VARYING_PROPERTIES} == \
        {k: v for k, v in theirs["properties"].items() if k not in VARYING_PROPERTIES}
    # The varying fields vary the same way: one id names the task, its root and its reply.
    for message in (ours, theirs):
        assert message["headers"]["id"] == message["headers"]["root_id"] == \
            message["properties"]["correlation_id"]
        assert (message["headers"]["eta"] is None) is (countdown is None)
    assert ours["headers"]["origin"].split("@")[0].startswith("gen")


def test_a_worker_runs_the_attempt_a_submission_pushes(client: Any, world: Any, sim: Any,
                                                        workers: Any) -> None:
    url = f"https://www.youtube.com/watch?v={unique_video_id()}"
    sim.post("youtube", url, 1000, 50, 5)
    resp = client.post("/api/v1/submissions", headers=world.auth(world.new_affiliate()), json={
        "campaign_id": world.campaign_id, "platform": "youtube", "url": url,
        "claimed_views": 1000, "claimed_clicks": 50, "claimed_conversions": 5})
    assert resp.status_code == 202, resp.get_json()
    report_id = int(resp.get_json()["report_id"])

    def attempted() -> int:
        with unit_of_work() as uow:
            return int(uow.session.scalar(select(func.count()).select_from(Attempt)
                                          .where(Attempt.report_id == report_id)) or 0)

    wait_for(attempted, 30, 0.05, what="the worker to run the attempt the API pushed")
