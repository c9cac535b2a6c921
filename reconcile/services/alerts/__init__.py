"""Alerts: raise them, manage them, deliver them to webhooks, digests, the risk summary."""
