"""Celery task messages (protocol 2) as kombu's Redis transport stores them, written directly.

A publish through Celery cost the API more CPU than the rest of a submission's Redis work
together: the message goes through Celery's routing, signals and producer pool, and kombu
makes a new Redis client for every publish. What a worker, Flower and the sweep read is
only the JSON pushed onto the queue's list; this module writes that JSON, and the caller
pushes it with its other Redis commands in one round trip. `tests/integration/
test_task_messages.py` compares it field by field with the message Celery itself pushes,
and has a worker run one.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import uuid
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

# The body's third element: no callbacks, no chain, no chord.
_EMBED = {"callbacks": None, "errbacks": None, "chain": None, "chord": None}


@lru_cache(maxsize=4)
def _origin(pid: int) -> tuple[str, str]:
    """(origin, reply_to) as Celery names them: one of each per process."""
    return f"gen{pid}@{socket.gethostname()}", str(uuid.uuid4())


def task_message(task: str, args: list[Any], kwargs: dict[str, Any], queue: str, *,
                 countdown: float | None = None,
                 headers: dict[str, Any] | None = None) -> str:
    """The JSON that Celery pushes for send_task(task, args, kwargs, queue=queue,
    countdown=countdown, headers=headers) with the JSON serializer."""
    task_id = str(uuid.uuid4())
    origin, reply_to = _origin(os.getpid())
    eta = (datetime.now(UTC) + timedelta(seconds=countdown)).isoformat() if countdown else None
    body = json.dumps([args, kwargs, _EMBED]).encode()
    return json.dumps({
        "body": base64.b64encode(body).decode(),
        "content-encoding": "utf-8",
        "content-type": "application/json",
        "headers": {
            "lang": "py", "task": task, "id": task_id, "shadow": None, "eta": eta,
            "expires": None, "group": None, "group_index": None, "retries": 0,
            "timelimit": [None, None], "root_id": task_id, "parent_id": None,
            "argsrepr": repr(args), "kwargsrepr": repr(kwargs), "origin": origin,
            "ignore_result": None, "replaced_task_nesting": 0, "stamped_headers": None,
            "stamps": {}, **(headers or {}),
        },
        "properties": {
            "correlation_id": task_id, "reply_to": reply_to, "delivery_mode": 2,
            "delivery_info": {"exchange": "", "routing_key": queue}, "priority": 0,
            "body_encoding": "base64", "delivery_tag": str(uuid.uuid4()),
        },
    })


def publish(target: Any, queue: str, message: str) -> None:
    """Queue a message built by task_message as kombu does: the default exchange routes by
    queue name, and priority 0 is the bare list, pushed on the left (workers pop on the
    right). `target` is a Redis client, or a pipeline the caller executes."""
    target.lpush(queue, message)
