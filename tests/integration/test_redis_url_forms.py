"""Every Redis client of the system accepts every REDIS_URL form, password and TLS included.

A Redis of the test's own listens on TCP (with a password), on a unix socket and, where
the machine can make a certificate, on TLS. For each form the limiter's, locks', breaker's
and metrics' client, the readiness probe, the API's dispatcher and a worker's broker
connection each write where the others read: database 5, whatever the form.
"""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.conftest import IN_CI, free_port, wait_for

PASSWORD = "s3cret-pw"
DB = 5


def _binary() -> str:
    found = shutil.which("redis-server")
    if found is None:
        from reconcile.embedded import redis_server_binary

        found = redis_server_binary()
    return found


def _certificate(directory: Path) -> bool:
    if shutil.which("openssl") is None:
        return False
    done = subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(directory / "key.pem"), "-out", str(directory / "cert.pem"),
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
        capture_output=True, check=False)
    return done.returncode == 0


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    where = tmp_path_factory.mktemp("redis-forms")
    port, tls_port, sock = free_port(), free_port(), where / "r.sock"
    argv = [_binary(), "--port", str(port), "--bind", "127.0.0.1", "--unixsocket", str(sock),
            "--unixsocketperm", "700", "--requirepass", PASSWORD, "--save", "",
            "--appendonly", "no", "--dir", str(where)]
    tls = _certificate(where)
    if tls:
        argv += ["--tls-port", str(tls_port), "--tls-cert-file", str(where / "cert.pem"),
                 "--tls-key-file", str(where / "key.pem"), "--tls-auth-clients", "no"]
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    plain = redis.Redis(port=port, password=PASSWORD, db=DB, socket_connect_timeout=1)

    def up() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"redis-server exited: {proc.stderr.read()!r}")
        return bool(plain.ping())

    wait_for(up, 10, what="the test's Redis")
    forms = {
        "redis": f"redis://:{PASSWORD}@127.0.0.1:{port}/{DB}",
        "redis-user": f"redis://default:{PASSWORD}@127.0.0.1:{port}/{DB}",
        "unix": f"unix://:{PASSWORD}@{sock}?db={DB}",
        "redis+socket": f"redis+socket://:{PASSWORD}@{sock}?virtual_host={DB}",
    }
    if tls:
        ca = where / "cert.pem"
        forms["rediss"] = (f"rediss://:{PASSWORD}@127.0.0.1:{tls_port}/{DB}"
                           f"?ssl_cert_reqs=required&ssl_ca_certs={ca}")
    yield forms
    plain.close()
    proc.kill()
    proc.wait()


FORMS = ["redis", "redis-user", "unix", "redis+socket", "rediss"]


@pytest.fixture(params=FORMS)
def url(request: pytest.FixtureRequest, server: dict[str, str],
        monkeypatch: pytest.MonkeyPatch) -> str:
    form = request.param
    if form not in server:
        message = "no TLS here: openssl or a TLS-enabled redis-server is missing"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    monkeypatch.setenv("REDIS_URL", server[form])
    return server[form]


def _plain(server: dict[str, str]) -> redis.Redis:
    from reconcile.config import redis_client_url

    return redis.Redis.from_url(redis_client_url(server["redis"]))


def test_the_shared_client_locks_and_counts_in_the_right_database(url, server) -> None:
    from reconcile.locks import held
    from reconcile.observability import store
    from reconcile.services.reads.health import broker_ok

    name = f"forms-{uuid.uuid4().hex[:8]}"
    with held(name, ttl_seconds=30) as mine:
        assert mine
        assert _plain(server).exists(f"reconcile:lock:{name}")
    store.record(store.count("missing_reason_total", reason=name))
    assert _plain(server).hget(store.PREFIX + "missing_reason_total", name) == b"1"
    assert broker_ok()


def test_the_breaker_keeps_its_state_there(url, server) -> None:
    from reconcile.platforms import breaker

    state = breaker.snapshot("tiktok")

    assert state.state == "closed"
    assert _plain(server).get("reconcile:breaker:tiktok:pybreaker:state") == b"closed"


def test_the_dispatcher_and_a_worker_connection_use_the_broker_there(url, server) -> None:
    from celery import Celery

    from reconcile.config import broker_url

    queue = f"forms-{uuid.uuid4().hex[:8]}"
    app = Celery("forms", broker=broker_url(url), set_as_current=False)
    app.conf.broker_transport_options = {"socket_timeout": 5, "socket_connect_timeout": 5}
    try:
        app.send_task("reconcile.noop", queue=queue)
        assert _plain(server).llen(queue) == 1
        with app.connection_for_read() as connection:
            message = connection.default_channel.basic_get(queue)
            assert message is not None and message.headers["task"] == "reconcile.noop"
            message.ack()
    finally:
        app.close()
