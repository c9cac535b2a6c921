"""Affiliates' handles on the platforms, proved by a code in the profile bio
(truth.md, "Handles"); reconciliation reads the verified ones (`verified.py`)."""
