"""The ``ncmec`` adapter: NCMEC's hash-sharing API (v2), fetched by time range.

A fetch reads the entries changed from the checkpoint's time to a few seconds ago, page
by page. Since NCMEC's pages are not in time order, the checkpoint after a page inside a
range is the range and the next page's path; only after the range's last page does it
move to the range's end (less a second: ranges overlap, as reapplying changes nothing).
NCMEC asks that paging paths be used soon: one older than
``PAGING_VALID`` is dropped and its range read again (applying a page twice changes
nothing).

Each entry is a record ``<member>-<id>`` whose fingerprints become values (image MD5 ->
``md5``, video MD5 -> ``video_md5``, SHA-1 -> ``sha1``, PDQ -> ``pdq``; PhotoDNA, TMK
and others under their own names, skipped unless a signal type of that name is
installed), labelled with its classification; deleted entries remove their record.
The default environment is NCMEC's test environment: production must be chosen.

Moderators' decisions on matches of its entries go back to NCMEC as feedback on the
matched fingerprint (``feedback.py``): affirmative for a confirmed match, negative with
the reason configured for that fingerprint type for a false positive.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from safeguard.errors import ConfigError
from safeguard.exchanges.base import (
    Addition,
    Checkpoint,
    Config,
    FeedbackUnsendable,
    Opinion,
    Page,
    Removal,
    credential,
    only_keys,
    refuse_secrets,
    text_setting,
)
from safeguard.exchanges.ncmec_client import NcmecEntry, NcmecHashClient, NcmecPage

TEST_URL = "https://exttest.cybertip.org/hashsharing"
PRODUCTION_URL = "https://report.cybertip.org/hashsharing"
ENVIRONMENT_URLS = {"test": TEST_URL, "production": PRODUCTION_URL}
PRODUCTION_HOSTS = {"report.cybertip.org", "hashsharing.ncmec.org", "lesp.ncmec.org"}
DEFAULT_USERNAME_ENV = "SAFEGUARD_NCMEC_HASH_USERNAME"
DEFAULT_PASSWORD_ENV = "SAFEGUARD_NCMEC_HASH_PASSWORD"
PAGING_VALID = 12 * 3600  # seconds a paging path is used for
SETTLE_SECONDS = 5  # a range ends this long before now: entries still being written
OVERLAP_SECONDS = 1  # the next range starts this much before the last one's end
SIGNAL_TYPES = {
    ("image", "md5"): "md5",
    ("video", "md5"): "video_md5",
    ("image", "pdq"): "pdq",
    ("image", "pdna"): "photodna",
}
"""Safeguard's signal type of NCMEC fingerprints that differ by media; others keep
NCMEC's name (``sha1``, ``tmk_pdqf``, ...)."""
FINGERPRINTS = {"md5": "MD5", "video_md5": "MD5", "pdq": "PDQ", "photodna": "PDNA"}
"""NCMEC's fingerprint type (in feedback paths) of Safeguard's signal types that differ
in name; others are their name in capitals (``sha1`` -> ``SHA1``)."""
DEFAULT_REASON = "default"
"""The key of ``negative_reasons`` that applies to fingerprint types not named."""
_GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_SETTINGS = {
    "environment",
    "base_url",
    "username_env",
    "password_env",
    "start",
    "members",
    "feedback",
    "negative_reasons",
}


