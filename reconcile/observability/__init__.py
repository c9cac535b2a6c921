"""Cluster-wide metrics, trace context and the worker busy clock."""
