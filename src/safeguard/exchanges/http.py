"""The HTTP client exchanges fetch with: no redirects, bounded timeouts, and one TLS
context per process (loading the CA bundle for every fetch costs a tenth of a second)."""

from __future__ import annotations

import ssl
from functools import cache

import httpx

DEFAULT_TIMEOUT = 60.0


@cache
def _tls() -> ssl.SSLContext:
    return ssl.create_default_context()


def http_client(
    *,
    headers: dict[str, str],
    auth: httpx.Auth | None = None,
    transport: httpx.BaseTransport | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> httpx.Client:
    """A client for one fetch (close it when the fetch ends)."""
    return httpx.Client(
        auth=auth,
        headers=headers,
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        follow_redirects=False,
        transport=transport,
        verify=_tls(),
    )
