"""`reconcile bench` refuses, in one line, to run on anything but PostgreSQL and Redis."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from reconcile.cli import main

PG = "postgresql+psycopg2://bench@127.0.0.1:1/none"
REDIS = "redis://127.0.0.1:1/0"


@pytest.mark.parametrize(
    ("database_url", "redis_url", "complaint"),
    [
        ("", REDIS, "DATABASE_URL"),
        ("sqlite:///bench.sqlite3", REDIS, "DATABASE_URL"),
        (PG, "", "REDIS_URL"),
        (PG, "redis+socket:///tmp/redis.sock", "REDIS_URL"),
    ],
)
def test_bench_refuses_a_missing_or_embedded_database_or_redis(database_url, redis_url,
                                                               complaint):
    result = CliRunner().invoke(
        main, ["bench", "--submissions", "1"],
        env={"DATABASE_URL": database_url, "REDIS_URL": redis_url},
    )
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and complaint in lines[0]


@pytest.mark.parametrize("option", [["--submissions", "0"], ["--concurrency", "0"],
                                    ["--offered-rate", "0"], ["--workers", "-1"]])
def test_bench_refuses_out_of_range_options(option):
    result = CliRunner().invoke(main, ["bench", *option], env={"DATABASE_URL": PG,
                                                               "REDIS_URL": REDIS})
    assert result.exit_code == 2
    assert "Invalid value" in result.output


@pytest.mark.parametrize(
    ("args", "database_url", "complaint"),
    [
        (["--scale"], "sqlite:///bench.sqlite3", "DATABASE_URL"),
        (["--scale", "--reports", "5", "--posts", "10"], PG, "--posts"),
    ],
)
def test_bench_scale_refuses_in_one_line(args, database_url, complaint):
    result = CliRunner().invoke(main, ["bench", *args],
                                env={"DATABASE_URL": database_url, "REDIS_URL": REDIS})
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and complaint in lines[0]


@pytest.mark.parametrize("option", [["--reports", "0"], ["--posts", "0"], ["--rounds", "0"],
                                    ["--repeats", "0"]])
def test_bench_scale_refuses_out_of_range_sizes(option):
    result = CliRunner().invoke(main, ["bench", "--scale", *option],
                                env={"DATABASE_URL": PG, "REDIS_URL": REDIS})
    assert result.exit_code == 2
    assert "Invalid value" in result.output
