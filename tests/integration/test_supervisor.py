"""The supervisor behind `reconcile up` with real child processes: restart, then give up."""

from __future__ import annotations

import _thread
import signal
import sys
import threading
from pathlib import Path

import pytest

from reconcile.restarts import RestartPolicy
from reconcile.supervisor import Supervisor
from tests.conftest import process_alive, wait_for

QUICK = RestartPolicy(max_exits=3, window_seconds=60, first_delay_seconds=0.01)


def test_a_child_that_keeps_exiting_stops_everything_with_its_status(capsys) -> None:
    sup = Supervisor(env={}, policy=QUICK)
    sup.spawn("flaky", [sys.executable, "-c", "raise SystemExit(3)"])
    sup.spawn("steady", [sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        code = sup.wait()
    finally:
        sup.stop()

    said = capsys.readouterr().err.splitlines()
    assert code == 3
    assert said.count("reconcile up: flaky exited with status 3; restarting it in 0.01 s") == 1
    assert said.count("reconcile up: flaky exited with status 3; restarting it in 0.02 s") == 1
    assert said[-1] == ("reconcile up: flaky exited with status 3, 3 times in 60 s; "
                        "stopping everything")
    assert not process_alive(sup.children["steady"].pid)


def test_a_child_that_dies_once_runs_again(tmp_path: Path, capsys) -> None:
    flag = tmp_path / "died-once"
    script = (f"import pathlib, time\nflag = pathlib.Path({str(flag)!r})\n"
              "if not flag.exists():\n    flag.touch()\n    raise SystemExit(1)\n"
              "time.sleep(60)\n")
    sup = Supervisor(env={}, policy=QUICK)
    sup.spawn("once", [sys.executable, "-c", script])
    first = sup.children["once"].pid

    def interrupt_when_restarted() -> None:
        try:
            wait_for(lambda: sup.children["once"].pid != first, 20, what="the restart")
            wait_for(lambda: process_alive(sup.children["once"].pid), 5, what="the new child")
        finally:
            _thread.interrupt_main()  # Ctrl-C, as `reconcile up` receives it

    # Python's own Ctrl-C handler, whatever an earlier test of the session left installed.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    watcher = threading.Thread(target=interrupt_when_restarted, daemon=True)
    watcher.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            try:
                sup.wait()
            finally:
                sup.stop()
    finally:
        signal.signal(signal.SIGINT, previous)
    watcher.join(5)

    said = capsys.readouterr().err
    assert "reconcile up: once exited with status 1; restarting it in 0.01 s" in said
    assert f"reconcile up: restarted once (pid {sup.children['once'].pid})" in said
    assert not process_alive(sup.children["once"].pid)
