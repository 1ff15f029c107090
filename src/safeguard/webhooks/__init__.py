"""Signed webhooks: every event of the log an endpoint subscribes to, delivered at least
once, retried for a day or more, with its delivery history (docs/webhooks.md)."""
