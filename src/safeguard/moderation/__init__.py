"""Moderation: the review queue of flagged conversations and screenings."""
