"""Read configuration from the environment, in one place.

Every environment variable the system reads is listed in ENV_VARS; the docker-compose
test checks the compose file against that list.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import SplitResult, parse_qs, parse_qsl, urlencode, urlsplit

from reconcile.vocabulary import PLATFORMS

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
        "PUBLIC_BASE_URL",
        "VISITOR_HASH_KEY",
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


class ConfigError(ValueError):
    """A setting that cannot be used as given; the message names it and what is accepted."""


_POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg2")
_DATABASE_FORMS = "postgresql://, postgres://, postgresql+psycopg2:// or sqlite:///PATH"
_REDIS_FORMS = "redis://, rediss://, unix:// or redis+socket://"
# What redis-py calls each certificate requirement; Celery's documentation spells them
# CERT_REQUIRED etc., which redis-py refuses.
_CERT_REQS = {"cert_required": "required", "cert_optional": "optional", "cert_none": "none",
              "required": "required", "optional": "optional", "none": "none"}


def _split(name: str, url: str, forms: str) -> SplitResult:
    """Split url, or fail naming the variable and the accepted forms, never echoing the URL
    (it may hold a password)."""
    scheme, sep, _ = url.partition("://")
    if not sep or not scheme or not scheme.replace("+", "").isalnum():
        raise ConfigError(f"{name} is not a URL; use {forms}")
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        raise ConfigError(f"{name} has a port that is not a number") from None
    return parts


# Both are read on every request and job (current_database_url, current_redis_url): the
# parse is pure, so each URL is parsed once per process.
@lru_cache(maxsize=32)
def normalise_database_url(url: str) -> str:
    """Return the SQLAlchemy URL for a DATABASE_URL in any accepted form.

    PostgreSQL hosts hand out postgresql:// (which SQLAlchemy 2 maps to psycopg 3, not
    installed) and postgres:// (Heroku, which SQLAlchemy refuses): both mean psycopg2 here.
    """
    parts = _split("DATABASE_URL", url, _DATABASE_FORMS)
    scheme = parts.scheme.lower()
    if scheme in _POSTGRES_SCHEMES:
        return "postgresql+psycopg2://" + url.partition("://")[2]
    if scheme == "sqlite":
        return url
    raise ConfigError(f"DATABASE_URL scheme {scheme[:40]}:// is not supported; use "
                      f"{_DATABASE_FORMS}")


def _query_renamed(query: str, old: str, new: str) -> list[tuple[str, str]]:
    return [(new if k == old else k, v) for k, v in parse_qsl(query, keep_blank_values=True)]


@lru_cache(maxsize=32)
def redis_client_url(url: str) -> str:
    """Return the redis-py form of a REDIS_URL in any accepted form.

    kombu's unix-socket form redis+socket:///PATH?virtual_host=N is unix:///PATH?db=N here.
    """
    parts = _split("REDIS_URL", url, _REDIS_FORMS)
    scheme = parts.scheme.lower()
    if scheme not in ("redis", "rediss", "unix", "redis+socket"):
        raise ConfigError(f"REDIS_URL scheme {scheme[:40]}:// is not supported; use {_REDIS_FORMS}")
    query = parse_qsl(parts.query, keep_blank_values=True)
    if scheme == "redis+socket":
        scheme, query = "unix", _query_renamed(parts.query, "virtual_host", "db")
    if scheme == "unix" and not parts.path:
        raise ConfigError("REDIS_URL names no socket path; use unix:///PATH/redis.sock")
    if scheme == "rediss":
        query = [(k, _cert_reqs(v) if k == "ssl_cert_reqs" else v) for k, v in query]
    return _join(scheme, parts, query)


def _join(scheme: str, parts: SplitResult, query: list[tuple[str, str]]) -> str:
    # Not urlunsplit: it drops the empty host of unix:///PATH, leaving unix:/PATH.
    tail = f"?{urlencode(query, safe='/')}" if query else ""
    return f"{scheme}://{parts.netloc}{parts.path}{tail}"


def _cert_reqs(value: str) -> str:
    try:
        return _CERT_REQS[value.lower()]
    except KeyError:
        raise ConfigError("REDIS_URL ssl_cert_reqs must be required, optional or none") from None


def broker_url(url: str) -> str:
    """Return the kombu (Celery broker) form of a REDIS_URL in any accepted form."""
    parts = urlsplit(redis_client_url(url))
    if parts.scheme == "unix":
        query = _query_renamed(parts.query, "db", "virtual_host")
        return _join("redis+socket", parts, query)
    if parts.scheme == "rediss" and "ssl_cert_reqs" not in parse_qs(parts.query):
        # kombu skips certificate checks on a bare rediss:// (redis-py does not): verify,
        # as every other client here does.
        query = [*parse_qsl(parts.query, keep_blank_values=True), ("ssl_cert_reqs", "required")]
        return _join(parts.scheme, parts, query)
    return _join(parts.scheme, parts, parse_qsl(parts.query, keep_blank_values=True))


def current_database_url(environ: Mapping[str, str] | None = None) -> str:
    """DATABASE_URL (normalised), or the embedded default. Use cases and requests call this
    rather than load_settings(), which reads a dozen other variables."""
    raw = (os.environ if environ is None else environ).get("DATABASE_URL")
    return normalise_database_url(raw) if raw else embedded_database_url()


def current_redis_url(environ: Mapping[str, str] | None = None) -> str:
    """REDIS_URL in redis-py's form, or the embedded default (cheaply, like
    current_database_url)."""
    raw = (os.environ if environ is None else environ).get("REDIS_URL")
    return redis_client_url(raw or f"unix://{embedded_redis_socket()}")


def check_urls(environ: Mapping[str, str] | None = None) -> None:
    """Fail with ConfigError if DATABASE_URL or REDIS_URL is set to a form not accepted."""
    current_database_url(environ)
    current_redis_url(environ)


def metrics_token(environ: Mapping[str, str] | None = None) -> str | None:
    """METRICS_TOKEN: the bearer token a scraper must send to GET /metrics (unset: none)."""
    return (os.environ if environ is None else environ).get("METRICS_TOKEN") or None


DEFAULT_PUBLIC_BASE_URL = "http://127.0.0.1:8000"


def public_base_url(environ: Mapping[str, str] | None = None) -> str:
    """PUBLIC_BASE_URL: where people reach the API, for the tracked links it hands out."""
    raw = (os.environ if environ is None else environ).get("PUBLIC_BASE_URL")
    url = (raw or DEFAULT_PUBLIC_BASE_URL).strip().rstrip("/")
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).netloc:
        raise ConfigError("PUBLIC_BASE_URL must be an http(s) URL, e.g. https://go.example.com")
    return url


def visitor_hash_key(environ: Mapping[str, str] | None = None) -> bytes:
    """VISITOR_HASH_KEY: the key of the visitor hash (a keyed hash of the client address).

    Unset, a random key is made once and kept in the var directory: enough for one machine;
    several API hosts must share one key (set the variable) for repeat clicks to be seen.
    """
    raw = (os.environ if environ is None else environ).get("VISITOR_HASH_KEY")
    if raw:
        return raw.encode()
    path = var_dir() / "visitor-hash.key"
    if not path.exists():
        import secrets

        path.parent.mkdir(parents=True, exist_ok=True)
        # Written whole under a temporary name and linked in: two processes starting at once
        # both end up with the one key that won.
        tmp = path.with_name(f"{path.name}.{secrets.token_hex(8)}")  # one per caller
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    # Linked whole, so never read half-written.
    return path.read_text().strip().encode()


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
