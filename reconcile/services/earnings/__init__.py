"""Earnings: rate cards, the append-only earnings ledger, holds, budgets, payouts.

The contract other packages use (docs/earnings.md, "Contract"):

- `settle(session, report_id, now)`: reconciliation calls it, in its transaction, when a
  report reaches a terminal status; it writes the post's difference, or nothing.
- `post_removed(session, report_id, now)`: a takedown; the post earns nothing from then on.
- `HOLDING_FLAGS`: the report flags that hold a post's earnings.
- Holds are worked out again on every alert raised or resolved: importing this package
  registers its listener on the alerts path (reconcile.services.alerts.hooks).
"""

from reconcile.rules.earnings import HOLDING_FLAGS
from reconcile.services.alerts.hooks import on_alert_changed
from reconcile.services.earnings.holds import on_alert
from reconcile.services.earnings.ledger import settle
from reconcile.services.earnings.takedown import post_removed

on_alert_changed(on_alert)

__all__ = ["HOLDING_FLAGS", "post_removed", "settle"]
