"""The ``hma`` adapter: the content of a bank of another HMA (OpenMediaMatch) instance.

HMA keeps no change feed, so each fetch reads the peer's whole bank and applies it as
one snapshot: content withdrawn or disabled there is removed here. The bank is read a
page at a time from ``GET {base}/c/bank/{bank}/export?after=<id>&limit=<n>``, which
answers ``{"content": [...], "next_after": <id or null>}``; each item has HMA's
``BankContentResponse`` shape (``id``, ``disable_until_ts``, ``signals`` by signal
type, ``metadata``). Upstream HMA serves single items only
(``/c/bank/{bank}/content/{id}``); the listing is what a peer exposing its banks for
exchange (e.g. Safeguard's HMA-compatible API) serves. The checkpoint is the digest of
what was read: an unchanged bank gives an empty page.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from safeguard.errors import ConfigError, InvalidList
from safeguard.exchanges.base import (
    Addition,
    Checkpoint,
    Config,
    ExchangeFailed,
    Page,
    credential,
    only_keys,
    refuse_secrets,
    text_setting,
)
from safeguard.exchanges.http import http_client

PAGE_SIZE = 1000  # items asked for per request
ENABLED, DISABLED = 1, 0  # HMA's magic disable_until_ts values; others are a time
MAX_PAGES = 100_000  # a peer that never stops paging is refused


class HmaExchange:
    """A peer HMA's bank. Settings: ``base_url``, ``bank`` (its name there) and
    ``token_env`` (optional: the environment variable holding a bearer token)."""

    name = "hma"

    def __init__(
        self,
        clock: Callable[[], float] = time.time,
        transport: httpx.BaseTransport | None = None,
        page_size: int = PAGE_SIZE,
    ) -> None:
        self._clock = clock
        self._transport = transport
        self._page_size = page_size

    def check_config(self, config: Mapping[str, Any]) -> Config:
        refuse_secrets(config)
        only_keys(config, {"base_url", "bank", "token_env"}, self.name)
        url = (text_setting(config, "base_url") or "").rstrip("/")
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ConfigError(f"hma base_url must be an http(s) URL, got {url!r}")
        bank = text_setting(config, "bank")
        if not bank:
            raise ConfigError("an hma exchange needs the name of the peer's bank")
        checked: Config = {"base_url": url, "bank": bank}
        token_env = text_setting(config, "token_env")
        if token_env:
            checked["token_env"] = token_env
        return checked

    def fetch(self, config: Config, checkpoint: Checkpoint | None) -> Iterator[Page]:
        headers = {"Accept": "application/json"}
        if config.get("token_env"):
            headers["Authorization"] = f"Bearer {credential(config, 'token_env')}"
        digest = hashlib.sha256()
        additions: list[Addition] = []
        url = f"{config['base_url']}/c/bank/{quote(config['bank'], safe='')}/export"
        with http_client(headers=headers, transport=self._transport) as client:
            after: int | None = 0
            for _ in range(MAX_PAGES):
                if after is None:
                    break
                body = _get(client, url, {"after": str(after), "limit": str(self._page_size)})
                digest.update(body)
                items, following = _parse(body)
                if following is not None and following <= after:
                    raise InvalidList("the HMA peer's next_after does not move forward")
                after = following
                additions.extend(self._additions(items))
            else:
                raise ExchangeFailed("the HMA peer did not stop paging")
        seen: Checkpoint = {"sha256": digest.hexdigest()}
        if checkpoint and checkpoint.get("sha256") == seen["sha256"]:
            yield Page(seen)
            return
        yield Page(seen, tuple(additions), snapshot=True)

    def _additions(self, items: list[dict[str, Any]]) -> Iterator[Addition]:
        now = self._clock()
        for item in items:
            disabled = item.get("disable_until_ts", 0)
            if not isinstance(disabled, int) or isinstance(disabled, bool):
                raise InvalidList(f"HMA content {item.get('id')!r}: disable_until_ts not a number")
            if disabled == DISABLED or (disabled != ENABLED and disabled > now):
                continue  # disabled there (for now): not matched here either
            signals = item.get("signals") or {}
            if not isinstance(signals, dict):
                raise InvalidList(f"HMA content {item['id']}: signals is not an object")
            for kind, value in sorted(signals.items()):
                if not isinstance(value, str):
                    raise InvalidList(f"HMA content {item['id']}: {kind} value is not a string")
                yield Addition(str(kind).lower(), value, str(item["id"]))


def _get(client: httpx.Client, url: str, params: dict[str, str]) -> bytes:
    try:
        response = client.get(url, params=params)
    except httpx.TimeoutException:
        raise ExchangeFailed("the HMA peer did not answer in time") from None
    except httpx.TransportError as exc:
        raise ExchangeFailed(f"could not reach the HMA peer ({type(exc).__name__})") from None
    if response.status_code in (401, 403):
        raise ExchangeFailed(f"the HMA peer refused the token (HTTP {response.status_code})")
    if not response.is_success:
        where = urlsplit(url).path
        raise ExchangeFailed(f"the HMA peer answered HTTP {response.status_code} to {where}")
    return response.content


def _parse(body: bytes) -> tuple[list[dict[str, Any]], int | None]:
    """The items of one page and the id to read after, None at the end."""
    try:
        document = json.loads(body)
    except ValueError:
        raise InvalidList("the HMA peer answered something other than JSON") from None
    if not isinstance(document, dict) or not isinstance(document.get("content"), list):
        raise InvalidList("the HMA peer's page has no content list")
    items = document["content"]
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("id"), int):
            raise InvalidList("an item of the HMA peer's page has no integer id")
    following = document.get("next_after")
    if following is not None and (not isinstance(following, int) or isinstance(following, bool)):
        raise InvalidList("the HMA peer's next_after is not an integer")
    return items, following


HMA = HmaExchange()
