"""What every exchange adapter offers: pages of updates fetched from a checkpoint.

In the spirit of python-threatexchange's ``SignalExchangeAPI``: an adapter fetches
incrementally from an opaque checkpoint (a JSON object only the adapter reads) and
yields ``Page``s, each with the checkpoint after it. The runner applies a page to the
bank and stores its checkpoint in one transaction, so a fetch that stops anywhere
resumes after the last page applied.

Additions that carry an external id describe a whole record (an NCMEC entry, a peer's
content item): the record's values the exchange added before and no longer lists are
removed, so an adapter keeps all values of one record in one page. Removals name a
record by external id, or a value by signal type and value. A ``snapshot`` page lists
everything the source holds: whatever the exchange added that it does not list goes.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from safeguard.errors import ConfigError, SafeguardError

Checkpoint = dict[str, Any]
"""An adapter's position in its source, stored as JSON between fetches."""

Config = dict[str, Any]
"""An exchange's settings, stored as JSON; never credentials."""

_SECRET_KEY = re.compile(r"password|secret|token|credential|api_?key", re.IGNORECASE)


@dataclass(frozen=True)
class Addition:
    """A value the source lists, with the record it belongs to and the record's labels
    (e.g. NCMEC's classification)."""

    signal_type: str
    value: str
    external_id: str | None = None
    labels: tuple[str, ...] = ()


@dataclass(frozen=True)
class Removal:
    """A record withdrawn by the source (``external_id``), or one value of it
    (``signal_type`` and ``value``)."""

    external_id: str | None = None
    signal_type: str | None = None
    value: str | None = None

    def __post_init__(self) -> None:
        by_value = self.signal_type is not None and self.value is not None
        if (self.external_id is None) == (not by_value):
            raise ValueError("a removal names an external id, or a signal type and a value")


@dataclass(frozen=True)
class Page:
    """Updates to apply together, and the checkpoint to store once they are applied.

    ``skipped`` counts what the adapter left out (records it does not map to any signal
    type); additions of signal types Safeguard does not know are counted by the runner.
    """

    checkpoint: Checkpoint
    additions: tuple[Addition, ...] = ()
    removals: tuple[Removal, ...] = ()
    snapshot: bool = False
    skipped: int = 0


class ExchangeFailed(SafeguardError):
    """The source could not be read (unreachable, an error answer, a malformed page):
    the fetch stops, and the next one resumes from the last page applied."""

    slug = "exchange-failed"
    title = "Exchange fetch failed"
    status = 502


class ExchangeRefused(ExchangeFailed):
    """The source refused the request itself (an HTTP 4xx other than 401, 408 and 429):
    sending it again unchanged would be refused again."""

    slug = "exchange-refused"
    title = "Exchange refused the request"


class FeedbackUnsendable(SafeguardError):
    """Feedback the exchange's settings cannot express (e.g. a negative opinion without
    a configured reason): recorded as failed, never sent."""

    slug = "feedback-unsendable"
    title = "Feedback cannot be sent"
    status = 409


class Opinion(StrEnum):
    """A moderator's opinion of a source's record, from their decision on a match."""

    AFFIRMATIVE = "affirmative"
    """The record is what the source says (a match confirmed)."""
    NEGATIVE = "negative"
    """The record is wrong (a match decided a false positive)."""


@runtime_checkable
class ExchangeAdapter(Protocol):
    """One kind of source. Plug-ins register more under the ``safeguard.exchanges``
    entry point group."""

    name: str
    """Lowercase, unique: stored with each configured exchange (``ncmec``, ``hma``)."""

    def check_config(self, config: Mapping[str, Any]) -> Config:
        """The settings, checked and completed with defaults; ConfigError naming what is
        wrong (credentials are never settings: name the environment variable instead)."""
        ...

    def fetch(self, config: Config, checkpoint: Checkpoint | None) -> Iterator[Page]:
        """Pages of updates after ``checkpoint`` (None: from the start); ExchangeFailed
        when the source cannot be read. The runner may stop iterating at any page."""
        ...


@runtime_checkable
class FeedbackAdapter(Protocol):
    """An adapter whose source takes opinions of its records back (``feedback.py``)."""

    def sends_feedback(self, config: Config) -> bool:
        """Whether this exchange's settings ask for feedback to be sent."""
        ...

    def fingerprint(self, signal_type: str) -> str:
        """The source's name of the values of ``signal_type`` (NCMEC's ``PDQ``, ...)."""
        ...

    def send_feedback(
        self, config: Config, record: str, fingerprint: str, opinion: Opinion
    ) -> None:
        """Send one opinion of one fingerprint of ``record`` (the id the source gave it).
        ExchangeRefused when the source refuses it, ExchangeFailed when it could not be
        sent now (retried), FeedbackUnsendable when the settings cannot express it."""
        ...


def refuse_secrets(config: Mapping[str, Any]) -> None:
    """ConfigError for a setting that looks like a credential: settings are stored in
    the database, credentials must stay in the environment (``*_env`` names them)."""
    for key, value in config.items():
        if _SECRET_KEY.search(key) and not key.endswith("_env"):
            raise ConfigError(
                f"exchange setting {key!r} looks like a credential: put it in an environment "
                f"variable and give that variable's name as {key}_env"
            )
        if isinstance(value, Mapping):
            refuse_secrets(value)


def text_setting(config: Mapping[str, Any], key: str, default: str | None = None) -> str | None:
    """A string setting, stripped; ConfigError for any other type."""
    value = config.get(key, default)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigError(f"exchange setting {key!r} must be a string")
    return value.strip() or default


def only_keys(config: Mapping[str, Any], allowed: set[str], adapter: str) -> None:
    """ConfigError for settings ``adapter`` does not know (a typo would go unnoticed)."""
    unknown = sorted(set(config) - allowed)
    if unknown:
        raise ConfigError(
            f"{adapter} exchanges take no setting {', '.join(map(repr, unknown))} "
            f"(known: {', '.join(sorted(allowed))})"
        )


def credential(config: Mapping[str, Any], key: str) -> str:
    """The value of the environment variable that setting ``key`` (e.g. ``password_env``)
    names; ConfigError when it is unset or empty (the value is never shown)."""
    variable = text_setting(config, key)
    if not variable:
        raise ConfigError(f"exchange setting {key!r} must name an environment variable")
    value = os.environ.get(variable, "")
    if not value:
        raise ConfigError(f"environment variable {variable} ({key}) is not set")
    return value