class NcmecExchange:
    """NCMEC hash sharing. Settings: ``environment`` (test, the default, or production),
    ``base_url`` (another NCMEC database, or a fake), ``username_env`` and
    ``password_env`` (the environment variables holding the credentials), ``start``
    (ISO 8601: the first fetch's start, default the beginning), ``members`` (only
    these members' entries), ``feedback`` (send moderators' opinions back; default on
    in the test environment only) and ``negative_reasons`` (NCMEC's reason guid for
    negative feedback by fingerprint type, ``default`` for the others)."""

    name = "ncmec"

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock

    def check_config(self, config: Mapping[str, Any]) -> Config:
        refuse_secrets(config)
        only_keys(config, _SETTINGS, self.name)
        environment = text_setting(config, "environment", "test")
        if environment not in ENVIRONMENT_URLS:
            raise ConfigError("ncmec environment must be test or production")
        url = (text_setting(config, "base_url") or ENVIRONMENT_URLS[environment]).rstrip("/")
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ConfigError(f"ncmec base_url must be an http(s) URL, got {url!r}")
        if environment != "production" and parts.hostname.lower() in PRODUCTION_HOSTS:
            raise ConfigError("that is an NCMEC production URL: set environment to production")
        checked: Config = {
            "environment": environment,
            "base_url": url,
            "username_env": text_setting(config, "username_env", DEFAULT_USERNAME_ENV),
            "password_env": text_setting(config, "password_env", DEFAULT_PASSWORD_ENV),
            "start": _start(config.get("start")),
        }
        members = config.get("members") or []
        if not isinstance(members, list) or not all(
            isinstance(m, int) and not isinstance(m, bool) for m in members
        ):
            raise ConfigError("ncmec members must be a list of member (ESP) ids")
        if members:
            checked["members"] = sorted(set(members))
        feedback = config.get("feedback", environment == "test")
        if not isinstance(feedback, bool):
            raise ConfigError("ncmec feedback must be true or false")
        checked["feedback"] = feedback
        checked["negative_reasons"] = _reasons(config.get("negative_reasons") or {})
        return checked

    def sends_feedback(self, config: Config) -> bool:
        return bool(config.get("feedback", config.get("environment") == "test"))

    def fingerprint(self, signal_type: str) -> str:
        return FINGERPRINTS.get(signal_type, signal_type.upper())

    def send_feedback(
        self, config: Config, record: str, fingerprint: str, opinion: Opinion
    ) -> None:
        member, _, entry = record.partition("-")
        if not member.isdigit() or not entry:
            raise FeedbackUnsendable(f"{record!r} is not an NCMEC entry (<member>-<id>)")
        reason = None
        if opinion is Opinion.NEGATIVE:
            reasons = config.get("negative_reasons") or {}
            reason = reasons.get(fingerprint) or reasons.get(DEFAULT_REASON)
            if not reason:
                raise FeedbackUnsendable(
                    f"no reason for negative feedback on {fingerprint} is configured "
                    "(set negative_reasons)"
                )
        username = credential(config, "username_env")
        password = credential(config, "password_env")
        with NcmecHashClient(config["base_url"], username, password) as client:
            client.send_feedback(
                int(member),
                entry,
                fingerprint,
                affirmative=opinion is Opinion.AFFIRMATIVE,
                reason_guid=reason,
            )

    def fetch(self, config: Config, checkpoint: Checkpoint | None) -> Iterator[Page]:
        now = int(self._clock())
        end = now - SETTLE_SECONDS
        state: Checkpoint = checkpoint or {}
        start = int(state["from"] if "from" in state else config["start"])
        fresh = now - int(state.get("paged_at", 0)) <= PAGING_VALID
        paging = state.get("next") if fresh else None
        username = credential(config, "username_env")
        password = credential(config, "password_env")
        with NcmecHashClient(config["base_url"], username, password) as client:
            if paging:
                resumed_end = int(state["to"])
                yield from self._range(client, config, start, resumed_end, paging, now)
                start = resumed_end
            if start < end:
                yield from self._range(client, config, start, end, None, now)

    def _range(
        self,
        client: NcmecHashClient,
        config: Config,
        start: int,
        end: int,
        paging: str | None,
        now: int,
    ) -> Iterator[Page]:
        """The pages of one time range, from its first page or from ``paging``."""
        page = client.next_page(paging) if paging else client.entries(start, end)
        while True:
            checkpoint: Checkpoint = {"from": end - OVERLAP_SECONDS}
            if page.next:
                checkpoint = {"from": start, "to": end, "next": page.next, "paged_at": now}
            yield _page(page, checkpoint, config.get("members"))
            if not page.next:
                return
            page = client.next_page(page.next)


def _page(page: NcmecPage, checkpoint: Checkpoint, members: list[int] | None) -> Page:
    additions: list[Addition] = []
    removals: list[Removal] = []
    skipped = 0
    for entry in page.entries:
        if entry.deleted:
            removals.append(Removal(external_id=entry.key))
        elif members and entry.member_id not in members:
            skipped += 1
        else:
            additions.extend(_additions(entry))
            skipped += entry.linked
    return Page(checkpoint, tuple(additions), tuple(removals), skipped=skipped)


def _additions(entry: NcmecEntry) -> Iterator[Addition]:
    labels = (entry.classification,) if entry.classification else ()
    for fingerprint, value in sorted(entry.fingerprints.items()):
        tag = fingerprint.replace("-", "_")
        kind = SIGNAL_TYPES.get((entry.media, tag), tag)
        yield Addition(kind, value, entry.key, labels)


def _reasons(raw: object) -> dict[str, str]:
    """``negative_reasons`` checked: fingerprint types (capitals) or ``default`` to
    NCMEC's reason guids (lowercase)."""
    if not isinstance(raw, Mapping):
        raise ConfigError("ncmec negative_reasons must map fingerprint types to guids")
    reasons: dict[str, str] = {}
    for kind, guid in raw.items():
        if not isinstance(guid, str) or not _GUID.fullmatch(guid.strip()):
            raise ConfigError(f"ncmec negative_reasons[{kind!r}] must be a guid from NCMEC")
        key = DEFAULT_REASON if kind.strip().lower() == DEFAULT_REASON else kind.strip().upper()
        reasons[key] = guid.strip().lower()
    return reasons


def _start(raw: object) -> int:
    """The first fetch's start as Unix seconds (ISO 8601 text, default 0)."""
    if raw is None or raw == "":
        return 0
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if not isinstance(raw, str):
        raise ConfigError("ncmec start must be an ISO 8601 time")
    try:
        moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"ncmec start must be an ISO 8601 time, got {raw!r}") from None
    if moment.tzinfo is None:
        raise ConfigError("ncmec start needs a time zone (e.g. 2024-01-01T00:00:00Z)")
    return int(moment.timestamp())


NCMEC = NcmecExchange()
