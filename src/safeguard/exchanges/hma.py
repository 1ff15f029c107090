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
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

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
from safeguard.exchanges.json_http import JsonApiAdapter, base_url, get_json

PAGE_SIZE = 1000  # items asked for per request
ENABLED, DISABLED = 1, 0  # HMA's magic disable_until_ts values; others are a time
MAX_PAGES = 100_000  # a peer that never stops paging is refused


class HmaExchange(JsonApiAdapter):
    """A peer HMA's bank. Settings: ``base_url``, ``bank`` (its name there) and
    ``token_env`` (optional: the environment variable holding a bearer token)."""

    name = "hma"
    page_size = PAGE_SIZE

    def check_config(self, config: Mapping[str, Any]) -> Config:
        refuse_secrets(config)
        only_keys(config, {"base_url", "bank", "token_env"}, self.name)
        url = base_url(config, self.name)
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
                page = {"after": str(after), "limit": str(self._page_size)}
                document = get_json(client, url, page, "the HMA peer")
                digest.update(json.dumps(document, sort_keys=True).encode())
                items, following = _parse(document)
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


def _parse(document: Any) -> tuple[list[dict[str, Any]], int | None]:
    """The items of one page and the id to read after, None at the end."""
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
