"""Health, readiness and metrics, and the operations the platforms' own servers call
(pict-rs validation, Mastodon's admin webhooks)."""

from __future__ import annotations

from safeguard.client.calls import Call, model, operation, text
from safeguard.client.models import Health, MastodonDelivery, PictrsValidation, Ready


class ServiceEndpoints:
    api_key: str | None

    @operation("GET", "/v1/health")
    def health(self) -> Call[Health]:
        """Whether the database answers and takes writes (no API key needed)."""
        return Call(model(Health))

    @operation("GET", "/v1/ready")
    def ready(self) -> Call[Ready]:
        """Whether this process can serve: its index has caught up (no API key needed)."""
        return Call(model(Ready))

    @operation("GET", "/metrics")
    def metrics(self) -> Call[str]:
        """The Prometheus exposition of this worker's metrics."""
        return Call(text)

    @operation("POST", "/v1/integrations/pict-rs/validate")
    def pictrs_validate(
        self, content: bytes, content_type: str, *, key: str | None = None
    ) -> Call[PictrsValidation]:
        """Screen an upload as pict-rs does (the key travels as ``?key=``, by default
        this client's): a ``Forbidden`` error refuses it, naming the screening."""
        params = {"key": key or self.api_key or ""}
        headers = {"Content-Type": content_type}
        return Call(model(PictrsValidation), params=params, content=content, headers=headers)

    # Mastodon delivers again after a failure; the service reports a status once.
    @operation("POST", "/v1/integrations/mastodon/webhook", idempotent=True)
    def mastodon_webhook(self, body: bytes, signature: str) -> Call[MastodonDelivery]:
        """Deliver a Mastodon admin webhook, signed ``sha256=<hex HMAC-SHA256>``."""
        headers = {"X-Hub-Signature": signature, "Content-Type": "application/json"}
        return Call(model(MastodonDelivery), content=body, headers=headers)
