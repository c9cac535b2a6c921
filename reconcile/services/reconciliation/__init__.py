"""Write side: running attempts, their effects, retries, sweeps, re-runs and re-verification."""
