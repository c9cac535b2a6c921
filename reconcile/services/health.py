"""Are the database and the broker answering?"""

from __future__ import annotations

import redis
from sqlalchemy import text

from reconcile.config import load_settings, redis_client_url
from reconcile.persistence.db import get_engine


def database_ok() -> bool:
    try:
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


def broker_ok() -> bool:
    try:
        client = redis.Redis.from_url(
            redis_client_url(load_settings().redis_url), socket_timeout=1, socket_connect_timeout=1
        )
        return bool(client.ping())
    except Exception:
        return False


def check_dependencies() -> dict[str, bool]:
    return {"database": database_ok(), "broker": broker_ok()}
