"""Tracked links, their clicks and conversion postbacks (truth.md, Tracked links and
Conversion postbacks): the numbers that platforms do not report, measured here."""
