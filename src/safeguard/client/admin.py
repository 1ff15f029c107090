"""Webhook endpoints and their deliveries, and transparency reports (admin scope)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, Literal

from safeguard.client.calls import Call, items, model, operation, present, text
from safeguard.client.models import TransparencyReport, Webhook, WebhookCreated, WebhookDelivery

Period = date | datetime | str
"""A period's bound: a date, a time (UTC if naive) or ISO 8601 text."""


def _period(start: Period, end: Period, output: str, min_count: int | None) -> dict[str, Any]:
    return present(**{"from": start, "to": end, "format": output, "min_count": min_count})


class AdminEndpoints:
    @operation("POST", "/v1/webhooks")
    def create_webhook(self, url: str, events: Sequence[str] = ("*",)) -> Call[WebhookCreated]:
        """Register an endpoint for event kinds (``"*"``: all); the answer holds the
        secret its deliveries are signed with, shown this once."""
        return Call(model(WebhookCreated), json={"url": url, "events": list(events)})

    @operation("GET", "/v1/webhooks")
    def list_webhooks(self) -> Call[list[Webhook]]:
        """Every endpoint, oldest first, disabled ones included."""
        return Call(items(Webhook, "items"))

    @operation("DELETE", "/v1/webhooks/{endpoint_id}")
    def disable_webhook(self, endpoint_id: str) -> Call[Webhook]:
        """Disable an endpoint: nothing more is sent to it; its history stays."""
        return Call(model(Webhook), path={"endpoint_id": endpoint_id})

    @operation("GET", "/v1/webhooks/{endpoint_id}/deliveries")
    def list_webhook_deliveries(
        self, endpoint_id: str, *, limit: int | None = None
    ) -> Call[list[WebhookDelivery]]:
        """The endpoint's most recent deliveries, newest first."""
        path = {"endpoint_id": endpoint_id}
        return Call(items(WebhookDelivery, "items"), path=path, params=present(limit=limit))

    @operation("GET", "/v1/transparency/report")
    def transparency_report(
        self, start: Period, end: Period, *, min_count: int | None = None
    ) -> Call[TransparencyReport]:
        """The transparency report of the period [start, end) of the key's client."""
        return Call(model(TransparencyReport), params=_period(start, end, "json", min_count))

    @operation("GET", "/v1/transparency/report")
    def transparency_report_file(
        self,
        start: Period,
        end: Period,
        output: Literal["csv", "html"],
        *,
        min_count: int | None = None,
    ) -> Call[str]:
        """The same report as the DSA template's CSV or as a self-contained HTML file."""
        return Call(text, params=_period(start, end, output, min_count))
