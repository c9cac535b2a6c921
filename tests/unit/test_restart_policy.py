"""`reconcile up` restarts a child that dies, backing off, and gives up on a crash loop."""

from __future__ import annotations

import signal

import pytest

from reconcile.restarts import RestartPolicy, describe_exit


def _exits(policy: RestartPolicy, child: str, times: list[float]) -> list[float | None]:
    return [policy.on_exit(child, t) for t in times]


def test_the_delay_doubles_with_each_exit_inside_the_window():
    assert _exits(RestartPolicy(), "worker", [0, 5, 12, 20]) == [1, 2, 4, 8]


def test_the_fifth_exit_inside_a_minute_gives_up():
    assert _exits(RestartPolicy(), "worker", [0, 5, 12, 20, 35]) == [1, 2, 4, 8, None]


def test_exits_spread_over_more_than_the_window_never_give_up():
    policy = RestartPolicy()

    delays = _exits(policy, "worker", [n * 20.0 for n in range(30)])

    assert None not in delays
    assert max(d for d in delays if d is not None) <= 4  # never more than 3 in any minute


def test_a_child_that_ran_a_while_starts_again_after_one_second():
    policy = RestartPolicy()
    _exits(policy, "api", [0, 2, 5])

    assert policy.on_exit("api", 5 + 61) == 1


def test_children_are_counted_apart():
    policy = RestartPolicy()
    _exits(policy, "worker", [0, 1, 2, 3])

    assert policy.on_exit("beat", 4) == 1
    assert policy.on_exit("worker", 4) is None


@pytest.mark.parametrize(("max_exits", "times", "last"), [
    (1, [0], None),
    (2, [0, 59.9], None),
    (2, [0, 60.0], 1),
    (3, [0, 10, 20], None),
])
def test_the_window_and_limit_are_honoured_exactly(max_exits, times, last):
    assert _exits(RestartPolicy(max_exits=max_exits), "sim", times)[-1] == last


def test_the_delay_is_capped():
    policy = RestartPolicy(max_exits=100, max_delay_seconds=30)

    assert _exits(policy, "flower", [float(n) for n in range(10)])[-1] == 30


@pytest.mark.parametrize(("code", "said"), [
    (1, "exited with status 1"),
    (0, "exited with status 0"),
    (-signal.SIGKILL, "was killed by SIGKILL"),
    (-signal.SIGSEGV, "was killed by SIGSEGV"),
])
def test_an_exit_is_described_by_status_or_signal(code, said):
    assert describe_exit(code) == said
