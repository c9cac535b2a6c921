"""The Celery command lines come from the queue list; the bench's task stays the bench's."""

from __future__ import annotations

from reconcile.commands import BENCH_TASKS, beat_argv, worker_argv
from reconcile.vocabulary import QUEUES, WORKER_QUEUES


def _queues(argv: list[str]) -> list[str]:
    return argv[argv.index("-Q") + 1].split(",")


def test_a_worker_reads_the_periodic_queue_first_then_every_ready_queue_by_priority() -> None:
    assert _queues(worker_argv(2)) == ["periodic", *QUEUES] == list(WORKER_QUEUES)


def test_only_a_bench_worker_imports_the_bench_task() -> None:
    assert "--include" not in worker_argv(2)
    bench = worker_argv(2, include=[BENCH_TASKS])
    assert bench[bench.index("--include") + 1] == "tasks.bench"


def test_the_production_app_does_not_register_the_bench_task() -> None:
    from reconcile.bench.noop import NOOP_TASK
    from tasks import app

    assert NOOP_TASK not in app.tasks
    assert "reconcile.attempt" in app.tasks


def test_beat_and_workers_run_the_tasks_app() -> None:
    assert beat_argv()[2:5] == worker_argv(1)[2:5] == ["celery", "-A", "tasks"]
