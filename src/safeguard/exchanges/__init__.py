"""Exchanges: hash lists fetched from the sources platforms use (NCMEC's hash sharing, a
peer's HMA, local files) into banks, incrementally, from a stored checkpoint."""
