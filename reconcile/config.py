"""Read configuration from the environment, in one place.

Every environment variable the system reads is listed in ENV_VARS; the docker-compose
test checks the compose file against that list.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PLATFORMS = ("reddit", "instagram", "tiktok", "youtube", "x")

ENV_VARS = frozenset(
    {
        "DATABASE_URL",
        "REDIS_URL",
        "RECONCILE_RULES",
        "RECONCILE_PLATFORM_BASE_URL",
        *(f"RECONCILE_{p.upper()}_BASE_URL" for p in PLATFORMS),
        "RECONCILE_VAR_DIR",
        "ALERT_WEBHOOK_URLS",
        "ALERT_WEBHOOK_SECRET",
        "LOG_FORMAT",
        "LOG_LEVEL",
        "PLATFORM_API_TOKEN",
        "METRICS_TOKEN",
        "FLOWER_BASIC_AUTH",
    }
)

DEFAULT_PLATFORM_BASE_URL = "http://127.0.0.1:8081"


def var_dir() -> Path:
    """Where embedded state (SQLite file, embedded Redis) lives."""
    return Path(os.environ.get("RECONCILE_VAR_DIR") or Path.cwd() / "var").resolve()


def embedded_redis_socket() -> Path:
    return var_dir() / "redis.sock"


def embedded_database_url() -> str:
    return f"sqlite:///{var_dir() / 'reconcile.sqlite3'}"


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str
    rules_path: str | None
    platform_base_urls: dict[str, str]
    alert_webhook_urls: tuple[str, ...]
    alert_webhook_secret: str | None
    log_format: str
    log_level: str
    platform_api_token: str | None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def redis_client_url(url: str) -> str:
    """Translate a kombu-style socket URL into one redis-py understands."""
    if url.startswith("redis+socket://"):
        return "unix://" + url[len("redis+socket://") :]
    return url


def current_database_url(environ: Mapping[str, str] | None = None) -> str:
    """DATABASE_URL, or the embedded default. Use cases and requests call this rather than
    load_settings(), which reads a dozen other variables."""
    return (os.environ if environ is None else environ).get("DATABASE_URL") or \
        embedded_database_url()


def current_redis_url(environ: Mapping[str, str] | None = None) -> str:
    """REDIS_URL, or the embedded default (cheaply, like current_database_url)."""
    return (os.environ if environ is None else environ).get("REDIS_URL") or \
        f"redis+socket://{embedded_redis_socket()}"


def metrics_token(environ: Mapping[str, str] | None = None) -> str | None:
    """METRICS_TOKEN: the bearer token a scraper must send to GET /metrics (unset: none)."""
    return (os.environ if environ is None else environ).get("METRICS_TOKEN") or None


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    env = os.environ if environ is None else environ
    base = env.get("RECONCILE_PLATFORM_BASE_URL") or DEFAULT_PLATFORM_BASE_URL
    bases = {p: env.get(f"RECONCILE_{p.upper()}_BASE_URL") or base for p in PLATFORMS}
    hooks = tuple(u.strip() for u in (env.get("ALERT_WEBHOOK_URLS") or "").split(",") if u.strip())
    return Settings(
        database_url=current_database_url(env),
        redis_url=current_redis_url(env),
        rules_path=env.get("RECONCILE_RULES") or None,
        platform_base_urls={p: u.rstrip("/") for p, u in bases.items()},
        alert_webhook_urls=hooks,
        alert_webhook_secret=env.get("ALERT_WEBHOOK_SECRET") or None,
        log_format=(env.get("LOG_FORMAT") or "json").lower(),
        log_level=(env.get("LOG_LEVEL") or "INFO").upper(),
        platform_api_token=env.get("PLATFORM_API_TOKEN") or None,
    )
