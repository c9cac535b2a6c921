"""Commands whose usage errors are one line too (click's default prints usage and a hint)."""

from __future__ import annotations

from typing import Any

import click


class UsageProblem(click.ClickException):
    """A bad option or argument: one line on stderr, exit status 2 like click's own."""

    exit_code = 2


class OneLineCommand(click.Command):
    """A command that reports bad arguments as `Error: ...` on a single line."""

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as exc:
            message = " ".join(exc.format_message().split())
            raise UsageProblem(f"{info_name}: {message}") from exc
