"""Shared pieces of the command line: the group, error handling, JSON output."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

import click

from reconcile.cli.usage import OneLineGroup
from reconcile.errors import ReconcileError
from reconcile.rules import RulesError


def friendly(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Turn expected failures into one line on stderr and exit status 1."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from redis.exceptions import RedisError
        from sqlalchemy.exc import OperationalError

        from reconcile.config import ConfigError

        try:
            return fn(*args, **kwargs)
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from exc
        except (ReconcileError, RulesError) as exc:
            raise click.ClickException(getattr(exc, "detail", None) or str(exc)) from exc
        except RedisError as exc:
            raise click.ClickException(f"Redis unavailable: {exc}") from exc
        except OperationalError as exc:
            first = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            raise click.ClickException(f"database unavailable: {first}") from exc

    return wrapper


def text_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A click callback: text that will be stored holds no control character (the rule the
    API applies in its request models, reconcile.text)."""
    from reconcile.text import MESSAGE, has_control

    if value is not None and has_control(value):
        raise click.BadParameter(MESSAGE)
    return value


def print_json(obj: Any) -> None:
    click.echo(json.dumps(obj, indent=2, default=str))


@click.group(cls=OneLineGroup)
@click.version_option(package_name="reconcile")
def main() -> None:
    """Reconcile affiliate claims against platform truth."""
    from reconcile.config import ConfigError, check_urls
    from reconcile.logs import configure_logging

    try:
        check_urls()  # before anything reads them, so a bad URL is one line, not a traceback
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    configure_logging()


