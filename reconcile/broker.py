"""The broker as kombu lays it out in Redis, and taking ready messages straight from it.

Everything that knows how Celery's messages sit in Redis lives here: a queue is a Redis list
named after it; kombu pushes on the left and pops on the right, so the oldest ready message
is at index -1; a message is JSON whose `headers` carry the task name, its `eta` (a delayed
job) and the `sent_at` stamp the dispatcher adds. Callers ask questions ("how deep is each
queue?", "when was the oldest waiting job sent?") and never touch the layout themselves.
"""

from __future__ import annotations

import base64
import json
import logging
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar, cast

from reconcile.locks import redis_client
from reconcile.vocabulary import QUEUES

log = logging.getLogger("reconcile.broker")
T = TypeVar("T")

UNKNOWN = object()  # a queue's oldest message could not be read: assume anything may wait
_SCAN = 10


def add_depths(pipe: Any, queues: Sequence[str] = QUEUES) -> None:
    """Queue the LLEN of each queue on a pipeline (one answer per queue, in order)."""
    for name in queues:
        pipe.llen(name)


def queue_depths() -> dict[str, int]:
    """Ready (not yet taken) jobs per queue, read from the broker."""
    pipe = redis_client().pipeline(transaction=False)
    add_depths(pipe)
    return dict(zip(QUEUES, (int(n) for n in pipe.execute()), strict=True))


def _sent_at(raw: bytes) -> float | None:
    try:
        return float(json.loads(raw)["headers"]["sent_at"])
    except (ValueError, KeyError, TypeError, RecursionError):
        return None


def oldest_ready_age_seconds() -> float | None:
    """Age of the oldest ready job, from the `sent_at` header the dispatcher stamps."""
    client, oldest = redis_client(), None
    for name in QUEUES:
        raw = cast(bytes | None, client.lindex(name, -1))
        sent = None if raw is None else _sent_at(raw)
        if sent is not None:
            oldest = sent if oldest is None else min(oldest, sent)
    return None if oldest is None else round(max(time.time() - oldest, 0.0), 3)


def oldest_ready_sent_at(queue: str) -> float | None | object:
    """When the oldest message still waiting in the queue was sent (unix seconds), None if
    no message waits there, UNKNOWN if the oldest ones carry no `sent_at` header."""
    pipe = redis_client().pipeline(transaction=False)
    pipe.llen(queue)
    pipe.lrange(queue, -_SCAN, -1)
    depth, oldest = pipe.execute()
    for raw in reversed(cast(list[bytes], oldest)):
        sent = _sent_at(raw)
        if sent is not None:
            return sent
    # Nothing with the header among what was read: no job of ours waits, unless more waits.
    return None if int(depth) <= _SCAN else UNKNOWN


def is_due(headers: dict[str, Any], now: datetime | None = None) -> bool:
    """Tell whether a message may run now (no `eta`, or an `eta` that has passed)."""
    if not headers.get("eta"):
        return True
    eta = datetime.fromisoformat(headers["eta"])
    return (eta if eta.tzinfo else eta.replace(tzinfo=UTC)) <= (now or datetime.now(UTC))


# kombu's Redis transport keeps each delivered, unacknowledged message in a hash (delivery tag
# -> JSON [message, exchange, routing key]) and indexes the tags by delivery time in a sorted
# set; it puts back any message older than the visibility timeout. A drained message is
# recorded there exactly so, so a worker killed mid-batch loses nothing.
UNACKED, UNACKED_INDEX = "unacked", "unacked_index"

# KEYS: the unacked hash, its index, then the queues in the order to read them.
# ARGV: how many to take, the time now (unix seconds), the task wanted, how many others to
# take at most (another task, or an `eta` the caller must judge): a queue full of countdowns
# must not be churned through. Returns [queue, message, tag] each. The message is recorded as
# kombu records it, '[' .. message .. ',' .. exchange .. ',' .. routing key .. ']', its own
# text kept byte for byte (decoding and encoding it again would turn [] into {}).
_TAKE = """
local limit, now, task, others = tonumber(ARGV[1]), ARGV[2], ARGV[3], tonumber(ARGV[4])
local taken, seen = {}, 0
for i = 3, #KEYS do
  while #taken < limit and seen < others do
    local raw = redis.call('RPOP', KEYS[i])
    if not raw then break end
    local tag, exchange, routing_key, plain = '', '', KEYS[i], false
    local ok, message = pcall(cjson.decode, raw)
    if ok and type(message) == 'table' then
      local headers, props = message.headers, message.properties
      if type(headers) == 'table' then
        plain = headers.task == task and (headers.eta == nil or headers.eta == cjson.null)
      end
      if type(props) == 'table' then
        if type(props.delivery_tag) == 'string' then tag = props.delivery_tag end
        local info = props.delivery_info
        if type(info) == 'table' then
          if type(info.exchange) == 'string' then exchange = info.exchange end
          if type(info.routing_key) == 'string' then routing_key = info.routing_key end
        end
      end
    end
    if not plain then seen = seen + 1 end
    if tag ~= '' then
      redis.call('ZADD', KEYS[2], now, tag)
      local where = cjson.encode(exchange) .. ',' .. cjson.encode(routing_key)
      redis.call('HSET', KEYS[1], tag, '[' .. raw .. ',' .. where .. ']')
    end
    taken[#taken + 1] = {KEYS[i], raw, tag}
  end
end
return taken
"""


