"""Are the database and the broker answering?"""

from __future__ import annotations

from sqlalchemy import text

from reconcile.config import current_redis_url
from reconcile.persistence.db import get_engine
from reconcile.redis_clients import connect


def database_ok() -> bool:
    try:
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:
        return False


def broker_ok() -> bool:
    try:
        return bool(connect(current_redis_url()).ping())
    except Exception:
        return False


def check_dependencies() -> dict[str, bool]:
    return {"database": database_ok(), "broker": broker_ok()}
