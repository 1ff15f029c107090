"""What the adapters of JSON web APIs share: their ``base_url`` setting, and a GET that
answers a JSON document or fails as an exchange fails."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx

from safeguard.errors import ConfigError, InvalidList
from safeguard.exchanges.base import ExchangeFailed, text_setting


class JsonApiAdapter:
    """The parts of an adapter of a paged JSON API: a clock, an HTTP transport (a fake's
    in tests) and the number of items asked for per page."""

    page_size: ClassVar[int] = 500

    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        transport: httpx.BaseTransport | None = None,
        page_size: int | None = None,
    ) -> None:
        self._clock = clock
        self._transport = transport
        self._page_size = page_size or self.page_size


def base_url(config: Mapping[str, Any], adapter: str, default: str | None = None) -> str:
    """The ``base_url`` setting without a trailing slash; ConfigError unless http(s)."""
    url = (text_setting(config, "base_url") or default or "").rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigError(f"{adapter} base_url must be an http(s) URL, got {url!r}")
    return url


def get_json(client: httpx.Client, url: str, params: Mapping[str, str], source: str) -> Any:
    """The JSON ``source`` answers to a GET; ExchangeFailed for an error answer or no
    answer, InvalidList for a body that is not JSON. Messages never show the query (it
    may hold a credential)."""
    try:
        response = client.get(url, params=dict(params))
    except httpx.TimeoutException:
        raise ExchangeFailed(f"{source} did not answer in time") from None
    except httpx.TransportError as exc:
        raise ExchangeFailed(f"could not reach {source} ({type(exc).__name__})") from None
    if response.status_code in (401, 403):
        raise ExchangeFailed(f"{source} refused the credentials (HTTP {response.status_code})")
    if not response.is_success:
        where = urlsplit(url).path
        raise ExchangeFailed(f"{source} answered HTTP {response.status_code} to {where}")
    try:
        return response.json()
    except ValueError:
        raise InvalidList(f"{source} answered something other than JSON") from None
