"""The ``stop_ncii`` adapter: the hashes people submit to StopNCII.org.

``GET {base}/FetchHashes?startTimestamp=&pageSize=&nextPageToken=`` (headers
``Ocp-Apim-Subscription-Key`` and ``x-functions-key``) answers ``hashRecords``, each a
hash's latest state (``signalType``, ``hashValue``, ``hashStatus``,
``lastModtimestamp``), with ``hasMoreRecords``, ``nextPageToken`` and
``nextSetTimestamp`` (where the next set starts). Inside a set the checkpoint holds the
set's start and the next page's token; after its last page it moves to
``nextSetTimestamp``. ``ImagePDQ`` and ``VideoMD5`` map to ``pdq`` and ``video_md5``;
other types are skipped. A hash ``Withdrawn`` or ``Deleted`` is removed. StopNCII
publishes no test host, so ``base_url`` is required: production only when configured.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

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

PRODUCTION_URL = "https://api.stopncii.org/v1"
DEFAULT_SUBSCRIPTION_KEY_ENV = "SAFEGUARD_STOPNCII_SUBSCRIPTION_KEY"
DEFAULT_FETCH_KEY_ENV = "SAFEGUARD_STOPNCII_FETCH_KEY"
SOURCE = "StopNCII"
FIRST_START = 10  # the earliest start StopNCII's own client asks for
PAGE_SIZE = 800
TOKEN_VALID = 3600  # seconds a page token is used for; an older set is read again
SIGNAL_TYPES = {"ImagePDQ": "pdq", "VideoMD5": "video_md5"}
GONE = {"Withdrawn", "Deleted"}
_SETTINGS = {"base_url", "subscription_key_env", "fetch_key_env"}


class StopNcii(JsonApiAdapter):
    """StopNCII.org. Settings: ``base_url`` (required: StopNCII's API, or a fake),
    ``subscription_key_env`` and ``fetch_key_env`` (the environment variables holding
    the API subscription key and the FetchHashes function key)."""

    name = "stop_ncii"
    page_size = PAGE_SIZE

    def check_config(self, config: Mapping[str, Any]) -> Config:
        refuse_secrets(config)
        only_keys(config, _SETTINGS, self.name)
        if not text_setting(config, "base_url"):
            raise ConfigError(
                f"a stop_ncii exchange needs base_url (StopNCII's API is {PRODUCTION_URL})"
            )
        return {
            "base_url": base_url(config, self.name),
            "subscription_key_env": text_setting(
                config, "subscription_key_env", DEFAULT_SUBSCRIPTION_KEY_ENV
            ),
            "fetch_key_env": text_setting(config, "fetch_key_env", DEFAULT_FETCH_KEY_ENV),
        }

    def fetch(self, config: Config, checkpoint: Checkpoint | None) -> Iterator[Page]:
        now = int(self._clock())
        state: Checkpoint = checkpoint or {}
        start = int(state.get("start", FIRST_START))
        fresh = now - int(state.get("paged_at", 0)) <= TOKEN_VALID
        token = str(state["next"]) if state.get("next") and fresh else ""
        headers = {
            "Accept": "application/json",
            "Ocp-Apim-Subscription-Key": credential(config, "subscription_key_env"),
            "x-functions-key": credential(config, "fetch_key_env"),
        }
        url = f"{config['base_url']}/FetchHashes"
        with http_client(headers=headers, transport=self._transport) as client:
            while True:
                params = {"startTimestamp": str(start), "pageSize": str(self._page_size)}
                if token:
                    params["nextPageToken"] = token
                records, following, next_set = _parse(get_json(client, url, params, SOURCE))
                if following is not None and following == token:
                    raise InvalidList("StopNCII's next page token is the one just used")
                after: Checkpoint = {"start": next_set}
                if following is not None:
                    after = {"start": start, "next": following, "paged_at": now}
                yield _page(records, after)
                if following is None:
                    return
                token = following


def _parse(document: object) -> tuple[list[dict[str, Any]], str | None, int]:
    """The records of a page, the next page's token (None after the set's last page)
    and the next set's start; InvalidList for a page not in FetchHashes' shape."""
    if not isinstance(document, dict) or not isinstance(document.get("hashRecords"), list):
        raise InvalidList("StopNCII's page has no hashRecords list")
    records = document["hashRecords"]
    for record in records:
        if not isinstance(record, dict) or not all(
            isinstance(record.get(key), str) for key in ("signalType", "hashValue", "hashStatus")
        ):
            raise InvalidList("a record of StopNCII's page has no signalType, hashValue or status")
    more = document.get("hasMoreRecords")
    next_set = document.get("nextSetTimestamp")
    following = document.get("nextPageToken")
    if not isinstance(more, bool) or not isinstance(next_set, int) or isinstance(next_set, bool):
        raise InvalidList("StopNCII's page has no hasMoreRecords or nextSetTimestamp")
    if more and (not isinstance(following, str) or not following):
        raise InvalidList("StopNCII has more records but named no next page token")
    return records, following if more else None, next_set


def _page(records: list[dict[str, Any]], checkpoint: Checkpoint) -> Page:
    latest = {(r["signalType"], r["hashValue"]): r["hashStatus"] for r in records}
    additions: list[Addition] = []
    removals: list[Removal] = []
    skipped = 0
    for (kind, value), status in latest.items():
        signal_type = SIGNAL_TYPES.get(kind)
        if signal_type is None:
            skipped += 1
        elif status in GONE:
            removals.append(Removal(signal_type=signal_type, value=value))
        else:
            additions.append(Addition(signal_type, value))
    return Page(checkpoint, tuple(additions), tuple(removals), skipped=skipped)


STOP_NCII = StopNcii()
