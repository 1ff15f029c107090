"""Transparency reports: figures for a period computed from the event log (``events.py``)
and the rows its events name, reproducibly and without anything personal
(``docs/transparency.md``)."""
