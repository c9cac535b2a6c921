"""Use cases: one function each, called alike by the API, the tasks and the CLI.

Packages, top to bottom (an import points only down; `make lint` checks it):
`reads` (the read side), `admin` (operators' use cases), `reconciliation` (attempts and what
re-runs them), `tracking` (tracked links, clicks, postbacks), `intake` (what comes
in), `alerts`; then `access` (who may see what), `audit` and `principal`.
"""
