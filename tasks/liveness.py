"""The worker's liveness file, touched from the consumer's event loop while it runs."""

from __future__ import annotations

from typing import Any

from celery import bootsteps

from reconcile.liveness import WORKER, touch
from tasks import app

TOUCH_SECONDS = 10.0


class Alive(bootsteps.StartStopStep):
    """Touch var/worker.alive every 10 s while the consumer is connected and its loop runs:
    a wedged loop or a lost broker leaves the file to age (docker-compose.yml's check)."""

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.tref: Any = None

    def start(self, consumer: Any) -> None:
        touch(WORKER)
        self.tref = consumer.timer.call_repeatedly(TOUCH_SECONDS, touch, (WORKER,))

    def stop(self, consumer: Any) -> None:
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None


app.steps["consumer"].add(Alive)
