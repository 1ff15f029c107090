"""Plain values describing banks and entries, shared by the service, API and CLI."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from safeguard.api.validation import check_text
from safeguard.banks.kinds import BankAction as BankAction
from safeguard.banks.kinds import BankKind as BankKind
from safeguard.errors import InvalidName, InvalidSignal
from safeguard.screening.signals import ContentSignals
from safeguard.signals.base import SignalValue
from safeguard.signals.registry import indexed, signal_type

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
MAX_LABELS = 32
MAX_TEXT = 256


def validate_bank_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidName(
            f"invalid bank name {name!r}: use 1-128 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit"
        )
    return name


def validate_thresholds(thresholds: Mapping[str, int]) -> dict[str, int]:
    """Thresholds by signal type, each within 0 and its type's safe maximum; a threshold
    for an exact signal type (which has none) is refused."""
    checked: dict[str, int] = {}
    for name, value in thresholds.items():
        kind = signal_type(name)
        if kind.max_threshold == 0:
            raise InvalidSignal(f"{kind.name} matches exactly: it takes no threshold")
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidSignal(f"the {kind.name} threshold must be a whole number")
        if not 0 <= value <= kind.max_threshold:
            raise InvalidSignal(
                f"{kind.name} threshold must be between 0 and {kind.max_threshold} "
                f"(the safe maximum), got {value}"
            )
        checked[kind.name] = value
    return checked


def validate_quality(signal_type_name: str, quality: int | None, minimum: int) -> None:
    """Refuse a quality given with a value of a signal type that has none, or one below
    ``minimum`` (hashes of such content take no part in matching)."""
    if quality is None:
        return
    kind = signal_type(signal_type_name)
    if not kind.has_quality:
        raise InvalidSignal(f"{kind.name} values have no quality")
    if quality < minimum:
        raise InvalidSignal(
            f"{kind.name} quality {quality} is below the minimum of {minimum}: "
            "the hash is too unreliable to match on"
        )


@dataclass(frozen=True)
class BankSpec:
    """The settings a bank is created with. ``thresholds`` by signal type; the types it
    leaves out get their defaults."""

    name: str
    action: BankAction = BankAction.BLOCK
    kind: BankKind = BankKind.LIST
    thresholds: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        validate_bank_name(self.name)
        chosen = validate_thresholds(self.thresholds)
        defaults = {kind.name: kind.default_threshold for kind in indexed()}
        object.__setattr__(self, "thresholds", defaults | chosen)


@dataclass(frozen=True)
class NewEntry:
    """An entry to add: its signal value is validated and normalised on creation.

    Entries added together with the same ``external_id`` (or, without one, the same
    ``item_key``) become one content item; an external id the bank knows already adds
    to that item.
    """

    signal_type: str
    value: str
    external_id: str | None = None
    labels: tuple[str, ...] = field(default_factory=tuple)
    source: str | None = None
    item_key: str | None = None

    def __post_init__(self) -> None:
        kind = signal_type(self.signal_type)
        object.__setattr__(self, "signal_type", kind.name)
        object.__setattr__(self, "value", kind.check_bank_value(kind.normalise(self.value)))
        labels = tuple(label.strip() for label in self.labels if label.strip())
        if len(labels) > MAX_LABELS:
            raise InvalidSignal(f"at most {MAX_LABELS} labels of at most {MAX_TEXT} characters")
        object.__setattr__(self, "labels", labels)
        texts = [("external_id", self.external_id), ("source", self.source)]
        for name, text in [*texts, *(("label", label) for label in labels)]:
            if text is not None:
                _check_text(name, text)


def _check_text(name: str, text: str) -> None:
    """Refuse text longer than ``MAX_TEXT`` or holding NUL characters."""
    if len(text) > MAX_TEXT:
        raise InvalidSignal(f"{name} is longer than {MAX_TEXT} characters")
    try:
        check_text(text)
    except ValueError as exc:
        raise InvalidSignal(f"{name} {exc}") from None


def entries_of(
    signals: ContentSignals, *, source: str, item_key: str, min_quality: int
) -> tuple[list[NewEntry], list[tuple[str, SignalValue]]]:
    """Entries (one content item) for the content's own value of each signal type, and
    the (signal type, value) left out because their quality is below ``min_quality``."""
    entries: list[NewEntry] = []
    too_poor: list[tuple[str, SignalValue]] = []
    for name in signals.values:
        own = signals.own(name)
        if own is None:
            continue
        if own.quality is not None and own.quality < min_quality:
            too_poor.append((name, own))
            continue
        entries.append(NewEntry(name, own.value, source=source, item_key=item_key))
    return entries, too_poor
