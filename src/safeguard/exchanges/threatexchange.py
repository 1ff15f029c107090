"""The ``fb_threatexchange`` adapter: the threat updates of a Meta ThreatExchange
privacy group, fetched by time range.

``GET {base}/{privacy_group}/threat_updates?start_time=&stop_time=&limit=&fields=``
(Graph API, the app access token as ``access_token``) answers ``{"data": [...],
"paging": {"next": <URL>}}``; each update is an indicator's latest state (``id``,
``indicator``, ``type``, ``last_updated``, ``should_delete``, ``tags``). As with NCMEC,
a fetch reads the range from the checkpoint's time to a few seconds ago; inside a range
the checkpoint holds the range and the next page's link (without the token), and only
after the range's last page does it move to the range's end. Hash types map to signal
types (``HASH_MD5`` tagged ``media_type_video`` is a video's MD5, as in
python-threatexchange); other types are skipped. ``should_delete`` withdraws the
indicator.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx

from safeguard.errors import ConfigError, InvalidList
from safeguard.exchanges.base import (
    Addition,
    Checkpoint,
    Config,
    Page,
    Removal,
    credential,
    only_keys,
    refuse_secrets,
    text_setting,
)
from safeguard.exchanges.http import http_client
from safeguard.exchanges.json_http import JsonApiAdapter, base_url, get_json

DEFAULT_URL = "https://graph.facebook.com/v21.0"
DEFAULT_TOKEN_ENV = "SAFEGUARD_THREATEXCHANGE_TOKEN"
SOURCE = "ThreatExchange"
FIELDS = "id,indicator,type,last_updated,should_delete,tags"
PAGE_SIZE = 500
CURSOR_VALID = 3600  # seconds a next-page link is used for; an older range is read again
SETTLE_SECONDS = 5  # a range ends this long before now
OVERLAP_SECONDS = 1  # the next range starts this much before the last one's end
VIDEO_TAG = "media_type_video"
SIGNAL_TYPES = {
    "HASH_PDQ": "pdq",
    "HASH_MD5": "md5",
    "HASH_VIDEO_MD5": "video_md5",
    "HASH_SHA256": "sha256",
    "HASH_VIDEO_SHA256": "sha256",
}
"""Safeguard's signal type of each ThreatExchange indicator type it maps."""
_SETTINGS = {"base_url", "privacy_group", "access_token_env"}


class ThreatExchange(JsonApiAdapter):
    """A ThreatExchange privacy group. Settings: ``privacy_group`` (its id),
    ``base_url`` (the Graph API with its version; a fake in tests) and
    ``access_token_env`` (the environment variable holding the app access token)."""

    name = "fb_threatexchange"
    page_size = PAGE_SIZE

    def check_config(self, config: Mapping[str, Any]) -> Config:
        refuse_secrets(config)
        only_keys(config, _SETTINGS, self.name)
        group = config.get("privacy_group")
        if isinstance(group, int) and not isinstance(group, bool):
            group = str(group)
        if not isinstance(group, str) or not group.strip().isdigit():
            raise ConfigError("a fb_threatexchange exchange needs the privacy_group's id")
        return {
            "base_url": base_url(config, self.name, DEFAULT_URL),
            "privacy_group": group.strip(),
            "access_token_env": text_setting(config, "access_token_env", DEFAULT_TOKEN_ENV),
        }

    def fetch(self, config: Config, checkpoint: Checkpoint | None) -> Iterator[Page]:
        now = int(self._clock())
        state: Checkpoint = checkpoint or {}
        start = int(state.get("from", 0))
        token = credential(config, "access_token_env")
        headers = {"Accept": "application/json"}
        with http_client(headers=headers, transport=self._transport) as client:
            read = _Reader(client, config["base_url"], token, now)
            if state.get("next") and now - int(state.get("paged_at", 0)) <= CURSOR_VALID:
                yield from read.range(start, int(state["to"]), str(state["next"]))
                start = int(state["to"])
            if start < now - SETTLE_SECONDS:
                first = {
                    "start_time": str(start),
                    "stop_time": str(now - SETTLE_SECONDS),
                    "limit": str(self._page_size),
                    "fields": FIELDS,
                }
                path = f"/{config['privacy_group']}/threat_updates?{urlencode(first)}"
                yield from read.range(start, now - SETTLE_SECONDS, path)


