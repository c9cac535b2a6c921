"""Usage errors in one line (click's default prints the usage, a hint and a blank line too).

`main` is a OneLineGroup: every bad option, missing argument, bad value or unknown command
under it, at any depth, comes out as one `Error: reconcile <command>: ...` line, exit 2.
"""

from __future__ import annotations

from typing import Any

import click
from click.exceptions import NoArgsIsHelpError


class UsageProblem(click.ClickException):
    """A bad option or argument: one line on stderr, exit status 2 like click's own."""

    exit_code = 2


def one_line(exc: click.UsageError, fallback: str = "reconcile") -> UsageProblem:
    """Return the usage error as a single line naming the command it is about."""
    ctx = exc.ctx
    where = ctx.command_path if ctx is not None else fallback
    if isinstance(exc, NoArgsIsHelpError) and ctx is not None \
            and isinstance(ctx.command, click.Group):
        names = ", ".join(ctx.command.list_commands(ctx))
        message = f"name a command ({names}); see `{where} --help`"
    else:
        message = " ".join(exc.format_message().split())
    return UsageProblem(f"{where}: {message}")


class OneLineGroup(click.Group):
    """A group whose usage errors, and those of every command below it, are one line."""

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as exc:
            raise one_line(exc, info_name or "reconcile") from exc

    def invoke(self, ctx: click.Context) -> Any:
        # Subcommands parse their arguments inside the parent's invoke.
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            raise one_line(exc, ctx.command_path) from exc


class OneLineCommand(click.Command):
    """A command that reports bad arguments on a single line even outside `main`."""

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.UsageError as exc:
            raise one_line(exc, info_name or "reconcile") from exc
