"""Moderation: the review queue of flagged conversations and screenings, and the people
who work it (users, roles, logins and UI sessions)."""
