"""PDQ's match thresholds (plain values, light to import for the CLI)."""

DEFAULT_THRESHOLD = 31
# The largest threshold a bank may have. The robustness benchmark found the first false
# positive of any view at 54 bits; this keeps a margin of 10 (docs/benchmarks.md).
MAX_THRESHOLD = 44
