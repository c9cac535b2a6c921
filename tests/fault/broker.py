"""The cluster's broker seen from the test: worker control, queue lengths, raw publishes."""

from __future__ import annotations

import json
import socket
from typing import Any, cast

import redis


def hostname(worker: str) -> str:
    return f"{worker}@{socket.gethostname()}"


def _args(task: dict[str, Any]) -> list[Any]:
    args = task.get("args")
    return list(args) if isinstance(args, list | tuple) else json.loads(str(args or "[]"))


class Broker:
    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self._app: Any = None

    @property
    def app(self) -> Any:
        """Return a Celery client on this broker (never the process-wide dispatcher)."""
        if self._app is None:
            from celery import Celery

            self._app = Celery("fault-tests", broker=self.url, set_as_current=False)
        return self._app

    def ping(self, workers: list[str]) -> int:
        """Return how many of these workers answer a ping."""
        return len(self.app.control.ping([hostname(w) for w in workers], timeout=0.5) or [])

    def active(self, workers: list[str]) -> dict[str, list[dict[str, Any]]]:
        """Return what each worker runs now, as `celery inspect active` reports it."""
        names = {hostname(w): w for w in workers}
        found = self.app.control.inspect(list(names), timeout=1).active() or {}
        return {names[host]: list(tasks) for host, tasks in found.items() if host in names}

    def attempts_in_flight(self, workers: list[str], report_id: int) -> list[tuple[str, int]]:
        """List (worker, pool process id) of every process running an attempt of the report."""
        return [(name, int(task["worker_pid"]))
                for name, tasks in self.active(workers).items() for task in tasks
                if task.get("name") == "reconcile.attempt" and report_id in _args(task)]

    def send_attempt(self, report_id: int, attempt_number: int, queue: str = "normal") -> None:
        self.app.send_task("reconcile.attempt", args=[report_id, attempt_number], queue=queue)

    def queue_lengths(self) -> dict[str, int]:
        """Return the number of ready jobs per queue."""
        client = redis.Redis(port=self.port, socket_connect_timeout=2)
        try:
            return {q: int(cast(int, client.llen(q))) for q in ("high", "normal", "low")}
        finally:
            client.close()

    def close(self) -> None:
        if self._app is not None:
            self._app.close()
