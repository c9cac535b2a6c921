"""Read side: reports, analytics, dashboard aggregates, status, queues, SLOs, trust, health.

Read code may import write code's names; write code never imports read code."""
