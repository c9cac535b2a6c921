"""The system as `make run` starts it (`reconcile up --demo`), seen from outside."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import requests

from reconcile.config import ENV_VARS
from tests.conftest import descendants, free_port, process_alive, wait_for

# What `make run` runs; the tests add only ports, so that nothing collides.
RECONCILE = Path(sys.executable).with_name("reconcile")
CHILDREN = {  # a child of `reconcile up`, by what its command line contains
    "sim": ("reconcile.cli", " sim "), "api": ("gunicorn",), "worker": ("celery", " worker "),
    "beat": ("celery", " beat "), "flower": ("celery", " flower "),
}


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without the project's variables (the test session points
    them at its own services), plus `extra`."""
    base = {k: v for k, v in os.environ.items()
            if k not in ENV_VARS and not k.startswith("RECONCILE_")}
    return {**base, **extra}


def _cmdline(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return " " + raw.replace(b"\0", b" ").decode(errors="replace")


def _parent(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return 0


class Up:
    """`reconcile up --demo` in `directory` (its var/ goes there, as under `make run`)."""

    def __init__(self, directory: Path, env: dict[str, str],
                 argv: list[str] | None = None) -> None:
        self.directory = directory
        self.ports = {"api": free_port(), "sim": free_port(), "flower": free_port()}
        self.api = f"http://127.0.0.1:{self.ports['api']}"
        self.sim = f"http://127.0.0.1:{self.ports['sim']}"
        self.flower = f"http://127.0.0.1:{self.ports['flower']}"
        self.argv = argv or [str(RECONCILE), "up", "--demo", *self.port_options()]
        self.log_path = directory / "up.log"
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None

    def port_options(self) -> list[str]:
        return ["--api-port", str(self.ports["api"]), "--sim-port", str(self.ports["sim"]),
                "--flower-port", str(self.ports["flower"])]

    def start(self) -> Up:
        with open(self.log_path, "ab") as log:
            # Its own session, as in a terminal of its own: Ctrl-C is sent to the group.
            self.proc = subprocess.Popen(self.argv, cwd=self.directory, env=self.env,
                                         stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        return self

    def output(self, tail: int = 6000) -> str:
        return self.log_path.read_text(errors="replace")[-tail:]

    def wait_ready(self, timeout: float = 180) -> None:
        keys = self.directory / "var" / "demo-keys.json"

        def ready() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"`{' '.join(self.argv)}` exited:\n{self.output()}")
            return keys.exists() and requests.get(f"{self.api}/readyz", timeout=2).ok

        wait_for(ready, timeout, 0.2, what="the system to come up")

    @property
    def demo(self) -> dict[str, Any]:
        return json.loads((self.directory / "var" / "demo-keys.json").read_text())

    def headers(self, name: str = "Ada Affiliate") -> dict[str, str]:
        user = next(u for u in self.demo["users"] if u["name"] == name)
        return {"Authorization": f"Bearer {user['api_key']}"}

    def children(self) -> dict[str, list[int]]:
        """Return the live processes below `reconcile up`, by child name."""
        assert self.proc is not None
        found: dict[str, list[int]] = {name: [] for name in CHILDREN}
        for pid in descendants(self.proc.pid):
            line = _cmdline(pid)
            for name, marks in CHILDREN.items():
                if all(mark in line for mark in marks) and process_alive(pid):
                    found[name].append(pid)
        return found

    def child(self, name: str) -> int:
        """Return the pid of the named child itself (not of its own children)."""
        assert self.proc is not None
        mine = [pid for pid in self.children()[name] if _parent(pid) == self.proc.pid]
        assert len(mine) == 1, f"{name}: {mine}"
        return mine[0]

    def supervisor_says(self) -> list[str]:
        return [line for line in self.output(10**7).splitlines()
                if line.startswith("reconcile up:")]

    def interrupt(self) -> list[int]:
        """Ctrl-C, as a terminal sends it to the foreground group; return what was running."""
        assert self.proc is not None
        everything = sorted(descendants(self.proc.pid) | {self.proc.pid})
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(90)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        return everything

    def stop(self) -> None:
        left = [p for p in self.interrupt() if process_alive(p)]
        for pid in left:  # never leave a process behind, even when a test failed
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def post_on_platform(system: Up, url: str, views: int = 1000) -> None:
    truth = {"platform": "youtube", "url": url, "views": views, "likes": 50, "comments": 5}
    requests.put(f"{system.sim}/_sim/posts", json=truth, timeout=5).raise_for_status()


def new_video() -> str:
    return f"https://www.youtube.com/watch?v={uuid.uuid4().hex[:11]}"


def reconcile_one(system: Up, claim: tuple[int, int, int] = (1600, 50, 5),
                  timeout: float = 60) -> dict[str, Any]:
    """Submit a claim for a fresh video (1,000 views on the platform; no tracked link, so
    clicks and conversions are unverifiable) and return the
    report once reconciled."""
    url = new_video()
    post_on_platform(system, url)
    body = {"campaign_id": system.demo["campaign_id"], "platform": "youtube", "url": url,
            "claimed_views": claim[0], "claimed_clicks": claim[1],
            "claimed_conversions": claim[2]}
    answer = requests.post(f"{system.api}/api/v1/submissions", json=body,
                           headers=system.headers(), timeout=10)
    assert answer.status_code == 202, answer.text
    link = system.api + answer.json()["links"]["report"]

    def reconciled() -> dict[str, Any] | None:
        report = requests.get(link, headers=system.headers(), timeout=5).json()
        return report if report["reconciliation"]["status"] != "PENDING" else None

    return wait_for(reconciled, timeout, 0.2, what="the submission to be reconciled")


def worker_answers(broker: str) -> bool:
    """Tell whether a Celery worker answers a ping on this broker."""
    from celery import Celery

    from reconcile.config import broker_url

    app = Celery("deploy-probe", broker=broker_url(broker), set_as_current=False)
    app.conf.broker_transport_options = {"socket_timeout": 2, "socket_connect_timeout": 2}
    try:
        return bool(app.control.ping(timeout=1))
    finally:
        app.close()


def flower_events(system: Up) -> float:
    """Return how many task events Flower has taken in (its own Prometheus counter)."""
    text = requests.get(f"{system.flower}/metrics", timeout=5).text
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("flower_events_total{"))


def wait_until(seconds: float) -> None:
    """Sleep until the monotonic clock reads `seconds` (an outage's planned end)."""
    time.sleep(max(0.0, seconds - time.monotonic()))
