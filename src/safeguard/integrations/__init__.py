"""Platform plug-ins: what pict-rs, Matrix and Mastodon need of Safeguard beyond screening
(fetching their media, their payloads and signatures, reports filed back to them).

The routes are in ``safeguard.api.routers.platforms``; ``docs/integration.md`` shows each
platform's configuration."""
