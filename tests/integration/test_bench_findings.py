"""Regressions the bench found, pinned so they stay fixed."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT

# A fresh interpreter: celery must not be imported yet, as in a new API process.
FIRST_DISPATCHES = """
import threading
from reconcile.dispatch import _celery_client
barrier, errors = threading.Barrier(16), []
def first_dispatch():
    barrier.wait()
    try:
        _celery_client()
    except Exception as exc:
        errors.append(repr(exc))
threads = [threading.Thread(target=first_dispatch) for _ in range(16)]
for t in threads: t.start()
for t in threads: t.join()
print(len(errors), errors[:1])
"""


def test_the_dispatchers_client_survives_the_first_dispatches_racing_in_threads():
    for _ in range(3):  # unguarded, most fresh processes lost at least one dispatch
        done = subprocess.run([sys.executable, "-c", FIRST_DISPATCHES], cwd=ROOT,
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr[-1000:]
        assert done.stdout.startswith("0 "), done.stdout
