"""The `reconcile` command line. Expected errors print one line and exit non-zero.

Each module below registers its commands on `main`; a new command group is a new module
imported here.
"""

from reconcile.cli import (  # noqa: F401  (registers commands)
    audit,
    bench,
    core,
    data,
    intake,
    observe,
    ops,
    payouts,
    platforms,
    rules,
    simulate,
    tracking,
)
from reconcile.cli.common import main

__all__ = ["main"]
