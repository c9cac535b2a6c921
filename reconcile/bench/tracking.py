"""The bench's tracking phases: the redirect (clicks/s, latency, clicks lost once the
workers have drained the stream) and conversion postbacks, on the run's own cluster."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reconcile.bench.load import LoadResult, drive
from reconcile.bench.report import latency_summary, per_second

LANDING = "https://shop.bench.invalid/landing?utm_source=bench"
FLUSH_TASK = "reconcile.flush_clicks"


@dataclass(frozen=True)
class TrackingFixtures:
    code: str
    client_key: str


def create_tracking_fixtures() -> TrackingFixtures:
    """A client with a landing URL, its advertiser's key, and one affiliate's link."""
    from reconcile.services.admin import accounts, campaigns
    from reconcile.services.principal import SYSTEM, Principal
    from reconcile.services.tracking.links import create_link

    token = secrets.token_hex(3)
    client_id = accounts.create_client("Bench Shop")["id"]
    campaign = campaigns.create_campaign(SYSTEM, name="Bench links", client_id=client_id,
                                         platforms=["youtube"], landing_url=LANDING)
    affiliate = accounts.create_user("AFFILIATE", "Bench Linker",
                                     f"linker-{token}@bench.invalid")
    advertiser = accounts.create_user("CLIENT", "Bench Shop", f"shop-{token}@bench.invalid",
                                      client_id)
    link = create_link(Principal(user_id=affiliate["id"], role="AFFILIATE"), campaign["id"])
    return TrackingFixtures(str(link["code"]), str(advertiser["api_key"]))


def _written_clicks() -> int:
    from sqlalchemy import func, select

    from reconcile.persistence.db import unit_of_work
    from reconcile.persistence.models import Click

    with unit_of_work() as uow:
        return int(uow.session.scalar(select(func.count()).select_from(Click)) or 0)


def _drain(broker: str, expected: int, timeout: float,
           check: Callable[[], None]) -> tuple[int, float]:
    """Have the workers write the stream (beat is not running); return (written, seconds)."""
    from celery import Celery

    from reconcile.config import broker_url

    app = Celery("reconcile-bench")
    app.config_from_object("celeryconfig")
    app.conf.broker_url = broker_url(broker)
    start = time.monotonic()
    sent_at = 0.0
    written = 0
    try:
        while time.monotonic() - start < timeout:
            check()
            written = _written_clicks()
            if written >= expected:
                break
            if time.monotonic() - sent_at > 1.0:  # one writer run at a time, about
                app.send_task(FLUSH_TASK, queue="periodic")
                sent_at = time.monotonic()
            time.sleep(0.05)
    finally:
        app.close()
    return written, time.monotonic() - start


def _measured(api_cpu: Callable[[], float], *args: Any) -> LoadResult:
    """drive(*args), with the API's CPU over it."""
    before = api_cpu()
    load = drive(*args)
    load.api_cpu_seconds = api_cpu() - before
    return load


def _api_cpu_ms(load: LoadResult) -> float:
    return round(load.api_cpu_seconds * 1000 / max(sum(load.statuses.values()), 1), 3)


def redirect_phase(host: str, port: int, fixtures: TrackingFixtures, clicks: int,
                   concurrency: int, redis_url: str, timeout: float,
                   check: Callable[[], None], api_cpu: Callable[[], float]) -> dict[str, Any]:
    """`clicks` redirects from as many visitors (a user agent each), then the drain."""
    work = [(None, {"User-Agent": f"Mozilla/5.0 (X11; Linux x86_64) bench-visitor/{n}"})
            for n in range(clicks)]
    load = _measured(api_cpu, host, port, "GET", f"/r/{fixtures.code}", work, concurrency)
    redirected = load.statuses.get(302, 0)
    written, seconds = _drain(redis_url, redirected, timeout, check)
    return {
        "clicks": clicks, "concurrency": concurrency,
        "clicks_per_s": per_second(redirected, load.seconds),
        "redirect_latency_ms": latency_summary(load.latencies_ms),
        "api_cpu_ms_per_click": _api_cpu_ms(load),
        "http_statuses": _statuses(load), "recorded": written,
        "lost": max(redirected - written, 0), "drain_seconds": round(seconds, 3),
    }


def postback_phase(host: str, port: int, fixtures: TrackingFixtures, postbacks: int,
                   concurrency: int, api_cpu: Callable[[], float]) -> dict[str, Any]:
    """`postbacks` JSON postbacks on the clicks the redirect phase recorded."""
    from sqlalchemy import select

    from reconcile.persistence.db import unit_of_work
    from reconcile.persistence.models import Click

    with unit_of_work() as uow:
        click_ids = list(uow.session.scalars(select(Click.click_id).where(Click.counted)
                                             .limit(postbacks)))
    headers = {"Authorization": f"Bearer {fixtures.client_key}",
               "Content-Type": "application/json"}
    work = [(json.dumps({"click_id": c, "event_id": f"bench-order-{i}", "amount_minor": 1999,
                         "currency": "EUR"}).encode(), headers)
            for i, c in enumerate(click_ids)]
    load = _measured(api_cpu, host, port, "POST", "/api/v1/postbacks", work, concurrency)
    return {
        "postbacks": len(work), "concurrency": concurrency,
        "postbacks_per_s": per_second(load.statuses.get(201, 0), load.seconds),
        "postback_latency_ms": latency_summary(load.latencies_ms),
        "api_cpu_ms_per_postback": _api_cpu_ms(load),
        "http_statuses": _statuses(load), "refusals": load.errors,
    }


def _statuses(load: LoadResult) -> dict[str, int]:
    return {str(k): v for k, v in sorted(load.statuses.items())}