class Taken:
    """A message taken from a queue (and recorded as unacknowledged when it has a tag)."""

    __slots__ = ("queue", "raw", "tag", "payload")

    def __init__(self, queue: str, raw: bytes, tag: str) -> None:
        self.queue, self.raw, self.tag = queue, raw, tag
        try:
            payload = json.loads(raw)
        except (ValueError, RecursionError):
            payload = None
        self.payload: dict[str, Any] = payload if isinstance(payload, dict) else {}

    @property
    def headers(self) -> dict[str, Any]:
        headers = self.payload.get("headers")
        return headers if isinstance(headers, dict) else {}

    def decode(self) -> Any:
        """The body, as kombu decodes a JSON message (base64 first when so encoded)."""
        if self.payload.get("content-type") != "application/json":
            raise ValueError("not a JSON message")
        body: Any = self.payload.get("body")
        if not isinstance(body, str | bytes):
            raise ValueError("no body")
        properties = self.payload.get("properties") or {}
        if properties.get("body_encoding") == "base64":
            body = base64.b64decode(body)
        return json.loads(body)


class Drain:
    """Take ready messages of one task straight from the broker: up to a batch in one Redis
    call (a script), acknowledged in one.

    `client` returns this process's Redis client for the broker; `task` is the task whose
    messages are wanted; `parse` turns a message into the caller's job, or None for one it
    does not want (another task, an `eta` in the future, a body it cannot read), which goes
    back to the end of its queue. At most `max_put_back` such messages are taken per drain.
    """

    def __init__(self, client: Callable[[], Any], task: str, max_put_back: int = 10) -> None:
        self.client, self.task, self.max_put_back = client, task, max_put_back
        self._scripts: dict[int, Any] = {}

    def take(self, limit: int, queues: Iterable[str],
             parse: Callable[[Any], T | None]) -> list[tuple[T, Any]]:
        """Take up to limit wanted messages from the queues, in the order given."""
        taken: list[tuple[T, Any]] = []
        put_back: list[Taken] = []
        names = list(queues)
        try:
            client = self.client()
            script = self._script(client)
            while len(taken) < limit and len(put_back) < self.max_put_back:
                want = limit - len(taken)
                others = self.max_put_back - len(put_back)
                got = script(keys=[UNACKED, UNACKED_INDEX, *names],
                             args=[want, time.time(), self.task, others])
                for queue, raw, tag in got:
                    message = Taken(_text(queue), raw, _text(tag))
                    job = parse(message)
                    if job is None:
                        put_back.append(message)
                    else:
                        taken.append((job, message))
                if len(got) < want:
                    break  # the queues are empty, or enough others were looked at
        except Exception as exc:  # the broker hiccuped: run what we have
            log.warning("Draining ready jobs failed", extra={"error_code": type(exc).__name__})
        finally:
            self.put_back(put_back)
        return taken

    def ack(self, messages: list[Any]) -> None:
        """Acknowledge the messages in one round trip."""
        tags = [m.tag for m in messages if m.tag]
        if not tags:
            return
        try:
            pipe = self.client().pipeline(transaction=False)
            pipe.zrem(UNACKED_INDEX, *tags)
            pipe.hdel(UNACKED, *tags)
            pipe.execute()
        except Exception as exc:  # the broker went away: the work is committed already
            # They stay unacknowledged in Redis (or went with it); a redelivery finds its
            # attempt done and does nothing.
            log.warning("Acknowledging batched jobs failed; a redelivery will be a no-op",
                        extra={"error_code": type(exc).__name__,
                               "outcome": f"{len(tags)}/{len(tags)}"})

    def put_back(self, messages: list[Any]) -> None:
        """Return the messages to the end of their queues, no longer unacknowledged."""
        if not messages:
            return
        try:
            pipe = self.client().pipeline(transaction=True)
            for m in messages:
                pipe.lpush(m.queue, m.raw)  # consumers pop on the right: the end of the line
                if m.tag:
                    pipe.zrem(UNACKED_INDEX, m.tag)
                    pipe.hdel(UNACKED, m.tag)
            pipe.execute()
        except Exception as exc:  # left unacknowledged: the visibility timeout or the sweep
            log.warning("Putting a job back failed", extra={"error_code": type(exc).__name__})

    def _script(self, client: Any) -> Any:
        script = self._scripts.get(id(client))
        if script is None:
            script = self._scripts[id(client)] = client.register_script(_TAKE)
        return script


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value or "")
