"""What a bank's matches do (plain values, light to import for the CLI)."""

from __future__ import annotations

from enum import StrEnum


class BankAction(StrEnum):
    """What a match in a (non-safelist) bank does to the decision."""

    BLOCK = "block"
    REVIEW = "review"


class BankKind(StrEnum):
    """A list matches content; a safelist cancels other banks' matches."""

    LIST = "list"
    SAFELIST = "safelist"
