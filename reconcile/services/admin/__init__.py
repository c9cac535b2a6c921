"""Operators' use cases: accounts, campaigns, platform switches, backup, export, demo,
the rules what-if, housekeeping."""
