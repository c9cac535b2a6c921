"""Tracked links and conversion postbacks (truth.md); only the count seam lives here yet."""
