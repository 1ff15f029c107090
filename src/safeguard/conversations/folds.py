"""How many folds training cross-validates over (a plain value, light to import for the
CLI)."""

FOLDS = 5