class _Reader:
    """The pages of time ranges of one fetch."""

    def __init__(self, client: httpx.Client, url: str, token: str, now: int) -> None:
        self._client = client
        self._url = url
        self._token = token
        self._now = now

    def range(self, start: int, stop: int, path: str) -> Iterator[Page]:
        """The pages of the range from ``start`` to ``stop``, from the page at ``path``
        (below the base URL, without the token)."""
        while True:
            url, _, query = path.partition("?")
            params = {**dict(parse_qsl(query)), "access_token": self._token}
            document = get_json(self._client, self._url + url, params, SOURCE)
            updates, following = _parse(document, self._url)
            checkpoint: Checkpoint = {"from": stop - OVERLAP_SECONDS}
            if following:
                if following == path:
                    raise InvalidList("ThreatExchange's next page is the page just read")
                checkpoint = {"from": start, "to": stop, "next": following, "paged_at": self._now}
            yield _page(updates, checkpoint)
            if not following:
                return
            path = following


def _parse(document: object, url: str) -> tuple[list[dict[str, Any]], str | None]:
    """The updates of a page, and the next page's path below ``url`` without the token
    (None at the end); InvalidList for a page not in the Graph API's shape."""
    if not isinstance(document, dict) or not isinstance(document.get("data"), list):
        raise InvalidList("ThreatExchange's page has no data list")
    updates = document["data"]
    for update in updates:
        if not isinstance(update, dict) or not str(update.get("id", "")).isdigit():
            raise InvalidList("an update of ThreatExchange's page has no numeric id")
        if not isinstance(update.get("indicator"), str) or not isinstance(update.get("type"), str):
            raise InvalidList(f"ThreatExchange update {update['id']}: no indicator or type")
        if not isinstance(update.get("should_delete", False), bool):
            raise InvalidList(f"ThreatExchange update {update['id']}: should_delete not a boolean")
    paging = document.get("paging") or {}
    link = paging.get("next") if isinstance(paging, dict) else None
    if not link:
        return updates, None
    if not isinstance(link, str) or not link.startswith(url + "/"):
        raise InvalidList("ThreatExchange named a next page that is not on its server")
    parts = urlsplit(link.removeprefix(url))
    query = [(k, v) for k, v in parse_qsl(parts.query) if k != "access_token"]
    return updates, f"{parts.path}?{urlencode(query)}"


def _page(updates: list[dict[str, Any]], checkpoint: Checkpoint) -> Page:
    latest = {str(update["id"]): update for update in updates}  # the last state wins
    additions: list[Addition] = []
    removals: list[Removal] = []
    skipped = 0
    for key, update in latest.items():
        if update.get("should_delete"):
            removals.append(Removal(external_id=key))
            continue
        tags = _tags(update.get("tags"), key)
        kind = SIGNAL_TYPES.get(update["type"].upper())
        if kind == "md5" and VIDEO_TAG in tags:
            kind = "video_md5"
        if kind is None:
            skipped += 1
        else:
            additions.append(Addition(kind, update["indicator"], key, tags))
    return Page(checkpoint, tuple(additions), tuple(removals), skipped=skipped)


def _tags(raw: object, key: str) -> tuple[str, ...]:
    """An update's tags: a list of names, or the Graph API's ``{"data": [{"text": ...}]}``."""
    if isinstance(raw, dict):
        raw = [tag.get("text") if isinstance(tag, dict) else None for tag in raw.get("data", [])]
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(tag, str) for tag in raw):
        raise InvalidList(f"ThreatExchange update {key}: tags are not a list of names")
    return tuple(sorted(set(raw)))


THREATEXCHANGE = ThreatExchange()
