"""A steady burst of submissions against a running system, every answer timed and kept."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from itertools import count
from typing import Any

import requests
import sqlalchemy as sa

from tests.deploy.system import Up, new_video, post_on_platform

# Long enough to time a slow answer instead of cutting it off.
CLIENT_TIMEOUT = 20


@dataclass(frozen=True)
class Answer:
    at: float  # monotonic time the request was sent
    seconds: float
    status: int | str  # an HTTP status, or the name of the exception instead of an answer
    report_id: int | None


class Burst:
    """Submit `per_second` claims from a few threads (alternating the demo affiliates)
    until stopped."""

    def __init__(self, system: Up, per_second: float, threads: int = 4) -> None:
        self.system, self.per_second, self.threads = system, per_second, threads
        self.answers: list[Answer] = []
        self._stop = threading.Event()
        self._tickets = count()
        self._lock = threading.Lock()
        self._workers: list[threading.Thread] = []
        self._headers = [system.headers("Ada Affiliate"), system.headers("Ben Affiliate")]

    def start(self) -> Burst:
        self._started = time.monotonic()
        self._workers = [threading.Thread(target=self._submitter, daemon=True)
                         for _ in range(self.threads)]
        for worker in self._workers:
            worker.start()
        return self

    def stop(self) -> list[Answer]:
        self._stop.set()
        for worker in self._workers:
            worker.join(CLIENT_TIMEOUT + 5)
        return list(self.answers)

    def between(self, start: float, end: float) -> list[Answer]:
        return [a for a in self.answers if start <= a.at <= end]

    def _submitter(self) -> None:
        session = requests.Session()
        while not self._stop.is_set():
            with self._lock:
                ticket = next(self._tickets)
            time.sleep(max(0.0, self._started + ticket / self.per_second - time.monotonic()))
            self.answers.append(self._submit(session, ticket))

    def _submit(self, session: requests.Session, ticket: int) -> Answer:
        url = new_video()
        post_on_platform(self.system, url)  # the simulator is not what is being broken
        body = {"campaign_id": self.system.demo["campaign_id"], "platform": "youtube",
                "url": url, "claimed_views": 1000, "claimed_clicks": 50,
                "claimed_conversions": 5}
        sent = time.monotonic()
        try:
            resp = session.post(f"{self.system.api}/api/v1/submissions", json=body,
                                headers=self._headers[ticket % 2], timeout=CLIENT_TIMEOUT)
        except requests.RequestException as exc:
            return Answer(sent, time.monotonic() - sent, type(exc).__name__, None)
        report_id = resp.json().get("report_id") if resp.status_code == 202 else None
        return Answer(sent, time.monotonic() - sent, resp.status_code, report_id)


def unreconciled(database_url: str, report_ids: list[int]) -> list[int]:
    """Return the reports among report_ids still waiting for their first outcome."""
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows: Any = conn.execute(
                sa.text("SELECT report_id FROM reconciliation_logs "
                        "WHERE report_id = ANY(:ids) AND status <> 'PENDING'"),
                {"ids": report_ids}).all()
    finally:
        engine.dispose()
    done = {row[0] for row in rows}
    return [r for r in report_ids if r not in done]
