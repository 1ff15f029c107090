"""The roles of the moderator UI's users (plain values, light to import for the CLI)."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """What a user may do; each role may do everything of the roles before it."""

    VIEWER = "viewer"
    """Reads the review queue and its items."""
    MODERATOR = "moderator"
    """A viewer who will decide items (the next part of the workspace)."""
    ADMIN = "admin"
    """A moderator who also sees and manages the users."""

    def includes(self, other: Role) -> bool:
        """Whether this role may do what ``other`` may."""
        order = list(Role)
        return order.index(self) >= order.index(other)
