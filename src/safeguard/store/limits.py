"""What database columns hold (plain values, light to import for the CLI)."""

MAX_INT64 = 2**63 - 1
"""The largest integer PostgreSQL's bigint (and SQLite's integer) holds."""
