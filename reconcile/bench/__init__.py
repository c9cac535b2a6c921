"""`reconcile bench`: start a private cluster, load it over HTTP, print one JSON report.

Modules: stage (own database, Redis index, rules file), cluster (processes and their
RSS), workload (unique submissions), load (HTTP load, closed and open loop), noop (the
engine's own limit), measure (figures read back from the database), report (pure
percentiles and the JSON), run (the order of it all).
"""
