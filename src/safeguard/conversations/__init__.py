"""Conversation safety: streaming grooming-risk scoring with explainable cues."""
