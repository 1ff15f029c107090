"""Plain values describing banks and entries, shared by the service, API and CLI."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from safeguard.api.validation import check_text
from safeguard.errors import InvalidName, InvalidSignal
from safeguard.signals import PDQ, signal_type
from safeguard.signals.pdq import DEFAULT_THRESHOLD, MAX_THRESHOLD, check_plausible

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")
MAX_LABELS = 32
MAX_TEXT = 256


class BankAction(StrEnum):
    """What a match in a (non-safelist) bank does to the decision."""

    BLOCK = "block"
    REVIEW = "review"


class BankKind(StrEnum):
    """A list matches content; a safelist cancels other banks' matches."""

    LIST = "list"
    SAFELIST = "safelist"


def validate_bank_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise InvalidName(
            f"invalid bank name {name!r}: use 1-128 letters, digits, '_', '.' or '-', "
            "starting with a letter or digit"
        )
    return name


def validate_pdq_threshold(value: int) -> int:
    """``value`` if it is a safe PDQ threshold: 0 to ``MAX_THRESHOLD`` bits."""
    if not 0 <= value <= MAX_THRESHOLD:
        raise InvalidSignal(
            f"pdq threshold must be between 0 and {MAX_THRESHOLD} (the safe maximum), got {value}"
        )
    return value


def validate_pdq_quality(signal_type: str, quality: int | None, minimum: int) -> None:
    """Refuse a quality given with a value of another signal type than PDQ, or one below
    ``minimum`` (hashes of such images take no part in matching)."""
    if quality is None:
        return
    if signal_type != PDQ.name:
        raise InvalidSignal(f"quality applies to pdq values only, not to {signal_type}")
    if quality < minimum:
        raise InvalidSignal(
            f"pdq quality {quality} is below the minimum of {minimum}: "
            "the hash is too unreliable to match on"
        )


@dataclass(frozen=True)
class BankSpec:
    """The settings a bank is created with."""

    name: str
    action: BankAction = BankAction.BLOCK
    kind: BankKind = BankKind.LIST
    pdq_threshold: int = DEFAULT_THRESHOLD

    def __post_init__(self) -> None:
        validate_bank_name(self.name)
        validate_pdq_threshold(self.pdq_threshold)


@dataclass(frozen=True)
class NewEntry:
    """An entry to add: its signal value is validated and normalised on creation."""

    signal_type: str
    value: str
    external_id: str | None = None
    labels: tuple[str, ...] = field(default_factory=tuple)
    source: str | None = None

    def __post_init__(self) -> None:
        kind = signal_type(self.signal_type)
        object.__setattr__(self, "signal_type", kind.name)
        value = kind.normalise(self.value)
        object.__setattr__(self, "value", check_plausible(value) if kind is PDQ else value)
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
