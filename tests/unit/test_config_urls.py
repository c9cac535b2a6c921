"""DATABASE_URL and REDIS_URL: every form a host hands out works, anything else is one line."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from reconcile.cli import main
from reconcile.config import (
    ConfigError,
    broker_url,
    normalise_database_url,
    redis_client_url,
)

PSYCOPG2 = "postgresql+psycopg2://app:s3cret@db.example:5432/reconcile"


@pytest.mark.parametrize(
    "given",
    [
        "postgresql://app:s3cret@db.example:5432/reconcile",  # what every PostgreSQL host gives
        "postgres://app:s3cret@db.example:5432/reconcile",  # Heroku's form
        "postgresql+psycopg2://app:s3cret@db.example:5432/reconcile",
        "POSTGRESQL://app:s3cret@db.example:5432/reconcile",
    ],
)
def test_every_postgresql_form_means_psycopg2(given):
    assert normalise_database_url(given) == PSYCOPG2


def test_a_postgresql_url_keeps_its_query_and_socket_host():
    given = "postgres://app@/reconcile?host=/run/postgresql&sslmode=require"

    assert normalise_database_url(given) == \
        "postgresql+psycopg2://app@/reconcile?host=/run/postgresql&sslmode=require"


@pytest.mark.parametrize("given", ["sqlite:////var/lib/reconcile.sqlite3", "sqlite:///rel.db"])
def test_a_sqlite_url_is_kept(given):
    assert normalise_database_url(given) == given


@pytest.mark.parametrize(
    ("given", "complaint"),
    [
        ("mysql://app:s3cret@db.example/reconcile", "scheme mysql:// is not supported"),
        ("postgresql+psycopg://app@db.example/reconcile", "scheme postgresql+psycopg://"),
        ("postgresql+asyncpg://app@db.example/reconcile", "scheme postgresql+asyncpg://"),
        ("app:s3cret@db.example/reconcile", "is not a URL"),
        ("garbage", "is not a URL"),
        ("://db.example/reconcile", "is not a URL"),
        ("postgresql://app:s3cret@db.example:port/reconcile", "port that is not a number"),
    ],
)
def test_an_unsupported_database_url_is_named_without_its_password(given, complaint):
    with pytest.raises(ConfigError) as caught:
        normalise_database_url(given)

    message = str(caught.value)
    assert message.startswith("DATABASE_URL") and complaint in message
    assert "s3cret" not in message and "\n" not in message


@pytest.mark.parametrize(
    ("given", "for_redis_py", "for_kombu"),
    [
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
        ("redis://:s3cret@cache:6379/2", "redis://:s3cret@cache:6379/2",
         "redis://:s3cret@cache:6379/2"),
        ("redis://app:s3cret@cache/2", "redis://app:s3cret@cache/2",
         "redis://app:s3cret@cache/2"),
        # kombu skips certificate checks on a bare rediss://; redis-py does not
        ("rediss://cache:6380/0", "rediss://cache:6380/0",
         "rediss://cache:6380/0?ssl_cert_reqs=required"),
        ("rediss://cache:6380/0?ssl_cert_reqs=CERT_NONE", "rediss://cache:6380/0?ssl_cert_reqs=none",
         "rediss://cache:6380/0?ssl_cert_reqs=none"),
        ("rediss://cache/0?ssl_cert_reqs=optional&ssl_ca_certs=/etc/ca.pem",
         "rediss://cache/0?ssl_cert_reqs=optional&ssl_ca_certs=/etc/ca.pem",
         "rediss://cache/0?ssl_cert_reqs=optional&ssl_ca_certs=/etc/ca.pem"),
        ("unix:///run/redis/redis.sock", "unix:///run/redis/redis.sock",
         "redis+socket:///run/redis/redis.sock"),
        ("unix://:s3cret@/run/redis/redis.sock?db=3", "unix://:s3cret@/run/redis/redis.sock?db=3",
         "redis+socket://:s3cret@/run/redis/redis.sock?virtual_host=3"),
        ("redis+socket:///srv/var/redis.sock", "unix:///srv/var/redis.sock",
         "redis+socket:///srv/var/redis.sock"),
        ("redis+socket://:s3cret@/srv/redis.sock?virtual_host=4",
         "unix://:s3cret@/srv/redis.sock?db=4", "redis+socket://:s3cret@/srv/redis.sock?virtual_host=4"),
    ],
)
def test_every_redis_form_translates_for_redis_py_and_for_kombu(given, for_redis_py, for_kombu):
    assert redis_client_url(given) == for_redis_py
    assert broker_url(given) == for_kombu
    # Translating twice changes nothing: a URL already translated may come back in.
    assert redis_client_url(for_redis_py) == for_redis_py
    assert broker_url(for_kombu) == for_kombu
    assert broker_url(for_redis_py) == for_kombu


@pytest.mark.parametrize(
    ("given", "complaint"),
    [
        ("amqp://guest:s3cret@rabbit:5672//", "scheme amqp:// is not supported"),
        ("sentinel://:s3cret@host:26379", "scheme sentinel:// is not supported"),
        ("localhost:6379", "is not a URL"),
        ("redis://:s3cret@cache:six/0", "port that is not a number"),
        ("unix://", "names no socket path"),
        ("rediss://cache/0?ssl_cert_reqs=sometimes", "ssl_cert_reqs"),
    ],
)
def test_an_unsupported_redis_url_is_named_without_its_password(given, complaint):
    with pytest.raises(ConfigError) as caught:
        redis_client_url(given)

    message = str(caught.value)
    assert message.startswith("REDIS_URL") and complaint in message
    assert "s3cret" not in message


@pytest.mark.parametrize("variable", ["DATABASE_URL", "REDIS_URL"])
@pytest.mark.parametrize("command", [["migrate"], ["up"], ["queues"], ["rules", "show"]])
def test_every_command_refuses_an_unsupported_url_in_one_line(command, variable):
    result = CliRunner().invoke(main, command, env={variable: "mysql://app:s3cret@db/x"})

    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and variable in lines[0] and "s3cret" not in lines[0], result.output
