"""How many deliveries a listing shows (plain values, light to import for the CLI)."""

DEFAULT_DELIVERIES = 50
MAX_DELIVERIES = 1000
